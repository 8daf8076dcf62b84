"""resolve_person: the one call Teams and the LMS both make to learn who someone is."""

from __future__ import annotations

from typing import Any

import pytest

from core.errors import Forbidden, UnknownOrganisation
from core.people.model import ExternalIdentity
from core.people.service import IdentityHints


async def test_a_teams_user_is_linked_to_an_imported_profile_by_verified_email(
    services: Any, org: Any
) -> None:
    known = await services.people.add_person(
        org.id, "Priya Raman", "priya@acme.example", "Asia/Kolkata"
    )
    teams = ExternalIdentity("teams", "tenant-acme", "aad-1")
    who = await services.people.resolve_person(
        teams, IdentityHints(name="Priya R", email="PRIYA@acme.example", email_verified=True)
    )
    assert who.id == known.id
    lti = ExternalIdentity("lti", "https://lms.example", "sub-9")
    again = await services.people.resolve_person(
        lti,
        IdentityHints(email="priya@acme.example", email_verified=True, organisation_id=org.id),
    )
    assert again.id == known.id
    assert {i.kind for i in (await services.people.get_person(org.id, known.id)).identities} == {
        "teams",
        "lti",
    }


async def test_an_unverified_email_never_takes_over_a_profile(services: Any, org: Any) -> None:
    known = await services.people.add_person(org.id, "Priya Raman", "priya@acme.example")
    who = await services.people.resolve_person(
        ExternalIdentity("teams", "tenant-acme", "aad-evil"),
        IdentityHints(name="Mallory", email="priya@acme.example", email_verified=False),
    )
    assert who.id != known.id
    assert who.email is None


async def test_unknown_tenants_are_refused_and_self_signup_can_be_off(
    services: Any, org: Any
) -> None:
    with pytest.raises(UnknownOrganisation):
        await services.people.resolve_person(
            ExternalIdentity("teams", "tenant-x", "a"), IdentityHints()
        )
    await services.people.set_self_signup(org.id, False)
    with pytest.raises(Forbidden):
        await services.people.resolve_person(
            ExternalIdentity("teams", "tenant-acme", "new"), IdentityHints()
        )

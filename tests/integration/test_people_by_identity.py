"""A person found through one of their identities is the same person as read by id."""

from __future__ import annotations

from typing import Any

from adapters.db.uow import DbUnitOfWork
from core.people.model import ExternalIdentity
from core.people.service import IdentityHints


async def test_the_person_found_by_identity_carries_every_field_and_identity(
    services: Any, org: Any
) -> None:
    known = await services.people.add_person(
        org.id, "Priya Raman", "priya@acme.example", "Asia/Kolkata"
    )
    teams = ExternalIdentity("teams", "tenant-acme", "aad-1")
    lti = ExternalIdentity("lti", "https://lms.example", "sub-9")
    for identity in (teams, lti):
        await services.people.resolve_person(
            identity,
            IdentityHints(email="priya@acme.example", email_verified=True, organisation_id=org.id),
        )
    other = await services.people.resolve_person(
        ExternalIdentity("lti", "https://lms.example", "sub-10"),
        IdentityHints(name="Sam", organisation_id=org.id),
    )
    by_id = await services.people.get_person(org.id, known.id)
    async with DbUnitOfWork() as uow:
        found = await uow.people.get_by_identity(lti, org.id)
        without_org = await uow.people.get_by_identity(teams)
        sam = await uow.people.get_by_identity(other.identities[0], org.id)
        missing = await uow.people.get_by_identity(ExternalIdentity("lti", "x", "y"), org.id)
    assert found == by_id
    assert without_org == by_id
    assert set(found.identities) == {teams, lti}
    assert found.created_at.utcoffset() is not None
    assert found.email_verified is True and found.is_admin is False
    assert sam == other
    assert missing is None

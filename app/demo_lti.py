"""Demo LMS: Northwind's Moodle registered as an LTI 1.3 platform with two deployments."""

from __future__ import annotations

from core.lti.model import Platform
from core.people.model import Organisation
from core.services import Services

MOODLE = "https://learn.northwind.example"


async def seed_lti(services: Services, org: Organisation) -> str:
    """Idempotent: registering the same issuer and client id again changes nothing."""
    platform: Platform = await services.lti.add_platform(
        org.id,
        issuer=MOODLE,
        client_id="pl-northwind-moodle",
        auth_login_url=MOODLE + "/mod/lti/auth.php",
        auth_token_url=MOODLE + "/mod/lti/token.php",
        key_set_url=MOODLE + "/mod/lti/certs.php",
        deployment_ids=["1", "2"],
        name="Northwind Academy (Moodle)",
    )
    await services.lti.signing_key()
    return f"LMS {platform.name} with {len(platform.deployment_ids)} deployments"

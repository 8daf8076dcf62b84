"""A realistic small demo organisation: people in several time zones, then each feature's data."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from app.demo_communities import seed_communities
from app.demo_expertise import seed_expertise
from app.demo_lti import seed_lti
from app.demo_officehours import seed_office_hours
from core.errors import Conflict
from core.people.model import ExternalIdentity, Organisation
from core.services import Services

DEMO_SLUG = "northwind"
#: the Teams tenant id the Agents Playground uses by default, so a local chat resolves here
DEMO_TENANT = "00000000-0000-0000-0000-0000000000001"

# (name, email local part, zone, locale)
PEOPLE: list[tuple[str, str, str, str]] = [
    ("Amara Okafor", "amara.okafor", "Europe/London", "en-GB"),
    ("Jonas Becker", "jonas.becker", "Europe/Berlin", "de-DE"),
    ("Priya Raman", "priya.raman", "Asia/Kolkata", "en-IN"),
    ("Diego Fernández", "diego.fernandez", "Europe/Madrid", "es-ES"),
    ("Mei Lin", "mei.lin", "Asia/Singapore", "en-SG"),
    ("Sofia Rossi", "sofia.rossi", "Europe/Rome", "it-IT"),
    ("Liam O'Connor", "liam.oconnor", "Europe/Dublin", "en-IE"),
    ("Hannah Schmidt", "hannah.schmidt", "Europe/Berlin", "de-DE"),
    ("Marcus Johnson", "marcus.johnson", "America/New_York", "en-US"),
    ("Aiko Tanaka", "aiko.tanaka", "Asia/Tokyo", "ja-JP"),
    ("Olivia Brown", "olivia.brown", "America/Chicago", "en-US"),
    ("Noah Williams", "noah.williams", "America/Los_Angeles", "en-US"),
    ("Fatima Zahra", "fatima.zahra", "Africa/Casablanca", "fr-MA"),
    ("Lucas Martin", "lucas.martin", "Europe/Paris", "fr-FR"),
    ("Chloé Dubois", "chloe.dubois", "Europe/Paris", "fr-FR"),
    ("Ravi Shankar", "ravi.shankar", "Asia/Kolkata", "en-IN"),
    ("Emma Wilson", "emma.wilson", "Australia/Sydney", "en-AU"),
    ("Jack Taylor", "jack.taylor", "Australia/Lord_Howe", "en-AU"),
    ("Sara Nilsson", "sara.nilsson", "Europe/Stockholm", "sv-SE"),
    ("Mateo García", "mateo.garcia", "America/Mexico_City", "es-MX"),
    ("Ana Souza", "ana.souza", "America/Sao_Paulo", "pt-BR"),
    ("Tomasz Nowak", "tomasz.nowak", "Europe/Warsaw", "pl-PL"),
    ("Grace Kim", "grace.kim", "Asia/Seoul", "ko-KR"),
    ("Ethan Clark", "ethan.clark", "America/Toronto", "en-CA"),
    ("Zoe Anderson", "zoe.anderson", "America/Denver", "en-US"),
    ("Kwame Mensah", "kwame.mensah", "Africa/Accra", "en-GH"),
    ("Elif Yılmaz", "elif.yilmaz", "Europe/Istanbul", "tr-TR"),
    ("Nina Petrova", "nina.petrova", "Europe/Sofia", "bg-BG"),
    ("Oscar Lindqvist", "oscar.lindqvist", "Europe/Helsinki", "fi-FI"),
    ("Yusuf Ahmed", "yusuf.ahmed", "Asia/Dubai", "en-AE"),
]

DemoStep = Callable[[Services, Organisation], Awaitable[str]]
#: features append their own seeding steps; each must be idempotent
DEMO_STEPS: list[DemoStep] = []
DEMO_STEPS.append(seed_expertise)
DEMO_STEPS.append(seed_communities)
DEMO_STEPS.append(seed_office_hours)
DEMO_STEPS.append(seed_lti)


async def seed_people(services: Services, org: Organisation) -> str:
    created = 0
    for index, (name, local, zone, locale) in enumerate(PEOPLE):
        email = f"{local}@northwind.example"
        async with services.uow() as uow:
            exists = await uow.people.get_by_email(org.id, email)
        if exists:
            continue
        await services.people.add_person(
            org.id,
            name,
            email,
            zone,
            locale,
            identities=[ExternalIdentity("teams", DEMO_TENANT, f"demo-aad-{index:04d}")],
            email_verified=True,
        )
        created += 1
    return f"{created} people"


async def seed_demo(services: Services) -> str:
    """Create the demo organisation and everything in it; re-running adds nothing twice."""
    try:
        org = await services.people.create_organisation(
            DEMO_SLUG, "Northwind Traders", teams_tenant_ids=[DEMO_TENANT]
        )
    except Conflict:
        org = await services.people.organisation(DEMO_SLUG)
    parts = [await seed_people(services, org)]
    for step in DEMO_STEPS:
        parts.append(await step(services, org))
    return f"demo organisation '{org.slug}' ready: " + ", ".join(parts)

"""Demo office hours: eleven northwind experts publish availability in their own zones, and a
few colleagues have already booked (one group session has a waitlist)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from core.errors import PeerlearnError
from core.people.model import Organisation
from core.services import Services


def _weekly(days: str, start: str, end: str) -> list[dict[str, str]]:
    return [{"weekday": d, "start": start, "end": end} for d in days.split()]


# (host email local part, spec)
EXPERT_HOURS: list[tuple[str, dict[str, Any]]] = [
    (
        "jonas.becker",
        {
            "title": "Kubernetes & platform office hours",
            "topics": ["kubernetes", "helm", "ci/cd"],
            "description": "Stuck deployment, flaky pipeline, cluster questions: bring logs.",
            "rules": _weekly("mon wed", "09:00", "11:00"),
            "questions": [
                {"key": "goal", "label": "What are you trying to ship?", "required": True}
            ],
        },
    ),
    (
        "priya.raman",
        {
            "title": "Python performance clinic",
            "topics": ["python", "profiling", "asyncio"],
            "rules": _weekly("mon tue wed thu fri", "11:00", "12:30"),
            "requires_approval": True,
            "max_per_day": 2,
        },
    ),
    (
        "marcus.johnson",
        {
            "title": "Sales engineering demo lab",
            "topics": ["demos", "discovery calls"],
            "rules": _weekly("tue", "10:00", "12:00"),
            "slot_minutes": 60,
            "interval_minutes": 60,
            "capacity": 4,
        },
    ),
    (
        "amara.okafor",
        {
            "title": "Product discovery clinic",
            "topics": ["product management", "user research"],
            "rules": _weekly("tue thu", "14:00", "16:00"),
            "buffer_after_minutes": 10,
        },
    ),
    (
        "jack.taylor",
        {
            "title": "Threat modelling for your feature",
            "topics": ["security", "threat modelling"],
            "rules": _weekly("thu", "09:00", "11:15"),
            "slot_minutes": 45,
            "interval_minutes": 45,
            "capacity": 3,
        },
    ),
    (
        "aiko.tanaka",
        {
            "title": "Data visualisation reviews",
            "topics": ["dashboards", "charts"],
            "rules": _weekly("wed fri", "16:00", "18:00"),
        },
    ),
    (
        "sofia.rossi",
        {
            "title": "UX writing office hours",
            "topics": ["ux writing", "microcopy"],
            "rules": _weekly("mon", "15:00", "17:00"),
        },
    ),
    (
        "noah.williams",
        {
            "title": "Frontend performance",
            "topics": ["web performance", "react"],
            "rules": _weekly("tue thu", "09:00", "10:30"),
            "location": {"kind": "url", "text": "https://teams.example/northwind-frontend"},
        },
    ),
    (
        "fatima.zahra",
        {
            "title": "Finance for non-finance managers",
            "topics": ["budgeting", "forecasting"],
            "rules": _weekly("wed", "10:00", "12:00"),
            "slot_minutes": 60,
            "interval_minutes": 60,
            "capacity": 6,
            "location": {"kind": "room", "text": "Casablanca office, room Atlas"},
        },
    ),
    (
        "ravi.shankar",
        {
            "title": "SQL tuning",
            "topics": ["sql", "postgresql"],
            "rules": _weekly("tue thu", "15:00", "17:00"),
            "buffer_before_minutes": 10,
            "buffer_after_minutes": 10,
            "max_per_week": 4,
        },
    ),
    (
        "sara.nilsson",
        {
            "title": "Agile coaching",
            "topics": ["scrum", "retrospectives"],
            "rules": _weekly("fri", "09:00", "11:00"),
        },
    ),
]

# (host, learners who book the host's first free slots; more than the seats join the waitlist)
DEMO_BOOKINGS: dict[str, list[str]] = {
    "jonas.becker": ["mei.lin", "lucas.martin"],
    "priya.raman": ["ethan.clark"],
    "marcus.johnson": ["olivia.brown", "zoe.anderson", "mateo.garcia"],
    "jack.taylor": ["emma.wilson", "grace.kim", "yusuf.ahmed", "kwame.mensah"],
    "fatima.zahra": ["chloe.dubois", "diego.fernandez"],
}


async def seed_office_hours(services: Services, org: Organisation) -> str:
    """Publish the experts' office hours once, with a few first bookings; re-runs add nothing."""
    oh = services.office_hours
    created = booked = 0
    for local, spec in EXPERT_HOURS:
        async with services.uow() as uow:
            host = await uow.people.get_by_email(org.id, f"{local}@northwind.example")
        if host is None:
            continue
        existing = await oh.list_types(org.id, host.id, include_inactive=True)
        if any(t.title == spec["title"] for t in existing):
            continue
        t = await oh.create_type(
            org.id, host.id, {"min_notice_minutes": 120, "horizon_days": 28, **spec}
        )
        created += 1
        learners = DEMO_BOOKINGS.get(local, [])
        if not learners:
            continue
        now = services.clock.now()
        slots = await oh.slots(org.id, t.id, now + timedelta(days=1), now + timedelta(days=15))
        if not slots:
            continue
        for index, learner in enumerate(learners):
            async with services.uow() as uow:
                person = await uow.people.get_by_email(org.id, f"{learner}@northwind.example")
            if person is None:
                continue
            # one-to-one hours get one learner per slot; group sessions fill the first one
            slot = slots[min(index, len(slots) - 1)] if t.capacity == 1 else slots[0]
            try:
                await oh.book(
                    org.id,
                    t.id,
                    person.id,
                    slot.start_utc,
                    answers={"goal": "Get my first service deployed"} if t.questions else None,
                    idempotency_key=f"demo-{t.id}-{learner}",
                )
                booked += 1
            except PeerlearnError:
                continue
    return f"{created} office hours, {booked} bookings"

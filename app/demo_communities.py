"""Demo data for communities of practice: three communities with members, library posts,
questions (one promoted to the library, one linked as a duplicate) and a running cohort."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from core.clock import FixedClock
from core.errors import Conflict
from core.people.model import Organisation
from core.services import Services
from core.timezones import zone

SKILLS = (
    "GenAI",
    "Prompting",
    "Excel",
    "SQL",
    "dbt",
    "Data Quality",
    "Customer Success",
    "Onboarding",
    "Python",
)

# name, purpose, topics, visibility, zone, owner, members
COMMUNITIES: list[tuple[str, str, list[str], str, str, str, list[str]]] = [
    (
        "GenAI Guild",
        "Share the prompts that save you time, ask what you are stuck on, demo what you tried.",
        ["GenAI", "Prompting"],
        "open",
        "Europe/London",
        "amara.okafor",
        [
            "priya.raman",
            "jonas.becker",
            "mei.lin",
            "marcus.johnson",
            "aiko.tanaka",
            "lucas.martin",
            "grace.kim",
            "ethan.clark",
            "kwame.mensah",
            "sara.nilsson",
            "ravi.shankar",
        ],
    ),
    (
        "Data Engineering",
        "Pipelines, models and data quality: patterns that work here, and the ones that did not.",
        ["SQL", "dbt", "Data Quality", "Python"],
        "open",
        "Europe/Berlin",
        "jonas.becker",
        [
            "hannah.schmidt",
            "tomasz.nowak",
            "priya.raman",
            "oscar.lindqvist",
            "noah.williams",
            "nina.petrova",
            "yusuf.ahmed",
        ],
    ),
    (
        "Customer Success Playbooks",
        "Playbooks, call scripts and renewal stories from the customer success team.",
        ["Customer Success", "Onboarding"],
        "approval",
        "America/New_York",
        "olivia.brown",
        ["marcus.johnson", "ana.souza", "mateo.garcia", "zoe.anderson", "chloe.dubois"],
    ),
]


async def _person(services: Services, org: Organisation, local: str) -> UUID:
    async with services.uow() as uow:
        person = await uow.people.get_by_email(org.id, f"{local}@northwind.example")
    if person is None:
        raise LookupError(f"demo person {local} is missing")
    return person.id


async def seed_communities(services: Services, org: Organisation) -> str:
    """Idempotent: does nothing when the demo communities exist already."""
    existing = await services.communities.list_communities(org.id, include_archived=True)
    if "GenAI Guild" in {v.community.name for v in existing}:
        return "communities already seeded"
    # the story starts six weeks ago (a Monday morning) and moves on as people act
    now = services.clock.now()
    start = (now - timedelta(weeks=6, days=now.weekday())).replace(
        hour=9, minute=0, second=0, microsecond=0
    )
    clock = FixedClock(start)
    c = services.communities.with_clock(clock)
    for skill in SKILLS:
        try:
            await services.expertise.add_skill(org.id, skill)
        except Conflict:
            pass
    ids: dict[str, UUID] = {}
    community_ids: dict[str, UUID] = {}
    for name, purpose, topics, visibility, tz, owner, members in COMMUNITIES:
        for local in (owner, *members):
            ids[local] = await _person(services, org, local)
        community = await c.create_community(
            org.id, ids[owner], name, purpose, topics, visibility, tz
        )
        community_ids[name] = community.id
        for local in members:
            await c.join(org.id, community.id, ids[local])
            if visibility == "approval":
                await c.decide_join(org.id, community.id, ids[owner], ids[local], True)
    genai, data, cs = (community_ids[n] for n, *_ in COMMUNITIES)
    await c.set_role(org.id, genai, ids["amara.okafor"], ids["priya.raman"], "facilitator")
    clock.advance(timedelta(days=2, hours=3))

    # library -----------------------------------------------------------------------------
    summary = await c.create_post(
        org.id,
        genai,
        ids["priya.raman"],
        "prompt",
        "Meeting transcript to action items",
        "Works best with the Teams transcript pasted whole.",
        ["GenAI", "Prompting"],
        tool="Microsoft 365 Copilot",
        prompt_text=(
            "From this transcript, list every decision and every action item as a table with "
            "owner, due date and the sentence it came from. Say 'none' when there are none."
        ),
        example_output="| Action | Owner | Due | Source |\n| Send the pricing deck | Jonas | Fri | ...",
        saved="About 20 minutes per meeting",
    )
    clock.advance(timedelta(days=4, hours=2))
    await c.create_post(
        org.id,
        genai,
        ids["mei.lin"],
        "tip",
        "Ask for a table when you need to check numbers",
        "A table with one row per claim makes it easy to spot a made-up figure. "
        "Ask it to quote the cell it used.",
        ["GenAI"],
    )
    clock.advance(timedelta(days=3, hours=5))
    await c.create_post(
        org.id,
        genai,
        ids["marcus.johnson"],
        "experiment",
        "What I tried: drafting renewal emails with Copilot",
        "I gave it the last three emails and the contract dates. The first drafts were too "
        "formal; adding 'write like a colleague, not a lawyer' fixed it.",
        ["GenAI", "Customer Success"],
        saved="One hour a week",
    )
    clock.advance(timedelta(days=5, hours=1))
    excel = await c.create_post(
        org.id,
        genai,
        ids["ravi.shankar"],
        "prompt",
        "Clean an Excel export before pivoting",
        "",
        ["Excel", "Prompting"],
        tool="Copilot in Excel",
        prompt_text="Normalise the column names to snake_case and convert every date column "
        "to ISO dates; list what you changed.",
        example_output="order_date: 12/03/26 → 2026-03-12 (1,204 cells)",
        saved="15 minutes per export",
    )
    await c.create_post(
        org.id,
        data,
        ids["hannah.schmidt"],
        "resource",
        "Our dbt style guide",
        "Naming, tests every model needs, and how we review pull requests.",
        ["dbt", "SQL"],
        url="https://wiki.northwind.example/data/dbt-style-guide",
    )
    clock.advance(timedelta(days=2, hours=4))
    await c.create_post(
        org.id,
        data,
        ids["tomasz.nowak"],
        "tip",
        "Test uniqueness on the grain, not the id",
        "A unique test on the surrogate key passes even when the grain is wrong; test the "
        "combination of columns that defines a row.",
        ["dbt", "Data Quality"],
    )
    clock.advance(timedelta(days=1, hours=6))
    await c.create_post(
        org.id,
        cs,
        ids["olivia.brown"],
        "resource",
        "First 30 days onboarding playbook",
        "Kick-off agenda, the three success milestones, and when to bring in support.",
        ["Customer Success", "Onboarding"],
    )
    await c.set_featured(org.id, summary.id, ids["amara.okafor"], True)
    for voter in ("jonas.becker", "aiko.tanaka", "grace.kim", "ethan.clark"):
        await c.vote(org.id, summary.id, ids[voter])
    clock.advance(timedelta(hours=20))
    await c.comment(
        org.id, summary.id, ids["aiko.tanaka"], "Added 'in Japanese' at the end — works too."
    )
    await c.save_for_later(org.id, excel.id, ids["kwame.mensah"])
    await c.try_prompt(org.id, excel.id, ids["sara.nilsson"])

    # questions ---------------------------------------------------------------------------
    q1 = await c.ask(
        org.id,
        data,
        ids["noah.williams"],
        "How do I stop a dbt incremental model from duplicating late rows?",
        "Rows that arrive a day late show up twice after the next run.",
        ["dbt"],
    )
    clock.advance(timedelta(hours=3, minutes=40))
    a1 = await c.answer(
        org.id,
        q1.id,
        ids["hannah.schmidt"],
        "Set unique_key to the grain and use the merge strategy; look back two days in the "
        "is_incremental() filter so late rows are merged, not appended.",
    )
    clock.advance(timedelta(hours=1))
    await c.accept(org.id, a1.id, ids["noah.williams"])
    await c.promote(org.id, q1.id, ids["hannah.schmidt"], "Late-arriving rows in dbt incrementals")
    clock.advance(timedelta(days=5))
    q2 = await c.ask(
        org.id,
        data,
        ids["yusuf.ahmed"],
        "Why does my incremental model have duplicates?",
        tags=["dbt"],
    )
    clock.advance(timedelta(minutes=25))
    await c.mark_duplicate(org.id, q2.id, ids["jonas.becker"], q1.id)
    clock.advance(timedelta(days=1, hours=2))
    q3 = await c.ask(
        org.id,
        genai,
        ids["ethan.clark"],
        "Can Copilot summarise a whole SharePoint folder at once?",
        tags=["GenAI"],
    )
    clock.advance(timedelta(hours=7, minutes=15))
    await c.answer(
        org.id,
        q3.id,
        ids["priya.raman"],
        "Not a folder in one go; ask about the documents by name, five at a time.",
    )
    clock.advance(timedelta(days=2))
    await c.ask(
        org.id,
        genai,
        ids["kwame.mensah"],
        "Has anyone got a prompt for release notes from Jira tickets?",
        tags=["Prompting"],
    )

    # a four-week challenge that started two weeks ago ------------------------------------
    clock.set(now - timedelta(weeks=2, days=now.weekday()))
    today = clock.now().astimezone(zone("Europe/London")).date()
    cohort = await c.create_cohort(
        org.id,
        genai,
        ids["amara.okafor"],
        "Four weeks of prompting",
        "Each of us saves an hour a week with one prompt we use every day",
        today,
        today + timedelta(days=27),
        required_checkins=3,
        requires_demo=True,
    )
    learners = ["jonas.becker", "mei.lin", "aiko.tanaka", "grace.kim", "ethan.clark"]
    for local in learners:
        await c.join_cohort(org.id, cohort.id, ids[local])
    checkins = [
        (
            "mei.lin",
            "Summarised supplier contracts into a comparison table",
            "40 minutes",
            "Scanned PDFs",
        ),
        ("grace.kim", "Drafted survey questions", "20 minutes", ""),
        (
            "jonas.becker",
            "Turned sales call notes into CRM updates",
            "30 minutes",
            "Names of products",
        ),
    ]
    for week in range(2):
        clock.set(now - timedelta(weeks=2 - week, days=now.weekday()) + timedelta(hours=10))
        await c.pair_round(org.id, cohort.id, ids["amara.okafor"])
        clock.advance(timedelta(days=3, hours=5))
        for local, tried, saved, stuck in checkins[: 2 + week]:
            await c.check_in(org.id, cohort.id, ids[local], tried, saved, stuck)
    clock.advance(timedelta(days=1))
    await c.record_demo(
        org.id,
        genai,
        ids["priya.raman"],
        ids["mei.lin"],
        "Contract comparison in five minutes",
        cohort_id=cohort.id,
    )
    # a weekly show-and-tell from now on, with two demos signed up for the next one and two
    # colleagues coming to watch
    live = services.communities
    if live.sessions is not None:
        await live.start_show_and_tell(
            org.id, genai, ids["amara.okafor"], 3, "16:00", minutes=30, capacity=4
        )
        upcoming = await live.upcoming_show_and_tell(org.id, genai, count=1)
        if upcoming:
            for local, title in (
                ("mei.lin", "Contract comparison in five minutes"),
                ("grace.kim", "Survey questions that people answer"),
            ):
                await live.sign_up_demo(org.id, genai, ids[local], upcoming[0], title)
            for local in ("jonas.becker", "aiko.tanaka"):
                await live.attend_show_and_tell(org.id, genai, ids[local], upcoming[0])
    return "3 communities with posts, questions, a cohort and a show-and-tell"

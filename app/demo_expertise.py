"""Demo data for expert matching: a skill vocabulary with aliases, self-declared profiles with
weekly caps, endorsements, a year of answered questions and office hours, resources and demos
recorded as evidence. Every step is idempotent."""

from __future__ import annotations

from datetime import timedelta

from core.errors import PeerlearnError
from core.expertise.history import HistoryAnswer, HistoryThread
from core.people.model import ExternalIdentity, Organisation
from core.services import Services

SOURCE = "demo"

# canonical name, aliases
SKILLS: list[tuple[str, list[str]]] = [
    ("GenAI", ["generative ai", "gen ai", "llm"]),
    ("Prompting", ["prompt engineering", "prompts"]),
    ("Kubernetes", ["k8s", "kube"]),
    ("Terraform", ["tf", "infrastructure as code"]),
    ("Power BI", ["powerbi", "pbi"]),
    ("Excel", ["spreadsheets"]),
    ("SQL", ["postgres", "t-sql"]),
    ("Python", ["py"]),
    ("Data Privacy", ["gdpr", "dsgvo"]),
    ("Customer Success", ["cs", "renewals"]),
]

# email local part → (headline, {skill: level}, weekly request cap, weekly office-hours cap)
PROFILES: dict[str, tuple[str, dict[str, int], int, float]] = {
    "amara.okafor": ("Runs the GenAI Guild", {"GenAI": 5, "Prompting": 5}, 6, 4.0),
    "priya.raman": ("ML engineer, evaluation nerd", {"GenAI": 4, "Python": 5}, 4, 3.0),
    "jonas.becker": ("Data platform lead", {"SQL": 5, "Python": 4, "Terraform": 3}, 5, 3.0),
    "mei.lin": ("Platform SRE", {"Kubernetes": 5, "Terraform": 4}, 5, 2.0),
    "marcus.johnson": ("Sales ops and dashboards", {"Power BI": 5, "Excel": 5}, 3, 2.0),
    "hannah.schmidt": ("Privacy counsel", {"Data Privacy": 5}, 4, 2.0),
    "ravi.shankar": ("Backend engineer", {"Kubernetes": 3, "Python": 4}, 4, 2.0),
    "olivia.brown": ("Customer success manager", {"Customer Success": 5, "Excel": 3}, 4, 3.0),
    "lucas.martin": ("Prompt library curator", {"Prompting": 4, "GenAI": 3}, 3, 2.0),
    "tomasz.nowak": ("Analytics engineer", {"SQL": 4, "Power BI": 3}, 4, 2.0),
}

ENDORSEMENTS: list[tuple[str, str, str]] = [
    ("amara.okafor", "Prompting", "lucas.martin"),
    ("amara.okafor", "GenAI", "priya.raman"),
    ("mei.lin", "Kubernetes", "ravi.shankar"),
    ("mei.lin", "Kubernetes", "ethan.clark"),
    ("jonas.becker", "SQL", "tomasz.nowak"),
    ("marcus.johnson", "Power BI", "olivia.brown"),
    ("hannah.schmidt", "Data Privacy", "sofia.rossi"),
]

# title, body, tags, asker, answerers (first accepted)
THREADS: list[tuple[str, str, list[str], str, list[str]]] = [
    (
        "How do I stop the model inventing citations",
        "Our summaries of policy documents cite sections that do not exist.",
        ["GenAI", "Prompting"],
        "sofia.rossi",
        ["amara.okafor", "priya.raman"],
    ),
    (
        "Few-shot examples for ticket classification",
        "How many examples do we need before the labels get stable?",
        ["Prompting"],
        "olivia.brown",
        ["lucas.martin", "amara.okafor"],
    ),
    (
        "Evaluating a RAG assistant before rollout",
        "Which metrics tell us the answers are grounded?",
        ["GenAI", "Python"],
        "ethan.clark",
        ["priya.raman"],
    ),
    (
        "Prompt to summarise a sales call",
        "The summary misses next steps and owners.",
        ["Prompting"],
        "marcus.johnson",
        ["amara.okafor"],
    ),
    (
        "Can we paste customer data into the chat assistant",
        "Is that allowed under our data processing agreement?",
        ["Data Privacy", "GenAI"],
        "olivia.brown",
        ["hannah.schmidt"],
    ),
    (
        "Rolling back a Kubernetes deployment",
        "Pods crash after the upgrade of the payments service; how do we roll back safely?",
        ["Kubernetes"],
        "ravi.shankar",
        ["mei.lin"],
    ),
    (
        "Pod stuck in CrashLoopBackOff",
        "The liveness probe fails right after start.",
        ["Kubernetes"],
        "noah.williams",
        ["mei.lin", "ravi.shankar"],
    ),
    (
        "Terraform state lock will not release",
        "A pipeline died and the DynamoDB lock stays.",
        ["Terraform"],
        "jonas.becker",
        ["mei.lin"],
    ),
    (
        "Autoscaling on queue length",
        "HPA on CPU does not react to our backlog.",
        ["Kubernetes"],
        "ravi.shankar",
        ["mei.lin"],
    ),
    (
        "Incremental models in dbt keep duplicating rows",
        "The unique key seems ignored on late data.",
        ["SQL"],
        "tomasz.nowak",
        ["jonas.becker"],
    ),
    (
        "Window function for running totals per customer",
        "How do I reset the total each fiscal year?",
        ["SQL"],
        "marcus.johnson",
        ["jonas.becker", "tomasz.nowak"],
    ),
    (
        "Power BI refresh fails at midnight",
        "The gateway times out on the sales model.",
        ["Power BI"],
        "olivia.brown",
        ["marcus.johnson"],
    ),
    (
        "Row-level security in Power BI",
        "Regional managers must only see their region.",
        ["Power BI"],
        "grace.kim",
        ["marcus.johnson", "tomasz.nowak"],
    ),
    (
        "XLOOKUP across two workbooks",
        "The lookup breaks when the other file is closed.",
        ["Excel"],
        "chloe.dubois",
        ["marcus.johnson"],
    ),
    (
        "Retention period for interview notes",
        "How long may HR keep notes from rejected candidates?",
        ["Data Privacy"],
        "fatima.zahra",
        ["hannah.schmidt"],
    ),
    (
        "Renewal playbook for at-risk accounts",
        "Which signals should trigger an early call?",
        ["Customer Success"],
        "ana.souza",
        ["olivia.brown"],
    ),
    (
        "Pandas is slow on a 5 GB CSV",
        "Reading the export takes twenty minutes.",
        ["Python"],
        "diego.fernandez",
        ["priya.raman", "jonas.becker"],
    ),
    (
        "Packaging a Python tool for colleagues",
        "pip install from our repository without admin rights?",
        ["Python"],
        "kwame.mensah",
        ["ravi.shankar"],
    ),
]

# person, kind, ref, skills, text, rating
EVIDENCE: list[tuple[str, str, str, list[str], str, float | None]] = [
    (
        "amara.okafor",
        "office_hours",
        "demo-oh-1",
        ["Prompting"],
        "Prompt clinic: summaries and tone",
        4.9,
    ),
    (
        "amara.okafor",
        "office_hours",
        "demo-oh-2",
        ["GenAI"],
        "GenAI office hours: grounding answers",
        4.7,
    ),
    ("mei.lin", "office_hours", "demo-oh-3", ["Kubernetes"], "Kubernetes debugging hour", 4.8),
    ("marcus.johnson", "office_hours", "demo-oh-4", ["Power BI"], "Dashboard surgery", 4.5),
    (
        "lucas.martin",
        "resource",
        "demo-res-1",
        ["Prompting"],
        "Prompt patterns for meeting summaries",
        None,
    ),
    (
        "jonas.becker",
        "resource",
        "demo-res-2",
        ["SQL"],
        "Incremental models that survive late data",
        None,
    ),
    (
        "priya.raman",
        "demo",
        "demo-demo-1",
        ["GenAI", "Python"],
        "Demo: evaluating answers with a golden set",
        None,
    ),
]


async def _link_people(services: Services, org: Organisation) -> None:
    """Give demo people a source identity so the history import recognises them."""
    async with services.uow() as uow:
        for person in await uow.people.list(org.id, limit=500):
            if not person.email or any(i.kind == "source" for i in person.identities):
                continue
            local = person.email.split("@")[0]
            await uow.people.link_identity(person, ExternalIdentity("source", SOURCE, local))
        await uow.commit()


async def seed_expertise(services: Services, org: Organisation) -> str:
    e = services.expertise
    for name, aliases in SKILLS:
        try:
            await e.add_skill(org.id, name, aliases)
        except PeerlearnError:
            for alias in aliases:
                try:
                    await e.add_alias(org.id, name, alias)
                except PeerlearnError:
                    pass
    await _link_people(services, org)
    async with services.uow() as uow:
        ids = {
            p.email.split("@")[0]: p.id for p in await uow.people.list(org.id, limit=500) if p.email
        }
    for local, (headline, skills, requests, hours) in PROFILES.items():
        await e.update_profile(
            org.id,
            ids[local],
            headline=headline,
            skills=skills,
            weekly_request_cap=requests,
            weekly_hours_cap=hours,
        )
    for person, skill, endorser in ENDORSEMENTS:
        await e.endorse(org.id, ids[person], skill, ids[endorser])
    start = services.clock.now() - timedelta(days=330)
    threads = [
        HistoryThread(
            line=n + 1,
            source_id=f"northwind-{n + 1}",
            title=title,
            body=body,
            tags=tuple(tags),
            asker=asker,
            accepted_user=answerers[0],
            answers=tuple(HistoryAnswer(f"northwind-{n + 1}-{u}", u) for u in answerers),
            created_at=start + timedelta(days=18 * n),
        )
        for n, (title, body, tags, asker, answerers) in enumerate(THREADS)
    ]
    summary = await e.import_history(org.id, threads, source=SOURCE)
    recorded = 0
    for n, (person, kind, ref, topics, text, rating) in enumerate(EVIDENCE):
        when = services.clock.now() - timedelta(days=60 - 7 * n)
        recorded += await e.record_evidence(
            org.id,
            ids[person],
            kind,
            ref=ref,
            skills=topics,
            text=text,
            rating=rating,
            occurred_at=when,
        )
    return f"{summary.questions} answered questions, {recorded} pieces of expert evidence"

"""Small hand-made organisations for expertise tests: people in chosen zones whose history of
answers is imported through the real importer."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any
from uuid import UUID

from core.expertise.history import HistoryAnswer, HistoryThread
from core.expertise.service import RoutingPolicy
from core.people.model import ExternalIdentity
from core.services import Services


async def person(services: Services, org: Any, handle: str, zone: str = "Europe/Berlin") -> UUID:
    """A colleague known to imports as `handle`."""
    p = await services.people.add_person(
        org.id,
        handle.title(),
        f"{handle}@example.com",
        zone,
        identities=[ExternalIdentity("source", "qa", handle)],
    )
    return p.id


def thread(
    qid: str,
    text: str,
    tags: Iterable[str],
    answerers: Iterable[str],
    accepted: str | None = None,
    asker: str = "someone",
    line: int = 1,
) -> HistoryThread:
    title, _, body = text.partition(". ")
    return HistoryThread(
        line=line,
        source_id=qid,
        title=title,
        body=body,
        tags=tuple(tags),
        asker=asker,
        accepted_user=accepted,
        answers=tuple(HistoryAnswer(f"{qid}-{u}", u) for u in answerers),
    )


async def history(services: Services, org: Any, threads: list[HistoryThread]) -> None:
    summary = await services.expertise.import_history(org.id, threads, source="qa")
    assert not summary.rejected


def kubernetes_threads(who: str, n: int, start: int = 0) -> list[HistoryThread]:
    topics = [
        "How do I roll back a Kubernetes deployment. The pods keep crashing after the upgrade",
        "Helm chart values for a Kubernetes ingress. Which annotations does nginx need",
        "Kubernetes pod stuck in CrashLoopBackOff. Liveness probe fails on start",
        "Scaling a Kubernetes deployment automatically. Horizontal pod autoscaler on CPU",
    ]
    return [
        thread(f"{who}-k8s-{start + i}", topics[i % len(topics)], ["kubernetes"], [who], who)
        for i in range(n)
    ]


def prompt_threads(who: str, n: int, start: int = 0) -> list[HistoryThread]:
    topics = [
        "Prompt engineering for summaries. The model ignores my length limit",
        "Few-shot prompt examples for classification. How many examples help",
        "Prompt engineering to stop hallucinated citations. Ground answers in documents",
    ]
    return [
        thread(f"{who}-pe-{start + i}", topics[i % len(topics)], ["prompt-engineering"], [who])
        for i in range(n)
    ]


ROUTED_QUESTION = "Our Kubernetes deployment keeps crashing after the upgrade. How do we roll back?"


async def routing_team(services: Services, org: Any) -> dict[str, UUID]:
    """An asker and four Kubernetes answerers, most active first (ana 8, ben 6, cy 4, dee 2);
    questions go to two at a time, time out after four hours, and are re-routed at most twice."""
    people = {h: await person(services, org, h) for h in ("asker", "ana", "ben", "cy", "dee")}
    threads = (
        kubernetes_threads("ana", 8)
        + kubernetes_threads("ben", 6)
        + kubernetes_threads("cy", 4)
        + kubernetes_threads("dee", 2)
    )
    await history(services, org, threads)
    services.expertise.routing = RoutingPolicy(k=2, timeout=timedelta(hours=4), max_rounds=2)
    return people

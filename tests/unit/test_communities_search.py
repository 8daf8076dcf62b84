"""Library search relevance on a small fixed corpus: the right post comes first."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import pytest

from core.communities.search import query_terms, tokens
from tests.unit.communities_fakes import World, world

CORPUS = [
    (
        "excel",
        "tip",
        "Clean messy Excel exports",
        "Ask the model to normalise column names and dates in the Excel export before you pivot.",
    ),
    (
        "sql",
        "prompt",
        "Explain a slow SQL query",
        "Paste the query plan and ask which index is missing; it found a missing index on orders.",
    ),
    (
        "email",
        "tip",
        "Polite payment reminder emails",
        "Draft reminder emails with a friendly tone and a clear due date.",
    ),
    (
        "meeting",
        "experiment",
        "Meeting notes into action items",
        "I tried turning meeting transcripts into action items with owners and due dates.",
    ),
    (
        "regex",
        "resource",
        "Regex cheat sheet",
        "Regular expressions for dates, emails and postcodes.",
    ),
    (
        "pivot",
        "tip",
        "Pivot tables without tears",
        "Pivot tables summarise sales by region; group dates by month first.",
    ),
    (
        "onboarding",
        "resource",
        "Onboarding checklist for support",
        "A checklist for new support agents: tools, tone, escalation.",
    ),
    (
        "tone",
        "prompt",
        "Rewrite in a friendly tone",
        "Rewrite this reply so it sounds friendly but firm.",
    ),
]


async def seeded() -> tuple[World, dict[str, UUID]]:
    w = world()
    owner = w.person("Amara Okafor")
    community = await w.service.create_community(w.org_id, owner, "GenAI Guild")
    ids: dict[str, UUID] = {}
    for key, kind, title, body in CORPUS:
        extra = {"tool": "Copilot", "prompt_text": body} if kind == "prompt" else {}
        post = await w.service.create_post(
            w.org_id, community.id, owner, kind, title, body, **extra
        )
        ids[key] = post.id
        w.clock.advance(timedelta(hours=1))
    return w, ids


@pytest.mark.parametrize(
    ("query", "expected_first"),
    [
        ("slow sql query index", "sql"),
        ("excel export column names", "excel"),
        ("payment reminder email", "email"),
        ("turn meeting transcripts into actions", "meeting"),
        ("pivot table by month", "pivot"),
        ("regular expression for postcodes", "regex"),
        ("new support agent checklist", "onboarding"),
    ],
)
async def test_the_most_relevant_post_comes_first(query: str, expected_first: str) -> None:
    w, ids = await seeded()
    results = await w.service.search(w.org_id, query)
    assert results, query
    assert results[0].post.id == ids[expected_first]
    assert 0 < results[0].similarity <= 1


async def test_posts_sharing_no_word_with_the_query_are_not_returned() -> None:
    w, ids = await seeded()
    results = await w.service.search(w.org_id, "regional sales pivot")
    assert ids["regex"] not in {r.post.id for r in results}
    assert await w.service.search(w.org_id, "kubernetes helm charts") == []
    assert await w.service.search(w.org_id, "the and of") == []


async def test_between_equally_relevant_posts_the_newer_one_ranks_first() -> None:
    w = world()
    owner = w.person("Amara Okafor")
    community = await w.service.create_community(w.org_id, owner, "Data Engineering")
    old = await w.service.create_post(
        w.org_id, community.id, owner, "tip", "Partition big tables", "Partition by date."
    )
    w.clock.advance(timedelta(days=200))
    new = await w.service.create_post(
        w.org_id, community.id, owner, "tip", "Partition big tables", "Partition by date."
    )
    results = await w.service.search(w.org_id, "partition tables")
    assert [r.post.id for r in results] == [new.id, old.id]
    assert results[0].score > results[1].score


async def test_search_resources_offers_open_community_posts_for_answer_reuse() -> None:
    w, ids = await seeded()
    owner = w.person("Jonas Becker")
    closed = await w.service.create_community(
        w.org_id, owner, "Leadership circle", visibility="approval"
    )
    await w.service.create_post(
        w.org_id, closed.id, owner, "tip", "Slow SQL query fixes", "Confidential index notes."
    )
    results = await w.service.search_resources(w.org_id, "why is my sql query slow", limit=3)
    assert results[0].post.id == ids["sql"]
    assert all(r.post.community_id != closed.id for r in results)
    assert results == sorted(results, key=lambda r: -r.score)


def test_tokens_fold_case_unicode_and_plurals() -> None:
    assert tokens("Prompts for ÉMAILS, émail!") == ["prompt", "émail", "émail"]
    assert query_terms("the the SQL sql") == ["sql"]

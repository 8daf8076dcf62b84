"""Hostile input in the core: markup and unicode stored exactly as written, oversized or
malformed input refused with a specific code, and nothing stored when refused."""

from __future__ import annotations

import pytest

from core.communities.errors import TextTooLong, UnknownTags
from core.errors import InvalidInput
from tests.unit.communities_fakes import World, world

SCRIPT = "<script>fetch('/steal?c='+document.cookie)</script><img src=x onerror=alert(1)>"


@pytest.fixture
async def setup() -> tuple[World, object, object]:
    w = world()
    owner = w.person("Zoë 🚀 O'Brien")
    community = await w.service.create_community(w.org_id, owner, "<i>Ops</i> 运维 ✨")
    return w, community, owner


async def test_markup_and_unicode_are_stored_exactly_as_written(setup) -> None:  # type: ignore[no-untyped-def]
    w, community, owner = setup
    title = "\u202eRTL override & <b>bold</b> \"quotes\" 'ticks' — ünïcødé 数据 🙂"
    post = await w.service.create_post(w.org_id, community.id, owner, "tip", title, SCRIPT)
    stored = await w.service.get_post(w.org_id, post.id)
    assert (stored.title, stored.body) == (title, SCRIPT)
    assert community.name == "<i>Ops</i> 运维 ✨"
    found = await w.service.search(w.org_id, "数据")
    assert [r.post.id for r in found] == [post.id]


async def test_a_one_megabyte_body_is_refused_and_nothing_is_stored(setup) -> None:  # type: ignore[no-untyped-def]
    w, community, owner = setup
    with pytest.raises(TextTooLong) as err:
        await w.service.create_post(
            w.org_id, community.id, owner, "tip", "big", "x" * (1024 * 1024)
        )
    assert err.value.status == 422
    with pytest.raises(TextTooLong):
        await w.service.ask(w.org_id, community.id, owner, "q" * 1000)
    assert w.store.posts == {} and w.store.questions == {}


async def test_unknown_or_malformed_tags_are_refused(setup) -> None:  # type: ignore[no-untyped-def]
    w, community, owner = setup
    for tags in (["<svg onload=alert(1)>"], ["semi;colon"], ["x" * 80], [42], "genai"):
        with pytest.raises((UnknownTags, InvalidInput)):
            await w.service.create_post(
                w.org_id,
                community.id,
                owner,
                "tip",
                "t",
                "b",
                tags,  # type: ignore[arg-type]
            )
    assert w.store.posts == {}
    ok = await w.service.create_post(
        w.org_id, community.id, owner, "tip", "t", "b", ["GenAI", "genai", "C++", "数据"]
    )
    assert ok.tags == ("genai", "c++", "数据")


async def test_links_must_be_http_and_control_characters_are_refused(setup) -> None:  # type: ignore[no-untyped-def]
    w, community, owner = setup
    for url in ("javascript:alert(1)", "data:text/html,<script>", "ftp://x.example/a"):
        with pytest.raises(InvalidInput):
            await w.service.create_post(w.org_id, community.id, owner, "resource", "link", url=url)
    post = await w.service.create_post(w.org_id, community.id, owner, "tip", "t", "b")
    with pytest.raises(InvalidInput):
        await w.service.comment(w.org_id, post.id, owner, "nul \x00 byte")
    assert await w.service.comments(w.org_id, post.id) == []

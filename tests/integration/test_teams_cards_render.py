"""The bot's cards drawn by the real Adaptive Cards renderer with Teams' host config and
markdown, in headless Chromium: they render without errors, and hostile user text shows as
literal text (no links, no formatting, no template functions)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from bot import cards
from tests import card_renderer
from tests.conftest import IN_CI

HOSTILE = "**Boss** [click](https://evil.example) {{DATE(2026-01-01T00:00:00Z)}} <b>x</b>"


@pytest.fixture
async def renderer() -> Any:
    if not card_renderer.installed():
        if IN_CI:
            pytest.fail("CI must install the card renderer (scripts/install-test-tools)")
        pytest.skip("card renderer not installed: run scripts/install-test-tools")
    async with card_renderer.renderer() as r:
        yield r


async def test_the_main_flow_cards_render_in_teams_style(renderer: Any) -> None:
    for name, card in card_renderer.main_flow_cards().items():
        png, text, errors = await renderer.render(card)
        assert errors == [], name
        image = Image.open(io.BytesIO(png))
        assert image.width >= 800 and image.height >= 150, name  # 2× device pixels
        assert text.strip(), name
    _, text, _ = await renderer.render(card_renderer.main_flow_cards()["find-an-expert"])
    assert "1. Jonas Becker" in text
    assert "See times" in text


async def test_hostile_names_render_as_plain_text(renderer: Any) -> None:
    card = cards.experts_card(
        HOSTILE,
        [
            {
                "name": HOSTILE,
                "email": "x@contoso.example",
                "person_id": "1",
                "reasons": [HOSTILE],
                "next_free": None,
            }
        ],
    )
    _, text, errors = await renderer.render(card)
    assert errors == []
    assert "**Boss** [click](https://evil.example)" in text
    assert "DATE(2026-01-01T00:00:00Z)" in text  # shown, not evaluated as a date function
    page_links = await _links(renderer, card)
    assert all("evil.example" not in href for href in page_links)


async def _links(renderer: Any, card: dict[str, Any]) -> list[str]:
    page = await renderer.browser.new_page()
    try:
        await page.set_content(card_renderer.page_html(card), wait_until="load")
        hrefs: list[str] = await page.eval_on_selector_all("a", "els => els.map(e => e.href)")
        return hrefs
    finally:
        await page.close()

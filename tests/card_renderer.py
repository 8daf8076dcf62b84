"""Adaptive Cards drawn the way Teams draws them: the `adaptivecards` JS renderer with Teams'
light host config and markdown-it, in headless Chromium (Debian's, driven by Playwright).

    python -m tests.card_renderer      # writes docs/cards/*.png for the main flows

Installed by `scripts/install-test-tools` (npm packages under .cache/adaptivecards).
"""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
MODULES = ROOT / ".cache" / "adaptivecards" / "node_modules"
RENDERER = MODULES / "adaptivecards" / "dist" / "adaptivecards.min.js"
MARKDOWN = MODULES / "markdown-it" / "dist" / "markdown-it.min.js"
STYLES = MODULES / "adaptivecards" / "dist" / "adaptivecards.css"
HOST_CONFIG = Path(__file__).parent / "data" / "teams-light-hostconfig.json"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

PAGE = """<!doctype html><html><head><meta charset="utf-8">
<style>__STYLES__</style><style>
  .ac-pushButton { border: 1px solid #d1d1d1; border-radius: 4px; background: #fff; color: #242424;
                   padding: 5px 12px; font-weight: 600; font-family: inherit; }
  body { margin: 0; background: #f5f5f5; font-family: "Segoe UI", "DejaVu Sans", sans-serif; }
  #frame { width: 460px; margin: 16px; padding: 0; background: #fff; border-radius: 6px;
           box-shadow: 0 1px 3px rgba(0,0,0,.2); overflow: hidden; }
</style>
<script>__MARKDOWN__</script><script>__RENDERER__</script></head>
<body><div id="frame"></div><script>
  window.renderErrors = [];
  const card = new AdaptiveCards.AdaptiveCard();
  card.hostConfig = new AdaptiveCards.HostConfig(__HOST__);
  AdaptiveCards.AdaptiveCard.onProcessMarkdown = (text, result) => {
    result.outputHtml = markdownit({ html: false, linkify: false }).render(text);
    result.didProcess = true;
  };
  card.parse(__CARD__, new AdaptiveCards.SerializationContext());
  const el = card.render();
  if (!el) { window.renderErrors.push("nothing rendered"); }
  else { document.getElementById("frame").appendChild(el); }
</script></body></html>"""


def installed() -> bool:
    return RENDERER.exists() and MARKDOWN.exists() and Path(CHROMIUM).exists()


def page_html(card: dict[str, Any]) -> str:
    return (
        PAGE.replace("__STYLES__", STYLES.read_text())
        .replace("__MARKDOWN__", MARKDOWN.read_text())
        .replace("__RENDERER__", RENDERER.read_text())
        .replace("__HOST__", HOST_CONFIG.read_text())
        .replace("__CARD__", json.dumps(card).replace("</", "<\\/"))
    )


class Renderer:
    def __init__(self, browser: Any) -> None:
        self.browser = browser

    async def render(self, card: dict[str, Any]) -> tuple[bytes, str, list[str]]:
        """PNG of the card, its visible text, and any renderer errors (a fresh page each)."""
        page = await self.browser.new_page(
            viewport={"width": 520, "height": 400}, device_scale_factor=2
        )
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))

        async def local_only(route: Any) -> None:
            if route.request.url.startswith(("about:", "data:")):
                await route.continue_()
            else:
                await route.abort()

        await page.route("**/*", local_only)
        try:
            await page.set_content(page_html(card), wait_until="load")
            errors += await page.evaluate("window.renderErrors")
            frame = page.locator("#frame")
            if errors:
                return b"", "", errors
            return await frame.screenshot(), await frame.inner_text(), errors
        finally:
            await page.close()


@asynccontextmanager
async def renderer() -> AsyncIterator[Renderer]:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield Renderer(browser)
        finally:
            await browser.close()


def main_flow_cards() -> dict[str, dict[str, Any]]:
    """The cards people see most, with realistic demo data."""
    from bot import cards, notices

    jonas = {"name": "Jonas Becker", "email": "jonas.becker@northwind.example", "person_id": "1"}
    priya = {"name": "Priya Raman", "email": "priya.raman@northwind.example", "person_id": "2"}
    return {
        "welcome": cards.welcome_card("Amara Okafor", "Northwind Traders"),
        "find-an-expert": cards.experts_card(
            "kubernetes networking",
            [
                {
                    **jonas,
                    "reasons": [
                        "Kubernetes level 5",
                        "answered 14 similar questions",
                        "5 h overlap",
                    ],
                    "next_free": "Tue 24 Mar, 09:00",
                },
                {**priya, "reasons": ["answered 6 similar questions"], "next_free": None},
            ],
        ),
        "pick-a-time": cards.slots_card(
            "Jonas Becker",
            [
                {
                    "type_id": "t",
                    "title": "Kubernetes clinic",
                    "start": f"2026-03-24T0{h}:00:00+00:00",
                    "label": label,
                }
                for h, label in (
                    (8, "Tue 24 Mar, 09:00"),
                    (8, "Tue 24 Mar, 09:30"),
                    (9, "Tue 24 Mar, 10:00"),
                )
            ],
            "Europe/London",
        ),
        "booked": cards.booking_card(
            {
                "id": "b",
                "title": "Kubernetes clinic",
                "host": "Jonas Becker",
                "when": "Tue 24 Mar, 09:00",
                "status": "confirmed",
                "join_url": "https://teams.microsoft.com/l/meetup-join/19%3ameeting_demo%40thread.v2/0",
            }
        ),
        "ask-reuse-first": cards.reuse_card(
            "q",
            "Pods crash after the 1.30 upgrade",
            [
                {
                    "title": "CrashLoopBackOff after upgrading the cluster",
                    "answer": "Check the deprecated APIs with `kubectl convert`; the ingress class moved.",
                    "question_id": "00000000-0000-0000-0000-0000000000a1",
                },
                {
                    "title": "Runbook: upgrading clusters",
                    "url": "https://wiki.northwind.example/runbooks/k8s-upgrade",
                    "resource_id": "00000000-0000-0000-0000-0000000000b2",
                },
            ],
        ),
        "expert-offer": notices.render(
            {
                "template": "expertise.question_offered",
                "offer_id": "o",
                "title": "Pods crash after the 1.30 upgrade",
                "due_at": "2026-03-23T14:00:00+00:00",
                "reasons": ["Kubernetes level 5", "answered 14 similar questions"],
            },
            "Europe/Berlin",
        ),
        "communities": cards.communities_card(
            [
                {
                    "id": "c",
                    "name": "Platform guild",
                    "purpose": "Kubernetes, CI and the paved road",
                    "members": 42,
                    "status": "active",
                },
                {
                    "id": "d",
                    "name": "Data nerds",
                    "purpose": "SQL, dashboards and forecasting",
                    "members": 17,
                    "status": None,
                },
            ]
        ),
        "waitlist": cards.waitlist_card(
            {
                "id": "b",
                "title": "Kubernetes clinic",
                "host": "Jonas Becker",
                "when": "Tue 24 Mar, 09:00",
                "position": 2,
            }
        ),
        "seat-offered": notices.render(
            {
                "template": "waitlist_promoted",
                "fields": {
                    "booking_id": "b",
                    "status": "confirmed",
                    "title": "Kubernetes clinic",
                    "start_utc": "2026-03-24T08:00:00+00:00",
                    "other_person": {"name": "Jonas Becker"},
                },
            },
            "Europe/London",
        ),
        "my-requests": cards.requests_card(
            [
                {
                    "offer_id": "o",
                    "question_id": "q",
                    "title": "Pods crash after the 1.30 upgrade",
                    "status": "offered",
                    "due": "Mon 23 Mar, 15:00",
                },
                {
                    "offer_id": "p",
                    "question_id": "r",
                    "title": "Which ingress controller for internal tools?",
                    "status": "accepted",
                    "due": None,
                },
            ]
        ),
        "answer-in-thread": cards.thread_answer_card(
            "Pods crash after the 1.30 upgrade",
            "Jonas Becker",
            "The ingress class annotation moved: set spec.ingressClassName and redeploy.",
        ),
        "notice-booking-confirmed": notices.render(
            {
                "template": "booking_confirmed",
                "fields": {
                    "title": "Kubernetes clinic",
                    "start_utc": "2026-03-24T08:00:00+00:00",
                    "other_person": {"name": "Jonas Becker"},
                },
            },
            "Asia/Kolkata",
        ),
    }


async def write_docs(target: Path) -> list[Path]:
    target.mkdir(parents=True, exist_ok=True)
    written = []
    async with renderer() as r:
        for name, card in main_flow_cards().items():
            png, _, errors = await r.render(card)
            if errors:
                raise RuntimeError(f"{name}: {errors}")
            path = target / f"{name}.png"
            path.write_bytes(png)
            written.append(path)
    return written


if __name__ == "__main__":
    for path in asyncio.run(write_docs(ROOT / "docs" / "cards")):
        print(path.relative_to(ROOT))

"""End to end with Microsoft 365 Agents Playground: install the app, find an expert, book a
slot from the card, see the confirmation, all through the Playground's own API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from app.web import create_app
from tests import playground
from tests.conftest import IN_CI

pytestmark = pytest.mark.slow


@pytest.fixture
async def world(services: Any) -> Any:
    org = await services.people.create_organisation("contoso", "Contoso", [playground.TENANT])
    jonas = await services.people.add_person(
        org.id, "Jonas Becker", "jonas@contoso.example", "Europe/Berlin"
    )
    await services.expertise.add_skill(org.id, "Kubernetes")
    await services.expertise.update_profile(org.id, jonas.id, skills={"Kubernetes": 5})
    await services.office_hours.create_type(
        org.id,
        jonas.id,
        {
            "title": "Kubernetes clinic",
            "rules": [{"weekday": "tue", "start": "09:00", "end": "11:00"}],
        },
    )
    return org


@pytest.fixture
async def client(
    aiohttp_server: Any, settings: Any, services: Any, world: Any, tmp_path: Path
) -> AsyncIterator[playground.Playground]:
    if not playground.installed():
        if IN_CI:
            pytest.fail("CI must install the Agents Playground (scripts/install-test-tools)")
        pytest.skip("Agents Playground not installed: run scripts/install-test-tools")
    server = await aiohttp_server(create_app(settings, services), host="127.0.0.1")
    tool = playground.Playground(str(server.make_url("/api/messages")), tmp_path)
    await tool.start()
    yield tool
    await tool.stop()


def cards(frames: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f["message"]["messageId"], a["content"])
        for f in frames
        for a in f["message"].get("attachments") or []
        if a.get("contentType") == "application/vnd.microsoft.card.adaptive"
    ]


def button(card: dict[str, Any], verb: str) -> dict[str, Any]:
    stack: list[Any] = [card]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if node.get("type") == "Action.Execute" and node.get("verb") == verb:
                return node
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    raise AssertionError(f"no {verb} button")


async def test_install_find_an_expert_and_book_from_the_card(client: playground.Playground) -> None:
    await client.install()
    [(_, welcome)] = cards(await client.frames(until=1))
    assert "welcome to peerlearn" in welcome["body"][0]["text"]

    await client.say("find an expert for kubernetes")
    [(card_id, experts)] = cards(await client.frames(until=1))
    assert "Jonas Becker" in experts["body"][1]["items"][0]["text"]

    see_times = button(experts, "booking.slots")
    response = await client.press(card_id, see_times)
    assert response["type"] == "application/vnd.microsoft.card.adaptive"
    slots = response["value"]
    book = button(slots, "booking.book")

    response = await client.press(card_id, book)
    confirmation = response["value"]
    assert confirmation["body"][0]["text"] == "You're booked"
    facts = {f["title"]: f["value"] for f in confirmation["body"][1]["facts"]}
    assert facts["What"] == "Kubernetes clinic"
    assert facts["With"] == "Jonas Becker"

"""For experts: the questions routed to them ("my requests") and answering from the card.

Accepting, declining and suggesting a colleague are the offer verbs in `bot/features.py`; the
same buttons sit on the proactive offer card and on the request card here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from botbuilder.core import TurnContext

from bot import cards
from bot.features import uuid_field, when
from bot.parsing import Command, Intent
from core.errors import Forbidden, InvalidInput, PeerlearnError

if TYPE_CHECKING:
    from bot.handler import PeerlearnBot, Reply, Who

INTENTS: tuple[Intent, ...] = (
    Intent(
        "requests",
        ("my requests", "requests", "questions for me", "my questions to answer", "inbox"),
        "my requests",
        "questions colleagues routed to you: answer, accept, decline or pass on",
    ),
)


def install(bot: PeerlearnBot) -> None:
    bot.intents.extend(INTENTS)
    requests = Requests(bot)
    bot.commands["requests"] = requests.mine_command
    bot.actions.update(
        {
            "requests.mine": requests.mine,
            "requests.open": requests.open,
            "offer.answer": requests.answer,
        }
    )


class Requests:
    def __init__(self, bot: PeerlearnBot) -> None:
        self._bot = bot

    @property
    def _s(self) -> Any:
        return self._bot.services

    async def mine_command(self, ctx: TurnContext, who: Who, command: Command) -> Reply:
        return await self.mine(ctx, who, {})

    async def mine(self, ctx: TurnContext, who: Who, data: Mapping[str, Any]) -> Reply:
        found = await self._s.expertise.requests_for(who.org_id, who.person.id)
        rows = [
            {
                "offer_id": offer.id,
                "question_id": question.id,
                "title": question.title,
                "status": offer.status,
                "due": when(offer.due_at, who.person.time_zone)
                if offer.status == "offered"
                else None,
            }
            for offer, question in found
        ]
        return cards.requests_card(rows)

    async def _own_open_offer(self, who: Who, data: Mapping[str, Any]) -> tuple[Any, Any]:
        offer_id = uuid_field(data, "offer_id")
        question, _, offers = await self._s.expertise.question(
            who.org_id, uuid_field(data, "question_id")
        )
        offer = next((o for o in offers if o.id == offer_id), None)
        if offer is None or offer.expert_id != who.person.id:
            raise Forbidden("this question was not routed to you")
        return offer, question

    async def open(self, ctx: TurnContext, who: Who, data: Mapping[str, Any]) -> Reply:
        offer, question = await self._own_open_offer(who, data)
        if offer.status not in ("offered", "accepted") or question.status not in (
            "open",
            "routed",
        ):
            return f"“{cards.safe(question.title, 120)}” no longer needs you. Thank you!"
        asker = None
        if question.asker_id is not None:
            try:
                asker = (await self._s.people.get_person(who.org_id, question.asker_id)).name
            except PeerlearnError:
                asker = None
        return cards.request_card(
            {
                "offer_id": offer.id,
                "question_id": question.id,
                "title": question.title,
                "body": question.body,
                "status": offer.status,
                "due": when(offer.due_at, who.person.time_zone)
                if offer.status == "offered"
                else None,
                "asker": asker,
            }
        )

    async def answer(self, ctx: TurnContext, who: Who, data: Mapping[str, Any]) -> Reply:
        text = data.get("answer")
        if not isinstance(text, str) or not text.strip():
            raise InvalidInput("type your answer in the box first")
        offer, question = await self._own_open_offer(who, data)
        if offer.status not in ("offered", "accepted"):
            return f"“{cards.safe(question.title, 120)}” was already answered or moved on."
        await self._s.expertise.answer(who.org_id, question.id, who.person.id, text)
        thread = await self._s.teams.thread_for(who.org_id, question.id)
        where = " and in the channel where it was asked" if thread is not None else ""
        return f"Thank you! Your answer went to the colleague who asked{where}."

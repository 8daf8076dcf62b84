"""Finding experts, asking questions and booking office hours from Teams.

Each handler takes the resolved person and the command or card data and returns a reply (text
or card). Card data is checked here (`BadPayload` → 400); everything else is the core's call,
whose `PeerlearnError`s the bot turns into friendly text.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from botbuilder.core import TurnContext

from bot import cards
from bot.parsing import BadPayload, Command, Intent
from core.errors import Forbidden, InvalidInput, PeerlearnError
from core.timezones import to_local

if TYPE_CHECKING:
    from bot.handler import PeerlearnBot, Reply, Who

log = logging.getLogger(__name__)

SLOT_DAYS = 21
MAX_SLOTS = 6

INTENTS: tuple[Intent, ...] = (
    Intent(
        "find",
        (
            "find an expert for",
            "find an expert on",
            "find an expert",
            "find expert",
            "find experts",
            "who knows about",
            "who knows",
            "expert on",
            "experts on",
            "find",
        ),
        "find kubernetes networking",
        "colleagues who know a topic, with their next free office hours",
    ),
    Intent(
        "ask",
        ("ask the experts", "ask experts", "ask a question", "question", "ask"),
        "ask How do I rotate our SAML certificate?",
        "see earlier answers first, then reach the experts",
    ),
    Intent(
        "rate",
        ("rate a session", "rate my session", "rate", "feedback"),
        "rate",
        "rate your last office-hours session",
    ),
    Intent(
        "bookings",
        ("my bookings", "bookings", "my sessions", "booked"),
        "my bookings",
        "your upcoming office hours, to cancel or check",
    ),
)


def uuid_field(data: Mapping[str, Any], name: str) -> UUID:
    try:
        return UUID(str(data.get(name)))
    except ValueError:
        raise BadPayload(f"{name} is missing or not an id") from None


def _start(data: Mapping[str, Any]) -> datetime:
    try:
        start = datetime.fromisoformat(str(data.get("start")))
    except ValueError:
        raise BadPayload("start is not a time") from None
    if start.tzinfo is None:
        raise BadPayload("start needs a UTC offset")
    return start


def when(moment: datetime, zone_name: str) -> str:
    local = to_local(moment, zone_name)
    return f"{local:%a %d %b, %H:%M}"


def install(bot: PeerlearnBot) -> None:
    """Add these intents, commands and card verbs to the bot."""
    bot.intents.extend(INTENTS)
    flows = Flows(bot)
    bot.commands.update(
        {
            "find": flows.find,
            "ask": flows.ask_command,
            "bookings": flows.mine_command,
            "rate": flows.rate_command,
        }
    )
    bot.actions.update(
        {
            "booking.slots": flows.slots,
            "booking.book": flows.book,
            "booking.cancel": flows.cancel,
            "booking.reschedule_times": flows.reschedule_times,
            "booking.reschedule": flows.reschedule,
            "booking.rate": flows.rate,
            "booking.mine": flows.mine,
            "booking.claim": flows.claim,
            "booking.release": flows.release,
            "question.ask": flows.ask_action,
            "question.route": flows.route,
            "question.resolved": flows.resolved,
            "offer.accept": flows.accept_offer,
            "offer.decline": flows.decline_offer,
            "offer.suggest": flows.suggest_colleague,
        }
    )
    bot.message_action = flows.ask_from_message


class Flows:
    def __init__(self, bot: PeerlearnBot) -> None:
        self._bot = bot

    @property
    def _s(self) -> Any:
        return self._bot.services

    # find an expert -------------------------------------------------------------------------
    async def find(self, ctx: TurnContext, who: Who, command: Command) -> Reply:
        topic = command.argument.strip()
        if len(topic) < 2:
            return "What should they know about? For example **find kubernetes networking**."
        result = await self._s.expertise.match(who.org_id, topic, asker_id=who.person.id, top=3)
        # the match already looked up each expert's next free slot; names come from a
        # short-lived cache, so a turn costs the match and nothing else
        people = await self._bot.people_view(who.org_id, [e.person_id for e in result.experts])
        experts = []
        for expert in result.experts:
            person = people.get(expert.person_id)
            if person is None:
                continue
            slot = expert.next_free
            experts.append(
                {
                    "person_id": person.id,
                    "name": person.name,
                    "email": person.email,
                    "time_zone": person.time_zone,
                    "reasons": list(expert.reasons),
                    "next_free": when(slot, who.person.time_zone) if slot else None,
                }
            )
        return cards.experts_card(topic, experts)

    # office hours -----------------------------------------------------------------------------
    async def slots(self, ctx: TurnContext, who: Who, data: Mapping[str, Any]) -> Reply:
        host_id = uuid_field(data, "host_id")
        host = await self._s.people.get_person(who.org_id, host_id)
        found = await self._free_slots(
            who, await self._s.office_hours.list_types(who.org_id, host_id), include_full=True
        )
        return cards.slots_card(host.name, found, who.person.time_zone)

    async def _free_slots(
        self, who: Who, types: Any, *, include_full: bool = False
    ) -> list[dict[str, Any]]:
        """Bookable slots soonest first; with `include_full`, full ones too (to join their
        waitlist)."""
        now = self._s.clock.now()
        found: list[dict[str, Any]] = []
        for t in types:
            for slot in await self._s.office_hours.slots(
                who.org_id, t.id, now, now + timedelta(days=SLOT_DAYS), include_full=include_full
            ):
                found.append(
                    {
                        "type_id": t.id,
                        "title": t.title,
                        "start": slot.start_utc.isoformat(),
                        "label": when(slot.start_utc, who.person.time_zone),
                        "sort": slot.start_utc,
                        "full": slot.seats_left <= 0,
                    }
                )
        found.sort(key=lambda s: s["sort"])
        return found[:MAX_SLOTS]

    async def _own_booking(self, who: Who, data: Mapping[str, Any]) -> Any:
        booking = await self._s.office_hours.get_booking(who.org_id, uuid_field(data, "booking_id"))
        if booking.person_id != who.person.id:
            raise Forbidden("that booking is not yours")
        return booking

    async def reschedule_times(self, ctx: TurnContext, who: Who, data: Mapping[str, Any]) -> Reply:
        booking = await self._own_booking(who, data)
        t = await self._s.office_hours.get_type(who.org_id, booking.type_id)
        host = await self._s.people.get_person(who.org_id, booking.host_id)
        found = [s for s in await self._free_slots(who, [t]) if s["sort"] != booking.start_utc]
        return cards.slots_card(
            host.name,
            found,
            who.person.time_zone,
            verb="booking.reschedule",
            extra={"booking_id": str(booking.id)},
        )

    async def reschedule(self, ctx: TurnContext, who: Who, data: Mapping[str, Any]) -> Reply:
        booking = await self._own_booking(who, data)
        start = _start(data)
        moved = await self._s.office_hours.reschedule(who.org_id, booking.id, start)
        return await self._booking_card(who, moved)

    async def rate_command(self, ctx: TurnContext, who: Who, command: Command) -> Reply:
        now = self._s.clock.now()
        past = await self._s.office_hours.bookings_for_person(
            who.org_id, who.person.id, upcoming=False, limit=50
        )
        done = [
            b
            for b in past
            if b.status == "confirmed"
            and b.end_utc <= now
            and b.rating is None
            and b.attendance != "no_show"
        ]
        if not done:
            return "No finished sessions to rate. Thank you for the feedback so far!"
        latest = max(done, key=lambda b: b.end_utc)
        return cards.rate_card(await self._view(who, latest))

    async def rate(self, ctx: TurnContext, who: Who, data: Mapping[str, Any]) -> Reply:
        booking = await self._own_booking(who, data)
        try:
            stars = int(str(data.get("stars")))
        except ValueError:
            raise BadPayload("pick 1 to 5 stars") from None
        comment = data.get("comment") if isinstance(data.get("comment"), str) else ""
        await self._s.office_hours.rate(who.org_id, booking.id, stars, comment)
        return "Thank you! Your rating helps colleagues pick the right expert."

    async def book(self, ctx: TurnContext, who: Who, data: Mapping[str, Any]) -> Reply:
        type_id = uuid_field(data, "type_id")
        start = _start(data)
        key = f"teams:{ctx.activity.id}" if ctx.activity.id else None
        result = await self._s.office_hours.book(
            who.org_id, type_id, who.person.id, start, idempotency_key=key
        )
        return await self._booking_card(who, result.booking)

    async def cancel(self, ctx: TurnContext, who: Who, data: Mapping[str, Any]) -> Reply:
        booking_id = uuid_field(data, "booking_id")
        booking = await self._s.office_hours.get_booking(who.org_id, booking_id)
        if booking.person_id != who.person.id:
            raise Forbidden("that booking is not yours to cancel")
        if booking.status in ("cancelled", "declined"):
            return await self._booking_card(who, booking)
        booking = await self._s.office_hours.cancel(
            who.org_id, booking_id, "cancelled in Teams", by=who.person.id
        )
        return await self._booking_card(who, booking)

    async def mine_command(self, ctx: TurnContext, who: Who, command: Command) -> Reply:
        return await self.mine(ctx, who, {})

    async def mine(self, ctx: TurnContext, who: Who, data: Mapping[str, Any]) -> Reply:
        bookings = await self._s.office_hours.bookings_for_person(
            who.org_id, who.person.id, limit=10
        )
        views = [await self._view(who, b) for b in bookings]
        return cards.bookings_card(views, who.person.time_zone)

    async def _booking_card(self, who: Who, booking: Any) -> Reply:
        view = await self._view(who, booking)
        if booking.status == "waitlisted":
            line = await self._s.office_hours.waitlist(
                who.org_id, booking.type_id, booking.start_utc
            )
            ids = [b.id for b in line]
            view["position"] = ids.index(booking.id) + 1 if booking.id in ids else None
            return cards.waitlist_card(view)
        return cards.booking_card(view)

    async def claim(self, ctx: TurnContext, who: Who, data: Mapping[str, Any]) -> Reply:
        """ "Keep my seat" on the seat-offered notice: the seat is already held; confirm it."""
        booking = await self._own_booking(who, data)
        if booking.status in ("cancelled", "declined"):
            return "That seat was given back, so it went to the next person in line."
        return await self._booking_card(who, booking)

    async def release(self, ctx: TurnContext, who: Who, data: Mapping[str, Any]) -> Reply:
        """ "Give it back" on the seat-offered notice: the next person in line gets the seat."""
        booking = await self._own_booking(who, data)
        if booking.status in ("cancelled", "declined"):
            return "You already gave that seat back. Thank you!"
        await self._s.office_hours.release(who.org_id, booking.id)
        return "Done: the seat goes to the next person in line. Thank you for letting it go!"

    async def _view(self, who: Who, booking: Any) -> dict[str, Any]:
        t = await self._s.office_hours.get_type(who.org_id, booking.type_id)
        host = await self._s.people.get_person(who.org_id, booking.host_id)
        return {
            "id": booking.id,
            "title": t.title,
            "host": host.name,
            "when": when(booking.start_utc, who.person.time_zone),
            "status": booking.status,
            "join_url": getattr(booking, "join_url", "") if booking.status == "confirmed" else "",
        }

    # questions ------------------------------------------------------------------------------
    async def ask_command(self, ctx: TurnContext, who: Who, command: Command) -> Reply:
        if len(command.argument.strip()) < 5:
            return "What would you like to know? For example **ask How do I rotate our SAML certificate?**"
        return await self._ask(ctx, who, command.argument)

    async def ask_action(self, ctx: TurnContext, who: Who, data: Mapping[str, Any]) -> Reply:
        text = data.get("text")
        if not isinstance(text, str) or not text.strip():
            raise BadPayload("the question text is missing")
        return await self._ask(ctx, who, text)

    async def _ask(self, ctx: TurnContext, who: Who, text: str) -> Reply:
        question, reuse = await self._s.expertise.ask(who.org_id, who.person.id, text)
        thread = self._bot.thread_reference(ctx, who)
        if thread is not None:
            # asked in a channel or group chat: the answer comes back to this thread
            try:
                await self._s.teams.remember_thread(question.id, thread)
            except PeerlearnError as exc:
                # the question stands; its answer then reaches the asker's own chat only
                log.info("question thread not stored: %s", exc.code)
        hits: list[dict[str, Any]] = [
            {
                "title": r.question.title,
                "answer": r.answer.text if r.answer else "",
                "question_id": str(r.question.id),
            }
            for r in reuse.questions
        ]
        hits += [{"title": r.title, "url": r.url, "resource_id": r.id} for r in reuse.resources]
        return cards.reuse_card(str(question.id), question.title, hits)

    async def _own_question(self, who: Who, data: Mapping[str, Any]) -> UUID:
        question_id = uuid_field(data, "question_id")
        question, _, _ = await self._s.expertise.question(who.org_id, question_id)
        if question.asker_id != who.person.id:
            raise Forbidden("only the person who asked can do that")
        return question_id

    async def route(self, ctx: TurnContext, who: Who, data: Mapping[str, Any]) -> Reply:
        question_id = await self._own_question(who, data)
        offers = await self._s.expertise.route(who.org_id, question_id)
        if not offers:
            return "Nobody who knows this is available right now. I will keep trying and tell you here."
        return (
            f"I asked {len(offers)} colleague{'s' if len(offers) != 1 else ''} who know this. "
            "You will hear from them here."
        )

    async def resolved(self, ctx: TurnContext, who: Who, data: Mapping[str, Any]) -> Reply:
        question_id = await self._own_question(who, data)
        reused = data.get("reused_question_id")
        resource = data.get("resource_id")
        await self._s.expertise.resolve_by_reuse(
            who.org_id,
            question_id,
            by=who.person.id,
            reused_question_id=uuid_field(data, "reused_question_id") if reused else None,
            resource_id=resource if isinstance(resource, str) and resource else None,
        )
        return "Glad that helped. Nobody was disturbed."

    async def ask_from_message(self, ctx: TurnContext, who: Who, text: str) -> str:
        if len(text) < 5:
            raise InvalidInput("that message is too short to ask about")
        question, _ = await self._s.expertise.ask(who.org_id, who.person.id, text)
        where = "in your chat with me"
        thread = self._bot.message_thread_reference(ctx, who)
        if thread is not None:
            # used on a message in a channel or group chat: the answer comes back there
            try:
                await self._s.teams.remember_thread(question.id, thread)
                where = "in this conversation and in your chat with me"
            except PeerlearnError as exc:
                log.info("question thread not stored: %s", exc.code)
        offers = await self._s.expertise.route(who.org_id, question.id)
        if not offers:
            return f"Saved “{cards.plain(question.title, 120)}”. Nobody who knows it is free now; I will keep trying."
        return (
            f"I asked {len(offers)} colleague{'s' if len(offers) != 1 else ''} about "
            f"“{cards.plain(question.title, 120)}”. You will hear back {where}."
        )

    # experts answering offers ---------------------------------------------------------------
    async def accept_offer(self, ctx: TurnContext, who: Who, data: Mapping[str, Any]) -> Reply:
        offer_id = uuid_field(data, "offer_id")
        await self._s.expertise.accept_offer(who.org_id, offer_id, who.person.id)
        return "Thank you! The colleague who asked knows you are on it."

    async def decline_offer(self, ctx: TurnContext, who: Who, data: Mapping[str, Any]) -> Reply:
        offer_id = uuid_field(data, "offer_id")
        reason = data.get("reason")
        if not isinstance(reason, str):
            reason = ""
        await self._s.expertise.decline_offer(who.org_id, offer_id, who.person.id, reason)
        return "Understood. I will ask someone else."

    async def suggest_colleague(self, ctx: TurnContext, who: Who, data: Mapping[str, Any]) -> Reply:
        offer_id = uuid_field(data, "offer_id")
        email = data.get("colleague")
        if not isinstance(email, str) or "@" not in email:
            raise InvalidInput("type the email of the colleague who knows better")
        async with self._s.uow() as uow:
            colleague = await uow.people.get_by_email(who.org_id, email.strip().lower())
        if colleague is None:
            raise InvalidInput(f"nobody with {email.strip()[:80]} uses peerlearn here yet")
        reason = data.get("reason") if isinstance(data.get("reason"), str) else ""
        await self._s.expertise.suggest_colleague(
            who.org_id, offer_id, who.person.id, colleague.id, reason
        )
        return f"Thanks: I passed the question to {cards.plain(colleague.name, 120)}."

"""For experts: skills on the profile, pausing (vacation), this week's load, and their office
hours (list, pause, add a weekly slot from a card form)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from botbuilder.core import TurnContext

from bot import cards
from bot.parsing import BadPayload, Command, Intent
from core.errors import InvalidInput
from core.timezones import ensure_utc, zone

if TYPE_CHECKING:
    from bot.handler import PeerlearnBot, Reply, Who

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DURATION = re.compile(r"^(\d{1,2})\s*(day|days|d|week|weeks|w)$")
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")

INTENTS: tuple[Intent, ...] = (
    Intent("skills", ("my skills", "skills"), "skills", "your skills and levels (add or remove)"),
    Intent(
        "pause",
        ("pause", "vacation", "away"),
        "pause 2 weeks",
        "no routed questions for a while (resume to come back)",
    ),
    Intent("resume", ("resume", "unpause", "back"), "resume", "take routed questions again"),
    Intent(
        "load",
        ("my load", "load", "this week"),
        "my load",
        "routed questions and office-hours time this week",
    ),
    Intent(
        "my_office_hours",
        ("my office hours", "office hours", "availability"),
        "my office hours",
        "your office hours: pause them or add weekly times",
    ),
)


def install(bot: PeerlearnBot) -> None:
    bot.intents.extend(INTENTS)
    tools = ExpertTools(bot)
    bot.commands.update(
        {
            "skills": tools.skills_command,
            "pause": tools.pause,
            "resume": tools.resume,
            "load": tools.load,
            "my_office_hours": tools.office_hours_command,
        }
    )
    bot.actions.update(
        {
            "skills.show": tools.skills_action,
            "skills.add": tools.add_skill,
            "skills.remove": tools.remove_skill,
            "hours.show": tools.office_hours_action,
            "hours.pause": tools.pause_type,
            "hours.resume": tools.resume_type,
            "hours.add": tools.add_hours,
        }
    )


class ExpertTools:
    def __init__(self, bot: PeerlearnBot) -> None:
        self._bot = bot

    @property
    def _s(self) -> Any:
        return self._bot.services

    # skills -----------------------------------------------------------------------------------
    async def _declared(self, who: Who) -> dict[str, int]:
        view = await self._s.expertise.profile(who.org_id, who.person.id)
        return {s.skill.name: s.level for s in view.skills if s.level > 0}

    async def _skills_card(self, who: Who) -> Reply:
        return cards.skills_card(await self._declared(who))

    async def skills_command(self, ctx: TurnContext, who: Who, command: Command) -> Reply:
        return await self._skills_card(who)

    async def skills_action(self, ctx: TurnContext, who: Who, data: Mapping[str, Any]) -> Reply:
        return await self._skills_card(who)

    async def add_skill(self, ctx: TurnContext, who: Who, data: Mapping[str, Any]) -> Reply:
        name = data.get("skill")
        level = data.get("level")
        if not isinstance(name, str) or not name.strip():
            raise BadPayload("name the skill")
        try:
            value = int(str(level))
        except ValueError:
            raise BadPayload("the level is 1 to 5") from None
        declared = await self._declared(who)
        declared[" ".join(name.split())[:100]] = value
        await self._s.expertise.update_profile(who.org_id, who.person.id, skills=declared)
        return await self._skills_card(who)

    async def remove_skill(self, ctx: TurnContext, who: Who, data: Mapping[str, Any]) -> Reply:
        name = data.get("skill")
        if not isinstance(name, str):
            raise BadPayload("which skill?")
        declared = await self._declared(who)
        declared.pop(name, None)
        await self._s.expertise.update_profile(who.org_id, who.person.id, skills=declared)
        return await self._skills_card(who)

    # availability -----------------------------------------------------------------------------
    async def pause(self, ctx: TurnContext, who: Who, command: Command) -> Reply:
        arg = command.argument.strip().lower() or "1 week"
        now = self._s.clock.now()
        match = _DURATION.match(arg)
        if match:
            amount = int(match.group(1))
            days = amount * (7 if match.group(2).startswith("w") else 1)
            until = now + timedelta(days=days)
        else:
            try:
                until = ensure_utc(
                    datetime.fromisoformat(arg.removeprefix("until ").strip()).replace(
                        tzinfo=zone(who.person.time_zone)
                    )
                )
            except ValueError:
                raise InvalidInput(
                    "say how long, e.g. **pause 2 weeks** or **pause until 2026-04-10**"
                ) from None
        if until <= now or until - now > timedelta(days=366):
            raise InvalidInput("a pause ends in the future and within a year")
        await self._s.expertise.update_profile(who.org_id, who.person.id, paused_until=until)
        local = until.astimezone(zone(who.person.time_zone))
        return (
            f"Paused until {local:%a %d %b %Y}: nobody routes questions to you until then. "
            "Type **resume** to come back earlier."
        )

    async def resume(self, ctx: TurnContext, who: Who, command: Command) -> Reply:
        await self._s.expertise.update_profile(who.org_id, who.person.id, clear_pause=True)
        return "Welcome back: colleagues can reach you again."

    async def load(self, ctx: TurnContext, who: Who, command: Command) -> Reply:
        from core.expertise.ranking import week_start

        start = week_start(self._s.clock.now())
        hours = await self._s.office_hours.load_hours(who.org_id, [who.person.id], start)
        async with self._s.uow() as uow:
            requests = await uow.expertise.requests_since(who.org_id, [who.person.id], start)
        view = await self._s.expertise.profile(who.org_id, who.person.id)
        return cards.load_card(
            requests.get(who.person.id, 0),
            view.profile.weekly_request_cap,
            hours.get(who.person.id, 0.0),
            view.profile.weekly_hours_cap,
        )

    # office hours -----------------------------------------------------------------------------
    async def _hours_card(self, who: Who) -> Reply:
        types = await self._s.office_hours.list_types(
            who.org_id, who.person.id, include_inactive=True
        )
        rows = [
            {
                "id": t.id,
                "title": t.title,
                "paused": t.paused,
                "rules": ", ".join(f"{WEEKDAYS[r.weekday].title()} {_window(r)}" for r in t.rules),
                "time_zone": t.time_zone,
            }
            for t in types
            if not t.archived
        ]
        return cards.office_hours_card(rows)

    async def office_hours_command(self, ctx: TurnContext, who: Who, command: Command) -> Reply:
        return await self._hours_card(who)

    async def office_hours_action(
        self, ctx: TurnContext, who: Who, data: Mapping[str, Any]
    ) -> Reply:
        return await self._hours_card(who)

    async def _own_type(self, who: Who, data: Mapping[str, Any]) -> Any:
        from bot.features import uuid_field

        t = await self._s.office_hours.get_type(who.org_id, uuid_field(data, "type_id"))
        if t.host_id != who.person.id:
            from core.errors import Forbidden

            raise Forbidden("those office hours are not yours")
        return t

    async def pause_type(self, ctx: TurnContext, who: Who, data: Mapping[str, Any]) -> Reply:
        t = await self._own_type(who, data)
        await self._s.office_hours.set_paused(who.org_id, t.id, True)
        return await self._hours_card(who)

    async def resume_type(self, ctx: TurnContext, who: Who, data: Mapping[str, Any]) -> Reply:
        t = await self._own_type(who, data)
        await self._s.office_hours.set_paused(who.org_id, t.id, False)
        return await self._hours_card(who)

    async def add_hours(self, ctx: TurnContext, who: Who, data: Mapping[str, Any]) -> Reply:
        title, weekday = data.get("title"), data.get("weekday")
        start, end = data.get("start"), data.get("end")
        if not isinstance(title, str) or weekday not in WEEKDAYS:
            raise BadPayload("the form needs a title and a weekday")
        if not isinstance(start, str) or not isinstance(end, str):
            raise BadPayload("the form needs a start and an end time")
        if not _TIME.match(start) or not _TIME.match(end):
            raise InvalidInput("times look like 09:00")
        await self._s.office_hours.create_type(
            who.org_id,
            who.person.id,
            {"title": title, "rules": [{"weekday": weekday, "start": start, "end": end}]},
        )
        return await self._hours_card(who)


def _window(rule: Any) -> str:
    window = getattr(rule, "window", None)
    start = getattr(window, "start", None)
    end = getattr(window, "end", None)
    if start is None or end is None:
        return ""
    return f"{start:%H:%M}–{end:%H:%M}"

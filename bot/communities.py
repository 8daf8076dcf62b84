"""Communities from Teams: list, join and leave, share a tip or prompt, search the library,
and link a team channel to a community."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from botbuilder.core import TurnContext

from bot import cards
from bot.parsing import BadPayload, Command, Intent, edit_distance
from core.errors import InvalidInput, NotFound

if TYPE_CHECKING:
    from bot.handler import PeerlearnBot, Reply, Who

KINDS = ("tip", "prompt", "resource")

INTENTS: tuple[Intent, ...] = (
    Intent(
        "communities",
        ("communities", "list communities", "my communities", "community list"),
        "communities",
        "communities you can join, with join and leave buttons",
    ),
    Intent("join", ("join community", "join"), "join Platform guild", "join a community"),
    Intent("leave", ("leave community", "leave"), "leave Platform guild", "leave a community"),
    Intent(
        "share",
        ("share a tip", "share tip", "share a prompt", "share prompt", "share"),
        "share",
        "share a tip, prompt or resource with a community",
    ),
    Intent(
        "library",
        ("search library", "search the library", "library", "search"),
        "library helm charts",
        "search your communities' tips, prompts and resources",
    ),
    Intent(
        "link",
        ("link community", "link this channel to", "link channel to", "link"),
        "link community Platform guild",
        "(in a team channel) post this community's news here",
    ),
)


def install(bot: PeerlearnBot) -> None:
    bot.intents.extend(INTENTS)
    flows = CommunityFlows(bot)
    bot.commands.update(
        {
            "communities": flows.list_command,
            "join": flows.join_command,
            "leave": flows.leave_command,
            "share": flows.share_command,
            "library": flows.library,
            "link": flows.link,
        }
    )
    bot.actions.update(
        {
            "community.list": flows.list_action,
            "community.join": flows.join_action,
            "community.leave": flows.leave_action,
            "community.share": flows.share_action,
            "showandtell.attend": flows.attend_action,
            "showandtell.leave": flows.leave_show_action,
        }
    )


def best_named(views: Sequence[Any], name: str) -> Any:
    """The community whose name matches `name` exactly, by prefix, or within a typo or two."""
    wanted = " ".join(name.lower().split())
    if not wanted:
        raise InvalidInput("which community? Type **communities** to see them")
    names = [(v, v.community.name.lower()) for v in views]
    for view, have in names:
        if have == wanted:
            return view
    prefixed = [v for v, have in names if have.startswith(wanted)]
    if len(prefixed) == 1:
        return prefixed[0]
    close = sorted(
        ((edit_distance(wanted, have), v) for v, have in names), key=lambda pair: pair[0]
    )
    if close and close[0][0] <= 2 and (len(close) == 1 or close[1][0] > close[0][0]):
        return close[0][1]
    raise NotFound(f"no community called “{name[:80]}”; type **communities** to see them")


class CommunityFlows:
    def __init__(self, bot: PeerlearnBot) -> None:
        self._bot = bot

    @property
    def _c(self) -> Any:
        return self._bot.services.communities

    async def _views(self, who: Who) -> list[Any]:
        return list(await self._c.list_communities(who.org_id, who.person.id))

    async def list_command(self, ctx: TurnContext, who: Who, command: Command) -> Reply:
        return await self.list_action(ctx, who, {})

    async def list_action(self, ctx: TurnContext, who: Who, data: Mapping[str, Any]) -> Reply:
        rows = [
            {
                "id": v.community.id,
                "name": v.community.name,
                "purpose": v.community.purpose,
                "members": v.members,
                "status": v.membership.status if v.membership else None,
            }
            for v in await self._views(who)
        ]
        return cards.communities_card(rows)

    async def join_command(self, ctx: TurnContext, who: Who, command: Command) -> Reply:
        view = best_named(await self._views(who), command.argument)
        return await self._join(who, view.community.id, view.community.name)

    async def join_action(self, ctx: TurnContext, who: Who, data: Mapping[str, Any]) -> Reply:
        from bot.features import uuid_field

        community_id = uuid_field(data, "community_id")
        view = await self._c.get_community(who.org_id, community_id, who.person.id)
        await self._join(who, community_id, view.community.name)
        return await self.list_action(ctx, who, {})

    async def _join(self, who: Who, community_id: Any, name: str) -> Reply:
        membership = await self._c.join(who.org_id, community_id, who.person.id)
        if membership.status == "pending":
            return f"Asked to join **{cards.safe(name, 120)}**; a facilitator will approve it."
        return f"Welcome to **{cards.safe(name, 120)}**."

    async def leave_command(self, ctx: TurnContext, who: Who, command: Command) -> Reply:
        view = best_named(await self._views(who), command.argument)
        await self._c.leave(who.org_id, view.community.id, who.person.id)
        return f"You left **{cards.safe(view.community.name, 120)}**."

    async def leave_action(self, ctx: TurnContext, who: Who, data: Mapping[str, Any]) -> Reply:
        from bot.features import uuid_field

        await self._c.leave(who.org_id, uuid_field(data, "community_id"), who.person.id)
        return await self.list_action(ctx, who, {})

    async def attend_action(self, ctx: TurnContext, who: Who, data: Mapping[str, Any]) -> Reply:
        """ "Attend" on a show-and-tell agenda: a place in the audience (no demo slot taken);
        pressing it again keeps the one place."""
        from bot.features import _start, uuid_field, when

        community_id = uuid_field(data, "community_id")
        seat = await self._c.attend_show_and_tell(
            who.org_id, community_id, who.person.id, _start(data)
        )
        at = when(seat.start, who.person.time_zone)
        if not seat.audience:
            return f"You demo at the show-and-tell on {at}, so you are there already."
        return (
            f"You are coming to watch the show-and-tell on {at} ({who.person.time_zone}). "
            "The invitation is on its way to your calendar."
        )

    async def leave_show_action(self, ctx: TurnContext, who: Who, data: Mapping[str, Any]) -> Reply:
        """ "Can't come" on a show-and-tell agenda: the audience place is given up."""
        from bot.features import _start, uuid_field, when

        community_id = uuid_field(data, "community_id")
        left = await self._c.leave_show_and_tell(
            who.org_id, community_id, who.person.id, _start(data)
        )
        if left is None:
            return "You were not signed up to watch that session, so nothing changed."
        at = when(left.start, who.person.time_zone)
        return f"Noted: you no longer attend the show-and-tell on {at}."

    async def share_command(self, ctx: TurnContext, who: Who, command: Command) -> Reply:
        mine = [
            {"id": v.community.id, "name": v.community.name}
            for v in await self._views(who)
            if v.membership is not None and v.membership.status == "active"
        ]
        if not mine:
            return "Join a community first: type **communities**."
        kind = "prompt" if "prompt" in command.text.lower() else "tip"
        return cards.share_form_card(mine, kind)

    async def share_action(self, ctx: TurnContext, who: Who, data: Mapping[str, Any]) -> Reply:
        from bot.features import uuid_field

        community_id = uuid_field(data, "community_id")
        kind = data.get("kind")
        title = data.get("title")
        body = data.get("body") or ""
        if kind not in KINDS or not isinstance(title, str) or not isinstance(body, str):
            raise BadPayload("the form needs a kind, a title and a text")
        fields: dict[str, Any] = {"body": body}
        if kind == "prompt":
            fields = {"body": "", "prompt_text": body}
        post = await self._c.create_post(
            who.org_id, community_id, who.person.id, kind, title, **fields
        )
        return f"Shared “{cards.safe(post.title, 120)}”. Thank you!"

    async def library(self, ctx: TurnContext, who: Who, command: Command) -> Reply:
        text = command.argument.strip()
        if len(text) < 2:
            return "What should I look for? For example **library helm charts**."
        results = await self._c.search(who.org_id, text[:200], who.person.id, limit=5)
        hits = [
            {"title": r.post.title, "kind": r.post.kind, "text": r.post.body or r.post.prompt_text}
            for r in results
        ]
        return cards.library_card(text, hits)

    async def link(self, ctx: TurnContext, who: Who, command: Command) -> Reply:
        activity = ctx.activity
        data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
        channel = data.get("channel") if isinstance(data.get("channel"), dict) else None
        kind = activity.conversation.conversation_type if activity.conversation else None
        if kind != "channel" or not channel or not channel.get("id"):
            return (
                "Linking works in a team channel: @mention me there with **link community <name>**."
            )
        view = best_named(await self._views(who), command.argument)
        await self._c.update_community(
            who.org_id, view.community.id, who.person.id, teams_channel_id=str(channel["id"])
        )
        return f"This channel is now linked to **{cards.safe(view.community.name, 120)}**."

"""The Teams bot: activities in, core use cases, cards out.

Thin on purpose: identity comes from the core's `resolve_person`, every reply is a card from
`bot/cards.py`, every expected failure is a `PeerlearnError` turned into friendly text.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from uuid import UUID

from botbuilder.core import CardFactory, InvokeResponse, MessageFactory, TurnContext
from botbuilder.core.teams import TeamsActivityHandler
from botbuilder.schema import (
    Activity,
    Attachment,
)
from botbuilder.schema.teams import (
    MessagingExtensionAction,
    MessagingExtensionActionResponse,
    MessagingExtensionAttachment,
    MessagingExtensionQuery,
    MessagingExtensionResponse,
    MessagingExtensionResult,
    TaskModuleMessageResponse,
)

from bot import cards, communities, expert_tools, features, requests
from bot.parsing import BadPayload, Command, Intent, parse, strip_mentions, suggestions
from core.errors import Forbidden, PeerlearnError, UnknownOrganisation
from core.people.model import ExternalIdentity, Person
from core.people.service import IdentityHints
from core.services import Services
from core.teams.model import (
    ConversationRef,
    ConversationType,
    conversation_type,
    thread_conversation_id,
)
from core.timezones import zone

log = logging.getLogger(__name__)

ERROR_TYPE = "application/vnd.microsoft.error"
MESSAGE_TYPE = "application/vnd.microsoft.activity.message"
SEARCH_COMMAND = "searchColleagues"
ASK_COMMAND = "askExperts"
_MAX_QUESTION = 4000
#: seconds a resolved person is reused without asking the database again
PERSON_TTL = 30.0


@dataclass(frozen=True)
class Who:
    person: Person

    @property
    def org_id(self) -> UUID:
        return self.person.organisation_id


Reply = str | dict[str, Any]
ActionHandler = Callable[[TurnContext, Who, Mapping[str, Any]], Awaitable[Reply]]
CommandHandler = Callable[[TurnContext, Who, Command], Awaitable[Reply]]

INTENTS: tuple[Intent, ...] = (
    Intent(
        "help",
        ("help", "what can you do", "commands", "menu", "start", "hi", "hello there"),
        "help",
        "what I can do",
    ),
    Intent(
        "profile",
        ("profile", "my profile", "settings", "about me"),
        "profile",
        "your profile and the time zone times are shown in",
    ),
    Intent(
        "timezone",
        ("set time zone", "set timezone", "my time zone", "time zone", "timezone", "tz"),
        "time zone Europe/Berlin",
        "show times in another time zone",
    ),
    Intent(
        "who",
        ("who is", "find colleague", "find person", "colleagues", "people", "who"),
        "who is Jonas",
        "find a colleague by name and chat with them",
    ),
)


class PeerlearnBot(TeamsActivityHandler):  # type: ignore[misc]
    def __init__(self, services: Services, *, remember_limit: int = 10_000) -> None:
        super().__init__()
        self.services = services
        # conversation id → what we last stored, so unchanged references are not rewritten
        self._remembered: OrderedDict[str, tuple[str, str]] = OrderedDict()
        self._remember_limit = remember_limit
        # (tenant, AAD object id) → (monotonic time, person): a short-lived cache of identities
        self._people: OrderedDict[tuple[str, str], tuple[float, Person]] = OrderedDict()
        # (organisation, person) → (monotonic time, person): people shown on cards
        self._shown: OrderedDict[tuple[UUID, UUID], tuple[float, Person]] = OrderedDict()
        self.intents: list[Intent] = list(INTENTS)
        self.commands: dict[str, CommandHandler] = {
            "help": self._cmd_help,
            "greeting": self._cmd_help,
            "profile": self._cmd_profile,
            "timezone": self._cmd_timezone,
            "who": self._cmd_who,
        }
        self.actions: dict[str, ActionHandler] = {
            "help": self._act_help,
            "profile": self._act_profile,
            "profile.set_time_zone": self._act_set_time_zone,
        }
        self.message_action: Callable[[TurnContext, Who, str], Awaitable[str]] | None = None
        features.install(self)
        communities.install(self)
        expert_tools.install(self)
        requests.install(self)

    # identity -----------------------------------------------------------------------------
    async def who(self, ctx: TurnContext) -> Who:
        """The person behind this activity; cached for the turn."""
        cached = ctx.turn_state.get("peerlearn.who")
        if isinstance(cached, Who):
            return cached
        activity = ctx.activity
        tenant = _tenant_id(activity)
        aad = (
            getattr(activity.from_property, "aad_object_id", None)
            if activity.from_property
            else None
        )
        if not tenant or not aad:
            raise Forbidden(
                "I can only help people signed in to Microsoft Teams in an organisation"
            )
        time_zone = activity.local_timezone if _is_zone(activity.local_timezone) else None
        key = (tenant.lower(), aad)
        person = self._recent_person(key, time_zone)
        if person is None:
            person = await self.services.people.resolve_person(
                ExternalIdentity("teams", tenant.lower(), aad),
                IdentityHints(
                    name=(activity.from_property.name or None) if activity.from_property else None,
                    time_zone=time_zone,
                    locale=activity.locale,
                ),
            )
            self._people[key] = (time.monotonic(), person)
            while len(self._people) > self._remember_limit:
                self._people.popitem(last=False)
        result = Who(person)
        ctx.turn_state["peerlearn.who"] = result
        await self._remember(ctx, result)
        return result

    def _recent_person(self, key: tuple[str, str], time_zone: str | None) -> Person | None:
        """A person resolved in the last few seconds (saves a transaction per turn); the
        database stays the truth, so a changed time zone or an old entry resolves again."""
        entry = self._people.get(key)
        if entry is None:
            return None
        at, person = entry
        if time.monotonic() - at > PERSON_TTL or (time_zone and time_zone != person.time_zone):
            self._people.pop(key, None)
            return None
        return person

    async def people_view(self, org_id: UUID, ids: list[UUID]) -> dict[UUID, Person]:
        """People to show (names, emails, zones), from a cache of `PERSON_TTL` seconds: the same
        experts come up turn after turn, and a name changed a few seconds ago can wait."""
        now = time.monotonic()
        found: dict[UUID, Person] = {}
        missing: list[UUID] = []
        for pid in ids:
            entry = self._shown.get((org_id, pid))
            if entry is not None and now - entry[0] <= PERSON_TTL:
                found[pid] = entry[1]
            else:
                missing.append(pid)
        if missing:
            async with self.services.uow() as uow:
                for person in await uow.people.get_many(org_id, missing):
                    found[person.id] = person
                    self._shown[(org_id, person.id)] = (now, person)
                    self._shown.move_to_end((org_id, person.id))
            while len(self._shown) > self._remember_limit:
                self._shown.popitem(last=False)
        return found

    def forget_person(self, person_id: UUID) -> None:
        """Drop a cached person after the bot changed them."""
        for key, (_, person) in list(self._people.items()):
            if person.id == person_id:
                self._people.pop(key, None)
        for shown in [k for k in self._shown if k[1] == person_id]:
            self._shown.pop(shown, None)

    def thread_reference(self, ctx: TurnContext, who: Who) -> ConversationRef | None:
        """The channel thread (or group chat) this activity belongs to; None in personal chat.

        In a channel the conversation id names the thread (`…;messageid=<root>`); when it does
        not, the root is the message replied to, else this message (it starts the thread).
        None when no thread can be told (a card action in a channel without either)."""
        activity = ctx.activity
        # an invoke's own id is no message: only the card it came from can root the thread
        is_message = activity.type == "message"
        return self._threaded(
            activity, who, activity.reply_to_id or (activity.id if is_message else None)
        )

    def message_thread_reference(self, ctx: TurnContext, who: Who) -> ConversationRef | None:
        """The thread of the message a message action ("Ask the experts") was used on: in a
        channel the message's own thread (its root is what it replies to, else itself), in a
        group chat the chat; None in personal chat or when the payload names no message."""
        activity = ctx.activity
        value = activity.value if isinstance(activity.value, dict) else {}
        payload = value.get("messagePayload")
        payload = payload if isinstance(payload, dict) else {}
        root = payload.get("replyToId") or payload.get("id")
        if not isinstance(root, str) or len(root) > 100:
            root = None
        return self._threaded(activity, who, root.strip() if root else None)

    def _threaded(self, activity: Activity, who: Who, root: str | None) -> ConversationRef | None:
        """The reference of the thread `root` starts in a channel whose conversation id does not
        name a thread already; the chat itself in a group chat; None in personal chat."""
        conv = activity.conversation
        kind = conversation_type(conv.conversation_type if conv is not None else None)
        if conv is None or not conv.id or kind == "personal" or not activity.service_url:
            return None
        conversation_id = conv.id
        if kind == "channel" and ";messageid=" not in conv.id:
            if not root:
                return None
            conversation_id = thread_conversation_id(conv.id, root)
        return self._reference(activity, who, conversation_id, kind)

    def _reference(
        self, activity: Activity, who: Who, conversation_id: str, kind: ConversationType
    ) -> ConversationRef:
        channel_data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
        raw_team = channel_data.get("team")
        team: dict[str, Any] = raw_team if isinstance(raw_team, dict) else {}
        recipient = activity.recipient
        return ConversationRef(
            organisation_id=who.org_id,
            conversation_id=conversation_id,
            conversation_type=kind,
            service_url=activity.service_url or "",
            tenant_id=_tenant_id(activity) or "",
            bot_id=(recipient.id if recipient is not None else "") or "",
            bot_name=(recipient.name if recipient is not None else "") or "",
            user_id=(activity.from_property.id if activity.from_property else "") or "",
            person_id=who.person.id,
            channel_id=activity.channel_id or "msteams",
            team_id=str(team.get("id")) if team.get("id") else None,
        )

    async def _remember(self, ctx: TurnContext, who: Who) -> None:
        """Store the conversation reference when it is new or its service URL changed."""
        activity = ctx.activity
        conv = activity.conversation
        if conv is None or not conv.id or not activity.service_url or activity.recipient is None:
            return
        kind = conversation_type(conv.conversation_type)
        stamp = (activity.service_url, str(who.person.id) if kind == "personal" else "")
        if self._remembered.get(conv.id) == stamp:
            return
        try:
            await self.services.teams.remember_conversation(
                self._reference(activity, who, conv.id, kind)
            )
        except PeerlearnError as exc:
            log.info("conversation reference not stored: %s", exc.code)
            return
        self._remembered[conv.id] = stamp
        self._remembered.move_to_end(conv.id)
        while len(self._remembered) > self._remember_limit:
            self._remembered.popitem(last=False)

    # install ------------------------------------------------------------------------------
    async def on_installation_update_add(self, turn_context: TurnContext) -> None:
        try:
            who = await self.who(turn_context)
        except PeerlearnError as exc:
            await turn_context.send_activity(_friendly(exc))
            return
        org = await self.services.people.organisation(who.org_id)
        conversation = turn_context.activity.conversation
        if conversation is not None and conversation.conversation_type in ("channel", "groupChat"):
            await _send(turn_context, cards.team_welcome_card(org.name))
            return
        await _send(turn_context, cards.welcome_card(who.person.name, org.name))

    async def on_members_added_activity(
        self, members_added: Any, turn_context: TurnContext
    ) -> None:
        # the welcome goes out on installationUpdate; here we only keep the reference fresh
        try:
            await self.who(turn_context)
        except PeerlearnError:
            return

    # messages -----------------------------------------------------------------------------
    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        value = activity.value
        try:
            who = await self.who(turn_context)
            if value is not None and not activity.text:
                # a card button from a client without Universal Actions (Action.Submit)
                reply = await self._run_action(turn_context, who, value)
            else:
                reply = await self._run_text(turn_context, who, activity)
        except BadPayload as exc:
            reply = f"I could not read that card: {exc}. Type **help** to start again."
        except PeerlearnError as exc:
            reply = _friendly(exc)
        await _send(turn_context, reply)

    async def _run_text(self, ctx: TurnContext, who: Who, activity: Activity) -> Reply:
        bot_id = activity.recipient.id if activity.recipient is not None else None
        mentions = []
        for entity in activity.entities or []:
            if entity.type != "mention":
                continue
            raw = {**(entity.additional_properties or {}), **entity.serialize()}
            mentioned = raw.get("mentioned")
            if isinstance(mentioned, dict) and mentioned.get("id") == bot_id:
                mentions.append(str(raw.get("text") or ""))
        command = parse(strip_mentions(activity.text, mentions), self.intents)
        if command.name == "too_long":
            return (
                "That is a lot of text for me. Ask in a sentence or two (under 2,000 characters)."
            )
        if command.name == "empty":
            return "I did not catch any text. Type **help** to see what I can do."
        handler = self.commands.get(command.name)
        if handler is None:
            near = suggestions(command.text, self.intents)
            hint = ", ".join(f"**{i.usage}**" for i in near) or "**help**"
            return f"Sorry, I did not understand “{cards.safe(command.text, 80)}”. Try {hint}."
        return await handler(ctx, who, command)

    async def _run_action(self, ctx: TurnContext, who: Who, value: Any) -> Reply:
        if not isinstance(value, dict):
            raise BadPayload("the card sent no data")
        verb = value.get("verb")
        if not isinstance(verb, str) or not verb:
            raise BadPayload("the card button has no action")
        handler = self.actions.get(verb)
        if handler is None:
            return "That card is out of date. Type **help** to start again."
        return await handler(ctx, who, value)

    # universal actions --------------------------------------------------------------------
    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        name = turn_context.activity.name
        value = turn_context.activity.value
        if name in (
            "adaptiveCard/action",
            "composeExtension/query",
            "composeExtension/submitAction",
        ):
            if not isinstance(value, dict):
                return _invoke_error(
                    HTTPStatus.BAD_REQUEST, "BadRequest", "the invoke has no value object"
                )
        if name == "adaptiveCard/action":
            # checked here: botbuilder's own error path for these cannot be serialised
            action = value.get("action")
            if not isinstance(action, dict) or action.get("type") != "Action.Execute":
                return _invoke_error(
                    HTTPStatus.BAD_REQUEST, "BadRequest", "expected an Action.Execute action"
                )
            try:
                return await self._card_action(turn_context, action)
            except BadPayload as exc:
                return _invoke_error(HTTPStatus.BAD_REQUEST, "BadRequest", str(exc))
        try:
            return await super().on_invoke_activity(turn_context)
        except BadPayload as exc:
            return _invoke_error(HTTPStatus.BAD_REQUEST, "BadRequest", str(exc))

    async def _card_action(
        self, turn_context: TurnContext, action: dict[str, Any]
    ) -> InvokeResponse:
        """`adaptiveCard/action`: the reply replaces the card, or shows as a message."""
        verb = action.get("verb")
        data = action.get("data")
        if data is None:
            data = {}
        if not isinstance(verb, str) or not verb or not isinstance(data, dict):
            raise BadPayload("Action.Execute needs a verb and an object of data")
        try:
            who = await self.who(turn_context)
            reply = await self._run_action(turn_context, who, {**data, "verb": verb})
        except PeerlearnError as exc:
            reply = _friendly(exc)
        kind = cards.CONTENT_TYPE if isinstance(reply, dict) else MESSAGE_TYPE
        return InvokeResponse(status=200, body={"statusCode": 200, "type": kind, "value": reply})

    # message extension --------------------------------------------------------------------
    async def on_teams_messaging_extension_query(
        self, turn_context: TurnContext, query: MessagingExtensionQuery
    ) -> MessagingExtensionResponse:
        if query is None or query.command_id != SEARCH_COMMAND:
            raise BadPayload("unknown search command")
        text = ""
        initial = False
        for parameter in query.parameters or []:
            if parameter.name == "initialRun":
                initial = True
            elif isinstance(parameter.value, str):
                text = parameter.value.strip()[:100]
        try:
            who = await self.who(turn_context)
        except PeerlearnError as exc:
            return _extension_message(_friendly(exc))
        if initial and not text:
            return _extension_message("Type a colleague's name to find them.")
        if len(text) < 2:
            return _extension_message("Type at least two letters.")
        count = 10
        if query.query_options is not None and isinstance(query.query_options.count, int):
            count = max(1, min(25, query.query_options.count))
        people = await self.services.people.list_people(who.org_id, limit=count, query=text)
        attachments = [
            MessagingExtensionAttachment(
                content_type=cards.CONTENT_TYPE,
                content=cards.person_card(_person_view(p)),
                preview=Attachment(
                    content_type="application/vnd.microsoft.card.thumbnail",
                    content={
                        "title": cards.plain(p.name, 80),
                        "text": cards.plain(p.time_zone, 64),
                    },
                ),
            )
            for p in people
        ]
        return MessagingExtensionResponse(
            compose_extension=MessagingExtensionResult(
                type="result", attachment_layout="list", attachments=attachments
            )
        )

    async def on_teams_messaging_extension_submit_action(
        self, turn_context: TurnContext, action: MessagingExtensionAction
    ) -> MessagingExtensionActionResponse:
        if action is None or action.command_id != ASK_COMMAND:
            raise BadPayload("unknown action command")
        payload = action.message_payload
        body = payload.body if payload is not None else None
        text = strip_mentions(body.content if body is not None else "")
        # the dialog's "question" field, when the user edited the wording before sending
        typed = action.data.get("question") if isinstance(action.data, dict) else None
        if isinstance(typed, str) and typed.strip():
            text = strip_mentions(typed)
        if not text:
            return _task_message("That message has no text I could turn into a question.")
        if len(text) > _MAX_QUESTION:
            return _task_message("That message is too long to ask about; shorten it first.")
        if self.message_action is None:
            return _task_message("Routing questions is not available in this workspace.")
        try:
            who = await self.who(turn_context)
            return _task_message(await self.message_action(turn_context, who, text))
        except PeerlearnError as exc:
            return _task_message(_friendly(exc))

    # commands -----------------------------------------------------------------------------
    def help_entries(self) -> list[tuple[str, str]]:
        return [(intent.usage, intent.summary) for intent in self.intents]

    async def _cmd_help(self, ctx: TurnContext, who: Who, command: Command) -> Reply:
        return cards.help_card(self.help_entries())

    async def _act_help(self, ctx: TurnContext, who: Who, data: Mapping[str, Any]) -> Reply:
        return cards.help_card(self.help_entries())

    async def _cmd_profile(self, ctx: TurnContext, who: Who, command: Command) -> Reply:
        return _profile(who.person)

    async def _act_profile(self, ctx: TurnContext, who: Who, data: Mapping[str, Any]) -> Reply:
        return _profile(who.person)

    async def _cmd_timezone(self, ctx: TurnContext, who: Who, command: Command) -> Reply:
        if not command.argument:
            return _profile(who.person)
        person = await self.services.people.update_person(
            who.org_id, who.person.id, time_zone=command.argument.strip()
        )
        self.forget_person(person.id)
        return f"Done: I will show times in **{cards.safe(person.time_zone, 64)}**."

    async def _act_set_time_zone(
        self, ctx: TurnContext, who: Who, data: Mapping[str, Any]
    ) -> Reply:
        value = data.get("time_zone")
        if not isinstance(value, str) or not value.strip():
            raise BadPayload("pick a time zone")
        person = await self.services.people.update_person(
            who.org_id, who.person.id, time_zone=value.strip()
        )
        self.forget_person(person.id)
        return _profile(person)

    async def _cmd_who(self, ctx: TurnContext, who: Who, command: Command) -> Reply:
        query = command.argument.strip()
        if len(query) < 2:
            return "Whom should I look for? For example **who is Jonas**."
        people = await self.services.people.list_people(who.org_id, limit=8, query=query[:100])
        return cards.colleagues_card(query, [_person_view(p) for p in people])


# helpers --------------------------------------------------------------------------------
def _tenant_id(activity: Activity) -> str | None:
    conv = activity.conversation
    if conv is not None and conv.tenant_id:
        return str(conv.tenant_id)
    data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    tenant = data.get("tenant")
    if isinstance(tenant, dict) and isinstance(tenant.get("id"), str):
        return str(tenant["id"])
    return None


def _is_zone(name: object) -> bool:
    if not isinstance(name, str) or not name:
        return False
    try:
        zone(name)
    except PeerlearnError:
        return False
    return True


def _person_view(person: Person) -> dict[str, Any]:
    return {"name": person.name, "email": person.email, "time_zone": person.time_zone}


def _profile(person: Person) -> dict[str, Any]:
    return cards.profile_card(person.name, person.email, person.time_zone, person.locale)


def _friendly(exc: PeerlearnError) -> str:
    """Codes, not message text, pick the framing; the core's message says what to fix."""
    if isinstance(exc, UnknownOrganisation):
        return (
            "This Teams organisation is not connected to peerlearn yet. "
            "Ask your peerlearn admin to register it."
        )
    return cards.safe(exc.message, 500)


async def _send(ctx: TurnContext, reply: Reply) -> None:
    if isinstance(reply, dict):
        await ctx.send_activity(MessageFactory.attachment(CardFactory.adaptive_card(reply)))
    else:
        await ctx.send_activity(MessageFactory.text(reply))


def _invoke_error(status: HTTPStatus, code: str, message: str) -> InvokeResponse:
    body = {
        "statusCode": int(status),
        "type": ERROR_TYPE,
        "value": {"code": code, "message": message},
    }
    return InvokeResponse(status=int(status), body=body)


def _extension_message(text: str) -> MessagingExtensionResponse:
    return MessagingExtensionResponse(
        compose_extension=MessagingExtensionResult(type="message", text=text)
    )


def _task_message(text: str) -> MessagingExtensionActionResponse:
    return MessagingExtensionActionResponse(task=TaskModuleMessageResponse(value=text))

"""Proactive notices: outbox NOTIFY rows → a card in the person's 1:1 chat with the bot, and
TEAMS_THREAD_REPLY rows → an answer posted into the channel thread where the question was asked.

`deliver` is the outbox handler (see `core/delivery.py`): it returns a result dict, or raises
`SkippedError` (no chat with that person: nothing to do), `PermanentError` (Teams refused for
good, e.g. the app was uninstalled) or `TransientError` (throttled or Teams unavailable; the
worker retries later, honouring Retry-After).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

from botbuilder.core import CardFactory, MessageFactory, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import ChannelAccount, ConversationAccount, ConversationReference

from bot import cards, notices
from bot.throttle import SendLimiter, SharedThrottle, Throttled
from core.delivery import PermanentError, SkippedError, TransientError
from core.errors import PeerlearnError
from core.outbox import OutboxMessage
from core.services import Services
from core.teams.model import ConversationRef, root_message_id

log = logging.getLogger(__name__)

RETRYABLE = {412, 429, 502, 503, 504}


class TeamsNotifier:
    def __init__(
        self,
        services: Services,
        adapter: CloudAdapter,
        app_id: str = "",
        *,
        throttle: SendLimiter | None = None,
        max_wait: float = 5.0,
        retries: int = 3,
        backoff: float = 0.5,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._services = services
        self._adapter = adapter
        self._app_id = app_id
        # shared through the database unless told otherwise: every worker counts every send
        self._throttle = throttle or SharedThrottle(services.teams, sleep=sleep)
        self._max_wait = max_wait
        self._retries = retries
        self._backoff = backoff
        self._sleep = sleep

    async def deliver(self, message: OutboxMessage) -> dict[str, Any]:
        payload = message.payload
        try:
            person_id = UUID(str(payload.get("person_id")))
        except ValueError:
            raise PermanentError("notice without a valid person_id") from None
        ref = await self._services.teams.personal_conversation(message.organisation_id, person_id)
        if ref is None:
            raise SkippedError("this person has not installed the Teams app")
        try:
            person = await self._services.people.get_person(message.organisation_id, person_id)
        except PeerlearnError:
            raise SkippedError("the person no longer exists") from None
        card = notices.render(payload, person.time_zone)
        activity_id = await self.send_card(ref, card)
        return {"teams_activity_id": activity_id, "conversation_id": ref.conversation_id}

    async def deliver_thread_reply(self, message: OutboxMessage) -> dict[str, Any]:
        """An answer, posted as a reply in the channel thread where the question was asked."""
        org_id = message.organisation_id
        try:
            question_id = UUID(str(message.payload.get("question_id")))
            answer_id = UUID(str(message.payload.get("answer_id")))
        except ValueError:
            raise PermanentError("thread reply without question_id and answer_id") from None
        thread = await self._services.teams.thread_for(org_id, question_id)
        if thread is None:
            raise SkippedError("the question was not asked in a Teams thread")
        try:
            question, answers, _ = await self._services.expertise.question(org_id, question_id)
            answer = next((a for a in answers if a.id == answer_id), None)
            if answer is None:
                raise SkippedError("the answer no longer exists")
            author = await self._services.people.get_person(org_id, answer.author_id)
        except PeerlearnError:
            raise SkippedError("the question or its author no longer exists") from None
        card = cards.thread_answer_card(question.title, author.name, answer.text)
        activity_id = await self.send_card(thread.conversation, card)
        return {
            "teams_activity_id": activity_id,
            "conversation_id": thread.conversation.conversation_id,
        }

    async def send_card(self, ref: ConversationRef, card: dict[str, Any]) -> str:
        """Send `card` into a stored conversation, within Teams' limits, retrying throttling."""
        attempt = 0
        while True:
            try:
                await self._throttle.acquire(ref.conversation_id, self._max_wait, ref.tenant_id)
            except Throttled as exc:
                raise TransientError(str(exc), retry_after=exc.wait) from None
            try:
                return await self._send_once(ref, card)
            except Exception as exc:  # noqa: BLE001 - msrest, aiohttp and requests errors are classified here
                status, retry_after = _status(exc)
                if status is not None and status not in RETRYABLE and 400 <= status < 500:
                    raise PermanentError(f"Teams refused the notice ({status})") from None
                attempt += 1
                if attempt > self._retries:
                    reason = f"Teams unavailable ({status or type(exc).__name__})"
                    raise TransientError(reason, retry_after=retry_after) from None
                delay = (
                    retry_after if retry_after is not None else self._backoff * 2 ** (attempt - 1)
                )
                if retry_after is not None and status in (412, 429):
                    # every worker holds back, not only this one
                    await self._throttle.hold(ref.conversation_id, retry_after)
                if delay > self._max_wait:
                    raise TransientError(
                        f"Teams asked to wait {delay:.0f}s", retry_after=delay
                    ) from None
                log.info("Teams said %s; retrying in %.2fs", status, delay)
                await self._sleep(delay * (1 + random.random() / 10))

    async def _send_once(self, ref: ConversationRef, card: dict[str, Any]) -> str:
        sent: list[str] = []

        root = root_message_id(ref.conversation_id)

        async def callback(context: TurnContext) -> None:
            if root:
                # a reply to the thread's root message, so it lands inside that thread
                context.activity.id = root
            response = await context.send_activity(
                MessageFactory.attachment(CardFactory.adaptive_card(card))
            )
            sent.append(response.id if response is not None and response.id else "")

        await self._adapter.continue_conversation(_reference(ref), callback, self._app_id or None)
        return sent[0] if sent else ""


def _reference(ref: ConversationRef) -> ConversationReference:
    return ConversationReference(
        bot=ChannelAccount(id=ref.bot_id, name=ref.bot_name),
        user=ChannelAccount(id=ref.user_id),
        channel_id=ref.channel_id,
        service_url=ref.service_url,
        conversation=ConversationAccount(
            id=ref.conversation_id,
            conversation_type=ref.conversation_type,
            tenant_id=ref.tenant_id,
        ),
    )


def _status(exc: Exception) -> tuple[int | None, float | None]:
    """HTTP status and Retry-After (seconds) from a connector error, when it has them."""
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None) or getattr(response, "status", None)
    retry_after: float | None = None
    headers = getattr(response, "headers", None)
    if headers is not None:
        raw = headers.get("Retry-After")
        try:
            retry_after = max(0.0, float(raw)) if raw is not None else None
        except ValueError:
            retry_after = None
    return (int(status) if isinstance(status, int) else None), retry_after

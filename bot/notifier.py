"""Proactive notices: outbox NOTIFY rows → a card in the person's 1:1 chat with the bot.

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

from bot import notices
from bot.throttle import ConversationThrottle, Throttled
from core.delivery import PermanentError, SkippedError, TransientError
from core.errors import PeerlearnError
from core.outbox import OutboxMessage
from core.services import Services
from core.teams.model import ConversationRef

log = logging.getLogger(__name__)

RETRYABLE = {412, 429, 502, 503, 504}


class TeamsNotifier:
    def __init__(
        self,
        services: Services,
        adapter: CloudAdapter,
        app_id: str = "",
        *,
        throttle: ConversationThrottle | None = None,
        max_wait: float = 5.0,
        retries: int = 3,
        backoff: float = 0.5,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._services = services
        self._adapter = adapter
        self._app_id = app_id
        self._throttle = throttle or ConversationThrottle(sleep=sleep)
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

    async def send_card(self, ref: ConversationRef, card: dict[str, Any]) -> str:
        """Send `card` into a stored conversation, within Teams' limits, retrying throttling."""
        attempt = 0
        while True:
            try:
                await self._throttle.acquire(ref.conversation_id, self._max_wait)
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
                if delay > self._max_wait:
                    raise TransientError(
                        f"Teams asked to wait {delay:.0f}s", retry_after=delay
                    ) from None
                log.info("Teams said %s; retrying in %.2fs", status, delay)
                await self._sleep(delay * (1 + random.random() / 10))

    async def _send_once(self, ref: ConversationRef, card: dict[str, Any]) -> str:
        sent: list[str] = []

        async def callback(context: TurnContext) -> None:
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

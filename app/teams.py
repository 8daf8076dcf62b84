"""Wiring the Teams bot into the web app: settings → bot auth, adapter, `/api/messages`."""

from __future__ import annotations

import logging
from contextlib import AsyncExitStack

from aiohttp import web

from app.settings import Settings
from bot.endpoint import BotAuth, BotEndpoint, build_adapter
from bot.handler import PeerlearnBot
from bot.notifier import TeamsNotifier
from core.delivery import HandlerRegistry
from core.outbox import OutboxTopic
from core.services import Services

log = logging.getLogger(__name__)

teams_bot_key = web.AppKey("teams_bot", BotEndpoint)


def bot_auth(settings: Settings) -> BotAuth:
    return BotAuth(
        app_id=settings.microsoft_app_id,
        app_password=settings.microsoft_app_password.reveal(),
        app_type=settings.microsoft_app_type or "SingleTenant",
        tenant_id=settings.microsoft_app_tenant_id,
    )


def build_bot(services: Services, auth: BotAuth) -> BotEndpoint:
    return BotEndpoint(build_adapter(auth), PeerlearnBot(services))


def mount_teams_bot(
    app: web.Application, settings: Settings, services: Services, auth: BotAuth | None = None
) -> BotEndpoint:
    """Serve the bot at `POST /api/messages`; warn loudly when authentication is off."""
    auth = auth or bot_auth(settings)
    if not auth.enabled:
        log.warning(
            "MICROSOFT_APP_ID is not set: Teams bot authentication is OFF. Anyone who can reach "
            "/api/messages can talk to the bot. Use this only on your own machine."
        )
    endpoint = build_bot(services, auth)
    app[teams_bot_key] = endpoint
    app.router.add_post("/api/messages", endpoint.handle)
    return endpoint


async def register_teams_notices(
    settings: Settings, services: Services, registry: HandlerRegistry, stack: AsyncExitStack
) -> None:
    """Outbox NOTIFY rows → a card in the person's 1:1 chat with the bot; answers to questions
    asked in a channel → a reply in that thread."""
    auth = bot_auth(settings)
    notifier = TeamsNotifier(services, build_adapter(auth), auth.app_id)
    registry.register(OutboxTopic.NOTIFY, notifier.deliver)
    registry.register(OutboxTopic.TEAMS_THREAD_REPLY, notifier.deliver_thread_reply)

"""Which adapter delivers which outbox kind, for one worker process.

Features add a registrar to `REGISTRARS`: an async function that registers its handlers on the
registry and pushes anything it must close onto the exit stack, e.g.

    async def register_notices(settings, services, registry, stack):
        registry.register(OutboxTopic.NOTIFY, notifier.deliver)
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import TYPE_CHECKING, Any
from uuid import UUID

from adapters.busytimes import NoBusyTimes
from app.lti_delivery import register_lms
from app.settings import Settings
from app.teams import register_teams_notices
from core.calendar import (
    Attendee,
    AttendeeLookup,
    CalendarDelivery,
    CalendarLink,
    EventIdLookup,
    EventRecorder,
    EventRef,
)
from core.delivery import Handler, HandlerRegistry, Result, SkippedError
from core.officehours.ports import BusyTimes
from core.outbox import OutboxMessage, OutboxTopic
from core.ports import UnitOfWork, UnitOfWorkFactory
from core.services import Services

if TYPE_CHECKING:
    from adapters.graph.client import GraphConfig

log = logging.getLogger(__name__)

Registrar = Callable[[Settings, Services, HandlerRegistry, AsyncExitStack], Awaitable[None]]

GRAPH_KINDS = (
    OutboxTopic.CALENDAR_UPSERT,
    OutboxTopic.CALENDAR_CANCEL,
    OutboxTopic.LEARNING_COMPLETION,
    OutboxTopic.TEAMS_CHANNEL,
)

NO_GRAPH = (
    "Microsoft Graph is not configured (GRAPH_TENANT_ID, GRAPH_CLIENT_ID, GRAPH_CLIENT_SECRET or "
    "GRAPH_CERTIFICATE_PATH): bookings go out as .ics invitations only; calendar events, Viva "
    "Learning completions and Teams channels are skipped"
)


async def _skip_without_graph(message: OutboxMessage) -> Result:
    raise SkippedError("Microsoft Graph is not configured")


async def register_graph(
    settings: Settings,
    services: Services,
    registry: HandlerRegistry,
    stack: AsyncExitStack,
    *,
    credential: Any = None,
) -> None:
    """Calendar, Viva Learning and Teams channel rows through Graph (or skipped without it)."""
    if not settings.graph_configured and credential is None:
        log.warning(NO_GRAPH)
        for kind in GRAPH_KINDS:
            registry.register(kind, _skip_without_graph)
        return
    # msgraph-sdk is heavy: imported only by processes that deliver
    from adapters.graph.calendar import GraphCalendar
    from adapters.graph.channels import GraphChannels
    from adapters.graph.client import build_client
    from adapters.graph.learning import VivaLearning
    from core.learning import LearningDelivery

    client = build_client(graph_config(settings), credential=credential)
    stack.push_async_callback(client.close)
    await client.warm_up()

    calendar = CalendarDelivery(
        GraphCalendar(client),
        calendar_event_id(services),
        recorders=[link_recorder(services)],
        current_attendees=session_attendees(services),
    )
    registry.register_batch(OutboxTopic.CALENDAR_UPSERT, calendar.deliver_many, max_batch=20)
    registry.register_batch(OutboxTopic.CALENDAR_CANCEL, calendar.deliver_many, max_batch=20)
    registry.register(
        OutboxTopic.TEAMS_CHANNEL, channel_recorder(services, GraphChannels(client).deliver)
    )
    if settings.graph_learning_provider_id:
        learning = LearningDelivery(
            VivaLearning(client, settings.graph_learning_provider_id),
            services.uow,
            settings.public_url,
        )
        registry.register(OutboxTopic.LEARNING_COMPLETION, learning.deliver)
    else:
        registry.register(OutboxTopic.LEARNING_COMPLETION, _skip_no_provider)
    log.info("Microsoft Graph delivery on %s", settings.graph_base_url)


def calendar_event_id(services: Services) -> EventIdLookup:
    """The event an aggregate already has: its calendar link, else an earlier delivered row."""

    async def lookup(aggregate_type: str, aggregate_id: str) -> str | None:
        async with services.uow() as uow:
            link = await uow.calendar_links.get(aggregate_type, aggregate_id)
            if link is not None:
                # a cancelled event stays cancelled: a group session booked again after its
                # last attendee left gets a new one
                return None if link.cancelled else link.event_id
            return await uow.outbox.last_result_value(aggregate_type, aggregate_id, "event_id")

    return lookup


def channel_recorder(services: Services, create: Handler) -> Handler:
    """TEAMS_CHANNEL rows: create (or find) the channel, then keep it on the community."""

    async def deliver(message: OutboxMessage) -> Result:
        result = await create(message)
        if message.aggregate_type == "community":
            try:
                community_id = UUID(message.aggregate_id)
            except ValueError:
                return result
            await services.communities.record_teams_channel(
                message.organisation_id,
                community_id,
                str(result["channel_id"]),
                str(result.get("web_url") or ""),
            )
        return result

    return deliver


def session_attendees(services: Services) -> AttendeeLookup:
    """Who a group session's one event invites now: the people holding a confirmed seat."""

    async def lookup(org_id: UUID, aggregate_type: str, aggregate_id: str) -> list[Attendee]:
        if aggregate_type != "occurrence":
            return []
        try:
            occurrence_id = UUID(aggregate_id)
        except ValueError:
            return []
        async with services.uow() as uow:
            confirmed = await uow.bookings.for_occurrence(occurrence_id, ("confirmed",))
            people = await uow.people.get_many(org_id, [b.person_id for b in confirmed])
        by_id = {p.id: p for p in people}
        return [
            Attendee(person.email, person.name)
            for b in confirmed
            if (person := by_id.get(b.person_id)) is not None and person.email
        ]

    return lookup


def link_recorder(services: Services) -> EventRecorder:
    """Keep each booking's calendar link (event id, iCalUId, join URL) up to date."""

    async def record(message: OutboxMessage, ref: EventRef) -> None:
        cancelled = message.kind == OutboxTopic.CALENDAR_CANCEL
        async with services.uow() as uow:
            known = await uow.calendar_links.get(message.aggregate_type, message.aggregate_id)
            await uow.calendar_links.save(
                CalendarLink(
                    organisation_id=message.organisation_id,
                    aggregate_type=message.aggregate_type,
                    aggregate_id=message.aggregate_id,
                    event_id=ref.event_id,
                    ical_uid=ref.ical_uid or (known.ical_uid if known else ""),
                    join_url=ref.join_url or (known.join_url if known else ""),
                    cancelled=cancelled,
                    updated_at=services.clock.now(),
                )
            )
            await _record_on_bookings(uow, message, ref, cancelled, known)
            await uow.commit()

    return record


async def _record_on_bookings(
    uow: UnitOfWork,
    message: OutboxMessage,
    ref: EventRef,
    cancelled: bool,
    known: CalendarLink | None,
) -> None:
    """The event id and join URL flow back onto the booking(s) the bot and LTI pages show."""
    try:
        aggregate = UUID(message.aggregate_id)
    except ValueError:
        return
    join_url = "" if cancelled else ref.join_url or (known.join_url if known else "")
    event_id = "" if cancelled else ref.event_id
    if message.aggregate_type == "booking":
        await uow.bookings.record_event(message.organisation_id, aggregate, event_id, join_url)
    elif message.aggregate_type == "occurrence":
        await uow.bookings.record_occurrence_event(aggregate, event_id, join_url)


async def _skip_no_provider(message: OutboxMessage) -> Result:
    raise SkippedError("no Viva Learning provider is registered (GRAPH_LEARNING_PROVIDER_ID)")


def busy_times(settings: Settings, uow: UnitOfWorkFactory) -> BusyTimes:
    """Office-hours busy time: the experts' Outlook calendars when Graph is configured."""
    if not settings.graph_configured:
        return NoBusyTimes()
    from adapters.graph.client import build_client
    from adapters.graph.freebusy import GraphBusyTimes

    return GraphBusyTimes(lambda: build_client(graph_config(settings)), uow)


def graph_config(settings: Settings) -> GraphConfig:
    from adapters.graph.client import GraphConfig

    return GraphConfig(
        tenant_id=settings.graph_tenant_id,
        client_id=settings.graph_client_id,
        client_secret=settings.graph_client_secret.reveal(),
        certificate_path=settings.graph_certificate_path,
        base_url=settings.graph_base_url,
    )


#: every other feature's handlers (Teams notices, LMS scores, ...)
REGISTRARS: list[Registrar] = [register_teams_notices, register_lms]


async def run_worker(
    settings: Settings, services: Services, stop: asyncio.Event, *, graph_credential: Any = None
) -> None:
    """The outbox relay inside another process (`peerlearn serve` on SQLite) until `stop`."""
    from app.worker import Worker

    async with delivery_registry(settings, services, graph_credential=graph_credential) as registry:
        await Worker(services.uow, registry, services.clock).run(stop)


@asynccontextmanager
async def delivery_registry(
    settings: Settings, services: Services, *, graph_credential: Any = None
) -> AsyncIterator[HandlerRegistry]:
    """The handler registry for a worker; closes the adapters' clients on exit."""
    registry = HandlerRegistry()
    async with AsyncExitStack() as stack:
        await register_graph(settings, services, registry, stack, credential=graph_credential)
        for registrar in REGISTRARS:
            await registrar(settings, services, registry, stack)
        yield registry

"""Operating the outbox: counts, retrying dead rows, burying rows that must never be delivered."""

from __future__ import annotations

from uuid import UUID

from core.calendar import CalendarLink
from core.clock import Clock
from core.errors import Conflict, InvalidInput, NotFound
from core.outbox import OutboxMessage
from core.ports import UnitOfWorkFactory


class OutboxRowNotFound(NotFound):
    code = "outbox_row_not_found"


class OutboxRowFinished(Conflict):
    code = "outbox_row_finished"


class OutboxAdmin:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def counts(self) -> dict[str, int]:
        async with self._uow() as uow:
            return await uow.outbox.counts()

    async def retry(self, message_id: UUID) -> OutboxMessage:
        """Make a dead (or waiting) row due now with a fresh attempt budget."""
        async with self._uow() as uow:
            message = await uow.outbox.get(message_id)
            if message is None:
                raise OutboxRowNotFound(f"no outbox row {message_id}")
            if message.status == "done":
                raise OutboxRowFinished(f"outbox row {message_id} was already delivered")
            self._revive(message)
            await uow.outbox.update(message)
            await uow.commit()
        return message

    async def retry_dead(self, limit: int = 10_000) -> int:
        """Give every dead row a fresh start; returns how many."""
        async with self._uow() as uow:
            dead = await uow.outbox.list(status="dead", limit=limit)
            for message in dead:
                self._revive(message)
                await uow.outbox.update(message)
            await uow.commit()
        return len(dead)

    async def bury(self, message_id: UUID, reason: str) -> OutboxMessage:
        """Dead-letter a row by hand (a worker still holding it loses its lease)."""
        reason = reason.strip()
        if not reason:
            raise InvalidInput("say why the row is buried (--reason)")
        async with self._uow() as uow:
            message = await uow.outbox.get(message_id)
            if message is None:
                raise OutboxRowNotFound(f"no outbox row {message_id}")
            if message.status == "done":
                raise OutboxRowFinished(f"outbox row {message_id} was already delivered")
            message.status = "dead"
            message.last_error = f"buried: {reason}"
            message.lease_until = None
            message.lease_token = None
            await uow.outbox.update(message)
            await uow.commit()
        return message

    async def calendar_event(self, aggregate_type: str, aggregate_id: str) -> CalendarLink | None:
        """The calendar event (id, iCalUId, Teams join URL) synced for a booking or session, if
        the worker has delivered it; front doors show its join URL."""
        async with self._uow() as uow:
            return await uow.calendar_links.get(aggregate_type, aggregate_id)

    def _revive(self, message: OutboxMessage) -> None:
        message.status = "pending"
        message.attempts = 0
        message.next_attempt_at = self._clock.now()
        message.lease_until = None
        message.lease_token = None

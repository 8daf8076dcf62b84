"""Outbox repository: rows are written inside the caller's transaction."""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from adapters.db.tables.outbox import OutboxRow
from core.outbox import OutboxMessage

_counter = itertools.count()


def next_seq() -> int:
    """Insert order: nanoseconds since the epoch plus a per-process tie-breaker."""
    return time.time_ns() * 1000 + next(_counter) % 1000


def to_message(row: OutboxRow) -> OutboxMessage:
    return OutboxMessage(
        id=row.id,
        organisation_id=row.organisation_id,
        kind=row.kind,
        aggregate_type=row.aggregate_type,
        aggregate_id=row.aggregate_id,
        payload=dict(row.payload or {}),
        created_at=row.created_at,
        status=row.status,  # type: ignore[arg-type]
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
        lease_until=row.lease_until,
        delivered_at=row.delivered_at,
        result=dict(row.result or {}),
    )


class DbOutbox:
    async def add(self, message: OutboxMessage) -> None:
        await OutboxRow.create(
            id=message.id,
            organisation_id=message.organisation_id,
            kind=message.kind,
            aggregate_type=message.aggregate_type,
            aggregate_id=message.aggregate_id,
            seq=next_seq(),
            payload=message.payload,
            status=message.status,
            attempts=message.attempts,
            next_attempt_at=message.next_attempt_at or message.created_at,
            created_at=message.created_at,
        )

    async def list(
        self, organisation_id: UUID | None = None, status: str | None = None, limit: int = 100
    ) -> Sequence[OutboxMessage]:
        q = OutboxRow.all()
        if organisation_id is not None:
            q = q.filter(organisation_id=organisation_id)
        if status is not None:
            q = q.filter(status=status)
        return [to_message(r) for r in await q.order_by("seq").limit(limit)]

    async def get(self, message_id: UUID) -> OutboxMessage | None:
        row = await OutboxRow.get_or_none(id=message_id)
        return to_message(row) if row else None

    async def update(self, message: OutboxMessage) -> None:
        await OutboxRow.filter(id=message.id).update(
            status=message.status,
            attempts=message.attempts,
            next_attempt_at=message.next_attempt_at,
            lease_until=message.lease_until,
            last_error=message.last_error,
            result=message.result,
            delivered_at=message.delivered_at,
        )

    async def claim_due(
        self, now: datetime, lease_until: datetime, limit: int, kinds: Sequence[str] | None = None
    ) -> Sequence[OutboxMessage]:
        """Lease up to `limit` due rows (pending, or in flight with an expired lease)."""
        q = OutboxRow.filter(next_attempt_at__lte=now).filter(status__in=["pending", "in_flight"])
        if kinds:
            q = q.filter(kind__in=list(kinds))
        rows = await q.order_by("seq").limit(limit * 4).select_for_update(skip_locked=True)
        claimed: list[OutboxMessage] = []
        for row in rows:
            if row.status == "in_flight" and row.lease_until and row.lease_until > now:
                continue
            row.status = "in_flight"
            row.lease_until = lease_until
            await row.save(update_fields=["status", "lease_until"])
            claimed.append(to_message(row))
            if len(claimed) >= limit:
                break
        return claimed

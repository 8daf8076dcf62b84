"""Outbox repository: rows are written inside the caller's transaction."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from tortoise.functions import Count

from adapters.db.tables.outbox import CalendarLinkRow, OutboxRow
from core.calendar import CalendarLink
from core.outbox import OutboxMessage

OPEN = ("pending", "in_flight")
STATUSES = ("pending", "in_flight", "done", "dead")

_counter = itertools.count()


_last_seq = 0


def next_seq() -> int:
    """Insert order: microseconds since the epoch × 1000 plus a per-process tie-breaker (fits a
    64-bit integer until the year 2262); never goes backwards within a process."""
    global _last_seq
    candidate = time.time_ns() // 1000 * 1000 + next(_counter) % 1000
    _last_seq = max(_last_seq + 1, candidate)
    return _last_seq


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
        lease_token=row.lease_token,
        delivered_at=row.delivered_at,
        result=dict(row.result or {}),
    )


#: the columns `claim_due` returns, in `OutboxMessage` terms
COLUMNS = (
    "id",
    "organisation_id",
    "kind",
    "aggregate_type",
    "aggregate_id",
    "seq",
    "payload",
    "status",
    "attempts",
    "next_attempt_at",
    "last_error",
    "lease_until",
    "lease_token",
    "delivered_at",
    "result",
    "created_at",
)
#: what `finish_many` writes per row, with the PostgreSQL type of each placeholder
_FINISH_VALUES = (
    ("id", "uuid"),
    ("token", "varchar"),
    ("status", "varchar"),
    ("attempts", "int"),
    ("next_attempt_at", "timestamptz"),
    ("last_error", "text"),
    ("result", "jsonb"),
    ("delivered_at", "timestamptz"),
)
#: rows per `finish_many` statement (8 placeholders each, well under both databases' limits)
FINISH_CHUNK = 1000


def _uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


def _when(value: Any) -> datetime | None:
    """A timestamp as the driver returns it (asyncpg: datetime; SQLite: ISO text) → aware UTC."""
    if value is None:
        return None
    when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _json(value: Any) -> dict[str, Any]:
    if isinstance(value, str | bytes):
        value = json.loads(value)
    return dict(value or {})


def _raw_message(row: dict[str, Any]) -> OutboxMessage:
    """A claimed row straight from the driver: the claim returns hundreds of rows a round, and
    building ORM instances for them cost more CPU than the rest of the claim."""
    return OutboxMessage(
        id=_uuid(row["id"]),
        organisation_id=_uuid(row["organisation_id"]),
        kind=row["kind"],
        aggregate_type=row["aggregate_type"],
        aggregate_id=row["aggregate_id"],
        payload=_json(row["payload"]),
        created_at=_when(row["created_at"]),  # type: ignore[arg-type]
        status=row["status"],
        attempts=int(row["attempts"]),
        next_attempt_at=_when(row["next_attempt_at"]),
        last_error=row["last_error"],
        lease_until=_when(row["lease_until"]),
        lease_token=row["lease_token"],
        delivered_at=_when(row["delivered_at"]),
        result=_json(row["result"]),
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
            lease_token=message.lease_token,
            last_error=message.last_error,
            result=message.result,
            delivered_at=message.delivered_at,
        )

    async def claim_due(
        self, now: datetime, lease_until: datetime, limit: int, kinds: Sequence[str] | None = None
    ) -> Sequence[OutboxMessage]:
        """Lease up to `limit` due rows (pending, or in flight with an expired lease), oldest
        first, in one statement.

        A row is only taken when no earlier row of its aggregate and kind family (the part of the
        kind before the dot: `calendar.upsert` and `calendar.cancel` are one family, so a slow
        calendar never holds back a chat notice) is still pending or in flight: a cancel never
        overtakes its create. On PostgreSQL the rows are picked
        with `FOR UPDATE SKIP LOCKED` (workers never wait for each other, never share a row); on
        SQLite the single writer serialises claims, and the UPDATE re-checks that each row is
        still free, so two processes can never hold the same row either.
        """
        if limit <= 0:
            return []
        db = OutboxRow._choose_db(for_write=True)
        postgres = db.capabilities.dialect != "sqlite"
        fields = OutboxRow._meta.fields_map
        when = fields["next_attempt_at"]
        values: list[Any] = []

        def param(value: Any) -> str:
            values.append(value)
            return f"${len(values)}" if postgres else f"?{len(values)}"

        def fam(alias: str) -> str:
            if postgres:
                return f"split_part({alias}.kind, '.', 1)"
            return f"substr({alias}.kind, 1, instr({alias}.kind || '.', '.') - 1)"

        at = param(when.to_db_value(now, OutboxRow))
        kind_filter = ""
        if kinds:
            kind_filter = "AND o.kind IN (" + ", ".join(param(k) for k in kinds) + ")"
        lock = "FOR UPDATE OF o SKIP LOCKED" if postgres else ""
        token = uuid4().hex
        # still free when the UPDATE gets to it; on SQLite `+` makes the UPDATE find its rows by
        # primary key instead of walking every pending row through the status index
        plus = "" if postgres else "+"
        free = f"({plus}status = 'pending' OR ({plus}status = 'in_flight' AND lease_until < {at}))"
        # only our own SQL fragments and placeholders are formatted into these statements
        first_open = f"""NOT EXISTS (
                    SELECT 1 FROM outbox p
                    WHERE p.aggregate_type = o.aggregate_type
                      AND p.aggregate_id = o.aggregate_id
                      AND p.seq < o.seq
                      AND p.status IN ('pending', 'in_flight')
                      AND {fam("p")} = {fam("o")}
                  )"""  # noqa: S608
        n = param(limit)
        if postgres:
            picked = f"""
                SELECT o.id FROM outbox o
                WHERE o.next_attempt_at <= {at}
                  AND (o.status = 'pending' OR (o.status = 'in_flight' AND o.lease_until < {at}))
                  {kind_filter}
                  AND {first_open}
                ORDER BY o.seq
                LIMIT {n}
                {lock}"""  # noqa: S608
        else:
            # pending rows and expired leases apart, each walked in `seq` order on the
            # (status, seq) index and stopped at the limit; as one OR, SQLite would test every
            # due row's predecessors and sort them all (a whole backlog per claim). `+` keeps
            # the planner off the (status, next_attempt_at) index.
            def branch(status: str) -> str:
                return f"""
                    SELECT o.id, o.seq FROM outbox o
                    WHERE {status} AND +o.next_attempt_at <= {at}
                      {kind_filter}
                      AND {first_open}
                    ORDER BY o.seq
                    LIMIT {n}"""  # noqa: S608

            due = branch("o.status = 'pending'")
            expired = branch(f"o.status = 'in_flight' AND +o.lease_until < {at}")
            picked = f"""
                SELECT id FROM (
                    SELECT * FROM ({due})
                    UNION ALL
                    SELECT * FROM ({expired})
                )
                ORDER BY seq
                LIMIT {n}"""  # noqa: S608
        sql = f"""
            WITH picked AS ({picked})
            UPDATE outbox
            SET status = 'in_flight',
                lease_until = {param(when.to_db_value(lease_until, OutboxRow))},
                lease_token = {param(token)},
                attempts = attempts + 1
            WHERE id IN (SELECT id FROM picked) AND {free}
            RETURNING {", ".join(COLUMNS)}
        """  # noqa: S608 - only our own SQL fragments and placeholders are formatted in
        rows = await db.execute_query_dict(sql, values)
        rows.sort(key=lambda r: int(r["seq"]))
        return [_raw_message(r) for r in rows]

    async def finish(self, message: OutboxMessage) -> bool:
        """Record the outcome of a delivery; False when the lease was lost (another worker
        took the row over after it expired, or an admin buried it)."""
        if not message.lease_token:
            return False
        count = await OutboxRow.filter(
            id=message.id, lease_token=message.lease_token, status="in_flight"
        ).update(
            status=message.status,
            attempts=message.attempts,
            next_attempt_at=message.next_attempt_at,
            lease_until=None,
            lease_token=None,
            last_error=message.last_error,
            result=message.result,
            delivered_at=message.delivered_at,
        )
        return bool(count)

    async def finish_many(self, messages: Sequence[OutboxMessage]) -> Sequence[bool]:
        """`finish` for many rows (the worker's hot path): one conditional UPDATE … FROM VALUES
        per thousand rows, which touches only rows still leased to their claim and returns the
        ids it recorded."""
        mine = [m for m in messages if m.lease_token]
        if not mine:
            return [False] * len(messages)
        db = OutboxRow._choose_db(for_write=True)
        postgres = db.capabilities.dialect != "sqlite"
        fields = OutboxRow._meta.fields_map
        recorded: set[str] = set()
        for i in range(0, len(mine), FINISH_CHUNK):
            chunk = mine[i : i + FINISH_CHUNK]
            values: list[Any] = []
            tuples = []
            for m in chunk:
                marks = []
                for column, cast in _FINISH_VALUES:
                    if column == "id":
                        value: Any = fields["id"].to_db_value(m.id, OutboxRow)
                    elif column == "token":
                        value = m.lease_token
                    else:
                        value = fields[column].to_db_value(getattr(m, column), OutboxRow)
                    values.append(value)
                    marks.append(f"${len(values)}::{cast}" if postgres else f"?{len(values)}")
                tuples.append("(" + ", ".join(marks) + ")")
            names = ", ".join(column for column, _ in _FINISH_VALUES)
            sets = ", ".join(f"{c} = v.{c}" for c, _ in _FINISH_VALUES if c not in ("id", "token"))
            # only our own column names and placeholders are formatted into the statement
            sql = f"""
                WITH v({names}) AS (VALUES {", ".join(tuples)})
                UPDATE outbox
                SET {sets}, lease_until = NULL, lease_token = NULL
                FROM v
                WHERE outbox.id = v.id AND outbox.lease_token = v.token
                  AND outbox.status = 'in_flight'
                RETURNING outbox.id
            """  # noqa: S608
            rows = await db.execute_query_dict(sql, values)
            recorded.update(str(r["id"]) for r in rows)
        return [bool(m.lease_token) and str(m.id) in recorded for m in messages]

    async def counts(self) -> dict[str, int]:
        rows = await OutboxRow.annotate(n=Count("id")).group_by("status").values("status", "n")
        found = {str(r["status"]): int(r["n"]) for r in rows}
        return {status: found.get(status, 0) for status in STATUSES}

    async def last_result_value(
        self, aggregate_type: str, aggregate_id: str, key: str
    ) -> str | None:
        """`result[key]` of the latest delivered row of an aggregate that recorded one."""
        rows = (
            await OutboxRow.filter(
                aggregate_type=aggregate_type, aggregate_id=aggregate_id, status="done"
            )
            .order_by("-seq")
            .only("result")
        )
        for row in rows:
            value = (row.result or {}).get(key)
            if value:
                return str(value)
        return None


class DbCalendarLinks:
    async def save(self, link: CalendarLink) -> None:
        values: dict[str, Any] = {
            "organisation_id": link.organisation_id,
            "event_id": link.event_id,
            "ical_uid": link.ical_uid,
            "join_url": link.join_url,
            "cancelled": link.cancelled,
            "updated_at": link.updated_at,
        }
        updated = await CalendarLinkRow.filter(
            aggregate_type=link.aggregate_type, aggregate_id=link.aggregate_id
        ).update(**values)
        if not updated:
            await CalendarLinkRow.create(
                id=uuid4(),
                aggregate_type=link.aggregate_type,
                aggregate_id=link.aggregate_id,
                **values,
            )

    async def get(self, aggregate_type: str, aggregate_id: str) -> CalendarLink | None:
        row = await CalendarLinkRow.get_or_none(
            aggregate_type=aggregate_type, aggregate_id=aggregate_id
        )
        if row is None:
            return None
        return CalendarLink(
            organisation_id=row.organisation_id,
            aggregate_type=row.aggregate_type,
            aggregate_id=row.aggregate_id,
            event_id=row.event_id,
            ical_uid=row.ical_uid,
            join_url=row.join_url,
            cancelled=row.cancelled,
            updated_at=row.updated_at,
        )

"""The office-hours `BusyTimes` port backed by Graph `getSchedule`, cached briefly so slot pages
stay fast; the expert's real meetings are kept out of offered slots."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from adapters.graph.client import GraphClient
from core.officehours.model import Interval
from core.ports import UnitOfWorkFactory

log = logging.getLogger(__name__)

#: availability statuses that do not block a slot
FREE = {"free", "workingelsewhere"}


class GraphBusyTimes:
    """`client` is a Graph client, or a function building one on first use (so a web process
    that never shows slots never loads the SDK)."""

    def __init__(
        self,
        client: GraphClient | Callable[[], GraphClient],
        uow: UnitOfWorkFactory,
        ttl_seconds: float = 60.0,
        timeout_seconds: float = 5.0,
    ) -> None:
        self._client_or_factory = client
        self._uow = uow
        self._ttl = ttl_seconds
        #: a slow calendar must not hold a slot page or a booking for long (booking asks it
        #: before its transaction opens)
        self._timeout = timeout_seconds
        self._cache: dict[tuple[str, datetime, datetime], tuple[float, list[Interval]]] = {}

    async def busy(
        self,
        org_id: UUID,
        person_ids: Sequence[UUID],
        start: datetime,
        end: datetime,
        *,
        fresh: bool = False,
    ) -> dict[UUID, list[Interval]]:
        async with self._uow() as uow:
            people = await uow.people.get_many(org_id, list(person_ids))
        by_email = {p.email.lower(): p.id for p in people if p.email}
        result: dict[UUID, list[Interval]] = {}
        missing: list[str] = []
        now = time.monotonic()
        for email, person_id in by_email.items():
            hit = None if fresh else self._cache.get((email, start, end))
            if hit and now - hit[0] < self._ttl:
                result[person_id] = hit[1]
            else:
                missing.append(email)
        for i in range(0, len(missing), 20):
            chunk = missing[i : i + 20]
            try:
                async with asyncio.timeout(self._timeout):
                    found = await self._schedule(chunk, start, end)
            except Exception:  # noqa: BLE001 - a calendar outage must not stop booking
                log.warning("getSchedule failed; offering slots without calendar busy time")
                continue
            for email in chunk:
                intervals = found.get(email, [])
                self._cache[(email, start, end)] = (now, intervals)
                result[by_email[email]] = intervals
        return result

    async def _schedule(
        self, emails: list[str], start: datetime, end: datetime
    ) -> dict[str, list[Interval]]:
        body = {
            "Schedules": emails,
            "StartTime": _when(start),
            "EndTime": _when(end),
            "AvailabilityViewInterval": 15,
        }
        client = self._client_or_factory
        if not isinstance(client, GraphClient):
            client = self._client_or_factory = client()
        answer = await client.send_json("POST", f"/users/{emails[0]}/calendar/getSchedule", body)
        found: dict[str, list[Interval]] = {}
        for info in (answer or {}).get("value") or []:
            if not isinstance(info, dict) or not info.get("scheduleId"):
                continue
            found[str(info["scheduleId"]).lower()] = [
                interval
                for item in info.get("scheduleItems") or []
                if (interval := _busy_interval(item)) is not None
            ]
        return found


def _when(when: datetime) -> dict[str, str]:
    return {"dateTime": when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"}


def _busy_interval(item: Any) -> Interval | None:
    """A schedule item as a busy interval; free or unreadable items are ignored."""
    if not isinstance(item, dict):
        return None
    if str(item.get("status", "busy")).lower() in FREE:
        return None
    try:
        start, end = _parse(item["start"]), _parse(item["end"])
    except (KeyError, TypeError, ValueError):
        return None
    return Interval(start, end) if end > start else None


def _parse(value: dict[str, Any]) -> datetime:
    text = str(value["dateTime"]).rstrip("Z")
    when = datetime.fromisoformat(text[:26])
    zone_name = str(value.get("timeZone") or "UTC")
    try:
        zone = ZoneInfo(zone_name) if zone_name.upper() != "UTC" else UTC
    except (ZoneInfoNotFoundError, ValueError):
        zone = UTC
    if when.tzinfo is None:
        when = when.replace(tzinfo=zone)
    return when.astimezone(UTC)

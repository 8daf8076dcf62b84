"""Busy time from people's calendars: none known until the calendar sync provides it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from core.officehours.model import Interval


class NoBusyTimes:
    """The `BusyTimes` port for installs without calendar access: nobody is ever busy."""

    async def busy(
        self,
        org_id: UUID,
        person_ids: Sequence[UUID],
        start: datetime,
        end: datetime,
        *,
        fresh: bool = False,
    ) -> dict[UUID, list[Interval]]:
        return {}

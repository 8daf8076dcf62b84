"""IANA zone handling shared by every feature."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.errors import InvalidInput, UnknownTimeZone


@lru_cache(maxsize=1024)
def zone(name: str) -> ZoneInfo:
    """Return the IANA zone `name` or raise `UnknownTimeZone` with a helpful message."""
    if not name or len(name) > 64:
        raise UnknownTimeZone(
            f"'{name[:64]}' is not an IANA time zone such as Europe/Berlin", zone=name
        )
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise UnknownTimeZone(
            f"'{name}' is not an IANA time zone such as Europe/Berlin", zone=name
        ) from None


def ensure_utc(value: datetime) -> datetime:
    """Aware datetime → UTC; naive datetimes are refused (we never guess a zone)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput("times must carry a UTC offset, e.g. 2026-03-29T09:00:00+02:00")
    return value.astimezone(UTC)


def to_local(value: datetime, zone_name: str) -> datetime:
    return ensure_utc(value).astimezone(zone(zone_name))

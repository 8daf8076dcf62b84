"""Hand-written reads for the hottest paths, where tortoise's query builder costs more CPU
than the query itself. Statements use `?` placeholders and quoted names valid on SQLite and
PostgreSQL; UUIDs are passed as strings."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from tortoise import connections


@lru_cache(maxsize=64)
def numbered(sql: str) -> str:
    """`?` placeholders as PostgreSQL's `$1`, `$2`, …"""
    parts = sql.split("?")
    return parts[0] + "".join(f"${n}{part}" for n, part in enumerate(parts[1:], 1))


async def fetch(sql: str, values: Sequence[object]) -> list[dict[str, Any]]:
    """Rows of `sql` as dicts, on the current connection (a unit of work's transaction when
    called inside one)."""
    db = connections.get("default")
    if db.capabilities.dialect == "postgres":
        sql = numbered(sql)
    rows: list[dict[str, Any]] = await db.execute_query_dict(sql, list(values))
    return rows

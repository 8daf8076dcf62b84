"""Hand-written statements for the hottest paths, where tortoise's query builder costs more CPU
than the query itself. Statements use `?` placeholders and quoted names valid on SQLite and
PostgreSQL; UUIDs are passed as strings, datetimes as aware datetimes, JSON as its text."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any, TypeVar

from tortoise import connections
from tortoise.models import Model

M = TypeVar("M", bound=Model)


@lru_cache(maxsize=64)
def numbered(sql: str) -> str:
    """`?` placeholders as PostgreSQL's `$1`, `$2`, …"""
    parts = sql.split("?")
    return parts[0] + "".join(f"${n}{part}" for n, part in enumerate(parts[1:], 1))


async def fetch(sql: str, values: Sequence[object]) -> list[dict[str, Any]]:
    """Rows of `sql` as dicts, on the current connection (a unit of work's transaction when
    called inside one). Also runs `INSERT … RETURNING`."""
    db = connections.get("default")
    if db.capabilities.dialect == "postgres":
        sql = numbered(sql)
    rows: list[dict[str, Any]] = await db.execute_query_dict(sql, list(values))
    return rows


def select(model: type[Model], rest: str) -> str:
    """`SELECT` every column of `model`'s table, then `rest` (`FROM …`, with `?` values)."""
    names = ", ".join(f'"{c}"' for c in model._meta.fields_db_projection.values())
    return " ".join(("SELECT", names, rest))


async def fetch_rows(model: type[M], sql: str, values: Sequence[object]) -> list[M]:
    """Rows of `sql` (built by `select(model, …)`) as `model` instances, converted by the
    table's own fields exactly as tortoise converts the rows of its own queries."""
    return [model._init_from_db(**row) for row in await fetch(sql, values)]

"""Hand-written statements for the hottest paths, where tortoise's query builder costs more CPU
than the query itself. Statements use `?` placeholders and quoted names valid on SQLite and
PostgreSQL; UUIDs are passed as strings, datetimes as aware datetimes, JSON as its text."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import lru_cache
from types import SimpleNamespace
from typing import Any, TypeVar

from tortoise import connections
from tortoise.fields import JSONField
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


def json_rows(
    model: type[Model], where: str, order: Sequence[str], limit: bool = False
) -> dict[str, str]:
    """A scalar subquery giving the rows of `model`'s table that match `where` (with `?`s,
    then `LIMIT ?` when `limit`), in `order`, as one JSON array of objects; by dialect. Several
    of them in one `SELECT` read several tables in one statement (`fetch_by_dialect`)."""
    meta = model._meta
    cols = list(meta.fields_db_projection.values())
    json_cols = {
        meta.fields_db_projection[name]
        for name, field in meta.fields_map.items()
        if isinstance(field, JSONField) and name in meta.fields_db_projection
    }
    by = ", ".join(f'"{c}"' for c in order)
    tail = " ".join(("FROM", f'"{meta.db_table}"', "WHERE", where, "ORDER BY", by))
    if limit:
        tail += " LIMIT ?"
    names = ", ".join(f'"{c}"' for c in cols)
    pairs = ", ".join(f"'{c}', \"{c}\"" for c in cols)
    # PostgreSQL nests JSON columns as JSON: as text they decode like SQLite's, once
    pg_names = ", ".join(f'"{c}"::text AS "{c}"' if c in json_cols else f'"{c}"' for c in cols)
    t_by = ", ".join(f't."{c}"' for c in order)
    return {
        "sqlite": " ".join(
            ("(SELECT json_group_array(json_object(", pairs, ")) FROM (SELECT", names, tail, "))")
        ),
        "postgres": " ".join(
            (
                "(SELECT coalesce(json_agg(t ORDER BY",
                t_by,
                "), '[]') FROM (SELECT",
                pg_names,
                tail,
                ") t)",
            )
        ),
    }


async def fetch_by_dialect(
    sql: Mapping[str, str], values: Sequence[object]
) -> list[dict[str, Any]]:
    """`fetch` with the statement written for the connection's dialect."""
    db = connections.get("default")
    dialect = db.capabilities.dialect
    text = numbered(sql[dialect]) if dialect == "postgres" else sql[dialect]
    rows: list[dict[str, Any]] = await db.execute_query_dict(text, list(values))
    return rows


def from_json(model: type[M], value: object) -> list[M]:
    """The rows of a `json_rows` column, each with `model`'s attributes converted by its
    fields (attribute access only: not instances to save)."""
    items: list[dict[str, Any]] = json.loads(value) if isinstance(value, (str, bytes)) else []
    fields = model._meta.fields_map
    projection = model._meta.fields_db_projection
    out: list[Any] = []
    for item in items or ():
        out.append(
            SimpleNamespace(
                **{
                    name: None if item[col] is None else fields[name].to_python_value(item[col])
                    for name, col in projection.items()
                }
            )
        )
    return out

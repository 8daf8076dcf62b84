"""Connecting, migrating and closing the database."""

from __future__ import annotations

import logging
from collections.abc import Callable

from tortoise import Tortoise, connections
from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.migrations.api import migrate

from adapters.db.config import tortoise_config

log = logging.getLogger(__name__)


async def upgrade(
    database_url: str,
    progress: Callable[[str, str, str], object] | None = None,
    *,
    sqlite_synchronous: str = "normal",
) -> None:
    """Apply every pending migration of every feature app (idempotent)."""
    config = tortoise_config(database_url, sqlite_synchronous=sqlite_synchronous)
    try:
        await migrate(config=config, progress=progress)
    finally:
        await Tortoise.close_connections()


async def connect(database_url: str, *, sqlite_synchronous: str = "normal") -> None:
    # tortoise caches each table's INSERT statement per connection *name*: a process that used
    # SQLite before (tests, CLI runs, benchmarks) would send `?` placeholders to PostgreSQL
    EXECUTOR_CACHE.clear()
    await Tortoise.init(config=tortoise_config(database_url, sqlite_synchronous=sqlite_synchronous))


async def close() -> None:
    await Tortoise.close_connections()


async def ping() -> bool:
    """True when the database answers a trivial query."""
    try:
        conn = connections.get("default")
        await conn.execute_query("SELECT 1")
        return True
    except Exception:
        log.warning("database ping failed", exc_info=True)
        return False


async def make_migrations(database_url: str, app_labels: list[str] | None = None) -> None:
    """Write new migration files for table changes (a developer command)."""
    from tortoise.cli import cli as tortoise_cli

    from adapters.db import config

    config.CLI_CONFIG.clear()
    config.CLI_CONFIG.update(tortoise_config(database_url))
    ctx = tortoise_cli.CLIContext(config="adapters.db.config.CLI_CONFIG", config_file=None)
    await tortoise_cli.makemigrations(ctx, tuple(app_labels or ()), False, None)

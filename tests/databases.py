"""Test databases: a fresh SQLite file per test, or a fresh PostgreSQL database per run.

PEERLEARN_TEST_DATABASE_URL picks the run's database (`postgres://…` for PostgreSQL; unset for
SQLite). PEERLEARN_TEST_POSTGRES_URL names a PostgreSQL server for the tests that need PostgreSQL
whatever the run's database is; it defaults to the run's database when that is PostgreSQL.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from adapters.db import lifecycle


def run_database_url() -> str | None:
    return os.environ.get("PEERLEARN_TEST_DATABASE_URL") or None


def postgres_server_url() -> str | None:
    url = os.environ.get("PEERLEARN_TEST_POSTGRES_URL") or run_database_url()
    if url and url.startswith(("postgres://", "postgresql://")):
        return url
    return None


def _with_db(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, ""))


def _asyncpg_url(url: str) -> str:
    return "postgresql://" + url.split("://", 1)[1]


class PostgresDatabase:
    """A database created for this test run on a PostgreSQL server, dropped at the end."""

    def __init__(self, server_url: str, label: str = "peerlearn_test") -> None:
        self.server_url = server_url
        self.name = f"{label}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        self.url = _with_db(server_url, self.name)

    def create(self) -> None:
        async def go() -> None:
            conn = await asyncpg.connect(_asyncpg_url(_with_db(self.server_url, "postgres")))
            try:
                await conn.execute(f'CREATE DATABASE "{self.name}"')
            finally:
                await conn.close()
            await lifecycle.upgrade(self.url)

        asyncio.run(go())

    def drop(self) -> None:
        async def go() -> None:
            conn = await asyncpg.connect(_asyncpg_url(_with_db(self.server_url, "postgres")))
            try:
                await conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            finally:
                await conn.close()

        asyncio.run(go())

    async def truncate(self) -> None:
        """Empty every table but the migration history (fast reset between tests)."""
        conn = await asyncpg.connect(_asyncpg_url(self.url))
        try:
            tables = await conn.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename <> 'tortoise_migrations'"
            )
            if tables:
                names = ", ".join(f'"{t["tablename"]}"' for t in tables)
                await conn.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        finally:
            await conn.close()


class SqliteTemplate:
    """A migrated SQLite file copied for each test: a fresh database in a millisecond."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / "template.db"

    def create(self) -> None:
        asyncio.run(lifecycle.upgrade(f"sqlite://{self.path}"))

    def fresh_copy(self, directory: Path) -> str:
        target = directory / "peerlearn.db"
        shutil.copyfile(self.path, target)
        return f"sqlite://{target}"

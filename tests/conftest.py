"""Shared fixtures: a migrated database per test (SQLite or PostgreSQL), services, API client."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from tortoise import Tortoise

from adapters.db import lifecycle
from app.bootstrap import build_services
from app.settings import Settings
from core.clock import FixedClock
from core.services import Services
from tests.databases import PostgresDatabase, SqliteTemplate, postgres_server_url, run_database_url
from tests.teams_connector import FakeConnector

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
#: a Monday morning in UTC; tests move it as they need
START = datetime(2026, 3, 23, 8, 0, tzinfo=UTC)


def pytest_report_header(config: pytest.Config) -> str:
    url = run_database_url()
    db = "PostgreSQL (fresh database)" if url else "SQLite (fresh file per test)"
    pg = "available" if postgres_server_url() else "NOT configured: PostgreSQL-only tests skip"
    return f"peerlearn test database: {db}; PostgreSQL server for PostgreSQL-only tests: {pg}"


@pytest.fixture(scope="session")
def _run_db(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[PostgresDatabase | SqliteTemplate]:
    url = run_database_url()
    if url and url.startswith(("postgres://", "postgresql://")):
        pg = PostgresDatabase(url)
        pg.create()
        yield pg
        pg.drop()
    elif url:
        raise pytest.UsageError(
            f"PEERLEARN_TEST_DATABASE_URL must be a postgres:// URL, got {url!r}"
        )
    else:
        template = SqliteTemplate(tmp_path_factory.mktemp("sqlite-template"))
        template.create()
        yield template


@pytest.fixture
async def database_url(
    _run_db: PostgresDatabase | SqliteTemplate, tmp_path: Path
) -> AsyncIterator[str]:
    """A connected, migrated, empty database for one test."""
    if isinstance(_run_db, PostgresDatabase):
        await _run_db.truncate()
        url = _run_db.url
    else:
        url = _run_db.fresh_copy(tmp_path)
    await lifecycle.connect(url)
    try:
        yield url
    finally:
        await Tortoise.close_connections()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database (migrated) for tests that need PostgreSQL specifically."""
    server = postgres_server_url()
    if not server:
        if IN_CI:
            pytest.fail("CI must provide PostgreSQL (PEERLEARN_TEST_POSTGRES_URL)")
        pytest.skip(
            "PostgreSQL not configured: set PEERLEARN_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres"
        )
    pg = PostgresDatabase(server, label="peerlearn_pg")
    pg.create()
    try:
        yield pg.url
    finally:
        pg.drop()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url)


@pytest.fixture
def services(settings: Settings, clock: FixedClock) -> Services:
    return build_services(settings, clock=clock)


@pytest.fixture
async def org(services: Services) -> Any:
    return await services.people.create_organisation("acme", "Acme Corp", ["tenant-acme"])


@pytest.fixture
async def api(aiohttp_client: Any, settings: Settings, services: Services, org: Any) -> Any:
    """An aiohttp test client with a valid API key for `org` in its default headers."""
    from app.web import create_app

    _, secret = await services.people.create_api_key(org.id, "tests")
    client = await aiohttp_client(create_app(settings, services))
    client.session.headers["Authorization"] = f"Bearer {secret}"
    return client


@pytest.fixture
async def connector(aiohttp_server: Any) -> FakeConnector:
    """A local fake Bot Connector on 127.0.0.1: the bot's replies and proactive sends land here."""
    fake = FakeConnector()
    server = await aiohttp_server(fake.app(), host="127.0.0.1")
    fake.url = str(server.make_url("/")).rstrip("/")
    return fake

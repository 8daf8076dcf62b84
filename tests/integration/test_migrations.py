"""Upgrading a database that already holds data: an install from before the outbox lease token
and before office hours (people and outbox at their first migration) keeps every row."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from tortoise import Tortoise, connections
from tortoise.exceptions import IntegrityError
from tortoise.migrations.api import migrate

from adapters.db import lifecycle
from adapters.db.config import tortoise_config
from adapters.db.repositories.outbox import DbOutbox
from adapters.db.repositories.people import DbOrganisations, DbPeople
from tests.databases import _asyncpg_url, _with_db, postgres_server_url

ORG = "6f1c2d4e-0000-4000-8000-000000000001"
PERSON = "6f1c2d4e-0000-4000-8000-000000000002"
MESSAGE = "6f1c2d4e-0000-4000-8000-000000000003"


@pytest.fixture(params=["sqlite", "postgres"])
async def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A database without any table, on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite://{tmp_path / 'old.db'}"
        return
    server = postgres_server_url()
    if not server:
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail("CI must provide PostgreSQL (PEERLEARN_TEST_POSTGRES_URL)")
        pytest.skip("PostgreSQL not configured: set PEERLEARN_TEST_POSTGRES_URL")
    name = f"peerlearn_upgrade_{uuid.uuid4().hex[:10]}"
    admin = _asyncpg_url(_with_db(server, "postgres"))
    conn = await asyncpg.connect(admin)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    try:
        yield _with_db(server, name)
    finally:
        conn = await asyncpg.connect(admin)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()


def _old_config(url: str) -> dict[str, Any]:
    config = tortoise_config(url)
    config["apps"] = {k: v for k, v in config["apps"].items() if k in ("people", "outbox")}
    return config


async def test_upgrading_a_database_with_data_loses_none_of_it(empty_database: str) -> None:
    url = empty_database
    old = _old_config(url)
    try:
        await migrate(config=old, app_labels=["people"])
        await migrate(config=old, app_labels=["outbox"], target="outbox.0001_initial")
    finally:
        await Tortoise.close_connections()

    # rows written by the older version, with the columns it knew
    await Tortoise.init(config=old)
    try:
        conn = connections.get("default")
        created = "2026-03-23 08:00:00+00:00"
        await conn.execute_script(
            f"INSERT INTO organisation (id, slug, name, allow_self_signup, created_at) "
            f"VALUES ('{ORG}', 'acme', 'Acme Corp', TRUE, '{created}');"
            f"INSERT INTO person (id, organisation_id, name, email, email_verified, time_zone, "
            f"locale, is_admin, created_at) VALUES ('{PERSON}', '{ORG}', 'Jonas Becker', "
            f"'jonas@acme.example', TRUE, 'Europe/Berlin', 'de-DE', FALSE, '{created}');"
            f"INSERT INTO outbox (id, organisation_id, kind, aggregate_type, aggregate_id, seq, "
            f"payload, status, attempts, next_attempt_at, result, created_at) VALUES "
            f"('{MESSAGE}', '{ORG}', 'notify.person', 'person', '{PERSON}', 1, "
            f"'{{\"template\":\"welcome\"}}', 'pending', 0, '{created}', '{{}}', '{created}');"
        )
    finally:
        await Tortoise.close_connections()

    await lifecycle.upgrade(url)
    await lifecycle.upgrade(url)  # a second upgrade is a no-op

    await lifecycle.connect(url)
    try:
        org = await DbOrganisations().get(uuid.UUID(ORG))
        assert org is not None and org.slug == "acme"
        person = await DbPeople().get(uuid.UUID(ORG), uuid.UUID(PERSON))
        assert person is not None
        assert (person.name, person.email, person.time_zone) == (
            "Jonas Becker",
            "jonas@acme.example",
            "Europe/Berlin",
        )
        message = await DbOutbox().get(uuid.UUID(MESSAGE))
        assert message is not None
        assert (message.kind, message.payload, message.status) == (
            "notify.person",
            {"template": "welcome"},
            "pending",
        )
        # the new feature tables exist and work next to the old rows
        from adapters.db.tables.officehours import OfficeHoursTypeRow

        assert await OfficeHoursTypeRow.all().count() == 0
    finally:
        await lifecycle.close()


async def test_places_doubled_before_the_one_place_index_are_folded_into_one(
    empty_database: str,
) -> None:
    """Migration 0006 adds the index allowing one seat or waitlist place and one audience place
    per person and session; places an older version doubled under a race are cancelled first
    (the seat or the earlier place stays) and give their seats back."""
    from datetime import UTC, datetime, timedelta

    from adapters.db.tables.officehours import BookingRow, OccurrenceRow

    url = empty_database
    config = tortoise_config(url)
    try:
        for label in config["apps"]:
            if label != "officehours":
                await migrate(config=config, app_labels=[label])
        await migrate(
            config=config, app_labels=["officehours"], target="officehours.0005_booking_audience"
        )
    finally:
        await Tortoise.close_connections()

    org, host, ana, ben = (uuid.uuid4() for _ in range(4))
    start = datetime(2026, 3, 24, 8, 0, tzinfo=UTC)
    occurrence = uuid.uuid4()
    await lifecycle.connect(url)
    try:
        await OccurrenceRow.create(
            id=occurrence,
            organisation_id=org,
            type_id=uuid.uuid4(),
            host_id=host,
            start_utc=start,
            end_utc=start + timedelta(minutes=30),
            capacity=3,
            taken=3,
        )
        booked: dict[str, uuid.UUID] = {}
        # (name, person, status, audience): Ana holds two seats and a waitlist place, Ben one
        # seat, and Ben watches twice
        rows = [
            ("ana-wait", ana, "waitlisted", False),
            ("ana-seat", ana, "confirmed", False),
            ("ana-seat-2", ana, "confirmed", False),
            ("ben-seat", ben, "pending", False),
            ("ben-watch", ben, "confirmed", True),
            ("ben-watch-2", ben, "confirmed", True),
            ("ben-old", ben, "cancelled", True),
        ]
        for seq, (name, person, status, audience) in enumerate(rows, start=1):
            booked[name] = uuid.uuid4()
            await BookingRow.create(
                id=booked[name],
                organisation_id=org,
                type_id=uuid.uuid4(),
                occurrence_id=occurrence,
                host_id=host,
                person_id=person,
                start_utc=start,
                end_utc=start + timedelta(minutes=30),
                status=status,
                audience=audience,
                seq=seq,
                created_at=start,
                updated_at=start,
            )
    finally:
        await lifecycle.close()

    await lifecycle.upgrade(url)

    await lifecycle.connect(url)
    try:
        status = {
            name: (await BookingRow.get(id=booking_id)).status
            for name, booking_id in booked.items()
        }
        assert status == {
            "ana-wait": "cancelled",
            "ana-seat": "confirmed",
            "ana-seat-2": "cancelled",
            "ben-seat": "pending",
            "ben-watch": "confirmed",
            "ben-watch-2": "cancelled",
            "ben-old": "cancelled",
        }
        assert (await OccurrenceRow.get(id=occurrence)).taken == 2
        # and from now on the storage refuses a second place
        with pytest.raises(IntegrityError):
            await BookingRow.create(
                id=uuid.uuid4(),
                organisation_id=org,
                type_id=uuid.uuid4(),
                occurrence_id=occurrence,
                host_id=host,
                person_id=ben,
                start_utc=start,
                end_utc=start + timedelta(minutes=30),
                status="waitlisted",
                audience=False,
                seq=99,
                created_at=start,
                updated_at=start,
            )
    finally:
        await lifecycle.close()

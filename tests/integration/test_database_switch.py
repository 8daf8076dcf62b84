"""One process, two databases in turn (a CLI run on SQLite, then the app on PostgreSQL): each
gets statements in its own dialect."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

from adapters.db import lifecycle
from adapters.db.tables.people import OrganisationRow


async def test_writing_to_postgresql_after_sqlite_in_the_same_process(
    postgres_url: str, tmp_path: Path
) -> None:
    sqlite = f"sqlite://{tmp_path / 'first.db'}"
    await lifecycle.upgrade(sqlite)
    for url in (sqlite, postgres_url, sqlite):
        await lifecycle.connect(url)
        try:
            await OrganisationRow.create(
                id=uuid.uuid4(),
                slug=f"o-{uuid.uuid4().hex[:8]}",
                name="Org",
                created_at=datetime.now(UTC),
            )
            assert await OrganisationRow.all().count() >= 1
        finally:
            await lifecycle.close()

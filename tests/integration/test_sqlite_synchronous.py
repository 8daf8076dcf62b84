"""SQLite's durability level comes from PEERLEARN_SQLITE_SYNCHRONOUS and holds on the connection."""

from __future__ import annotations

from pathlib import Path

import pytest
from tortoise import connections

from adapters.db import lifecycle
from app.settings import Settings

# PRAGMA synchronous answers with a number
LEVELS = {"off": 0, "normal": 1, "full": 2, "extra": 3}


async def _pragmas(url: str, level: str) -> tuple[int, str]:
    await lifecycle.connect(url, sqlite_synchronous=level)
    try:
        conn = connections.get("default")
        _, sync = await conn.execute_query("PRAGMA synchronous")
        _, journal = await conn.execute_query("PRAGMA journal_mode")
        return int(sync[0][0]), str(journal[0][0]).lower()
    finally:
        await lifecycle.close()


@pytest.mark.parametrize("level", ["normal", "full", "off", "extra"])
async def test_the_chosen_level_is_in_effect_on_a_wal_connection(
    tmp_path: Path, level: str
) -> None:
    settings = Settings.from_env(
        {
            "DATABASE_URL": f"sqlite://{tmp_path / 'db.sqlite'}",
            "PEERLEARN_SQLITE_SYNCHRONOUS": level.upper(),
        }
    )
    assert await _pragmas(settings.database_url, settings.sqlite_synchronous) == (
        LEVELS[level],
        "wal",
    )


async def test_normal_is_the_default(tmp_path: Path) -> None:
    settings = Settings.from_env({"DATABASE_URL": f"sqlite://{tmp_path / 'db.sqlite'}"})
    assert settings.sqlite_synchronous == "normal"
    assert await _pragmas(settings.database_url, settings.sqlite_synchronous) == (1, "wal")


async def test_a_level_in_the_url_wins(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path / 'db.sqlite'}?synchronous=FULL"
    assert (await _pragmas(url, "normal"))[0] == 2


def test_an_unknown_level_is_refused_at_start_up() -> None:
    with pytest.raises(ValueError, match="PEERLEARN_SQLITE_SYNCHRONOUS"):
        Settings.from_env({"PEERLEARN_SQLITE_SYNCHRONOUS": "fast; DROP TABLE x"})

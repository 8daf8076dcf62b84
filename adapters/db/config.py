"""Tortoise configuration built from a database URL."""

from __future__ import annotations

from typing import Any

from tortoise.backends.base.config_generator import expand_db_url

#: feature app label → (table module, migrations package). Add a feature by adding one line.
APPS: dict[str, tuple[str, str]] = {
    "people": ("adapters.db.tables.people", "adapters.db.migrations.people"),
    "outbox": ("adapters.db.tables.outbox", "adapters.db.migrations.outbox"),
    "communities": ("adapters.db.tables.communities", "adapters.db.migrations.communities"),
    "expertise": ("adapters.db.tables.expertise", "adapters.db.migrations.expertise"),
    "officehours": ("adapters.db.tables.officehours", "adapters.db.migrations.officehours"),
    "lti": ("adapters.db.tables.lti", "adapters.db.migrations.lti"),
    "teams": ("adapters.db.tables.teams", "adapters.db.migrations.teams"),
}

#: SQLite `PRAGMA synchronous` levels a deployment may choose (PEERLEARN_SQLITE_SYNCHRONOUS)
SQLITE_SYNCHRONOUS = ("off", "normal", "full", "extra")

#: filled by `peerlearn db makemigrations` for tortoise's own migration writer
CLI_CONFIG: dict[str, Any] = {}


def tortoise_config(database_url: str, *, sqlite_synchronous: str = "normal") -> dict[str, Any]:
    """Tortoise config for `database_url` (sqlite://path or postgres://...).

    SQLite runs in WAL mode (tortoise's default); `sqlite_synchronous` sets its `PRAGMA
    synchronous` on every connection unless the URL's query already names one.
    """
    url = database_url
    if url.startswith("postgresql://"):
        url = "postgres://" + url[len("postgresql://") :]
    connection: str | dict[str, Any] = url
    if url.startswith("sqlite://"):
        level = sqlite_synchronous.strip().lower()
        if level not in SQLITE_SYNCHRONOUS:
            raise ValueError(f"SQLite synchronous must be one of {', '.join(SQLITE_SYNCHRONOUS)}")
        connection = expand_db_url(url)
        connection["credentials"].setdefault("synchronous", level.upper())
    return {
        "connections": {"default": connection},
        "apps": {
            label: {
                "models": [module],
                "migrations": migrations,
                "default_connection": "default",
            }
            for label, (module, migrations) in APPS.items()
        },
        "use_tz": True,
        "timezone": "UTC",
    }

"""Tortoise configuration built from a database URL."""

from __future__ import annotations

from typing import Any

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

#: filled by `peerlearn db makemigrations` for tortoise's own migration writer
CLI_CONFIG: dict[str, Any] = {}


def tortoise_config(database_url: str) -> dict[str, Any]:
    """Tortoise config for `database_url` (sqlite://path or postgres://...)."""
    url = database_url
    if url.startswith("postgresql://"):
        url = "postgres://" + url[len("postgresql://") :]
    return {
        "connections": {"default": url},
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

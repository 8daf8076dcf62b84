"""Settings come from the environment, are documented, and never print secrets."""

from __future__ import annotations

from pathlib import Path

from app.settings import ENV, Settings

ROOT = Path(__file__).resolve().parents[2]


def test_every_environment_variable_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    for var, _ in ENV.values():
        assert f"`{var}`" in readme, var


def test_secrets_never_show_in_a_repr() -> None:
    s = Settings.from_env({"MICROSOFT_APP_PASSWORD": "hunter2", "GRAPH_CLIENT_SECRET": "s3cret"})
    assert s.microsoft_app_password.reveal() == "hunter2"
    assert "hunter2" not in repr(s) and "s3cret" not in repr(s)


def test_the_worker_runs_in_process_by_default_only_on_sqlite() -> None:
    assert Settings.from_env({}).worker_in_process
    assert not Settings.from_env({"DATABASE_URL": "postgres://x@y/z"}).worker_in_process
    assert Settings.from_env(
        {"DATABASE_URL": "postgres://x@y/z", "PEERLEARN_WORKER_IN_PROCESS": "true"}
    ).worker_in_process

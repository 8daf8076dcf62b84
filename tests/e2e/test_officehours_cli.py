"""`peerlearn officehours`: an admin browses the demo experts' hours, books for a colleague
(retrying safely), lists bookings, and gets a one-line error for a bad time."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from app.cli import cli


def _run(db: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--database-url", db, *args], catch_exceptions=False)
    return result.exit_code, result.output


def test_the_demo_experts_office_hours_can_be_browsed_and_booked(tmp_path: Path) -> None:
    db = f"sqlite://{tmp_path / 'demo.db'}"
    code, out = _run(db, "demo")
    assert code == 0, out
    assert "11 office hours" in out
    code, out = _run(db, "demo")
    assert "0 office hours, 0 bookings" in out

    code, out = _run(
        db, "officehours", "ls", "--org", "northwind", "--host", "jack.taylor@northwind.example"
    )
    assert code == 0
    assert "Australia/Lord_Howe" in out
    type_id = out.split()[0]

    code, out = _run(
        db, "officehours", "slots", type_id, "--org", "northwind", "--days", "21", "--free-only"
    )
    assert code == 0
    start = out.splitlines()[0].split()[4]
    args = ("--org", "northwind", "--person", "sara.nilsson@northwind.example")
    code, first = _run(db, "officehours", "book", type_id, start, *args, "--idempotency-key", "k1")
    assert code == 0, first
    code, again = _run(db, "officehours", "book", type_id, start, *args, "--idempotency-key", "k1")
    assert again.startswith("already booked: ")
    assert first.split()[0] == again.split()[2]

    code, out = _run(
        db,
        "officehours",
        "bookings",
        "--org",
        "northwind",
        "--person",
        "sara.nilsson@northwind.example",
    )
    assert out.count("confirmed") == 1

    code, out = _run(db, "officehours", "book", type_id, "2020-01-06T09:00:00+00:00", *args)
    assert code == 2
    code, out = _run(db, "officehours", "cancel", first.split()[0], "--org", "northwind")
    assert code == 0 and "cancelled" in out


def test_every_officehours_command_has_help() -> None:
    for command in ("ls", "slots", "book", "bookings", "cancel"):
        result = CliRunner().invoke(cli, ["officehours", command, "--help"])
        assert result.exit_code == 0
        assert "--org" in result.output

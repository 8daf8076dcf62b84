"""`peerlearn people import`: an admin loads the staff list, fixes it, loads it again."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from app.cli import cli


def _run(db: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--database-url", db, *args], catch_exceptions=False)
    return result.exit_code, result.output


def _people(db: str) -> list[dict[str, str]]:
    import asyncio

    from adapters.db import lifecycle
    from adapters.db.tables.people import PersonRow

    async def go() -> list[dict[str, str]]:
        await lifecycle.connect(db)
        try:
            rows = await PersonRow.all().order_by("email").values("name", "email", "time_zone")
            return [dict(r) for r in rows]
        finally:
            await lifecycle.close()

    return asyncio.run(go())


def test_importing_a_csv_twice_creates_once_and_reports_bad_lines(tmp_path: Path) -> None:
    db = f"sqlite://{tmp_path / 'p.db'}"
    assert _run(db, "org", "create", "acme", "--name", "Acme")[0] == 0
    staff = tmp_path / "staff.csv"
    staff.write_text(
        "name,email,time_zone,locale\n"
        "Jonas Becker,jonas@acme.example,Europe/Berlin,de-DE\n"
        "Priya Raman,priya@acme.example,Asia/Kolkata,en-IN\n"
        "Bad Zone,bad@acme.example,Mars/Olympus,en\n"
        "No Email,,UTC,en\n"
        "Too,many,columns,here,really\n"
        '"Unclosed quote,x@acme.example,UTC,en\n'
    )
    code, out = _run(db, "people", "import", str(staff), "--org", "acme", "--json")
    assert code == 1
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["created"] == 2
    lines = {r["line"]: r["reason"] for r in summary["rejected"]}
    assert "Mars/Olympus" in lines[4]
    assert "email is required" in lines[5]
    assert "columns" in lines[6]
    assert 7 in lines
    before = _people(db)
    assert [p["email"] for p in before] == ["jonas@acme.example", "priya@acme.example"]

    code, out = _run(db, "people", "import", str(staff), "--org", "acme", "--json")
    summary = json.loads(out.strip().splitlines()[-1])
    assert (summary["created"], summary["updated"], summary["unchanged"]) == (0, 0, 2)
    assert _people(db) == before


def test_a_jsonl_import_updates_changed_people_and_leaves_the_rest(tmp_path: Path) -> None:
    db = f"sqlite://{tmp_path / 'p.db'}"
    _run(db, "org", "create", "acme", "--name", "Acme")
    first = tmp_path / "a.jsonl"
    first.write_text(
        json.dumps({"name": "Mei Lin", "email": "mei@acme.example", "time_zone": "Asia/Singapore"})
        + "\n{broken json\n"
        + json.dumps(["not", "an", "object"])
        + "\n"
    )
    code, out = _run(db, "people", "import", str(first), "--org", "acme")
    assert code == 1
    assert "line 2" in out and "line 3" in out
    moved = tmp_path / "b.jsonl"
    moved.write_text(
        json.dumps({"name": "Mei Lin", "email": "MEI@acme.example", "time_zone": "Europe/London"})
        + "\n"
    )
    code, out = _run(db, "people", "import", str(moved), "--org", "acme")
    assert code == 0, out
    assert "updated 1" in out
    assert _people(db) == [
        {"name": "Mei Lin", "email": "mei@acme.example", "time_zone": "Europe/London"}
    ]


def test_importing_into_an_unknown_organisation_is_refused(tmp_path: Path) -> None:
    db = f"sqlite://{tmp_path / 'p.db'}"
    staff = tmp_path / "s.csv"
    staff.write_text("name,email\nA,a@x.example\n")
    code, out = _run(db, "people", "import", str(staff), "--org", "nope")
    assert code == 2
    assert "no organisation 'nope'" in out


def test_every_command_has_help() -> None:
    runner = CliRunner()

    def walk(command: object, path: list[str]) -> None:
        result = runner.invoke(cli, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, [*path, name])

    walk(cli, [])

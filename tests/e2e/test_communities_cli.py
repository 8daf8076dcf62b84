"""`peerlearn communities`: an admin lists the demo communities, searches the library and exports
the outcome report as JSON, CSV and a chart; bad input gets a one-line error."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from click.testing import CliRunner

from app.cli import cli


def _run(db: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--database-url", db, *args], catch_exceptions=False)
    return result.exit_code, result.output


def test_an_admin_lists_searches_and_exports_the_demo_communities(tmp_path: Path) -> None:
    db = f"sqlite://{tmp_path / 'demo.db'}"
    code, out = _run(db, "demo")
    assert code == 0, out
    assert "3 communities" in out

    code, out = _run(db, "communities", "ls", "--org", "northwind", "--json")
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert {r["name"]: r["visibility"] for r in rows} == {
        "Customer Success Playbooks": "approval",
        "Data Engineering": "open",
        "GenAI Guild": "open",
    }

    code, out = _run(db, "communities", "search", "dbt late rows", "--org", "northwind")
    assert code == 0
    assert "Late-arriving rows in dbt incrementals" in out.splitlines()[0]

    code, out = _run(db, "communities", "analytics", "export", "--org", "northwind")
    assert code == 0
    report = json.loads(out[out.index("{") :])
    assert report["questions_asked"] == 4 and report["repeat_questions"] == 1

    code, out = _run(
        db, "communities", "analytics", "export", "--org", "northwind", "--format", "csv"
    )
    assert ["repeat_questions", "1"] in list(csv.reader(io.StringIO(out)))
    chart = tmp_path / "weekly.png"
    code, _ = _run(
        db,
        "communities",
        "analytics",
        "export",
        "--org",
        "northwind",
        "--format",
        "png",
        "-o",
        str(chart),
    )
    assert code == 0 and chart.read_bytes()[:4] == b"\x89PNG"

    code, out = _run(
        db, "communities", "analytics", "export", "--org", "northwind", "--start", "yesterday"
    )
    assert code == 2 and "error:" in out
    code, out = _run(db, "communities", "ls", "--org", "nowhere")
    assert code == 2 and "error:" in out

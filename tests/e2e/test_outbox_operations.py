"""Operating the outbox: an admin seeds the demo, runs the worker once without Graph (calendar
rows are skipped and the output says so), buries and retries rows, and sees the counts in
`/metrics`."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import uuid4

from click.testing import CliRunner

from app.cli import cli
from core.outbox import OutboxMessage, OutboxTopic
from core.services import Services

NO_GRAPH = {"GRAPH_TENANT_ID": "", "GRAPH_CLIENT_ID": "", "GRAPH_CLIENT_SECRET": ""}


def _run(db: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        cli, ["--database-url", db, *args], env=NO_GRAPH, catch_exceptions=False
    )
    return result.exit_code, result.output


def _stats(db: str) -> dict[str, int]:
    code, out = _run(db, "outbox", "stats")
    assert code == 0, out
    return {line.split()[0]: int(line.split()[1]) for line in out.splitlines()}


def test_an_admin_drains_buries_and_retries_outbox_rows(tmp_path: Path) -> None:
    db = f"sqlite://{tmp_path / 'ops.db'}"
    code, out = _run(db, "demo")
    assert code == 0, out
    before = _stats(db)
    assert before["pending"] > 0 and before["done"] == 0

    code, out = _run(db, "outbox", "ls", "--status", "pending", "--limit", "1")
    row_id = out.split()[0]
    code, out = _run(db, "outbox", "bury", row_id, "--reason", "learner left the company")
    assert code == 0 and "buried" in out
    code, out = _run(db, "outbox", "ls", "--status", "dead")
    assert row_id in out and "buried: learner left the company" in out

    code, out = _run(db, "worker", "--once", "--concurrency", "2")
    assert code == 0, out
    assert "skipped" in out
    after = _stats(db)
    assert after["done"] > 0 and after["dead"] == 1
    code, out = _run(db, "outbox", "ls", "--status", "done", "--limit", "500")
    assert "calendar.upsert" in out
    code, refused = _run(db, "outbox", "bury", out.split()[0], "--reason", "too late")
    assert code == 2 and "already delivered" in refused

    code, out = _run(db, "outbox", "retry", "--dead")
    assert code == 0 and out.startswith("1 dead rows are due again")
    assert _stats(db)["dead"] == 0


def test_bad_outbox_commands_get_a_one_line_error_and_change_nothing(tmp_path: Path) -> None:
    db = f"sqlite://{tmp_path / 'bad.db'}"
    code, out = _run(db, "outbox", "retry")
    assert code == 2 and "either a row id or --dead" in out
    code, out = _run(db, "outbox", "retry", "not-a-uuid")
    assert code == 2 and "must be a UUID" in out
    code, out = _run(db, "outbox", "bury", str(uuid4()), "--reason", "x")
    assert code == 2 and "no outbox row" in out
    code, out = _run(db, "outbox", "bury", str(uuid4()), "--reason", "   ")
    assert code == 2 and "say why" in out
    code, out = _run(db, "worker", "--concurrency", "0")
    assert code == 2
    assert _stats(db) == {"pending": 0, "in_flight": 0, "done": 0, "dead": 0}


async def test_outbox_counts_by_status_are_in_the_metrics(
    api: Any, services: Services, org: Any
) -> None:
    async with services.uow() as uow:
        for i in range(3):
            await uow.outbox.add(
                OutboxMessage(
                    uuid4(),
                    org.id,
                    OutboxTopic.NOTIFY,
                    "booking",
                    f"b{i}",
                    {},
                    services.clock.now(),
                )
            )
        await uow.commit()
    response = await api.get("/metrics")
    assert response.status == 200
    text = await response.text()
    assert 'peerlearn_outbox_rows{status="pending"} 3.0' in text
    assert 'peerlearn_outbox_rows{status="dead"} 0.0' in text

"""`peerlearn lti …`: an admin registers the LMS, adds a deployment, approves and disables
registrations and rotates the tool's signing key."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from app.cli import cli
from tests.databases import PostgresDatabase, run_database_url

MOODLE = [
    "--issuer",
    "https://moodle.example.edu",
    "--client-id",
    "7dXh2kq9",
    "--auth-login-url",
    "https://moodle.example.edu/mod/lti/auth.php",
    "--auth-token-url",
    "https://moodle.example.edu/mod/lti/token.php",
    "--key-set-url",
    "https://moodle.example.edu/mod/lti/certs.php",
]


@pytest.fixture
def db(tmp_path: Path) -> Iterator[str]:
    """The CLI's own database, of the run's kind: tortoise caches insert statements per table
    and connection name, so one process must not mix SQLite and PostgreSQL for the same table."""
    server = run_database_url()
    if server:
        pg = PostgresDatabase(server, label="peerlearn_cli")
        pg.create()
        yield pg.url
        pg.drop()
    else:
        yield f"sqlite://{tmp_path / 'l.db'}"


def _run(db: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--database-url", db, *args], catch_exceptions=False)
    return result.exit_code, result.output


def test_an_admin_registers_moodle_with_two_deployments_and_disables_it(db: str) -> None:
    assert _run(db, "org", "create", "acme", "--name", "Acme")[0] == 0
    code, out = _run(db, "lti", "platform", "add", "--org", "acme", *MOODLE, "--deployment-id", "3")
    assert code == 0 and "active" in out and "deployments=3" in out
    platform_id = out.split()[0]
    code, out = _run(db, "lti", "platform", "add", "--org", "acme", *MOODLE, "--deployment-id", "4")
    assert code == 0 and out.split()[0] == platform_id and "deployments=3,4" in out
    code, out = _run(db, "lti", "platform", "disable", platform_id)
    assert code == 0 and "inactive" in out
    code, out = _run(db, "lti", "platform", "list", "--org", "acme")
    assert code == 0 and len(out.strip().splitlines()) == 1 and "inactive" in out
    code, out = _run(db, "lti", "platform", "approve", platform_id)
    assert code == 0 and " active " in out


def test_bad_registrations_are_refused_with_a_message(db: str) -> None:
    _run(db, "org", "create", "acme", "--name", "Acme")
    _run(db, "org", "create", "other", "--name", "Other")
    code, out = _run(
        db, "lti", "platform", "add", "--org", "acme", *MOODLE[:2], *MOODLE[4:], "--client-id", ""
    )
    assert code == 2 and "client id is required" in out
    assert _run(db, "lti", "platform", "add", "--org", "acme", *MOODLE)[0] == 0
    code, out = _run(db, "lti", "platform", "add", "--org", "other", *MOODLE)
    assert code == 2 and "another organisation" in out
    code, out = _run(db, "lti", "platform", "approve", "not-a-uuid")
    assert code == 2 and "UUID" in out
    code, out = _run(db, "lti", "platform", "list", "--org", "nobody")
    assert code == 2


def test_rotating_keys_publishes_the_new_key_first_and_keeps_the_old(db: str) -> None:
    code, first = _run(db, "lti", "keys", "list")
    assert code == 0 and len(first.split()) == 1
    code, out = _run(db, "lti", "keys", "rotate")
    new_kid = out.split()[-1]
    code, listed = _run(db, "lti", "keys", "list")
    assert listed.split() == [new_kid, first.strip()]


def test_an_admin_prints_a_registration_url_lists_and_revokes_it(db: str) -> None:
    _run(db, "org", "create", "acme", "--name", "Acme")
    result = CliRunner().invoke(
        cli,
        ["--database-url", db, "lti", "register-url", "--org", "acme", "--expires-in-days", "7"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0
    url = result.stdout.strip()
    assert url.startswith("http") and "/lti/register/" in url and "acme" not in url
    secret = url.rsplit("/", 1)[1]
    assert len(secret) >= 32
    code, out = _run(db, "lti", "register-urls", "--org", "acme")
    assert code == 0 and " usable " in out and "last used never" in out
    # only the hash is stored: the listing never shows the secret
    assert secret not in out
    token_id = out.split()[0]
    code, out = _run(db, "lti", "register-url-revoke", "--org", "acme", token_id)
    assert code == 0 and "revoked" in out
    code, out = _run(db, "lti", "register-urls", "--org", "acme")
    assert " revoked " in out
    code, out = _run(db, "lti", "register-url", "--org", "nobody")
    assert code == 2

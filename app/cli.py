"""`peerlearn` command line: serve, demo, db, apikey, org, people, outbox and each feature's commands."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import click

from adapters.files.rows import BadLine, read_rows
from app.runtime import configure_logging, run_with_services
from app.settings import Settings
from core.errors import PeerlearnError
from core.services import Services


class Context:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings


pass_ctx = click.make_pass_decorator(Context)


def fail(message: str) -> None:
    click.secho(f"error: {message}", fg="red", err=True)
    sys.exit(2)


def run(ctx: Context, work: Any, migrate: bool = True) -> Any:
    """Run an async use-case call; expected errors become a one-line message and exit code 2."""
    try:
        return run_with_services(ctx.settings, work, migrate=migrate)
    except PeerlearnError as exc:
        fail(exc.message)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--database-url", envvar="DATABASE_URL", default=None, help="Overrides DATABASE_URL.")
@click.pass_context
def cli(click_ctx: click.Context, database_url: str | None) -> None:
    """peerlearn: peer learning through your own experts, in Teams and in the LMS."""
    settings = Settings.from_env()
    if database_url:
        settings = Settings(**{**settings.__dict__, "database_url": database_url})
    configure_logging(settings.log_level)
    click_ctx.obj = Context(settings)


# serve ------------------------------------------------------------------------------------
@cli.command()
@click.option("--host", default=None, help="Address to bind (default PEERLEARN_HOST or 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default PEERLEARN_PORT or 3978).")
@click.option("--demo", is_flag=True, help="Seed the demo organisation first if it is not there.")
@click.option(
    "--with-worker/--without-worker",
    default=None,
    help="Run the outbox worker in this process (default: on for SQLite).",
)
@pass_ctx
def serve(
    ctx: Context, host: str | None, port: int | None, demo: bool, with_worker: bool | None
) -> None:
    """Run the web app: JSON API, Teams bot endpoint, LTI tool, health and metrics."""
    from app.server import serve_forever

    settings = ctx.settings
    overrides: dict[str, Any] = {}
    if host:
        overrides["host"] = host
    if port:
        overrides["port"] = port
    if with_worker is not None:
        overrides["run_worker_in_process"] = with_worker
    if overrides:
        settings = Settings(**{**settings.__dict__, **overrides})
    if demo:
        from app.demo import seed_demo

        summary = run(ctx, seed_demo)
        click.echo(summary)
    asyncio.run(serve_forever(settings))


# demo -------------------------------------------------------------------------------------
@cli.command()
@pass_ctx
def demo(ctx: Context) -> None:
    """Seed a realistic demo organisation (idempotent)."""
    from app.demo import seed_demo

    click.echo(run(ctx, seed_demo))


# db ---------------------------------------------------------------------------------------
@cli.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@pass_ctx
def db_upgrade(ctx: Context) -> None:
    """Apply pending migrations."""
    from adapters.db import lifecycle

    asyncio.run(
        lifecycle.upgrade(
            ctx.settings.database_url, sqlite_synchronous=ctx.settings.sqlite_synchronous
        )
    )
    click.echo("database is up to date")


@db.command("makemigrations")
@click.argument("apps", nargs=-1)
@pass_ctx
def db_makemigrations(ctx: Context, apps: tuple[str, ...]) -> None:
    """Write migrations for table changes (developers)."""
    from adapters.db import lifecycle

    asyncio.run(lifecycle.make_migrations(ctx.settings.database_url, list(apps)))


# organisations and API keys ------------------------------------------------------------------
@cli.group()
def org() -> None:
    """Organisations (tenants)."""


@org.command("create")
@click.argument("slug")
@click.option("--name", required=True)
@click.option(
    "--teams-tenant", multiple=True, help="Entra tenant id whose Teams users belong here."
)
@click.option(
    "--no-self-signup", is_flag=True, help="Only people added by an admin may use peerlearn."
)
@pass_ctx
def org_create(
    ctx: Context, slug: str, name: str, teams_tenant: tuple[str, ...], no_self_signup: bool
) -> None:
    """Create an organisation."""

    async def work(s: Services) -> str:
        o = await s.people.create_organisation(slug, name, teams_tenant, not no_self_signup)
        return f"created organisation {o.slug} ({o.id})"

    click.echo(run(ctx, work))


@org.command("ls")
@pass_ctx
def org_ls(ctx: Context) -> None:
    """List organisations."""

    async def work(s: Services) -> list[str]:
        return [f"{o.slug}\t{o.name}\t{o.id}" for o in await s.people.organisations()]

    for line in run(ctx, work):
        click.echo(line)


@cli.group()
def apikey() -> None:
    """API keys for /api/v1."""


@apikey.command("create")
@click.option("--org", "org_ref", required=True, help="Organisation slug or id.")
@click.option("--name", default="automation", show_default=True)
@pass_ctx
def apikey_create(ctx: Context, org_ref: str, name: str) -> None:
    """Create an API key; the secret is printed once and stored only as a hash."""

    async def work(s: Services) -> str:
        o = await s.people.organisation(org_ref)
        _, secret = await s.people.create_api_key(o.id, name)
        return secret

    secret = run(ctx, work)
    click.echo(secret)
    click.secho("store it now: it cannot be shown again", fg="yellow", err=True)


# people -----------------------------------------------------------------------------------
@cli.group()
def people() -> None:
    """People."""


@people.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--org", "org_ref", required=True, help="Organisation slug or id.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@pass_ctx
def people_import(ctx: Context, file: Path, org_ref: str, as_json: bool) -> None:
    """Create or update people from CSV (name,email,time_zone,locale) or JSONL; idempotent."""
    try:
        items = list(read_rows(file, required=("name", "email")))
    except ValueError as exc:
        fail(str(exc))
    bad = [i for i in items if isinstance(i, BadLine)]
    rows = [i for i in items if not isinstance(i, BadLine)]

    async def work(s: Services) -> Any:
        o = await s.people.organisation(org_ref)
        with click.progressbar(rows, label="importing people", file=sys.stderr) as bar:
            return await s.people.import_people(o.id, bar)

    summary = run(ctx, work)
    rejected = sorted(
        [(b.line, b.reason) for b in bad] + [(r.line, r.reason) for r in summary.rejected]
    )
    if as_json:
        click.echo(
            json.dumps(
                {
                    "created": summary.created,
                    "updated": summary.updated,
                    "unchanged": summary.unchanged,
                    "rejected": [{"line": ln, "reason": r} for ln, r in rejected],
                }
            )
        )
    else:
        click.echo(
            f"created {summary.created}, updated {summary.updated}, "
            f"unchanged {summary.unchanged}, rejected {len(rejected)}"
        )
        for line, reason in rejected:
            click.echo(f"  line {line}: {reason}")
    if rejected:
        sys.exit(1)


# outbox -----------------------------------------------------------------------------------
@cli.group()
def outbox() -> None:
    """The outbox of effects waiting to reach Graph, Teams and the LMS."""


@outbox.command("ls")
@click.option("--status", type=click.Choice(["pending", "in_flight", "done", "dead"]), default=None)
@click.option("--limit", type=int, default=50, show_default=True)
@pass_ctx
def outbox_ls(ctx: Context, status: str | None, limit: int) -> None:
    """List outbox rows, oldest first."""

    async def work(s: Services) -> list[str]:
        async with s.uow() as uow:
            rows = await uow.outbox.list(status=status, limit=limit)
        return [
            f"{m.id}  {m.status:9} {m.kind:22} {m.aggregate_type}:{m.aggregate_id}  "
            f"attempts={m.attempts} {m.last_error or ''}".rstrip()
            for m in rows
        ]

    lines = run(ctx, work)
    if not lines:
        click.echo("the outbox is empty")
    for line in lines:
        click.echo(line)


#: feature command groups register themselves here (see app/commands_*.py)
def _register_features() -> None:
    from app import commands

    for group in commands.groups():
        cli.add_command(group)


_register_features()


def main() -> None:
    cli(prog_name="peerlearn")


if __name__ == "__main__":
    main()

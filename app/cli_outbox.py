"""`peerlearn worker` and `peerlearn outbox retry|bury`: delivering and operating the outbox."""

from __future__ import annotations

import asyncio
import signal

import click

from app.cli import Context, fail, outbox, pass_ctx, run
from app.sweeper import sweeper_for
from core.ids import parse_id
from core.services import Services


@click.command("worker")
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit.")
@click.option(
    "--concurrency",
    type=click.IntRange(1, 64),
    default=4,
    show_default=True,
    help="Handler calls (or Graph $batch requests) in flight at once.",
)
@click.option(
    "--batch-size",
    type=click.IntRange(1, 5000),
    default=200,
    show_default=True,
    help="Rows claimed per round.",
)
@pass_ctx
def worker(ctx: Context, once: bool, concurrency: int, batch_size: int) -> None:
    """Deliver outbox rows to Graph, Teams and the LMS (several workers may run at once)."""
    from app.delivery import delivery_registry
    from app.worker import Worker, WorkerConfig

    settings = ctx.settings
    config = WorkerConfig(batch_size=batch_size, concurrency=concurrency)

    async def work(s: Services) -> str:
        sweeper = sweeper_for(settings.routing_sweep_seconds, s.expertise, s.clock)
        async with delivery_registry(settings, s) as registry:
            relay = Worker(s.uow, registry, s.clock, config)
            if once:
                expired = await sweeper.tick() if sweeper is not None else None
                stats = await relay.drain()
                swept = f"; routing: {expired} offers timed out" if expired else ""
                return (
                    f"claimed {stats.claimed}: done {stats.done}, skipped {stats.skipped}, "
                    f"retry later {stats.retried}, dead {stats.dead}{swept}"
                )
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            click.echo("outbox worker running (Ctrl+C stops it)")
            jobs = [relay.run(stop)] + ([sweeper.run(stop)] if sweeper is not None else [])
            await asyncio.gather(*jobs)
            return "outbox worker stopped"

    click.echo(run(ctx, work))


@click.command("retry")
@click.argument("row_id", required=False)
@click.option("--dead", is_flag=True, help="Retry every dead row.")
@pass_ctx
def outbox_retry(ctx: Context, row_id: str | None, dead: bool) -> None:
    """Make a dead or waiting row due now with a fresh attempt budget (or every dead row)."""
    if bool(row_id) == dead:
        fail("give either a row id or --dead")

    async def work(s: Services) -> str:
        if dead:
            return f"{await s.outbox.retry_dead()} dead rows are due again"
        message = await s.outbox.retry(parse_id(row_id or "", "outbox row id"))
        return f"{message.id} is due again"

    click.echo(run(ctx, work))


@click.command("bury")
@click.argument("row_id")
@click.option("--reason", required=True, help="Why it must never be delivered (kept on the row).")
@pass_ctx
def outbox_bury(ctx: Context, row_id: str, reason: str) -> None:
    """Dead-letter a row by hand so it is never delivered."""

    async def work(s: Services) -> str:
        message = await s.outbox.bury(parse_id(row_id, "outbox row id"), reason)
        return f"{message.id} is buried: {reason}"

    click.echo(run(ctx, work))


@click.command("stats")
@pass_ctx
def outbox_stats(ctx: Context) -> None:
    """Rows by status."""

    async def work(s: Services) -> dict[str, int]:
        return await s.outbox.counts()

    for status, count in run(ctx, work).items():
        click.echo(f"{status:10} {count}")


# the `outbox` group itself (with `ls`) lives in app/cli.py
outbox.add_command(outbox_retry)
outbox.add_command(outbox_bury)
outbox.add_command(outbox_stats)

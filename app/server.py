"""Running the web app (and, on a single SQLite install, the outbox worker) until stopped."""

from __future__ import annotations

import asyncio
import logging
import signal

from aiohttp import web

from adapters.db import lifecycle
from app.bootstrap import build_services
from app.delivery import NO_GRAPH, run_worker
from app.settings import Settings
from app.sweeper import sweeper_for
from app.web import create_app

log = logging.getLogger(__name__)


async def serve_forever(settings: Settings) -> None:
    await lifecycle.upgrade(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous)
    await lifecycle.connect(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous)
    services = build_services(settings)
    app = create_app(settings, services)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port)
    await site.start()
    log.info("peerlearn listening on http://%s:%s", settings.host, settings.port)
    print(
        f"peerlearn is running on http://{settings.host}:{settings.port} (Ctrl+C stops it)",
        flush=True,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    if not settings.graph_configured:
        print(f"note: {NO_GRAPH}", flush=True)
    relay = sweep = None
    if settings.worker_in_process:
        relay = asyncio.create_task(run_worker(settings, services, stop))
        print("the outbox worker runs in this process (--without-worker turns it off)", flush=True)
        sweeper = sweeper_for(settings.routing_sweep_seconds, services.expertise, services.clock)
        if sweeper is not None:
            sweep = asyncio.create_task(sweeper.run(stop))
    try:
        await stop.wait()
    finally:
        for task in (relay, sweep):
            if task is not None:
                await task
        await runner.cleanup()
        await lifecycle.close()

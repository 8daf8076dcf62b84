"""Running async work from the CLI: settings, database connection and services in one place."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from adapters.db import lifecycle
from app.bootstrap import build_services
from app.settings import Settings
from core.services import Services

T = TypeVar("T")


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    # tortoise logs every statement at DEBUG and every shutdown at INFO: keep it quiet
    logging.getLogger("tortoise").setLevel(max(logging.WARNING, logging.getLogger().level))


def run_with_services(
    settings: Settings, work: Callable[[Services], Awaitable[T]], *, migrate: bool = True
) -> T:
    """Connect (upgrading the schema first when asked), build services, run `work`, close."""

    async def main() -> T:
        if migrate:
            await lifecycle.upgrade(
                settings.database_url, sqlite_synchronous=settings.sqlite_synchronous
            )
        await lifecycle.connect(
            settings.database_url, sqlite_synchronous=settings.sqlite_synchronous
        )
        try:
            return await work(build_services(settings))
        finally:
            await lifecycle.close()

    return asyncio.run(main())

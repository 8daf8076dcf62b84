"""Prometheus metrics for the web app (one registry per app, so tests stay independent)."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from core.services import Services

log = logging.getLogger(__name__)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "peerlearn_http_requests_total",
            "HTTP requests by route and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "peerlearn_http_request_seconds",
            "HTTP request latency by route",
            ["route"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )

        self.outbox_rows = Gauge(
            "peerlearn_outbox_rows",
            "Outbox rows by status (pending, in_flight, done, dead)",
            ["status"],
            registry=self.registry,
        )

    async def refresh(self, services: Services) -> None:
        """Read the figures that live in the database (outbox counts) just before a scrape."""
        try:
            counts = await services.outbox.counts()
        except Exception:  # a scrape must answer even when the database does not
            log.warning("outbox counts unavailable for /metrics", exc_info=True)
            return
        for status, count in counts.items():
            self.outbox_rows.labels(status).set(count)

    def middleware(self) -> Callable[..., Awaitable[web.StreamResponse]]:
        @web.middleware
        async def measure(
            request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
        ) -> web.StreamResponse:
            start = time.perf_counter()
            status = 500
            try:
                response = await handler(request)
                status = response.status
                return response
            except web.HTTPException as exc:
                status = exc.status
                raise
            finally:
                route = request.match_info.route.resource
                name = route.canonical if route is not None else "unmatched"
                self.requests.labels(request.method, name, str(status)).inc()
                self.latency.labels(name).observe(time.perf_counter() - start)

        return measure

    def render(self) -> web.Response:
        resp = web.Response(body=generate_latest(self.registry))
        resp.content_type = CONTENT_TYPE_LATEST.split(";")[0]
        return resp

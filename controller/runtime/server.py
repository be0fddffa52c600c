"""HTTP endpoints: `/healthz` (liveness), `/readyz` (readiness) and `/metrics` (Prometheus text).

The health port serves `/healthz` and `/readyz`, the metrics port `/metrics`; when both are the same
number one server answers all three. Port 0 binds a random free port (tests read `health_port` and
`metrics_port` after `start()`).
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

from controller.runtime.shutdown import cancel_and_wait

# A check answers (ok, detail).
Check = Callable[[], tuple[bool, str]]


class LoopMonitor:
    """Ticks on the event loop; if ticks stop arriving the loop is stuck (or the monitor died)."""

    def __init__(self, interval: float = 1.0, max_stall: float = 30.0) -> None:
        self.interval = interval
        self.max_stall = max_stall
        self.last_tick = time.monotonic()
        self.max_lag = 0.0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start ticking."""
        if self._task is None:
            self._task = asyncio.create_task(self._tick(), name="loop-monitor")

    async def stop(self) -> None:
        """Stop ticking."""
        await cancel_and_wait(self._task)
        self._task = None

    def check(self) -> tuple[bool, str]:
        """Liveness: the last tick is recent."""
        stalled = time.monotonic() - self.last_tick
        if self._task is None or self._task.done() or stalled > self.max_stall:
            return False, f"event loop made no progress for {stalled:.1f}s"
        return True, f"max lag {self.max_lag:.3f}s"

    async def _tick(self) -> None:
        while True:
            before = time.monotonic()
            await asyncio.sleep(self.interval)
            self.last_tick = time.monotonic()
            self.max_lag = max(self.max_lag, self.last_tick - before - self.interval)


class ProbeServer:
    """Serves the health, readiness and metrics endpoints (see module docstring)."""

    def __init__(
        self,
        *,
        host: str = "0.0.0.0",
        health_port: int = 8081,
        metrics_port: int = 8080,
        registry: CollectorRegistry = REGISTRY,
    ) -> None:
        self.host = host
        self._wanted_health_port = health_port
        self._wanted_metrics_port = metrics_port
        self._registry = registry
        self._liveness: dict[str, Check] = {}
        self._readiness: dict[str, Check] = {}
        self._runners: list[web.AppRunner] = []
        self.health_port = 0
        self.metrics_port = 0

    def add_liveness_check(self, name: str, check: Check) -> None:
        """`/healthz` fails while `check` fails."""
        self._liveness[name] = check

    def add_readiness_check(self, name: str, check: Check) -> None:
        """`/readyz` fails while `check` fails."""
        self._readiness[name] = check

    async def start(self) -> None:
        """Bind the port(s) and start serving."""
        health_routes = [web.get("/healthz", self._healthz), web.get("/readyz", self._readyz)]
        metrics_routes = [web.get("/metrics", self._metrics)]
        if self._wanted_health_port == self._wanted_metrics_port and self._wanted_health_port != 0:
            port = await self._serve(health_routes + metrics_routes, self._wanted_health_port)
            self.health_port = self.metrics_port = port
            return
        self.health_port = await self._serve(health_routes, self._wanted_health_port)
        self.metrics_port = await self._serve(metrics_routes, self._wanted_metrics_port)

    async def stop(self) -> None:
        """Stop serving."""
        for runner in self._runners:
            await runner.cleanup()
        self._runners = []

    async def _serve(self, routes: list[web.RouteDef], port: int) -> int:
        app = web.Application()
        app.add_routes(routes)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, port))
        sock.listen(128)
        sock.setblocking(False)
        await web.SockSite(runner, sock).start()
        self._runners.append(runner)
        return int(sock.getsockname()[1])

    async def _healthz(self, _request: web.Request) -> web.Response:
        return _checks_response(self._liveness)

    async def _readyz(self, _request: web.Request) -> web.Response:
        return _checks_response(self._readiness)

    async def _metrics(self, _request: web.Request) -> web.Response:
        body = generate_latest(self._registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def _checks_response(checks: dict[str, Check]) -> web.Response:
    lines = []
    healthy = True
    for name, check in checks.items():
        try:
            ok, detail = check()
        except Exception as exc:
            ok, detail = False, f"check raised {type(exc).__name__}: {exc}"
        healthy = healthy and ok
        lines.append(f"[{'+' if ok else '-'}]{name} {'ok' if ok else 'failed'}: {detail}")
    lines.append("ok" if healthy else "not ok")
    return web.Response(status=200 if healthy else 503, text="\n".join(lines) + "\n")

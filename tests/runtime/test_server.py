"""Health, readiness and metrics endpoints."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest

from controller.runtime import metrics
from controller.runtime.server import LoopMonitor, ProbeServer


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
        yield session


async def get(http: aiohttp.ClientSession, port: int, path: str) -> tuple[int, str]:
    async with http.get(f"http://127.0.0.1:{port}{path}") as response:
        return response.status, await response.text()


async def test_separate_random_ports_answer_their_endpoints(http: aiohttp.ClientSession) -> None:
    ready = {"value": False}
    server = ProbeServer(host="127.0.0.1", health_port=0, metrics_port=0)
    server.add_liveness_check("always", lambda: (True, "fine"))
    server.add_readiness_check("synced", lambda: (ready["value"], "cache"))
    await server.start()
    try:
        assert server.health_port and server.metrics_port and server.health_port != server.metrics_port
        status, body = await get(http, server.health_port, "/healthz")
        assert status == 200 and "[+]always ok: fine" in body
        status, body = await get(http, server.health_port, "/readyz")
        assert status == 503 and "[-]synced failed: cache" in body
        ready["value"] = True
        status, _ = await get(http, server.health_port, "/readyz")
        assert status == 200
        metrics.RESYNCS.inc()
        status, body = await get(http, server.metrics_port, "/metrics")
        assert status == 200
        assert "ontap_extension_resyncs_total" in body
        assert "ontap_extension_workqueue_depth" in body or "# HELP" in body
        status, _ = await get(http, server.metrics_port, "/healthz")
        assert status == 404
    finally:
        await server.stop()


async def test_one_port_serves_everything_when_both_are_equal(http: aiohttp.ClientSession) -> None:
    probe = ProbeServer(host="127.0.0.1", health_port=0, metrics_port=0)
    await probe.start()
    port = probe.health_port
    await probe.stop()
    server = ProbeServer(host="127.0.0.1", health_port=port, metrics_port=port)
    await server.start()
    try:
        assert server.health_port == server.metrics_port == port
        for path in ("/healthz", "/readyz", "/metrics"):
            status, _ = await get(http, port, path)
            assert status == 200, path
    finally:
        await server.stop()


async def test_a_raising_check_fails_the_probe(http: aiohttp.ClientSession) -> None:
    def broken() -> tuple[bool, str]:
        raise RuntimeError("nope")

    server = ProbeServer(host="127.0.0.1", health_port=0, metrics_port=0)
    server.add_liveness_check("broken", broken)
    await server.start()
    try:
        status, body = await get(http, server.health_port, "/healthz")
        assert status == 503 and "RuntimeError: nope" in body
    finally:
        await server.stop()


async def test_loop_monitor_reports_a_stalled_loop() -> None:
    monitor = LoopMonitor(interval=0.01, max_stall=0.2)
    assert not monitor.check()[0]  # not started
    monitor.start()
    await asyncio.sleep(0.05)
    assert monitor.check()[0]
    monitor.last_tick -= 1.0  # as if the loop had not run the monitor for a second
    ok, detail = monitor.check()
    assert not ok and "no progress" in detail
    await asyncio.sleep(0.05)
    assert monitor.check()[0]
    await monitor.stop()
    assert not monitor.check()[0]

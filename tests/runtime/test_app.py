"""The whole runtime against a real kube-apiserver, with a recording reconciler."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from kubernetes_asyncio import client

from controller.app import EXIT_LEADERSHIP_LOST, ControllerApp, cluster_change_matters
from controller.config import ControllerConfig, config_from_mapping
from controller.runtime.context import RuntimeContext
from controller.runtime.result import ReconcileResult
from controller.runtime.workqueue import Key
from tests.kube_fixtures import KubeTestEnv, new_api_client
from tests.runtime.kube_objects import (
    annotate_extension,
    cluster_body,
    create_cluster,
    create_extension,
    delete_cluster,
    eventually,
    patch_cluster,
    steal_lease,
)

LEASE = "gardener-extension-ontap-leader-election"


def app_config(namespace: str, **overrides: Any) -> ControllerConfig:
    data: dict[str, Any] = {
        "ontapClusters": [
            {
                "name": "ontap-a",
                "endpoint": "https://127.0.0.1:1",
                "username": "admin",
                "password": "admin-pw-123",
            }
        ],
        "resyncPeriod": "1h",
        "maxConcurrentReconciles": 2,
        "drainTimeout": "5s",
        "backoff": {"base": "50ms", "cap": "200ms"},
        "leaderElection": {
            "namespace": namespace,
            "leaseDuration": "3s",
            "renewDeadline": "2s",
            "retryPeriod": "500ms",
        },
        "heartbeat": {"namespace": namespace, "renewInterval": "1s"},
        "healthPort": 0,
        "metricsPort": 0,
        "bindAddress": "127.0.0.1",
    }
    data.update(overrides)
    return config_from_mapping(data)


class RecordingReconciler:
    def __init__(self, context: RuntimeContext, namespace: str) -> None:
        self.context = context
        self.namespace = namespace
        self.keys: list[Key] = []
        self.fail = False
        self.seen_in_cache: list[bool] = []

    async def reconcile(self, key: Key) -> ReconcileResult:
        if key[0] != self.namespace:
            return ReconcileResult()
        self.keys.append(key)
        self.seen_in_cache.append(self.context.cache.get_extension(*key) is not None)
        if self.fail:
            raise RuntimeError("ONTAP unreachable")
        return ReconcileResult()


class Running:
    def __init__(self, app: ControllerApp, task: asyncio.Task[int]) -> None:
        self.app = app
        self.task = task

    @property
    def reconciler(self) -> RecordingReconciler:
        assert isinstance(self.app.reconciler, RecordingReconciler)
        return self.app.reconciler


async def start_app(config: ControllerConfig, namespace: str, api_client: Any, identity: str) -> Running:
    app = ControllerApp(
        config,
        reconciler_factory=lambda ctx: RecordingReconciler(ctx, namespace),
        api_client=api_client,
        identity=identity,
        watch_options={"backoff_base": 0.05, "backoff_cap": 0.2},
    )
    task = asyncio.create_task(app.run(handle_signals=False))
    return Running(app, task)


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
        yield session


async def status_of(http: aiohttp.ClientSession, port: int, path: str) -> tuple[int, str]:
    async with http.get(f"http://127.0.0.1:{port}{path}") as response:
        return response.status, await response.text()


async def read_lease(api_client: Any, namespace: str, name: str) -> Any:
    return await client.CoordinationV1Api(api_client).read_namespaced_lease(name, namespace)


async def test_leader_reconciles_resyncs_and_shuts_down_cleanly(
    kube: KubeTestEnv, http: aiohttp.ClientSession
) -> None:
    ns = kube.namespace
    key = (ns, "ontap")
    await create_extension(kube.api_client, ns)
    await create_cluster(kube.api_client, ns)
    running = await start_app(app_config(ns, resyncPeriod="1s"), ns, kube.api_client, "replica-a")
    app = running.app
    try:
        await eventually(
            lambda: app.reconciler is not None and key in running.reconciler.keys, message="reconcile"
        )
        assert all(running.reconciler.seen_in_cache)
        status, body = await status_of(http, app.server.health_port, "/readyz")
        assert status == 200, body
        assert "[+]leader-election ok: leader" in body
        status, _ = await status_of(http, app.server.health_port, "/healthz")
        assert status == 200
        status, body = await status_of(http, app.server.metrics_port, "/metrics")
        assert (
            status == 200
            and 'ontap_extension_kube_requests_total{resource="extensions",verb="WATCH"}' in body
        )
        assert "ontap_extension_leader 1.0" in body

        lease = await read_lease(kube.api_client, ns, LEASE)
        assert lease.spec.holder_identity == "replica-a"
        await eventually(
            lambda: app.heartbeat is not None and app.heartbeat.renewals >= 1, message="heartbeat"
        )
        beat = await read_lease(kube.api_client, ns, "gardener-extension-heartbeat")
        assert beat.spec.holder_identity == "gardener-extension-ontap"

        # Periodic resync re-checks everything although nothing changed in Kubernetes.
        before = len(running.reconciler.keys)
        await eventually(lambda: len(running.reconciler.keys) >= before + 2, within=5, message="resync")
    finally:
        app.stop()
        exit_code = await asyncio.wait_for(running.task, timeout=15)
        await delete_cluster(kube.api_client, ns)
    assert exit_code == 0
    released = await read_lease(kube.api_client, ns, LEASE)
    assert released.spec.holder_identity is None
    assert not app.queue.running


async def test_events_enqueue_and_failures_back_off(kube: KubeTestEnv) -> None:
    ns = kube.namespace
    key = (ns, "ontap")
    await create_cluster(kube.api_client, ns)
    running = await start_app(app_config(ns), ns, kube.api_client, "replica-a")
    app = running.app
    try:
        await eventually(app.leading.is_set, message="leading")
        await create_extension(kube.api_client, ns)
        await eventually(lambda: key in running.reconciler.keys, message="add event reconciled")
        count = len(running.reconciler.keys)

        await annotate_extension(kube.api_client, ns, "ontap", {"gardener.cloud/operation": "reconcile"})
        await eventually(lambda: len(running.reconciler.keys) > count, message="update event reconciled")
        count = len(running.reconciler.keys)

        # A shoot status change that matters (hibernation) enqueues the namespace's Extensions.
        await patch_cluster(kube.api_client, ns, {"spec": {"shoot": {"status": {"hibernated": True}}}})
        await eventually(lambda: len(running.reconciler.keys) > count, message="cluster change reconciled")

        running.reconciler.fail = True
        await annotate_extension(
            kube.api_client, ns, "ontap", {"gardener.cloud/operation": "reconcile", "x": "1"}
        )
        await eventually(lambda: app.queue.failures(key) >= 3, within=10, message="retries with backoff")
        running.reconciler.fail = False
        await eventually(lambda: app.queue.failures(key) == 0, within=10, message="success resets failures")
    finally:
        app.stop()
        await asyncio.wait_for(running.task, timeout=15)
        await delete_cluster(kube.api_client, ns)


async def test_only_the_leader_reconciles_and_a_standby_takes_over(kube: KubeTestEnv) -> None:
    ns = kube.namespace
    key = (ns, "ontap")
    await create_extension(kube.api_client, ns)
    await create_cluster(kube.api_client, ns)
    other_client = await new_api_client(kube.kubeconfig)
    first = await start_app(app_config(ns), ns, kube.api_client, "replica-a")
    await eventually(first.app.leading.is_set, message="first leads")
    second = await start_app(app_config(ns), ns, other_client, "replica-b")
    try:
        await eventually(second.app.cache.synced.is_set, message="standby cache synced")
        await asyncio.sleep(1.5)
        assert not second.app.leading.is_set()
        assert second.app.reconciler is not None and second.reconciler.keys == []
        ready = second.app._leadership_ready()
        assert ready[0] and "standby" in ready[1]

        first.app.stop()
        assert await asyncio.wait_for(first.task, timeout=15) == 0
        await eventually(second.app.leading.is_set, within=5, message="standby takes over after release")
        await eventually(lambda: key in second.reconciler.keys, message="new leader reconciles")
    finally:
        first.app.stop()
        second.app.stop()
        await asyncio.gather(first.task, second.task, return_exceptions=True)
        await other_client.close()
        await delete_cluster(kube.api_client, ns)


async def test_losing_the_lease_stops_reconciling_and_exits_non_zero(kube: KubeTestEnv) -> None:
    ns = kube.namespace
    running = await start_app(app_config(ns), ns, kube.api_client, "replica-a")
    app = running.app
    try:
        await eventually(app.leading.is_set, message="leading")
        await steal_lease(kube.api_client, ns, LEASE, "someone-else")
        exit_code = await asyncio.wait_for(running.task, timeout=15)
    finally:
        app.stop()
        await asyncio.gather(running.task, return_exceptions=True)
    assert exit_code == EXIT_LEADERSHIP_LOST
    assert not app.queue.running
    lease = await client.CoordinationV1Api(kube.api_client).read_namespaced_lease(LEASE, ns)
    assert lease.spec.holder_identity == "someone-else"


def test_cluster_changes_that_matter() -> None:
    old = cluster_body("shoot--p1--s1")
    progress = cluster_body("shoot--p1--s1")
    progress["spec"]["shoot"]["status"]["lastOperation"]["progress"] = 55
    hibernated = cluster_body("shoot--p1--s1", hibernated=True)
    moved = cluster_body("shoot--p1--s1", project="p2")
    assert not cluster_change_matters(None, old)
    assert not cluster_change_matters(old, progress)
    assert cluster_change_matters(old, hibernated)
    assert cluster_change_matters(old, moved)


class SlowReconciler:
    def __init__(self, namespace: str) -> None:
        self.namespace = namespace
        self.started = asyncio.Event()
        self.finished = 0
        self.cancelled = 0

    async def reconcile(self, key: Key) -> ReconcileResult:
        if key[0] != self.namespace:
            return ReconcileResult()
        self.started.set()
        try:
            await asyncio.sleep(1.0)
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        self.finished += 1
        return ReconcileResult()


async def test_sigterm_drains_running_reconciles_and_releases_the_lease(kube: KubeTestEnv) -> None:
    ns = kube.namespace
    await create_extension(kube.api_client, ns)
    reconciler = SlowReconciler(ns)
    app = ControllerApp(
        app_config(ns),
        reconciler_factory=lambda ctx: reconciler,
        api_client=kube.api_client,
        identity="replica-a",
    )
    task = asyncio.create_task(app.run(handle_signals=True))
    try:
        await asyncio.wait_for(reconciler.started.wait(), timeout=15)
        os.kill(os.getpid(), signal.SIGTERM)
        exit_code = await asyncio.wait_for(task, timeout=15)
    finally:
        app.stop()
        await asyncio.gather(task, return_exceptions=True)
    assert exit_code == 0
    assert (reconciler.finished, reconciler.cancelled) == (1, 0)
    lease = await read_lease(kube.api_client, ns, LEASE)
    assert lease.spec.holder_identity is None

"""The chaos test bed: the real kube-apiserver behind the fault proxy, the fake ONTAP, and a controller
"process" that can be killed and restarted.

A `ControllerProcess` holds exactly what a running controller holds in memory: its Kubernetes client
(through the fault proxy), its ONTAP clients, its object cache and its reconciler. Killing it throws
all of that away; a new one starts from Kubernetes + ONTAP state only.

`drive()` plays the work queue for one key: it refreshes the cache (list, as the watches would), runs
`ExtensionReconciler.reconcile(key)` under a watchdog, and schedules the next pass the way the queue
would (requeue delay, or per-key backoff after a failure, or the resync period), every delay capped
so that a run takes seconds, not minutes.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from kubernetes_asyncio import client as k8s
from kubernetes_asyncio.client.exceptions import ApiException

from controller.config import ControllerConfig
from controller.kube.client import KubeRequestCounter, make_api_client
from controller.runtime.cache import ObjectCache
from controller.runtime.context import RuntimeContext
from controller.runtime.logging import register_secret
from controller.runtime.result import ReconcileResult, RequeueAfter
from controller.runtime.workqueue import WorkQueue, backoff_delay
from hack.localenv.gardener_objects import (
    EXTENSION_NAME,
    GROUP,
    VERSION,
    cluster_object,
    provider_config,
    requested_ips,
)
from hack.localenv.kube import LocalKubeApiServer
from ontap.client import OntapClient, OntapClients
from ontap.config import OntapClusterConfig
from ontap.fake.testing import FakeOntapServer
from ontap.retry import RetryPolicy
from tests import support
from tests.harness.kube_faults import KubeFaultProxy

MERGE_PATCH = "application/merge-patch+json"
CLUSTER_NAME = "fake"

# The test configuration's timings (documented in docs/chaos.md).
BACKOFF_BASE = 0.05
BACKOFF_CAP = 0.4
RESYNC_SECONDS = 0.3
ONTAP_READ_TIMEOUT = 1.0
ONTAP_RETRIES = RetryPolicy(attempts=2, initial_delay=0.02, max_delay=0.05, jitter=0.01)
KUBE_REQUEST_TIMEOUT = 2.0
PASS_WATCHDOG = 20.0  # a pass that takes longer is reported as a hang
DELAY_CAP = 0.4  # no pass waits longer than this for its turn
JOB_TEMPLATE = "/api/cluster/jobs/{uuid}"


Key = tuple[str, str]


@dataclass
class ChaosServers:
    """What lives for the whole session: apiserver, fault proxy in front of it, fake ONTAP."""

    apiserver: LocalKubeApiServer
    proxy: KubeFaultProxy
    fake: FakeOntapServer

    def reset(self) -> None:
        """Fake ONTAP back to its seed state, no faults anywhere, empty request logs."""
        self.fake.reset()
        self.fake.set_job_timing(seconds=0.05)
        self.proxy.reset()

    def ontap_requests(self) -> int:
        """ONTAP requests since the last reset, a job's repeated polls counted once.

        How often a job is polled depends on how long it ran on a loaded machine (the polls back off
        from `jobPollInitial`), not on what the controller decided; the phase's seconds bound limits
        those polls, the request bound the decisions.
        """
        seen_jobs: set[str] = set()
        counted = 0
        for entry in self.fake.requests.entries():
            if entry.method == "GET" and entry.template == JOB_TEMPLATE:
                if entry.path in seen_jobs:
                    continue
                seen_jobs.add(entry.path)
            counted += 1
        return counted

    def ontap_routes_since(self, entries_before: int) -> str:
        """Routes and counts of the requests logged after the first `entries_before` entries."""
        routes = Counter(entry.route for entry in self.fake.requests.entries()[entries_before:])
        return ", ".join(f"{route} x{count}" for route, count in sorted(routes.items()))

    def kube_writes(self) -> int:
        """Kubernetes writes through the proxy (the controller's) since the last reset."""
        return self.proxy.faults.count(writes_only=True)


def cluster_config(fake: FakeOntapServer) -> OntapClusterConfig:
    """The fake as the controller's one ONTAP cluster."""
    return support.cluster_config(fake, CLUSTER_NAME, read_timeout=ONTAP_READ_TIMEOUT)


def chaos_config(fake: FakeOntapServer, kubeconfig: Path | None = None, **overrides: Any) -> ControllerConfig:
    """The controller configuration of the chaos runs: short backoff, short resync, no leader election."""
    data: dict[str, Any] = {
        "ontapClusters": [cluster_config(fake).model_dump(by_alias=True, mode="json")],
        "resyncPeriod": RESYNC_SECONDS,
        "backoff": {"base": BACKOFF_BASE, "cap": BACKOFF_CAP, "jitter": 0.1},
        "leaderElection": {"enabled": False},
        "heartbeat": {"enabled": False},
        "healthPort": 0,
        "metricsPort": 0,
        "bindAddress": "127.0.0.1",
        "kubeRequestTimeout": KUBE_REQUEST_TIMEOUT,
    }
    if kubeconfig is not None:
        data["kubeconfig"] = str(kubeconfig)
    data.update(overrides)
    return ControllerConfig.model_validate(data)


@dataclass
class ShootUnderTest:
    """One shoot: its seed namespace, project, Extension key and the LIF addresses it asks for."""

    namespace: str
    project_id: str
    provider_config: dict[str, Any] = field(default_factory=provider_config)

    @property
    def key(self) -> Key:
        return (self.namespace, EXTENSION_NAME)

    @property
    def wanted_ips(self) -> set[str]:
        return requested_ips(self.provider_config)


def new_project_id() -> str:
    """A project id that no other test uses (it names the SVM)."""
    return f"c{secrets.token_hex(4)}"


class Admin:
    """The test's own Kubernetes access: straight to the apiserver, never through the fault proxy."""

    def __init__(self, apiserver: LocalKubeApiServer, api_client: Any) -> None:
        self.apiserver = apiserver
        self.api_client = api_client
        self.custom = k8s.CustomObjectsApi(api_client)
        self.core = k8s.CoreV1Api(api_client)
        self.namespaces: list[str] = []

    @classmethod
    async def connect(cls, apiserver: LocalKubeApiServer) -> Admin:
        """An admin on its own direct client."""
        return cls(apiserver, await make_api_client(apiserver.kubeconfig))

    async def close(self) -> None:
        """Remove the namespaces this admin made, then close the client."""
        for namespace in self.namespaces:
            with contextlib.suppress(ApiException):
                await self.custom.delete_cluster_custom_object(GROUP, VERSION, "clusters", namespace)
            await asyncio.to_thread(self.apiserver.purge_namespace, namespace)
        await self.api_client.close()

    async def create_shoot(
        self,
        project_id: str | None = None,
        *,
        namespace: str | None = None,
        config: dict[str, Any] | None = None,
    ) -> ShootUnderTest:
        """A fresh seed namespace with its Cluster and an Extension of type ontap."""
        shoot = ShootUnderTest(
            namespace=namespace or f"shoot--{project_id or 't'}{secrets.token_hex(2)}--s1",
            project_id=project_id or new_project_id(),
            provider_config=config or provider_config(),
        )
        await asyncio.to_thread(self.apiserver.create_namespace, shoot.namespace)
        self.namespaces.append(shoot.namespace)
        await self.custom.create_cluster_custom_object(
            GROUP, VERSION, "clusters", cluster_object(shoot.namespace, shoot.project_id)
        )
        body = {
            "apiVersion": f"{GROUP}/{VERSION}",
            "kind": "Extension",
            "metadata": {"name": EXTENSION_NAME, "namespace": shoot.namespace},
            "spec": {"type": "ontap", "providerConfig": shoot.provider_config},
        }
        await self.custom.create_namespaced_custom_object(GROUP, VERSION, shoot.namespace, "extensions", body)
        return shoot

    async def extension(self, shoot: ShootUnderTest) -> dict[str, Any] | None:
        """The Extension as stored, None once it is gone."""
        try:
            found: dict[str, Any] = await self.custom.get_namespaced_custom_object(
                GROUP, VERSION, shoot.namespace, "extensions", EXTENSION_NAME
            )
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise
        return found

    async def annotate(self, shoot: ShootUnderTest, annotations: dict[str, str | None]) -> None:
        """Merge-patch annotations onto the Extension (None removes one)."""
        await self.custom.patch_namespaced_custom_object(
            GROUP,
            VERSION,
            shoot.namespace,
            "extensions",
            EXTENSION_NAME,
            {"metadata": {"annotations": annotations}},
            _content_type=MERGE_PATCH,  # type: ignore[call-arg]
        )

    async def request_deletion(self, shoot: ShootUnderTest) -> None:
        """Delete the Extension as gardenlet does (the finalizer keeps it until the controller is done)."""
        await self.annotate(shoot, {"gardener.cloud/operation": "reconcile"})
        await self.custom.delete_namespaced_custom_object(
            GROUP, VERSION, shoot.namespace, "extensions", EXTENSION_NAME
        )

    async def secret_data(self, namespace: str, name: str) -> dict[str, str] | None:
        """A secret's data, decoded; None when it does not exist."""
        import base64

        try:
            secret = await self.core.read_namespaced_secret(name, namespace)
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise
        return {k: base64.b64decode(v).decode() for k, v in (secret.data or {}).items()}

    async def list_names(self, path: str) -> list[str]:
        """Names of the objects in a collection (plain API path)."""
        listing = await asyncio.to_thread(self.apiserver.request, "GET", path)
        return [item["metadata"]["name"] for item in listing.get("items", [])]

    async def events(self, namespace: str) -> list[dict[str, Any]]:
        """Every Event in a namespace (reason, message, type)."""
        listing = await asyncio.to_thread(
            self.apiserver.request, "GET", f"/api/v1/namespaces/{namespace}/events"
        )
        return list(listing.get("items", []))


def reconciler_factory() -> Callable[[RuntimeContext], Any]:
    """The production reconciler (imported late: the module may not exist when this file is collected)."""
    from controller.reconciler import ExtensionReconciler

    return ExtensionReconciler


class ControllerProcess:
    """Everything one controller process keeps in memory. Discard it to simulate a kill."""

    def __init__(
        self,
        servers: ChaosServers,
        config: ControllerConfig,
        clusters: list[OntapClusterConfig] | None = None,
    ) -> None:
        self.servers = servers
        self.config = config
        self.clusters = clusters  # None: the fake as the one cluster (`cluster_config`)
        self.counter = KubeRequestCounter()
        self.api_client: Any = None
        self.ontap: OntapClients | None = None
        self.cache = ObjectCache(config.extension_type)
        self.reconciler: Any = None
        self.failures: dict[Key, int] = {}

    async def start(self) -> ControllerProcess:
        """Connect through the proxy and build a fresh reconciler."""
        self.api_client = await make_api_client(
            self.servers.proxy.kubeconfig,
            counter=self.counter,
            request_timeout=self.config.kube_request_timeout.total_seconds(),
        )
        for cluster in self.config.ontap_clusters:
            register_secret(cluster.password)  # as the production start-up does
        self.ontap = OntapClients(
            [
                OntapClient(cluster, retry_policy=ONTAP_RETRIES, job_timeout=5.0, job_poll_interval=0.05)
                for cluster in self.clusters or [cluster_config(self.servers.fake)]
            ]
        )
        queue = WorkQueue(self._unused_handler, backoff_base=BACKOFF_BASE, backoff_cap=BACKOFF_CAP)
        context = RuntimeContext(
            config=self.config,
            api_client=self.api_client,
            cache=self.cache,
            queue=queue,
            ontap=self.ontap,
            counter=self.counter,
        )
        self.reconciler = reconciler_factory()(context)
        return self

    async def _unused_handler(self, key: Key) -> ReconcileResult | None:
        return None

    async def kill(self) -> None:
        """Drop everything held in memory; in-flight ONTAP calls are abandoned, not awaited."""
        if self.ontap is not None:
            for ontap_client in self.ontap.values():
                ontap_client._executor.shutdown(wait=False, cancel_futures=True)
        if self.api_client is not None:
            with contextlib.suppress(Exception):
                await self.api_client.close()
        self.reconciler = None

    async def close(self) -> None:
        """Orderly shutdown."""
        if self.ontap is not None:
            await self.ontap.close()
        if self.api_client is not None:
            await self.api_client.close()

    async def refresh_cache(self, namespace: str) -> bool:
        """Re-list the Extensions and the Cluster of `namespace` (the watches' job); False if it failed."""
        custom = k8s.CustomObjectsApi(self.api_client)
        try:
            extensions = await asyncio.wait_for(
                custom.list_namespaced_custom_object(GROUP, VERSION, namespace, "extensions"), 5.0
            )
            cluster = await asyncio.wait_for(
                custom.get_cluster_custom_object(GROUP, VERSION, "clusters", namespace), 5.0
            )
        except Exception:  # a failed list leaves the cache as it was, like a broken watch
            return False
        present = {item["metadata"]["name"] for item in extensions.get("items", [])}
        for cached in list(self.cache.extensions()):
            meta = cached.get("metadata") or {}
            if meta.get("namespace") == namespace and meta.get("name") not in present:
                self.cache.delete_extension(cached)
        for item in extensions.get("items", []):
            self.cache.upsert_extension(item)
        self.cache.upsert_cluster(cluster)
        return True

    async def one_pass(self, key: Key) -> PassRecord:
        """One reconcile of `key` as a queue worker runs it; the delay until the next one."""
        await self.refresh_cache(key[0])
        started = time.monotonic()
        outcome = "ok"
        detail = ""
        delay: float | None
        try:
            result = await asyncio.wait_for(self.reconciler.reconcile(key), PASS_WATCHDOG)
            self.failures.pop(key, None)
            delay = result.requeue_after if isinstance(result, ReconcileResult) else None
        except RequeueAfter as requeue:
            self.failures.pop(key, None)
            outcome, delay, detail = "requeue", requeue.delay, requeue.reason
        except TimeoutError:
            outcome, detail = "hang", f"no result within {PASS_WATCHDOG}s"
            delay = self._backoff(key)
        except Exception as exc:
            outcome, detail = "error", f"{type(exc).__name__}: {exc}"[:300]
            delay = self._backoff(key)
        return PassRecord(outcome=outcome, seconds=time.monotonic() - started, delay=delay, detail=detail)

    def _backoff(self, key: Key) -> float:
        self.failures[key] = self.failures.get(key, 0) + 1
        return backoff_delay(self.failures[key], base=BACKOFF_BASE, cap=BACKOFF_CAP, jitter=0.0)


@dataclass(frozen=True)
class PassRecord:
    """What one pass did."""

    outcome: str  # ok (a result returned) | requeue (RequeueAfter raised) | error | hang | killed
    seconds: float
    delay: float | None
    detail: str = ""


@dataclass
class DriveResult:
    """How a run of passes ended."""

    done: bool
    passes: int
    seconds: float
    records: list[PassRecord]

    def describe(self) -> str:
        """The passes, one per line, for an assertion message."""
        lines = [f"{'done' if self.done else 'NOT done'} after {self.passes} passes, {self.seconds:.1f}s"]
        lines += [f"  {r.outcome:8} {r.seconds:5.2f}s next in {r.delay} {r.detail}" for r in self.records]
        return "\n".join(lines)


class Restartable(Protocol):
    """Who owns the controller process: `drive` asks it for the current one and to restart it."""

    process: ControllerProcess | None

    async def restart(self) -> ControllerProcess: ...


async def drive(
    owner: Restartable,
    key: Key,
    done: Callable[[], Awaitable[bool]],
    kill_now: Callable[[], Awaitable[bool]] | None = None,
    *,
    max_passes: int = 30,
    max_seconds: float = 60.0,
    delay_cap: float = DELAY_CAP,
) -> DriveResult:
    """Run passes of `key` until a pass returns cleanly and `done()` holds, or the budget is spent.

    While a pass runs, `kill_now()` is polled; when it says so the pass is cancelled mid-request
    and the owner restarts the controller, as a crash and a pod restart would.
    """
    started = time.monotonic()
    records: list[PassRecord] = []
    while len(records) < max_passes and time.monotonic() - started < max_seconds:
        process = owner.process
        assert process is not None
        task = asyncio.create_task(process.one_pass(key))
        killed = False
        while not task.done():
            if kill_now is not None and await kill_now():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
                await owner.restart()
                killed = True
                break
            await asyncio.wait({task}, timeout=0.01)
        record = PassRecord("killed", 0.0, 0.0, "controller killed mid-pass") if killed else task.result()
        records.append(record)
        # Only a pass that finished cleanly can end the run: a failed one may leave an old status.
        if record.outcome == "ok" and await done():
            return DriveResult(True, len(records), time.monotonic() - started, records)
        # No requeue asked: the next pass is the periodic resync.
        delay = record.delay if record.delay is not None else RESYNC_SECONDS
        await asyncio.sleep(min(delay, delay_cap))
    return DriveResult(False, len(records), time.monotonic() - started, records)

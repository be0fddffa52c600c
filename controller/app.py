"""The controller process: wires client, cache and watches, work queue, resync, leader election,
heartbeat and endpoints, and shuts them down in order.

Every replica watches and keeps its cache warm; only the leader runs the workers, the periodic
resync and the heartbeat. Losing the lease stops the workers at once and ends the process with
exit code 1 (the pod restarts as a standby), so two replicas never reconcile at the same time.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from typing import Any, Protocol

import structlog

from controller.config import ControllerConfig
from controller.extension.predicates import should_enqueue
from controller.kube.client import KubeRequestCounter, make_api_client
from controller.runtime import metrics
from controller.runtime.cache import Change, ObjectCache, object_key
from controller.runtime.context import RuntimeContext
from controller.runtime.heartbeat import Heartbeat
from controller.runtime.leader import LeaderElector
from controller.runtime.logging import register_secret
from controller.runtime.result import ReconcileResult
from controller.runtime.server import LoopMonitor, ProbeServer
from controller.runtime.shutdown import cancel_and_wait, install_signal_handlers, remove_signal_handlers
from controller.runtime.spread import interleave_by_group
from controller.runtime.watches import CacheWatches
from controller.runtime.workqueue import Key, WorkQueue
from controller.shoot import shoot_annotations, shoot_of
from controller.shoot_access.access import shoot_access_from_config
from controller.shoot_webhook.server import shoot_webhook_server

Obj = dict[str, Any]

log = structlog.get_logger(__name__)

EXIT_OK = 0
EXIT_LEADERSHIP_LOST = 1


class Reconciler(Protocol):
    """What the runtime drives: one reconcile per key."""

    async def reconcile(self, key: Key) -> ReconcileResult | None: ...


ReconcilerFactory = Callable[[RuntimeContext], Reconciler]


def _shoot_view(cluster: Obj | None) -> Any:
    shoot = shoot_of(cluster)
    metadata = shoot.get("metadata") or {}
    status = shoot.get("status") or {}
    return (
        metadata.get("annotations"),
        metadata.get("uid"),
        shoot.get("spec"),
        status.get("hibernated"),
        status.get("technicalID"),
        (status.get("lastOperation") or {}).get("state"),
    )


def cluster_change_matters(old: Obj | None, new: Obj) -> bool:
    """Whether a Cluster update can change what the Extensions of its namespace should look like.

    Gardener rewrites the Cluster for every shoot progress update; only changes to the shoot's
    annotations, spec, hibernation, identity or operation state are worth a reconcile (compared on
    what the cache keeps of them, `cached_fields.CLUSTER_FIELDS`: the fields the controller reads).
    """
    if old is None:
        return False
    return bool(_shoot_view(old) != _shoot_view(new))


class ControllerApp:
    """One controller process (see module docstring)."""

    def __init__(
        self,
        config: ControllerConfig,
        *,
        reconciler_factory: ReconcilerFactory,
        api_client: Any = None,
        ontap_clients: Any = None,
        identity: str | None = None,
        watch_options: dict[str, Any] | None = None,
    ) -> None:
        self.config = config
        self._reconciler_factory = reconciler_factory
        self._given_api_client = api_client
        self._given_ontap = ontap_clients
        self._identity = identity
        self._watch_options = watch_options or {}
        self.exit_code = EXIT_OK
        self.counter = KubeRequestCounter()
        self.stop_requested = asyncio.Event()
        self.leading = asyncio.Event()
        self.api_client: Any = None
        self.ontap: Any = None
        self.shoot_access: Any = None
        self.cache = ObjectCache(config.extension_type)
        self.queue = WorkQueue(
            self._reconcile,
            max_concurrency=config.max_concurrent_reconciles,
            backoff_base=config.backoff.base.total_seconds(),
            backoff_cap=config.backoff.cap.total_seconds(),
            jitter=config.backoff.jitter,
        )
        self.server = ProbeServer(
            host=config.bind_address, health_port=config.health_port, metrics_port=config.metrics_port
        )
        self.loop_monitor = LoopMonitor()
        self.webhook_server = shoot_webhook_server(config)
        self.watches: CacheWatches | None = None
        self.elector: LeaderElector | None = None
        self.heartbeat: Heartbeat | None = None
        self.reconciler: Reconciler | None = None
        self._lead_task: asyncio.Task[None] | None = None
        self._resync_task: asyncio.Task[None] | None = None
        self._heartbeat_task: asyncio.Task[None] | None = None
        self._shut_down = False

    # -- lifecycle -----------------------------------------------------------------------------

    async def run(self, *, handle_signals: bool = True) -> int:
        """Start, run until SIGTERM/SIGINT (or `stop()`, or a lost lease), shut down; the exit code."""
        if handle_signals:
            install_signal_handlers(self.stop_requested)
        try:
            await self.start()
            await self.stop_requested.wait()
        finally:
            await self.shutdown()
            if handle_signals:
                remove_signal_handlers()
        return self.exit_code

    def stop(self) -> None:
        """Ask `run()` to shut down."""
        self.stop_requested.set()

    async def start(self) -> None:
        """Bring up clients, endpoints and watches; leadership is competed for once the cache synced."""
        for cluster in self.config.ontap_clusters:
            register_secret(cluster.password)
        if self._given_api_client is not None:
            self.api_client = self._given_api_client
            self.counter.attach(self.api_client)
        else:
            self.api_client = await make_api_client(
                self.config.kubeconfig,
                counter=self.counter,
                request_timeout=self.config.kube_request_timeout.total_seconds(),
            )
        self.ontap = self._given_ontap if self._given_ontap is not None else self._make_ontap_clients()
        self.shoot_access = shoot_access_from_config(self.config)
        context = RuntimeContext(
            config=self.config,
            api_client=self.api_client,
            cache=self.cache,
            queue=self.queue,
            ontap=self.ontap,
            counter=self.counter,
            shoot_access=self.shoot_access,
        )
        self.reconciler = self._reconciler_factory(context)
        self.watches = CacheWatches(
            self.api_client,
            self.cache,
            on_extension=self._on_extension,
            on_extension_list=self._on_extension_list,
            on_cluster=self._on_cluster,
            **self._watch_options,
        )
        if self.config.leader_election.enabled:
            election = self.config.leader_election
            self.elector = LeaderElector(
                self.api_client,
                namespace=election.namespace,
                name=election.lease_name,
                identity=self._identity,
                lease_duration=election.lease_duration.total_seconds(),
                renew_deadline=election.renew_deadline.total_seconds(),
                retry_period=election.retry_period.total_seconds(),
                on_started_leading=self._start_leading,
                on_stopped_leading=self._leadership_lost,
            )
        self._register_checks()
        self.loop_monitor.start()
        await self.server.start()
        if self.webhook_server is not None:
            await self.webhook_server.start()
        self.watches.start()
        self._lead_task = asyncio.create_task(self._compete(), name="leadership")
        log.info(
            "controller started",
            health_port=self.server.health_port,
            metrics_port=self.server.metrics_port,
            leader_election=self.config.leader_election.enabled,
        )

    async def shutdown(self) -> None:
        """Stop taking work, drain running reconciles, release the lease, close everything."""
        if self._shut_down:
            return
        self._shut_down = True
        log.info("shutting down", drain_timeout=self.config.drain_timeout.total_seconds())
        await self.queue.shutdown(self.config.drain_timeout.total_seconds())
        await cancel_and_wait(self._resync_task, self._heartbeat_task, self._lead_task)
        self.leading.clear()
        if self.elector is not None:
            await self.elector.release()
        if self.watches is not None:
            await self.watches.stop()
        await self.server.stop()
        if self.webhook_server is not None:
            await self.webhook_server.stop()
        await self.loop_monitor.stop()
        if self._given_ontap is None and self.ontap is not None:
            await self.ontap.close()
        if self.shoot_access is not None:
            await self.shoot_access.close()
        if self._given_api_client is None and self.api_client is not None:
            await self.api_client.close()
        log.info("shut down", exit_code=self.exit_code)

    # -- leadership ------------------------------------------------------------------------------

    async def _compete(self) -> None:
        await self.cache.synced.wait()
        log.info("cache synced", extensions=len(self.cache.extension_keys()))
        if self.elector is None:
            await self._start_leading()
            return
        await self.elector.run()

    def burst_order(self, keys: list[Key]) -> list[Key]:
        """`keys` in the order to queue them at once: the projects' shoots interleaved.

        The project is the one the cached Cluster names; before the Clusters are cached, the Gardener
        project in the seed namespace (`shoot--<project>--<name>`) stands in for it.
        """

        def project_of(key: Key) -> str:
            project = shoot_annotations(self.cache.get_cluster(key[0])).get(self.config.project_annotation)
            if project:
                return f"project {project}"
            parts = key[0].split("--")
            return f"garden project {parts[1]}" if len(parts) >= 3 and parts[0] == "shoot" else key[0]

        return interleave_by_group(keys, project_of)

    async def _start_leading(self) -> None:
        for key in self.burst_order(self.cache.extension_keys()):
            self.queue.add(key)
        self.queue.start()
        self._resync_task = asyncio.create_task(self._resync_forever(), name="resync")
        if self.config.heartbeat.enabled:
            beat = self.config.heartbeat
            self.heartbeat = Heartbeat(
                self.api_client,
                namespace=beat.namespace,
                holder_identity=beat.holder_identity,
                renew_interval=beat.renew_interval.total_seconds(),
                lease_name=beat.lease_name,
            )
            self._heartbeat_task = asyncio.create_task(self.heartbeat.run(), name="heartbeat")
        self.leading.set()
        log.info("reconciling as leader", workers=self.config.max_concurrent_reconciles)

    async def _leadership_lost(self) -> None:
        # Fencing: another replica may already lead, so running reconciles are cancelled, not drained.
        self.leading.clear()
        self.exit_code = EXIT_LEADERSHIP_LOST
        await self.queue.shutdown(drain_timeout=0)
        await cancel_and_wait(self._resync_task, self._heartbeat_task)
        self.stop_requested.set()

    async def _resync_forever(self) -> None:
        # A finished pass schedules its own next pass one period later (its requeue); the periodic
        # resync only catches keys with nothing scheduled (never reconciled, or whose requeue was lost),
        # so a steady shoot gets one pass per period, not one from each.
        period = self.config.resync_period.total_seconds()
        while True:
            await asyncio.sleep(period * random.uniform(0.9, 1.1))
            keys = self.cache.extension_keys()
            unscheduled = [
                key
                for key in keys
                if self.queue.scheduled_in(key) is None and not self.queue.is_processing(key)
            ]
            for key in self.burst_order(unscheduled):
                self.queue.add(key)
            metrics.RESYNCS.inc()
            log.debug("periodic resync", extensions=len(keys), enqueued=len(unscheduled))

    # -- events ------------------------------------------------------------------------------

    async def _reconcile(self, key: Key) -> ReconcileResult | None:
        assert self.reconciler is not None
        return await self.reconciler.reconcile(key)

    def _on_extension(self, old: Obj | None, new: Obj) -> None:
        if not should_enqueue(old, new, self.config.extension_type):
            return
        self.queue.add(object_key(new))

    def _on_extension_list(self, changes: list[Change]) -> None:
        wanted = [
            object_key(new) for old, new in changes if should_enqueue(old, new, self.config.extension_type)
        ]
        for key in self.burst_order(wanted):
            self.queue.add(key)

    def _on_cluster(self, old: Obj | None, new: Obj) -> None:
        if not cluster_change_matters(old, new):
            return
        namespace = str((new.get("metadata") or {}).get("name") or "")
        for key in self.cache.extension_keys(namespace):
            self.queue.add(key)

    # -- probes ------------------------------------------------------------------------------

    def _register_checks(self) -> None:
        self.server.add_liveness_check("event-loop", self.loop_monitor.check)
        self.server.add_liveness_check("watches", self._watches_alive)
        self.server.add_readiness_check("cache-synced", self._cache_synced)
        self.server.add_readiness_check("leader-election", self._leadership_ready)

    def _watches_alive(self) -> tuple[bool, str]:
        alive = self.watches is not None and self.watches.alive
        return alive, "list/watch loops running" if alive else "a list/watch loop has stopped"

    def _cache_synced(self) -> tuple[bool, str]:
        synced = self.cache.synced.is_set()
        return (
            synced,
            f"{len(self.cache.extension_keys())} extensions cached" if synced else "initial list pending",
        )

    def _leadership_ready(self) -> tuple[bool, str]:
        if self.leading.is_set():
            return True, "leader"
        if self.exit_code == EXIT_LEADERSHIP_LOST:
            return False, "leadership lost"
        if self.elector is not None and self.elector.started.is_set():
            return True, f"standby (leader: {self.elector.observed_holder or 'unknown'})"
        return False, "not competing for leadership yet"

    def _make_ontap_clients(self) -> Any:
        from ontap.client import OntapClients

        return OntapClients.from_configs(self.config.ontap_clusters)

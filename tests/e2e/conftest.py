"""The reconciler wired to the real kube-apiserver and the fake ONTAP, the way the controller runs it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from kubernetes_asyncio import client as k8s

from controller.config import BackoffConfig, ControllerConfig
from controller.extension.operation import OPERATION_ANNOTATION, TIMESTAMP_ANNOTATION, parse_time
from controller.kube.client import KubeRequestCounter
from controller.kube.secrets import StoredSecret, get_secret
from controller.reconciler import ExtensionReconciler
from controller.runtime.cache import ObjectCache
from controller.runtime.context import RuntimeContext
from controller.runtime.result import ReconcileResult
from hack.localenv.gardener_objects import GROUP, VERSION, cluster_object, provider_config
from ontap.client import OntapClients
from ontap.fake.testing import FakeOntapServer
from ontap.naming import account_name, svm_name
from tests.kube_fixtures import KubeTestEnv, new_api_client
from tests.support import make_client

MERGE_PATCH = "application/merge-patch+json"
RESYNC = timedelta(minutes=7)
CAP = timedelta(minutes=5)


def gardenlet_ready(ext: dict[str, Any]) -> tuple[bool, str]:
    """gardenlet's `CheckExtensionObject`: is the Extension done with what gardenlet asked for?"""
    meta = ext.get("metadata") or {}
    status = ext.get("status") or {}
    annotations = meta.get("annotations") or {}
    last_error = status.get("lastError")
    if last_error:
        return False, f"error during reconciliation: {last_error.get('description')}"
    if status.get("observedGeneration") != meta.get("generation"):
        return (
            False,
            f"observed generation outdated ({status.get('observedGeneration')}/{meta.get('generation')})",
        )
    if OPERATION_ANNOTATION in annotations:
        return False, f"gardener operation {annotations[OPERATION_ANNOTATION]!r} is not yet picked up"
    last_operation = status.get("lastOperation")
    if not last_operation:
        return False, "extension did not record a last operation yet"
    if last_operation.get("state") != "Succeeded":
        return False, f"extension state is not succeeded but {last_operation.get('state')}"
    stamp = annotations.get(TIMESTAMP_ANNOTATION)
    if stamp is not None:
        requested = parse_time(stamp)
        written = parse_time(last_operation.get("lastUpdateTime"))
        if requested is None or written is None:
            return False, "timestamps unreadable"
        if requested.replace(microsecond=0) > written:
            return False, f"extension status is outdated: lastUpdateTime {written} < timestamp {requested}"
    return True, ""


class Shoot:
    """One shoot: its seed namespace, Cluster and Extension, reconciled through the world's reconciler."""

    def __init__(self, world: World, namespace: str, project_id: str) -> None:
        self.world = world
        self.namespace = namespace
        self.project_id = project_id
        self.key = (namespace, "ontap")

    @property
    def api(self) -> Any:
        return k8s.CustomObjectsApi(self.world.test_client)

    @property
    def username(self) -> str:
        return account_name(self.namespace)

    @property
    def svm_name(self) -> str:
        return svm_name(self.project_id)

    async def create(self, config: dict[str, Any] | None = None) -> None:
        await self.api.create_cluster_custom_object(
            GROUP, VERSION, "clusters", cluster_object(self.namespace, self.project_id)
        )
        body = {
            "apiVersion": f"{GROUP}/{VERSION}",
            "kind": "Extension",
            "metadata": {"name": "ontap", "namespace": self.namespace},
            "spec": {"type": "ontap", "providerConfig": config or provider_config()},
        }
        await self.api.create_namespaced_custom_object(GROUP, VERSION, self.namespace, "extensions", body)

    async def extension(self) -> dict[str, Any] | None:
        try:
            ext: dict[str, Any] = await self.api.get_namespaced_custom_object(
                GROUP, VERSION, self.namespace, "extensions", "ontap"
            )
        except k8s.ApiException as exc:
            if exc.status == 404:
                return None
            raise
        return ext

    async def annotate(self, annotations: dict[str, str | None]) -> None:
        await self.api.patch_namespaced_custom_object(
            GROUP,
            VERSION,
            self.namespace,
            "extensions",
            "ontap",
            {"metadata": {"annotations": annotations}},
            _content_type=MERGE_PATCH,
        )

    async def annotate_shoot(self, annotations: dict[str, str]) -> None:
        cluster = await self.api.get_cluster_custom_object(GROUP, VERSION, "clusters", self.namespace)
        cluster["spec"]["shoot"]["metadata"]["annotations"].update(annotations)
        await self.api.replace_cluster_custom_object(GROUP, VERSION, "clusters", self.namespace, cluster)

    async def set_shoot_state(self, state: str) -> None:
        cluster = await self.api.get_cluster_custom_object(GROUP, VERSION, "clusters", self.namespace)
        cluster["spec"]["shoot"]["status"]["lastOperation"] = {"type": "Reconcile", "state": state}
        await self.api.replace_cluster_custom_object(GROUP, VERSION, "clusters", self.namespace, cluster)

    async def delete(self) -> None:
        await self.api.delete_namespaced_custom_object(GROUP, VERSION, self.namespace, "extensions", "ontap")

    async def reconcile(self) -> ReconcileResult:
        """One pass, with the cache holding what a watch would have delivered by now."""
        await self.world.sync_cache(self)
        return await self.world.reconciler.reconcile(self.key)

    async def secret(self) -> StoredSecret | None:
        return await get_secret(self.world.test_client, self.namespace, "ontap-svm-credentials")

    async def events(self) -> list[Any]:
        listing = await k8s.CoreV1Api(self.world.test_client).list_namespaced_event(self.namespace)
        return list(listing.items)


class World:
    """The kube-apiserver namespace(s), the fake ONTAP and an `ExtensionReconciler` like the controller's."""

    def __init__(self, kube: KubeTestEnv, fake: FakeOntapServer, test_client: Any) -> None:
        self.kube = kube
        # The test's own reads and writes go through another client, so the counter sees only the reconciler.
        self.test_client = test_client
        self.fake = fake
        self.client = make_client(fake)
        cluster = self.client.config
        self.config = ControllerConfig(
            ontap_clusters=[cluster],
            resync_period=RESYNC,
            backoff=BackoffConfig(base=timedelta(seconds=1), cap=CAP),
        )
        self.api_client = kube.api_client
        self.counter = KubeRequestCounter().attach(self.api_client)
        self.cache = ObjectCache(self.config.extension_type)
        self.runtime = RuntimeContext(
            config=self.config,
            api_client=self.api_client,
            cache=self.cache,
            queue=None,  # type: ignore[arg-type]
            ontap=OntapClients([self.client]),
            counter=self.counter,
        )
        self.reconciler = ExtensionReconciler(self.runtime, repeat_limit=3)
        self.extra_namespaces: list[str] = []

    def shoot(self, namespace: str | None = None, project_id: str = "1234-abcd") -> Shoot:
        return Shoot(self, namespace or self.kube.namespace, project_id)

    async def new_namespace(self, suffix: str) -> str:
        namespace = f"{self.kube.namespace}{suffix}"
        await asyncio.to_thread(self.kube.apiserver.create_namespace, namespace)
        self.extra_namespaces.append(namespace)
        return namespace

    async def sync_cache(self, shoot: Shoot) -> None:
        """Put the live Extension and Cluster into the cache (what the watches do)."""
        ext = await shoot.extension()
        if ext is None:
            self.cache.delete_extension({"metadata": {"namespace": shoot.namespace, "name": "ontap"}})
        else:
            self.cache.upsert_extension(ext)
        cluster = await shoot.api.get_cluster_custom_object(GROUP, VERSION, "clusters", shoot.namespace)
        self.cache.upsert_cluster(cluster)


@pytest.fixture
async def world(kube: KubeTestEnv, fake_ontap: FakeOntapServer) -> AsyncIterator[World]:
    fake_ontap.set_job_timing(seconds=0.05)
    test_client = await new_api_client(kube.kubeconfig)
    test_world = World(kube, fake_ontap, test_client)
    try:
        yield test_world
    finally:
        await test_world.client.close()
        await test_client.close()
        api = k8s.CustomObjectsApi(kube.api_client)
        for namespace in [kube.namespace, *test_world.extra_namespaces]:
            with contextlib.suppress(k8s.ApiException):
                await api.delete_cluster_custom_object(GROUP, VERSION, "clusters", namespace)
        for namespace in test_world.extra_namespaces:
            await asyncio.to_thread(kube.apiserver.purge_namespace, namespace)

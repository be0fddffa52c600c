"""The switch from metal-stack's Go extension: its exact state on the real kube-apiserver and the fake
ONTAP (hack/go_extension_state.py), and our actuator with `adoption.goExtension` on or off."""

from __future__ import annotations

import asyncio
import base64
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
import yaml
from kubernetes_asyncio import client as k8s
from kubernetes_asyncio import watch

from controller.adoption import names as go
from controller.config import AdoptionConfig
from controller.kube.secrets import get_secret
from controller.shoot_resources import names as our_names
from hack.go_extension_state import GO_MANAGED_RESOURCES, RESOURCES_GROUP, RESOURCES_VERSION, GoShoot, seed
from hack.localenv.gardener_objects import GROUP, VERSION
from ontap.fake.testing import FakeOntapServer
from tests.kube_fixtures import KubeTestEnv
from tests.steps.conftest import Shoot, ShootBed

GO_PASSWORD = "kQ4mZt7x"  # as the Go extension generates them: 8 characters, 2 digits
# shoot--<project>--s1-production-eu-west-storage: 29 characters of shoot name, cut to 25 by the Go extension.
SHOOT_SUFFIX = "-production-eu-west-storage"
GO_MR_NAMES = tuple(name for name, _ in GO_MANAGED_RESOURCES)


class GoSwitch:
    """One shoot that the Go extension served, and our controller taking it over."""

    def __init__(self, bed: ShootBed, adoption: bool, partner: bool = False) -> None:
        self.bed = bed
        bed.runtime.config = bed.config.model_copy(update={"adoption": AdoptionConfig(go_extension=adoption)})
        self.partner = partner
        self.shoot: Shoot = bed.shoot()

    async def prepare(self) -> None:
        """A shoot whose name is longer than the Go extension's 25 characters for account names."""
        namespace = await self.bed.new_namespace(SHOOT_SUFFIX)
        self.shoot = self.bed.shoot(namespace)
        cfg = self.shoot.config["svmIpaddresses"]
        self.go = GoShoot(
            namespace=self.shoot.namespace,
            project_id=self.shoot.project_id,
            management_ip=cfg["managementLif"],
            data_ips=tuple(cfg["dataLifs"]),
            password=GO_PASSWORD,
            partner=self.partner,
        )

    async def seed(self, *, seed_secret: bool = True) -> None:
        await self.prepare()
        await seed(self.bed.client, self.bed.api_client, self.go, seed_secret=seed_secret)
        await self.shoot.create()
        self.bed.fake.requests.clear()

    # ONTAP, as the fake holds it
    def svms(self) -> list[dict[str, Any]]:
        with self.bed.fake.lock:
            return [dict(s) for s in self.bed.fake.state.svms.values()]

    def interfaces(self) -> list[str]:
        with self.bed.fake.lock:
            return sorted(i["name"] for i in self.bed.fake.state.interfaces.values())

    def accounts(self) -> dict[str, dict[str, Any]]:
        """The SVM-scoped accounts by name, with the fake's password bookkeeping."""
        with self.bed.fake.lock:
            return {
                a["name"]: dict(a)
                for a in self.bed.fake.state.accounts.values()
                if (a.get("owner") or {}).get("name") == self.go.svm_name
            }

    def posts(self) -> int:
        return self.bed.fake.requests.count(method="POST")

    # Kubernetes
    async def our_secret(self) -> dict[str, str]:
        stored = await get_secret(self.bed.api_client, self.shoot.namespace, "ontap-svm-credentials")
        assert stored is not None
        return stored.data

    async def go_secret_exists(self) -> bool:
        stored = await get_secret(self.bed.api_client, go.SEED_SECRET_NAMESPACE, self.go.seed_secret_name)
        return stored is not None

    async def managed_resources(self) -> dict[str, dict[str, Any]]:
        listing = await k8s.CustomObjectsApi(self.bed.api_client).list_namespaced_custom_object(
            RESOURCES_GROUP, RESOURCES_VERSION, self.shoot.namespace, "managedresources"
        )
        return {item["metadata"]["name"]: item for item in listing["items"]}

    async def secret_names(self) -> set[str]:
        listing = await k8s.CoreV1Api(self.bed.api_client).list_namespaced_secret(self.shoot.namespace)
        return {s.metadata.name for s in listing.items}

    async def backend_config(self) -> dict[str, Any]:
        """The TridentBackendConfig that our backend ManagedResource carries."""
        mr = (await self.managed_resources())[our_names.BACKEND_MR]
        stored = await get_secret(
            self.bed.api_client, self.shoot.namespace, mr["spec"]["secretRefs"][0]["name"]
        )
        assert stored is not None
        documents = [d for manifest in stored.data.values() for d in yaml.safe_load_all(manifest) if d]
        (tbc,) = [d for d in documents if d["kind"] == "TridentBackendConfig"]
        return dict(tbc)

    async def shoot_secret(self) -> dict[str, Any]:
        """The shoot Secret that our credentials ManagedResource carries (its manifest)."""
        mr = (await self.managed_resources())[our_names.CREDENTIALS_MR]
        ref = mr["spec"]["secretRefs"][0]["name"]
        stored = await get_secret(self.bed.api_client, self.shoot.namespace, ref)
        assert stored is not None
        (manifest,) = stored.data.values()
        secret: dict[str, Any] = yaml.safe_load(manifest)
        return secret

    async def shoot_secret_password(self) -> str:
        """The password in the shoot Secret that our credentials ManagedResource carries."""
        secret = await self.shoot_secret()
        return base64.b64decode(secret["data"]["password"]).decode()


@pytest.fixture
async def switch_bed(kube: KubeTestEnv, fake_ontap: FakeOntapServer) -> AsyncIterator[ShootBed]:
    fake_ontap.set_job_timing(seconds=0.05)
    test_bed = ShootBed(kube, fake_ontap)
    try:
        yield test_bed
    finally:
        await test_bed.client.close()
        api = k8s.CustomObjectsApi(kube.api_client)
        for namespace in [kube.namespace, *test_bed.extra_namespaces]:
            with contextlib.suppress(k8s.ApiException):
                await api.delete_cluster_custom_object(GROUP, VERSION, "clusters", namespace)
        for namespace in test_bed.extra_namespaces:
            await asyncio.to_thread(kube.apiserver.purge_namespace, namespace)
        core = k8s.CoreV1Api(kube.api_client)
        listing = await core.list_namespaced_secret(go.SEED_SECRET_NAMESPACE)
        for item in listing.items:
            if kube.namespace.removeprefix("shoot--") in item.metadata.name:
                with contextlib.suppress(k8s.ApiException):
                    await core.delete_namespaced_secret(item.metadata.name, go.SEED_SECRET_NAMESPACE)


class ManagedResourceWatch:
    """Every watch event on the namespace's ManagedResources while the switch runs: (type, object)."""

    def __init__(self, api_client: Any, namespace: str) -> None:
        self.api_client = api_client
        self.namespace = namespace
        self.events: list[tuple[str, dict[str, Any]]] = []
        self._task: asyncio.Task[None] | None = None
        self._started = asyncio.Event()  # set on every event

    async def __aenter__(self) -> ManagedResourceWatch:
        listing = await k8s.CustomObjectsApi(self.api_client).list_namespaced_custom_object(
            RESOURCES_GROUP, RESOURCES_VERSION, self.namespace, "managedresources"
        )
        self._task = asyncio.create_task(self._run(listing["metadata"]["resourceVersion"]))
        return self

    async def _run(self, since: str) -> None:
        stream = watch.Watch()
        api = k8s.CustomObjectsApi(self.api_client)
        async for event in stream.stream(
            api.list_namespaced_custom_object,
            RESOURCES_GROUP,
            RESOURCES_VERSION,
            self.namespace,
            "managedresources",
            resource_version=since,
            timeout_seconds=30,
        ):
            self.events.append((event["type"], event["object"]))
            self._started.set()

    async def wait_deleted(self, names: tuple[str, ...]) -> None:
        """Until the watch has seen every one of `names` deleted (10 s at most)."""
        async with asyncio.timeout(10.0):
            while not set(names) <= {o["metadata"]["name"] for t, o in self.events if t == "DELETED"}:
                self._started.clear()
                await self._started.wait()

    async def __aexit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

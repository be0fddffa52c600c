"""A shoot wired to the real kube-apiserver and the fake ONTAP, driven through the actuator directly."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from kubernetes_asyncio import client as k8s
from pydantic import SecretStr

from controller.actuator import Actuator, ActuatorResult
from controller.config import ControllerConfig
from controller.kube.secrets import StoredSecret, get_secret
from hack.localenv.gardener_objects import GROUP, VERSION, cluster_object, provider_config
from ontap.client import OntapClients
from ontap.fake.testing import FakeOntapServer
from ontap.naming import account_name, svm_name
from ontap.provisioning.account import check_login
from ontap.provisioning.reads import find_svm
from tests.kube_fixtures import KubeTestEnv
from tests.support import MERGE_PATCH, RecordedEvents, make_client


@dataclass
class RuntimeStub:
    config: ControllerConfig
    api_client: Any
    ontap: OntapClients
    cache: Any = None


class Shoot:
    """One shoot (seed namespace + Cluster + Extension) and its actuator."""

    def __init__(self, bed: ShootBed, namespace: str, project_id: str) -> None:
        self.bed = bed
        self.namespace = namespace
        self.project_id = project_id
        self.events = RecordedEvents()
        self.actuator = Actuator(bed.runtime, events=self.events)
        self.cluster = cluster_object(namespace, project_id)
        self.config: dict[str, Any] = provider_config()

    @property
    def username(self) -> str:
        return account_name(self.namespace)

    @property
    def svm_name(self) -> str:
        return svm_name(self.project_id)

    @property
    def management_ip(self) -> str:
        """Where the shoot's account logs in (the providerConfig's management LIF)."""
        return str(self.config["svmIpaddresses"]["managementLif"])

    async def create(self, config: dict[str, Any] | None = None) -> None:
        self.config = config or self.config
        api = k8s.CustomObjectsApi(self.bed.api_client)
        await api.create_cluster_custom_object(GROUP, VERSION, "clusters", self.cluster)
        body = {
            "apiVersion": f"{GROUP}/{VERSION}",
            "kind": "Extension",
            "metadata": {"name": "ontap", "namespace": self.namespace},
            "spec": {"type": "ontap", "providerConfig": self.config},
        }
        await api.create_namespaced_custom_object(GROUP, VERSION, self.namespace, "extensions", body)

    async def extension(self) -> dict[str, Any]:
        api = k8s.CustomObjectsApi(self.bed.api_client)
        ext: dict[str, Any] = await api.get_namespaced_custom_object(
            GROUP, VERSION, self.namespace, "extensions", "ontap"
        )
        return ext

    async def patch_extension(self, patch: dict[str, Any], status: bool = False) -> None:
        api = k8s.CustomObjectsApi(self.bed.api_client)
        if status:
            await api.patch_namespaced_custom_object_status(
                GROUP,
                VERSION,
                self.namespace,
                "extensions",
                "ontap",
                patch,
                _content_type=MERGE_PATCH,  # type: ignore[call-arg]
            )
        else:
            await api.patch_namespaced_custom_object(
                GROUP,
                VERSION,
                self.namespace,
                "extensions",
                "ontap",
                patch,
                _content_type=MERGE_PATCH,  # type: ignore[call-arg]
            )

    async def _store(self, result: ActuatorResult) -> None:
        # What the reconciler does with the result: providerStatus/state into the status.
        status: dict[str, Any] = {}
        if result.provider_status is not None:
            status["providerStatus"] = result.provider_status
        if result.state is not None:
            status["state"] = result.state
        if result.resources is not None:
            status["resources"] = result.resources
        if status:
            await self.patch_extension({"status": status}, status=True)

    async def reconcile(self) -> ActuatorResult:
        result = await self.actuator.reconcile(await self.extension(), self.cluster)
        await self._store(result)
        return result

    async def delete(self, force: bool = False) -> ActuatorResult:
        return await self.actuator.delete(await self.extension(), self.cluster, force=force)

    async def migrate(self) -> ActuatorResult:
        result = await self.actuator.migrate(await self.extension(), self.cluster)
        await self._store(result)
        return result

    async def secret(self) -> StoredSecret | None:
        return await get_secret(self.bed.api_client, self.namespace, "ontap-svm-credentials")

    async def login_works(self, password: str | None = None) -> bool:
        """Authenticate to the fake AS the account (the secret's password unless given)."""
        if password is None:
            secret = await self.secret()
            assert secret is not None
            password = secret.data["password"]
        svm = await find_svm(self.bed.client, self.svm_name)
        assert svm is not None
        result = await check_login(
            self.bed.client, svm, self.username, SecretStr(password), self.management_ip
        )
        return result.ok


class ShootBed:
    """The kube-apiserver namespace + fake ONTAP + the clients the actuator uses."""

    def __init__(self, kube: KubeTestEnv, fake: FakeOntapServer) -> None:
        self.kube = kube
        self.fake = fake
        self.client = make_client(fake)
        cluster = self.client.config
        self.config = ControllerConfig(ontap_clusters=[cluster])
        self.api_client = kube.api_client
        self.runtime = RuntimeStub(self.config, kube.api_client, OntapClients([self.client]))
        self.extra_namespaces: list[str] = []

    def shoot(self, namespace: str | None = None, project_id: str = "1234-abcd") -> Shoot:
        return Shoot(self, namespace or self.kube.namespace, project_id)

    async def new_namespace(self, suffix: str) -> str:
        namespace = f"{self.kube.namespace}{suffix}"
        await asyncio.to_thread(self.kube.apiserver.create_namespace, namespace)
        self.extra_namespaces.append(namespace)
        return namespace

    async def admin_svm(self, name: str) -> Any:
        return await find_svm(self.client, name)


@pytest.fixture
async def bed(kube: KubeTestEnv, fake_ontap: FakeOntapServer) -> AsyncIterator[ShootBed]:
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

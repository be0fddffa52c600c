"""`SystemComponentsHealthy` end to end: one apiserver plays seed and shoot, the shoot access is Gardener's
(a generic token kubeconfig named by the Cluster annotation + a shoot-access Secret holding a real
ServiceAccount token from the TokenRequest API), and a small stand-in plays the resource manager (the
ManagedResources' status) and Trident (the TridentBackendConfig's status)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes_asyncio import client as k8s

from controller.shoot_access.access import ShootAccess
from controller.shoot_resources import names
from hack.localenv.gardener_objects import GROUP, VERSION
from tests.e2e.conftest import MERGE_PATCH, Shoot, World

# The shoot's CRD as Trident installs it (NetApp/trident cli/k8s_client/yaml_factory.go).
TBC_CRD = (
    Path(__file__).resolve().parents[2]
    / "hack"
    / "crds"
    / "shoot"
    / "trident.netapp.io_tridentbackendconfigs.yaml"
)
TRIDENT = names.DEFAULT_TRIDENT_NAMESPACE
TBC = ("trident.netapp.io", "v1", "tridentbackendconfigs")
MR = ("resources.gardener.cloud", "v1alpha1", "managedresources")
ACCESS_SECRET = "shoot-access-extension-ontap"
SERVICE_ACCOUNT = "extension-ontap"
HEALTH = "SystemComponentsHealthy"
APPLIED = ("ResourcesApplied", "True", "ApplySucceeded", "All resources are applied.")
HEALTHY = ("ResourcesHealthy", "True", "ResourcesHealthy", "All resources are healthy.")
ROLLED_OUT = ("ResourcesProgressing", "False", "ResourcesRolledOut", "All resources are rolled out.")


@dataclass
class ShootSide:
    """The shoot half of the apiserver, and the stand-ins that write what GRM and Trident would."""

    world: World
    shoot: Shoot
    backend: str
    first_health: dict[str, Any] | None = None

    @property
    def objects(self) -> k8s.CustomObjectsApi:
        return k8s.CustomObjectsApi(self.world.test_client)

    async def resource_manager_reports(
        self, *conditions: tuple[str, str, str, str], only: str | None = None
    ) -> None:
        """What GRM writes after applying: observedGeneration and its conditions, on each of our MRs."""
        listing = await self.objects.list_namespaced_custom_object(MR[0], MR[1], self.shoot.namespace, MR[2])
        for item in listing["items"]:
            name = item["metadata"]["name"]
            if only is not None and name != only:
                continue
            status = {
                "observedGeneration": item["metadata"]["generation"],
                "conditions": [
                    {
                        "type": t,
                        "status": s,
                        "reason": r,
                        "message": m,
                        "lastTransitionTime": "2026-01-01T00:00:00Z",
                        "lastUpdateTime": "2026-01-01T00:00:00Z",
                    }
                    for t, s, r, m in conditions
                ],
            }
            await self.objects.patch_namespaced_custom_object_status(
                MR[0],
                MR[1],
                self.shoot.namespace,
                MR[2],
                name,
                {"status": status},
                _content_type=MERGE_PATCH,  # type: ignore[call-arg]
            )

    async def trident_reports(self, phase: str, last_operation: str, message: str) -> None:
        """The TridentBackendConfig in the shoot (as GRM would apply it) with Trident's status on it."""
        body = {
            "apiVersion": names.TRIDENT_API_VERSION,
            "kind": "TridentBackendConfig",
            "metadata": {"name": self.backend, "namespace": TRIDENT},
            "spec": {"version": 1, "storageDriverName": "ontap-san"},
        }
        with contextlib.suppress(k8s.ApiException):
            await self.objects.create_namespaced_custom_object(TBC[0], TBC[1], TRIDENT, TBC[2], body)
        status = {
            "phase": phase,
            "lastOperationStatus": last_operation,
            "message": message,
            "backendInfo": {"backendName": self.backend if phase else "", "backendUUID": ""},
            "deletionPolicy": "retain",
        }
        await self.objects.patch_namespaced_custom_object_status(
            TBC[0],
            TBC[1],
            TRIDENT,
            TBC[2],
            self.backend,
            {"status": status},
            _content_type=MERGE_PATCH,  # type: ignore[call-arg]
        )

    async def delete_backend(self) -> None:
        with contextlib.suppress(k8s.ApiException):
            await self.objects.delete_namespaced_custom_object(TBC[0], TBC[1], TRIDENT, TBC[2], self.backend)

    async def extension_status(self) -> dict[str, Any]:
        ext = await self.shoot.extension()
        assert ext is not None
        return dict(ext["status"])

    async def health(self) -> dict[str, Any]:
        status = await self.extension_status()
        found = [c for c in status["conditions"] if c["type"] == HEALTH]
        assert len(found) == 1, status["conditions"]
        return dict(found[0])


async def write_generic_kubeconfig(world: World, namespace: str, name: str, server: str) -> None:
    """The generic token kubeconfig as gardenlet writes it: server + CA, the token is a file of the pod."""
    ca = world.kube.apiserver.ca_file.read_bytes()
    kubeconfig = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": namespace,
        "clusters": [
            {
                "name": namespace,
                "cluster": {"server": server, "certificate-authority-data": base64.b64encode(ca).decode()},
            }
        ],
        "contexts": [{"name": namespace, "context": {"cluster": namespace, "user": namespace}}],
        "users": [
            {
                "name": namespace,
                "user": {"tokenFile": "/var/run/secrets/gardener.cloud/shoot/generic-kubeconfig/token"},
            }
        ],
    }
    core = k8s.CoreV1Api(world.test_client)
    body = k8s.V1Secret(
        metadata=k8s.V1ObjectMeta(name=name, namespace=namespace),
        data={"kubeconfig": base64.b64encode(yaml.safe_dump(kubeconfig).encode()).decode()},
    )
    with contextlib.suppress(k8s.ApiException):
        await core.delete_namespaced_secret(name, namespace)
    await core.create_namespaced_secret(namespace, body)


async def prepare_service_account(world: World, namespace: str) -> None:
    """The ServiceAccount the token requestor would create, allowed to read TridentBackendConfigs (what the
    backend's ManagedResource grants in a real shoot)."""
    core = k8s.CoreV1Api(world.test_client)
    rbac = k8s.RbacAuthorizationV1Api(world.test_client)
    await core.create_namespaced_service_account(
        namespace, k8s.V1ServiceAccount(metadata=k8s.V1ObjectMeta(name=SERVICE_ACCOUNT))
    )
    role = f"{namespace}-tbc-reader"
    await rbac.create_namespaced_role(
        TRIDENT,
        k8s.V1Role(
            metadata=k8s.V1ObjectMeta(name=role),
            rules=[
                k8s.V1PolicyRule(
                    api_groups=["trident.netapp.io"], resources=["tridentbackendconfigs"], verbs=["get"]
                )
            ],
        ),
    )
    await rbac.create_namespaced_role_binding(
        TRIDENT,
        k8s.V1RoleBinding(
            metadata=k8s.V1ObjectMeta(name=role),
            role_ref=k8s.V1RoleRef(api_group="rbac.authorization.k8s.io", kind="Role", name=role),
            subjects=[k8s.RbacV1Subject(kind="ServiceAccount", name=SERVICE_ACCOUNT, namespace=namespace)],
        ),
    )


async def token_requestor_fills(world: World, namespace: str) -> None:
    """What GRM's token requestor does with the shoot-access Secret our step made: a token under `token`."""
    core = k8s.CoreV1Api(world.test_client)
    request = await core.create_namespaced_service_account_token(
        SERVICE_ACCOUNT,
        namespace,
        k8s.AuthenticationV1TokenRequest(spec=k8s.V1TokenRequestSpec(audiences=[], expiration_seconds=3600)),
    )
    token = base64.b64encode(request.status.token.encode()).decode()
    await core.patch_namespaced_secret(ACCESS_SECRET, namespace, {"data": {"token": token}})


def apiserver_url(world: World) -> str:
    config = yaml.safe_load(world.kube.kubeconfig.read_text())
    return str(config["clusters"][0]["cluster"]["server"])


@pytest.fixture
async def shoot_side(world: World) -> AsyncIterator[ShootSide]:
    await asyncio.to_thread(world.kube.apiserver.install_crds, [TBC_CRD])
    await asyncio.to_thread(world.kube.apiserver.create_namespace, TRIDENT)
    # Each pass reads the seed secrets again, so the tests see their changes at once.
    access = ShootAccess(
        access_secret_name=ACCESS_SECRET, timeout=2.0, max_clients=4, refresh_interval=0, retry_interval=0
    )
    world.runtime.shoot_access = access
    shoot = world.shoot()
    side = ShootSide(world, shoot, names.backend_name(shoot.svm_name))
    generic = "generic-token-kubeconfig-1a2b3c4d"
    await write_generic_kubeconfig(world, shoot.namespace, generic, apiserver_url(world))
    await prepare_service_account(world, shoot.namespace)
    await shoot.create()
    await shoot.api.patch_cluster_custom_object(
        GROUP,
        VERSION,
        "clusters",
        shoot.namespace,
        {"metadata": {"annotations": {"generic-token-kubeconfig.secret.gardener.cloud/name": generic}}},
        _content_type=MERGE_PATCH,
    )
    # The first pass creates the shoot-access Secret; the token requestor fills it.
    await shoot.reconcile()
    side.first_health = await side.health()
    await token_requestor_fills(world, shoot.namespace)
    try:
        yield side
    finally:
        await access.close()
        await side.delete_backend()
        rbac = k8s.RbacAuthorizationV1Api(world.test_client)
        with contextlib.suppress(k8s.ApiException):
            await rbac.delete_namespaced_role_binding(f"{shoot.namespace}-tbc-reader", TRIDENT)
        with contextlib.suppress(k8s.ApiException):
            await rbac.delete_namespaced_role(f"{shoot.namespace}-tbc-reader", TRIDENT)


async def test_bound_backend_is_healthy_and_the_steady_state_writes_nothing(shoot_side: ShootSide) -> None:
    shoot = shoot_side.shoot
    first = shoot_side.first_health
    assert first is not None
    # The first pass made the shoot-access Secret; it had no token yet.
    assert (first["status"], first["reason"]) == ("Unknown", "ConditionCheckError")
    assert f"Secret {shoot.namespace}/{ACCESS_SECRET} has no key 'token' yet" in first["message"]
    await shoot.reconcile()
    health = await shoot_side.health()
    # The resource manager has not reported yet and the backend is not in the shoot yet.
    assert (health["status"], health["reason"]) == ("Progressing", "HealthCheckProgressing")
    assert (
        f"the resource manager has not reported on ManagedResource {shoot.namespace}/{names.BACKEND_MR} yet"
        in health["message"]
    )
    assert f"TridentBackendConfig {TRIDENT}/{shoot_side.backend} is not in the shoot yet" in health["message"]

    await shoot_side.resource_manager_reports(APPLIED, HEALTHY, ROLLED_OUT)
    await shoot_side.trident_reports("Bound", "Success", f"Backend '{shoot_side.backend}' created")
    await shoot.reconcile()
    health = await shoot_side.health()
    assert (health["status"], health["reason"], health["message"]) == (
        "True",
        "HealthCheckSuccessful",
        "All health checks successful",
    )
    status = await shoot_side.extension_status()
    assert status["lastOperation"]["state"] == "Succeeded"

    # With the default reuse of the generic kubeconfig, a steady pass makes the seed requests it made before
    # (the seed secret, the two LISTs of the shoot-resources step): the shoot-access Secret comes with a LIST.
    world = shoot_side.world
    cached = ShootAccess(timeout=2.0, max_clients=4, refresh_interval=3600, retry_interval=60)
    world.runtime.shoot_access = cached
    try:
        await shoot.reconcile()
        world.counter.reset()
        await shoot.reconcile()
        assert world.counter.writes == 0
        assert world.counter.by_resource() == {
            ("GET", "secrets"): 1,
            ("LIST", "managedresources"): 1,
            ("LIST", "secrets"): 1,
        }
        assert (await shoot_side.health())["lastTransitionTime"] == health["lastTransitionTime"]
    finally:
        await cached.close()


async def test_failed_backend_shows_tridents_message_without_failing_the_pass(shoot_side: ShootSide) -> None:
    shoot = shoot_side.shoot
    await shoot.reconcile()
    await shoot_side.resource_manager_reports(APPLIED, HEALTHY, ROLLED_OUT)
    message = "Failed to create backend: problem initializing storage driver 'ontap-san': 401 Unauthorized"
    await shoot_side.trident_reports("", "Failed", message)
    await shoot.reconcile()
    health = await shoot_side.health()
    assert (health["status"], health["reason"]) == ("False", "HealthCheckUnsuccessful")
    backend = f"TridentBackendConfig {TRIDENT}/{shoot_side.backend}"
    assert health["message"] == f"{backend} is not bound: Trident reports Failed: {message}."
    status = await shoot_side.extension_status()
    assert status["lastOperation"]["state"] == "Succeeded"
    assert status.get("lastError") is None


async def test_missing_backend_and_an_unhealthy_object_are_named(shoot_side: ShootSide) -> None:
    shoot = shoot_side.shoot
    await shoot.reconcile()
    await shoot_side.resource_manager_reports(APPLIED, HEALTHY, ROLLED_OUT)
    missing = f'Required Secret "{names.SHOOT_CREDENTIALS_SECRET}" in namespace "{TRIDENT}" is missing'
    await shoot_side.resource_manager_reports(
        APPLIED,
        ("ResourcesHealthy", "False", "SecretMissing", missing),
        ROLLED_OUT,
        only=names.CREDENTIALS_MR,
    )
    await shoot.reconcile()
    health = await shoot_side.health()
    assert health["status"] == "False"
    credentials = f"ManagedResource {shoot.namespace}/{names.CREDENTIALS_MR}"
    assert (
        f"{credentials} is unhealthy (ResourcesHealthy False, SecretMissing): {missing}" in health["message"]
    )
    assert (
        f"TridentBackendConfig {TRIDENT}/{shoot_side.backend} does not exist in the shoot"
        in health["message"]
    )


async def test_unreachable_shoot_shows_in_the_condition_not_as_a_failed_pass(shoot_side: ShootSide) -> None:
    shoot = shoot_side.shoot
    world = shoot_side.world
    # An apiserver that accepts connections and never answers: the read is cut at the timeout (2 s).
    silent = await asyncio.start_server(lambda r, w: asyncio.sleep(30), "127.0.0.1", 0)
    port = silent.sockets[0].getsockname()[1]
    try:
        cluster = await shoot.api.get_cluster_custom_object(GROUP, VERSION, "clusters", shoot.namespace)
        generic = cluster["metadata"]["annotations"]["generic-token-kubeconfig.secret.gardener.cloud/name"]
        await write_generic_kubeconfig(world, shoot.namespace, generic, f"https://127.0.0.1:{port}")
        started = asyncio.get_running_loop().time()
        await shoot.reconcile()
        assert asyncio.get_running_loop().time() - started < 30
    finally:
        silent.close()
    health = await shoot_side.health()
    assert (health["status"], health["reason"]) == ("Unknown", "ConditionCheckError")
    path = f"/apis/trident.netapp.io/v1/namespaces/{TRIDENT}/tridentbackendconfigs/{shoot_side.backend}"
    assert (
        f"cannot read the shoot: GET https://127.0.0.1:{port}{path}: no answer within 2s" in health["message"]
    )
    status = await shoot_side.extension_status()
    assert status["lastOperation"]["state"] == "Succeeded"
    assert {c["type"]: c["status"] for c in status["conditions"] if c["type"] != HEALTH} == {
        "OntapClusterPlaced": "True",
        "SvmReady": "True",
        "LifsReady": "True",
        "AccountReady": "True",
        "SeedSecretReady": "True",
        "ShootResourcesReady": "True",
    }

    # A deleted shoot-access Secret is made again at once, without a token until the token requestor fills it.
    core = k8s.CoreV1Api(world.test_client)
    await core.delete_namespaced_secret(ACCESS_SECRET, shoot.namespace)
    await shoot.reconcile()
    health = await shoot_side.health()
    assert (
        f"cannot read the shoot: Secret {shoot.namespace}/{ACCESS_SECRET} has no key 'token' yet"
        in health["message"]
    )
    recreated = await core.read_namespaced_secret(ACCESS_SECRET, shoot.namespace)
    assert recreated.metadata.labels["resources.gardener.cloud/purpose"] == "token-requestor"

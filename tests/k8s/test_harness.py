"""The local test bed itself: apiserver, Gardener CRDs with status subresources, leases, clean-up."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from kubernetes_asyncio import client
from kubernetes_asyncio.client.exceptions import ApiException

from hack.localenv.kube import REPO_ROOT, LocalKubeApiServer, _process_alive, cli_down, cli_up
from tests.kube_fixtures import KubeTestEnv, new_api_client

EXT = ("extensions.gardener.cloud", "v1alpha1")
MR = ("resources.gardener.cloud", "v1alpha1")
# kubernetes_asyncio would pick strategic merge, which custom resources do not support.
MERGE_PATCH: dict[str, Any] = {"_content_type": "application/merge-patch+json"}
GARDENER_CRDS = {
    "extensions.extensions.gardener.cloud": "Namespaced",
    "clusters.extensions.gardener.cloud": "Cluster",
    "managedresources.resources.gardener.cloud": "Namespaced",
}


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _pinned_kubernetes_version() -> str:
    text = (REPO_ROOT / "hack" / "versions.env").read_text()
    match = re.search(r"^KUBERNETES_VERSION=(\S+)$", text, re.MULTILINE)
    assert match
    return match.group(1)


def _extension(name: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "extensions.gardener.cloud/v1alpha1",
        "kind": "Extension",
        "metadata": {"name": name},
        "spec": {"type": "ontap", **spec},
    }


async def test_apiserver_answers_with_the_pinned_version(kube: KubeTestEnv) -> None:
    version = await client.VersionApi(kube.api_client).get_code()
    assert version.git_version == _pinned_kubernetes_version()
    namespace = await client.CoreV1Api(kube.api_client).read_namespace(kube.namespace)
    assert namespace.status.phase == "Active"
    assert re.fullmatch(r"shoot--t[0-9a-f]{6}--s1", kube.namespace)
    assert kube.shoot_name == "s1"


async def test_gardener_crds_are_established_with_status_subresource(kube: KubeTestEnv) -> None:
    crds = await client.ApiextensionsV1Api(kube.api_client).list_custom_resource_definition()
    by_name = {crd.metadata.name: crd for crd in crds.items}
    for name, scope in GARDENER_CRDS.items():
        crd = by_name[name]
        assert crd.spec.scope == scope
        [version] = crd.spec.versions
        assert (version.name, version.served, version.storage) == ("v1alpha1", True, True)
        assert version.subresources.status == {}
        conditions = {c.type: c.status for c in crd.status.conditions}
        assert conditions["Established"] == "True"
        assert conditions["NamesAccepted"] == "True"


async def test_extension_status_is_written_only_through_the_subresource(kube: KubeTestEnv) -> None:
    api = client.CustomObjectsApi(kube.api_client)
    created = await api.create_namespaced_custom_object(
        *EXT, kube.namespace, "extensions", _extension("ontap", providerConfig={"anything": {"nested": [1]}})
    )
    assert created["metadata"]["generation"] == 1
    assert created["spec"]["providerConfig"] == {"anything": {"nested": [1]}}

    status = {
        "lastOperation": {
            "type": "Reconcile",
            "state": "Succeeded",
            "progress": 100,
            "description": "reconciled",
            "lastUpdateTime": _now(),
        },
        "observedGeneration": 1,
        "conditions": [
            {
                "type": "SvmReady",
                "status": "True",
                "reason": "Ready",
                "message": "svm p1 runs",
                "lastTransitionTime": _now(),
                "lastUpdateTime": _now(),
            }
        ],
        "providerStatus": {"svm": "p1"},
        "resources": [{"name": "creds", "resourceRef": {"kind": "Secret", "name": "x"}}],
    }
    await api.patch_namespaced_custom_object_status(
        *EXT, kube.namespace, "extensions", "ontap", {"status": status}, **MERGE_PATCH
    )
    # Status sent to the main resource is dropped: proof that the status subresource is enabled.
    await api.patch_namespaced_custom_object(
        *EXT,
        kube.namespace,
        "extensions",
        "ontap",
        {"status": {"observedGeneration": 99}, "metadata": {"labels": {"a": "b"}}},
        **MERGE_PATCH,
    )
    read = await api.get_namespaced_custom_object(*EXT, kube.namespace, "extensions", "ontap")
    assert read["status"]["lastOperation"]["state"] == "Succeeded"
    assert read["status"]["observedGeneration"] == 1
    assert read["status"]["conditions"][0]["type"] == "SvmReady"
    assert read["status"]["providerStatus"] == {"svm": "p1"}
    assert read["metadata"]["labels"] == {"a": "b"}
    assert read["metadata"]["generation"] == 1


async def test_extension_schema_is_enforced(kube: KubeTestEnv) -> None:
    api = client.CustomObjectsApi(kube.api_client)
    without_type = _extension("broken")
    del without_type["spec"]["type"]
    with pytest.raises(ApiException) as missing_type:
        await api.create_namespaced_custom_object(*EXT, kube.namespace, "extensions", without_type)
    assert missing_type.value.status == 422

    await api.create_namespaced_custom_object(
        *EXT, kube.namespace, "extensions", _extension("ontap", **{"class": "shoot"})
    )
    with pytest.raises(ApiException) as immutable_class:
        await api.patch_namespaced_custom_object(
            *EXT, kube.namespace, "extensions", "ontap", {"spec": {"class": "seed"}}, **MERGE_PATCH
        )
    assert immutable_class.value.status == 422
    assert "immutable" in str(immutable_class.value.body)


async def test_managed_resource_roundtrip_and_status(kube: KubeTestEnv) -> None:
    api = client.CustomObjectsApi(kube.api_client)
    body = {
        "apiVersion": "resources.gardener.cloud/v1alpha1",
        "kind": "ManagedResource",
        "metadata": {"name": "trident-backends"},
        "spec": {
            "secretRefs": [{"name": "managedresource-trident-backends"}],
            "keepObjects": True,
            "injectLabels": {"shoot.gardener.cloud/no-cleanup": "true"},
            "equivalences": [[{"group": "apps", "kind": "Deployment"}]],
        },
    }
    await api.create_namespaced_custom_object(*MR, kube.namespace, "managedresources", body)
    applied = {
        "type": "ResourcesApplied",
        "status": "True",
        "reason": "ApplySucceeded",
        "message": "All resources are applied.",
        "lastTransitionTime": _now(),
        "lastUpdateTime": _now(),
    }
    await api.patch_namespaced_custom_object_status(
        *MR,
        kube.namespace,
        "managedresources",
        "trident-backends",
        {"status": {"conditions": [applied], "observedGeneration": 1, "secretsDataChecksum": "abc"}},
        **MERGE_PATCH,
    )
    read = await api.get_namespaced_custom_object(*MR, kube.namespace, "managedresources", "trident-backends")
    assert read["spec"]["keepObjects"] is True
    assert read["spec"]["equivalences"] == [[{"group": "apps", "kind": "Deployment"}]]
    assert read["status"]["conditions"][0]["reason"] == "ApplySucceeded"
    assert read["status"]["secretsDataChecksum"] == "abc"

    with pytest.raises(ApiException) as missing_refs:
        await api.create_namespaced_custom_object(
            *MR, kube.namespace, "managedresources", {**body, "metadata": {"name": "bad"}, "spec": {}}
        )
    assert missing_refs.value.status == 422


async def test_cluster_is_cluster_scoped_and_keeps_whole_objects(kube: KubeTestEnv) -> None:
    api = client.CustomObjectsApi(kube.api_client)
    shoot = {
        "apiVersion": "core.gardener.cloud/v1beta1",
        "kind": "Shoot",
        "metadata": {"name": "s1", "annotations": {"cluster.metal-stack.io/project": "p-1"}},
        "spec": {"purpose": "evaluation", "extensions": [{"type": "ontap", "providerConfig": {"x": 1}}]},
        "status": {"technicalID": kube.namespace},
    }
    cluster = {
        "apiVersion": "extensions.gardener.cloud/v1alpha1",
        "kind": "Cluster",
        "metadata": {"name": kube.namespace},
        "spec": {
            "cloudProfile": {"apiVersion": "core.gardener.cloud/v1beta1", "kind": "CloudProfile"},
            "seed": {"apiVersion": "core.gardener.cloud/v1beta1", "kind": "Seed"},
            "shoot": shoot,
        },
    }
    await api.create_cluster_custom_object(*EXT, "clusters", cluster)
    read = await api.get_cluster_custom_object(*EXT, "clusters", kube.namespace)
    assert read["metadata"].get("namespace") is None
    assert read["spec"]["shoot"] == shoot


async def test_lease_can_be_created_and_renewed(kube: KubeTestEnv) -> None:
    api = client.CoordinationV1Api(kube.api_client)
    lease = client.V1Lease(
        metadata=client.V1ObjectMeta(name="gardener-extension-heartbeat"),
        spec=client.V1LeaseSpec(holder_identity="pod-a", lease_duration_seconds=30),
    )
    created = await api.create_namespaced_lease(kube.namespace, lease)
    renewed = await api.patch_namespaced_lease(
        "gardener-extension-heartbeat", kube.namespace, {"spec": {"renewTime": "2030-01-01T00:00:00.000000Z"}}
    )
    assert renewed.spec.holder_identity == "pod-a"
    assert renewed.spec.renew_time.year == 2030
    assert renewed.metadata.resource_version != created.metadata.resource_version


async def test_purge_removes_namespace_and_objects_held_by_finalizers(kube: KubeTestEnv) -> None:
    other = f"{kube.namespace}x"
    await asyncio.to_thread(kube.apiserver.create_namespace, other)
    api = client.CustomObjectsApi(kube.api_client)
    stuck = _extension("ontap")
    stuck["metadata"]["finalizers"] = ["extensions.gardener.cloud/ontap"]
    await api.create_namespaced_custom_object(*EXT, other, "extensions", stuck)

    await asyncio.to_thread(kube.apiserver.purge_namespace, other)

    with pytest.raises(ApiException) as gone:
        await api.get_namespaced_custom_object(*EXT, other, "extensions", "ontap")
    assert gone.value.status == 404
    with pytest.raises(ApiException) as ns_gone:
        await client.CoreV1Api(kube.api_client).read_namespace(other)
    assert ns_gone.value.status == 404


@pytest.mark.integration
def test_own_instance_starts_and_stops_without_leftovers() -> None:
    server = LocalKubeApiServer()
    server.start()
    workdir, records = server.workdir, server.processes
    assert {r.name for r in records} == {"etcd", "kube-apiserver"}
    assert server.request("GET", "/readyz", timeout=5) == {"raw": "ok"}
    server.stop()
    assert not any(_process_alive(r.pid, r.binary) for r in records)
    assert not workdir.exists()


@pytest.mark.integration
async def test_cli_up_and_down_manage_a_detached_instance(tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    state = await asyncio.to_thread(cli_up, state_dir)
    try:
        assert (state_dir / "state.json").exists()
        assert all(_process_alive(p.pid, p.binary) for p in state.processes)
        # A second `up` finds the running instance instead of starting another one.
        assert (await asyncio.to_thread(cli_up, state_dir)).server == state.server
        api_client = await new_api_client(Path(state.kubeconfig))
        async with api_client:
            crd = await client.ApiextensionsV1Api(api_client).read_custom_resource_definition(
                "extensions.extensions.gardener.cloud"
            )
            assert crd.spec.group == "extensions.gardener.cloud"
    finally:
        stopped = await asyncio.to_thread(cli_down, state_dir)
    assert stopped
    assert not any(_process_alive(p.pid, p.binary) for p in state.processes)
    assert not state_dir.exists()

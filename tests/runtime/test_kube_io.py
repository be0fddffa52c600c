"""The ApiClient factory, the request counter on a real apiserver, and reading Clusters."""

from __future__ import annotations

from kubernetes_asyncio import client

from controller.kube.client import KubeRequestCounter, make_api_client
from controller.kube.clusters import get_cluster, list_clusters
from controller.shoot import shoot_failed, shoot_of
from tests.kube_fixtures import KubeTestEnv
from tests.runtime.kube_objects import cluster_body, create_cluster, delete_cluster, patch_cluster


async def test_make_api_client_from_kubeconfig_counts_requests(kube: KubeTestEnv) -> None:
    counter = KubeRequestCounter()
    api_client = await make_api_client(kube.kubeconfig, counter=counter)
    try:
        core = client.CoreV1Api(api_client)
        await core.read_namespace(kube.namespace)
        await core.list_namespaced_secret(kube.namespace)
        await core.create_namespaced_config_map(
            kube.namespace, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="probe"), data={"a": "b"})
        )
        assert counter.by_verb() == {"GET": 1, "LIST": 1, "POST": 1}
        assert (counter.reads, counter.writes) == (2, 1)
        assert counter.by_resource()[("POST", "configmaps")] == 1
    finally:
        await api_client.close()


async def test_clusters_are_read_as_dicts(kube: KubeTestEnv) -> None:
    name = kube.namespace
    assert await get_cluster(kube.api_client, name) is None
    await create_cluster(kube.api_client, name, project="p42")
    try:
        cluster = await get_cluster(kube.api_client, name)
        assert cluster is not None
        shoot = shoot_of(cluster)
        assert shoot["metadata"]["annotations"]["cluster.metal-stack.io/project"] == "p42"
        assert not shoot_failed(cluster)
        await patch_cluster(
            kube.api_client, name, {"spec": {"shoot": {"status": {"lastOperation": {"state": "Failed"}}}}}
        )
        cluster = await get_cluster(kube.api_client, name)
        assert cluster is not None and shoot_failed(cluster)
        items, resource_version = await list_clusters(kube.api_client, limit=1)
        assert name in [item["metadata"]["name"] for item in items]
        assert resource_version
    finally:
        await delete_cluster(kube.api_client, name)


def test_shoot_helpers_tolerate_missing_parts() -> None:
    assert shoot_of({}) == {}
    assert not shoot_failed({"spec": {}})
    assert shoot_of(cluster_body("x"))["metadata"]["name"] == "s1"

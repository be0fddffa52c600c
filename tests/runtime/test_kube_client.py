"""Classifying and counting Kubernetes requests."""

from __future__ import annotations

from typing import Any

import pytest

from controller.kube.client import KubeRequestCounter, request_resource, request_verb
from controller.runtime import metrics
from tests.kube_fixtures import KubeTestEnv

BASE = "https://127.0.0.1:6443"


@pytest.mark.parametrize(
    ("method", "path", "params", "verb", "resource"),
    [
        ("GET", "/apis/extensions.gardener.cloud/v1alpha1/extensions", None, "LIST", "extensions"),
        (
            "GET",
            "/apis/extensions.gardener.cloud/v1alpha1/extensions",
            [("watch", True), ("resourceVersion", "5")],
            "WATCH",
            "extensions",
        ),
        (
            "GET",
            "/apis/extensions.gardener.cloud/v1alpha1/namespaces/ns/extensions/ontap",
            None,
            "GET",
            "extensions",
        ),
        (
            "PATCH",
            "/apis/extensions.gardener.cloud/v1alpha1/namespaces/ns/extensions/ontap/status",
            None,
            "PATCH",
            "extensions/status",
        ),
        ("GET", "/apis/extensions.gardener.cloud/v1alpha1/clusters/shoot--p--s", None, "GET", "clusters"),
        ("GET", "/api/v1/namespaces/ns/secrets", [("labelSelector", "a=b")], "LIST", "secrets"),
        ("PUT", "/api/v1/namespaces/ns/secrets/s", None, "PUT", "secrets"),
        ("POST", "/api/v1/namespaces/ns/events", None, "POST", "events"),
        ("GET", "/api/v1/namespaces", None, "LIST", "namespaces"),
        ("GET", "/api/v1/namespaces/garden", None, "GET", "namespaces"),
        ("DELETE", "/apis/coordination.k8s.io/v1/namespaces/garden/leases/x", None, "DELETE", "leases"),
        ("GET", "/version", None, "LIST", "version"),
    ],
)
def test_verb_and_resource(
    method: str, path: str, params: list[tuple[str, Any]] | None, verb: str, resource: str
) -> None:
    assert request_verb(method, BASE + path, params) == verb
    assert request_resource(BASE + path) == resource


class FakeRestClient:
    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    async def request(self, method: str, url: str, query_params: Any = None, **kwargs: Any) -> str:
        self.seen.append((method, url))
        return "response"


class FakeApiClient:
    def __init__(self) -> None:
        self.rest_client = FakeRestClient()


async def test_counter_counts_reads_and_writes_and_passes_requests_through() -> None:
    api_client = FakeApiClient()
    inner = api_client.rest_client
    counter = KubeRequestCounter().attach(api_client)
    prometheus = metrics.KUBE_REQUESTS.labels(verb="PATCH", resource="extensions/status")
    before = prometheus._value.get()
    rest: Any = api_client.rest_client
    ext = BASE + "/apis/extensions.gardener.cloud/v1alpha1/namespaces/ns/extensions/ontap"
    assert await rest.request("GET", ext) == "response"
    await rest.request("GET", ext.rsplit("/", 1)[0], [("watch", "true")])
    await rest.request("PATCH", ext + "/status", None, body={})
    await rest.request("POST", BASE + "/api/v1/namespaces/ns/events", query_params=None)
    assert len(inner.seen) == 4
    assert counter.reads == 2
    assert counter.writes == 2
    assert counter.total == 4
    assert counter.by_verb() == {"GET": 1, "WATCH": 1, "PATCH": 1, "POST": 1}
    assert counter.write_requests() == [("PATCH", "extensions/status"), ("POST", "events")]
    assert prometheus._value.get() - before == 1
    counter.reset()
    assert counter.total == 0 and counter.writes == 0 and counter.by_verb() == {}


async def test_two_counters_on_one_client_both_count() -> None:
    api_client = FakeApiClient()
    first = KubeRequestCounter().attach(api_client)
    second = KubeRequestCounter().attach(api_client)
    rest: Any = api_client.rest_client
    await rest.request("DELETE", BASE + "/api/v1/namespaces/ns/secrets/x")
    assert first.writes == second.writes == 1


def _kubeconfig(tmp_path: Any, server: str) -> Any:
    import yaml

    path = tmp_path / "kubeconfig"
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "c", "cluster": {"server": server, "insecure-skip-tls-verify": True}}],
                "users": [{"name": "u", "user": {"token": "t"}}],
                "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}],
                "current-context": "c",
            }
        )
    )
    return path


async def test_the_environment_proxy_is_resolved_once_and_netrc_is_never_read(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from controller.kube.client import make_api_client

    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    proxied = await make_api_client(_kubeconfig(tmp_path, "https://apiserver.example:443"))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    direct = await make_api_client(_kubeconfig(tmp_path, BASE))
    try:
        assert proxied.rest_client.proxy == "http://proxy.example:3128"
        assert direct.rest_client.proxy is None
        # aiohttp consults the environment (proxy variables, ~/.netrc) per request only with trust_env.
        assert direct.rest_client.pool_manager.trust_env is False
    finally:
        await proxied.close()
        await direct.close()


async def test_get_json_reads_through_the_clients_rest_layer(kube: KubeTestEnv) -> None:
    from kubernetes_asyncio import client as k8s
    from kubernetes_asyncio.client.exceptions import ApiException

    from controller.kube.client import get_json, make_api_client

    counter = KubeRequestCounter()
    api_client = await make_api_client(kube.kubeconfig, counter=counter)
    core = k8s.CoreV1Api(kube.api_client)
    try:
        for name, labels in (("a", {"role": "x"}), ("b", {"role": "y"})):
            body = {"metadata": {"name": name, "labels": labels}, "stringData": {"k": name}}
            await core.create_namespaced_secret(kube.namespace, body)
        base = f"/api/v1/namespaces/{kube.namespace}/secrets"
        secret = await get_json(api_client, f"{base}/a")
        assert secret["metadata"]["labels"] == {"role": "x"} and "k" in secret["data"]
        listing = await get_json(api_client, base, [("labelSelector", "role in (y)")])
        assert [item["metadata"]["name"] for item in listing["items"]] == ["b"]
        with pytest.raises(ApiException) as missing:
            await get_json(api_client, f"{base}/none")
        assert missing.value.status == 404 and "not found" in str(missing.value.body)
        # Counted like any other request of the client.
        assert counter.by_resource() == {("GET", "secrets"): 2, ("LIST", "secrets"): 1}
    finally:
        await api_client.close()

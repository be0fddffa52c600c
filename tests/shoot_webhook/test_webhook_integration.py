"""The shoot webhook end to end: a real kube-apiserver calls the controller's HTTPS listener, registered with
the MutatingWebhookConfiguration this extension ships into shoots."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, cast

import pytest
from kubernetes_asyncio import client as k8s
from kubernetes_asyncio.client.exceptions import ApiException

from controller.shoot_resources.webhook_configuration import (
    CONFIGURATION_NAME,
    mutating_webhook_configuration,
)
from controller.shoot_webhook.server import ShootWebhookServer
from tests.kube_fixtures import KubeTestEnv
from tests.shoot_webhook.support import IMAGE, started_webhook_server, trident_node_daemonset

pytestmark = pytest.mark.integration

TRIDENT = "kube-system"


@pytest.fixture
async def registered(kube: KubeTestEnv, tmp_path: Path) -> AsyncIterator[ShootWebhookServer]:
    """The webhook server on a random port, and the shoot's webhook configuration pointing at it."""
    server, tls = await started_webhook_server(tmp_path)
    await asyncio.to_thread(kube.apiserver.create_namespace, TRIDENT)
    admission = k8s.AdmissionregistrationV1Api(kube.api_client)
    configuration = mutating_webhook_configuration(
        url=f"https://127.0.0.1:{server.port}",
        technical_id=kube.namespace,
        ca_bundle=tls.ca_file.read_bytes(),
        failure_policy="Fail",
        trident_namespace=TRIDENT,
        timeout_seconds=30,  # a loaded test machine must not turn a slow answer into a refused write
    )
    await admission.create_mutating_webhook_configuration(cast(Any, configuration))
    try:
        yield server
    finally:
        with contextlib.suppress(ApiException):
            await admission.delete_mutating_webhook_configuration(CONFIGURATION_NAME)
        apps = k8s.AppsV1Api(kube.api_client)
        for namespace in (TRIDENT, kube.namespace):
            listing = await apps.list_namespaced_daemon_set(namespace)
            for item in listing.items:
                await apps.delete_namespaced_daemon_set(item.metadata.name, namespace)
        await server.stop()


async def _create(kube: KubeTestEnv, body: dict[str, Any]) -> dict[str, Any]:
    apps = k8s.AppsV1Api(kube.api_client)
    namespace = body["metadata"]["namespace"]
    await apps.create_namespaced_daemon_set(namespace, cast(Any, body))
    created = await apps.read_namespaced_daemon_set(body["metadata"]["name"], namespace)
    return dict(kube.api_client.sanitize_for_serialization(created))


async def test_tridents_node_daemonset_comes_back_prepared(
    kube: KubeTestEnv, registered: ShootWebhookServer
) -> None:
    stored = await _create(kube, trident_node_daemonset())
    template = stored["spec"]["template"]
    spec = template["spec"]
    assert spec["dnsPolicy"] == "Default"
    [init] = spec["initContainers"]
    assert (init["name"], init["image"], init["securityContext"]["privileged"]) == (
        "init-nvme-tcp",
        IMAGE,
        True,
    )
    assert init["volumeMounts"] == [
        {
            "name": "modules-dir",
            "mountPath": "/lib/modules",
            "mountPropagation": "HostToContainer",
            "readOnly": True,
        }
    ]
    modules = next(v for v in spec["volumes"] if v["name"] == "modules-dir")
    assert modules["hostPath"]["path"] == "/lib/modules"
    assert template["metadata"]["annotations"]["node.gardener.cloud/wait-for-csi-node-trident"] == (
        "csi.trident.netapp.io"
    )
    labels = template["metadata"]["labels"]
    assert labels["node.gardener.cloud/critical-component"] == "true"
    assert labels["networking.gardener.cloud/to-apiserver"] == "allowed"
    assert labels["networking.gardener.cloud/to-dns"] == "allowed"
    assert stored["metadata"]["labels"]["node.gardener.cloud/critical-component"] == "true"

    # An update (what Trident's operator does) keeps it prepared; a re-applied original is prepared again.
    apps = k8s.AppsV1Api(kube.api_client)
    original = trident_node_daemonset()
    original["metadata"]["resourceVersion"] = stored["metadata"]["resourceVersion"]
    await apps.replace_namespaced_daemon_set("trident-node-linux", TRIDENT, cast(Any, original))
    again = kube.api_client.sanitize_for_serialization(
        await apps.read_namespaced_daemon_set("trident-node-linux", TRIDENT)
    )
    assert again["spec"]["template"] == template


async def test_a_daemonset_of_another_name_is_untouched(
    kube: KubeTestEnv, registered: ShootWebhookServer
) -> None:
    stored = await _create(kube, trident_node_daemonset("trident-node-windows"))
    spec = stored["spec"]["template"]["spec"]
    assert spec["dnsPolicy"] == "ClusterFirstWithHostNet"
    assert "initContainers" not in spec or not spec["initContainers"]
    assert "node.gardener.cloud/critical-component" not in stored["metadata"]["labels"]


async def test_the_trident_daemonset_outside_the_trident_namespace_is_untouched(
    kube: KubeTestEnv, registered: ShootWebhookServer
) -> None:
    stored = await _create(kube, trident_node_daemonset(namespace=kube.namespace))
    assert stored["spec"]["template"]["spec"]["dnsPolicy"] == "ClusterFirstWithHostNet"
    assert "node.gardener.cloud/wait-for-csi-node-trident" not in (
        stored["spec"]["template"]["metadata"].get("annotations") or {}
    )

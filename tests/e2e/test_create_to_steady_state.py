"""End to end through the reconciler: real kube-apiserver, fake ONTAP, Create -> Succeeded -> steady state."""

from __future__ import annotations

import base64
from typing import Any

from kubernetes_asyncio import client as k8s
from pydantic import SecretStr

from controller.config import config_from_mapping
from controller.kube.client import KubeRequestCounter
from controller.reconciler import ExtensionReconciler
from controller.runtime.cache import ObjectCache
from controller.runtime.context import RuntimeContext
from ontap.client import OntapClients
from ontap.naming import svm_name
from ontap.provisioning.account import check_login
from ontap.provisioning.reads import find_svm

GROUP, VERSION = "extensions.gardener.cloud", "v1alpha1"
PROJECT = "11111111-2222-3333-4444-555555555555"


def _cluster(namespace: str) -> dict[str, Any]:
    shoot = {
        "apiVersion": "core.gardener.cloud/v1beta1",
        "kind": "Shoot",
        "metadata": {
            "name": "s1",
            "namespace": "garden-p",
            "annotations": {"cluster.metal-stack.io/project": PROJECT},
        },
        "spec": {},
        "status": {"technicalID": namespace},
    }
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "Cluster",
        "metadata": {"name": namespace},
        "spec": {"cloudProfile": {}, "seed": {}, "shoot": shoot},
    }


def _extension(namespace: str) -> dict[str, Any]:
    provider_config = {
        "apiVersion": "ontap.metal.extensions.gardener.cloud/v1alpha1",
        "kind": "TridentConfig",
        "svmIpaddresses": {"managementLif": "127.0.0.10", "dataLifs": ["127.0.0.11", "127.0.0.12"]},
    }
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "Extension",
        "metadata": {"name": "ontap", "namespace": namespace},
        "spec": {"type": "ontap", "providerConfig": provider_config},
    }


async def test_create_succeeds_and_steady_state_is_cheap(kube: Any, fake_ontap: Any) -> None:
    ns = kube.namespace
    objects = k8s.CustomObjectsApi(kube.api_client)
    await objects.create_cluster_custom_object(GROUP, VERSION, "clusters", _cluster(ns))
    await objects.create_namespaced_custom_object(GROUP, VERSION, ns, "extensions", _extension(ns))
    config = config_from_mapping(
        {
            "ontapClusters": [
                {
                    "name": "fake",
                    "endpoint": fake_ontap.url,
                    "username": "admin",
                    "password": "fake-admin-password",
                }
            ],
            "leaderElection": {"enabled": False},
            "heartbeat": {"enabled": False},
        }
    )
    ontap = OntapClients.from_configs(config.ontap_clusters)
    counter = KubeRequestCounter()
    counter.attach(kube.api_client)
    ctx = RuntimeContext(
        config=config,
        api_client=kube.api_client,
        cache=ObjectCache("ontap"),
        queue=None,  # type: ignore[arg-type]
        ontap=ontap,
        counter=counter,
    )
    reconciler = ExtensionReconciler(ctx)
    try:
        await reconciler.reconcile((ns, "ontap"))
        ext = await objects.get_namespaced_custom_object(GROUP, VERSION, ns, "extensions", "ontap")
        status = ext["status"]
        assert status["lastOperation"]["state"] == "Succeeded"
        assert status.get("lastError") is None
        assert status["observedGeneration"] == ext["metadata"]["generation"]
        assert "extensions.gardener.cloud/ontap" in ext["metadata"]["finalizers"]
        assert {c["type"]: c["status"] for c in status["conditions"]} == {
            "OntapClusterPlaced": "True",
            "SvmReady": "True",
            "LifsReady": "True",
            "AccountReady": "True",
            "SeedSecretReady": "True",
            "ShootResourcesReady": "True",
            # No shoot access here (no generic token kubeconfig, no shoot-access Secret): not yet known.
            "SystemComponentsHealthy": "Unknown",
        }

        secret = await k8s.CoreV1Api(kube.api_client).read_namespaced_secret("ontap-svm-credentials", ns)
        username = base64.b64decode(secret.data["username"]).decode()
        password = SecretStr(base64.b64decode(secret.data["password"]).decode())
        client = ontap["fake"]
        svm = await find_svm(client, svm_name(PROJECT))
        assert svm is not None
        login = await check_login(client, svm, username, password, "127.0.0.10")
        assert str(login.status) == "ok"

        # The very next (periodic) pass is the steady state: 3 ONTAP reads, no writes anywhere.
        fake_ontap.requests.clear()
        counter.reset()
        await reconciler.reconcile((ns, "ontap"))
        assert fake_ontap.requests.count() <= 3
        assert fake_ontap.requests.count(writes_only=True) == 0
        assert counter.writes == 0
    finally:
        await ontap.close()

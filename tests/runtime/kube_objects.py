"""Helpers for the runtime integration tests: Gardener objects on the test apiserver, polling."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from kubernetes_asyncio import client
from kubernetes_asyncio.client.exceptions import ApiException

GROUP = "extensions.gardener.cloud"
VERSION = "v1alpha1"


def extension_body(name: str = "ontap", *, type_: str = "ontap") -> dict[str, Any]:
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "Extension",
        "metadata": {"name": name},
        "spec": {"type": type_},
    }


def cluster_body(name: str, *, project: str = "p1", hibernated: bool = False) -> dict[str, Any]:
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "Cluster",
        "metadata": {"name": name},
        "spec": {
            "cloudProfile": {"apiVersion": "core.gardener.cloud/v1beta1", "kind": "CloudProfile"},
            "seed": {"apiVersion": "core.gardener.cloud/v1beta1", "kind": "Seed"},
            "shoot": {
                "apiVersion": "core.gardener.cloud/v1beta1",
                "kind": "Shoot",
                "metadata": {"name": "s1", "annotations": {"cluster.metal-stack.io/project": project}},
                "spec": {"purpose": "evaluation"},
                "status": {
                    "hibernated": hibernated,
                    "lastOperation": {"state": "Processing", "progress": 10},
                },
            },
        },
    }


async def create_extension(
    api_client: Any, namespace: str, name: str = "ontap", *, type_: str = "ontap"
) -> Any:
    api = client.CustomObjectsApi(api_client)
    return await api.create_namespaced_custom_object(
        GROUP, VERSION, namespace, "extensions", extension_body(name, type_=type_)
    )


async def annotate_extension(api_client: Any, namespace: str, name: str, annotations: dict[str, str]) -> Any:
    api: Any = client.CustomObjectsApi(api_client)
    return await api.patch_namespaced_custom_object(
        GROUP,
        VERSION,
        namespace,
        "extensions",
        name,
        {"metadata": {"annotations": annotations}},
        _content_type="application/merge-patch+json",
    )


async def delete_extension(api_client: Any, namespace: str, name: str) -> None:
    api = client.CustomObjectsApi(api_client)
    await api.delete_namespaced_custom_object(GROUP, VERSION, namespace, "extensions", name)


async def create_cluster(api_client: Any, name: str, **kwargs: Any) -> Any:
    api = client.CustomObjectsApi(api_client)
    return await api.create_cluster_custom_object(GROUP, VERSION, "clusters", cluster_body(name, **kwargs))


async def patch_cluster(api_client: Any, name: str, patch: dict[str, Any]) -> Any:
    api: Any = client.CustomObjectsApi(api_client)
    return await api.patch_cluster_custom_object(
        GROUP, VERSION, "clusters", name, patch, _content_type="application/merge-patch+json"
    )


async def delete_cluster(api_client: Any, name: str) -> None:
    api = client.CustomObjectsApi(api_client)
    await api.delete_cluster_custom_object(GROUP, VERSION, "clusters", name)


async def steal_lease(api_client: Any, namespace: str, name: str, holder: str) -> None:
    """Make `holder` the Lease's holder, retrying while the current leader renews concurrently."""
    api = client.CoordinationV1Api(api_client)
    for _ in range(20):
        lease = await api.read_namespaced_lease(name, namespace)
        lease.spec.holder_identity = holder
        try:
            await api.replace_namespaced_lease(name, namespace, lease)
            return
        except ApiException as exc:
            if exc.status != 409:
                raise
    raise AssertionError(f"could not take Lease {namespace}/{name} over")


async def eventually(condition: Callable[[], bool], *, within: float = 15.0, message: str = "") -> None:
    """Poll `condition` until it holds, failing with `message` after `within` seconds."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {within}s: {message}")
        await asyncio.sleep(0.05)

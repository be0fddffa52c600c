"""Gardener `Cluster` objects (cluster-scoped, extensions.gardener.cloud/v1alpha1), read as plain dicts.

A Cluster is named after the shoot's seed namespace and carries the whole Shoot, Seed and
CloudProfile; the controller reads it, never writes it.
"""

from __future__ import annotations

from typing import Any

from kubernetes_asyncio import client
from kubernetes_asyncio.client.exceptions import ApiException

from controller.kube.apis import EXTENSIONS_GROUP as GROUP
from controller.kube.apis import EXTENSIONS_VERSION as VERSION
from controller.kube.apis import list_all

PLURAL = "clusters"


async def get_cluster(api_client: Any, name: str) -> dict[str, Any] | None:
    """The Cluster named `name` (== the seed namespace), or None when there is none."""
    api = client.CustomObjectsApi(api_client)
    try:
        obj: dict[str, Any] = await api.get_cluster_custom_object(GROUP, VERSION, PLURAL, name)
    except ApiException as exc:
        if exc.status == 404:
            return None
        raise
    return obj


async def read_cluster(api_client: Any, cache: Any, name: str) -> dict[str, Any] | None:
    """The Cluster from the watch cache when it holds it (the fields the controller reads, a fresh
    copy), else a live read (None when there is none)."""
    if cache is not None:
        cached: dict[str, Any] | None = cache.get_cluster(name)
        if cached is not None:
            return cached
    return await get_cluster(api_client, name)


async def list_clusters(api_client: Any, *, limit: int = 500) -> tuple[list[dict[str, Any]], str]:
    """All Clusters and the list's resourceVersion (paged, one consistent snapshot)."""
    return await list_all(api_client, GROUP, VERSION, PLURAL, limit=limit)

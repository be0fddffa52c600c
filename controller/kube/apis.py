"""The API groups and versions of the Gardener resources the controller reads and writes (one home),
and the one paged list of such a resource."""

from __future__ import annotations

from typing import Any

from kubernetes_asyncio import client

# Extension and Cluster (gardener/gardener pkg/apis/extensions/v1alpha1).
EXTENSIONS_GROUP = "extensions.gardener.cloud"
EXTENSIONS_VERSION = "v1alpha1"
# ManagedResource (gardener/gardener pkg/apis/resources/v1alpha1).
RESOURCES_GROUP = "resources.gardener.cloud"
RESOURCES_VERSION = "v1alpha1"


async def list_all(
    api_client: Any, group: str, version: str, plural: str, *, limit: int = 500
) -> tuple[list[dict[str, Any]], str]:
    """Every object of a cluster-wide listable custom resource and the list's resourceVersion (paged)."""
    api = client.CustomObjectsApi(api_client)
    items: list[dict[str, Any]] = []
    token: str | None = None
    resource_version = ""
    while True:
        kwargs: dict[str, Any] = {"limit": limit}
        if token:
            kwargs["_continue"] = token
        page = await api.list_cluster_custom_object(group, version, plural, **kwargs)
        items.extend(page.get("items") or [])
        metadata = page.get("metadata") or {}
        resource_version = metadata.get("resourceVersion", resource_version)
        token = metadata.get("continue")
        if not token:
            return items, resource_version

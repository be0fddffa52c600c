"""Gardener `Extension` objects (extensions.gardener.cloud/v1alpha1) read and patched as plain dicts.

Metadata patches carry the resourceVersion they were computed from: a concurrent writer makes the API
server answer 409 (`ExtensionConflict`), and the caller re-reads instead of overwriting what it did not see.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kubernetes_asyncio import client
from kubernetes_asyncio.client.exceptions import ApiException

from controller.kube.apis import EXTENSIONS_GROUP as GROUP
from controller.kube.apis import EXTENSIONS_VERSION as VERSION
from controller.kube.apis import list_all

PLURAL = "extensions"
MERGE_PATCH = "application/merge-patch+json"


class ExtensionConflict(Exception):
    """The Extension changed since it was read (HTTP 409); re-read and decide again."""

    def __init__(self, namespace: str, name: str, what: str) -> None:
        self.namespace = namespace
        self.name = name
        super().__init__(f"Extension {namespace}/{name}: {what} conflicted with a concurrent change")


def _ref(ext: dict[str, Any]) -> tuple[str, str, str]:
    meta = ext.get("metadata") or {}
    return (
        str(meta.get("namespace") or ""),
        str(meta.get("name") or ""),
        str(meta.get("resourceVersion") or ""),
    )


async def get_extension(api_client: Any, namespace: str, name: str) -> dict[str, Any] | None:
    """A live read of the Extension, or None when it does not exist."""
    api = client.CustomObjectsApi(api_client)
    try:
        obj: dict[str, Any] = await api.get_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, name)
    except ApiException as exc:
        if exc.status == 404:
            return None
        raise
    return obj


async def patch_metadata(
    api_client: Any,
    ext: dict[str, Any],
    *,
    annotations: Mapping[str, str | None] | None = None,
    finalizers: list[str] | None = None,
) -> dict[str, Any]:
    """Merge-patch annotations (None removes one) and/or the whole finalizer list, guarded by resourceVersion.

    Raises `ExtensionConflict` when the object changed since `ext` was read.
    """
    namespace, name, resource_version = _ref(ext)
    meta: dict[str, Any] = {}
    if resource_version:
        meta["resourceVersion"] = resource_version
    if annotations:
        meta["annotations"] = dict(annotations)
    if finalizers is not None:
        meta["finalizers"] = finalizers
    api = client.CustomObjectsApi(api_client)
    try:
        updated: dict[str, Any] = await api.patch_namespaced_custom_object(
            GROUP,
            VERSION,
            namespace,
            PLURAL,
            name,
            {"metadata": meta},
            _content_type=MERGE_PATCH,  # type: ignore[call-arg]
        )
    except ApiException as exc:
        if exc.status == 409:
            raise ExtensionConflict(namespace, name, "metadata patch") from None
        raise
    return updated


async def patch_status(
    api_client: Any, ext: dict[str, Any], status_patch: dict[str, Any], *, guarded: bool = True
) -> dict[str, Any]:
    """Merge-patch `/status`; with `guarded`, only if the object is still at `ext`'s resourceVersion.

    The guard keeps a concurrent status writer (e.g. a health check) from being overwritten by a patch
    computed before its write. Raises `ExtensionConflict` on 409.
    """
    namespace, name, resource_version = _ref(ext)
    body: dict[str, Any] = {"status": status_patch}
    if guarded and resource_version:
        body["metadata"] = {"resourceVersion": resource_version}
    api = client.CustomObjectsApi(api_client)
    try:
        updated: dict[str, Any] = await api.patch_namespaced_custom_object_status(
            GROUP,
            VERSION,
            namespace,
            PLURAL,
            name,
            body,
            _content_type=MERGE_PATCH,  # type: ignore[call-arg]
        )
    except ApiException as exc:
        if exc.status == 409:
            raise ExtensionConflict(namespace, name, "status patch") from None
        raise
    return updated


async def remove_annotation(api_client: Any, namespace: str, name: str, key: str) -> None:
    """Drop one annotation from the Extension (merge patch, unguarded: removing is safe to repeat)."""
    await client.CustomObjectsApi(api_client).patch_namespaced_custom_object(
        GROUP,
        VERSION,
        namespace,
        PLURAL,
        name,
        {"metadata": {"annotations": {key: None}}},
        _content_type=MERGE_PATCH,  # type: ignore[call-arg]
    )


async def list_extensions(api_client: Any, *, limit: int = 500) -> list[dict[str, Any]]:
    """Every Extension in the seed, all namespaces (paged)."""
    items, _ = await list_all(api_client, GROUP, VERSION, PLURAL, limit=limit)
    return items

"""ManagedResources (resources.gardener.cloud/v1alpha1) and their content secrets: read, write, delete.

Thin I/O over kubernetes-asyncio; Secret encoding and deletion live in `controller.kube.secrets`. Reads
return typed views; the callers decide what to write, so nothing is written unless it differs
(`patch_managed_resource` with an empty patch makes no request).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kubernetes_asyncio import client as k8s
from kubernetes_asyncio.client.exceptions import ApiException

from controller.kube.apis import RESOURCES_GROUP as GROUP
from controller.kube.apis import RESOURCES_VERSION as VERSION
from controller.kube.client import get_json

PLURAL = "managedresources"
MERGE_PATCH = "application/merge-patch+json"

MR_API = f"/apis/{GROUP}/{VERSION}/namespaces/{{namespace}}/{PLURAL}"


class ManagedResourceConflict(Exception):
    """The object was created by someone else meanwhile (HTTP 409); re-read and decide again."""


@dataclass(frozen=True)
class AppliedCondition:
    """The resource manager's `ResourcesApplied` condition of a ManagedResource."""

    status: str
    reason: str
    message: str


# The resource manager's condition types on a ManagedResource (gardener pkg/apis/resources/v1alpha1/types.go).
RESOURCES_APPLIED = "ResourcesApplied"
RESOURCES_HEALTHY = "ResourcesHealthy"
RESOURCES_PROGRESSING = "ResourcesProgressing"


@dataclass(frozen=True)
class ResourceCondition:
    """One condition the resource manager set on a ManagedResource."""

    type: str
    status: str
    reason: str
    message: str


@dataclass(frozen=True)
class ObservedManagedResource:
    """A ManagedResource as read from the API server (the parts this extension decides on)."""

    namespace: str
    name: str
    secret_refs: tuple[str, ...]
    keep_objects: bool
    resource_class: str | None
    labels: dict[str, str] = field(default_factory=dict)
    inject_labels: dict[str, str] = field(default_factory=dict)
    finalizers: tuple[str, ...] = ()
    deleting: bool = False
    applied: AppliedCondition | None = None
    generation: int = 0
    observed_generation: int = 0  # status.observedGeneration; 0 while the resource manager never reported
    conditions: tuple[ResourceCondition, ...] = ()

    @property
    def ref(self) -> str:
        return f"ManagedResource {self.namespace}/{self.name}"

    def condition(self, condition_type: str) -> ResourceCondition | None:
        """The resource manager's condition of that type, if reported."""
        return next((c for c in self.conditions if c.type == condition_type), None)

    @classmethod
    def from_object(cls, obj: dict[str, Any]) -> ObservedManagedResource:
        """The typed view of a ManagedResource dict."""
        meta = obj.get("metadata") or {}
        spec = obj.get("spec") or {}
        status = obj.get("status") or {}
        conditions = tuple(
            ResourceCondition(
                type=str(condition.get("type") or ""),
                status=str(condition.get("status") or ""),
                reason=str(condition.get("reason") or ""),
                message=str(condition.get("message") or ""),
            )
            for condition in status.get("conditions") or []
            if isinstance(condition, dict)
        )
        applied = next(
            (
                AppliedCondition(c.status, c.reason, c.message)
                for c in conditions
                if c.type == RESOURCES_APPLIED
            ),
            None,
        )
        return cls(
            namespace=str(meta.get("namespace") or ""),
            name=str(meta.get("name") or ""),
            secret_refs=tuple(str(ref.get("name") or "") for ref in spec.get("secretRefs") or []),
            keep_objects=bool(spec.get("keepObjects", False)),
            resource_class=spec.get("class") or None,
            labels=dict(meta.get("labels") or {}),
            inject_labels=dict(spec.get("injectLabels") or {}),
            finalizers=tuple(meta.get("finalizers") or ()),
            deleting=bool(meta.get("deletionTimestamp")),
            applied=applied,
            generation=_int(meta.get("generation")),
            observed_generation=_int(status.get("observedGeneration")),
            conditions=conditions,
        )


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


async def list_managed_resources(
    api_client: Any, namespace: str, label_selector: str
) -> dict[str, ObservedManagedResource]:
    """The ManagedResources of `namespace` matching `label_selector`, by name (one LIST request)."""
    listing = await get_json(
        api_client,
        f"/apis/{GROUP}/{VERSION}/namespaces/{namespace}/{PLURAL}",
        [("labelSelector", label_selector)],
    )
    observed = (ObservedManagedResource.from_object(item) for item in listing.get("items") or [])
    return {mr.name: mr for mr in observed}


async def get_managed_resource(api_client: Any, namespace: str, name: str) -> ObservedManagedResource | None:
    """The ManagedResource, or None when it does not exist."""
    try:
        obj = await k8s.CustomObjectsApi(api_client).get_namespaced_custom_object(
            GROUP, VERSION, namespace, PLURAL, name
        )
    except ApiException as exc:
        if exc.status == 404:
            return None
        raise
    return ObservedManagedResource.from_object(obj)


async def create_managed_resource(api_client: Any, body: dict[str, Any]) -> ObservedManagedResource:
    """Create the ManagedResource; `ManagedResourceConflict` when one of that name exists already."""
    namespace = body["metadata"]["namespace"]
    try:
        obj = await k8s.CustomObjectsApi(api_client).create_namespaced_custom_object(
            GROUP, VERSION, namespace, PLURAL, body
        )
    except ApiException as exc:
        if exc.status == 409:
            name = body["metadata"]["name"]
            raise ManagedResourceConflict(f"ManagedResource {namespace}/{name} exists already") from None
        raise
    return ObservedManagedResource.from_object(obj)


async def patch_managed_resource(
    api_client: Any, current: ObservedManagedResource, patch: dict[str, Any]
) -> ObservedManagedResource:
    """Apply a JSON merge patch; an empty patch makes no request and returns `current`."""
    if not patch:
        return current
    obj = await k8s.CustomObjectsApi(api_client).patch_namespaced_custom_object(
        GROUP,
        VERSION,
        current.namespace,
        PLURAL,
        current.name,
        patch,
        _content_type=MERGE_PATCH,  # type: ignore[call-arg]
    )
    return ObservedManagedResource.from_object(obj)


async def set_keep_objects(
    api_client: Any, current: ObservedManagedResource, keep: bool
) -> ObservedManagedResource:
    """Set `spec.keepObjects`; no request when it already has that value."""
    if current.keep_objects == keep:
        return current
    return await patch_managed_resource(api_client, current, {"spec": {"keepObjects": keep}})


async def delete_managed_resource(api_client: Any, namespace: str, name: str) -> bool:
    """Request deletion; False when already gone. The resource manager's finalizer may keep it a while."""
    try:
        await k8s.CustomObjectsApi(api_client).delete_namespaced_custom_object(
            GROUP, VERSION, namespace, PLURAL, name
        )
    except ApiException as exc:
        if exc.status == 404:
            return False
        raise
    return True

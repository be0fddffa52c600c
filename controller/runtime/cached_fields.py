"""What the watch cache keeps of a Gardener `Cluster` and of an `Extension`.

A Cluster embeds the whole Shoot, Seed and CloudProfile; on a real landscape that is tens of
kilobytes per shoot (a CloudProfile with its machine types, images and Kubernetes versions alone often
more), and Gardener rewrites it on every shoot progress update. The controller reads a handful of its
fields, so the cache keeps exactly those (`CLUSTER_FIELDS`, the same shape as the object, so every
reader works on the kept Cluster as on a full one). An Extension is small and the controller reads most
of it (spec, status, metadata): it is kept whole except `metadata.managedFields`.

Every field listed here has its reader named beside it; a reader of a new Cluster field adds it here
(tests/runtime/test_cached_fields.py checks the readers against a kept Cluster).
"""

from __future__ import annotations

from typing import Any

Obj = dict[str, Any]
# A field selection: a key maps to KEEP (the whole value) or to the selection inside it.
Selection = dict[str, Any]
KEEP = True

CLUSTER_FIELDS: Selection = {
    "apiVersion": KEEP,
    "kind": KEEP,
    "metadata": {
        "name": KEEP,  # the seed namespace (ShootInfo.technical_id)
        "resourceVersion": KEEP,  # cache changes
        "uid": KEEP,
        "annotations": KEEP,  # shoot_access: the generic token kubeconfig Secret's name
    },
    "spec": {
        "shoot": {
            "metadata": {
                "name": KEEP,  # ShootInfo.shoot_name
                "namespace": KEEP,  # ShootInfo.shoot_namespace
                "uid": KEEP,  # ShootInfo.uid
                "annotations": KEEP,  # project annotation, force deletion (controller/shoot.py)
            },
            "spec": {
                "purpose": KEEP,  # ShootInfo.purpose
                "provider": {"type": KEEP},  # ShootInfo.provider_type (metal-stack firewall)
                "hibernation": KEEP,  # ShootInfo.hibernated
            },
            "status": {
                "uid": KEEP,  # ShootInfo.uid for older Clusters
                "hibernated": KEEP,  # ShootInfo.hibernated
                "technicalID": KEEP,  # cluster_change_matters
                "lastOperation": {"type": KEEP, "state": KEEP},  # shoot_failed
            },
        },
    },
}


def select(obj: Any, selection: Selection) -> Any:
    """The parts of `obj` that `selection` names, in the same shape; absent fields stay absent."""
    if not isinstance(obj, dict):
        return obj
    kept: Obj = {}
    for key, inner in selection.items():
        if key not in obj:
            continue
        value = obj[key]
        kept[key] = value if inner is KEEP else select(value, inner)
    return kept


def cluster_fields(cluster: Obj) -> Obj:
    """A Cluster with only the fields the controller reads."""
    kept: Obj = select(cluster, CLUSTER_FIELDS)
    return kept


def extension_fields(extension: Obj) -> Obj:
    """An Extension without `metadata.managedFields` (often larger than the object itself)."""
    metadata = extension.get("metadata")
    if isinstance(metadata, dict) and "managedFields" in metadata:
        extension = {**extension, "metadata": {k: v for k, v in metadata.items() if k != "managedFields"}}
    return extension

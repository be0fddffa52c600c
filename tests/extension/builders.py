"""Extension and Cluster dicts for the contract's unit tests."""

from __future__ import annotations

from typing import Any


def extension(
    *,
    annotations: dict[str, str] | None = None,
    finalizers: list[str] | None = None,
    deleting: bool = False,
    generation: int = 1,
    status: dict[str, Any] | None = None,
    ext_type: str = "ontap",
    ext_class: str | None = None,
) -> dict[str, Any]:
    """An Extension as the API server would send it."""
    metadata: dict[str, Any] = {
        "name": "ontap",
        "namespace": "shoot--p1--s1",
        "uid": "uid-1",
        "generation": generation,
        "resourceVersion": "10",
    }
    if annotations:
        metadata["annotations"] = annotations
    if finalizers:
        metadata["finalizers"] = finalizers
    if deleting:
        metadata["deletionTimestamp"] = "2024-05-01T10:00:00Z"
    spec: dict[str, Any] = {"type": ext_type}
    if ext_class is not None:
        spec["class"] = ext_class
    ext: dict[str, Any] = {
        "apiVersion": "extensions.gardener.cloud/v1alpha1",
        "kind": "Extension",
        "metadata": metadata,
        "spec": spec,
    }
    if status is not None:
        ext["status"] = status
    return ext


def last_op(op_type: str, state: str, at: str = "2024-05-01T09:00:00Z") -> dict[str, Any]:
    """A status with only a lastOperation."""
    return {
        "lastOperation": {
            "type": op_type,
            "state": state,
            "progress": 100,
            "description": "x",
            "lastUpdateTime": at,
        },
        "observedGeneration": 1,
    }


def cluster(*, shoot_state: str | None = None, annotations: dict[str, str] | None = None) -> dict[str, Any]:
    """A Cluster whose Shoot has the given lastOperation state and annotations."""
    shoot: dict[str, Any] = {
        "metadata": {"name": "s1", "namespace": "garden-p1", "annotations": annotations or {}}
    }
    if shoot_state is not None:
        shoot["status"] = {"lastOperation": {"type": "Reconcile", "state": shoot_state}}
    return {"metadata": {"name": "shoot--p1--s1"}, "spec": {"shoot": shoot}}

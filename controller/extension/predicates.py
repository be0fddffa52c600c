"""When a watch event on an Extension deserves a reconcile: Gardener's default event filter.

Periodic re-checks do not go through these predicates; they come from the resync and the requeue.
"""

from __future__ import annotations

from typing import Any

from controller.extension.operation import (
    SUCCEEDED,
    TRIGGERING_VALUES,
    is_deleting,
    last_operation,
    operation_annotation,
)

EXTENSION_TYPE = "ontap"
SHOOT_CLASS = "shoot"


def has_type(ext: dict[str, Any], extension_type: str = EXTENSION_TYPE) -> bool:
    """Whether `spec.type` is ours."""
    return (ext.get("spec") or {}).get("type") == extension_type


def has_shoot_class(ext: dict[str, Any]) -> bool:
    """Whether `spec.class` is `shoot` or unset (which means shoot)."""
    value = (ext.get("spec") or {}).get("class")
    return value in (None, "", SHOOT_CLASS)


def has_operation_annotation(ext: dict[str, Any]) -> bool:
    """Whether `gardener.cloud/operation` asks for reconcile, restore or migrate."""
    return operation_annotation(ext) in TRIGGERING_VALUES


def _created_needs_pass(ext: dict[str, Any]) -> bool:
    last = last_operation(ext)
    return has_operation_annotation(ext) or is_deleting(ext) or last is None or last.get("state") != SUCCEEDED


def _updated_needs_pass(old: dict[str, Any], new: dict[str, Any]) -> bool:
    if has_operation_annotation(new):
        return True
    # A deletion is noticed once; our own status writes during it must not re-trigger it.
    return is_deleting(new) and old.get("status") == new.get("status")


def should_enqueue(
    old: dict[str, Any] | None, new: dict[str, Any], extension_type: str = EXTENSION_TYPE
) -> bool:
    """Gardener's event filter for Extension create (old None) and update events."""
    if not has_type(new, extension_type) or not has_shoot_class(new):
        return False
    if old is None:
        return _created_needs_pass(new)
    return _updated_needs_pass(old, new)

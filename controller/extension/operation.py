"""Which Gardener operation a pass performs, and what to do with the operation annotation.

Pure functions over the Extension as the plain dict the API server sent. They follow Gardener's
`ComputeOperationType` and its operation-annotation wrapper, so gardenlet sees the behaviour it expects.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

OPERATION_ANNOTATION = "gardener.cloud/operation"
TIMESTAMP_ANNOTATION = "gardener.cloud/timestamp"
FINALIZER = "extensions.gardener.cloud/ontap"

OP_RECONCILE = "reconcile"
OP_RESTORE = "restore"
OP_MIGRATE = "migrate"
OP_WAIT_FOR_STATE = "wait-for-state"
# Annotation values that ask for a pass (Gardener's default predicate).
TRIGGERING_VALUES = frozenset({OP_RECONCILE, OP_RESTORE, OP_MIGRATE})

SUCCEEDED = "Succeeded"


class OperationType(StrEnum):
    """`status.lastOperation.type` of an Extension."""

    CREATE = "Create"
    RECONCILE = "Reconcile"
    DELETE = "Delete"
    MIGRATE = "Migrate"
    RESTORE = "Restore"


class AnnotationAction(StrEnum):
    """What the operation annotation asks of this pass."""

    NONE = "none"
    REMOVE_BEFORE = "remove-before"  # `reconcile`: removed before the work starts
    REMOVE_AFTER = "remove-after"  # `restore` / `migrate`: removed only after success
    WAIT = "wait"  # `wait-for-state`: do nothing until gardenlet changes it


def metadata(ext: dict[str, Any]) -> dict[str, Any]:
    """`metadata` of an object (empty when absent)."""
    return dict(ext.get("metadata") or {})


def annotations_of(ext: dict[str, Any]) -> dict[str, str]:
    """`metadata.annotations` of an object (empty when absent)."""
    return dict(metadata(ext).get("annotations") or {})


def operation_annotation(ext: dict[str, Any]) -> str:
    """The value of `gardener.cloud/operation`, or "" when unset."""
    return str(annotations_of(ext).get(OPERATION_ANNOTATION) or "")


def last_operation(ext: dict[str, Any]) -> dict[str, Any] | None:
    """`status.lastOperation`, or None when the Extension was never processed."""
    found = (ext.get("status") or {}).get("lastOperation")
    return dict(found) if isinstance(found, dict) else None


def is_deleting(ext: dict[str, Any]) -> bool:
    """Whether the Extension has a deletionTimestamp."""
    return bool(metadata(ext).get("deletionTimestamp"))


def operation_type(ext: dict[str, Any]) -> OperationType:
    """Gardener's `ComputeOperationType`: migrate > delete > restore > create (or its retry) > reconcile."""
    value = operation_annotation(ext)
    last = last_operation(ext)
    if value == OP_MIGRATE:
        return OperationType.MIGRATE
    if is_deleting(ext):
        return OperationType.DELETE
    if value == OP_RESTORE:
        return OperationType.RESTORE
    if last is None:
        return OperationType.CREATE
    unfinished = last.get("state") != SUCCEEDED
    last_type = last.get("type")
    if unfinished and last_type in (OperationType.CREATE, OperationType.MIGRATE, OperationType.RESTORE):
        return OperationType(str(last_type))
    return OperationType.RECONCILE


def is_migrated(ext: dict[str, Any]) -> bool:
    """Whether the Extension was migrated away from this seed (last operation Migrate, Succeeded)."""
    last = last_operation(ext) or {}
    return last.get("type") == OperationType.MIGRATE and last.get("state") == SUCCEEDED


def skip_because_migrated(ext: dict[str, Any], operation: OperationType) -> bool:
    """A migrated Extension is only touched again by another Migrate or a Restore."""
    return is_migrated(ext) and operation not in (OperationType.MIGRATE, OperationType.RESTORE)


def annotation_action(ext: dict[str, Any]) -> AnnotationAction:
    """Gardener's operation-annotation wrapper as a decision."""
    value = operation_annotation(ext)
    if value == OP_WAIT_FOR_STATE:
        return AnnotationAction.WAIT
    if value == OP_RECONCILE:
        return AnnotationAction.REMOVE_BEFORE
    if value in (OP_RESTORE, OP_MIGRATE):
        return AnnotationAction.REMOVE_AFTER
    return AnnotationAction.NONE


def needs_finalizer(operation: OperationType) -> bool:
    """Create, Reconcile and Restore put the finalizer on; Delete and Migrate take it off."""
    return operation in (OperationType.CREATE, OperationType.RECONCILE, OperationType.RESTORE)


def has_finalizer(ext: dict[str, Any], finalizer: str = FINALIZER) -> bool:
    """Whether the Extension carries `finalizer`."""
    return finalizer in (metadata(ext).get("finalizers") or [])


def finalizers_with(ext: dict[str, Any], finalizer: str = FINALIZER) -> list[str]:
    """The finalizer list with `finalizer` added (order kept)."""
    current = list(metadata(ext).get("finalizers") or [])
    return current if finalizer in current else [*current, finalizer]


def finalizers_without(ext: dict[str, Any], finalizer: str = FINALIZER) -> list[str]:
    """The finalizer list with `finalizer` removed."""
    return [f for f in (metadata(ext).get("finalizers") or []) if f != finalizer]


def parse_time(value: Any) -> datetime | None:
    """An RFC3339 (nano) timestamp as an aware UTC datetime, or None when absent or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
    # Python takes at most microseconds; Gardener writes nanoseconds.
    if "." in text:
        head, _, rest = text.partition(".")
        digits = "".join(c for c in rest if c.isdigit())
        zone = rest[len(digits) :]
        text = f"{head}.{digits[:6]}{zone}"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def requested_timestamp(ext: dict[str, Any]) -> datetime | None:
    """The `gardener.cloud/timestamp` annotation truncated to seconds (as gardenlet compares it)."""
    parsed = parse_time(annotations_of(ext).get(TIMESTAMP_ANNOTATION))
    return parsed.replace(microsecond=0) if parsed is not None else None


def timestamp_outdates_status(ext: dict[str, Any]) -> bool:
    """Whether gardenlet asked (by timestamp) for a pass newer than `lastOperation.lastUpdateTime`."""
    requested = requested_timestamp(ext)
    if requested is None:
        return False
    last_update = parse_time((last_operation(ext) or {}).get("lastUpdateTime"))
    return last_update is None or requested > last_update


def gardener_requested(ext: dict[str, Any]) -> bool:
    """Whether gardenlet asked for this pass (it then expects to see Processing), not a periodic re-check.

    Asked means: an operation annotation, a spec change not yet observed, never processed, a deletion
    not yet being processed, or a `gardener.cloud/timestamp` newer than the last status write.
    """
    if operation_annotation(ext) in TRIGGERING_VALUES:
        return True
    last = last_operation(ext)
    if last is None:
        return True
    if is_deleting(ext) and last.get("type") != OperationType.DELETE:
        return True
    meta = metadata(ext)
    observed = (ext.get("status") or {}).get("observedGeneration")
    if meta.get("generation") is not None and observed != meta.get("generation"):
        return True
    return timestamp_outdates_status(ext)

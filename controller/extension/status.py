"""The Extension status a pass should leave behind, and the smallest merge patch that gets it there.

Pure functions: current status + what the pass did + the time -> desired status -> patch or None.
A pass that changes nothing but timestamps writes nothing, so a seed with many shoots in steady state
costs the API server no writes; gardenlet's freshness rule (`gardener.cloud/timestamp`) still forces
one when it asks for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from controller.extension.errors import FailureReport
from controller.extension.operation import OperationType, parse_time
from controller.steps.base import ConditionStatus, StepOutcome

PROCESSING = "Processing"
SUCCEEDED = "Succeeded"
ERROR = "Error"

# Fields that only say when something was written; they alone never justify a write.
_TIMESTAMP_FIELDS = frozenset({"lastUpdateTime", "lastTransitionTime"})

_PRESENT = {
    OperationType.CREATE: "Creating",
    OperationType.RECONCILE: "Reconciling",
    OperationType.DELETE: "Deleting",
    OperationType.MIGRATE: "Migrating",
    OperationType.RESTORE: "Restoring",
}


@dataclass(frozen=True)
class PassResult:
    """What one operation did, as the status writer needs it."""

    operation: OperationType
    outcomes: Sequence[StepOutcome] = ()
    failure: FailureReport | None = None
    provider_status: dict[str, Any] | None = None
    state: dict[str, Any] | None = None
    resources: Sequence[dict[str, Any]] | None = None
    health: StepOutcome | None = None  # a health condition: written like a step's, never fails the pass


def merge_resources(
    current: Sequence[dict[str, Any]], ours: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """`status.resources` with our named references put in place; entries of other names are kept."""
    names = {str(entry.get("name")) for entry in ours}
    kept = [entry for entry in current if isinstance(entry, dict) and str(entry.get("name")) not in names]
    return [*kept, *ours]


def _redact(text: str) -> str:
    from controller.runtime.logging import redact_text

    return redact_text(text)


def format_time(moment: datetime) -> str:
    """RFC3339 in UTC with second precision, as Kubernetes writes `metav1.Time`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_time(now: datetime, requested_at: datetime | None = None) -> str:
    """The timestamp to write: now, but never older than what gardenlet asked for (clock skew)."""
    moment = now.astimezone(UTC).replace(microsecond=0)
    if requested_at is not None and requested_at > moment:
        moment = requested_at
    return format_time(moment)


def last_operation(
    operation: OperationType, state: str, progress: int, description: str, at: str
) -> dict[str, Any]:
    """A `lastOperation` object."""
    return {
        "type": str(operation),
        "state": state,
        "progress": progress,
        "description": _redact(description),
        "lastUpdateTime": at,
    }


def condition_from_outcome(outcome: StepOutcome, previous: dict[str, Any] | None, at: str) -> dict[str, Any]:
    """One step's condition; `lastTransitionTime` moves only on a status change, `lastUpdateTime` on any."""
    condition: dict[str, Any] = {
        "type": outcome.condition_type,
        "status": str(outcome.status),
        "reason": outcome.reason,
        "message": _redact(outcome.message),
    }
    if outcome.codes:
        condition["codes"] = [str(code) for code in outcome.codes]
    if previous is None:
        return {**condition, "lastTransitionTime": at, "lastUpdateTime": at}
    same_status = previous.get("status") == condition["status"]
    unchanged = same_status and same_but_timestamps(previous, condition)
    transition = previous.get("lastTransitionTime") if same_status else at
    update = previous.get("lastUpdateTime") if unchanged else at
    return {**condition, "lastTransitionTime": transition or at, "lastUpdateTime": update or at}


def merge_conditions(
    current: Sequence[dict[str, Any]], outcomes: Sequence[StepOutcome], at: str
) -> list[dict[str, Any]]:
    """Current conditions with one per outcome replaced or added; others (e.g. health checks) kept."""
    by_type = {str(c.get("type")): c for c in current if isinstance(c, dict)}
    produced = {
        o.condition_type: condition_from_outcome(o, by_type.get(o.condition_type), at) for o in outcomes
    }
    merged = [produced.pop(str(c.get("type")), c) for c in current if isinstance(c, dict)]
    merged.extend(produced[o.condition_type] for o in outcomes if o.condition_type in produced)
    return merged


def processing_status(
    current: dict[str, Any], operation: OperationType, now: datetime, requested_at: datetime | None = None
) -> dict[str, Any]:
    """Gardener's Processing write: lastOperation only, progress 1, everything else left as it is."""
    desired = dict(current)  # fields are replaced, never changed in place: a shallow copy is enough
    desired["lastOperation"] = last_operation(
        operation,
        PROCESSING,
        1,
        f"{_PRESENT[operation]} the Extension",
        write_time(now, requested_at),
    )
    return desired


def _progress(outcomes: Sequence[StepOutcome]) -> int:
    if not outcomes:
        return 50
    ready = sum(1 for o in outcomes if o.status is ConditionStatus.TRUE)
    return max(1, min(99, (100 * ready) // len(outcomes)))


def success_description(operation: OperationType, outcomes: Sequence[StepOutcome]) -> str:
    """A stable sentence: the same result gives the same text, so a repeat pass writes nothing."""
    ready = sum(1 for o in outcomes if o.status is ConditionStatus.TRUE)
    return f"{operation} succeeded ({ready} of {len(outcomes)} steps done)"


def completed_status(
    current: dict[str, Any],
    result: PassResult,
    *,
    generation: int | None,
    now: datetime,
    requested: bool,
    requested_at: datetime | None = None,
) -> dict[str, Any]:
    """The status after a finished pass: Succeeded (lastError cleared) or Error (lastError set).

    A periodic re-check (`requested` False) that finds everything as the last successful pass left it
    keeps that pass's lastOperation, so it writes nothing at all.
    """
    at = write_time(now, requested_at)
    desired = dict(current)  # fields are replaced, never changed in place: a shallow copy is enough
    conditions = [*result.outcomes, *([result.health] if result.health is not None else [])]
    desired["conditions"] = merge_conditions(current.get("conditions") or [], conditions, at)
    if generation is not None:
        desired["observedGeneration"] = generation
    if result.provider_status is not None:
        desired["providerStatus"] = result.provider_status
    if result.state is not None:
        desired["state"] = result.state
    if result.resources is not None:
        desired["resources"] = merge_resources(current.get("resources") or [], result.resources)
    failure = result.failure
    if failure is None:
        desired["lastOperation"] = last_operation(
            result.operation, SUCCEEDED, 100, success_description(result.operation, result.outcomes), at
        )
        desired["lastError"] = None
        previous = current.get("lastOperation") or {}
        if (
            not requested
            and previous.get("state") == SUCCEEDED
            and same_but_timestamps({**desired, "lastOperation": previous}, current)
        ):
            # Nothing but write times would change: the current status is the desired one.
            return current
        return desired
    description = f"Error {_PRESENT[result.operation].lower()} the Extension: {failure.description}"
    desired["lastOperation"] = last_operation(
        result.operation, ERROR, _progress(result.outcomes), description, at
    )
    last_error: dict[str, Any] = {"description": _redact(description), "lastUpdateTime": at}
    if failure.codes:
        last_error["codes"] = [str(code) for code in failure.codes]
    desired["lastError"] = last_error
    return desired


def same_but_timestamps(left: Any, right: Any) -> bool:
    """Whether two statuses (or parts) are equal once the write-time fields and null values are left out:
    "did anything real change". Walks both without copying (a steady pass asks this of the whole status);
    the first difference ends the walk."""
    if isinstance(left, dict) and isinstance(right, dict):
        kept = 0
        for key, value in left.items():
            if key in _TIMESTAMP_FIELDS or value is None:
                continue
            kept += 1
            other = right.get(key)
            if other is None or key not in right or not same_but_timestamps(value, other):
                return False
        return kept == sum(1 for k, v in right.items() if k not in _TIMESTAMP_FIELDS and v is not None)
    if isinstance(left, list) and isinstance(right, list):
        if len(left) != len(right):
            return False
        return all(same_but_timestamps(a, b) for a, b in zip(left, right, strict=True))
    if isinstance(left, dict | list) or isinstance(right, dict | list):
        return False
    return bool(left == right)


def merge_patch(current: Any, desired: Any) -> Any:
    """The JSON merge patch (RFC 7386) that turns `current` into `desired`."""
    if not isinstance(current, dict) or not isinstance(desired, dict):
        return desired
    patch: dict[str, Any] = {}
    for key in current.keys() - desired.keys():
        patch[key] = None
    for key, value in desired.items():
        if key not in current:
            if value is not None:
                patch[key] = value
        elif current[key] != value:
            if isinstance(current[key], dict) and isinstance(value, dict):
                patch[key] = merge_patch(current[key], value)
            else:
                patch[key] = value
    return patch


def outdated_for_gardenlet(status: dict[str, Any], requested_at: datetime | None) -> bool:
    """gardenlet's rule: `lastOperation.lastUpdateTime` must not be older than `gardener.cloud/timestamp`."""
    if requested_at is None:
        return False
    written = parse_time((status.get("lastOperation") or {}).get("lastUpdateTime"))
    return written is None or requested_at > written


def status_patch(
    current: dict[str, Any], desired: dict[str, Any], requested_at: datetime | None = None
) -> dict[str, Any] | None:
    """The merge patch for `/status`, or None when nothing but timestamps would change.

    When gardenlet's timestamp annotation is newer than the written lastOperation, the write is
    forced (lastOperation with its new time), or gardenlet would wait for a pass that already happened.
    """
    if desired is current or same_but_timestamps(current, desired):
        if outdated_for_gardenlet(current, requested_at) and not outdated_for_gardenlet(
            desired, requested_at
        ):
            return {"lastOperation": desired["lastOperation"]}
        return None
    patch = merge_patch(current, desired)
    return patch or None

"""Desired status after a pass and the minimal merge patch (None when only timestamps would change)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from controller.errorcodes import ErrorCode
from controller.extension.errors import FailureReport
from controller.extension.operation import OperationType
from controller.extension.status import (
    PassResult,
    completed_status,
    merge_conditions,
    merge_patch,
    processing_status,
    same_but_timestamps,
    status_patch,
    write_time,
)
from controller.runtime.logging import forget_secrets, register_secret
from controller.steps.base import ConditionStatus, StepOutcome

T0 = datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC)
T1 = T0 + timedelta(minutes=5)
T2 = T0 + timedelta(minutes=10)


def ready(step: str, condition: str, message: str = "ok") -> StepOutcome:
    return StepOutcome(step, condition, ConditionStatus.TRUE, f"{condition}Reason", message)


OUTCOMES = [ready("svm", "SvmReady", "SVM p1 is running"), ready("lifs", "LifsReady", "2 LIFs")]
FAILURE = FailureReport(
    description="SVM p1: POST /api/svm/svms refused (HTTP 403)",
    codes=(ErrorCode.INFRA_UNAUTHORIZED,),
    step="svm",
    condition_type="SvmReady",
)
FAILED_OUTCOMES = [
    StepOutcome("svm", "SvmReady", ConditionStatus.FALSE, "OntapForbidden", "refused", codes=FAILURE.codes),
    StepOutcome("lifs", "LifsReady", ConditionStatus.UNKNOWN, "Waiting", "waiting for SvmReady"),
]


def succeeded(current: dict[str, Any], now: datetime, requested: bool = False, **kw: Any) -> dict[str, Any]:
    result = PassResult(OperationType.RECONCILE, OUTCOMES, **kw)
    return completed_status(current, result, generation=1, now=now, requested=requested)


def test_first_success_sets_everything() -> None:
    desired = completed_status(
        {}, PassResult(OperationType.CREATE, OUTCOMES), generation=3, now=T0, requested=True
    )
    assert desired["lastOperation"] == {
        "type": "Create",
        "state": "Succeeded",
        "progress": 100,
        "description": "Create succeeded (2 of 2 steps done)",
        "lastUpdateTime": "2024-05-01T10:00:00Z",
    }
    assert desired["lastError"] is None
    assert desired["observedGeneration"] == 3
    assert [c["type"] for c in desired["conditions"]] == ["SvmReady", "LifsReady"]
    assert desired["conditions"][0] == {
        "type": "SvmReady",
        "status": "True",
        "reason": "SvmReadyReason",
        "message": "SVM p1 is running",
        "lastTransitionTime": "2024-05-01T10:00:00Z",
        "lastUpdateTime": "2024-05-01T10:00:00Z",
    }
    patch = status_patch({}, desired)
    assert patch is not None
    assert "lastError" not in patch  # nothing to clear


def test_steady_state_periodic_pass_writes_nothing() -> None:
    first = succeeded({}, T0, requested=True)
    again = succeeded(first, T1)
    assert again == first
    assert status_patch(first, again) is None


def test_steady_state_keeps_an_earlier_create_as_last_operation() -> None:
    created = completed_status(
        {}, PassResult(OperationType.CREATE, OUTCOMES), generation=1, now=T0, requested=True
    )
    recheck = succeeded(created, T1)
    assert status_patch(created, recheck) is None


def test_requested_pass_rewrites_last_operation() -> None:
    first = succeeded({}, T0, requested=True)
    processing = processing_status(first, OperationType.RECONCILE, T1)
    assert processing["lastOperation"]["state"] == "Processing"
    assert processing["lastOperation"]["progress"] == 1
    assert processing["conditions"] == first["conditions"]
    assert status_patch(first, processing) == {
        "lastOperation": {
            "state": "Processing",
            "progress": 1,
            "description": "Reconciling the Extension",
            "lastUpdateTime": "2024-05-01T10:05:00Z",
        }
    }
    done = succeeded(processing, T1, requested=True)
    assert status_patch(processing, done) is not None
    assert done["lastOperation"]["state"] == "Succeeded"


def test_condition_times_move_only_when_needed() -> None:
    first = merge_conditions([], OUTCOMES, "T0")
    same = merge_conditions(first, OUTCOMES, "T1")
    assert same == first
    changed_message = [ready("svm", "SvmReady", "SVM p1 is running; left alone: x"), OUTCOMES[1]]
    after_message = merge_conditions(first, changed_message, "T1")
    assert after_message[0]["lastTransitionTime"] == "T0"
    assert after_message[0]["lastUpdateTime"] == "T1"
    assert after_message[1] == first[1]
    flipped = merge_conditions(after_message, FAILED_OUTCOMES, "T2")
    assert flipped[0]["lastTransitionTime"] == "T2"
    assert flipped[0]["lastUpdateTime"] == "T2"
    assert flipped[0]["codes"] == ["ERR_INFRA_UNAUTHORIZED"]


def test_foreign_conditions_are_kept_in_place() -> None:
    health = {"type": "ControlPlaneHealthy", "status": "True", "reason": "x", "message": "m"}
    merged = merge_conditions([health], OUTCOMES, "T0")
    assert merged[0] == health
    assert [c["type"] for c in merged[1:]] == ["SvmReady", "LifsReady"]


def test_error_sets_last_error_with_codes_and_repeated_error_writes_nothing() -> None:
    first = succeeded({}, T0, requested=True)
    result = PassResult(OperationType.RECONCILE, FAILED_OUTCOMES, failure=FAILURE)
    errored = completed_status(first, result, generation=1, now=T1, requested=False)
    assert errored["lastOperation"]["state"] == "Error"
    assert errored["lastOperation"]["progress"] == 1  # 0 of 2 steps ready, never 0
    assert errored["lastError"] == {
        "description": "Error reconciling the Extension: SVM p1: POST /api/svm/svms refused (HTTP 403)",
        "codes": ["ERR_INFRA_UNAUTHORIZED"],
        "lastUpdateTime": "2024-05-01T10:05:00Z",
    }
    assert status_patch(first, errored) is not None
    again = completed_status(errored, result, generation=1, now=T2, requested=False)
    assert status_patch(errored, again) is None
    recovered = succeeded(errored, T2)
    patch = status_patch(errored, recovered)
    assert patch is not None
    assert patch["lastError"] is None
    assert patch["lastOperation"]["state"] == "Succeeded"


def test_generation_change_is_recorded() -> None:
    first = succeeded({}, T0, requested=True)
    desired = completed_status(
        first, PassResult(OperationType.RECONCILE, OUTCOMES), generation=2, now=T1, requested=True
    )
    patch = status_patch(first, desired)
    assert patch is not None
    assert patch["observedGeneration"] == 2


def test_provider_status_and_state_are_written_and_other_fields_kept() -> None:
    current = {"resources": [{"name": "r", "resourceRef": {"kind": "Secret", "name": "s"}}]}
    desired = completed_status(
        current,
        PassResult(OperationType.RECONCILE, OUTCOMES, provider_status={"svmName": "p1"}, state={"a": 1}),
        generation=1,
        now=T0,
        requested=True,
    )
    assert desired["providerStatus"] == {"svmName": "p1"}
    assert desired["state"] == {"a": 1}
    assert desired["resources"] == current["resources"]


SEED_SECRET_REF = {"name": "creds", "resourceRef": {"apiVersion": "v1", "kind": "Secret", "name": "c"}}


def test_our_resource_reference_is_added_once_and_others_are_kept() -> None:
    other = {"name": "r", "resourceRef": {"kind": "Secret", "name": "s"}}
    stale = {"name": "creds", "resourceRef": {"apiVersion": "v1", "kind": "Secret", "name": "old"}}
    first = succeeded({"resources": [other, stale]}, T0, requested=True, resources=[SEED_SECRET_REF])
    assert first["resources"] == [other, SEED_SECRET_REF]
    again = succeeded(first, T1, resources=[SEED_SECRET_REF])
    assert status_patch(first, again) is None, "an unchanged reference writes nothing"


def test_timestamp_annotation_forces_a_write_even_when_nothing_changed() -> None:
    first = succeeded({}, T0, requested=True)
    asked = T1.replace(microsecond=0)
    desired = completed_status(
        first,
        PassResult(OperationType.RECONCILE, OUTCOMES),
        generation=1,
        now=T1,
        requested=True,
        requested_at=asked,
    )
    patch = status_patch(first, desired, requested_at=asked)
    assert patch is not None
    assert patch["lastOperation"]["lastUpdateTime"] == "2024-05-01T10:05:00Z"
    # Once written, the same timestamp no longer forces anything.
    written = {**first, "lastOperation": desired["lastOperation"]}
    assert status_patch(written, desired, requested_at=asked) is None


def test_status_patch_forces_write_for_outdated_timestamp_without_other_change() -> None:
    first = succeeded({}, T0, requested=True)
    newer = copy.deepcopy(first)
    newer["lastOperation"]["lastUpdateTime"] = "2024-05-01T10:05:00Z"
    assert status_patch(first, newer) is None
    assert status_patch(first, newer, requested_at=T1) == {"lastOperation": newer["lastOperation"]}


def test_write_time_never_precedes_the_requested_timestamp() -> None:
    ahead = T1 + timedelta(seconds=3)  # gardenlet's clock runs ahead of ours
    assert write_time(T1, ahead) == "2024-05-01T10:05:03Z"
    assert write_time(T1.replace(microsecond=700_000), None) == "2024-05-01T10:05:00Z"


def test_secrets_never_reach_the_status() -> None:
    secret = "s3cretPassw0rd-xyz"
    register_secret(secret)
    try:
        failure = FailureReport(description=f"login with {secret} failed", codes=())
        outcome = StepOutcome("account", "AccountReady", ConditionStatus.FALSE, "X", f"pw {secret}")
        desired = completed_status(
            {},
            PassResult(OperationType.RECONCILE, [outcome], failure=failure),
            generation=1,
            now=T0,
            requested=True,
        )
        assert secret not in repr(desired)
    finally:
        forget_secrets()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=3), children, max_size=4)
    ),
    max_leaves=20,
)
json_objects = st.dictionaries(st.text(max_size=3), json_values, max_size=5)


def apply_merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 application, to check that the computed patch is right."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = apply_merge_patch(result.get(key), value)
    return result


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    return value


@given(current=json_objects, desired=json_objects)
def test_merge_patch_turns_current_into_desired(current: dict[str, Any], desired: dict[str, Any]) -> None:
    # Merge patches cannot express null values inside objects; those mean "absent" (as stored by the server).
    current = _without_nulls(current)
    assert apply_merge_patch(current, merge_patch(current, desired)) == _without_nulls(desired)


def _stripped(value: Any) -> Any:
    """The plain definition: no write-time fields, no null values, at any depth."""
    if isinstance(value, dict):
        return {
            k: _stripped(v)
            for k, v in value.items()
            if k not in ("lastUpdateTime", "lastTransitionTime") and v is not None
        }
    if isinstance(value, list):
        return [_stripped(v) for v in value]
    return value


timestamped = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.sampled_from(["a", "b", T0.isoformat()]),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(["type", "status", "lastUpdateTime", "lastTransitionTime"]), inner, max_size=4
        )
    ),
    max_leaves=12,
)


@given(left=timestamped, right=timestamped)
def test_same_but_timestamps_is_equality_once_times_and_nulls_are_left_out(left: Any, right: Any) -> None:
    assert same_but_timestamps(left, right) == (_stripped(left) == _stripped(right))
    # Equal once stripped, whatever the times say: the same value with its times moved.
    moved = copy.deepcopy(left)
    if isinstance(moved, dict) and "lastUpdateTime" in moved:
        moved["lastUpdateTime"] = T2.isoformat()
    assert same_but_timestamps(left, moved)

"""The loop guard: identical failures in a row become Blocked."""

from __future__ import annotations

import pytest

from controller.errorcodes import ErrorCode
from controller.extension.errors import FailureReport
from controller.extension.loop_guard import (
    RepeatTracker,
    blocked_message,
    blocked_outcome,
    format_duration,
)
from controller.steps.base import ConditionStatus, StepOutcome

REPORT = FailureReport(
    description="ONTAP cluster 'a': POST /api/svm/svms on svm p1: not authorized (HTTP 403)",
    codes=(ErrorCode.INFRA_UNAUTHORIZED,),
    step="svm",
    condition_type="SvmReady",
    reason="OntapForbidden",
    object_ref="SVM p1 on ONTAP cluster a",
    api="POST /api/svm/svms",
)


def test_counts_identical_failures_in_a_row_per_key() -> None:
    tracker = RepeatTracker(limit=3)
    key = ("ns", "ontap")
    assert [tracker.record(key, "same") for _ in range(3)] == [1, 2, 3]
    assert tracker.is_blocked(3)
    assert not tracker.is_blocked(2)
    assert tracker.record(("other", "ontap"), "same") == 1
    assert tracker.record(key, "different") == 1
    tracker.reset(key)
    assert tracker.count(key) == 0
    assert tracker.record(key, "different") == 1


def test_limit_must_be_positive() -> None:
    with pytest.raises(ValueError):
        RepeatTracker(limit=0)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(300, "5m"), (90, "1m30s"), (3600, "1h"), (3725, "1h2m5s"), (0.5, "0.5s"), (45, "45s")],
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_blocked_condition_names_object_api_count_error_and_cap() -> None:
    message = blocked_message(REPORT, 5, 300)
    assert message == (
        "SVM p1 on ONTAP cluster a: POST /api/svm/svms refused 5 times: "
        "ONTAP cluster 'a': POST /api/svm/svms on svm p1: not authorized (HTTP 403); retrying every 5m"
    )
    outcome = StepOutcome("svm", "SvmReady", ConditionStatus.FALSE, "OntapForbidden", "refused")
    blocked = blocked_outcome(outcome, REPORT, 5, 300)
    assert blocked.reason == "Blocked"
    assert blocked.message == message
    assert blocked.status is ConditionStatus.FALSE


@pytest.mark.parametrize(
    ("kind", "reason", "verb"),
    [
        ("", "OntapForbidden", "refused 5 times:"),
        ("step", "OntapBusy", "refused 5 times:"),
        ("busy", "", "refused 5 times:"),
        ("step", "OntapTransient", "failed 5 times in a row:"),
        ("step", "OntapUnexpectedAnswer", "failed 5 times in a row:"),
        ("step", "SvmNotRunning", "failed 5 times in a row:"),
        ("pass-timeout", "PassTimeout", "failed 5 times in a row:"),
        ("http-503", "KubernetesApiError", "failed 5 times in a row:"),
    ],
)
def test_only_refusals_are_called_refused(kind: str, reason: str, verb: str) -> None:
    report = FailureReport(
        description="it went wrong", codes=(), reason=reason, kind=kind, object_ref="SVM p1", api="GET /x"
    )
    assert blocked_message(report, 5, 300) == f"SVM p1: GET /x {verb} it went wrong; retrying every 5m"

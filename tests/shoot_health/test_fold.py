"""Folding checks into the `SystemComponentsHealthy` condition as Gardener's health check controller does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from controller.errorcodes import ErrorCode
from controller.shoot_health.checks import (
    ALL_SUCCESSFUL,
    SYSTEM_COMPONENTS_HEALTHY,
    CheckResult,
    CheckStatus,
    fold_checks,
    hibernated_outcome,
)
from controller.steps.base import ConditionStatus, StepOutcome

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
THRESHOLD = timedelta(minutes=10)
OK = CheckResult(CheckStatus.HEALTHY, "fine")
SLOW = CheckResult(CheckStatus.PROGRESSING, "ManagedResource a/b is being applied")
BAD = CheckResult(
    CheckStatus.UNHEALTHY,
    "TridentBackendConfig trident/x is not bound: Trident reports Failed: no",
    (ErrorCode.CONFIGURATION_PROBLEM,),
)
ERR = CheckResult(CheckStatus.ERROR, "cannot read the shoot: GET https://h/x: no answer within 10s")


def fold(*checks: CheckResult, previous: dict[str, str] | None = None) -> StepOutcome:
    return fold_checks(checks, previous=previous, now=NOW, progressing_threshold=THRESHOLD)


def at(delta: timedelta) -> str:
    return (NOW - delta).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_all_healthy() -> None:
    outcome = fold(OK, OK)
    assert (outcome.condition_type, outcome.status, outcome.reason, outcome.message) == (
        SYSTEM_COMPONENTS_HEALTHY,
        ConditionStatus.TRUE,
        "HealthCheckSuccessful",
        ALL_SUCCESSFUL,
    )


def test_one_unsuccessful_is_false_with_its_detail_and_codes() -> None:
    outcome = fold(OK, BAD)
    assert outcome.status is ConditionStatus.FALSE
    assert outcome.reason == "HealthCheckUnsuccessful"
    assert outcome.message == BAD.detail + "."
    assert outcome.codes == (ErrorCode.CONFIGURATION_PROBLEM,)


def test_several_unsuccessful_are_numbered() -> None:
    other = CheckResult(CheckStatus.UNHEALTHY, "ManagedResource a/c not found")
    assert fold(BAD, other).message == f"1) {BAD.detail}. 2) ManagedResource a/c not found."


def test_check_error_is_unknown_condition_check_error() -> None:
    outcome = fold(OK, ERR, SLOW)
    assert outcome.status is ConditionStatus.UNKNOWN
    assert outcome.reason == "ConditionCheckError"
    assert outcome.message.startswith(
        "failed to execute 1 health check: Failed check: cannot read the shoot: "
    )
    assert "Progressing check: ManagedResource a/b is being applied." in outcome.message


def test_progressing_new_condition_is_progressing() -> None:
    outcome = fold(OK, SLOW)
    assert (outcome.status, outcome.reason) == (ConditionStatus.PROGRESSING, "HealthCheckProgressing")


def test_progressing_after_true_is_progressing() -> None:
    previous = {"status": "True", "lastTransitionTime": at(timedelta(hours=5))}
    assert fold(SLOW, previous=previous).status is ConditionStatus.PROGRESSING


def test_progressing_within_threshold_stays_progressing_and_turns_false_after() -> None:
    within = {"status": "Progressing", "lastTransitionTime": at(THRESHOLD - timedelta(seconds=1))}
    beyond = {"status": "Progressing", "lastTransitionTime": at(THRESHOLD + timedelta(seconds=1))}
    assert fold(SLOW, previous=within).status is ConditionStatus.PROGRESSING
    outcome = fold(SLOW, previous=beyond)
    assert (outcome.status, outcome.reason) == (ConditionStatus.FALSE, "HealthCheckUnsuccessful")
    assert outcome.message == SLOW.detail + "."


def test_progressing_after_false_stays_false() -> None:
    previous = {"status": "False", "lastTransitionTime": at(timedelta(seconds=5))}
    assert fold(SLOW, previous=previous).status is ConditionStatus.FALSE


def test_hibernated() -> None:
    outcome = hibernated_outcome()
    assert (outcome.status, outcome.message) == (ConditionStatus.TRUE, "Shoot is hibernated")

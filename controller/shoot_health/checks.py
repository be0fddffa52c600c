"""One health check's result and how several fold into one condition, as Gardener's extension health
checks do.

Facts from gardener/gardener: `extensions/pkg/controller/healthcheck/healthcheck_actuator.go` (grouping: a
check that could not run or failed makes the condition `False`, else a progressing one `Progressing`, else
`True`), `extensions/pkg/controller/healthcheck/reconciler.go` (reasons `HealthCheckSuccessful`,
`HealthCheckUnsuccessful`, `HealthCheckProgressing`; a check that could not run gives `Unknown` with
`ConditionCheckError`; a progressing check turns `False` once the condition has been `Progressing` longer
than the threshold) and `message_util.go` (details "1) ... 2) ...", each ending with a dot).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from controller.errorcodes import ErrorCode
from controller.extension.operation import parse_time
from controller.steps.base import ConditionStatus, StepOutcome

# The Extension condition gardenlet's care controller folds into the shoot's `SystemComponentsHealthy`
# (gardener pkg/apis/core/v1beta1/types_shoot.go ShootSystemComponentsHealthy;
# pkg/gardenlet/controller/shoot/care/health.go getAllExtensionConditions).
SYSTEM_COMPONENTS_HEALTHY = "SystemComponentsHealthy"
STEP = "shoot-health"

REASON_SUCCESSFUL = "HealthCheckSuccessful"
REASON_UNSUCCESSFUL = "HealthCheckUnsuccessful"
REASON_PROGRESSING = "HealthCheckProgressing"
REASON_CHECK_ERROR = "ConditionCheckError"

ALL_SUCCESSFUL = "All health checks successful"
HIBERNATED = "Shoot is hibernated"


class CheckStatus(StrEnum):
    HEALTHY = "Healthy"
    PROGRESSING = "Progressing"
    UNHEALTHY = "Unhealthy"
    ERROR = "Error"  # the check could not be executed (e.g. the shoot could not be read)


@dataclass(frozen=True)
class CheckResult:
    """One check: its status and a sentence naming the object and the reason."""

    status: CheckStatus
    detail: str = ""
    codes: tuple[ErrorCode, ...] = ()


def _dot(text: str) -> str:
    text = text.rstrip()
    return text if text.endswith(".") else f"{text}."


def _plural(count: int) -> str:
    return "checks" if count > 1 else "check"


def _details(checks: Sequence[CheckResult], *, header: str | None) -> str:
    if not checks:
        return ""
    prefix = f"{header} {_plural(len(checks))}: " if header else ""
    if len(checks) == 1:
        return prefix + _dot(checks[0].detail)
    return prefix + " ".join(f"{i}) {_dot(c.detail)}" for i, c in enumerate(checks, 1))


def _outcome(
    status: ConditionStatus, reason: str, message: str, codes: Sequence[ErrorCode] = ()
) -> StepOutcome:
    unique = tuple(dict.fromkeys(codes))
    return StepOutcome(
        step=STEP,
        condition_type=SYSTEM_COMPONENTS_HEALTHY,
        status=status,
        reason=reason,
        message=message,
        codes=unique,
    )


def hibernated_outcome() -> StepOutcome:
    """A hibernated shoot has nothing to check (Gardener's health check reports it healthy)."""
    return _outcome(ConditionStatus.TRUE, REASON_SUCCESSFUL, HIBERNATED)


def fold_checks(
    checks: Sequence[CheckResult],
    *,
    previous: dict[str, Any] | None,
    now: datetime,
    progressing_threshold: timedelta,
) -> StepOutcome:
    """The condition for these checks; `previous` is the condition as it stands on the Extension."""
    failed = [c for c in checks if c.status is CheckStatus.ERROR]
    unsuccessful = [c for c in checks if c.status is CheckStatus.UNHEALTHY]
    progressing = [c for c in checks if c.status is CheckStatus.PROGRESSING]
    codes = [code for c in checks for code in c.codes if c.status is not CheckStatus.HEALTHY]
    if failed or unsuccessful:
        several = sum(1 for group in (failed, unsuccessful, progressing) if group) > 1
        details = " ".join(
            part
            for part in (
                _details(failed, header="Failed" if several else None),
                _details(unsuccessful, header="Unsuccessful" if several else None),
                _details(progressing, header="Progressing" if several else None),
            )
            if part
        )
        if failed:
            message = f"failed to execute {len(failed)} health {_plural(len(failed))}: {details}"
            return _outcome(ConditionStatus.UNKNOWN, REASON_CHECK_ERROR, message, codes)
        return _outcome(ConditionStatus.FALSE, REASON_UNSUCCESSFUL, details, codes)
    if progressing:
        details = _details(progressing, header=None)
        if _still_progressing(previous, now, progressing_threshold):
            return _outcome(ConditionStatus.PROGRESSING, REASON_PROGRESSING, details, codes)
        return _outcome(ConditionStatus.FALSE, REASON_UNSUCCESSFUL, details, codes)
    return _outcome(ConditionStatus.TRUE, REASON_SUCCESSFUL, ALL_SUCCESSFUL)


def _still_progressing(previous: dict[str, Any] | None, now: datetime, threshold: timedelta) -> bool:
    """Gardener's rule: Progressing when new, after True, or while Progressing up to the threshold."""
    if previous is None:
        return True
    status = previous.get("status")
    if status == ConditionStatus.FALSE:
        return False
    if status == ConditionStatus.TRUE:
        return True
    since = parse_time(previous.get("lastTransitionTime"))
    return since is None or now - since <= threshold

"""Is a ManagedResource applied and healthy in the shoot? Read from the resource manager's own conditions.

Facts from gardener/gardener: `pkg/utils/kubernetes/health/managedresource.go` (`CheckManagedResource`:
`status.observedGeneration` must equal `metadata.generation`, `ResourcesApplied` and `ResourcesHealthy`
must be `True`; `CheckManagedResourceProgressing`: `ResourcesProgressing` must be `False`),
`pkg/apis/resources/v1alpha1/types.go` (the condition types and reasons: `ApplyProgressing`, `ApplyFailed`,
`DecodingFailed`, `DeletionPending`, `ChecksPending`, ...),
`pkg/resourcemanager/controller/health/health/reconciler.go` (the message names the object:
`Required Secret "x" in namespace "y" is missing`, `Deployment "y/x" is unhealthy: ...`) and
`extensions/pkg/controller/healthcheck/general/managed_resource.go` (a message matching
`error during apply of object .* is invalid:` carries `ERR_CONFIGURATION_PROBLEM`).

What the resource manager has not yet reported on (a stale `observedGeneration`, a condition not yet set,
`Progressing` or `Unknown`, or a ManagedResource this pass has just written) is "not yet known": the check is
progressing, never healthy and never failed.
"""

from __future__ import annotations

import re

from controller.errorcodes import ErrorCode
from controller.kube.managed_resources import (
    RESOURCES_APPLIED,
    RESOURCES_HEALTHY,
    RESOURCES_PROGRESSING,
    ObservedManagedResource,
)
from controller.shoot_health.checks import CheckResult, CheckStatus

_CONFIGURATION_PROBLEM = re.compile(r"(?i)(error during apply of object .* is invalid:)")


def _progressing(detail: str) -> CheckResult:
    return CheckResult(CheckStatus.PROGRESSING, detail)


def check_managed_resource(
    namespace: str, name: str, observed: ObservedManagedResource | None, *, written: bool = False
) -> CheckResult:
    """One of our ManagedResources as the resource manager reports it; `written`: changed by this pass."""
    ref = f"ManagedResource {namespace}/{name}"
    # The same words for "written in this pass" and for what the next pass sees until the resource manager
    # acts: a condition that only repeats itself is not written again (0 writes in the steady state).
    not_reported = f"the resource manager has not reported on {ref} yet"
    stale = f"observed generation of {ref} outdated: the resource manager has not reported on its spec yet"
    if observed is None:
        if written:
            return _progressing(not_reported)
        return CheckResult(CheckStatus.UNHEALTHY, f"{ref} not found")
    if observed.deleting:
        return _progressing(f"{ref} is being deleted; it is created again once gone")
    if observed.observed_generation == 0 and not observed.conditions:
        return _progressing(not_reported)
    if written or observed.observed_generation != observed.generation:
        return _progressing(stale)
    applied = observed.condition(RESOURCES_APPLIED)
    if applied is None:
        return _progressing(f"condition {RESOURCES_APPLIED} of {ref} has not been reported yet")
    if applied.status == "False":
        codes = (ErrorCode.CONFIGURATION_PROBLEM,) if _CONFIGURATION_PROBLEM.search(applied.message) else ()
        return CheckResult(
            CheckStatus.UNHEALTHY,
            f"{ref} is not applied ({RESOURCES_APPLIED} False, {applied.reason}): {applied.message}",
            codes,
        )
    if applied.status != "True":
        return _progressing(
            f"{ref} is being applied ({RESOURCES_APPLIED} {applied.status}, {applied.reason}): "
            f"{applied.message}"
        )
    healthy = observed.condition(RESOURCES_HEALTHY)
    if healthy is None:
        return _progressing(f"condition {RESOURCES_HEALTHY} of {ref} has not been reported yet")
    if healthy.status == "False":
        return CheckResult(
            CheckStatus.UNHEALTHY,
            f"{ref} is unhealthy ({RESOURCES_HEALTHY} False, {healthy.reason}): {healthy.message}",
        )
    if healthy.status != "True":
        return _progressing(
            f"{ref}: health not yet known ({RESOURCES_HEALTHY} {healthy.status}, {healthy.reason}): "
            f"{healthy.message}"
        )
    progressing = observed.condition(RESOURCES_PROGRESSING)
    if progressing is None:
        return _progressing(f"condition {RESOURCES_PROGRESSING} of {ref} has not been reported yet")
    if progressing.status != "False":
        return _progressing(
            f"{ref} is progressing ({RESOURCES_PROGRESSING} {progressing.status}, {progressing.reason}): "
            f"{progressing.message}"
        )
    return CheckResult(CheckStatus.HEALTHY, f"{ref} is applied and healthy")

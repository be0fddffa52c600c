"""The resource manager's conditions of a ManagedResource, read the way Gardener's health checks read them."""

from __future__ import annotations

from typing import Any

import pytest

from controller.errorcodes import ErrorCode
from controller.kube.managed_resources import ObservedManagedResource
from controller.shoot_health.checks import CheckStatus
from controller.shoot_health.managed_resources import check_managed_resource

NS = "shoot--p1--s1"
NAME = "extension-ontap-trident-backend"
APPLIED = {
    "type": "ResourcesApplied",
    "status": "True",
    "reason": "ApplySucceeded",
    "message": "All resources are applied.",
}
HEALTHY = {
    "type": "ResourcesHealthy",
    "status": "True",
    "reason": "ResourcesHealthy",
    "message": "All resources are healthy.",
}
ROLLED_OUT = {
    "type": "ResourcesProgressing",
    "status": "False",
    "reason": "ResourcesRolledOut",
    "message": "All resources are rolled out.",
}


def mr(
    *conditions: dict[str, Any], generation: int = 2, observed: int | None = 2, deleting: bool = False
) -> ObservedManagedResource:
    meta: dict[str, Any] = {"namespace": NS, "name": NAME, "generation": generation}
    if deleting:
        meta["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    status: dict[str, Any] = {"conditions": list(conditions)}
    if observed is not None:
        status["observedGeneration"] = observed
    return ObservedManagedResource.from_object({"metadata": meta, "spec": {}, "status": status})


def cond(base: dict[str, str], **changes: str) -> dict[str, str]:
    return {**base, **changes}


def test_applied_healthy_rolled_out_is_healthy() -> None:
    result = check_managed_resource(NS, NAME, mr(APPLIED, HEALTHY, ROLLED_OUT))
    assert result.status is CheckStatus.HEALTHY


def test_applied_false_names_the_object_from_the_resource_managers_message() -> None:
    message = (
        'error during apply of object "storage.k8s.io/v1/StorageClass//ontap-gold": '
        'StorageClass "ontap-gold" is invalid: provisioner: Required value'
    )
    result = check_managed_resource(
        NS,
        NAME,
        mr(cond(APPLIED, status="False", reason="ApplyFailed", message=message), HEALTHY, ROLLED_OUT),
    )
    assert result.status is CheckStatus.UNHEALTHY
    assert (
        f"ManagedResource {NS}/{NAME} is not applied (ResourcesApplied False, ApplyFailed)" in result.detail
    )
    assert 'StorageClass "ontap-gold" is invalid' in result.detail
    # Gardener's health check marks an invalid object as a configuration problem.
    assert result.codes == (ErrorCode.CONFIGURATION_PROBLEM,)


def test_apply_failure_without_invalid_object_has_no_code() -> None:
    failed = cond(
        APPLIED,
        status="False",
        reason="ApplyFailed",
        message='error during apply of object "v1/Secret/trident/x": namespaces "trident" not found',
    )
    assert check_managed_resource(NS, NAME, mr(failed)).codes == ()


def test_unhealthy_names_the_missing_object() -> None:
    message = 'Required Secret "ontap-svm-credentials" in namespace "trident" is missing'
    result = check_managed_resource(
        NS,
        NAME,
        mr(APPLIED, cond(HEALTHY, status="False", reason="SecretMissing", message=message), ROLLED_OUT),
    )
    assert result.status is CheckStatus.UNHEALTHY
    assert "ResourcesHealthy False, SecretMissing" in result.detail
    assert message in result.detail


@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        (
            mr(APPLIED, HEALTHY, ROLLED_OUT, generation=3, observed=2),
            f"observed generation of ManagedResource {NS}/{NAME} outdated",
        ),
        (mr(APPLIED, HEALTHY, ROLLED_OUT, observed=None), "outdated"),
        (mr(observed=None), f"the resource manager has not reported on ManagedResource {NS}/{NAME} yet"),
        (mr(HEALTHY, ROLLED_OUT), "condition ResourcesApplied of ManagedResource"),
        (
            mr(
                cond(
                    APPLIED,
                    status="Progressing",
                    reason="ApplyProgressing",
                    message="The resources are currently being reconciled.",
                )
            ),
            "is being applied (ResourcesApplied Progressing, ApplyProgressing)",
        ),
        (mr(APPLIED, ROLLED_OUT), "condition ResourcesHealthy of ManagedResource"),
        (
            mr(
                APPLIED,
                cond(
                    HEALTHY,
                    status="Unknown",
                    reason="ChecksPending",
                    message="The health checks have not yet been executed.",
                ),
            ),
            "health not yet known (ResourcesHealthy Unknown, ChecksPending)",
        ),
        (mr(APPLIED, HEALTHY), "condition ResourcesProgressing of ManagedResource"),
        (
            mr(
                APPLIED,
                HEALTHY,
                cond(
                    ROLLED_OUT,
                    status="True",
                    reason="DeploymentProgressing",
                    message='Deployment "trident/trident-operator" is progressing',
                ),
            ),
            'Deployment "trident/trident-operator" is progressing',
        ),
        (mr(APPLIED, HEALTHY, ROLLED_OUT, deleting=True), "is being deleted"),
    ],
)
def test_not_yet_known_is_progressing(resource: ObservedManagedResource, expected: str) -> None:
    result = check_managed_resource(NS, NAME, resource)
    assert result.status is CheckStatus.PROGRESSING
    assert expected in result.detail


def test_stale_generation_hides_an_old_healthy_verdict_and_an_old_failure() -> None:
    failed = cond(APPLIED, status="False", reason="ApplyFailed", message="old failure")
    assert (
        check_managed_resource(NS, NAME, mr(failed, generation=5, observed=4)).status
        is CheckStatus.PROGRESSING
    )
    assert (
        check_managed_resource(NS, NAME, mr(APPLIED, HEALTHY, ROLLED_OUT, generation=5, observed=4)).status
        is CheckStatus.PROGRESSING
    )


def test_written_in_this_pass_is_progressing_even_when_conditions_look_fine() -> None:
    result = check_managed_resource(NS, NAME, mr(APPLIED, HEALTHY, ROLLED_OUT), written=True)
    assert result.status is CheckStatus.PROGRESSING
    # Worded like the stale generation the next pass sees, so the condition is not rewritten.
    assert result == check_managed_resource(NS, NAME, mr(APPLIED, HEALTHY, ROLLED_OUT, generation=3))


def test_missing_managed_resource() -> None:
    assert check_managed_resource(NS, NAME, None).status is CheckStatus.UNHEALTHY
    assert check_managed_resource(NS, NAME, None).detail == f"ManagedResource {NS}/{NAME} not found"
    created = check_managed_resource(NS, NAME, None, written=True)
    assert created.status is CheckStatus.PROGRESSING
    assert created == check_managed_resource(NS, NAME, mr(observed=None))


def test_ignored_managed_resource_is_healthy() -> None:
    # The resource manager reports an ignored ManagedResource as applied, healthy and not progressing.
    ignored = "ManagedResource is marked to be ignored."
    resource = mr(
        cond(APPLIED, reason="ManagedResourceIgnored", message=ignored),
        cond(HEALTHY, reason="ManagedResourceIgnored", message=ignored),
        cond(ROLLED_OUT, reason="ManagedResourceIgnored", message=ignored),
    )
    assert check_managed_resource(NS, NAME, resource).status is CheckStatus.HEALTHY

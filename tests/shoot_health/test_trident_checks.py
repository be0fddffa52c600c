"""Trident's TridentBackendConfig status: bound, failed, not yet processed, lost, missing, unreadable."""

from __future__ import annotations

import pytest

from controller.shoot_health.checks import CheckStatus
from controller.shoot_health.trident import BackendObservation, check_backend

NS, NAME = "kube-system", "ontap-p1"


def backend(phase: str, last: str, message: str = "") -> BackendObservation:
    obj = {"status": {"phase": phase, "lastOperationStatus": last, "message": message}}
    return BackendObservation.from_object(NS, NAME, obj)


def test_bound_success_is_healthy() -> None:
    result = check_backend(backend("Bound", "Success", "Backend 'ontap-p1' created"), applied=True)
    assert result.status is CheckStatus.HEALTHY


def test_unbound_failed_shows_tridents_message() -> None:
    message = (
        "Failed to create backend: problem initializing storage driver 'ontap-san': "
        "error initializing ontap-san driver: 401 Unauthorized"
    )
    result = check_backend(backend("", "Failed", message), applied=True)
    assert result.status is CheckStatus.UNHEALTHY
    assert (
        result.detail == f"TridentBackendConfig {NS}/{NAME} is not bound: Trident reports Failed: {message}"
    )


def test_bound_but_update_failed_is_unhealthy_with_the_message() -> None:
    message = "Failed to apply the backend update; invalid credentials"
    result = check_backend(backend("Bound", "Failed", message), applied=True)
    assert result.status is CheckStatus.UNHEALTHY
    assert message in result.detail


def test_no_status_yet_is_progressing() -> None:
    result = check_backend(BackendObservation.from_object(NS, NAME, {"spec": {}}), applied=True)
    assert result.status is CheckStatus.PROGRESSING
    assert "not bound yet" in result.detail


@pytest.mark.parametrize("phase", ["Lost", "Unknown", "Deleting", "SomethingNew"])
def test_other_phases_are_unhealthy_and_named(phase: str) -> None:
    result = check_backend(backend(phase, "Success", "backend gone"), applied=True)
    assert result.status is CheckStatus.UNHEALTHY
    assert f"is in phase {phase}: backend gone" in result.detail


def test_missing_backend_says_so_once_applied() -> None:
    result = check_backend(BackendObservation(NS, NAME), applied=True)
    assert result.status is CheckStatus.UNHEALTHY
    assert result.detail == f"TridentBackendConfig {NS}/{NAME} does not exist in the shoot"
    assert check_backend(BackendObservation(NS, NAME), applied=False).status is CheckStatus.PROGRESSING


def test_unreadable_shoot_is_a_check_error() -> None:
    error = "Secret shoot--p1--s1/generic-token-kubeconfig not found (the Cluster's generic token kubeconfig)"
    result = check_backend(BackendObservation(NS, NAME, error=error), applied=True)
    assert result.status is CheckStatus.ERROR
    assert result.detail == f"cannot read the shoot: {error}"

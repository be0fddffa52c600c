"""Failures mapped to Gardener error codes, descriptions and requeue delays."""

from __future__ import annotations

from typing import Any

import pytest
from kubernetes_asyncio.client.exceptions import ApiException

from controller.errorcodes import ErrorCode, ontap_error_codes
from controller.extension.errors import (
    FailureReport,
    report_exception,
    report_step_error,
    requeue_delay,
)
from controller.provider_config import ProviderConfigError
from controller.steps.base import StepError
from controller.steps.context import step_error_from_ontap
from ontap import errors as oe

WHERE: dict[str, Any] = {"cluster": "ontap-a", "operation": "POST /api/svm/svms", "target": "svm p1234"}


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (
            oe.OntapForbidden("not authorized", http_status=403, ontap_code="6", **WHERE),
            "ERR_INFRA_UNAUTHORIZED",
        ),
        (
            oe.OntapUnauthenticated("authentication failed", http_status=401, **WHERE),
            "ERR_INFRA_UNAUTHENTICATED",
        ),
        (oe.OntapTransient("no answer before the timeout", **WHERE), "ERR_RETRYABLE_INFRA_DEPENDENCIES"),
        (oe.OntapBusy("job in progress", ontap_code="13434915", **WHERE), "ERR_RETRYABLE_INFRA_DEPENDENCIES"),
        (oe.OntapOwnershipConflict("not ours", **WHERE), "ERR_INFRA_DEPENDENCIES"),
        (oe.OntapNotEmpty("holds 3 volumes", **WHERE), "ERR_INFRA_DEPENDENCIES"),
        (oe.OntapPlacementConflict("on two clusters", **WHERE), "ERR_INFRA_DEPENDENCIES"),
        (
            oe.OntapTlsError("TLS certificate verification failed", **WHERE),
            "ERR_RETRYABLE_CONFIGURATION_PROBLEM",
        ),
        (oe.OntapInvalidInput("bad ip", http_status=400, **WHERE), "ERR_RETRYABLE_CONFIGURATION_PROBLEM"),
        (oe.OntapJobFailed("job failed", **WHERE), "ERR_RETRYABLE_INFRA_DEPENDENCIES"),
        (oe.OntapError("odd", **WHERE), "ERR_RETRYABLE_INFRA_DEPENDENCIES"),
    ],
)
def test_ontap_errors_map_to_gardener_codes(error: oe.OntapError, code: str) -> None:
    assert [str(c) for c in ontap_error_codes(error)] == [code]
    report = report_exception(error)
    assert [str(c) for c in report.codes] == [code]
    # The path production takes: a step turns the ONTAP error into a StepError, the status writer reports it.
    step_error = step_error_from_ontap("svm", "SvmReady", error, object_ref="SVM p1234", doing="ensuring it")
    assert [str(c) for c in report_step_error(step_error).codes] == [code]


def test_ontap_description_names_cluster_api_object_code_and_message() -> None:
    error = oe.OntapForbidden(
        "not authorized",
        http_status=403,
        ontap_code="6",
        ontap_message="permission denied for vserver",
        **WHERE,
    )
    report = report_exception(error)
    for part in (
        "ontap-a",
        "POST /api/svm/svms",
        "svm p1234",
        "HTTP 403",
        "ONTAP error 6",
        "permission denied",
    ):
        assert part in report.description
    assert report.reason == "OntapForbidden"
    assert report.api == "POST /api/svm/svms"
    assert not report.retryable


def test_step_error_keeps_its_codes_and_names_object_and_api() -> None:
    error = StepError(
        "svm",
        "SvmReady",
        reason="OntapForbidden",
        message="refused",
        codes=(ErrorCode.INFRA_UNAUTHORIZED,),
        object_ref="SVM p1 on ONTAP cluster a",
        api="POST /api/svm/svms",
    )
    report = report_exception(error)
    assert report.codes == (ErrorCode.INFRA_UNAUTHORIZED,)
    assert report.description == "SVM p1 on ONTAP cluster a: refused (POST /api/svm/svms)"
    assert (report.step, report.condition_type, report.reason) == ("svm", "SvmReady", "OntapForbidden")


def test_step_error_without_codes_is_retryable() -> None:
    report = report_exception(StepError("lifs", "LifsReady", reason="X", message="m"))
    assert report.codes == (ErrorCode.RETRYABLE_INFRA_DEPENDENCIES,)
    assert report.retryable


def test_invalid_provider_config_is_a_configuration_problem() -> None:
    report = report_exception(ProviderConfigError("providerConfig.svmIpaddresses.dataLifs: too short"))
    assert report.codes == (ErrorCode.CONFIGURATION_PROBLEM,)
    assert "dataLifs" in report.description
    assert not report.retryable


def test_kubernetes_error_is_retryable_and_has_no_body() -> None:
    exc = ApiException(status=500, reason="Internal Server Error")
    exc.body = b'{"password": "hunter2hunter2"}'
    report = report_exception(exc)
    assert report.codes == (ErrorCode.RETRYABLE_INFRA_DEPENDENCIES,)
    assert "HTTP 500" in report.description
    assert "hunter2" not in report.description


def test_unexpected_error_is_retryable() -> None:
    report = report_exception(RuntimeError("boom"))
    assert report.retryable
    assert report.description == "RuntimeError: boom"


def test_description_is_bounded() -> None:
    report = report_exception(RuntimeError("x" * 10_000))
    assert len(report.description) <= 2000


def _report(codes: tuple[ErrorCode, ...], retry_after: float | None = None) -> FailureReport:
    return FailureReport(description="d", codes=codes, retry_after=retry_after)


def test_requeue_delay() -> None:
    # Retryable failures are backed off by the work queue; only a named delay or a human-only fix waits here.
    assert requeue_delay(_report((ErrorCode.RETRYABLE_INFRA_DEPENDENCIES,)), cap=300) is None
    assert requeue_delay(_report((ErrorCode.INFRA_UNAUTHORIZED,)), cap=300) == 300
    assert requeue_delay(_report((ErrorCode.CONFIGURATION_PROBLEM,)), cap=300) == 300
    assert requeue_delay(_report((), retry_after=7.5), cap=300) == 7.5
    assert requeue_delay(_report((), retry_after=9999), cap=300) == 300

"""From a failure to what Gardener sees: a description naming object, API and cause, and error codes.

The codes come from `controller.errorcodes.ontap_error_codes`, the one mapping.
"""

from __future__ import annotations

from dataclasses import dataclass

from kubernetes_asyncio.client.exceptions import ApiException

from controller.errorcodes import (
    NON_RETRYABLE,
    ErrorCode,
    api_exception_codes,
    describe_ontap_error,
    ontap_error_codes,
)
from controller.provider_config import ProviderConfigError
from controller.shoot import ShootInfoError
from controller.steps.base import StepError
from ontap.errors import OntapError

MAX_DESCRIPTION = 2000


@dataclass(frozen=True)
class FailureReport:
    """A failure as the Extension status and the logs report it."""

    description: str
    codes: tuple[ErrorCode, ...]
    step: str = ""
    condition_type: str = ""
    reason: str = ""
    object_ref: str = ""
    api: str = ""
    kind: str = ""
    retry_after: float | None = None

    @property
    def retryable(self) -> bool:
        """False when a code tells gardenlet to stop retrying: waiting alone does not help."""
        return not any(code in NON_RETRYABLE for code in self.codes)

    @property
    def signature(self) -> tuple[str, str, str, tuple[str, ...]]:
        """What makes two failures "the same" for the loop guard."""
        return (self.step, self.reason, self.description, tuple(str(c) for c in self.codes))


def describe_api_exception(exc: ApiException) -> str:
    """A Kubernetes API failure without its body (which may echo what was sent)."""
    return f"Kubernetes API answered HTTP {exc.status} {exc.reason or ''}".rstrip()


def _bounded(text: str) -> str:
    return text if len(text) <= MAX_DESCRIPTION else text[: MAX_DESCRIPTION - 3] + "..."


def report_step_error(error: StepError) -> FailureReport:
    """A step's own account of why it cannot proceed."""
    description = error.message
    if error.api and error.api not in description:
        description = f"{description} ({error.api})"
    if error.object_ref and error.object_ref not in description:
        description = f"{error.object_ref}: {description}"
    return FailureReport(
        description=_bounded(description),
        codes=tuple(error.codes) or (ErrorCode.RETRYABLE_INFRA_DEPENDENCIES,),
        step=error.step,
        condition_type=error.condition_type,
        reason=error.reason,
        object_ref=error.object_ref,
        api=error.api,
        kind="step",
        retry_after=error.retry_after,
    )


def report_exception(exc: BaseException, *, step: str = "", condition_type: str = "") -> FailureReport:
    """Any failure as a report: step errors keep their codes, ONTAP and Kubernetes errors are mapped."""
    if isinstance(exc, StepError):
        return report_step_error(exc)
    if isinstance(exc, OntapError):
        return FailureReport(
            description=_bounded(describe_ontap_error(exc)),
            codes=ontap_error_codes(exc),
            step=step,
            condition_type=condition_type,
            reason="Ontap" + "".join(part.title() for part in exc.kind.split("-")),
            object_ref=exc.target,
            api=exc.operation,
            kind=exc.kind,
        )
    if isinstance(exc, ProviderConfigError | ShootInfoError):
        return FailureReport(
            description=_bounded(exc.message),
            codes=(ErrorCode.CONFIGURATION_PROBLEM,),
            step=step,
            condition_type=condition_type,
            reason="InvalidConfiguration",
            kind="configuration",
        )
    if isinstance(exc, ApiException):
        return FailureReport(
            description=_bounded(describe_api_exception(exc)),
            codes=api_exception_codes(exc),
            step=step,
            condition_type=condition_type,
            reason="KubernetesApiError",
            kind=f"http-{exc.status}",
        )
    return FailureReport(
        description=_bounded(f"{type(exc).__name__}: {exc}"),
        codes=(ErrorCode.RETRYABLE_INFRA_DEPENDENCIES,),
        step=step,
        condition_type=condition_type,
        reason="UnexpectedError",
        kind="unexpected",
    )


def requeue_delay(report: FailureReport, *, cap: float) -> float | None:
    """The delay a failure names itself, or None: then the work queue's own backoff applies.

    A step may name its own delay (e.g. an ONTAP job still runs); non-retryable codes wait at the cap,
    since only a human changing something can help.
    """
    if report.retry_after is not None:
        return max(0.0, min(report.retry_after, cap))
    if not report.retryable:
        return cap
    return None

"""Gardener's error codes (core.gardener.cloud/v1beta1 ErrorCode) used in lastError and conditions,
and the one mapping from an ONTAP failure to them.

Gardener acts on the codes: a non-retryable one fails the Shoot at once, others are retried. So a
code is chosen by what can fix the problem: someone changing credentials, rights, objects or
configuration (non-retryable), or time (retryable).
"""

from enum import StrEnum

from kubernetes_asyncio.client.exceptions import ApiException

from ontap.errors import (
    OntapError,
    OntapForbidden,
    OntapInvalidInput,
    OntapNotEmpty,
    OntapOwnershipConflict,
    OntapPlacementConflict,
    OntapTlsError,
    OntapUnauthenticated,
)


class ErrorCode(StrEnum):
    INFRA_UNAUTHENTICATED = "ERR_INFRA_UNAUTHENTICATED"
    INFRA_UNAUTHORIZED = "ERR_INFRA_UNAUTHORIZED"
    INFRA_QUOTA_EXCEEDED = "ERR_INFRA_QUOTA_EXCEEDED"
    INFRA_RATE_LIMITS_EXCEEDED = "ERR_INFRA_RATE_LIMITS_EXCEEDED"
    INFRA_DEPENDENCIES = "ERR_INFRA_DEPENDENCIES"
    RETRYABLE_INFRA_DEPENDENCIES = "ERR_RETRYABLE_INFRA_DEPENDENCIES"
    INFRA_RESOURCES_DEPLETED = "ERR_INFRA_RESOURCES_DEPLETED"
    CLEANUP_CLUSTER_RESOURCES = "ERR_CLEANUP_CLUSTER_RESOURCES"
    CONFIGURATION_PROBLEM = "ERR_CONFIGURATION_PROBLEM"
    RETRYABLE_CONFIGURATION_PROBLEM = "ERR_RETRYABLE_CONFIGURATION_PROBLEM"


# Codes after which gardenlet stops retrying the shoot operation.
NON_RETRYABLE = frozenset(
    {
        ErrorCode.INFRA_UNAUTHENTICATED,
        ErrorCode.INFRA_UNAUTHORIZED,
        ErrorCode.INFRA_QUOTA_EXCEEDED,
        ErrorCode.INFRA_DEPENDENCIES,
        ErrorCode.CONFIGURATION_PROBLEM,
    }
)


def ontap_error_codes(exc: OntapError) -> tuple[ErrorCode, ...]:
    """Gardener's code for an ONTAP failure (the only mapping; steps and the status writer use it)."""
    if isinstance(exc, OntapForbidden):
        return (ErrorCode.INFRA_UNAUTHORIZED,)
    if isinstance(exc, OntapUnauthenticated):
        return (ErrorCode.INFRA_UNAUTHENTICATED,)
    if isinstance(exc, OntapOwnershipConflict | OntapNotEmpty | OntapPlacementConflict):
        # An object in the way (not ours, holding data, on two clusters): a human must act.
        return (ErrorCode.INFRA_DEPENDENCIES,)
    if isinstance(exc, OntapTlsError | OntapInvalidInput):
        # Fixed by the operator's configuration (CA bundle, addresses), not by the shoot owner.
        return (ErrorCode.RETRYABLE_CONFIGURATION_PROBLEM,)
    return (ErrorCode.RETRYABLE_INFRA_DEPENDENCIES,)


def describe_ontap_error(exc: OntapError) -> str:
    """Cluster, method + path, object, ONTAP's code and its own message, in one line."""
    text = str(exc)
    if exc.ontap_message and exc.ontap_message not in text:
        text = f"{text}: {exc.ontap_message}"
    return text


def api_exception_codes(exc: ApiException) -> tuple[ErrorCode, ...]:
    """The seed's API server refusing or failing is ours to retry, never the shoot owner's problem."""
    return (ErrorCode.RETRYABLE_INFRA_DEPENDENCIES,)

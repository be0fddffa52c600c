"""What every dependency step is: observe -> decide -> act, reported as one condition.

A step never infers that its dependency exists because an earlier step's did; it observes it. A step
that cannot proceed raises `StepError`, which names the object, the API and the error and carries the
Gardener error codes, so the Extension status says exactly what is blocked and why.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from controller.errorcodes import ErrorCode

if TYPE_CHECKING:
    from controller.credentials import SeedCredentials
    from controller.credentials.plan import CredentialsFacts, SecretView
    from controller.shoot_health.observe import ManagedResourcesSeen
    from ontap.models import SvmInfo
    from ontap.provisioning.account import LoginResult
    from ontap.provisioning.observe import Observation


class ConditionStatus(StrEnum):
    TRUE = "True"
    FALSE = "False"
    UNKNOWN = "Unknown"
    PROGRESSING = "Progressing"  # Gardener's fourth condition status (health checks only)


@dataclass(frozen=True)
class StepOutcome:
    """The result of one step in one pass; becomes the step's condition on the Extension."""

    step: str
    condition_type: str
    status: ConditionStatus
    reason: str
    message: str
    changed: bool = False
    actions: tuple[str, ...] = ()
    drift: tuple[str, ...] = ()
    codes: tuple[ErrorCode, ...] = ()


class StepError(Exception):
    """A step cannot proceed. `retry_after` None means: back off with the queue's per-key backoff."""

    def __init__(
        self,
        step: str,
        condition_type: str,
        *,
        reason: str,
        message: str,
        codes: tuple[ErrorCode, ...] = (),
        object_ref: str = "",
        api: str = "",
        retry_after: float | None = None,
        blocked: bool = False,
    ) -> None:
        self.step = step
        self.condition_type = condition_type
        self.reason = reason
        self.message = message
        self.codes = codes
        self.object_ref = object_ref
        self.api = api
        self.retry_after = retry_after
        self.blocked = blocked
        super().__init__(message)

    def outcome(self) -> StepOutcome:
        """The condition this error produces."""
        return StepOutcome(
            step=self.step,
            condition_type=self.condition_type,
            status=ConditionStatus.FALSE,
            reason=self.reason,
            message=self.message,
            codes=self.codes,
        )


@dataclass
class PassState:
    """What earlier steps of the same pass observed, handed to later steps (observations, not
    assumptions); each fact is observed once per pass."""

    svm_name: str | None = None  # the project's SVM, or its MetroCluster partner (placement)
    cluster: str | None = None  # the ONTAP cluster holding it (placement)
    observation: tuple[str, Observation] | None = None  # (cluster, the steady-state observation)
    svm: SvmInfo | None = None  # the SVM as observed or made in this pass (svm step)
    secret_view: SecretView | None = None  # the seed secret as read at the start of the pass
    account_name: str | None = None  # the shoot's ONTAP account name in use (ours, or an adopted one)
    logins: dict[str, LoginResult] = field(default_factory=dict)  # login answers by fingerprint
    credentials: CredentialsFacts | None = None  # the credentials plan and what is done (account)
    seed_credentials: SeedCredentials | None = None  # confirmed credentials (seed-secret step)
    managed_resources: ManagedResourcesSeen | None = None  # our ManagedResources as listed (shoot resources)
    account_gone: bool = False  # the shoot's account is deleted (deletion)
    other_project_shoots: list[str] | None = None  # live shoots sharing the SVM (deletion)
    force_delete: bool = False

    def copy(self) -> PassState:
        return dataclasses.replace(self, logins=dict(self.logins))

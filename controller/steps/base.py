"""What every dependency step is: observe -> decide -> act, reported as one condition.

A step never infers that its dependency exists because an earlier step's did; it observes it. A step
that cannot proceed raises `StepError`, which names the object, the API and the error and carries the
Gardener error codes, so the Extension status says exactly what is blocked and why.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from controller.errorcodes import ErrorCode

if TYPE_CHECKING:
    from controller.steps.context import StepContext


class ConditionStatus(StrEnum):
    TRUE = "True"
    FALSE = "False"
    UNKNOWN = "Unknown"


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
    """What earlier steps of the same pass observed, handed to later steps (observations, not assumptions)."""

    values: dict[str, Any] = field(default_factory=dict)

    def put(self, key: str, value: Any) -> None:
        self.values[key] = value

    def get(self, key: str) -> Any:
        return self.values.get(key)

    def copy(self) -> PassState:
        return dataclasses.replace(self, values=dict(self.values))


class Step(Protocol):
    """One dependency of a shoot. `reconcile` and `delete` must be idempotent."""

    name: str
    condition_type: str

    async def reconcile(self, ctx: StepContext) -> StepOutcome: ...

    async def delete(self, ctx: StepContext) -> StepOutcome: ...

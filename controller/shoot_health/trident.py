"""Has Trident in the shoot bound the backend? Read from the TridentBackendConfig's status.

Facts from NetApp/trident: `persistent_store/crd/apis/netapp/v1/types.go` (`TridentBackendConfigStatus`:
`phase`, `lastOperationStatus`, `message`, `backendInfo`),
`persistent_store/crd/apis/netapp/v1/backendconfig.go` (phases: `""` unbound, `Bound`, `Deleting`,
`Unknown`, `Lost`) and `frontend/crd/controller/crd_controller.go` (`lastOperationStatus` `Success` or
`Failed`); `frontend/crd/controller/trident_backend_config.go` writes `Failed to create backend: ...`
(phase `""`) or `Failed to apply the backend update; ...` (phase kept `Bound`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from controller.shoot_health.checks import CheckResult, CheckStatus

PHASE_BOUND = "Bound"
OPERATION_FAILED = "Failed"


@dataclass(frozen=True)
class BackendObservation:
    """What the shoot said about the TridentBackendConfig: its status, that it is absent, or why it could not
    be read (`error`, naming the secret or the apiserver)."""

    namespace: str
    name: str
    found: bool = False
    phase: str = ""
    last_operation_status: str = ""
    message: str = ""
    error: str | None = None

    @classmethod
    def from_object(cls, namespace: str, name: str, obj: dict[str, Any]) -> BackendObservation:
        raw = obj.get("status")
        status: dict[str, Any] = raw if isinstance(raw, dict) else {}
        return cls(
            namespace=namespace,
            name=name,
            found=True,
            phase=str(status.get("phase") or ""),
            last_operation_status=str(status.get("lastOperationStatus") or ""),
            message=str(status.get("message") or ""),
        )


def check_backend(observed: BackendObservation, *, applied: bool) -> CheckResult:
    """The backend's check; `applied`: the resource manager reports the backend's ManagedResource applied."""
    ref = f"TridentBackendConfig {observed.namespace}/{observed.name}"
    if observed.error is not None:
        return CheckResult(CheckStatus.ERROR, f"cannot read the shoot: {observed.error}")
    if not observed.found:
        if not applied:
            return CheckResult(CheckStatus.PROGRESSING, f"{ref} is not in the shoot yet (not yet applied)")
        return CheckResult(CheckStatus.UNHEALTHY, f"{ref} does not exist in the shoot")
    said = f": {observed.message}" if observed.message else ""
    if observed.phase == PHASE_BOUND:
        if observed.last_operation_status == OPERATION_FAILED:
            return CheckResult(
                CheckStatus.UNHEALTHY,
                f"{ref} is Bound but Trident's last operation on it failed{said}",
            )
        return CheckResult(CheckStatus.HEALTHY, f"{ref} is Bound{said}")
    if observed.phase == "":
        if observed.last_operation_status == OPERATION_FAILED:
            return CheckResult(CheckStatus.UNHEALTHY, f"{ref} is not bound: Trident reports Failed{said}")
        return CheckResult(
            CheckStatus.PROGRESSING, f"{ref} is not bound yet: Trident has not processed it{said}"
        )
    return CheckResult(CheckStatus.UNHEALTHY, f"{ref} is in phase {observed.phase}{said}")

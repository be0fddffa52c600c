"""The I/O of the health check: what the shoot-resources step saw in the seed, one read of the backend in
the shoot (bounded, never failing the pass), then the pure decisions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from controller.adoption.plan import go_backend_names
from controller.kube.managed_resources import ObservedManagedResource
from controller.shoot_access.client import ShootReadError
from controller.shoot_access.kubeconfig import ShootAccessError
from controller.shoot_health.checks import (
    SYSTEM_COMPONENTS_HEALTHY,
    CheckResult,
    CheckStatus,
    fold_checks,
    hibernated_outcome,
)
from controller.shoot_health.managed_resources import check_managed_resource
from controller.shoot_health.trident import BackendObservation, check_backend
from controller.shoot_resources import names
from controller.steps.base import StepOutcome

if TYPE_CHECKING:
    from controller.shoot_access.access import ShootAccess
    from controller.steps.context import StepContext

TBC_PLURAL = "tridentbackendconfigs"


@dataclass
class ManagedResourcesSeen:
    """What the shoot-resources step observed in this pass (its one LIST) and which ones it wrote."""

    namespace: str
    managed: dict[str, ObservedManagedResource]
    desired: tuple[str, ...]
    retired: tuple[str, ...] = ()  # no longer wanted (being deleted by the step): not checked
    written: set[str] = field(default_factory=set)
    access_data: dict[str, str] | None = field(default=None, repr=False)  # the shoot-access Secret, if listed

    def expected(self) -> list[str]:
        """Ours to check: every desired one and any other of ours still there (e.g. the operator's)."""
        return sorted((set(self.desired) | set(self.managed)) - set(self.retired))


def backend_path(namespace: str, name: str) -> str:
    return f"/apis/{names.TRIDENT_API_VERSION}/namespaces/{namespace}/{TBC_PLURAL}/{name}"


async def observe_backend(
    access: ShootAccess, ctx: StepContext, cluster: dict[str, Any] | None, backend: str
) -> BackendObservation:
    """The TridentBackendConfig as the shoot has it; never raises for an unreachable shoot."""
    namespace = ctx.config.trident.namespace
    try:
        seen = ctx.state.managed_resources
        access_data = seen.access_data if seen is not None else None
        obj = await access.get(
            ctx.api_client, ctx.namespace, cluster, access_data, backend_path(namespace, backend)
        )
    except (ShootAccessError, ShootReadError) as exc:
        ctx.bind_log(step="shoot-health", object=f"TridentBackendConfig {namespace}/{backend}").debug(
            "cannot read the shoot", error=str(exc)
        )
        return BackendObservation(namespace, backend, error=str(exc))
    if obj is None:
        return BackendObservation(namespace, backend)
    return BackendObservation.from_object(namespace, backend, obj)


def previous_condition(ext: dict[str, Any]) -> dict[str, Any] | None:
    for condition in (ext.get("status") or {}).get("conditions") or []:
        if isinstance(condition, dict) and condition.get("type") == SYSTEM_COMPONENTS_HEALTHY:
            return condition
    return None


async def shoot_health(
    ctx: StepContext,
    access: ShootAccess | None,
    cluster: dict[str, Any] | None,
    *,
    now: datetime,
    progressing_threshold: timedelta,
) -> StepOutcome | None:
    """The `SystemComponentsHealthy` condition of this pass; None when this pass saw nothing to judge by
    (the shoot-resources step did not get to observe its ManagedResources): the condition stays as it is."""
    if ctx.shoot.hibernated:
        return hibernated_outcome()
    seen: ManagedResourcesSeen | None = ctx.state.managed_resources
    if seen is None:
        return None
    checks: dict[str, CheckResult] = {
        name: check_managed_resource(
            seen.namespace, name, seen.managed.get(name), written=name in seen.written
        )
        for name in seen.expected()
    }
    results = list(checks.values())
    svm = ctx.state.svm
    if svm is not None:
        backend_check = checks.get(names.BACKEND_MR)
        applied = backend_check is not None and backend_check.status is CheckStatus.HEALTHY
        if access is None:
            results.append(
                CheckResult(CheckStatus.ERROR, "cannot read the shoot: shoot access is not configured")
            )
        else:
            go_backend = go_backend_names(svm.comment, ctx.shoot.project_id)
            backend = go_backend[0] if go_backend is not None else names.backend_name(svm.name)
            observed = await observe_backend(access, ctx, cluster, backend)
            results.append(check_backend(observed, applied=applied))
    return fold_checks(
        results,
        previous=previous_condition(ctx.extension),
        now=now,
        progressing_threshold=progressing_threshold,
    )

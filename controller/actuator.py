"""Runs the dependency steps of one shoot for Gardener's operations: Reconcile, Delete, Migrate, Restore."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import structlog
from kubernetes_asyncio.client.exceptions import ApiException

from controller.errorcodes import ErrorCode
from controller.kube.clusters import read_cluster
from controller.kube.events import EventRecorder
from controller.kube.extensions import list_extensions
from controller.provider_config import ProviderConfigError, parse_provider_config
from controller.shoot import ShootInfo, ShootInfoError, shoot_annotations
from controller.shoot_access.access import shoot_access_from_config
from controller.shoot_health.observe import shoot_health
from controller.shoot_resources.render import forget_rendered
from controller.steps.base import ConditionStatus, PassState, StepError, StepOutcome
from controller.steps.context import EventSink, Step, StepContext
from controller.steps.project_turns import ProjectBusy
from controller.steps.registry import deletion_steps, reconcile_steps
from controller.steps.seed_secret import (
    KEPT_FOR_RESTORE,
    SeedSecretStep,
    seed_secret_reference,
)
from controller.steps.shoot_resources import ShootResourcesStep
from ontap.naming import account_name

log = structlog.get_logger("controller.actuator")


@dataclass
class ActuatorResult:
    """What one operation did: an outcome per step, the first blocking error, what to keep in the status."""

    outcomes: list[StepOutcome] = field(default_factory=list)
    error: StepError | None = None
    provider_status: dict[str, Any] | None = None
    state: dict[str, Any] | None = None
    resources: list[dict[str, Any]] | None = None
    health: StepOutcome | None = None  # SystemComponentsHealthy; never fails the operation


def waiting_outcome(step: Step, blocker: str) -> StepOutcome:
    """The condition of a step that did not run because an earlier one is blocked."""
    return StepOutcome(
        step=step.name,
        condition_type=step.condition_type,
        status=ConditionStatus.UNKNOWN,
        reason="Waiting",
        message=f"waiting for {blocker}",
    )


def soft_failure(outcome: StepOutcome) -> StepError:
    """A step that finished but reports a problem (e.g. LIF drift) fails the operation with its message."""
    return StepError(
        outcome.step,
        outcome.condition_type,
        reason=outcome.reason,
        message=outcome.message,
        codes=outcome.codes or (ErrorCode.RETRYABLE_INFRA_DEPENDENCIES,),
    )


def unexpected_error(step: Step, exc: Exception) -> StepError:
    """Any other failure of a step (e.g. the Kubernetes API refusing a read), named with the step."""
    if isinstance(exc, ApiException):
        detail = f"Kubernetes API answered HTTP {exc.status} {exc.reason}"
    else:
        detail = f"{type(exc).__name__}: {exc}"
    return StepError(
        step.name,
        step.condition_type,
        reason="StepFailed",
        message=f"step {step.name} failed: {detail}",
        codes=(ErrorCode.RETRYABLE_INFRA_DEPENDENCIES,),
    )


class Actuator:
    """Gardener's actuator for Extensions of type ontap. `ctx` carries config, api_client, ontap and cache."""

    def __init__(self, ctx: Any, *, events: EventSink | None = None) -> None:
        self.ctx = ctx
        self._events = events

    async def reconcile(self, ext: dict[str, Any], cluster: dict[str, Any]) -> ActuatorResult:
        """Observe and repair every dependency in order; stop at the first step that cannot proceed."""
        try:
            step_ctx = self._step_context(ext, cluster, need_provider_config=True)
        except StepError as error:
            return self._blocked_at_start(reconcile_steps(), error)
        result = ActuatorResult()
        steps = reconcile_steps()
        for index, step in enumerate(steps):
            try:
                outcome = await step.reconcile(step_ctx)
            except ProjectBusy:
                raise  # not a failure: the reconciler queues the shoot again after the other's turn
            except Exception as exc:
                if isinstance(exc, StepError):
                    failure = exc
                    await self._record_error(step_ctx, failure)
                else:
                    failure = unexpected_error(step, exc)
                    step_ctx.log.exception("step failed unexpectedly", step=step.name)
                result.outcomes.append(failure.outcome())
                result.outcomes.extend(
                    waiting_outcome(later, step.condition_type) for later in steps[index + 1 :]
                )
                result.error = failure
                break
            result.outcomes.append(outcome)
        if result.error is None:
            failed = [o for o in result.outcomes if o.status is ConditionStatus.FALSE]
            if failed:
                result.error = soft_failure(failed[0])
        result.health = await self._health(step_ctx, cluster)
        result.provider_status = self._provider_status(step_ctx)
        result.state = self._saved_state(step_ctx)
        if step_ctx.state.seed_credentials is not None:
            result.resources = [seed_secret_reference(step_ctx.config.seed_secret_name)]
        return result

    async def restore(self, ext: dict[str, Any], cluster: dict[str, Any]) -> ActuatorResult:
        """Rebuild on a new seed from ONTAP (hint from `status.state`) and the seed secret gardenlet restored.

        The restored secret's password is verified by logging in like on every pass; when the secret did not
        come along (or no longer works), the password is reset through the crash-safe path.
        """
        return await self.reconcile(ext, cluster)

    async def delete(
        self, ext: dict[str, Any], cluster: dict[str, Any], force: bool = False
    ) -> ActuatorResult:
        """Remove this shoot's account, seed secret and shoot resources; the SVM goes with the last shoot.

        Independent cleanups still run when one fails. The seed secret is deleted only after the account is
        gone (else its password would be lost), unless `force`: then everything is best effort, nothing
        blocks, and what could not be removed is reported as orphaned.
        """
        try:
            step_ctx = self._step_context(ext, cluster, need_provider_config=False)
        except StepError as error:
            if force:
                return ActuatorResult(outcomes=[error.outcome()], error=None)
            return self._blocked_at_start(deletion_steps(), error)
        step_ctx.state.force_delete = force
        result = ActuatorResult()
        orphaned: list[str] = []
        located = True
        for step in deletion_steps():
            if step.name == "svm":
                try:
                    others = await other_project_shoots(step_ctx)
                except ApiException as exc:
                    others = [f"(unknown: listing Extensions failed with HTTP {exc.status})"]
                step_ctx.state.other_project_shoots = others
            needs_ontap = step.name in {"account", "lifs", "svm"}
            if needs_ontap and not located:
                outcome = waiting_outcome(step, "OntapClusterPlaced")
                if force:
                    orphaned.append(f"{step.name}: ONTAP could not be asked")
                result.outcomes.append(outcome)
                continue
            if isinstance(step, SeedSecretStep) and force and not step_ctx.state.account_gone:
                step_ctx.state.account_gone = True  # force: never block on ONTAP
            try:
                outcome = await step.delete(step_ctx)
            except Exception as exc:
                failure = exc if isinstance(exc, StepError) else unexpected_error(step, exc)
                await self._record_error(step_ctx, failure)
                result.outcomes.append(failure.outcome())
                if step.name == "placement":
                    located = False
                if force:
                    orphaned.append(f"{step.name}: {failure.message}")
                elif result.error is None:
                    result.error = failure
                continue
            result.outcomes.append(outcome)
        if orphaned:
            message = "force deletion orphaned: " + "; ".join(orphaned)
            step_ctx.log.warning("force deletion left objects behind", orphaned=orphaned)
            await step_ctx.events.warning("ForceDeletionOrphaned", message)
        access = getattr(self.ctx, "shoot_access", None)
        if access is not None:
            await access.forget(step_ctx.namespace)  # the shoot's client and cached credentials go with it
        forget_rendered(step_ctx.namespace)
        return result

    async def migrate(self, ext: dict[str, Any], cluster: dict[str, Any]) -> ActuatorResult:
        """Leave every ONTAP object and the seed secret in place; release the ManagedResources.

        The seed secret is referenced in `status.resources`, so gardenlet carries it in the ShootState to
        the new seed, where the restore verifies it by a login: the password does not change and the
        shoot's Trident keeps working. The password is never put into `status.state` (non-secret hints
        only). gardenlet removes the source namespace, and the secret with it, after the migration.
        """
        try:
            step_ctx = self._step_context(ext, cluster, need_provider_config=False)
        except StepError as error:
            return self._blocked_at_start([], error)
        result = ActuatorResult()
        for step in (ShootResourcesStep(), SeedSecretStep()):
            try:
                result.outcomes.append(await step.migrate(step_ctx))
            except StepError as error:
                result.outcomes.append(error.outcome())
                result.error = error
                return result
        if result.outcomes[-1].reason == KEPT_FOR_RESTORE:
            result.resources = [seed_secret_reference(step_ctx.config.seed_secret_name)]
        status = ext.get("status") or {}
        previous = dict(status.get("providerStatus") or {})
        result.state = {key: value for key, value in previous.items() if key != "secretName"} or None
        result.provider_status = previous or None
        return result

    async def _health(self, ctx: StepContext, cluster: dict[str, Any]) -> StepOutcome | None:
        """The shoot-side health of this pass (docs/shoot-resources.md "Health"); bounded, never raises."""
        access = getattr(self.ctx, "shoot_access", None)
        if access is None and hasattr(self.ctx, "shoot_access"):
            access = self.ctx.shoot_access = shoot_access_from_config(ctx.config)
        try:
            return await shoot_health(
                ctx,
                access,
                cluster,
                now=datetime.now(UTC),
                progressing_threshold=ctx.config.shoot_health.progressing_threshold,
            )
        except Exception:
            ctx.log.exception("health check failed unexpectedly", step="shoot-health")
            return None

    def _blocked_at_start(self, steps: list[Step], error: StepError) -> ActuatorResult:
        outcomes = [error.outcome()]
        outcomes.extend(
            waiting_outcome(step, error.condition_type) for step in steps if step.name != error.step
        )
        return ActuatorResult(outcomes=outcomes, error=error)

    def _step_context(
        self, ext: dict[str, Any], cluster: dict[str, Any], *, need_provider_config: bool
    ) -> StepContext:
        config = self.ctx.config
        try:
            shoot = ShootInfo.from_cluster(cluster, config.project_annotation)
        except ShootInfoError as exc:
            raise StepError(
                "placement",
                "OntapClusterPlaced",
                reason="InvalidShoot",
                message=exc.message,
                codes=(exc.code,),
            ) from None
        provider_config = None
        raw = (ext.get("spec") or {}).get("providerConfig")
        if need_provider_config or raw is not None:
            try:
                provider_config = parse_provider_config(raw)
            except ProviderConfigError as exc:
                if need_provider_config:
                    raise StepError(
                        "placement",
                        "OntapClusterPlaced",
                        reason="InvalidProviderConfig",
                        message=exc.message,
                        codes=(exc.code,),
                    ) from None
        metadata = ext.get("metadata") or {}
        bound = log.bind(
            shoot=shoot.technical_id,
            project=shoot.project_id,
            extension=f"{metadata.get('namespace')}/{metadata.get('name')}",
        )
        return StepContext(
            extension=ext,
            shoot=shoot,
            provider_config=provider_config,
            config=config,
            ontap=self.ctx.ontap,
            api_client=self.ctx.api_client,
            events=self._events if self._events is not None else EventRecorder(self.ctx.api_client, ext),
            log=bound,
            state=PassState(),
            cache=getattr(self.ctx, "cache", None),
        )

    async def _record_error(self, ctx: StepContext, error: StepError) -> None:
        ctx.log.warning(
            "step blocked",
            step=error.step,
            object=error.object_ref,
            api=error.api,
            reason=error.reason,
            codes=[str(code) for code in error.codes],
            error=error.message,
        )

    def _saved_state(self, ctx: StepContext) -> dict[str, Any] | None:
        """Non-secret facts a restore uses as hints (never a password)."""
        cluster = ctx.state.cluster
        svm = ctx.state.svm
        if cluster is None:
            return None
        state: dict[str, Any] = {
            "ontapCluster": cluster,
            "accountName": ctx.state.account_name or account_name(ctx.shoot.technical_id),
        }
        if svm is not None:
            state.update(svmName=svm.name, svmUUID=svm.uuid)
        return state

    def _provider_status(self, ctx: StepContext) -> dict[str, Any] | None:
        state = self._saved_state(ctx)
        if state is None:
            return None
        return {**state, "secretName": ctx.config.seed_secret_name}


async def other_project_shoots(ctx: StepContext) -> list[str]:
    """Other live shoots of the same project with an ontap Extension (they share the SVM); reads only."""
    others = []
    for item in await list_extensions(ctx.api_client):
        meta = item.get("metadata") or {}
        namespace = meta.get("namespace")
        if (item.get("spec") or {}).get("type") != ctx.config.extension_type or namespace == ctx.namespace:
            continue
        if meta.get("deletionTimestamp"):
            continue
        cluster = await read_cluster(ctx.api_client, ctx.cache, str(namespace))
        if cluster is None:
            continue
        if shoot_annotations(cluster).get(ctx.config.project_annotation) == ctx.shoot.project_id:
            others.append(str(namespace))
    return others

"""The project's SVM on its ONTAP cluster: created when missing, fixed in place, deleted with the last shoot.

The SVM is shared by all shoots of a project, so changes take turns per project (the leader is the only
writer; `controller.steps.project_turns`): two shoots of one project reconciled at once cannot both create
it, the second comes back when the first is done instead of holding a worker, and a deletion waits for its
turn so that it cannot race a creation.
"""

from __future__ import annotations

from typing import Any

from controller.errorcodes import ErrorCode
from controller.steps import go_adoption
from controller.steps.base import ConditionStatus, StepError, StepOutcome
from controller.steps.context import StepContext, step_error_from_ontap
from controller.steps.project_turns import project_turn
from ontap.errors import OntapError
from ontap.naming import METROCLUSTER_SUFFIX
from ontap.provisioning import deletion
from ontap.provisioning.reads import find_svm
from ontap.provisioning.svm import DesiredSvm, SvmAction, decide_svm, ensure_svm


def observed_svm(ctx: StepContext) -> tuple[bool, Any]:
    """This pass's observation of the SVM on the placed cluster: (observed?, SvmInfo | None)."""
    entry = ctx.state.observation
    if entry is None:
        return False, None
    cluster, observation = entry
    if cluster != ctx.state.cluster:
        return False, None
    return True, observation.svm


def svm_kept(svm_name: str, cluster: str, others: list[str]) -> tuple[str, str] | None:
    """Pure: (reason, message) when the shoot's deletion keeps the SVM without asking ONTAP, else None
    (then it is deleted unless it holds volumes or NVMe subsystems, which ONTAP is asked about)."""
    object_ref = f"SVM {svm_name} on ONTAP cluster {cluster}"
    if others:
        return "Kept", f"{object_ref} is kept: still used by {', '.join(sorted(others))}"
    if svm_name.endswith(METROCLUSTER_SUFFIX):
        # The partner site's copy belongs to MetroCluster, not to one shoot: never deleted from here.
        return "KeptMetroClusterPartner", f"{object_ref} is kept: it is a MetroCluster partner SVM"
    return None


class SvmStep:
    """The project's SVM exists on the placed cluster, ours (ownership marker), running, NVMe enabled."""

    name = "svm"
    condition_type = "SvmReady"

    def desired(self, ctx: StepContext) -> DesiredSvm:
        return DesiredSvm(name=str(ctx.state.svm_name), project_id=ctx.shoot.project_id)

    async def reconcile(self, ctx: StepContext) -> StepOutcome:
        desired = self.desired(ctx)
        client = ctx.client()
        object_ref = f"SVM {desired.name} on ONTAP cluster {client.name}"
        seen, svm = observed_svm(ctx)
        actions: list[str] = []
        drift: list[str] = []
        try:
            if seen and svm is not None and decide_svm(svm, desired).action is SvmAction.NOTHING:
                drift.extend(decide_svm(svm, desired).drift)
            else:
                async with project_turn(ctx.shoot.project_id, f"changing {object_ref}"):
                    # Re-read in our turn: another shoot of the project may just have created it.
                    current = await find_svm(client, desired.name)
                    # An SVM of metal-stack's Go extension is adopted (or refused) before it is judged.
                    current, adopted = await go_adoption.adopt_svm(
                        ctx, client, current, self.name, self.condition_type
                    )
                    actions.extend(adopted)
                    svm, report = await ensure_svm(client, desired, observed=current)
                actions.extend(report.actions)
                drift.extend(report.drift)
        except OntapError as exc:
            raise step_error_from_ontap(
                self.name, self.condition_type, exc, object_ref=object_ref, doing="ensuring the SVM"
            ) from exc
        if actions:
            ctx.log.info("svm changed", svm=desired.name, cluster=client.name, actions=actions)
            await ctx.events.normal("SvmChanged", f"{object_ref}: " + "; ".join(actions))
        if not svm.is_running:
            raise not_running_error(self.name, self.condition_type, object_ref, svm.state)
        ctx.state.svm = svm
        message = f"{object_ref} is {svm.state}"
        if drift:
            message += "; left alone: " + "; ".join(drift)
        return StepOutcome(
            step=self.name,
            condition_type=self.condition_type,
            status=ConditionStatus.TRUE,
            reason="SvmReady",
            message=message,
            changed=bool(actions),
            actions=tuple(actions),
            drift=tuple(drift),
        )

    async def delete(self, ctx: StepContext) -> StepOutcome:
        """Delete the SVM (LIFs first) unless another shoot of the project uses it or it holds volumes."""
        svm_name = str(ctx.state.svm_name)
        cluster = ctx.state.cluster
        if cluster is None:
            return self._outcome(f"SVM {svm_name} exists on no configured ONTAP cluster", "NotFound")
        object_ref = f"SVM {svm_name} on ONTAP cluster {cluster}"
        kept = svm_kept(svm_name, cluster, ctx.state.other_project_shoots or [])
        if kept is not None:
            reason, message = kept
            if reason == "Kept":
                await ctx.events.normal("SvmKept", message)
            else:
                await ctx.events.warning("SvmKept", message)
            return self._outcome(message, reason)
        client = ctx.client()
        try:
            async with project_turn(ctx.shoot.project_id, f"deleting {object_ref}", wait=True):
                svm = ctx.state.svm
                if svm is None:
                    svm = await find_svm(client, svm_name)
                if svm is None:
                    return self._outcome(f"{object_ref} was already gone", "Deleted")
                report = await deletion.delete_svm(client, svm, project_id=ctx.shoot.project_id)
        except OntapError as exc:
            if exc.kind == "not-empty":
                # Volumes mean data: keep the SVM, say why, and let the shoot's deletion finish.
                message = f"{object_ref} is kept: {exc.description}"
                ctx.bind_log(step=self.name, svm=svm_name).warning("SVM kept", reason=exc.description)
                await ctx.events.warning("SvmKept", message)
                return self._outcome(message, "KeptWithVolumes")
            raise step_error_from_ontap(
                self.name, self.condition_type, exc, object_ref=object_ref, doing="deleting the SVM"
            ) from exc
        await ctx.events.normal(
            "SvmDeleted", f"{object_ref}: " + "; ".join(report.actions or ["already gone"])
        )
        return self._outcome(
            f"{object_ref} deleted" if report.actions else f"{object_ref} was already gone",
            "Deleted",
            actions=tuple(report.actions),
        )

    def _outcome(self, message: str, reason: str, actions: tuple[str, ...] = ()) -> StepOutcome:
        return StepOutcome(
            step=self.name,
            condition_type=self.condition_type,
            status=ConditionStatus.TRUE,
            reason=reason,
            message=message,
            changed=bool(actions),
            actions=actions,
        )


def not_running_error(step: str, condition: str, object_ref: str, state: str | None) -> StepError:
    """The SVM exists but is not `running` (stopped, or a state ONTAP did not report or we do not know).

    Nothing after this step may claim success on it, and the controller does not start SVMs (an
    operator stopped it, or ONTAP did): the pass fails, retried with backoff, until it runs again.
    """
    reported = f"state {state[:40]!r}" if state else "no state"
    return StepError(
        step,
        condition,
        reason="SvmNotRunning",
        message=f"{object_ref} is not running: ONTAP reported {reported}; "
        "the extension does not start SVMs, an operator must (e.g. `vserver start`)",
        codes=(ErrorCode.RETRYABLE_INFRA_DEPENDENCIES,),
        object_ref=object_ref,
        api="GET /api/svm/svms",
    )


def waiting_error(step: str, condition: str, missing: str) -> StepError:
    """A later step cannot run because an earlier one did not observe what it needs in this pass."""
    return StepError(
        step,
        condition,
        reason="WaitingForDependency",
        message=f"{missing} was not observed in this pass",
        codes=(ErrorCode.RETRYABLE_INFRA_DEPENDENCIES,),
    )

"""The SVM's data LIFs and management LIF with the IPs of the providerConfig.

A LIF holding another IP than desired is reported (the condition turns False) and never deleted and recreated:
a wrong IP is a decision for a human, not for a controller.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from controller.errorcodes import ErrorCode
from controller.steps import go_adoption
from controller.steps.base import ConditionStatus, StepOutcome
from controller.steps.context import StepContext, step_error_from_ontap
from controller.steps.project_turns import project_turn
from controller.steps.svm import waiting_error
from ontap.errors import OntapError
from ontap.models import IpInterfaceInfo
from ontap.provisioning.lifs import DesiredLifs, LifPlan, decide_lifs, ensure_lifs

if TYPE_CHECKING:
    from controller.provider_config import ProviderConfig

# LIFs of others in the SVM are only noted; a desired IP that is missing or taken is a problem.
UNMANAGED = "not managed by this extension"


def desired_lifs(provider_config: ProviderConfig) -> DesiredLifs:
    """Pure: the LIFs the providerConfig asks for."""
    return DesiredLifs(
        data_ips=tuple(provider_config.data_lifs),
        management_ip=provider_config.management_lif,
        netmask_bits=provider_config.netmask_bits,
    )


def lifs_settled(
    desired: DesiredLifs,
    observed: Sequence[IpInterfaceInfo] | None,
    adopted: dict[str, str] | None = None,
) -> LifPlan | None:
    """Pure: the plan when this pass's observation shows nothing to create or fix (no request needed),
    else None (the step then ensures the LIFs under the project's lock). `adopted`: the LIF names of an
    SVM adopted from metal-stack's Go extension, recognised by address (`controller.adoption`)."""
    if observed is None:
        return None
    plan = decide_lifs(desired, observed, adopted=adopted)
    return plan if plan.nothing_to_do else None


class LifsStep:
    """The data LIFs and the management LIF exist on the SVM with the requested IPs and service policies."""

    name = "lifs"
    condition_type = "LifsReady"

    async def reconcile(self, ctx: StepContext) -> StepOutcome:
        svm = ctx.state.svm
        if svm is None:
            raise waiting_error(self.name, self.condition_type, "the SVM")
        assert ctx.provider_config is not None
        desired = desired_lifs(ctx.provider_config)
        client = ctx.client()
        object_ref = f"LIFs of SVM {svm.name} on ONTAP cluster {client.name}"
        entry = ctx.state.observation
        observed = None
        if entry is not None and entry[0] == client.name and entry[1].svm is not None:
            observed = entry[1].interfaces
        actions: list[str] = []
        try:
            adopted = go_adoption.adopted_lif_roles(svm, len(desired.data_ips))
            if (settled := lifs_settled(desired, observed, adopted)) is not None:
                drift = list(settled.drift)
            else:
                # Shoots of one project share the SVM's LIFs: change them one shoot at a time, and
                # re-read in our turn (another shoot may just have created them).
                async with project_turn(ctx.shoot.project_id, f"changing the {object_ref}"):
                    report = await ensure_lifs(client, svm, desired, adopted=adopted)
                actions.extend(report.actions)
                drift = list(report.drift)
        except OntapError as exc:
            raise step_error_from_ontap(
                self.name, self.condition_type, exc, object_ref=object_ref, doing="ensuring the LIFs"
            ) from exc
        if actions:
            await ctx.events.normal("LifsChanged", f"{object_ref}: " + "; ".join(actions))
        notes = [d for d in drift if UNMANAGED in d]
        drift = [d for d in drift if UNMANAGED not in d]
        if drift:
            await ctx.events.warning("LifDrift", f"{object_ref}: " + "; ".join(drift))
            return StepOutcome(
                step=self.name,
                condition_type=self.condition_type,
                status=ConditionStatus.FALSE,
                reason="LifDrift",
                message=f"{object_ref}: left alone, needs an operator: " + "; ".join(drift),
                changed=bool(actions),
                actions=tuple(actions),
                drift=tuple(drift),
                codes=(ErrorCode.RETRYABLE_INFRA_DEPENDENCIES,),
            )
        return StepOutcome(
            step=self.name,
            condition_type=self.condition_type,
            status=ConditionStatus.TRUE,
            reason="LifsReady",
            message=f"{object_ref}: {len(desired.data_ips)} data LIF(s) and the management LIF are in place"
            + (f"; noted: {'; '.join(notes)}" if notes else ""),
            changed=bool(actions),
            actions=tuple(actions),
        )

    async def delete(self, ctx: StepContext) -> StepOutcome:
        """LIFs go with the SVM (deleted first by the SVM deletion); nothing of their own to do."""
        return StepOutcome(
            step=self.name,
            condition_type=self.condition_type,
            status=ConditionStatus.TRUE,
            reason="DeletedWithSvm",
            message="LIFs are deleted together with the SVM, before it",
        )

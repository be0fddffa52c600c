"""Which ONTAP cluster hosts the project's SVM.

The Extension's `status.providerStatus.ontapCluster` (or, after a migration, `status.state.ontapCluster`)
is only a hint: it is verified by looking at the SVM on that cluster. That look is the steady-state
observation of the whole pass (SVM, its interfaces, a login as the shoot's account: at most 3 ONTAP
requests), shared with the later steps through the pass state so that none of them has to read again.
"""

from __future__ import annotations

from typing import Any

from controller.credentials.plan import SecretCondition
from controller.credentials.shoot_io import login_address, remember_login
from controller.errorcodes import ErrorCode
from controller.steps import go_adoption
from controller.steps.base import ConditionStatus, StepError, StepOutcome
from controller.steps.context import StepContext, step_error_from_ontap
from ontap import naming
from ontap.errors import OntapError
from ontap.provisioning import placement as ontap_placement
from ontap.provisioning.observe import observe_provisioned


def placement_hint(
    provider_status: dict[str, Any], saved_state: dict[str, Any], known: set[str]
) -> str | None:
    """Pure: the cluster to look at first, if the Extension remembers one that is still configured."""
    for source in (provider_status, saved_state):
        hint = source.get("ontapCluster")
        if isinstance(hint, str) and hint in known:
            return hint
    return None


def remembered_svm_name(provider_status: dict[str, Any], svm_name: str) -> str:
    """Pure: the SVM to look at first: the project's, or its MetroCluster partner if that is what the
    last pass used."""
    partner = naming.metrocluster_partner(svm_name)
    return partner if provider_status.get("svmName") == partner else svm_name


def project_svm_name(ctx: StepContext, step: str, condition: str) -> str:
    """The SVM name of the shoot's project; an unusable project id is a configuration problem."""
    try:
        return naming.svm_name(ctx.shoot.project_id)
    except ValueError as exc:
        raise StepError(
            step,
            condition,
            reason="InvalidProjectId",
            message=f"project id {ctx.shoot.project_id!r} of shoot {ctx.shoot.display_name} gives "
            f"no valid SVM name: {exc}",
            codes=(ErrorCode.CONFIGURATION_PROBLEM,),
        ) from None


class PlacementStep:
    """The ONTAP cluster hosting the project's SVM, found by observation (hint first), else the emptiest."""

    name = "placement"
    condition_type = "OntapClusterPlaced"

    async def reconcile(self, ctx: StepContext) -> StepOutcome:
        svm_name = project_svm_name(ctx, self.name, self.condition_type)
        ctx.state.svm_name = svm_name
        hint = placement_hint(ctx.provider_status, ctx.saved_state, set(ctx.ontap))
        cluster: str | None = None
        how = ""
        try:
            if hint is not None:
                observed_name = remembered_svm_name(ctx.provider_status, svm_name)
                observation = await self.observe(ctx, hint, observed_name)
                if observation.svm is not None:
                    cluster = hint
                    how = "verified on the remembered cluster"
                    ctx.state.svm_name = observed_name
            if cluster is None:
                placement = await ontap_placement.choose_cluster(ctx.ontap, svm_name, hint)
                cluster = str(placement.cluster)
                exists = placement.svm_exists
                how = "found by searching all clusters" if exists else "chosen for a new SVM (fewest volumes)"
                if placement.svm is not None and placement.svm.name != svm_name:
                    # Only the MetroCluster partner exists: it is the project's SVM, never a second one.
                    ctx.state.svm_name = placement.svm.name
                    how = f"its MetroCluster partner {placement.svm.name} found by searching all clusters"
        except OntapError as exc:
            raise step_error_from_ontap(
                self.name, self.condition_type, exc, object_ref=f"SVM {svm_name}", doing="looking for the SVM"
            ) from exc
        ctx.state.cluster = cluster
        changed = hint != cluster
        if changed:
            ctx.bind_log(step=self.name, svm=svm_name).info("svm placed", cluster=cluster, how=how)
        # The same words on every pass: how it was found belongs in the log, or the condition would
        # change (and the status be written) on the pass after the one that placed the SVM.
        return StepOutcome(
            step=self.name,
            condition_type=self.condition_type,
            status=ConditionStatus.TRUE,
            reason="Placed",
            message=f"SVM {ctx.state.svm_name} is placed on ONTAP cluster {cluster}",
            changed=changed,
        )

    async def observe(self, ctx: StepContext, cluster: str, svm_name: str) -> Any:
        """The steady-state observation on `cluster`; the login uses the seed secret's password if any."""
        # The account name our seed secret (or the status) records: ours, or one adopted (Go extension).
        recorded, view = await go_adoption.read_seed_secret_view(ctx)
        username = view.username
        ctx.state.account_name = recorded
        ctx.state.secret_view = view  # the account step uses it: the secret is read once a pass
        password = view.pending if view.has_pending else view.password
        if view.condition is not SecretCondition.VALID and not view.has_pending:
            password = None
        address = login_address(ctx) if ctx.provider_config is not None else None
        observation = await observe_provisioned(ctx.ontap[cluster], svm_name, username, password, address)
        ctx.state.observation = (cluster, observation)
        if password is not None and observation.login is not None:
            remember_login(ctx.state, username, password, observation.login)
        return observation

    async def delete(self, ctx: StepContext) -> StepOutcome:
        """Find where the SVM lives so the other steps can clean up; nothing is placed anew."""
        svm_name = project_svm_name(ctx, self.name, self.condition_type)
        ctx.state.svm_name = svm_name
        hint = placement_hint(ctx.provider_status, ctx.saved_state, set(ctx.ontap))
        try:
            placement = await ontap_placement.choose_cluster(ctx.ontap, svm_name, hint)
        except OntapError as exc:
            raise step_error_from_ontap(
                self.name, self.condition_type, exc, object_ref=f"SVM {svm_name}", doing="looking for the SVM"
            ) from exc
        exists = placement.svm_exists
        if exists:
            ctx.state.cluster = str(placement.cluster)
            ctx.state.svm = placement.svm
            if placement.svm is not None and placement.svm.name != svm_name:
                ctx.state.svm_name = placement.svm.name  # the MetroCluster partner
        return StepOutcome(
            step=self.name,
            condition_type=self.condition_type,
            status=ConditionStatus.TRUE,
            reason="Located" if exists else "NotFound",
            message=f"SVM {ctx.state.svm_name} is on ONTAP cluster {placement.cluster}"
            if exists
            else f"SVM {svm_name} exists on no configured ONTAP cluster",
        )

"""The shoot's SVM-scoped ONTAP account: observed by logging in as it, created when missing.

The credentials engine (`controller.credentials`) decides, once per pass, what account and seed
secret need; this step runs the plan's account phase (creating a missing account, its password
staged in the seed secret first) and fixes role, lock and applications in place.
"""

from __future__ import annotations

from pydantic import SecretStr

from controller.credentials.engine import PasswordNotAccepted, account_phase, execute
from controller.credentials.plan import ACCOUNT_ACTIONS, CredentialsFacts, decide_credentials
from controller.credentials.shoot_io import (
    ShootCredentials,
    observe_credentials,
)
from controller.errorcodes import ErrorCode
from controller.steps import go_adoption
from controller.steps.base import ConditionStatus, StepError, StepOutcome
from controller.steps.context import StepContext, step_error_from_ontap
from ontap.errors import OntapError
from ontap.naming import account_name
from ontap.provisioning import account as ontap_account
from ontap.provisioning import deletion
from ontap.provisioning.account import DesiredAccount, decide_account


def role_only_account(username: str) -> DesiredAccount:
    """The desired account for in-place fixes; `ensure_account` never sets the password of an existing one."""
    return DesiredAccount(name=username, password=SecretStr("unused-for-existing-accounts-0"))


class AccountStep:
    """The shoot's ONTAP account exists, with a password the seed secret holds durably."""

    name = "account"
    condition_type = "AccountReady"

    async def reconcile(self, ctx: StepContext) -> StepOutcome:
        svm = ctx.state.svm
        if svm is None:
            raise StepError(
                self.name,
                self.condition_type,
                reason="WaitingForSvm",
                message="the SVM was not observed in this pass",
                codes=(ErrorCode.RETRYABLE_INFRA_DEPENDENCIES,),
            )
        client = ctx.client()
        try:
            # Ours, or the Go extension's account of the shoot on an SVM adopted from it.
            username, view = await go_adoption.account_name_in_use(ctx, client, svm, ctx.state.secret_view)
        except OntapError as exc:
            raise step_error_from_ontap(
                self.name,
                self.condition_type,
                exc,
                object_ref=f"the ONTAP account of shoot {ctx.shoot.display_name} on SVM {svm.name}",
                doing="looking for the account",
            ) from exc
        object_ref = f"ONTAP account {username} on SVM {svm.name}"
        log = ctx.bind_log(step=self.name, account=username, svm=svm.name)
        port = ShootCredentials(ctx, client, svm, username, self.name, self.condition_type)
        try:
            # A password the Go extension's seed secret holds is taken over when a login proves it.
            view, adopted = await go_adoption.adopt_go_password(
                ctx, client, svm, username, view, self.name, self.condition_type
            )
            observation, account = await observe_credentials(ctx, client, svm, view)
            plan = decide_credentials(observation)
            run = await execute(account_phase(plan), view, port)
            actions = [*adopted, *run.actions]
            created = any(action in ACCOUNT_ACTIONS for action in run.done)
            if (
                not created
                and account is not None
                and not decide_account(account, role_only_account(username)).nothing_to_do
            ):
                # Role, lock or login applications drifted: fixed in place, the password is left alone.
                _, report = await ontap_account.ensure_account(client, svm, role_only_account(username))
                actions.extend(report.actions)
        except PasswordNotAccepted as exc:
            raise StepError(
                self.name,
                self.condition_type,
                reason="PasswordNotAccepted",
                message=f"{object_ref} was created but rejects the password it was created with"
                if exc.after_create
                else f"{object_ref} rejects the password stored in the seed secret",
                codes=(ErrorCode.RETRYABLE_INFRA_DEPENDENCIES,),
                object_ref=object_ref,
            ) from None
        except OntapError as exc:
            raise step_error_from_ontap(
                self.name,
                self.condition_type,
                exc,
                object_ref=object_ref,
                doing="observing/creating the account",
            ) from exc
        ctx.state.credentials = CredentialsFacts(run.view, observation, plan, tuple(run.done))
        if actions:
            log.info("account repaired", actions=actions)
            await ctx.events.normal("AccountRepaired", f"{object_ref}: " + "; ".join(actions))
        return StepOutcome(
            step=self.name,
            condition_type=self.condition_type,
            status=ConditionStatus.TRUE,
            reason="AccountExists",
            message=f"{object_ref} exists",
            changed=bool(actions),
            actions=tuple(actions),
        )

    async def delete(self, ctx: StepContext) -> StepOutcome:
        """Delete the shoot's account; the SVM being gone counts as the account being gone."""
        recorded, _ = await go_adoption.read_seed_secret_view(ctx)
        username = ctx.state.account_name or recorded or account_name(ctx.shoot.technical_id)
        svm = ctx.state.svm
        if svm is None:
            ctx.state.account_gone = True
            return StepOutcome(
                step=self.name,
                condition_type=self.condition_type,
                status=ConditionStatus.TRUE,
                reason="Deleted",
                message=f"ONTAP account {username}: its SVM does not exist, nothing to delete",
            )
        object_ref = f"ONTAP account {username} on SVM {svm.name}"
        try:
            report = await deletion.delete_account(ctx.client(), svm, username)
        except OntapError as exc:
            raise step_error_from_ontap(
                self.name, self.condition_type, exc, object_ref=object_ref, doing="deleting the account"
            ) from exc
        ctx.state.account_gone = True
        changed = bool(report.actions)
        return StepOutcome(
            step=self.name,
            condition_type=self.condition_type,
            status=ConditionStatus.TRUE,
            reason="Deleted",
            message=f"{object_ref} deleted" if changed else f"{object_ref} was already gone",
            changed=changed,
            actions=(f"deleted {object_ref}",) if changed else (),
        )

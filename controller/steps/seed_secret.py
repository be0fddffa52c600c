"""The seed secret: the shoot's ONTAP account credentials, verified against ONTAP and repaired on every pass.

The credentials engine (`controller.credentials`) decided the plan in the account step; this step runs
the rest of it (staging, setting and verifying a password on ONTAP, promoting it in the secret), puts
drifted labels back, and hands the confirmed credentials to the shoot resources. The secret's layout
and the crash points are in `controller.credentials.plan` and docs/seed-secret.md.
"""

from __future__ import annotations

from typing import Any

from kubernetes_asyncio.client.exceptions import ApiException

from controller.credentials import SeedCredentials
from controller.credentials.engine import PasswordNotAccepted, execute, remaining
from controller.credentials.plan import (
    ACCOUNT_ACTIONS,
    Action,
    CredentialsFacts,
    change_cause,
    confirmed_data,
)
from controller.credentials.shoot_io import (
    ShootCredentials,
    secret_ref,
    write_seed_secret,
)
from controller.errorcodes import ErrorCode
from controller.kube.extensions import remove_annotation
from controller.kube.secrets import delete_secret, get_secret
from controller.runtime import metrics
from controller.steps.base import ConditionStatus, StepError, StepOutcome
from controller.steps.context import (
    ROTATE_ANNOTATION,
    StepContext,
    step_error_from_kube,
    step_error_from_ontap,
)
from ontap.errors import OntapError

__all__ = [
    "KEPT_FOR_RESTORE",
    "SEED_SECRET_RESOURCE",
    "SeedSecretStep",
    "seed_secret_reference",
]

# The entry of `status.resources` that lets Gardener carry the seed secret to a new seed on migration.
SEED_SECRET_RESOURCE = "ontap-svm-credentials"

# The reason of the migrate outcome when the secret is there for gardenlet to carry to the new seed.
KEPT_FOR_RESTORE = "KeptForRestore"


def seed_secret_reference(secret_name: str) -> dict[str, Any]:
    """The `status.resources` entry naming the seed secret.

    gardenlet copies every resource referenced there into the ShootState when the shoot's control plane
    migrates, and creates it in the new seed's namespace before it asks for the restore.
    """
    return {
        "name": SEED_SECRET_RESOURCE,
        "resourceRef": {"apiVersion": "v1", "kind": "Secret", "name": secret_name},
    }


class SeedSecretStep:
    """The seed secret holds the account's confirmed password; finishes any pending change on ONTAP."""

    name = "seed-secret"
    condition_type = "SeedSecretReady"

    async def reconcile(self, ctx: StepContext) -> StepOutcome:
        facts: CredentialsFacts | None = ctx.state.credentials
        svm = ctx.state.svm
        if facts is None or svm is None:
            raise self._error(
                "WaitingForAccount", "the account step has not observed the ONTAP account in this pass"
            )
        ref = secret_ref(ctx)
        username = facts.view.username
        account_ref = f"ONTAP account {username} on SVM {svm.name}"
        todo = remaining(facts.plan, facts.done)
        if any(action in ACCOUNT_ACTIONS for action in todo):
            raise self._error(
                "AccountMissing", f"{account_ref} is missing; the account step creates it", account_ref
            )
        port = ShootCredentials(ctx, ctx.client(), svm, username, self.name, self.condition_type)
        try:
            run = await execute(todo, facts.view, port)
        except PasswordNotAccepted:
            raise self._error(
                "PasswordNotAccepted",
                f"{account_ref} rejects the password stored in {ref}; the next pass retries",
                account_ref,
            ) from None
        except OntapError as exc:
            raise step_error_from_ontap(
                self.name, self.condition_type, exc, object_ref=account_ref, doing="changing the password"
            ) from exc
        view, actions = run.view, list(run.actions)
        if Action.PROMOTE_PENDING in run.done:
            metrics.count_password_change(change_cause(facts.observation))
        if view.password is None:
            raise self._error("SeedSecretCorrupt", f"{ref}: {view.problem or 'no password'}", ref)
        # Label/annotation drift is repaired too; `apply_secret` writes nothing when all is in place.
        before = view.stored.resource_version if view.stored else ""
        view = await write_seed_secret(
            ctx, view, confirmed_data(username, view.password), self.name, self.condition_type
        )
        if view.stored is not None and view.stored.resource_version != before and not actions:
            actions.append(f"repaired labels/annotations of {ref}")
        if facts.plan.clears_rotation and ctx.rotation_requested:
            await remove_annotation(ctx.api_client, ctx.namespace, ctx.extension_name, ROTATE_ANNOTATION)
            actions.append("credential rotation completed")
        assert view.password is not None
        ctx.state.seed_credentials = SeedCredentials(
            username, view.password, ctx.config.seed_secret_name, ctx.namespace
        )
        if actions:
            ctx.bind_log(step=self.name, secret=ref, account=username).info(
                "seed secret repaired", reason=facts.plan.reason, actions=actions
            )
            await ctx.events.normal("SeedSecretRepaired", f"{facts.plan.reason}: " + "; ".join(actions))
        return StepOutcome(
            step=self.name,
            condition_type=self.condition_type,
            status=ConditionStatus.TRUE,
            reason="SeedSecretReady",
            message=f"{ref} holds the password of {account_ref}, verified by logging in",
            changed=bool(actions),
            actions=tuple(actions),
        )

    def _error(self, reason: str, message: str, object_ref: str = "") -> StepError:
        return StepError(
            self.name,
            self.condition_type,
            reason=reason,
            message=message,
            codes=(ErrorCode.RETRYABLE_INFRA_DEPENDENCIES,),
            object_ref=object_ref,
        )

    async def migrate(self, ctx: StepContext) -> StepOutcome:
        """Keep the seed secret for the restore (gardenlet carries it via `status.resources`); say whether
        it exists, for without it the restore resets the account's password."""
        ref = f"Secret {ctx.namespace}/{ctx.config.seed_secret_name}"
        try:
            kept = await get_secret(ctx.api_client, ctx.namespace, ctx.config.seed_secret_name) is not None
        except ApiException as exc:
            raise step_error_from_kube(
                self.name,
                self.condition_type,
                exc,
                reason="SeedSecretReadFailed",
                object_ref=ref,
                api="GET /api/v1/namespaces/{namespace}/secrets/{name}",
                doing="reading",
            ) from None
        return StepOutcome(
            step=self.name,
            condition_type=self.condition_type,
            status=ConditionStatus.TRUE,
            reason=KEPT_FOR_RESTORE if kept else "Missing",
            message=(
                f"{ref} is kept and referenced in status.resources for the restore"
                if kept
                else f"{ref} does not exist; the restore resets the account's password"
            ),
        )

    async def delete(self, ctx: StepContext) -> StepOutcome:
        """Delete the seed secret, but only once the account is gone: else its password would be lost."""
        ref = f"Secret {ctx.namespace}/{ctx.config.seed_secret_name}"
        if not ctx.state.account_gone:
            raise StepError(
                self.name,
                self.condition_type,
                reason="WaitingForAccountDeletion",
                message=f"{ref} is kept until the ONTAP account it holds the password of is deleted",
                codes=(ErrorCode.RETRYABLE_INFRA_DEPENDENCIES,),
                object_ref=ref,
            )
        try:
            deleted = await delete_secret(ctx.api_client, ctx.namespace, ctx.config.seed_secret_name)
        except ApiException as exc:
            raise step_error_from_kube(
                self.name,
                self.condition_type,
                exc,
                reason="SeedSecretDeleteFailed",
                object_ref=ref,
                api="DELETE /api/v1/namespaces/{namespace}/secrets/{name}",
                doing="deleting",
            ) from None
        return StepOutcome(
            step=self.name,
            condition_type=self.condition_type,
            status=ConditionStatus.TRUE,
            reason="Deleted",
            message=f"{ref} deleted" if deleted else f"{ref} was already gone",
            changed=deleted,
            actions=(f"deleted {ref}",) if deleted else (),
        )

"""The seed secret: the shoot's ONTAP account credentials, verified against ONTAP and repaired on every pass.

Layout (namespace = the shoot's seed namespace, name from config `seed_secret_name`):
  data `username`, `password`           the account's confirmed credentials
  data `pending-password` (optional)     a new password that is written BEFORE ONTAP is changed
The pending key is what makes every crash recoverable: a password is never only in memory. The next pass sees
the pending key, proves by logging in whether ONTAP already has it, and finishes the rotation (see
docs/seed-secret.md for the table of crash points).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from kubernetes_asyncio import client as k8s
from kubernetes_asyncio.client.exceptions import ApiException
from pydantic import SecretStr

from controller.credentials import SeedCredentials, generate_password, register_secret
from controller.errorcodes import ErrorCode
from controller.kube.secrets import SecretConflict, StoredSecret, apply_secret, delete_secret, get_secret
from controller.steps.base import ConditionStatus, StepError, StepOutcome
from controller.steps.context import (
    ROTATE_ANNOTATION,
    StepContext,
    step_error_from_kube,
    step_error_from_ontap,
)
from ontap.errors import OntapError

USERNAME_KEY = "username"
PASSWORD_KEY = "password"
PENDING_KEY = "pending-password"
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY = "gardener-extension-ontap"
PROJECT_LABEL = "ontap.extensions.gardener.cloud/project"
CLUSTER_ANNOTATION = "ontap.extensions.gardener.cloud/ontap-cluster"
SVM_ANNOTATION = "ontap.extensions.gardener.cloud/svm"

# The entry of `status.resources` that lets Gardener carry the seed secret to a new seed on migration.
SEED_SECRET_RESOURCE = "ontap-svm-credentials"

# The reason of the migrate outcome when the secret is there for gardenlet to carry to the new seed.
KEPT_FOR_RESTORE = "KeptForRestore"

# Pass-state keys shared by the account and seed-secret steps.
STATE_SECRET = "seed_secret_view"
STATE_OBSERVATION = "credentials_observation"
STATE_ACCOUNT_GONE = "account_deleted"


class SecretCondition(StrEnum):
    MISSING = "missing"
    CORRUPT = "corrupt"
    VALID = "valid"


class Login(StrEnum):
    """The answer of ONTAP when authenticating as the account with one password."""

    OK = "ok"
    REJECTED = "rejected"
    NOT_TRIED = "not-tried"


class Action(StrEnum):
    STAGE_NEW_PASSWORD = "stage-new-password"
    CREATE_ACCOUNT_WITH_CURRENT = "create-account-with-current-password"
    CREATE_ACCOUNT_WITH_PENDING = "create-account-with-pending-password"
    SET_PASSWORD_TO_PENDING = "set-ontap-password-to-pending"
    VERIFY_CURRENT = "verify-current-password"
    VERIFY_PENDING = "verify-pending-password"
    PROMOTE_PENDING = "promote-pending-password"


ACCOUNT_ACTIONS = frozenset({Action.CREATE_ACCOUNT_WITH_CURRENT, Action.CREATE_ACCOUNT_WITH_PENDING})


@dataclass(frozen=True)
class SecretView:
    """The seed secret as the decision sees it; `problem` says why it is corrupt."""

    condition: SecretCondition
    username: str
    password: SecretStr | None = None
    pending: SecretStr | None = None
    problem: str = ""
    stored: StoredSecret | None = None

    @property
    def has_pending(self) -> bool:
        return self.pending is not None


@dataclass(frozen=True)
class CredentialsObservation:
    """What one pass observed about the account and its secret; a successful login implies the account."""

    secret: SecretCondition
    has_pending: bool
    account_exists: bool
    current_login: Login = Login.NOT_TRIED
    pending_login: Login = Login.NOT_TRIED
    rotate: bool = False


@dataclass(frozen=True)
class CredentialsPlan:
    """The ordered actions that bring account and secret to a working state, and why."""

    actions: tuple[Action, ...]
    reason: str

    @property
    def clears_rotation(self) -> bool:
        return Action.PROMOTE_PENDING in self.actions

    def without(self, done: frozenset[Action]) -> CredentialsPlan:
        return CredentialsPlan(tuple(a for a in self.actions if a not in done), self.reason)


def seed_secret_reference(secret_name: str) -> dict[str, Any]:
    """The `status.resources` entry naming the seed secret.

    gardenlet copies every resource referenced there into the ShootState when the shoot's control plane
    migrates, and creates it in the new seed's namespace before it asks for the restore.
    """
    return {
        "name": SEED_SECRET_RESOURCE,
        "resourceRef": {"apiVersion": "v1", "kind": "Secret", "name": secret_name},
    }


def view_secret(stored: StoredSecret | None, expected_username: str) -> SecretView:
    """Classify the stored secret: missing, corrupt (which key is wrong) or valid."""
    if stored is None:
        return SecretView(SecretCondition.MISSING, expected_username)
    data = stored.data
    pending_value = data.get(PENDING_KEY) or ""
    pending = SecretStr(pending_value) if pending_value else None
    username = data.get(USERNAME_KEY)
    password = data.get(PASSWORD_KEY)
    problem = ""
    if username is None:
        problem = f"key {USERNAME_KEY!r} is missing"
    elif username != expected_username:
        problem = f"key {USERNAME_KEY!r} names {username!r} instead of {expected_username!r}"
    elif password is None:
        problem = f"key {PASSWORD_KEY!r} is missing"
    elif not password:
        problem = f"key {PASSWORD_KEY!r} is empty"
    for value in (password, pending_value):
        if value:
            register_secret(value)
    if problem:
        # A password next to a wrong username belongs to someone else: never use or keep it.
        kept = SecretStr(password) if password and username == expected_username else None
        return SecretView(SecretCondition.CORRUPT, expected_username, kept, pending, problem, stored)
    return SecretView(
        SecretCondition.VALID, expected_username, SecretStr(password or ""), pending, "", stored
    )


def logins_to_try(view: SecretView) -> tuple[str, ...]:
    """Which stored passwords the observation must test, in order: the pending one first, it is newer."""
    if view.has_pending:
        return ("pending",)
    if view.condition is SecretCondition.VALID:
        return ("current",)
    return ()


def decide_credentials(obs: CredentialsObservation) -> CredentialsPlan:
    """Pure: the actions that reach {account exists, secret correct, its password works} in one pass."""
    if obs.has_pending:
        if obs.pending_login is Login.OK:
            return CredentialsPlan((Action.PROMOTE_PENDING,), "ONTAP already accepts the pending password")
        if not obs.account_exists:
            return CredentialsPlan(
                (Action.CREATE_ACCOUNT_WITH_PENDING, Action.VERIFY_PENDING, Action.PROMOTE_PENDING),
                "the account is missing; it is created with the pending password",
            )
        return CredentialsPlan(
            (Action.SET_PASSWORD_TO_PENDING, Action.VERIFY_PENDING, Action.PROMOTE_PENDING),
            "a pending password is not yet active on ONTAP",
        )
    secret_usable = obs.secret is SecretCondition.VALID
    if secret_usable and obs.current_login is Login.OK:
        if obs.rotate:
            return CredentialsPlan(
                (
                    Action.STAGE_NEW_PASSWORD,
                    Action.SET_PASSWORD_TO_PENDING,
                    Action.VERIFY_PENDING,
                    Action.PROMOTE_PENDING,
                ),
                "credential rotation was requested",
            )
        return CredentialsPlan((), "the account exists and the seed secret's password works")
    if not obs.account_exists:
        if secret_usable and not obs.rotate:
            return CredentialsPlan(
                (Action.CREATE_ACCOUNT_WITH_CURRENT, Action.VERIFY_CURRENT),
                "the account is missing; it is created with the password the seed secret already holds",
            )
        return CredentialsPlan(
            (
                Action.STAGE_NEW_PASSWORD,
                Action.CREATE_ACCOUNT_WITH_PENDING,
                Action.VERIFY_PENDING,
                Action.PROMOTE_PENDING,
            ),
            "the account is missing and the seed secret holds no usable password",
        )
    why = (
        "ONTAP rejects the seed secret's password"
        if secret_usable
        else f"the seed secret is {obs.secret.value}; the account's password is reset"
    )
    return CredentialsPlan(
        (
            Action.STAGE_NEW_PASSWORD,
            Action.SET_PASSWORD_TO_PENDING,
            Action.VERIFY_PENDING,
            Action.PROMOTE_PENDING,
        ),
        why,
    )


def staged_data(view: SecretView, new_password: SecretStr) -> dict[str, str]:
    """Secret data with a new pending password; the current password stays while it is the live one."""
    data = {USERNAME_KEY: view.username, PENDING_KEY: new_password.get_secret_value()}
    if view.password is not None:
        data[PASSWORD_KEY] = view.password.get_secret_value()
    return data


def confirmed_data(username: str, password: SecretStr) -> dict[str, str]:
    """Secret data once ONTAP accepted `password`: no pending key left."""
    return {USERNAME_KEY: username, PASSWORD_KEY: password.get_secret_value()}


def secret_labels(ctx: StepContext) -> dict[str, str]:
    return {MANAGED_BY_LABEL: MANAGED_BY, PROJECT_LABEL: ctx.shoot.project_id}


def secret_annotations(ctx: StepContext) -> dict[str, str]:
    annotations = {}
    cluster = ctx.state.get("cluster")
    if cluster:
        annotations[CLUSTER_ANNOTATION] = str(cluster)
    svm = ctx.state.get("svm")
    if svm is not None:
        annotations[SVM_ANNOTATION] = svm.name
    return annotations


async def read_seed_secret(ctx: StepContext, expected_username: str) -> SecretView:
    """Read (live) and classify the seed secret."""
    stored = await get_secret(ctx.api_client, ctx.namespace, ctx.config.seed_secret_name)
    return view_secret(stored, expected_username)


async def write_seed_secret(
    ctx: StepContext, view: SecretView, data: dict[str, str], step: str, cond: str
) -> SecretView:
    """Write the seed secret (only when content differs) and return its new view."""
    ref = f"Secret {ctx.namespace}/{ctx.config.seed_secret_name}"
    try:
        stored, _ = await apply_secret(
            ctx.api_client,
            ctx.namespace,
            ctx.config.seed_secret_name,
            data,
            labels=secret_labels(ctx),
            annotations=secret_annotations(ctx),
            current=view.stored,
        )
    except SecretConflict as exc:
        raise StepError(
            step,
            cond,
            reason="SeedSecretConflict",
            message=f"{ref}: changed by someone else while being written ({exc}); re-read next pass",
            codes=(ErrorCode.RETRYABLE_INFRA_DEPENDENCIES,),
            object_ref=ref,
            api="PUT /api/v1/namespaces/{namespace}/secrets/{name}",
            retry_after=1.0,
        ) from None
    except ApiException as exc:
        raise step_error_from_kube(
            step,
            cond,
            exc,
            reason="SeedSecretWriteFailed",
            object_ref=ref,
            api="PUT /api/v1/namespaces/{namespace}/secrets/{name}",
            doing="writing",
        ) from None
    return view_secret(stored, view.username)


async def clear_rotation_annotation(ctx: StepContext) -> None:
    """Remove the rotation request from the Extension once the new password is confirmed."""
    patch = {"metadata": {"annotations": {ROTATE_ANNOTATION: None}}}
    await k8s.CustomObjectsApi(ctx.api_client).patch_namespaced_custom_object(
        "extensions.gardener.cloud",
        "v1alpha1",
        ctx.namespace,
        "extensions",
        ctx.extension_name,
        patch,
        _content_type="application/merge-patch+json",  # type: ignore[call-arg]
    )


class SeedSecretStep:
    """The seed secret holds the account's confirmed password; finishes any pending change on ONTAP."""

    name = "seed-secret"
    condition_type = "SeedSecretReady"

    async def reconcile(self, ctx: StepContext) -> StepOutcome:
        from controller.steps import account as account_step

        observation: CredentialsObservation | None = ctx.state.get(STATE_OBSERVATION)
        view: SecretView | None = ctx.state.get(STATE_SECRET)
        svm = ctx.state.get("svm")
        if observation is None or view is None or svm is None:
            raise self._error(
                "WaitingForAccount", "the account step has not observed the ONTAP account in this pass"
            )
        ref = f"Secret {ctx.namespace}/{ctx.config.seed_secret_name}"
        username = view.username
        account_ref = f"ONTAP account {username} on SVM {svm.name}"
        plan = decide_credentials(observation)
        if any(action in ACCOUNT_ACTIONS for action in plan.actions):
            raise self._error(
                "AccountMissing", f"{account_ref} is missing; the account step creates it", account_ref
            )
        actions: list[str] = []
        client = ctx.client()
        try:
            for action in plan.actions:
                if action is Action.STAGE_NEW_PASSWORD:
                    # Kubernetes first: a crash from here on leaves the password where the next pass finds it.
                    new_password = generate_password(ctx.config.password_length, username=username)
                    view = await self._write(ctx, view, staged_data(view, new_password))
                    actions.append(f"staged a new password in {ref}")
                elif action is Action.SET_PASSWORD_TO_PENDING:
                    assert view.pending is not None
                    await account_step.set_account_password(client, svm, username, view.pending, ctx.state)
                    actions.append(f"set the password of {account_ref} to the staged one")
                elif action in (Action.VERIFY_PENDING, Action.VERIFY_CURRENT):
                    password = view.pending if action is Action.VERIFY_PENDING else view.password
                    assert password is not None
                    if (
                        await account_step.login(
                            client, svm, username, password, account_step.login_address(ctx), ctx.state
                        )
                        is not Login.OK
                    ):
                        raise self._error(
                            "PasswordNotAccepted",
                            f"{account_ref} rejects the password stored in {ref}; the next pass retries",
                            account_ref,
                        )
                elif action is Action.PROMOTE_PENDING:
                    # Only now, with ONTAP confirmed, does the new password become the live one.
                    assert view.pending is not None
                    view = await self._write(ctx, view, confirmed_data(username, view.pending))
                    actions.append(f"confirmed the new password in {ref}")
        except OntapError as exc:
            raise step_error_from_ontap(
                self.name, self.condition_type, exc, object_ref=account_ref, doing="changing the password"
            ) from exc
        if view.password is None:
            raise self._error("SeedSecretCorrupt", f"{ref}: {view.problem or 'no password'}", ref)
        # Label/annotation drift is repaired too; `apply_secret` writes nothing when all is in place.
        before = view.stored.resource_version if view.stored else ""
        view = await self._write(ctx, view, confirmed_data(username, view.password))
        if view.stored is not None and view.stored.resource_version != before and not actions:
            actions.append(f"repaired labels/annotations of {ref}")
        if plan.clears_rotation and ctx.rotation_requested:
            await clear_rotation_annotation(ctx)
            actions.append("credential rotation completed")
        assert view.password is not None
        ctx.state.put(
            "seed_credentials",
            SeedCredentials(username, view.password, ctx.config.seed_secret_name, ctx.namespace),
        )
        ctx.state.put(STATE_SECRET, view)
        ctx.state.put(STATE_OBSERVATION, replace(observation, has_pending=False, current_login=Login.OK))
        if actions:
            ctx.bind_log(step=self.name, secret=ref, account=username).info(
                "seed secret repaired", reason=plan.reason, actions=actions
            )
            await ctx.events.normal("SeedSecretRepaired", f"{plan.reason}: " + "; ".join(actions))
        return StepOutcome(
            step=self.name,
            condition_type=self.condition_type,
            status=ConditionStatus.TRUE,
            reason="SeedSecretReady",
            message=f"{ref} holds the password of {account_ref}, verified by logging in",
            changed=bool(actions),
            actions=tuple(actions),
        )

    async def _write(self, ctx: StepContext, view: SecretView, data: dict[str, str]) -> SecretView:
        return await write_seed_secret(ctx, view, data, self.name, self.condition_type)

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
        if not ctx.state.get(STATE_ACCOUNT_GONE):
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

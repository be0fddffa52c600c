"""The credentials engine's I/O for one shoot: the seed secret in Kubernetes, the account on ONTAP,
and this pass's memo of logins, so that no password is tried twice in a pass."""

from __future__ import annotations

import hashlib
from typing import Any

from kubernetes_asyncio.client.exceptions import ApiException
from pydantic import SecretStr

from controller.credentials.passwords import generate_password
from controller.credentials.plan import (
    CredentialsObservation,
    Login,
    SecretView,
    confirmed_data,
    logins_to_try,
    staged_data,
    view_secret,
)
from controller.errorcodes import ErrorCode
from controller.kube.secrets import SecretConflict, apply_secret, get_secret
from controller.steps.base import StepError
from controller.steps.context import StepContext, step_error_from_kube
from ontap.models import AccountInfo
from ontap.provisioning import account as ontap_account
from ontap.provisioning.account import DesiredAccount, LoginResult, LoginStatus

MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY = "gardener-extension-ontap"
PROJECT_LABEL = "ontap.extensions.gardener.cloud/project"
CLUSTER_ANNOTATION = "ontap.extensions.gardener.cloud/ontap-cluster"
SVM_ANNOTATION = "ontap.extensions.gardener.cloud/svm"


def _fingerprint(username: str, password: SecretStr) -> str:
    return hashlib.sha256(f"{username}\0{password.get_secret_value()}".encode()).hexdigest()


def remember_login(state: Any, username: str, password: SecretStr, result: LoginResult) -> None:
    """Record a login answer of this pass so later steps need not ask ONTAP again."""
    results = dict(state.logins)
    results[_fingerprint(username, password)] = result
    state.logins = results


def forget_logins(state: Any) -> None:
    """After a change on ONTAP, earlier answers of this pass no longer hold."""
    state.logins = {}


def login_address(ctx: StepContext) -> str:
    """Where the shoot's account logs in: the SVM's management LIF of the providerConfig."""
    assert ctx.provider_config is not None
    return str(ctx.provider_config.management_lif)


async def login_as(
    ctx: StepContext, client: Any, svm: Any, username: str, password: SecretStr
) -> LoginResult:
    """Authenticate as the account at the SVM's management LIF (reusing this pass's answer).

    An answer that is neither yes nor no (LIF unreachable, TLS refused, 403, ...) is raised, also
    when it comes from this pass's memo: a password is never judged wrong because ONTAP could not
    be asked, and the question is not asked twice in one pass.
    """
    key = _fingerprint(username, password)
    cached: LoginResult | None = ctx.state.logins.get(key)
    result = cached or await ontap_account.check_login(client, svm, username, password, login_address(ctx))
    if cached is None:
        remember_login(ctx.state, username, password, result)
    if result.status is LoginStatus.ERROR and result.error is not None:
        raise result.error
    return result


async def observe_credentials(
    ctx: StepContext, client: Any, svm: Any, view: SecretView
) -> tuple[CredentialsObservation, AccountInfo | None]:
    """Observe what the decision needs: at most one login, plus one admin read of the account
    unless this pass's observation already made it."""
    current_login = pending_login = Login.NOT_TRIED
    account: AccountInfo | None = None
    for which in logins_to_try(view):
        password = view.pending if which == "pending" else view.password
        assert password is not None
        result = await login_as(ctx, client, svm, view.username, password)
        answer = Login.OK if result.ok else Login.REJECTED
        account = result.account if result.ok else None
        if which == "pending":
            pending_login = answer
        else:
            current_login = answer
    if account is None:
        account = await ontap_account.find_account(client, svm, view.username)
    observation = CredentialsObservation(
        secret=view.condition,
        has_pending=view.has_pending,
        account_exists=account is not None,
        current_login=current_login,
        pending_login=pending_login,
        rotate=ctx.rotation_requested,
    )
    return observation, account


def secret_ref(ctx: StepContext) -> str:
    """`Secret <namespace>/<name>` of the seed secret."""
    return f"Secret {ctx.namespace}/{ctx.config.seed_secret_name}"


async def read_seed_secret(ctx: StepContext, expected_username: str) -> SecretView:
    """Read (live) and classify the seed secret."""
    stored = await get_secret(ctx.api_client, ctx.namespace, ctx.config.seed_secret_name)
    return view_secret(stored, expected_username)


def _labels(ctx: StepContext) -> dict[str, str]:
    return {MANAGED_BY_LABEL: MANAGED_BY, PROJECT_LABEL: ctx.shoot.project_id}


def _annotations(ctx: StepContext) -> dict[str, str]:
    annotations = {}
    cluster = ctx.state.cluster
    if cluster:
        annotations[CLUSTER_ANNOTATION] = str(cluster)
    svm = ctx.state.svm
    if svm is not None:
        annotations[SVM_ANNOTATION] = svm.name
    return annotations


def seed_secret_metadata(ctx: StepContext) -> tuple[dict[str, str], dict[str, str]]:
    """The labels and annotations the seed secret carries (from this pass's observations)."""
    return _labels(ctx), _annotations(ctx)


async def write_seed_secret(
    ctx: StepContext, view: SecretView, data: dict[str, str], step: str, cond: str
) -> SecretView:
    """Write the seed secret (only when content, labels or annotations differ) and return its new view."""
    ref = secret_ref(ctx)
    api = "PUT /api/v1/namespaces/{namespace}/secrets/{name}"
    labels, annotations = seed_secret_metadata(ctx)
    try:
        stored, _ = await apply_secret(
            ctx.api_client,
            ctx.namespace,
            ctx.config.seed_secret_name,
            data,
            labels=labels,
            annotations=annotations,
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
            api=api,
            retry_after=1.0,
        ) from None
    except ApiException as exc:
        raise step_error_from_kube(
            step, cond, exc, reason="SeedSecretWriteFailed", object_ref=ref, api=api, doing="writing"
        ) from None
    return view_secret(stored, view.username)


class ShootCredentials:
    """The production `CredentialsPort`: the shoot's seed secret and its account on the placed SVM.

    `step`/`condition` name who reports a failed Kubernetes write.
    """

    def __init__(self, ctx: StepContext, client: Any, svm: Any, username: str, step: str, condition: str):
        self.ctx = ctx
        self.client = client
        self.svm = svm
        self.username = username
        self.step = step
        self.condition = condition
        self.account_ref = f"ONTAP account {username} on SVM {svm.name}"

    def new_password(self) -> SecretStr:
        return generate_password(self.ctx.config.password_length, username=self.username)

    async def stage(self, view: SecretView, password: SecretStr) -> tuple[SecretView, str]:
        new_view = await write_seed_secret(
            self.ctx, view, staged_data(view, password), self.step, self.condition
        )
        return new_view, f"staged a new password in {secret_ref(self.ctx)}"

    async def promote(self, view: SecretView) -> tuple[SecretView, str]:
        assert view.pending is not None
        new_view = await write_seed_secret(
            self.ctx, view, confirmed_data(self.username, view.pending), self.step, self.condition
        )
        return new_view, f"confirmed the new password in {secret_ref(self.ctx)}"

    async def create_account(self, password: SecretStr) -> str:
        _, report = await ontap_account.ensure_account(
            self.client, self.svm, DesiredAccount(name=self.username, password=password)
        )
        forget_logins(self.ctx.state)  # answers from before the account existed no longer hold
        return "; ".join(report.actions) or f"created {self.account_ref}"

    async def set_password(self, password: SecretStr) -> str:
        await ontap_account.set_password(self.client, self.svm, self.username, password)
        forget_logins(self.ctx.state)
        return f"set the password of {self.account_ref} to the staged one"

    async def login(self, password: SecretStr) -> Login:
        result = await login_as(self.ctx, self.client, self.svm, self.username, password)
        return Login.OK if result.ok else Login.REJECTED

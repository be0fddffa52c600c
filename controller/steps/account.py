"""The shoot's SVM-scoped ONTAP account: observed by logging in as it, created when missing.

The login with the seed secret's password is the whole steady-state check (one ONTAP request): it proves that
the account exists and that the stored password works. Only when the login fails does the step ask ONTAP (as
admin) whether the account exists at all.
"""

from __future__ import annotations

import hashlib
from typing import Any

from pydantic import SecretStr

from controller.credentials import generate_password
from controller.errorcodes import ErrorCode
from controller.steps.base import ConditionStatus, StepError, StepOutcome
from controller.steps.context import StepContext, step_error_from_ontap
from controller.steps.seed_secret import (
    STATE_ACCOUNT_GONE,
    STATE_OBSERVATION,
    STATE_SECRET,
    Action,
    CredentialsObservation,
    Login,
    SecretView,
    decide_credentials,
    logins_to_try,
    read_seed_secret,
    staged_data,
    write_seed_secret,
)
from ontap.errors import OntapError
from ontap.models import AccountInfo
from ontap.naming import account_name
from ontap.provisioning import account as ontap_account
from ontap.provisioning import deletion
from ontap.provisioning.account import DesiredAccount, LoginResult, LoginStatus, decide_account

STATE_LOGINS = "login_results"


def _fingerprint(username: str, password: SecretStr) -> str:
    return hashlib.sha256(f"{username}\0{password.get_secret_value()}".encode()).hexdigest()


def remember_login(state: Any, username: str, password: SecretStr, result: LoginResult) -> None:
    """Record a login answer of this pass so later steps need not ask ONTAP again."""
    results = dict(state.get(STATE_LOGINS) or {})
    results[_fingerprint(username, password)] = result
    state.put(STATE_LOGINS, results)


def login_address(ctx: StepContext) -> str:
    """Where the shoot's account logs in: the SVM's management LIF of the providerConfig."""
    assert ctx.provider_config is not None
    return str(ctx.provider_config.management_lif)


async def login_as(
    client: Any, svm: Any, username: str, password: SecretStr, address: str, state: Any = None
) -> LoginResult:
    """Authenticate as the account at the SVM's management LIF (reusing this pass's answer).

    An answer that is neither yes nor no (LIF unreachable, TLS refused, 403, ...) is raised, also
    when it comes from this pass's memo: a password is never judged wrong because ONTAP could not
    be asked, and the question is not asked twice in one pass.
    """
    cached = None if state is None else (state.get(STATE_LOGINS) or {}).get(_fingerprint(username, password))
    result: LoginResult = (
        cached
        if cached is not None
        else await ontap_account.check_login(client, svm, username, password, address)
    )
    if state is not None and cached is None:
        remember_login(state, username, password, result)
    if result.status is LoginStatus.ERROR and result.error is not None:
        raise result.error
    return result


async def login(
    client: Any, svm: Any, username: str, password: SecretStr, address: str, state: Any = None
) -> Login:
    """OK when ONTAP accepts the password for the account, REJECTED otherwise."""
    result = await login_as(client, svm, username, password, address, state)
    return Login.OK if result.ok else Login.REJECTED


async def set_account_password(
    client: Any, svm: Any, username: str, password: SecretStr, state: Any = None
) -> None:
    """Set the account's password on ONTAP; earlier login answers of this pass no longer hold."""
    await ontap_account.set_password(client, svm, username, password)
    if state is not None:
        state.put(STATE_LOGINS, {})


async def observe_credentials(
    ctx: StepContext, client: Any, svm: Any, view: SecretView
) -> tuple[CredentialsObservation, AccountInfo | None]:
    """Observe what the decision needs: at most one login, plus one admin read of the account
    unless this pass's observation already made it."""
    username = view.username
    current_login = pending_login = Login.NOT_TRIED
    account: AccountInfo | None = None
    for which in logins_to_try(view):
        password = view.pending if which == "pending" else view.password
        assert password is not None
        result = await login_as(client, svm, username, password, login_address(ctx), ctx.state)
        answer = Login.OK if result.ok else Login.REJECTED
        account = result.account if result.ok else None
        if which == "pending":
            pending_login = answer
        else:
            current_login = answer
    if account is None:
        account = await ontap_account.find_account(client, svm, username)
    observation = CredentialsObservation(
        secret=view.condition,
        has_pending=view.has_pending,
        account_exists=account is not None,
        current_login=current_login,
        pending_login=pending_login,
        rotate=ctx.rotation_requested,
    )
    return observation, account


def _role_only(username: str) -> DesiredAccount:
    """The desired account for in-place fixes; `ensure_account` never sets the password of an existing one."""
    return DesiredAccount(name=username, password=SecretStr("unused-for-existing-accounts-0"))


class AccountStep:
    """The shoot's ONTAP account exists, with a password the seed secret holds durably."""

    name = "account"
    condition_type = "AccountReady"

    async def reconcile(self, ctx: StepContext) -> StepOutcome:
        svm = ctx.state.get("svm")
        if svm is None:
            raise StepError(
                self.name,
                self.condition_type,
                reason="WaitingForSvm",
                message="the SVM was not observed in this pass",
                codes=(ErrorCode.RETRYABLE_INFRA_DEPENDENCIES,),
            )
        client = ctx.client()
        username = account_name(ctx.shoot.technical_id)
        object_ref = f"ONTAP account {username} on SVM {svm.name}"
        log = ctx.bind_log(step=self.name, account=username, svm=svm.name)
        view = await read_seed_secret(ctx, username)
        actions: list[str] = []
        try:
            observation, account = await observe_credentials(ctx, client, svm, view)
            plan = decide_credentials(observation)
            if (
                Action.STAGE_NEW_PASSWORD in plan.actions
                and Action.CREATE_ACCOUNT_WITH_PENDING in plan.actions
            ):
                # The password goes to Kubernetes before ONTAP hears of it: a crash cannot lose it.
                new_password = generate_password(ctx.config.password_length, username=username)
                view = await write_seed_secret(
                    ctx, view, staged_data(view, new_password), self.name, self.condition_type
                )
                actions.append(
                    f"staged a password for the new account in Secret {ctx.namespace}/"
                    f"{ctx.config.seed_secret_name}"
                )
            create_with = None
            if Action.CREATE_ACCOUNT_WITH_PENDING in plan.actions:
                create_with = view.pending
            elif Action.CREATE_ACCOUNT_WITH_CURRENT in plan.actions:
                create_with = view.password
            if create_with is not None:
                _, report = await ontap_account.ensure_account(
                    client, svm, DesiredAccount(name=username, password=create_with)
                )
                actions.extend(report.actions or [f"created {object_ref}"])
                ctx.state.put(STATE_LOGINS, {})  # answers from before the account existed no longer hold
                # Prove the new account takes the stored password; the seed-secret step then only confirms it.
                answer = await login(client, svm, username, create_with, login_address(ctx), ctx.state)
                if answer is not Login.OK:
                    raise StepError(
                        self.name,
                        self.condition_type,
                        reason="PasswordNotAccepted",
                        message=f"{object_ref} was created but rejects the password it was created with",
                        codes=(ErrorCode.RETRYABLE_INFRA_DEPENDENCIES,),
                        object_ref=object_ref,
                    )
                created_with_pending = create_with is view.pending
                observation = CredentialsObservation(
                    secret=view.condition,
                    has_pending=view.has_pending,
                    account_exists=True,
                    current_login=Login.NOT_TRIED if created_with_pending else Login.OK,
                    pending_login=Login.OK if created_with_pending else Login.NOT_TRIED,
                    rotate=observation.rotate,
                )
            elif account is not None and not decide_account(account, _role_only(username)).nothing_to_do:
                # Role, lock or login applications drifted: fixed in place, the password is left alone.
                _, report = await ontap_account.ensure_account(client, svm, _role_only(username))
                actions.extend(report.actions)
        except OntapError as exc:
            raise step_error_from_ontap(
                self.name,
                self.condition_type,
                exc,
                object_ref=object_ref,
                doing="observing/creating the account",
            ) from exc
        ctx.state.put(STATE_SECRET, view)
        ctx.state.put(STATE_OBSERVATION, observation)
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
        username = account_name(ctx.shoot.technical_id)
        svm = ctx.state.get("svm")
        if svm is None:
            ctx.state.put(STATE_ACCOUNT_GONE, True)
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
        ctx.state.put(STATE_ACCOUNT_GONE, True)
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

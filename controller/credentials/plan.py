"""The credentials decision: what the seed secret and a login say, and what to do about it (pure).

Layout of the seed secret (namespace = the shoot's seed namespace, name from config `seed_secret_name`):
  data `username`, `password`           the account's confirmed credentials
  data `pending-password` (optional)     a new password that is written BEFORE ONTAP is changed
The pending key is what makes every crash recoverable: a password is never only in memory. The next pass sees
the pending key, proves by logging in whether ONTAP already has it, and finishes the rotation (see
docs/seed-secret.md for the table of crash points).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pydantic import SecretStr

from controller.credentials.passwords import register_secret
from controller.kube.secrets import StoredSecret

USERNAME_KEY = "username"
PASSWORD_KEY = "password"
PENDING_KEY = "pending-password"


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


def change_cause(obs: CredentialsObservation) -> str:
    """Why a plan that ends in a new live password was needed, as one of a few fixed words (for metrics).

    `pending`: finishing a change an earlier pass began; `rotation`: asked for; otherwise the repair:
    `account-missing`, `secret-missing`, `secret-corrupt` or `rejected` (ONTAP refused the password).
    """
    if obs.has_pending:
        return "pending"
    if obs.rotate and obs.secret is SecretCondition.VALID and obs.current_login is Login.OK:
        return "rotation"
    if not obs.account_exists:
        return "account-missing"
    if obs.secret is SecretCondition.MISSING:
        return "secret-missing"
    if obs.secret is SecretCondition.CORRUPT:
        return "secret-corrupt"
    return "rejected"


def staged_data(view: SecretView, new_password: SecretStr) -> dict[str, str]:
    """Secret data with a new pending password; the current password stays while it is the live one."""
    data = {USERNAME_KEY: view.username, PENDING_KEY: new_password.get_secret_value()}
    if view.password is not None:
        data[PASSWORD_KEY] = view.password.get_secret_value()
    return data


def confirmed_data(username: str, password: SecretStr) -> dict[str, str]:
    """Secret data once ONTAP accepted `password`: no pending key left."""
    return {USERNAME_KEY: username, PASSWORD_KEY: password.get_secret_value()}


@dataclass(frozen=True)
class CredentialsFacts:
    """The pass's credentials decision: the plan (decided once), what is done, the secret as it is now."""

    view: SecretView
    observation: CredentialsObservation
    plan: CredentialsPlan
    done: tuple[Action, ...] = ()

"""The credentials decision over the whole state matrix, proven by running each plan through the real
executor (`controller.credentials.engine.execute`) over an in-memory port that can crash after any write.

Matrix: account {exists, missing} x secret {missing, corrupt (4 ways), valid} x {secret password works on
ONTAP, no longer works} x pending password {none, already on ONTAP, not on ONTAP} x rotation requested
{no, yes}.
Every combination must reach {account exists, secret valid, its password works, nothing pending} in ONE pass,
and a crash after any single write must be finished by the next pass.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field

import pytest
from pydantic import SecretStr

from controller.credentials.engine import account_phase, execute, remaining
from controller.credentials.plan import (
    PASSWORD_KEY,
    PENDING_KEY,
    USERNAME_KEY,
    Action,
    CredentialsObservation,
    Login,
    SecretCondition,
    SecretView,
    confirmed_data,
    decide_credentials,
    logins_to_try,
    staged_data,
    view_secret,
)
from controller.kube.secrets import StoredSecret

USER = "shoot--proj--s1"
WRITES = {
    Action.STAGE_NEW_PASSWORD,
    Action.CREATE_ACCOUNT_WITH_CURRENT,
    Action.CREATE_ACCOUNT_WITH_PENDING,
    Action.SET_PASSWORD_TO_PENDING,
    Action.PROMOTE_PENDING,
}


class Crash(Exception):
    pass


@dataclass
class World:
    """ONTAP's account (None = missing, else its password) and the seed secret's data (None = missing)."""

    account_password: str | None
    secret: dict[str, str] | None
    counter: int = 0
    ontap_writes: list[str] = field(default_factory=list)

    def stored(self) -> StoredSecret | None:
        if self.secret is None:
            return None
        return StoredSecret(namespace="ns", name="ontap-svm-credentials", data=dict(self.secret))

    def login(self, password: SecretStr) -> Login:
        ok = self.account_password is not None and self.account_password == password.get_secret_value()
        return Login.OK if ok else Login.REJECTED

    def observe(self, rotate: bool) -> CredentialsObservation:
        view = view_secret(self.stored(), USER)
        current = pending = Login.NOT_TRIED
        for which in logins_to_try(view):
            if which == "pending":
                assert view.pending is not None
                pending = self.login(view.pending)
            else:
                assert view.password is not None
                current = self.login(view.password)
        return CredentialsObservation(
            secret=view.condition,
            has_pending=view.has_pending,
            account_exists=self.account_password is not None,
            current_login=current,
            pending_login=pending,
            rotate=rotate,
        )

    def run_pass(self, rotate: bool, crash_after_writes: int | None = None) -> list[Action]:
        """One pass: observe, decide, and run the plan through the controller's own executor."""
        plan = decide_credentials(self.observe(rotate))
        port = ModelPort(self, crash_after_writes)
        asyncio.run(execute(plan.actions, view_secret(self.stored(), USER), port))
        return list(plan.actions)

    def working(self) -> bool:
        view = view_secret(self.stored(), USER)
        return (
            view.condition is SecretCondition.VALID
            and not view.has_pending
            and view.password is not None
            and self.login(view.password) is Login.OK
        )


class ModelPort:
    """The executor's port over the model: each write is applied, then maybe the process "crashes"."""

    def __init__(self, world: World, crash_after_writes: int | None) -> None:
        self.world = world
        self.crash_after_writes = crash_after_writes
        self.writes = 0

    def _wrote(self) -> None:
        self.writes += 1
        if self.crash_after_writes is not None and self.writes == self.crash_after_writes:
            raise Crash

    def _view(self) -> SecretView:
        return view_secret(self.world.stored(), USER)

    def new_password(self) -> SecretStr:
        self.world.counter += 1
        return SecretStr(f"generated{self.world.counter}X")

    async def stage(self, view: SecretView, password: SecretStr) -> tuple[SecretView, str]:
        self.world.secret = staged_data(view, password)
        self._wrote()
        return self._view(), "staged"

    async def promote(self, view: SecretView) -> tuple[SecretView, str]:
        assert view.pending is not None
        self.world.secret = confirmed_data(USER, view.pending)
        self._wrote()
        return self._view(), "promoted"

    async def create_account(self, password: SecretStr) -> str:
        assert self.world.account_password is None
        self.world.account_password = password.get_secret_value()
        self._wrote()
        return "created"

    async def set_password(self, password: SecretStr) -> str:
        assert self.world.account_password is not None
        self.world.account_password = password.get_secret_value()
        self._wrote()
        return "set"

    async def login(self, password: SecretStr) -> Login:
        return self.world.login(password)


SECRETS = {
    "missing": None,
    "no-username-key": {PASSWORD_KEY: "secretpw1"},
    "wrong-username": {USERNAME_KEY: "someone-else", PASSWORD_KEY: "secretpw1"},
    "no-password-key": {USERNAME_KEY: USER},
    "empty-password": {USERNAME_KEY: USER, PASSWORD_KEY: ""},
    "valid": {USERNAME_KEY: USER, PASSWORD_KEY: "secretpw1"},
}
ACCOUNTS = {"missing": None, "has-secret-password": "secretpw1", "has-other-password": "driftedpw9"}
PENDING = {"none": None, "on-ontap": "pendingpw7", "not-on-ontap": "pendingpw8"}


def world(secret: str, account: str, pending: str) -> World:
    data = None if SECRETS[secret] is None else dict(SECRETS[secret] or {})
    account_password = ACCOUNTS[account]
    if PENDING[pending] is not None:
        data = dict(data or {USERNAME_KEY: USER})
        data[PENDING_KEY] = PENDING[pending] or ""
        if pending == "on-ontap" and account_password is not None:
            account_password = PENDING[pending]
    return World(account_password, data)


MATRIX = list(itertools.product(SECRETS, ACCOUNTS, PENDING, [False, True]))


@pytest.mark.parametrize(("secret", "account", "pending", "rotate"), MATRIX)
def test_every_state_reaches_a_working_state_in_one_pass(
    secret: str, account: str, pending: str, rotate: bool
) -> None:
    w = world(secret, account, pending)
    actions = w.run_pass(rotate)
    assert w.working(), (actions, w)
    again = w.run_pass(rotate=False)
    assert again == [], "a second pass must find nothing to do"
    if rotate:
        # A requested rotation always ends with a newly confirmed password.
        assert Action.PROMOTE_PENDING in actions
        assert w.secret is not None
        assert w.secret[PASSWORD_KEY] != (SECRETS[secret] or {}).get(PASSWORD_KEY)


@pytest.mark.parametrize(("secret", "account", "pending", "rotate"), MATRIX)
def test_a_crash_after_any_write_is_finished_by_the_next_pass(
    secret: str, account: str, pending: str, rotate: bool
) -> None:
    total_writes = sum(
        a in WRITES for a in decide_credentials(world(secret, account, pending).observe(rotate)).actions
    )
    for crash_point in range(1, total_writes + 1):
        w = world(secret, account, pending)
        with pytest.raises(Crash):
            w.run_pass(rotate, crash_after_writes=crash_point)
        # The password ONTAP now has is always somewhere in the secret: nothing lived only in memory.
        if (
            w.account_password is not None
            and w.secret is not None
            and ACCOUNTS[account] != w.account_password
        ):
            assert w.account_password in (w.secret.get(PASSWORD_KEY), w.secret.get(PENDING_KEY))
        w.run_pass(rotate)
        assert w.working(), (secret, account, pending, rotate, crash_point, w)


@pytest.mark.parametrize(("secret", "account", "pending", "rotate"), MATRIX)
def test_the_account_phase_and_the_rest_are_the_whole_plan(
    secret: str, account: str, pending: str, rotate: bool
) -> None:
    plan = decide_credentials(world(secret, account, pending).observe(rotate))
    first = account_phase(plan)
    assert first + remaining(plan, first) == plan.actions
    assert not any(
        a in (Action.CREATE_ACCOUNT_WITH_CURRENT, Action.CREATE_ACCOUNT_WITH_PENDING)
        for a in remaining(plan, first)
    )


def test_steady_state_needs_only_the_login() -> None:
    obs = CredentialsObservation(SecretCondition.VALID, False, True, current_login=Login.OK)
    assert decide_credentials(obs).actions == ()


@pytest.mark.parametrize(
    ("obs", "expected"),
    [
        (
            CredentialsObservation(SecretCondition.VALID, False, False, current_login=Login.REJECTED),
            (Action.CREATE_ACCOUNT_WITH_CURRENT, Action.VERIFY_CURRENT),
        ),
        (
            CredentialsObservation(SecretCondition.MISSING, False, True),
            (
                Action.STAGE_NEW_PASSWORD,
                Action.SET_PASSWORD_TO_PENDING,
                Action.VERIFY_PENDING,
                Action.PROMOTE_PENDING,
            ),
        ),
        (
            CredentialsObservation(SecretCondition.VALID, True, True, pending_login=Login.OK),
            (Action.PROMOTE_PENDING,),
        ),
        (
            CredentialsObservation(SecretCondition.VALID, True, True, pending_login=Login.REJECTED),
            (Action.SET_PASSWORD_TO_PENDING, Action.VERIFY_PENDING, Action.PROMOTE_PENDING),
        ),
        (
            CredentialsObservation(SecretCondition.CORRUPT, False, False),
            (
                Action.STAGE_NEW_PASSWORD,
                Action.CREATE_ACCOUNT_WITH_PENDING,
                Action.VERIFY_PENDING,
                Action.PROMOTE_PENDING,
            ),
        ),
    ],
)
def test_named_decisions(obs: CredentialsObservation, expected: tuple[Action, ...]) -> None:
    assert decide_credentials(obs).actions == expected


@pytest.mark.parametrize(
    ("data", "condition", "problem"),
    [
        (None, SecretCondition.MISSING, ""),
        ({PASSWORD_KEY: "x12345678"}, SecretCondition.CORRUPT, "'username' is missing"),
        ({USERNAME_KEY: "other", PASSWORD_KEY: "x12345678"}, SecretCondition.CORRUPT, "names 'other'"),
        ({USERNAME_KEY: USER}, SecretCondition.CORRUPT, "'password' is missing"),
        ({USERNAME_KEY: USER, PASSWORD_KEY: ""}, SecretCondition.CORRUPT, "'password' is empty"),
        ({USERNAME_KEY: USER, PASSWORD_KEY: "x12345678"}, SecretCondition.VALID, ""),
    ],
)
def test_view_secret_classifies(
    data: dict[str, str] | None, condition: SecretCondition, problem: str
) -> None:
    stored = None if data is None else StoredSecret(namespace="ns", name="n", data=data)
    view = view_secret(stored, USER)
    assert view.condition is condition
    assert problem in view.problem
    if data and data.get(USERNAME_KEY) == "other":
        assert view.password is None, "a password of another user is never used"


def test_staged_data_keeps_the_live_password() -> None:
    view = view_secret(
        StoredSecret(namespace="ns", name="n", data={USERNAME_KEY: USER, PASSWORD_KEY: "old12345"}), USER
    )
    data = staged_data(view, SecretStr("new12345"))
    assert data == {USERNAME_KEY: USER, PASSWORD_KEY: "old12345", PENDING_KEY: "new12345"}

"""The one executor of a credentials plan, over a port that does the writes and logins.

The executor knows the order and the rules (a password goes to Kubernetes before ONTAP hears of
it, a pending password becomes the live one only after a login proved it); the port knows how to
talk to Kubernetes and ONTAP. Production uses `controller.credentials.shoot_io.ShootCredentials`;
the crash model test drives this same executor over an in-memory port.

A pass decides the plan once; the account step runs its account phase (creating a missing
account), the seed-secret step the rest (`account_phase`, `remaining`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from pydantic import SecretStr

from controller.credentials.plan import ACCOUNT_ACTIONS, Action, CredentialsPlan, Login, SecretView


class CredentialsPort(Protocol):
    """The writes and logins a plan needs; each write returns what it did, in words for events."""

    def new_password(self) -> SecretStr:
        """A fresh password for the account."""
        ...

    async def stage(self, view: SecretView, password: SecretStr) -> tuple[SecretView, str]:
        """Write `password` as the secret's pending password (the live one stays)."""
        ...

    async def promote(self, view: SecretView) -> tuple[SecretView, str]:
        """Make the pending password the secret's live one."""
        ...

    async def create_account(self, password: SecretStr) -> str:
        """Create the missing ONTAP account with `password`."""
        ...

    async def set_password(self, password: SecretStr) -> str:
        """Set the ONTAP account's password."""
        ...

    async def login(self, password: SecretStr) -> Login:
        """Whether ONTAP accepts `password` for the account (an error when it cannot say)."""
        ...


class PasswordNotAccepted(Exception):
    """A verify step failed: ONTAP rejects the password the plan just put in place."""

    def __init__(self, action: Action, *, after_create: bool) -> None:
        super().__init__(action.value)
        self.action = action
        self.after_create = after_create


@dataclass
class Execution:
    """What running (part of) a plan did."""

    view: SecretView
    done: list[Action] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)


VERIFY_ACTIONS = frozenset({Action.VERIFY_PENDING, Action.VERIFY_CURRENT})


def account_phase(plan: CredentialsPlan) -> tuple[Action, ...]:
    """The actions up to the creation of a missing account and its verification (the account step's)."""
    actions = plan.actions
    for index, action in enumerate(actions):
        if action in ACCOUNT_ACTIONS:
            end = (
                index + 2
                if index + 1 < len(actions) and actions[index + 1].name.startswith("VERIFY")
                else index + 1
            )
            return actions[:end]
    return ()


def remaining(plan: CredentialsPlan, done: Sequence[Action]) -> tuple[Action, ...]:
    """The plan's actions not yet done in this pass."""
    return plan.without(frozenset(done)).actions


async def execute(actions: Sequence[Action], view: SecretView, port: CredentialsPort) -> Execution:
    """Run `actions` in order; stops with the first failure (the next pass decides anew)."""
    run = Execution(view=view)
    created = False
    for action in actions:
        if action is Action.STAGE_NEW_PASSWORD:
            # Kubernetes first: a crash from here on leaves the password where the next pass finds it.
            run.view, said = await port.stage(run.view, port.new_password())
        elif action is Action.CREATE_ACCOUNT_WITH_PENDING:
            said = await port.create_account(_required(run.view.pending))
            created = True
        elif action is Action.CREATE_ACCOUNT_WITH_CURRENT:
            said = await port.create_account(_required(run.view.password))
            created = True
        elif action is Action.SET_PASSWORD_TO_PENDING:
            said = await port.set_password(_required(run.view.pending))
        elif action in (Action.VERIFY_PENDING, Action.VERIFY_CURRENT):
            password = run.view.pending if action is Action.VERIFY_PENDING else run.view.password
            if await port.login(_required(password)) is not Login.OK:
                raise PasswordNotAccepted(action, after_create=created)
            said = ""
        elif action is Action.PROMOTE_PENDING:
            # Only now, with ONTAP confirmed, does the new password become the live one.
            run.view, said = await port.promote(run.view)
        else:  # pragma: no cover - every Action is handled above
            raise AssertionError(action)
        run.done.append(action)
        if said:
            run.actions.append(said)
    return run


def _required(password: SecretStr | None) -> SecretStr:
    if password is None:
        raise AssertionError("the plan needs a password the secret does not hold")
    return password

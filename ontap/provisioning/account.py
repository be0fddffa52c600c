"""The shoot's SVM-scoped account: created or fixed in place, its password set and proven by a login."""

from __future__ import annotations

import copy
import enum
from dataclasses import dataclass
from urllib.parse import quote_plus

import structlog
from netapp_ontap.host_connection import HostConnection
from pydantic import SecretStr

from ontap.client import OntapClient, send_json
from ontap.errors import (
    OntapAlreadyExists,
    OntapBusy,
    OntapError,
    OntapInvalidInput,
    OntapTransient,
    OntapUnauthenticated,
)
from ontap.models import AccountInfo, IpInterfaceInfo, SvmInfo
from ontap.provisioning import reads
from ontap.provisioning.report import StepReport

log = structlog.get_logger(__name__)

REQUIRED_APPLICATIONS = ("http", "ontapi")


@dataclass(frozen=True)
class DesiredAccount:
    """The shoot's account; its password is only used at creation (see `set_password`)."""

    name: str
    password: SecretStr
    role: str = "vsadmin"


@dataclass(frozen=True)
class AccountPlan:
    """The decision over the observed account."""

    create: bool = False
    set_role: str | None = None
    unlock: bool = False
    add_applications: tuple[str, ...] = ()

    @property
    def nothing_to_do(self) -> bool:
        """True in the steady state."""
        return not (self.create or self.set_role or self.unlock or self.add_applications)


def decide_account(observed: AccountInfo | None, desired: DesiredAccount) -> AccountPlan:
    """Create the account, or fix role, lock and applications in place (pure)."""
    if observed is None:
        return AccountPlan(create=True)
    missing = tuple(a for a in REQUIRED_APPLICATIONS if a not in observed.applications)
    return AccountPlan(
        set_role=desired.role if observed.role != desired.role else None,
        unlock=observed.locked is True,
        add_applications=missing,
    )


async def find_account(client: OntapClient, svm: SvmInfo, name: str) -> AccountInfo | None:
    """The SVM-scoped account `name`, or None (one request as the cluster admin)."""
    return await reads.find_account(client, svm, name)


async def ensure_account(
    client: OntapClient, svm: SvmInfo, desired: DesiredAccount
) -> tuple[AccountInfo, StepReport]:
    """Make sure the account exists with the role, unlocked, with http and ontapi password login.

    The password of an existing account is not changed here: that is `set_password`, decided by
    the caller from a login. A create whose answer was lost is re-observed, never repeated blindly.
    """
    report = StepReport(step="account", target=f"account {desired.name} of svm {svm.name} on {client.name}")
    account = await find_account(client, svm, desired.name)
    plan = decide_account(account, desired)
    report.observed = "absent" if account is None else f"role {account.role}, locked {account.locked}"
    if plan.create:
        account = await _create(client, svm, desired, report)
        plan = decide_account(account, desired)
    assert account is not None
    if not plan.nothing_to_do:
        await _fix(client, svm, account, desired, plan, report)
        account = await find_account(client, svm, desired.name) or account
    return account, report


async def _create(
    client: OntapClient, svm: SvmInfo, desired: DesiredAccount, report: StepReport
) -> AccountInfo:
    def post(conn: HostConnection) -> None:
        # Through the bounded transport like every other call (deadline and size limit).
        body = {
            "name": desired.name,
            "owner": {"uuid": svm.uuid, "name": svm.name},
            "role": {"name": desired.role},
            "applications": [_application(a) for a in REQUIRED_APPLICATIONS],
            "password": desired.password.get_secret_value(),
        }
        send_json(conn, "POST", "/api/security/accounts", body=body)

    try:
        await client.run(
            post,
            operation="POST /api/security/accounts",
            target=f"account {desired.name} of svm {svm.name}",
            mutating=True,
        )
    except (OntapAlreadyExists, OntapTransient, OntapBusy) as exc:
        log.info(
            "account create not confirmed, re-observing", svm=svm.name, account=desired.name, error=exc.kind
        )
        found = await find_account(client, svm, desired.name)
        if found is None:
            raise
        report.actions.append(f"created account {desired.name} (confirmed by re-reading after {exc.kind})")
        return found
    report.actions.append(f"created account {desired.name} with role {desired.role}")
    found = await find_account(client, svm, desired.name)
    if found is None:
        raise OntapTransient(
            "account create was accepted but the account is not visible yet",
            cluster=client.name,
            endpoint=client.endpoint,
            target=f"account {desired.name} of svm {svm.name}",
        )
    return found


async def _fix(
    client: OntapClient,
    svm: SvmInfo,
    account: AccountInfo,
    desired: DesiredAccount,
    plan: AccountPlan,
    report: StepReport,
) -> None:
    body: dict[str, object] = {}
    if plan.set_role:
        body["role"] = {"name": plan.set_role}
    if plan.unlock:
        body["locked"] = False
    if plan.add_applications:
        body["applications"] = [
            _application(a) for a in sorted({*account.applications, *REQUIRED_APPLICATIONS})
        ]
    await _patch(client, svm, desired.name, body)
    if plan.set_role:
        report.actions.append(f"set role of account {desired.name} to {plan.set_role}")
    if plan.unlock:
        report.actions.append(f"unlocked account {desired.name}")
    if plan.add_applications:
        report.actions.append(f"allowed {', '.join(plan.add_applications)} for account {desired.name}")


async def set_password(client: OntapClient, svm: SvmInfo, username: str, password: SecretStr) -> StepReport:
    """Set the account's password (PATCH, safe to repeat: setting the same value again is accepted).

    ONTAP refuses to reuse a recent password; that answer means the password is already set.
    """
    report = StepReport(step="password", target=f"account {username} of svm {svm.name} on {client.name}")
    try:
        await _patch(client, svm, username, {"password": password.get_secret_value()})
    except OntapInvalidInput as exc:
        if not _is_password_reuse(exc):
            raise
        report.observed = "password already set"
        return report
    report.actions.append(f"set password of account {username}")
    return report


class LoginStatus(enum.StrEnum):
    """What a login as the account proved."""

    OK = "ok"
    REJECTED = "rejected"
    ERROR = "error"


@dataclass(frozen=True)
class LoginResult:
    """A login's outcome; `error` is set only for `ERROR` (ONTAP could not say yes or no).

    A successful login carries what it read: the SVM's interfaces; `account` is the admin's view of
    the account when the caller read it in the same pass (see `observe_provisioned`).
    """

    status: LoginStatus
    account: AccountInfo | None = None
    interfaces: tuple[IpInterfaceInfo, ...] | None = None
    error: OntapError | None = None

    @property
    def ok(self) -> bool:
        """True when the password works."""
        return self.status is LoginStatus.OK


async def check_login(
    client: OntapClient, svm: SvmInfo, username: str, password: SecretStr, address: str
) -> LoginResult:
    """Log in as the SVM account at the SVM's management LIF `address` (1 request).

    ONTAP lets an SVM-scoped account in only at a management interface of its own SVM (netapp-ontap,
    `resources/account_password.py`), which is also where the shoot's Trident logs in, so this proves
    what the shoot needs. The request reads the SVM's interfaces, which the vsadmin role may read.
    Only a 401 there means the password (or the account) is wrong: `REJECTED`. Anything else that
    is not an answer (LIF unreachable, TLS refused, 403, timeout, ...) is `ERROR`, never a verdict.
    """
    user_client = client.as_user(username, password, address=address)
    try:
        interfaces = await reads.list_interfaces(user_client, svm)
    except OntapUnauthenticated:
        return LoginResult(LoginStatus.REJECTED)
    except OntapError as exc:
        return LoginResult(LoginStatus.ERROR, error=_check_not_possible(exc, username, address, svm))
    return LoginResult(LoginStatus.OK, interfaces=tuple(interfaces))


def _check_not_possible(error: OntapError, username: str, address: str, svm: SvmInfo) -> OntapError:
    """The same error, saying that the password could not be checked (and so was left alone)."""
    named = copy.copy(error)
    named.target = f"login as {username} at management LIF {address} of SVM {svm.name}"
    named.description = f"the password check cannot run, the password is left unchanged: {error.description}"
    named.args = (named._render(),)
    return named


async def _patch(client: OntapClient, svm: SvmInfo, username: str, body: dict[str, object]) -> None:
    path = f"/api/security/accounts/{quote_plus(svm.uuid)}/{quote_plus(username)}"
    await client.run(
        lambda conn: send_json(conn, "PATCH", path, body=body),
        operation=f"PATCH {path}",
        target=f"account {username} of svm {svm.name}",
        mutating=True,
        idempotent=True,
    )


def _application(name: str) -> dict[str, object]:
    return {"application": name, "authentication_methods": ["password"]}


def _is_password_reuse(error: OntapError) -> bool:
    message = (error.ontap_message or "").lower()
    return "must be different" in message or "same as" in message or "previously used" in message

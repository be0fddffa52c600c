"""The steady-state check of an already provisioned shoot: at most 3 ONTAP reads, no writes."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from pydantic import SecretStr

from ontap.client import OntapClient
from ontap.models import IpInterfaceInfo, SvmInfo
from ontap.provisioning.account import LoginResult, check_login
from ontap.provisioning.lifs import DesiredLifs, decide_lifs
from ontap.provisioning.reads import find_svm, list_interfaces
from ontap.provisioning.svm import DesiredSvm, SvmAction, decide_svm


@dataclass(frozen=True)
class Observation:
    """What one pass saw; `None` means "not looked at" (e.g. no SVM, so no interfaces)."""

    cluster: str
    svm_name: str
    account_name: str
    svm: SvmInfo | None
    interfaces: tuple[IpInterfaceInfo, ...] | None = None
    login: LoginResult | None = None


async def observe_provisioned(
    client: OntapClient, svm_name: str, account_name: str, password: SecretStr | None
) -> Observation:
    """(1) the SVM by name, then concurrently (2) its interfaces and (3) a login as the account.

    The login is skipped without a password. Errors of (1) and (2) are raised; a failed login is
    reported in `login` (see `check_login`), so the caller decides whether to repair the password.
    """
    svm = await find_svm(client, svm_name)
    if svm is None:
        return Observation(cluster=client.name, svm_name=svm_name, account_name=account_name, svm=None)
    interfaces_task = list_interfaces(client, svm)
    if password is None:
        interfaces = await interfaces_task
        login = None
    else:
        interfaces, login = await asyncio.gather(
            interfaces_task, check_login(client, svm, account_name, password)
        )
    return Observation(
        cluster=client.name,
        svm_name=svm_name,
        account_name=account_name,
        svm=svm,
        interfaces=tuple(interfaces),
        login=login,
    )


def pending_work(observation: Observation, desired_svm: DesiredSvm, desired_lifs: DesiredLifs) -> list[str]:
    """What the observation says still needs doing (empty = steady state, no further requests) (pure)."""
    work: list[str] = []
    svm_plan = decide_svm(observation.svm, desired_svm)
    if svm_plan.action is not SvmAction.NOTHING:
        work.append(f"svm: {svm_plan.action.value}{' (' + svm_plan.reason + ')' if svm_plan.reason else ''}")
    if observation.svm is None or observation.interfaces is None:
        work.append("lifs: not observed")
    else:
        lif_plan = decide_lifs(desired_lifs, observation.interfaces)
        work.extend(f"lifs: create {spec.name}" for spec in lif_plan.missing)
        work.extend(f"lifs: fix {fix.name}" for fix in lif_plan.fixes)
    if observation.login is None:
        work.append("account: login not tried")
    elif not observation.login.ok:
        work.append(f"account: login {observation.login.status.value}")
    return work

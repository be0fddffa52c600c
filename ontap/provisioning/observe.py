"""The steady-state check of an already provisioned shoot: 3 ONTAP reads, no writes."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace

from pydantic import SecretStr

from ontap.client import OntapClient
from ontap.models import IpInterfaceInfo, SvmInfo
from ontap.provisioning.account import LoginResult, check_login
from ontap.provisioning.lifs import DesiredLifs, decide_lifs
from ontap.provisioning.reads import find_account, find_svm, list_interfaces
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
    client: OntapClient,
    svm_name: str,
    account_name: str,
    password: SecretStr | None,
    management_ip: str | None = None,
) -> Observation:
    """(1) the SVM by name, then concurrently (2) a login as the account at the SVM's management LIF,
    reading the SVM's interfaces, and (3) the account as the cluster admin sees it (role, lock).

    Without a password or management address, or when the login does not succeed, the interfaces
    are read as the admin instead (a 4th request, only outside the steady state). Errors of the
    admin reads are raised; a failed login is reported in `login` (see `check_login`), so the
    caller decides whether to repair the password.
    """
    svm = await find_svm(client, svm_name)
    if svm is None:
        return Observation(cluster=client.name, svm_name=svm_name, account_name=account_name, svm=None)
    login: LoginResult | None = None
    if password is None or management_ip is None:
        interfaces = tuple(await list_interfaces(client, svm))
    else:
        answer, account = await asyncio.gather(
            check_login(client, svm, account_name, password, management_ip),
            find_account(client, svm, account_name),
        )
        if answer.ok and answer.interfaces is not None:
            interfaces = answer.interfaces
            answer = replace(answer, account=account)
        else:
            interfaces = tuple(await list_interfaces(client, svm))
        login = answer
    return Observation(
        cluster=client.name,
        svm_name=svm_name,
        account_name=account_name,
        svm=svm,
        interfaces=interfaces,
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

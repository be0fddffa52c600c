"""Helpers of the step tests: the whole provisioning run, re-running it until it converges, state reads."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from ipaddress import IPv4Address
from typing import Any, TypeVar

from pydantic import SecretStr

from ontap.client import OntapClient
from ontap.errors import OntapError, OntapOwnershipConflict, OntapPlacementConflict
from ontap.fake.testing import FakeOntapServer
from ontap.provisioning.account import DesiredAccount, ensure_account
from ontap.provisioning.lifs import DesiredLifs, ensure_lifs
from ontap.provisioning.svm import DesiredSvm, ensure_svm

T = TypeVar("T")

PROJECT_ID = "0b1c3a2e-6f7d"
SVM_NAME = "p0b1c3a2e6f7d"
ACCOUNT = "dev--shoot"
PASSWORD = SecretStr("Sh00t-Passw0rd-1")
DESIRED_SVM = DesiredSvm(name=SVM_NAME, project_id=PROJECT_ID)
DESIRED_LIFS = DesiredLifs(
    data_ips=(IPv4Address("127.0.0.11"), IPv4Address("127.0.0.12")), management_ip=IPv4Address("127.0.0.10")
)
MANAGEMENT_IP = str(DESIRED_LIFS.management_ip)
DESIRED_ACCOUNT = DesiredAccount(name=ACCOUNT, password=PASSWORD)


@dataclass
class Convergence:
    """How re-running went: the errors of the failed passes, then the result."""

    errors: list[OntapError] = field(default_factory=list)
    result: Any = None


async def provision(client: OntapClient) -> list[str]:
    """SVM, LIFs and account, as the controller's steps run them; returns every action taken."""
    svm, svm_report = await ensure_svm(client, DESIRED_SVM)
    lif_report = await ensure_lifs(client, svm, DESIRED_LIFS)
    _, account_report = await ensure_account(client, svm, DESIRED_ACCOUNT)
    return [*svm_report.actions, *lif_report.actions, *account_report.actions]


async def converge(run: Callable[[], Awaitable[T]], passes: int = 8, pause: float = 0.1) -> Convergence:
    """Re-run `run` after each ONTAP error, as the work queue would, until it succeeds."""
    outcome = Convergence()
    for _ in range(passes):
        try:
            outcome.result = await run()
            return outcome
        except (OntapOwnershipConflict, OntapPlacementConflict):
            raise
        except OntapError as exc:
            outcome.errors.append(exc)
            await asyncio.sleep(pause)
    raise AssertionError(f"did not converge in {passes} passes: {[str(e) for e in outcome.errors]}")


def svms_named(fake: FakeOntapServer, name: str) -> list[dict[str, Any]]:
    """The fake's SVM records of that name."""
    with fake.lock:
        return [dict(s) for s in fake.state.svms.values() if s["name"] == name]


def interfaces_of(fake: FakeOntapServer, svm_name: str) -> list[tuple[str, str]]:
    """(name, address) of the SVM's interfaces, sorted."""
    with fake.lock:
        return sorted(
            (i["name"], i["ip"]["address"])
            for i in fake.state.interfaces.values()
            if i.get("svm", {}).get("name") == svm_name
        )


def accounts_named(fake: FakeOntapServer, name: str) -> list[dict[str, Any]]:
    """The fake's account records of that name."""
    with fake.lock:
        return [dict(a) for a in fake.state.accounts.values() if a["name"] == name]


def assert_fully_provisioned_once(fake: FakeOntapServer) -> None:
    """Exactly one SVM, the three LIFs, one account: nothing duplicated."""
    svms = svms_named(fake, SVM_NAME)
    assert len(svms) == 1, svms
    assert svms[0]["state"] == "running"
    assert interfaces_of(fake, SVM_NAME) == [
        ("data1", "127.0.0.11"),
        ("data2", "127.0.0.12"),
        ("mgmt", "127.0.0.10"),
    ]
    assert len(accounts_named(fake, ACCOUNT)) == 1

"""`make run`: the fake ONTAP plus the provisioning steps of one sample shoot, printed as they happen.

Starts `ontap-fake` (HTTPS, with its own CA that the client verifies), places the sample project's
SVM, ensures the SVM, its LIFs and the shoot's account, proves the password by logging in as the
account, runs the same pass again to show that a provisioned shoot costs at most 3 ONTAP requests
and no writes, then keeps the fake running until Ctrl-C.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import tempfile
from ipaddress import IPv4Address
from pathlib import Path

from pydantic import SecretStr

from controller.credentials import generate_password
from ontap.client import OntapClients
from ontap.config import OntapClusterConfig
from ontap.fake.testing import FakeOntapServer
from ontap.naming import account_name, svm_name
from ontap.provisioning.account import DesiredAccount, check_login, ensure_account
from ontap.provisioning.lifs import DesiredLifs, ensure_lifs
from ontap.provisioning.observe import observe_provisioned, pending_work
from ontap.provisioning.placement import choose_cluster
from ontap.provisioning.svm import DesiredSvm, ensure_svm

PROJECT_ID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
TECHNICAL_ID = "shoot--sample--storage"
DATA_LIFS = [IPv4Address("10.130.0.11"), IPv4Address("10.130.0.12")]
MANAGEMENT_LIF = IPv4Address("10.130.0.10")


def _say(text: str) -> None:
    print(f"[make run] {text}", flush=True)


async def provision(server: FakeOntapServer, ca_path: Path) -> None:
    config = OntapClusterConfig(
        name="fake-cluster",
        endpoint=server.url,
        username="admin",
        password=SecretStr("fake-admin-password"),
        caBundleFile=ca_path,
    )
    clients = OntapClients.from_configs([config])
    try:
        svm = svm_name(PROJECT_ID)
        account = account_name(TECHNICAL_ID)
        password = generate_password(32, username=account)
        placement = await choose_cluster(clients, svm, None)
        _say(f"placement: SVM {svm} on ONTAP cluster {placement.cluster}")
        client = clients[placement.cluster]
        desired_svm = DesiredSvm(name=svm, project_id=PROJECT_ID)
        desired_lifs = DesiredLifs(data_ips=DATA_LIFS, management_ip=MANAGEMENT_LIF)
        svm_info, report = await ensure_svm(client, desired_svm)
        _say(f"SVM: {', '.join(report.actions) or 'already as desired'} (uuid {svm_info.uuid})")
        report = await ensure_lifs(client, svm_info, desired_lifs)
        for line in report.actions or ["LIFs already as desired"]:
            _say(f"LIFs: {line}")
        _, report = await ensure_account(client, svm_info, DesiredAccount(name=account, password=password))
        _say(f"account: {', '.join(report.actions) or 'already as desired'}")
        login = await check_login(client, svm_info, account, password)
        _say(f"login as {account}: {login.status}")

        server.requests.clear()
        observation = await observe_provisioned(client, svm, account, password)
        todo = pending_work(observation, desired_svm, desired_lifs)
        requests = server.requests.count()
        writes = server.requests.count(writes_only=True)
        _say(f"steady-state check: {requests} ONTAP requests, {writes} writes, pending: {todo or 'none'}")
    finally:
        await clients.close()


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        ca_path = Path(tmp) / "fake-ontap-ca.pem"
        with FakeOntapServer(tls=True, ca_path=ca_path) as server:
            _say(f"fake ONTAP listening on {server.url} (CA bundle {ca_path})")
            await provision(server, ca_path)
            _say("what ONTAP holds now:")
            snapshot = server.snapshot()
            for kind in ("svms", "interfaces", "accounts"):
                records = snapshot.get(kind, {})
                for record in records.values() if isinstance(records, dict) else records:
                    _say(f"  {kind}: {record.get('name', '?') if isinstance(record, dict) else record}")
            _say("running until Ctrl-C")
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            with contextlib.suppress(asyncio.CancelledError):
                await stop.wait()
    _say("stopped, fake ONTAP shut down")


if __name__ == "__main__":
    asyncio.run(main())

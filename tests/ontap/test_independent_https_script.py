"""A plain netapp-ontap script against `ontap-fake` run as its own process over HTTPS.

No project code but the console script: the codes and refusals NetApp documents, seen from outside
(see the fidelity table in docs/fake-ontap.md for the source of each).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from netapp_ontap.error import NetAppRestError
from netapp_ontap.host_connection import HostConnection
from netapp_ontap.resources.account import Account
from netapp_ontap.resources.ip_interface import IpInterface
from netapp_ontap.resources.svm import Svm

from ontap.fake.testing import free_port

ADMIN, ADMIN_PASSWORD = "admin", "fake-admin-password"
MGMT_LIF = "127.77.0.10"
USER, USER_PASSWORD = "scriptvsadmin", "Scr1pt-https-pw"


@pytest.fixture
def fake_process(tmp_path: Path) -> Iterator[tuple[int, str]]:
    port = free_port()
    ca = tmp_path / "ca.pem"
    script = Path(sys.executable).parent / "ontap-fake"
    env = {k: v for k, v in os.environ.items() if k not in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")}
    process = subprocess.Popen(
        [str(script), "--port", str(port), "--ca-out", str(ca), "--job-seconds", "0.1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert "ontap-fake listening on https://" in line, line
        yield port, str(ca)
    finally:
        process.terminate()
        process.wait(10)


def code_of(error: NetAppRestError) -> tuple[int | None, str | None]:
    body = error.response_body or {}
    return error.status_code, (body.get("error") or {}).get("code")


def test_https_fake_answers_as_netapp_documents(
    fake_process: tuple[int, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    port, ca = fake_process
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)

    def connect(host: str, user: str, password: str) -> HostConnection:
        return HostConnection(host, username=user, password=password, port=port, verify=ca, poll_interval=1)

    admin = connect("127.0.0.1", ADMIN, ADMIN_PASSWORD)
    svm = Svm(name="phttps", aggregates=[{"name": "aggr1_fake_01"}])
    svm.set_connection(admin)
    svm.post(poll=True)
    IpInterface(
        name="mgmt",
        svm={"uuid": svm.uuid},
        ip={"address": MGMT_LIF, "netmask": "24"},
        location={"home_node": {"name": "fake-01"}},
        service_policy={"name": "default-management"},
    ).post(connection=admin)

    def refused(call: object) -> tuple[int | None, str | None]:
        with pytest.raises(NetAppRestError) as caught:
            call()  # type: ignore[operator]
        return code_of(caught.value)

    account = {"owner": {"uuid": svm.uuid}, "role": {"name": "vsadmin"}}
    apps = [{"application": "http", "authentication_methods": ["password"]}]

    def post_account(name: str, password: str) -> tuple[int, str]:
        # Raw, so that netapp-ontap's own client-side checks do not answer instead of the server.
        body = {"name": name, "applications": apps, "password": password, **account}
        answer = admin.session.post(f"{admin.origin}/api/security/accounts", json=body)
        return answer.status_code, str(answer.json()["error"]["code"])

    assert post_account("admin", "Adm1n-pass-x") == (400, "5636121")
    assert post_account(USER, "sh0rt1") == (400, "7077919")
    assert post_account(USER, f"x{USER}9") == (400, "7077918")
    Account(name=USER, applications=apps, password=USER_PASSWORD, **account).post(connection=admin)

    # Where the account may log in: at its SVM's management LIF (TLS verified with the fake's CA).
    seen = list(IpInterface.get_collection(connection=connect(MGMT_LIF, USER, USER_PASSWORD), fields="name"))
    assert [i.name for i in seen] == ["mgmt"]
    at_cluster = connect("127.0.0.1", USER, USER_PASSWORD)
    assert refused(lambda: list(IpInterface.get_collection(connection=at_cluster)))[0] == 401
    own = Account(owner={"uuid": svm.uuid}, name=USER)
    own.set_connection(connect(MGMT_LIF, USER, USER_PASSWORD))
    assert refused(lambda: own.get()) == (403, "6")  # vsadmin reading account records: not documented

    # Password rules of a PATCH, as the admin.
    mine = Account(owner={"uuid": svm.uuid}, name=USER)
    mine.set_connection(admin)
    mine.password = USER_PASSWORD
    assert refused(lambda: mine.patch()) == (400, "7077925")
    # A fields= name the resource does not have.
    assert refused(lambda: list(Svm.get_collection(connection=admin, fields="no_such_field"))) == (
        400,
        "262197",
    )

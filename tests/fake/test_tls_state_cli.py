"""HTTPS with the fake's CA, state save/load, and the `ontap-fake` command."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from netapp_ontap import HostConnection
from netapp_ontap.error import NetAppRestError
from netapp_ontap.resources.account import Account
from netapp_ontap.resources.cluster import Cluster
from netapp_ontap.resources.svm import Svm

from ontap.fake.testing import FakeOntapServer, free_port
from tests.fake.builders import ACCOUNT_PASSWORD, create_account, create_mgmt_lif, create_svm
from tests.fake_ontap_fixtures import admin_connection


def test_tls_verifies_with_the_ca_bundle_only(
    fake_ontap_tls: FakeOntapServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # requests lets these variables override a session's `verify`, which netapp-ontap relies on
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    assert fake_ontap_tls.url.startswith("https://")
    assert fake_ontap_tls.ca_path is not None and fake_ontap_tls.ca_path.exists()
    verified = admin_connection(fake_ontap_tls)
    cluster = Cluster()
    cluster.set_connection(verified)
    cluster.get()
    assert cluster.name == "fake-cluster"

    system_trust = admin_connection(fake_ontap_tls, verify=True)
    untrusted = Cluster()
    untrusted.set_connection(system_trust)
    with pytest.raises(NetAppRestError) as exc:
        untrusted.get()
    assert isinstance(exc.value.cause, requests.exceptions.SSLError)


def test_state_survives_save_and_load(tmp_path: Path) -> None:
    state_file = tmp_path / "state.json"
    with FakeOntapServer() as first:
        conn = admin_connection(first)
        svm = create_svm(conn, "p-persist")
        create_mgmt_lif(conn, svm, "127.7.3.1")
        create_account(conn, svm, "p-persist-user")
        first.add_volume("p-persist", "vol1")
        first.save(state_file)
    saved = json.loads(state_file.read_text())
    assert [s["name"] for s in saved["svms"].values()] == ["p-persist"]

    with FakeOntapServer() as second:
        second.load(state_file)
        # the SVM account logs in at its management LIF (served again after the load)
        login = HostConnection(
            "127.7.3.1",
            username="p-persist-user",
            password=ACCOUNT_PASSWORD,
            port=second.port,
            scheme="http",
            verify=False,
        )
        own = Svm(uuid=svm.uuid)
        own.set_connection(login)
        own.get(fields="name")
        assert own.name == "p-persist"
        account = Account(owner={"uuid": svm.uuid}, name="p-persist-user")
        account.set_connection(admin_connection(second))
        account.get()
        assert account.role.name == "vsadmin"
        admin = admin_connection(second)
        [loaded] = list(Svm.get_collection(connection=admin, fields="state"))
        assert (loaded.uuid, loaded.state) == (svm.uuid, "running")


def test_snapshot_redacts_passwords(fake_ontap: FakeOntapServer, fake_ontap_admin: HostConnection) -> None:
    svm = create_svm(fake_ontap_admin, "p-redact")
    create_account(fake_ontap_admin, svm, "p-redact-user")
    text = json.dumps(fake_ontap.snapshot())
    assert ACCOUNT_PASSWORD not in text
    assert fake_ontap.admin_password not in text
    assert "<redacted>" in text


def _start_cli(*args: str, console_script: bool = False) -> subprocess.Popen[str]:
    script = Path(sys.executable).parent / "ontap-fake"
    command = [str(script)] if console_script else [sys.executable, "-m", "ontap.fake.cli"]
    return subprocess.Popen(
        [*command, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_listening(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    assert line.startswith("ontap-fake listening on "), (
        line,
        process.stderr.read() if process.stderr else "",
    )
    return line.removeprefix("ontap-fake listening on ")


def _stop(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=10) == 0


def test_cli_serves_http_and_saves_state(tmp_path: Path) -> None:
    state_file = tmp_path / "fake.json"
    port = free_port()
    process = _start_cli(
        "--http", "--port", str(port), "--state", str(state_file), "--admin-password", "Cli-pw-123"
    )
    try:
        url = _wait_listening(process)
        assert url == f"http://127.0.0.1:{port}"
        answer = requests.get(f"{url}/api/cluster/nodes", auth=("admin", "Cli-pw-123"), timeout=5)
        assert sorted(r["name"] for r in answer.json()["records"]) == ["fake-01", "fake-02"]
        created = requests.post(
            f"{url}/api/svm/svms", json={"name": "p-cli"}, auth=("admin", "Cli-pw-123"), timeout=5
        )
        assert created.status_code == 202
        assert created.headers["Location"].startswith("/api/svm/svms/")
    finally:
        _stop(process)
    saved = json.loads(state_file.read_text())
    assert [(s["name"], s["state"]) for s in saved["svms"].values()] == [("p-cli", "running")]

    process = _start_cli(
        "--http", "--port", str(port), "--state", str(state_file), "--admin-password", "Cli-pw-123"
    )
    try:
        url = _wait_listening(process)
        names = requests.get(f"{url}/api/svm/svms", auth=("admin", "Cli-pw-123"), timeout=5).json()["records"]
        assert [r["name"] for r in names] == ["p-cli"]
    finally:
        _stop(process)


def test_cli_serves_https_with_written_ca(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    process = _start_cli("--port", str(free_port()), "--ca-out", str(ca), console_script=True)
    try:
        url = _wait_listening(process)
        assert url.startswith("https://")
        assert ca.exists()
        answer = requests.get(
            f"{url}/api/cluster", auth=("admin", "fake-admin-password"), verify=str(ca), timeout=5
        )
        assert answer.json()["name"] == "fake-cluster"
    finally:
        _stop(process)

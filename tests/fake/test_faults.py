"""Every fault action, through the Python API and the HTTP control API."""

from __future__ import annotations

import time

import pytest
import requests
from netapp_ontap import HostConnection
from netapp_ontap.error import NetAppRestError
from netapp_ontap.resources.account import Account
from netapp_ontap.resources.ip_interface import IpInterface
from netapp_ontap.resources.job import Job
from netapp_ontap.resources.node import Node
from netapp_ontap.resources.svm import Svm

from ontap.fake.faults import FaultRule
from ontap.fake.testing import FakeOntapServer
from tests.fake.builders import ACCOUNT_PASSWORD, change, code_of, create_svm, error_of


def svm_names(conn: HostConnection) -> list[str]:
    """Names of all SVMs."""
    return sorted(s.name for s in Svm.get_collection(connection=conn))


def test_error_on_chosen_calls(fake_ontap: FakeOntapServer, fake_ontap_admin: HostConnection) -> None:
    fake_ontap.faults.add(
        {"type": "error", "status": 500, "code": "9999", "message": "boom"},
        method="GET",
        path="/api/svm/svms",
        calls=[2],
    )
    assert svm_names(fake_ontap_admin) == []
    with pytest.raises(NetAppRestError) as exc:
        svm_names(fake_ontap_admin)
    assert exc.value.status_code == 500
    assert error_of(exc.value) == {"message": "boom", "code": "9999"}
    assert svm_names(fake_ontap_admin) == []
    [rule] = fake_ontap.faults.rules()
    assert (rule["matched"], rule["injected"]) == (3, 1)


def test_latency_then_normal_answer(fake_ontap: FakeOntapServer, fake_ontap_admin: HostConnection) -> None:
    fake_ontap.faults.add({"type": "latency", "seconds": 0.3}, path="/api/cluster/nodes", times=1)
    started = time.monotonic()
    assert svm_names(fake_ontap_admin) == []
    assert len(list(Node.get_collection(connection=fake_ontap_admin))) == 2
    assert time.monotonic() - started >= 0.3
    assert [r["injected"] for r in fake_ontap.faults.rules()] == [1]


def test_reset_drops_the_connection(fake_ontap: FakeOntapServer, fake_ontap_admin: HostConnection) -> None:
    fake_ontap.faults.add({"type": "reset"}, method="POST", path="/api/svm/svms")
    svm = Svm(name="p-reset")
    svm.set_connection(fake_ontap_admin)
    with pytest.raises(NetAppRestError) as exc:
        svm.post()
    assert exc.value.status_code is None
    assert isinstance(exc.value.cause, requests.exceptions.ConnectionError)
    fake_ontap.faults.clear()
    assert svm_names(fake_ontap_admin) == []


def test_get_is_retried_by_the_library_until_drops_run_out(
    fake_ontap: FakeOntapServer, fake_ontap_admin: HostConnection
) -> None:
    fake_ontap.faults.add({"type": "reset"}, method="GET", path="/api/svm/svms", times=2)
    assert svm_names(fake_ontap_admin) == []
    assert [e.fault for e in fake_ontap.requests.entries()] == ["reset", "reset", None]

    fake_ontap.requests.clear()
    fake_ontap.faults.add({"type": "reset"}, method="GET", path="/api/svm/svms")
    with pytest.raises(NetAppRestError):
        svm_names(fake_ontap_admin)
    assert fake_ontap.requests.count(method="GET", path_prefix="/api/svm/svms") == 6


def test_hang_until_the_client_gives_up(fake_ontap: FakeOntapServer) -> None:
    fake_ontap.faults.add({"type": "hang", "seconds": 5}, path="/api/cluster")
    started = time.monotonic()
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(f"{fake_ontap.url}/api/cluster", auth=("admin", "fake-admin-password"), timeout=0.3)
    assert time.monotonic() - started < 2


def test_apply_then_fail_keeps_the_change(
    fake_ontap: FakeOntapServer, fake_ontap_admin: HostConnection
) -> None:
    svm = create_svm(fake_ontap_admin, "p-atf")
    fake_ontap.faults.add(
        {"type": "apply_then_fail", "status": 500}, method="POST", path="/api/network/ip/interfaces"
    )
    lif = IpInterface(name="data1", svm={"uuid": svm.uuid}, ip={"address": "127.8.0.1", "netmask": "24"})
    lif.set_connection(fake_ontap_admin)
    with pytest.raises(NetAppRestError) as exc:
        lif.post()
    assert exc.value.status_code == 500
    assert IpInterface.count_collection(connection=fake_ontap_admin, name="data1") == 1


def test_apply_then_reset_keeps_the_change(
    fake_ontap: FakeOntapServer, fake_ontap_admin: HostConnection
) -> None:
    svm = create_svm(fake_ontap_admin, "p-atr")
    fake_ontap.faults.add({"type": "apply_then_reset"}, method="POST", path="/api/security/accounts")
    account = Account(
        name="p-atr-user", owner={"uuid": svm.uuid}, role={"name": "vsadmin"}, password=ACCOUNT_PASSWORD
    )
    account.set_connection(fake_ontap_admin)
    with pytest.raises(NetAppRestError) as exc:
        account.post()
    assert exc.value.status_code is None
    assert Account.count_collection(connection=fake_ontap_admin, name="p-atr-user") == 1


def test_job_failure_applies_nothing(fake_ontap: FakeOntapServer, fake_ontap_admin: HostConnection) -> None:
    fake_ontap.faults.add(
        {"type": "job_failure", "code": "13434916", "message": "injected busy"},
        method="POST",
        path="/api/svm/svms",
    )
    svm = Svm(name="p-jobfail")
    svm.set_connection(fake_ontap_admin)
    with pytest.raises(NetAppRestError, match="Job failed: injected busy"):
        svm.post(poll=True)
    assert svm_names(fake_ontap_admin) == []

    job_uuid = fake_ontap.snapshot()["jobs"].popitem()[0]
    job = Job(uuid=job_uuid)
    job.set_connection(fake_ontap_admin)
    job.get(fields="state,message,code,error")
    assert (job.state, job.code, job.error.code) == ("failure", 13434916, "13434916")


def test_job_failure_on_delete_keeps_the_svm(
    fake_ontap: FakeOntapServer, fake_ontap_admin: HostConnection
) -> None:
    svm = create_svm(fake_ontap_admin, "p-keep")
    fake_ontap.faults.add({"type": "job_failure"}, method="DELETE", path="/api/svm/svms/*")
    with pytest.raises(NetAppRestError, match="Job failed"):
        svm.delete(poll=True)
    svm.get(fields="state")
    assert svm.state == "running"


def test_job_failure_on_a_synchronous_call_is_an_error(
    fake_ontap: FakeOntapServer, fake_ontap_admin: HostConnection
) -> None:
    svm = create_svm(fake_ontap_admin, "p-syncfail")
    fake_ontap.faults.add(
        {"type": "job_failure", "code": "1"}, method="POST", path="/api/network/ip/interfaces"
    )
    lif = IpInterface(name="data1", svm={"uuid": svm.uuid}, ip={"address": "127.9.0.1", "netmask": "24"})
    lif.set_connection(fake_ontap_admin)
    with pytest.raises(NetAppRestError) as exc:
        lif.post()
    assert exc.value.status_code == 500
    assert IpInterface.count_collection(connection=fake_ontap_admin) == 0


def test_locked_for_two_calls(fake_ontap: FakeOntapServer, fake_ontap_admin: HostConnection) -> None:
    svm = create_svm(fake_ontap_admin, "p-locked")
    fake_ontap.faults.add({"type": "locked"}, method="PATCH", path="^/api/svm/svms/[0-9a-f-]+$", times=2)
    for attempt in range(2):
        change(svm, comment=f"try {attempt}")
        with pytest.raises(NetAppRestError) as exc:
            svm.patch()
        assert (exc.value.status_code, code_of(exc.value)) == (409, "13434916")
    change(svm, comment="third time")
    svm.patch(poll=True)
    svm.get(fields="comment")
    assert svm.comment == "third time"


def test_forbidden(fake_ontap: FakeOntapServer, fake_ontap_admin: HostConnection) -> None:
    fake_ontap.faults.add({"type": "forbidden"}, method="GET|DELETE", path="/api/svm/*")
    with pytest.raises(NetAppRestError) as exc:
        svm_names(fake_ontap_admin)
    assert (exc.value.status_code, code_of(exc.value)) == (403, "6")


def test_probability_is_reproducible_with_a_seed() -> None:
    def pattern() -> list[bool]:
        rule = FaultRule.model_validate(
            {"path": "*", "probability": 0.3, "seed": 42, "action": {"type": "error"}}
        )
        return [rule.fires() for _ in range(200)]

    first = pattern()
    assert first == pattern()
    assert 30 < sum(first) < 90


def test_rules_need_one_selector_and_valid_actions() -> None:
    with pytest.raises(ValueError, match="either calls or probability"):
        FaultRule.model_validate({"calls": [1], "probability": 0.5, "action": {"type": "reset"}})
    with pytest.raises(ValueError):
        FaultRule.model_validate({"action": {"type": "explode"}})
    with pytest.raises(ValueError):
        FaultRule.model_validate({"action": {"type": "hang", "seconds": 500}})


def test_control_api_over_http(fake_ontap: FakeOntapServer, fake_ontap_admin: HostConnection) -> None:
    base = f"{fake_ontap.url}/_fake"
    added = requests.post(
        f"{base}/faults",
        json={
            "method": "GET",
            "path": "/api/cluster",
            "calls": [1],
            "action": {"type": "error", "status": 503, "code": "42", "message": "maintenance"},
        },
        timeout=5,
    )
    assert added.status_code == 201
    rule_id = added.json()["id"]
    second = requests.post(
        f"{base}/faults", json={"path": "/api/cluster/nodes", "action": {"type": "forbidden"}}
    )
    auth = ("admin", "fake-admin-password")
    first_call = requests.get(f"{fake_ontap.url}/api/cluster", auth=auth, timeout=5)
    assert (first_call.status_code, first_call.json()["error"]["code"]) == (503, "42")
    assert requests.get(f"{fake_ontap.url}/api/cluster", auth=auth, timeout=5).status_code == 200

    listed = requests.get(f"{base}/faults", timeout=5).json()["records"]
    assert [(r["id"], r["matched"], r["injected"]) for r in listed] == [
        (rule_id, 2, 1),
        (second.json()["id"], 0, 0),
    ]
    assert requests.delete(f"{base}/faults/{rule_id}", timeout=5).status_code == 200
    assert requests.delete(f"{base}/faults/{rule_id}", timeout=5).status_code == 404
    assert requests.delete(f"{base}/faults", timeout=5).status_code == 200
    assert requests.get(f"{base}/faults", timeout=5).json() == {"records": []}

    invalid = requests.post(f"{base}/faults", json={"action": {"type": "nope"}}, timeout=5)
    assert invalid.status_code == 400

    log = requests.get(f"{base}/requests", timeout=5).json()
    assert log["counts"] == {"GET /api/cluster": 2}
    assert [(e["status"], e["user"]) for e in log["entries"]] == [(503, "admin"), (200, "admin")]
    requests.delete(f"{base}/requests", timeout=5)
    assert requests.get(f"{base}/requests", timeout=5).json() == {"entries": [], "counts": {}}


def test_control_api_volumes_and_reset(fake_ontap: FakeOntapServer, fake_ontap_admin: HostConnection) -> None:
    svm = create_svm(fake_ontap_admin, "p-ctl")
    base = f"{fake_ontap.url}/_fake"
    added = requests.post(f"{base}/volumes", json={"svm_name": "p-ctl", "name": "vol1"}, timeout=5)
    assert added.status_code == 201
    assert added.json()["svm"]["uuid"] == svm.uuid
    missing = requests.post(f"{base}/volumes", json={"svm_name": "p-none", "name": "vol1"}, timeout=5)
    assert missing.status_code == 404
    requests.post(f"{base}/faults", json={"action": {"type": "forbidden"}}, timeout=5)

    assert requests.post(f"{base}/reset", timeout=5).status_code == 200
    assert fake_ontap.faults.rules() == []
    assert svm_names(fake_ontap_admin) == []
    state = requests.get(f"{base}/state", timeout=5).json()
    assert state["volumes"] == {}
    assert state["cluster"]["name"] == "fake-cluster"

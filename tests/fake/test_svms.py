"""SVMs through netapp-ontap: async jobs, states, errors, delete rules."""

from __future__ import annotations

from typing import Any

import pytest
from netapp_ontap import HostConnection, utils
from netapp_ontap.error import NetAppRestError
from netapp_ontap.resources.ip_interface import IpInterface
from netapp_ontap.resources.job import Job
from netapp_ontap.resources.svm import Svm

from ontap.fake.testing import FakeOntapServer
from tests.fake.builders import change, code_of, create_account, create_lif, create_svm, error_of


def error_code(exc: pytest.ExceptionInfo[NetAppRestError]) -> tuple[int | None, str]:
    """HTTP status and ONTAP code of a failed call."""
    return exc.value.status_code, code_of(exc.value)


def test_create_polls_job_and_svm_becomes_running(
    fake_ontap: FakeOntapServer, fake_ontap_admin: HostConnection
) -> None:
    svm = create_svm(fake_ontap_admin, "p-create")
    assert svm.uuid
    svm.get(fields="state,nvme,aggregates,subtype")
    assert svm.state == "running"
    assert svm.subtype == "default"
    assert svm.nvme.enabled is True
    assert [a.name for a in svm.aggregates] == ["aggr1_fake_01"]
    assert fake_ontap.requests.count(method="GET", path_prefix="/api/cluster/jobs/") >= 1


def test_svm_is_initializing_while_its_job_runs(
    fake_ontap: FakeOntapServer, fake_ontap_admin: HostConnection
) -> None:
    fake_ontap.set_job_timing(polls=3)
    svm = Svm(name="p-slow", aggregates=[{"name": "aggr1_fake_02"}])
    svm.set_connection(fake_ontap_admin)
    job_uuid = svm.post(poll=False).http_response.json()["job"]["uuid"]

    observed = Svm(uuid=svm.uuid)
    observed.set_connection(fake_ontap_admin)
    observed.get(fields="state")
    assert observed.state == "initializing"

    job = Job(uuid=job_uuid)
    job.set_connection(fake_ontap_admin)
    states = []
    for _ in range(3):
        job.get(fields="state,message,code")
        states.append(job.state)
    assert states == ["queued", "running", "success"]
    assert job.code == 0
    observed.get(fields="state")
    assert observed.state == "running"


def test_duplicate_name_is_409_13434908(fake_ontap_admin: HostConnection) -> None:
    create_svm(fake_ontap_admin, "p-dup")
    duplicate = Svm(name="p-dup")
    duplicate.set_connection(fake_ontap_admin)
    with pytest.raises(NetAppRestError) as exc:
        duplicate.post(poll=True)
    assert error_code(exc) == (409, "13434908")

    cluster_name = Svm(name="fake-cluster")
    cluster_name.set_connection(fake_ontap_admin)
    with pytest.raises(NetAppRestError) as exc:
        cluster_name.post()
    assert error_code(exc) == (409, "13434908")


@pytest.mark.parametrize("name", ["1starts-with-digit", "has space", "all"])
def test_invalid_name_is_2621519(fake_ontap_admin: HostConnection, name: str) -> None:
    svm = Svm(name=name)
    svm.set_connection(fake_ontap_admin)
    with pytest.raises(NetAppRestError) as exc:
        svm.post()
    assert error_code(exc) == (400, "2621519")


def test_missing_svm_is_404_code_4(fake_ontap_admin: HostConnection) -> None:
    svm = Svm(uuid="00000000-0000-0000-0000-000000000000")
    svm.set_connection(fake_ontap_admin)
    with pytest.raises(NetAppRestError) as exc:
        svm.get()
    assert error_code(exc) == (404, "4")
    job = Job(uuid="00000000-0000-0000-0000-000000000001")
    job.set_connection(fake_ontap_admin)
    with pytest.raises(NetAppRestError) as exc:
        job.get()
    assert error_code(exc) == (404, "4")


def test_patch_runs_as_job_and_applies(fake_ontap: FakeOntapServer, fake_ontap_admin: HostConnection) -> None:
    svm = create_svm(fake_ontap_admin, "p-patch")
    svm.get(fields="comment,aggregates")
    change(
        svm,
        comment="owned-by: shoot--p--x",
        aggregates=[{"name": "aggr1_fake_01"}, {"name": "aggr1_fake_02"}],
    )
    svm.patch(poll=True)
    assert [e.status for e in fake_ontap.requests.entries() if e.method == "PATCH"] == [202]

    fresh = Svm(uuid=svm.uuid)
    fresh.set_connection(fake_ontap_admin)
    fresh.get(fields="comment,aggregates")
    assert fresh.comment == "owned-by: shoot--p--x"
    assert sorted(a.name for a in fresh.aggregates) == ["aggr1_fake_01", "aggr1_fake_02"]


def test_patch_with_unknown_aggregate_is_refused(fake_ontap_admin: HostConnection) -> None:
    svm = create_svm(fake_ontap_admin, "p-badaggr")
    change(svm, aggregates=[{"name": "aggr9"}])
    with pytest.raises(NetAppRestError) as exc:
        svm.patch()
    assert error_code(exc) == (400, "2")


def test_delete_takes_lifs_and_accounts_along(
    fake_ontap: FakeOntapServer, fake_ontap_admin: HostConnection
) -> None:
    svm = create_svm(fake_ontap_admin, "p-del")
    create_lif(fake_ontap_admin, svm, "data1", "127.1.0.10")
    create_account(fake_ontap_admin, svm, "p-del-user")
    svm.delete(poll=True)

    assert list(Svm.get_collection(connection=fake_ontap_admin, name="p-del")) == []
    by_svm: dict[str, Any] = {"svm.name": "p-del"}
    assert list(IpInterface.get_collection(connection=fake_ontap_admin, **by_svm)) == []
    state = fake_ontap.snapshot()
    assert state["accounts"].keys() == {f"{state['cluster']['uuid']}/admin"}
    assert state["volumes"] == {}


def test_delete_with_data_volumes_is_refused(
    fake_ontap: FakeOntapServer, fake_ontap_admin: HostConnection
) -> None:
    svm = create_svm(fake_ontap_admin, "p-full")
    fake_ontap.add_volume("p-full", "trident_pvc_1")
    with pytest.raises(NetAppRestError) as exc:
        svm.delete()
    # ONTAP's answer is undocumented; the fake's own code (13434920 means "SVM does not exist")
    assert error_code(exc) == (409, "fake-svm-not-empty")
    assert "trident_pvc_1" in error_of(exc.value)["message"]
    svm.get(fields="state")
    assert svm.state == "running"


def test_delete_with_nvme_subsystems_is_refused(
    fake_ontap: FakeOntapServer, fake_ontap_admin: HostConnection
) -> None:
    svm = create_svm(fake_ontap_admin, "p-subsys")
    fake_ontap.add_nvme_subsystem("p-subsys", "trident_subsystem_1")
    with pytest.raises(NetAppRestError) as exc:
        svm.delete()
    assert error_code(exc) == (409, "fake-svm-not-empty")
    assert "trident_subsystem_1" in error_of(exc.value)["message"]


def test_modify_while_initializing_is_busy(
    fake_ontap: FakeOntapServer, fake_ontap_admin: HostConnection
) -> None:
    fake_ontap.set_job_timing(seconds=30)
    svm = Svm(name="p-busy")
    svm.set_connection(fake_ontap_admin)
    svm.post(poll=False)
    change(svm, comment="later")
    with pytest.raises(NetAppRestError) as exc:
        svm.patch()
    assert error_code(exc) == (409, "13434916")


def test_at_most_five_svm_jobs_run_at_once(
    fake_ontap: FakeOntapServer, fake_ontap_admin: HostConnection
) -> None:
    fake_ontap.set_job_timing(seconds=30)
    for index in range(5):
        svm = Svm(name=f"p-many{index}")
        svm.set_connection(fake_ontap_admin)
        svm.post(poll=False)
    sixth = Svm(name="p-many5")
    sixth.set_connection(fake_ontap_admin)
    with pytest.raises(NetAppRestError) as exc:
        sixth.post(poll=False)
    assert error_code(exc) == (409, "13434894")


def test_job_record_after_success(fake_ontap_admin: HostConnection) -> None:
    svm = Svm(name="p-job")
    svm.set_connection(fake_ontap_admin)
    accepted = svm.post(poll=False)
    job_uuid = accepted.http_response.json()["job"]["uuid"]
    utils.watch_job(f"/api/cluster/jobs/{job_uuid}", connection=fake_ontap_admin)
    job = Job(uuid=job_uuid)
    job.set_connection(fake_ontap_admin)
    job.get(fields="state,message,code,svm,description")
    assert job.state == "success"
    assert job.code == 0
    assert job.svm.name == "p-job"
    assert job.description == "POST /api/svm/svms"

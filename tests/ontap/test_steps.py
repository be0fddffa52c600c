"""The provisioning primitives against the fake: steady state, ownership, drift, login, deletion, jobs."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pydantic import SecretStr

from ontap import naming
from ontap.client import OntapClient, send_json
from ontap.errors import (
    OntapBusy,
    OntapNotEmpty,
    OntapOwnershipConflict,
    OntapPlacementConflict,
    OntapTransient,
)
from ontap.fake.testing import FakeOntapServer
from ontap.jobs import JobOutcome, wait_for_job
from ontap.models import SvmInfo
from ontap.provisioning import account, deletion, lifs, observe, placement, svm
from ontap.provisioning.reads import find_svm
from tests.ontap.conftest import make_client
from tests.ontap.provisioning_helpers import (
    ACCOUNT,
    DESIRED_ACCOUNT,
    DESIRED_LIFS,
    DESIRED_SVM,
    MANAGEMENT_IP,
    PASSWORD,
    PROJECT_ID,
    SVM_NAME,
    assert_fully_provisioned_once,
    interfaces_of,
    provision,
    svms_named,
)


async def test_steady_state_check_is_three_reads_and_says_nothing_to_do(
    fake_cluster: FakeOntapServer, ontap_client: OntapClient
) -> None:
    await provision(ontap_client)
    fake_cluster.requests.clear()

    observation = await observe.observe_provisioned(ontap_client, SVM_NAME, ACCOUNT, PASSWORD, MANAGEMENT_IP)

    assert fake_cluster.requests.count() <= 3
    assert fake_cluster.requests.count(writes_only=True) == 0
    assert fake_cluster.requests.count(user=ACCOUNT) == 1
    assert observe.pending_work(observation, DESIRED_SVM, DESIRED_LIFS) == []
    assert observation.login is not None and observation.login.ok
    # The primitives reuse the observation: the whole steady-state pass stays at 3 requests.
    assert observation.svm is not None
    _, report = await svm.ensure_svm(ontap_client, DESIRED_SVM, observed=observation.svm)
    lif_report = await lifs.ensure_lifs(
        ontap_client, observation.svm, DESIRED_LIFS, observed_interfaces=observation.interfaces
    )
    assert not report.changed and not lif_report.changed
    assert fake_cluster.requests.count() == 3


async def test_observation_of_a_missing_svm_is_one_request(
    fake_cluster: FakeOntapServer, ontap_client: OntapClient
) -> None:
    observation = await observe.observe_provisioned(ontap_client, SVM_NAME, ACCOUNT, PASSWORD, MANAGEMENT_IP)
    assert observation.svm is None and observation.interfaces is None and observation.login is None
    assert fake_cluster.requests.count() == 1


async def test_svm_without_marker_is_never_touched(
    fake_cluster: FakeOntapServer, ontap_client: OntapClient
) -> None:
    body = {"name": SVM_NAME, "comment": "made by hand", "aggregates": [{"name": "aggr1_fake_01"}]}
    await ontap_client.run(
        lambda c: send_json(c, "POST", "/api/svm/svms", body=body),
        operation="POST",
        target="x",
        mutating=True,
    )
    await asyncio.sleep(0.2)
    fake_cluster.requests.clear()

    with pytest.raises(OntapOwnershipConflict, match="ownership marker"):
        await svm.ensure_svm(ontap_client, DESIRED_SVM)
    assert fake_cluster.requests.count(writes_only=True) == 0
    current = await find_svm(ontap_client, SVM_NAME)
    with pytest.raises(OntapOwnershipConflict):
        await deletion.delete_svm(ontap_client, current)  # type: ignore[arg-type]
    assert len(svms_named(fake_cluster, SVM_NAME)) == 1


async def test_svm_still_initializing_is_busy(
    fake_cluster: FakeOntapServer, ontap_client: OntapClient
) -> None:
    fake_cluster.set_job_timing(seconds=30)
    fake_cluster.faults.add({"type": "apply_then_reset"}, method="POST", path="/api/svm/svms", times=1)
    with pytest.raises(OntapBusy, match="initializing"):
        await svm.ensure_svm(ontap_client, DESIRED_SVM)
    assert len(svms_named(fake_cluster, SVM_NAME)) == 1


async def test_svm_drift_is_fixed_in_place(fake_cluster: FakeOntapServer, ontap_client: OntapClient) -> None:
    only_one = svm.DesiredSvm(name=SVM_NAME, project_id=DESIRED_SVM.project_id, aggregates=("aggr1_fake_01",))
    created, _ = await svm.ensure_svm(ontap_client, only_one)
    with fake_cluster.lock:
        fake_cluster.state.nvme_services[created.uuid]["enabled"] = False
    uuid_before = created.uuid

    both = svm.DesiredSvm(
        name=SVM_NAME, project_id=DESIRED_SVM.project_id, aggregates=("aggr1_fake_01", "aggr1_fake_02")
    )
    fixed, report = await svm.ensure_svm(ontap_client, both)

    assert fixed.uuid == uuid_before
    assert set(fixed.aggregates) == {"aggr1_fake_01", "aggr1_fake_02"}
    assert fixed.nvme_enabled is True
    assert report.actions == [
        f"added aggregates aggr1_fake_02 to SVM {SVM_NAME}",
        f"enabled NVMe service on SVM {SVM_NAME}",
    ]


async def test_missing_nvme_service_is_created(
    fake_cluster: FakeOntapServer, ontap_client: OntapClient
) -> None:
    created, _ = await svm.ensure_svm(ontap_client, DESIRED_SVM)
    with fake_cluster.lock:
        del fake_cluster.state.nvme_services[created.uuid]
    fixed, report = await svm.ensure_svm(ontap_client, DESIRED_SVM)
    assert fixed.nvme_enabled is True
    assert report.actions == [f"created NVMe service on SVM {SVM_NAME}"]


async def test_lif_with_another_ip_is_reported_not_replaced(
    fake_cluster: FakeOntapServer, ontap_client: OntapClient
) -> None:
    created, _ = await svm.ensure_svm(ontap_client, DESIRED_SVM)
    other = lifs.DesiredLifs.model_validate(
        {"data_ips": ["127.0.0.99", "127.0.0.12"], "management_ip": "127.0.0.10"}
    )
    await lifs.ensure_lifs(ontap_client, created, other)
    fake_cluster.requests.clear()

    report = await lifs.ensure_lifs(ontap_client, created, DESIRED_LIFS)

    assert report.drift == ["LIF data1 has IP 127.0.0.99, desired 127.0.0.11 (left alone)"]
    assert not report.changed
    assert fake_cluster.requests.count(writes_only=True) == 0
    assert ("data1", "127.0.0.99") in interfaces_of(fake_cluster, SVM_NAME)


async def test_lif_policy_drift_is_fixed_in_place(
    fake_cluster: FakeOntapServer, ontap_client: OntapClient
) -> None:
    await provision(ontap_client)
    with fake_cluster.lock:
        for interface in fake_cluster.state.interfaces.values():
            if interface["name"] == "data2":
                interface["service_policy"] = {"name": "default-data-files"}
                interface["enabled"] = False
                uuid = interface["uuid"]
    created = await find_svm(ontap_client, SVM_NAME)
    assert created is not None
    report = await lifs.ensure_lifs(ontap_client, created, DESIRED_LIFS)
    assert report.actions == ["set service policy of LIF data2 to default-data-nvme-tcp", "enabled LIF data2"]
    with fake_cluster.lock:
        interface = fake_cluster.state.interfaces[uuid]
        assert (interface["service_policy"]["name"], interface["enabled"]) == ("default-data-nvme-tcp", True)


async def test_bgp_peer_groups_make_vip_lifs(
    fake_cluster: FakeOntapServer, ontap_client: OntapClient
) -> None:
    with fake_cluster.lock:
        fake_cluster.state.bgp_peer_groups["bgp1"] = {
            "uuid": "bgp1",
            "name": "pg1",
            "ipspace": {"name": "Default"},
            "peer": {"address": "127.0.0.1", "asn": 65000},
            "state": "up",
        }
    created, _ = await svm.ensure_svm(ontap_client, DESIRED_SVM)
    report = await lifs.ensure_lifs(ontap_client, created, DESIRED_LIFS)
    assert all(
        a.endswith("/32 on fake-01 (vip)") or a.endswith("/32 on fake-02 (vip)") for a in report.actions
    )
    interfaces = await ontap_client.run(
        lambda c: send_json(c, "GET", "/api/network/ip/interfaces", params={"fields": "vip,ip"}),
        operation="GET",
        target="x",
        mutating=False,
    )
    assert {(r["vip"], r["ip"]["netmask"]) for r in interfaces["records"]} == {(True, "32")}


async def test_account_login_password_and_fixes(
    fake_cluster: FakeOntapServer, ontap_client: OntapClient
) -> None:
    created, _ = await svm.ensure_svm(ontap_client, DESIRED_SVM)
    await lifs.ensure_lifs(ontap_client, created, DESIRED_LIFS)
    missing = await account.check_login(ontap_client, created, ACCOUNT, PASSWORD, MANAGEMENT_IP)
    assert missing.status is account.LoginStatus.REJECTED

    await account.ensure_account(ontap_client, created, DESIRED_ACCOUNT)
    assert (await account.check_login(ontap_client, created, ACCOUNT, PASSWORD, MANAGEMENT_IP)).ok
    wrong = await account.check_login(
        ontap_client, created, ACCOUNT, SecretStr("Wr0ng-password"), MANAGEMENT_IP
    )
    assert wrong.status is account.LoginStatus.REJECTED

    new_password = SecretStr("N3w-Passw0rd-22")
    report = await account.set_password(ontap_client, created, ACCOUNT, new_password)
    assert report.changed
    await account.set_password(ontap_client, created, ACCOUNT, new_password)
    assert (await account.check_login(ontap_client, created, ACCOUNT, new_password, MANAGEMENT_IP)).ok
    assert not (await account.check_login(ontap_client, created, ACCOUNT, PASSWORD, MANAGEMENT_IP)).ok

    with fake_cluster.lock:
        for record in fake_cluster.state.accounts.values():
            if record["name"] == ACCOUNT:
                record["locked"] = True
                record["role"] = {"name": "vsadmin-readonly"}
    fixed, report = await account.ensure_account(ontap_client, created, DESIRED_ACCOUNT)
    assert (fixed.role, fixed.locked) == ("vsadmin", False)
    assert report.actions == [f"set role of account {ACCOUNT} to vsadmin", f"unlocked account {ACCOUNT}"]


async def test_logins_of_many_accounts_reuse_kept_connections_with_their_own_credentials(
    fake_cluster: FakeOntapServer, ontap_client: OntapClient
) -> None:
    created, _ = await svm.ensure_svm(ontap_client, DESIRED_SVM)
    await lifs.ensure_lifs(ontap_client, created, DESIRED_LIFS)
    accounts = [(f"dev--shoot{i}", SecretStr(f"Sh00t-Passw0rd-{i}x")) for i in range(6)]
    for name, password in accounts:
        await account.ensure_account(
            ontap_client, created, account.DesiredAccount(name=name, password=password)
        )
    fake_cluster.requests.clear()
    for _ in range(5):  # five passes of six shoots
        for name, password in accounts:
            assert (await account.check_login(ontap_client, created, name, password, MANAGEMENT_IP)).ok
        # A kept connection does not carry the previous account's credentials.
        wrong = await account.check_login(
            ontap_client, created, accounts[0][0], SecretStr("Wr0ng-pw-1"), MANAGEMENT_IP
        )
        assert wrong.status is account.LoginStatus.REJECTED
    users = [e.user for e in fake_cluster.requests.entries() if e.path == "/api/network/ip/interfaces"]
    assert users[:6] == [name for name, _ in accounts]
    # 35 logins, sequential: one kept connection to the LIF, not one per login (or per account).
    assert ontap_client._logins is not None and ontap_client._logins.created == 1


async def test_login_error_is_not_a_rejection(
    fake_cluster: FakeOntapServer, ontap_client: OntapClient
) -> None:
    await provision(ontap_client)
    created = await find_svm(ontap_client, SVM_NAME)
    assert created is not None
    fake_cluster.faults.add(
        {"type": "error", "status": 500, "code": "8"}, method="GET", path="/api/network/ip/interfaces"
    )
    result = await account.check_login(ontap_client, created, ACCOUNT, PASSWORD, MANAGEMENT_IP)
    assert result.status is account.LoginStatus.ERROR
    assert isinstance(result.error, OntapTransient)


async def test_passwords_never_reach_logs_or_errors(
    fake_cluster: FakeOntapServer, ontap_client: OntapClient, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_cluster.faults.add(
        {"type": "error", "status": 400, "code": "7077918"}, method="POST", path="/api/security/*"
    )
    created, _ = await svm.ensure_svm(ontap_client, DESIRED_SVM)
    with pytest.raises(Exception) as caught:
        await account.ensure_account(ontap_client, created, DESIRED_ACCOUNT)
    secret = PASSWORD.get_secret_value()
    assert secret not in str(caught.value) and secret not in repr(caught.value.__dict__)
    assert secret not in capsys.readouterr().out


async def test_delete_account_and_svm(fake_cluster: FakeOntapServer, ontap_client: OntapClient) -> None:
    await provision(ontap_client)
    created = await find_svm(ontap_client, SVM_NAME)
    assert created is not None
    fake_cluster.add_volume(SVM_NAME, "pvc_1")
    fake_cluster.add_nvme_subsystem(SVM_NAME, "trident_subsystem_1")
    contents = await deletion.svm_contents(ontap_client, created)
    assert (contents.volumes, contents.subsystems) == (("pvc_1",), ("trident_subsystem_1",))
    with pytest.raises(OntapNotEmpty, match=r"1 volume\(s\) \(pvc_1\) and 1 NVMe subsystem\(s\) \(trident"):
        await deletion.delete_svm(ontap_client, created)
    assert_fully_provisioned_once(fake_cluster)
    assert fake_cluster.requests.count(method="DELETE") == 0, "nothing is forced"
    with fake_cluster.lock:
        fake_cluster.state.nvme_subsystems.clear()

    assert (await deletion.delete_account(ontap_client, created, ACCOUNT)).changed
    assert not (await deletion.delete_account(ontap_client, created, ACCOUNT)).changed

    with fake_cluster.lock:
        for key in [k for k, v in fake_cluster.state.volumes.items() if v["name"] == "pvc_1"]:
            del fake_cluster.state.volumes[key]
    report = await deletion.delete_svm(ontap_client, created, project_id=DESIRED_SVM.project_id)
    assert report.actions[-2:] == [f"deleted the NVMe service of SVM {SVM_NAME}", f"deleted SVM {SVM_NAME}"]
    assert svms_named(fake_cluster, SVM_NAME) == []
    assert not (await deletion.delete_svm(ontap_client, created)).changed


@pytest.mark.parametrize(
    "fault",
    [
        {"type": "apply_then_reset"},
        {"type": "apply_then_fail", "status": 500, "code": "8"},
        {"type": "reset"},
    ],
)
async def test_svm_deletion_converges_under_faults(
    fake_cluster: FakeOntapServer, ontap_client: OntapClient, fault: dict[str, Any]
) -> None:
    await provision(ontap_client)
    created = await find_svm(ontap_client, SVM_NAME)
    assert created is not None
    await deletion.delete_account(ontap_client, created, ACCOUNT)
    fake_cluster.faults.add(fault, method="DELETE", times=1)
    for _ in range(5):
        try:
            await deletion.delete_svm(ontap_client, created)
            break
        except OntapTransient:
            await asyncio.sleep(0.1)
    assert svms_named(fake_cluster, SVM_NAME) == []


async def test_job_outcomes(fake_cluster: FakeOntapServer, ontap_client: OntapClient) -> None:
    assert (
        await wait_for_job(ontap_client, "00000000-0000-0000-0000-000000000000", operation="x", target="job")
        is JobOutcome.PURGED
    )
    fake_cluster.set_job_timing(seconds=30)
    body = {"name": SVM_NAME, "comment": "c", "aggregates": [{"name": "aggr1_fake_01"}]}
    answer = await ontap_client.run(
        lambda c: send_json(c, "POST", "/api/svm/svms", body=body),
        operation="POST",
        target="x",
        mutating=True,
    )
    with pytest.raises(OntapTransient, match="may still finish"):
        await wait_for_job(ontap_client, answer["job"]["uuid"], operation="POST", target="svm", timeout=0.3)


async def test_a_finished_job_the_cluster_purged_reads_as_purged(
    fake_cluster: FakeOntapServer, ontap_client: OntapClient
) -> None:
    # ONTAP purges finished jobs (404 code "4"); the fake purges them at the first request after
    # `retention_seconds`, here at once
    fake_cluster.set_job_timing(seconds=0, retention_seconds=0)
    body = {"name": SVM_NAME, "aggregates": [{"name": "aggr1_fake_01"}]}
    answer = await ontap_client.run(
        lambda c: send_json(c, "POST", "/api/svm/svms", body=body),
        operation="POST",
        target="x",
        mutating=True,
    )
    job = answer["job"]["uuid"]
    assert await wait_for_job(ontap_client, job, operation="POST", target="svm") is JobOutcome.SUCCEEDED
    assert await wait_for_job(ontap_client, job, operation="POST", target="svm") is JobOutcome.PURGED


class TestPlacement:
    async def test_new_svm_goes_to_the_cluster_with_fewer_volumes(
        self, fake_cluster: FakeOntapServer, second_fake_cluster: FakeOntapServer
    ) -> None:
        a, b = make_client(fake_cluster, "a"), make_client(second_fake_cluster, "b")
        try:
            busy = svm.DesiredSvm(name="pbusy", project_id="busy")
            await svm.ensure_svm(a, busy)
            fake_cluster.add_volume("pbusy", "v1")
            fake_cluster.requests.clear()
            second_fake_cluster.requests.clear()

            chosen = await placement.choose_cluster({"a": a, "b": b}, SVM_NAME, None)

            assert chosen == placement.Placement(cluster="b", svm=None)
            # per cluster: the SVM, its MetroCluster partner, the aggregates' volume counts
            assert fake_cluster.requests.count() == 3 and second_fake_cluster.requests.count() == 3
        finally:
            await a.close()
            await b.close()

    async def test_existing_svm_is_found_on_the_other_cluster(
        self, fake_cluster: FakeOntapServer, second_fake_cluster: FakeOntapServer
    ) -> None:
        a, b = make_client(fake_cluster, "a"), make_client(second_fake_cluster, "b")
        try:
            await svm.ensure_svm(b, DESIRED_SVM)
            chosen = await placement.choose_cluster({"a": a, "b": b}, SVM_NAME, "a")
            assert chosen.cluster == "b" and chosen.svm_exists
            second_fake_cluster.requests.clear()
            again = await placement.choose_cluster({"a": a, "b": b}, SVM_NAME, "b")
            assert again.cluster == "b" and second_fake_cluster.requests.count() == 1

            await svm.ensure_svm(a, DESIRED_SVM)
            with pytest.raises(OntapPlacementConflict, match="a, b"):
                await placement.choose_cluster({"a": a, "b": b}, SVM_NAME, None)
        finally:
            await a.close()
            await b.close()

    async def test_metrocluster_partner_counts_as_the_projects_svm(
        self, fake_cluster: FakeOntapServer, second_fake_cluster: FakeOntapServer
    ) -> None:
        # metal-stack runs MetroCluster: the partner site holds `<name>-mc` (its pkg/trident/svm.go).
        a, b = make_client(fake_cluster, "a"), make_client(second_fake_cluster, "b")
        partner = naming.metrocluster_partner(SVM_NAME)
        try:
            await svm.ensure_svm(b, svm.DesiredSvm(name=partner, project_id=PROJECT_ID))
            fake_cluster.requests.clear()
            second_fake_cluster.requests.clear()

            chosen = await placement.choose_cluster({"a": a, "b": b}, SVM_NAME, None)

            assert chosen.cluster == "b" and chosen.svm is not None and chosen.svm.name == partner
            assert fake_cluster.requests.count(writes_only=True) == 0
            assert second_fake_cluster.requests.count(writes_only=True) == 0
            assert (
                svms_named(fake_cluster, SVM_NAME) == [] and svms_named(second_fake_cluster, SVM_NAME) == []
            )

            await svm.ensure_svm(a, DESIRED_SVM)  # the primary wins over its partner
            assert (await placement.choose_cluster({"a": a, "b": b}, SVM_NAME, None)).cluster == "a"
        finally:
            await a.close()
            await b.close()

    def test_partners_on_two_clusters_are_a_conflict(self) -> None:
        info = SvmInfo(uuid="u", name=naming.metrocluster_partner(SVM_NAME))
        with pytest.raises(OntapPlacementConflict, match="-mc exists on several clusters"):
            placement.decide_existing(SVM_NAME, {"a": None, "b": None}, {"a": info, "b": info})

    async def test_refuses_to_place_when_a_cluster_is_down(
        self, fake_cluster: FakeOntapServer, second_fake_cluster: FakeOntapServer
    ) -> None:
        a, b = make_client(fake_cluster, "a"), make_client(second_fake_cluster, "b")
        second_fake_cluster.stop()
        try:
            with pytest.raises(OntapTransient) as caught:
                await placement.choose_cluster({"a": a, "b": b}, SVM_NAME, None)
            assert caught.value.cluster == "b"
            assert "ONTAP cluster 'b'" in str(caught.value)
            assert svms_named(fake_cluster, SVM_NAME) == []
        finally:
            await a.close()
            await b.close()

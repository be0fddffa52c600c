"""The fake is as strict as real ONTAP where NetApp documents the behaviour (docs/fake-ontap.md,
"Fidelity"): codes from Trident's error tables, netapp-ontap docstrings and the Ansible collection."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from netapp_ontap import HostConnection
from netapp_ontap.resources.aggregate import Aggregate
from netapp_ontap.resources.svm import Svm

from ontap.errors import OntapInvalidInput
from ontap.fake.cli import parse_args
from ontap.fake.testing import FakeOntapServer
from ontap.provisioning.account import _is_password_reuse
from tests.fake.builders import ACCOUNT_PASSWORD, create_account, create_lif, create_svm


def _admin(server: FakeOntapServer) -> tuple[str, str]:
    return (server.admin_user, server.admin_password)


def call(server: FakeOntapServer, method: str, path: str, **kwargs: Any) -> requests.Response:
    """A raw request as the cluster admin (no client-side validation in between)."""
    return requests.request(method, f"{server.url}{path}", auth=_admin(server), timeout=5, **kwargs)


def error(answer: requests.Response) -> tuple[int, str]:
    """HTTP status and ONTAP code of an error answer."""
    return answer.status_code, str(answer.json()["error"]["code"])


def _account_body(svm_uuid: str, name: str, password: str) -> dict[str, Any]:
    return {
        "name": name,
        "owner": {"uuid": svm_uuid},
        "role": {"name": "vsadmin"},
        "applications": [{"application": "http", "authentication_methods": ["password"]}],
        "password": password,
    }


# --- accounts ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("Short1", "7077919"),  # below the minimum length
        ("A1" * 65, "7077940"),  # beyond 128 characters
        ("x-P-PWRULE-1234", "7077918"),  # contains the user name (case-insensitive)
    ],
)
def test_password_rules_on_create(
    fake_ontap: FakeOntapServer, fake_ontap_admin: HostConnection, password: str, code: str
) -> None:
    svm = create_svm(fake_ontap_admin, "p-pwrule")
    answer = call(
        fake_ontap, "POST", "/api/security/accounts", json=_account_body(svm.uuid, "p-pwrule", password)
    )
    assert error(answer) == (400, code)
    assert password not in answer.text


def test_password_change_refuses_current_and_recent_passwords(
    fake_ontap: FakeOntapServer, fake_ontap_admin: HostConnection
) -> None:
    svm = create_svm(fake_ontap_admin, "p-pwhist")
    create_account(fake_ontap_admin, svm, "p-pwhist-user")
    path = f"/api/security/accounts/{svm.uuid}/p-pwhist-user"

    same = call(fake_ontap, "PATCH", path, json={"password": ACCOUNT_PASSWORD})
    assert error(same) == (400, "7077925")
    assert same.json()["error"]["message"] == "New password must be different than the old password."

    assert call(fake_ontap, "PATCH", path, json={"password": "Second-pass-2"}).status_code == 200
    recent = call(fake_ontap, "PATCH", path, json={"password": ACCOUNT_PASSWORD})
    assert error(recent) == (400, "7077924")
    assert recent.json()["error"]["message"] == "New password must be different than last 6 passwords."
    assert call(fake_ontap, "PATCH", path, json={"password": "p-PWHIST-user-9"}).json()["error"]["code"] == (
        "7077918"
    )

    # the current password and the 5 before it are refused; the 6th before it is free again
    for number in range(3, 8):
        assert call(fake_ontap, "PATCH", path, json={"password": f"Next-pass-{number}"}).status_code == 200
    assert call(fake_ontap, "PATCH", path, json={"password": ACCOUNT_PASSWORD}).status_code == 200


@pytest.mark.parametrize(
    "message",
    [
        "New password must be different than the old password.",
        "New password must be different than last 6 passwords.",
    ],
)
def test_reuse_messages_are_what_the_provisioning_code_recognises(message: str) -> None:
    assert _is_password_reuse(OntapInvalidInput("refused", http_status=400, ontap_message=message))


@pytest.mark.parametrize(
    ("name", "code"),
    [("admin", "5636121"), ("root", "5636121"), ("diag", "5636121"), ("autosupport", "5636126")],
)
def test_reserved_account_names(
    fake_ontap: FakeOntapServer, fake_ontap_admin: HostConnection, name: str, code: str
) -> None:
    svm = create_svm(fake_ontap_admin, "p-reserved")
    answer = call(
        fake_ontap, "POST", "/api/security/accounts", json=_account_body(svm.uuid, name, "Good-pass-123")
    )
    assert error(answer) == (400, code)


# --- generic request rules -----------------------------------------------------------------------


def test_missing_required_field_is_code_2(fake_ontap: FakeOntapServer) -> None:
    answer = call(fake_ontap, "POST", "/api/svm/svms", json={"aggregates": [{"name": "aggr1_fake_01"}]})
    assert error(answer) == (400, "2")
    assert answer.json()["error"] == {"message": '"name" is a required field', "code": "2", "target": "name"}


@pytest.mark.parametrize(
    "path",
    [
        "/api/svm/svms?fields=name,bogus",
        "/api/cluster?fields=no_such_field",
        "/api/svm/svms?fields=nvme.nonsense",
    ],
)
def test_unknown_name_in_fields_is_262197(fake_ontap: FakeOntapServer, path: str) -> None:
    answer = call(fake_ontap, "GET", path)
    assert error(answer) == (400, "262197")
    assert answer.json()["error"]["target"] == "fields"


def test_unknown_filter_is_refused(fake_ontap: FakeOntapServer) -> None:
    answer = call(fake_ontap, "GET", "/api/svm/svms?colour=blue")
    assert error(answer) == (400, "262179")
    assert answer.json()["error"]["target"] == "colour"


@pytest.mark.parametrize(
    "query",
    [
        "fields=volume-count,space.block_storage.available,node.name",
        "fields=*",
        "fields=**",
        "return_records=false",
        "max_records=1&order_by=name",
        "return_timeout=15&fields=state",
        "node.name=fake-01&fields=name",
        "start.uuid=0&max_records=1",
    ],
)
def test_legitimate_query_parameters_are_accepted(fake_ontap: FakeOntapServer, query: str) -> None:
    assert call(fake_ontap, "GET", f"/api/storage/aggregates?{query}").status_code == 200


def test_netapp_ontap_reads_still_work(fake_ontap_admin: HostConnection) -> None:
    svm = create_svm(fake_ontap_admin, "p-reads")
    assert Svm.find(connection=fake_ontap_admin, name="p-reads").uuid == svm.uuid
    assert Svm.count_collection(connection=fake_ontap_admin, name="p-reads") == 1
    counts = {
        a.name: a.volume_count
        for a in Aggregate.get_collection(connection=fake_ontap_admin, fields="volume-count")
    }
    assert counts["aggr1_fake_01"] == 1


# --- SVMs ----------------------------------------------------------------------------------------


def test_nvme_enabled_cannot_be_patched_on_the_svm(
    fake_ontap: FakeOntapServer, fake_ontap_admin: HostConnection
) -> None:
    svm = create_svm(fake_ontap_admin, "p-nvpatch")
    answer = call(fake_ontap, "PATCH", f"/api/svm/svms/{svm.uuid}", json={"nvme": {"enabled": False}})
    assert error(answer) == (400, "262196")
    assert answer.json()["error"]["target"] == "nvme.enabled"
    assert (
        call(fake_ontap, "PATCH", f"/api/svm/svms/{svm.uuid}", json={"nvme": {"allowed": True}}).status_code
        == 202
    )


def test_sync_source_svm_names_are_at_most_41_characters(fake_ontap: FakeOntapServer) -> None:
    body = {"name": "s" * 42, "subtype": "sync_source", "aggregates": [{"name": "aggr1_fake_01"}]}
    assert error(call(fake_ontap, "POST", "/api/svm/svms", json=body)) == (400, "13434911")
    assert call(fake_ontap, "POST", "/api/svm/svms", json={**body, "subtype": "default"}).status_code == 202


# --- LIFs ----------------------------------------------------------------------------------------


def _lif(svm_uuid: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "data1",
        "svm": {"uuid": svm_uuid},
        "ip": {"address": "127.9.0.1", "netmask": "32"},
        "location": {"home_node": {"name": "fake-01"}},
        "service_policy": {"name": "default-data-nvme-tcp"},
    }
    body.update(overrides)
    return body


def test_lif_rules(fake_ontap: FakeOntapServer, fake_ontap_admin: HostConnection) -> None:
    svm = create_svm(fake_ontap_admin, "p-lifrule")
    lifs = "/api/network/ip/interfaces"
    no_netmask = _lif(svm.uuid, ip={"address": "127.9.0.1"})
    assert error(call(fake_ontap, "POST", lifs, json=no_netmask)) == (400, "1967398")
    vip_24 = _lif(svm.uuid, vip=True, ip={"address": "127.9.0.1", "netmask": "24"})
    assert error(call(fake_ontap, "POST", lifs, json=vip_24)) == (400, "1967385")
    vip_port = _lif(svm.uuid, vip=True, location={"home_port": {"name": "e0d", "node": {"name": "fake-01"}}})
    assert error(call(fake_ontap, "POST", lifs, json=vip_port)) == (400, "1967383")
    bad_policy = _lif(svm.uuid, service_policy={"name": "default-data-nvme-rdma-fake"})
    assert error(call(fake_ontap, "POST", lifs, json=bad_policy)) == (400, "53281065")

    created = call(fake_ontap, "POST", lifs, json=_lif(svm.uuid, vip=True))
    assert created.status_code == 201
    uuid = created.headers["Location"].rsplit("/", 1)[-1]
    patched = call(fake_ontap, "PATCH", f"{lifs}/{uuid}", json={"service_policy": {"name": "no-such-policy"}})
    assert error(patched) == (400, "53281065")


@pytest.mark.parametrize(
    "policy",
    [
        "default-data-nvme-tcp",
        "default-management",
        "default-data-iscsi",
        "default-data-files",
        "default-data-blocks",
    ],
)
def test_builtin_service_policies_are_accepted(
    fake_ontap: FakeOntapServer, fake_ontap_admin: HostConnection, policy: str
) -> None:
    svm = create_svm(fake_ontap_admin, "p-policy")
    body = _lif(svm.uuid, ip={"address": "10.9.0.1", "netmask": "24"}, service_policy={"name": policy})
    assert call(fake_ontap, "POST", "/api/network/ip/interfaces", json=body).status_code == 201


# --- NVMe ----------------------------------------------------------------------------------------


def test_nvme_subsystems_are_listed_per_svm_and_block_the_service_delete(
    fake_ontap: FakeOntapServer, fake_ontap_admin: HostConnection
) -> None:
    svm = create_svm(fake_ontap_admin, "p-subs")
    create_svm(fake_ontap_admin, "p-subs-other")
    fake_ontap.add_nvme_subsystem("p-subs", "trident_subsystem_a")
    added = requests.post(
        f"{fake_ontap.url}/_fake/nvme-subsystems",
        json={"svm_name": "p-subs-other", "name": "sub_b"},
        timeout=5,
    )
    assert added.status_code == 201
    listed = call(fake_ontap, "GET", "/api/protocols/nvme/subsystems?svm.name=p-subs&fields=svm.name,os_type")
    assert [r["name"] for r in listed.json()["records"]] == ["trident_subsystem_a"]
    counted = call(
        fake_ontap, "GET", f"/api/protocols/nvme/subsystems?svm.uuid={svm.uuid}&return_records=false"
    )
    assert counted.json() == {"num_records": 1}

    service = f"/api/protocols/nvme/services/{svm.uuid}"
    assert call(fake_ontap, "PATCH", service, json={"enabled": False}).status_code == 200
    assert error(call(fake_ontap, "DELETE", service)) == (409, "72089653")


def test_nvme_lifs_block_the_service_delete(
    fake_ontap: FakeOntapServer, fake_ontap_admin: HostConnection
) -> None:
    svm = create_svm(fake_ontap_admin, "p-nvlif")
    create_lif(fake_ontap_admin, svm, "data1", "10.9.1.1")
    service = f"/api/protocols/nvme/services/{svm.uuid}"
    assert call(fake_ontap, "PATCH", service, json={"enabled": False}).status_code == 200
    assert error(call(fake_ontap, "DELETE", service)) == (409, "72089654")


# --- jobs ----------------------------------------------------------------------------------------


def test_finished_jobs_are_purged(fake_ontap: FakeOntapServer) -> None:
    fake_ontap.set_job_timing(seconds=0, retention_seconds=0)
    accepted = call(fake_ontap, "POST", "/api/svm/svms", json={"name": "p-purge"})
    job = accepted.json()["job"]["_links"]["self"]["href"]
    assert call(fake_ontap, "GET", job).json()["state"] == "success"
    gone = call(fake_ontap, "GET", job)
    assert error(gone) == (404, "4")


def test_jobs_are_kept_for_the_retention_time(fake_ontap: FakeOntapServer) -> None:
    fake_ontap.set_job_timing(seconds=0)
    accepted = call(fake_ontap, "POST", "/api/svm/svms", json={"name": "p-keep"})
    job = accepted.json()["job"]["_links"]["self"]["href"]
    for _ in range(3):
        assert call(fake_ontap, "GET", job).json()["state"] == "success"


def test_job_retention_option() -> None:
    assert parse_args([]).job_retention_seconds == 300.0
    assert parse_args(["--job-retention-seconds", "5"]).job_retention_seconds == 5.0


# --- what an SVM-scoped account may read ---------------------------------------------------------

MGMT_ADDRESS = "127.9.5.1"


def test_vsadmin_reads(fake_ontap: FakeOntapServer, fake_ontap_admin: HostConnection) -> None:
    mine = create_svm(fake_ontap_admin, "p-vsread")
    theirs = create_svm(fake_ontap_admin, "p-vsother")
    body = _lif(mine.uuid, name="mgmt", ip={"address": MGMT_ADDRESS, "netmask": "24"})
    body["service_policy"] = {"name": "default-management"}
    assert call(fake_ontap, "POST", "/api/network/ip/interfaces", json=body).status_code == 201
    create_account(fake_ontap_admin, mine, "p-vsread-user")
    job = call(fake_ontap, "PATCH", f"/api/svm/svms/{mine.uuid}", json={"comment": "x"}).json()["job"]["uuid"]
    other_job = call(fake_ontap, "PATCH", f"/api/svm/svms/{theirs.uuid}", json={"comment": "y"}).json()
    base = f"http://{MGMT_ADDRESS}:{fake_ontap.port}"

    def get(path: str) -> requests.Response:
        return requests.get(f"{base}{path}", auth=("p-vsread-user", ACCOUNT_PASSWORD), timeout=5)

    for allowed in (
        "/api/cluster",
        f"/api/svm/svms/{mine.uuid}",
        "/api/svm/svms",
        "/api/network/ip/interfaces",
        f"/api/cluster/jobs/{job}",
    ):
        assert get(allowed).status_code == 200, allowed
    assert [s["name"] for s in get("/api/svm/svms").json()["records"]] == ["p-vsread"]
    for refused in (
        "/api/security/accounts",
        f"/api/security/accounts/{mine.uuid}/p-vsread-user",
        "/api/storage/aggregates",
        "/api/cluster/nodes",
        f"/api/svm/svms/{theirs.uuid}",
        f"/api/cluster/jobs/{other_job['job']['uuid']}",
    ):
        assert error(get(refused)) == (403, "6"), refused


# --- return_timeout ------------------------------------------------------------------------------


def test_return_timeout_answers_200_with_the_job_when_it_finished_in_time(
    fake_ontap: FakeOntapServer, fake_ontap_admin: HostConnection
) -> None:
    svm = create_svm(fake_ontap_admin, "p-rtime")
    patched = call(fake_ontap, "PATCH", f"/api/svm/svms/{svm.uuid}?return_timeout=5", json={"comment": "c"})
    assert patched.status_code == 200
    assert (
        call(fake_ontap, "GET", patched.json()["job"]["_links"]["self"]["href"]).json()["state"] == "success"
    )
    svm.delete(poll=True, return_timeout=5)  # netapp-ontap polls the job it finds in the 200 answer
    assert list(Svm.get_collection(connection=fake_ontap_admin, name="p-rtime")) == []


def test_return_timeout_still_202_when_the_job_takes_longer(
    fake_ontap: FakeOntapServer, fake_ontap_admin: HostConnection
) -> None:
    svm = create_svm(fake_ontap_admin, "p-rslow")
    fake_ontap.set_job_timing(seconds=30)
    patched = call(fake_ontap, "PATCH", f"/api/svm/svms/{svm.uuid}?return_timeout=1", json={"comment": "c"})
    assert patched.status_code == 202
    bad = call(fake_ontap, "PATCH", f"/api/svm/svms/{svm.uuid}?return_timeout=121", json={"comment": "c"})
    assert error(bad) == (400, "2")


def test_401_is_not_json_and_challenges_basic(fake_ontap: FakeOntapServer) -> None:
    answer = requests.get(f"{fake_ontap.url}/api/cluster", auth=("admin", "wrong-password"), timeout=5)
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].startswith("Basic")
    assert not answer.text.lstrip().startswith("{")


def test_body_field_the_operation_does_not_take_is_262179(fake_ontap: FakeOntapServer) -> None:
    answer = call(fake_ontap, "POST", "/api/svm/svms", json={"name": "p-extra", "storage_limit": 1})
    assert error(answer) == (400, "262179")
    assert answer.json()["error"]["target"] == "storage_limit"

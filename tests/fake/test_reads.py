"""Cluster, nodes, aggregates, volumes and collection semantics, read with netapp-ontap."""

from __future__ import annotations

import time

import requests
from netapp_ontap import HostConnection
from netapp_ontap.resources.aggregate import Aggregate
from netapp_ontap.resources.cluster import Cluster
from netapp_ontap.resources.node import Node
from netapp_ontap.resources.svm import Svm
from netapp_ontap.resources.volume import Volume

from ontap.fake.testing import FakeOntapServer
from tests.fake.builders import create_svm


def test_cluster_and_seeded_topology(fake_ontap_admin: HostConnection) -> None:
    cluster = Cluster()
    cluster.set_connection(fake_ontap_admin)
    cluster.get()
    assert cluster.name == "fake-cluster"
    assert cluster.version.generation == 9

    nodes = list(Node.get_collection(connection=fake_ontap_admin, fields="name,state"))
    assert sorted(n.name for n in nodes) == ["fake-01", "fake-02"]
    assert {n.state for n in nodes} == {"up"}

    aggregates = list(Aggregate.get_collection(connection=fake_ontap_admin, fields="name,node,volume-count"))
    by_name = {a.name: a for a in aggregates}
    assert sorted(by_name) == ["aggr1_fake_01", "aggr1_fake_02"]
    assert by_name["aggr1_fake_01"].node.name == "fake-01"
    assert by_name["aggr1_fake_01"].volume_count == 0
    assert list(Svm.get_collection(connection=fake_ontap_admin)) == []


def test_volume_count_follows_volumes(fake_ontap: FakeOntapServer, fake_ontap_admin: HostConnection) -> None:
    svm = create_svm(fake_ontap_admin, "p-vol")
    assert Volume.count_collection(connection=fake_ontap_admin, **{"svm.uuid": svm.uuid}) == 1
    query = {"svm.uuid": svm.uuid, "is_svm_root": "false"}
    assert Volume.count_collection(connection=fake_ontap_admin, **query) == 0

    fake_ontap.add_volume("p-vol", "data1")
    fake_ontap.add_volume("p-vol", "data2")
    assert Volume.count_collection(connection=fake_ontap_admin, **query) == 2
    aggregate = next(
        a
        for a in Aggregate.get_collection(connection=fake_ontap_admin, fields="volume-count")
        if a.name == "aggr1_fake_01"
    )
    assert aggregate.volume_count == 3
    root = next(iter(Volume.get_collection(connection=fake_ontap_admin, is_svm_root="true", fields="name")))
    assert root.name == "p-vol_root"


def test_pagination_follows_next_links(fake_ontap_admin: HostConnection) -> None:
    for index in range(5):
        create_svm(fake_ontap_admin, f"page{index}")
    names = [s.name for s in Svm.get_collection(connection=fake_ontap_admin, max_records=2)]
    assert sorted(names) == [f"page{i}" for i in range(5)]


def test_envelope_fields_filters_and_trailing_slash(fake_ontap: FakeOntapServer) -> None:
    conn = requests.Session()
    conn.auth = (fake_ontap.admin_user, fake_ontap.admin_password)
    for name in ("alpha", "beta", "gamma"):
        create_svm_raw(conn, fake_ontap.url, name)

    page = conn.get(f"{fake_ontap.url}/api/svm/svms", params={"max_records": "2", "fields": "state"}).json()
    assert page["num_records"] == 2
    assert set(page["records"][0]) == {"uuid", "name", "state", "_links"}
    next_href = page["_links"]["next"]["href"]
    assert "max_records=2" in next_href
    assert "fields=state" in next_href
    assert "start=" in next_href
    rest = conn.get(fake_ontap.url + next_href).json()
    assert rest["num_records"] == 1
    assert "next" not in rest["_links"]

    bare = conn.get(f"{fake_ontap.url}/api/svm/svms/", params={"name": "beta"}).json()
    assert [set(r) for r in bare["records"]] == [{"uuid", "name", "_links"}]
    assert bare["records"][0]["_links"]["self"]["href"] == f"/api/svm/svms/{bare['records'][0]['uuid']}"

    def names(**query: str) -> list[str]:
        body = conn.get(f"{fake_ontap.url}/api/svm/svms", params=query).json()
        return sorted(r["name"] for r in body["records"])

    assert names(name="alpha|gamma") == ["alpha", "gamma"]
    assert names(name="!beta") == ["alpha", "gamma"]
    assert names(name="*a*a*") == ["alpha", "gamma"]
    assert names(name="!*m*") == ["alpha", "beta"]
    assert names(**{"aggregates.name": "aggr1_fake_01"}) == ["alpha", "beta", "gamma"]
    assert names(**{"aggregates.name": "aggr1_fake_02"}) == []

    everything = conn.get(f"{fake_ontap.url}/api/svm/svms", params={"fields": "**", "name": "alpha"}).json()
    assert everything["records"][0]["nvme"] == {"allowed": True, "enabled": True}
    dotted = conn.get(f"{fake_ontap.url}/api/svm/svms", params={"fields": "aggregates.name"}).json()
    assert dotted["records"][0]["aggregates"] == [{"name": "aggr1_fake_01"}]

    counted = conn.get(f"{fake_ontap.url}/api/svm/svms", params={"return_records": "false"}).json()
    assert counted == {"num_records": 3}


def create_svm_raw(session: requests.Session, url: str, name: str) -> None:
    """Create an SVM with a plain POST and wait for its job."""
    answer = session.post(
        f"{url}/api/svm/svms",
        json={
            "name": name,
            "aggregates": [{"name": "aggr1_fake_01"}],
            "nvme": {"allowed": True, "enabled": True},
        },
    )
    assert answer.status_code == 202
    job_href = answer.json()["job"]["_links"]["self"]["href"]
    for _ in range(100):
        job = session.get(url + job_href, params={"fields": "state,message"}).json()
        if job["state"] == "success":
            return
        assert job["state"] in ("queued", "running")
        time.sleep(0.02)
    raise AssertionError(f"job for SVM {name} did not finish")


def test_unknown_api_is_404_code_3(fake_ontap: FakeOntapServer) -> None:
    answer = requests.get(
        f"{fake_ontap.url}/api/no/such/thing", auth=(fake_ontap.admin_user, fake_ontap.admin_password)
    )
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "3"

"""A plain netapp-ontap script against the fake: no project code except starting the server.

It pins down what the library and ONTAP do on their own (job polling with `post(poll=True)`, the
error codes of a duplicate and of a missing object), independently of the layer built on them.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from netapp_ontap.error import NetAppRestError
from netapp_ontap.host_connection import HostConnection
from netapp_ontap.resources.account import Account
from netapp_ontap.resources.ip_interface import IpInterface
from netapp_ontap.resources.svm import Svm

from ontap.fake.testing import FakeOntapServer


@pytest.fixture
def connection() -> Iterator[HostConnection]:
    with FakeOntapServer() as server:
        server.set_job_timing(seconds=0.2)
        yield HostConnection(
            server.host,
            username=server.admin_user,
            password=server.admin_password,
            port=server.port,
            scheme="http",
            verify=False,
            poll_interval=1,
            poll_timeout=20,
        )


def error_code(error: NetAppRestError) -> str:
    body = error.response_body
    assert body is not None
    return str(body["error"]["code"])


def test_svm_lifs_and_account_with_plain_netapp_ontap(connection: HostConnection) -> None:
    svm = Svm(
        name="pscript", comment="script", aggregates=[{"name": "aggr1_fake_01"}], nvme={"enabled": True}
    )
    svm.set_connection(connection)
    response = svm.post(poll=True)
    assert response.http_response.status_code in (200, 201, 202)
    assert svm.uuid

    fetched = Svm(uuid=svm.uuid)
    fetched.set_connection(connection)
    fetched.get(fields="name,state,comment,nvme")
    assert (fetched.name, fetched.state, fetched.comment) == ("pscript", "running", "script")

    for name, address, node, policy in (
        ("data1", "127.1.0.11", "fake-01", "default-data-nvme-tcp"),
        ("mgmt", "127.1.0.10", "fake-01", "default-management"),
    ):
        lif = IpInterface(
            name=name,
            svm={"uuid": svm.uuid},
            ip={"address": address, "netmask": "24"},
            location={"home_node": {"name": node}},
            service_policy={"name": policy},
        )
        lif.post(connection=connection)
    names = sorted(
        i.name
        for i in IpInterface.get_collection(connection=connection, **{"svm.uuid": svm.uuid}, fields="name")
    )
    assert names == ["data1", "mgmt"]

    account = Account(
        name="scriptuser",
        owner={"uuid": svm.uuid},
        role={"name": "vsadmin"},
        applications=[{"application": "http", "authentication_methods": ["password"]}],
        password="Scr1pt-password",
    )
    account.post(connection=connection)

    # An SVM-scoped account logs in at a management LIF of its own SVM, not at the cluster address.
    def as_user(host: str) -> HostConnection:
        return HostConnection(
            host, username="scriptuser", password="Scr1pt-password", port=connection.port, scheme="http"
        )

    with pytest.raises(NetAppRestError) as at_cluster:
        list(IpInterface.get_collection(connection=as_user(connection.host), **{"svm.uuid": svm.uuid}))
    assert at_cluster.value.status_code == 401
    seen = IpInterface.get_collection(
        connection=as_user("127.1.0.10"), **{"svm.uuid": svm.uuid}, fields="name"
    )
    assert sorted(i.name for i in seen) == ["data1", "mgmt"]
    with pytest.raises(NetAppRestError) as at_data_lif:
        list(IpInterface.get_collection(connection=as_user("127.1.0.11"), **{"svm.uuid": svm.uuid}))
    assert at_data_lif.value.status_code in (401, None)  # a data LIF serves no management API

    with pytest.raises(NetAppRestError) as duplicate:
        again = Svm(name="pscript", aggregates=[{"name": "aggr1_fake_01"}])
        again.set_connection(connection)
        again.post(poll=True)
    assert duplicate.value.status_code == 409
    assert error_code(duplicate.value) == "13434908"

    with pytest.raises(NetAppRestError) as duplicate_lif:
        IpInterface(
            name="data1",
            svm={"uuid": svm.uuid},
            ip={"address": "127.1.0.99", "netmask": "24"},
            location={"home_node": {"name": "fake-01"}},
        ).post(connection=connection)
    assert error_code(duplicate_lif.value) == "1966140"

    with pytest.raises(NetAppRestError) as missing:
        ghost = Svm(uuid="00000000-0000-0000-0000-000000000000")
        ghost.set_connection(connection)
        ghost.get()
    assert missing.value.status_code == 404
    assert error_code(missing.value) == "4"

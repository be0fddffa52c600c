"""LIFs through netapp-ontap: synchronous create, validation codes, patch and delete."""

from __future__ import annotations

from typing import Any

import pytest
from netapp_ontap import HostConnection
from netapp_ontap.error import NetAppRestError
from netapp_ontap.resources.ip_interface import IpInterface

from tests.fake.builders import change, code_of, create_lif, create_svm


def _post(conn: HostConnection, **fields: Any) -> tuple[int | None, str]:
    with pytest.raises(NetAppRestError) as exc:
        IpInterface(**fields).post(connection=conn)
    return exc.value.status_code, code_of(exc.value)


def test_create_read_patch_delete(fake_ontap_admin: HostConnection) -> None:
    svm = create_svm(fake_ontap_admin, "p-lif")
    lif = create_lif(fake_ontap_admin, svm, "data1", "127.2.0.11", node="fake-02")
    assert lif.uuid

    found = list(
        IpInterface.get_collection(
            connection=fake_ontap_admin,
            **{"svm.uuid": svm.uuid},
            fields="name,ip,location,service_policy,state",
        )
    )
    assert len(found) == 1
    record = found[0]
    assert record.ip.address == "127.2.0.11"
    assert str(record.ip.netmask) == "24"
    assert record.location.home_node.name == "fake-02"
    assert record.service_policy.name == "default-data-nvme-tcp"
    assert record.state == "up"

    record.set_connection(fake_ontap_admin)
    change(record, enabled=False)
    record.patch()
    fresh = IpInterface(uuid=lif.uuid)
    fresh.set_connection(fake_ontap_admin)
    fresh.get(fields="enabled,state")
    assert fresh.enabled is False
    assert fresh.state == "down"

    fresh.delete()
    with pytest.raises(NetAppRestError) as exc:
        fresh.get()
    assert exc.value.status_code == 404
    assert code_of(exc.value) == "4"


def test_dotted_netmask_is_stored_as_prefix_length(fake_ontap_admin: HostConnection) -> None:
    svm = create_svm(fake_ontap_admin, "p-mask")
    lif = IpInterface(
        name="mgmt", svm={"name": "p-mask"}, ip={"address": "127.3.0.2", "netmask": "255.255.0.0"}
    )
    lif.set_connection(fake_ontap_admin)
    lif.post()
    lif.get(fields="ip,svm")
    assert str(lif.ip.netmask) == "16"
    assert lif.svm.uuid == svm.uuid


def test_validation_codes(fake_ontap_admin: HostConnection) -> None:
    svm = create_svm(fake_ontap_admin, "p-val")
    other = create_svm(fake_ontap_admin, "p-val2")
    create_lif(fake_ontap_admin, svm, "data1", "127.4.0.1")
    base = {"svm": {"uuid": svm.uuid}, "location": {"home_node": {"name": "fake-01"}}}

    assert _post(fake_ontap_admin, name="data2", ip={"address": "127.4.0.1", "netmask": "24"}, **base) == (
        409,
        "1376963",
    )
    other_svm = {**base, "svm": {"uuid": other.uuid}}
    assert _post(
        fake_ontap_admin, name="data9", ip={"address": "127.4.0.1", "netmask": "24"}, **other_svm
    ) == (
        409,
        "1376963",
    )
    assert _post(fake_ontap_admin, name="data1", ip={"address": "127.4.0.2", "netmask": "24"}, **base) == (
        409,
        "1966140",
    )
    assert _post(fake_ontap_admin, name="data3", ip={"address": "127.4.0.3", "netmask": "33"}, **base) == (
        400,
        "1966269",
    )
    assert _post(fake_ontap_admin, name="data4", ip={"address": "127.4.0.256", "netmask": "24"}, **base) == (
        400,
        "2",
    )
    no_node = {**base, "location": {"home_node": {"name": "fake-09"}}}
    assert _post(fake_ontap_admin, name="data5", ip={"address": "127.4.0.5", "netmask": "24"}, **no_node) == (
        400,
        "393271",
    )
    no_svm = {**base, "svm": {"name": "p-missing"}}
    assert _post(fake_ontap_admin, name="data6", ip={"address": "127.4.0.6", "netmask": "24"}, **no_svm) == (
        400,
        "2621462",
    )


def test_same_lif_name_in_another_svm_is_fine(fake_ontap_admin: HostConnection) -> None:
    first = create_svm(fake_ontap_admin, "p-a")
    second = create_svm(fake_ontap_admin, "p-b")
    create_lif(fake_ontap_admin, first, "data1", "127.5.0.1")
    create_lif(fake_ontap_admin, second, "data1", "127.5.0.2")
    assert IpInterface.count_collection(connection=fake_ontap_admin, name="data1") == 2


def test_patch_to_a_taken_address_is_refused(fake_ontap_admin: HostConnection) -> None:
    svm = create_svm(fake_ontap_admin, "p-move")
    create_lif(fake_ontap_admin, svm, "data1", "127.6.0.1")
    second = create_lif(fake_ontap_admin, svm, "data2", "127.6.0.2")
    second.get()
    second.ip.address = "127.6.0.1"
    with pytest.raises(NetAppRestError) as exc:
        second.patch()
    assert code_of(exc.value) == "1376963"

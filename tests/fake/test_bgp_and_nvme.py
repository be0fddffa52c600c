"""BGP peer groups and NVMe services through netapp-ontap."""

from __future__ import annotations

import pytest
from netapp_ontap import HostConnection
from netapp_ontap.error import NetAppRestError
from netapp_ontap.resources.bgp_peer_group import BgpPeerGroup
from netapp_ontap.resources.nvme_service import NvmeService
from netapp_ontap.resources.svm import Svm

from tests.fake.builders import change, code_of, create_lif, create_svm


def test_peer_group_lifecycle(fake_ontap_admin: HostConnection) -> None:
    assert BgpPeerGroup.count_collection(connection=fake_ontap_admin) == 0
    svm = create_svm(fake_ontap_admin, "p-bgp")
    create_lif(fake_ontap_admin, svm, "bgp1", "127.10.0.1")
    group = BgpPeerGroup(
        name="pg1",
        ipspace={"name": "Default"},
        local={"interface": {"name": "bgp1"}},
        peer={"address": "127.10.0.254", "asn": 65001},
    )
    group.set_connection(fake_ontap_admin)
    group.post()
    assert group.uuid
    assert BgpPeerGroup.count_collection(connection=fake_ontap_admin) == 1

    group.peer.address = "127.10.0.250"
    change(group, name="pg1-renamed")
    group.patch()
    fresh = BgpPeerGroup(uuid=group.uuid)
    fresh.set_connection(fake_ontap_admin)
    fresh.get(fields="name,peer,state,local")
    assert (fresh.name, fresh.peer.asn, fresh.peer.address, fresh.state) == (
        "pg1-renamed",
        65001,
        "127.10.0.250",
        "up",
    )

    duplicate = BgpPeerGroup(
        name="pg1-renamed", local={"interface": {"name": "bgp1"}}, peer={"address": "127.10.0.253"}
    )
    duplicate.set_connection(fake_ontap_admin)
    with pytest.raises(NetAppRestError) as exc:
        duplicate.post()
    assert (exc.value.status_code, code_of(exc.value)) == (409, "1")

    fresh.delete()
    assert BgpPeerGroup.count_collection(connection=fake_ontap_admin) == 0


def test_nvme_service_follows_svm_and_has_its_own_codes(fake_ontap_admin: HostConnection) -> None:
    svm = Svm(name="p-nvme", aggregates=[{"name": "aggr1_fake_01"}], nvme={"allowed": True})
    svm.set_connection(fake_ontap_admin)
    svm.post(poll=True)
    svm.get(fields="nvme")
    assert (svm.nvme.allowed, svm.nvme.enabled) == (True, False)

    service = NvmeService(svm={"uuid": svm.uuid}, enabled=True)
    service.set_connection(fake_ontap_admin)
    service.post()
    svm.get(fields="nvme")
    assert svm.nvme.enabled is True

    again = NvmeService(svm={"uuid": svm.uuid})
    again.set_connection(fake_ontap_admin)
    with pytest.raises(NetAppRestError) as exc:
        again.post()
    assert code_of(exc.value) == "72089650"

    with pytest.raises(NetAppRestError) as exc:
        service.delete()
    assert code_of(exc.value) == "72090028"
    change(service, enabled=False)
    service.patch()
    service.delete()
    svm.get(fields="nvme")
    assert svm.nvme.enabled is False

"""Read-only ONTAP queries shared by the primitives; each is exactly one REST request."""

from __future__ import annotations

from typing import Any

from netapp_ontap.host_connection import HostConnection
from netapp_ontap.resources.account import Account
from netapp_ontap.resources.aggregate import Aggregate
from netapp_ontap.resources.bgp_peer_group import BgpPeerGroup
from netapp_ontap.resources.ip_interface import IpInterface
from netapp_ontap.resources.node import Node
from netapp_ontap.resources.svm import Svm
from netapp_ontap.resources.volume import Volume

from ontap.client import OntapClient
from ontap.errors import OntapPlacementConflict
from ontap.models import (
    ACCOUNT_FIELDS,
    INTERFACE_FIELDS,
    SVM_FIELDS,
    AccountInfo,
    AggregateInfo,
    IpInterfaceInfo,
    NodeInfo,
    SvmInfo,
    VolumeCount,
    account_from,
    aggregate_from,
    interface_from,
    node_from,
    svm_from,
)


async def find_svm(client: OntapClient, name: str) -> SvmInfo | None:
    """The SVM called `name`, or None (`GET /api/svm/svms?name=...&fields=...`)."""

    def read(conn: HostConnection) -> list[dict[str, object]]:
        return [r.to_dict() for r in Svm.get_collection(connection=conn, name=name, fields=SVM_FIELDS)]

    records = await client.run(read, operation="GET /api/svm/svms", target=f"svm {name}", mutating=False)
    svms = [svm_from(r) for r in records if r.get("name") == name]
    if len(svms) > 1:
        raise OntapPlacementConflict(
            f"{len(svms)} SVMs are called {name}",
            cluster=client.name,
            endpoint=client.endpoint,
            operation="GET /api/svm/svms",
            target=name,
        )
    return svms[0] if svms else None


async def list_interfaces(client: OntapClient, svm: SvmInfo) -> list[IpInterfaceInfo]:
    """The SVM's IP interfaces with name, IP, home node, policy, state (one request)."""

    def read(conn: HostConnection) -> list[dict[str, object]]:
        query: dict[str, Any] = {"svm.uuid": svm.uuid, "fields": INTERFACE_FIELDS}
        return [r.to_dict() for r in IpInterface.get_collection(connection=conn, **query)]

    records = await client.run(
        read,
        operation="GET /api/network/ip/interfaces",
        target=f"interfaces of svm {svm.name}",
        mutating=False,
    )
    return [interface_from(r) for r in records]


async def list_nodes(client: OntapClient) -> list[NodeInfo]:
    """The cluster's nodes with their state (one request)."""

    def read(conn: HostConnection) -> list[dict[str, object]]:
        return [r.to_dict() for r in Node.get_collection(connection=conn, fields="name,state")]

    records = await client.run(read, operation="GET /api/cluster/nodes", target="nodes", mutating=False)
    return [node_from(r) for r in records]


async def list_aggregates(client: OntapClient) -> list[AggregateInfo]:
    """The data aggregates with their node and volume count (one request)."""

    def read(conn: HostConnection) -> list[dict[str, object]]:
        return [
            r.to_dict() for r in Aggregate.get_collection(connection=conn, fields="name,node,volume-count")
        ]

    records = await client.run(
        read, operation="GET /api/storage/aggregates", target="aggregates", mutating=False
    )
    return [aggregate_from(r) for r in records]


async def has_bgp_peer_groups(client: OntapClient) -> bool:
    """True when any BGP peer group exists: LIFs are then /32 VIP LIFs (one request)."""

    def read(conn: HostConnection) -> int:
        return int(BgpPeerGroup.count_collection(connection=conn))

    count = await client.run(
        read, operation="GET /api/network/ip/bgp/peer-groups", target="bgp peer groups", mutating=False
    )
    return count > 0


async def find_account(client: OntapClient, svm: SvmInfo, name: str) -> AccountInfo | None:
    """The SVM-scoped account `name`, or None (one request, as the client's own user)."""

    def read(conn: HostConnection) -> list[dict[str, object]]:
        query: dict[str, Any] = {"owner.uuid": svm.uuid, "name": name, "fields": ACCOUNT_FIELDS}
        return [r.to_dict() for r in Account.get_collection(connection=conn, **query)]

    records = await client.run(
        read,
        operation="GET /api/security/accounts",
        target=f"account {name} of svm {svm.name}",
        mutating=False,
    )
    accounts = [account_from(r) for r in records if r.get("name") == name]
    return accounts[0] if accounts else None


async def count_volumes(client: OntapClient, svm: SvmInfo) -> VolumeCount:
    """How many non-root volumes the SVM holds (one request, `return_records=false`)."""

    def read(conn: HostConnection) -> int:
        query: dict[str, Any] = {"svm.uuid": svm.uuid, "is_svm_root": "false"}
        return int(Volume.count_collection(connection=conn, **query))

    count = await client.run(
        read, operation="GET /api/storage/volumes", target=f"volumes of svm {svm.name}", mutating=False
    )
    return VolumeCount(scope=f"svm {svm.name}", count=max(count, 0))

"""Read-only ONTAP queries shared by the primitives; each is one REST request (one per page).

Every read goes through `send_json` (bounded in time and size) and checks the answer's envelope
(`ontap.answers`) before models are built from the plain JSON.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from netapp_ontap.host_connection import HostConnection

from ontap import answers
from ontap.client import OntapClient, send_json
from ontap.errors import OntapPlacementConflict, OntapUnexpectedAnswer
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


def read_collection(
    conn: HostConnection,
    path: str,
    params: Mapping[str, str],
    *,
    keys: Sequence[str] = (),
    match: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Every record of a collection, following `_links.next.href`; each page's envelope is checked.

    Only a well-formed answer counts (see `ontap.answers`): an empty list returned here is proof of
    absence, anything that proves nothing raises `OntapUnexpectedAnswer`.
    """
    call = f"GET {path}"
    records: list[dict[str, Any]] = []
    data = send_json(conn, "GET", path, params=params)
    seen: set[str] = set()
    for _ in range(answers.MAX_PAGES):
        page = answers.collection_records(data, call)
        answers.check_records(page, call, keys=keys, match=match)
        records.extend(page)
        following = answers.next_link(data, call)
        if following is None:
            return records
        if following in seen:
            raise OntapUnexpectedAnswer(f"the answer to {call} links back to a page it already gave")
        seen.add(following)
        data = send_json(conn, "GET", following)
    raise OntapUnexpectedAnswer(f"the answer to {call} has more than {answers.MAX_PAGES} pages")


def read_count(conn: HostConnection, path: str, params: Mapping[str, str]) -> int:
    """`num_records` of `GET path?...&return_records=false`, checked."""
    data = send_json(conn, "GET", path, params={**params, "return_records": "false"})
    return answers.record_count(data, f"GET {path}")


async def find_svm(client: OntapClient, name: str) -> SvmInfo | None:
    """The SVM called `name`, or None (`GET /api/svm/svms?name=...&fields=...`).

    None only on a well-formed answer without records; a record lacking `uuid` or `name`, or of
    another name, is not an answer (`OntapUnexpectedAnswer`), so it can never cause a create.
    """

    def read(conn: HostConnection) -> list[SvmInfo]:
        query = {"name": name, "fields": SVM_FIELDS}
        records = read_collection(conn, "/api/svm/svms", query, keys=("uuid",), match={"name": name})
        return [svm_from(r) for r in records]

    svms = await client.run(read, operation="GET /api/svm/svms", target=f"svm {name}", mutating=False)
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

    def read(conn: HostConnection) -> list[IpInterfaceInfo]:
        query = {"svm.uuid": svm.uuid, "fields": INTERFACE_FIELDS}
        records = read_collection(
            conn, "/api/network/ip/interfaces", query, keys=("uuid", "name"), match={"svm.uuid": svm.uuid}
        )
        return [interface_from(r) for r in records]

    return await client.run(
        read,
        operation="GET /api/network/ip/interfaces",
        target=f"interfaces of svm {svm.name}",
        mutating=False,
    )


async def list_nodes(client: OntapClient) -> list[NodeInfo]:
    """The cluster's nodes with their state (one request)."""

    def read(conn: HostConnection) -> list[NodeInfo]:
        records = read_collection(conn, "/api/cluster/nodes", {"fields": "name,state"}, keys=("name",))
        return [node_from(r) for r in records]

    return await client.run(read, operation="GET /api/cluster/nodes", target="nodes", mutating=False)


async def list_aggregates(client: OntapClient) -> list[AggregateInfo]:
    """The data aggregates with their node and volume count (one request)."""

    def read(conn: HostConnection) -> list[AggregateInfo]:
        query = {"fields": "name,node,volume-count"}
        records = read_collection(conn, "/api/storage/aggregates", query, keys=("name",))
        return [aggregate_from(r) for r in records]

    return await client.run(
        read, operation="GET /api/storage/aggregates", target="aggregates", mutating=False
    )


async def has_bgp_peer_groups(client: OntapClient) -> bool:
    """True when any BGP peer group exists: LIFs are then /32 VIP LIFs (one request)."""

    def read(conn: HostConnection) -> int:
        return read_count(conn, "/api/network/ip/bgp/peer-groups", {})

    count = await client.run(
        read, operation="GET /api/network/ip/bgp/peer-groups", target="bgp peer groups", mutating=False
    )
    return count > 0


async def find_account(client: OntapClient, svm: SvmInfo, name: str) -> AccountInfo | None:
    """The SVM-scoped account `name`, or None (one request, as the client's own user)."""

    def read(conn: HostConnection) -> list[AccountInfo]:
        query = {"owner.uuid": svm.uuid, "name": name, "fields": ACCOUNT_FIELDS}
        match = {"name": name, "owner.uuid": svm.uuid}
        records = read_collection(conn, "/api/security/accounts", query, match=match)
        return [account_from(r) for r in records]

    accounts = await client.run(
        read,
        operation="GET /api/security/accounts",
        target=f"account {name} of svm {svm.name}",
        mutating=False,
    )
    return accounts[0] if accounts else None


async def count_volumes(client: OntapClient, svm: SvmInfo) -> VolumeCount:
    """How many non-root volumes the SVM holds (one request, `return_records=false`).

    Deleting the SVM depends on this number, so an answer without a valid `num_records` raises.
    """

    def read(conn: HostConnection) -> int:
        return read_count(conn, "/api/storage/volumes", {"svm.uuid": svm.uuid, "is_svm_root": "false"})

    count = await client.run(
        read, operation="GET /api/storage/volumes", target=f"volumes of svm {svm.name}", mutating=False
    )
    return VolumeCount(scope=f"svm {svm.name}", count=count)

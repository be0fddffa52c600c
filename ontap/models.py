"""Typed views of ONTAP objects, built from netapp-ontap resources (`resource.to_dict()`).

The rest of the project only sees these models, never library resources. A record that lacks a
field the layer relies on raises `OntapUnexpectedAnswer` naming the object.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network, ip_network
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from ontap.errors import OntapUnexpectedAnswer

M = TypeVar("M", bound="OntapModel")


class OntapModel(BaseModel):
    """Immutable, typed view of one ONTAP record."""

    model_config = ConfigDict(frozen=True, extra="ignore")


class ClusterInfo(OntapModel):
    """`GET /api/cluster`."""

    name: str
    uuid: str | None = None
    version: str | None = None


class NodeInfo(OntapModel):
    """`GET /api/cluster/nodes`."""

    name: str
    uuid: str | None = None
    state: str | None = None

    @property
    def is_up(self) -> bool:
        """True when ONTAP reports the node `up` (unknown state counts as not up)."""
        return self.state == "up"


class AggregateInfo(OntapModel):
    """`GET /api/storage/aggregates` with `fields=node,volume-count`."""

    name: str
    uuid: str | None = None
    node: str | None = None
    volume_count: int = 0


class SvmInfo(OntapModel):
    """`GET /api/svm/svms` with the fields this layer reads (see `SVM_FIELDS`)."""

    uuid: str
    name: str
    state: str | None = None
    subtype: str | None = None
    comment: str = ""
    aggregates: tuple[str, ...] = ()
    nvme_allowed: bool | None = None
    nvme_enabled: bool | None = None

    @property
    def is_settled(self) -> bool:
        """False while ONTAP is still creating, starting or deleting the SVM."""
        return self.state not in ("initializing", "starting", "deleting", "stopping")

    @property
    def is_running(self) -> bool:
        """True only when ONTAP reports `running`; stopped, missing or unknown states are not ready."""
        return self.state == "running"


class IpInterfaceInfo(OntapModel):
    """`GET /api/network/ip/interfaces` with the fields this layer reads (see `INTERFACE_FIELDS`)."""

    uuid: str
    name: str
    svm: str | None = None
    ip: IPv4Address | None = None
    prefix_length: int | None = None
    home_node: str | None = None
    service_policy: str | None = None
    enabled: bool | None = None
    state: str | None = None
    vip: bool | None = None

    @property
    def network(self) -> IPv4Network | None:
        """The interface's subnet, when both address and prefix are known."""
        if self.ip is None or self.prefix_length is None:
            return None
        return IPv4Network(f"{self.ip}/{self.prefix_length}", strict=False)


class AccountInfo(OntapModel):
    """`GET /api/security/accounts` (or `/{owner.uuid}/{name}`)."""

    name: str
    owner_uuid: str | None = None
    owner_name: str | None = None
    role: str | None = None
    locked: bool | None = None
    applications: tuple[str, ...] = ()


class VolumeCount(OntapModel):
    """How many volumes a scope holds (`return_records=false`)."""

    scope: str
    count: int


SVM_FIELDS = "uuid,name,state,subtype,comment,aggregates,nvme"
INTERFACE_FIELDS = "uuid,name,svm,ip,location,service_policy,enabled,state,vip"
ACCOUNT_FIELDS = "name,owner,role,locked,applications"


def _build(cls: type[M], what: str, values: dict[str, Any]) -> M:
    try:
        return cls.model_validate(values)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise OntapUnexpectedAnswer(f"cannot read {what}: {problems}", target=what) from None


def _name(value: Any) -> str | None:
    if isinstance(value, dict):
        name = value.get("name")
        return str(name) if name is not None else None
    return None


def cluster_from(record: dict[str, Any]) -> ClusterInfo:
    """ClusterInfo from a `Cluster.to_dict()`."""
    version = record.get("version")
    full = version.get("full") if isinstance(version, dict) else None
    return _build(
        ClusterInfo,
        f"cluster {record.get('name', '?')}",
        {"name": record.get("name"), "uuid": record.get("uuid"), "version": full},
    )


def node_from(record: dict[str, Any]) -> NodeInfo:
    """NodeInfo from a `Node.to_dict()`."""
    return _build(NodeInfo, f"node {record.get('name', '?')}", record)


def aggregate_from(record: dict[str, Any]) -> AggregateInfo:
    """AggregateInfo from an `Aggregate.to_dict()` (ONTAP's key is `volume-count`)."""
    count = record.get("volume-count", record.get("volume_count", 0))
    return _build(
        AggregateInfo,
        f"aggregate {record.get('name', '?')}",
        {
            "name": record.get("name"),
            "uuid": record.get("uuid"),
            "node": _name(record.get("node")),
            "volume_count": count if count is not None else 0,
        },
    )


def svm_from(record: dict[str, Any]) -> SvmInfo:
    """SvmInfo from an `Svm.to_dict()`."""
    nvme = record.get("nvme") if isinstance(record.get("nvme"), dict) else {}
    aggregates = record.get("aggregates") or []
    return _build(
        SvmInfo,
        f"svm {record.get('name', '?')}",
        {
            "uuid": record.get("uuid"),
            "name": record.get("name"),
            "state": record.get("state"),
            "subtype": record.get("subtype"),
            "comment": record.get("comment") or "",
            "aggregates": tuple(n for n in (_name(a) for a in aggregates) if n),
            "nvme_allowed": nvme.get("allowed") if nvme else None,
            "nvme_enabled": nvme.get("enabled") if nvme else None,
        },
    )


def interface_from(record: dict[str, Any]) -> IpInterfaceInfo:
    """IpInterfaceInfo from an `IpInterface.to_dict()`; the netmask may be a length or dotted."""
    ip = record.get("ip") if isinstance(record.get("ip"), dict) else {}
    location = record.get("location") if isinstance(record.get("location"), dict) else {}
    what = f"interface {record.get('name', '?')}"
    return _build(
        IpInterfaceInfo,
        what,
        {
            "uuid": record.get("uuid"),
            "name": record.get("name"),
            "svm": _name(record.get("svm")),
            "ip": ip.get("address") if ip else None,
            "prefix_length": _prefix_length(ip.get("netmask") if ip else None, what),
            "home_node": _name(location.get("home_node")) if location else None,
            "service_policy": _name(record.get("service_policy")),
            "enabled": record.get("enabled"),
            "state": record.get("state"),
            "vip": record.get("vip"),
        },
    )


def account_from(record: dict[str, Any]) -> AccountInfo:
    """AccountInfo from an `Account.to_dict()`."""
    owner = record.get("owner") if isinstance(record.get("owner"), dict) else {}
    applications = record.get("applications") or []
    return _build(
        AccountInfo,
        f"account {record.get('name', '?')}",
        {
            "name": record.get("name"),
            "owner_uuid": owner.get("uuid") if owner else None,
            "owner_name": owner.get("name") if owner else None,
            "role": _name(record.get("role")),
            "locked": record.get("locked"),
            "applications": tuple(
                str(a["application"]) for a in applications if isinstance(a, dict) and a.get("application")
            ),
        },
    )


def _prefix_length(netmask: Any, what: str) -> int | None:
    if netmask is None or netmask == "":
        return None
    text = str(netmask)
    if text.isdigit():
        return int(text)
    try:
        return ip_network(f"0.0.0.0/{text}").prefixlen
    except ValueError:
        raise OntapUnexpectedAnswer(
            f"cannot read {what}: netmask {text!r} is not valid", target=what
        ) from None

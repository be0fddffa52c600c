"""`/api/network/ip/interfaces`: LIFs, created and changed synchronously (201/200)."""

from __future__ import annotations

import ipaddress
from typing import Any

from aiohttp import web

from ontap.fake import errors
from ontap.fake.errors import FakeApiError, bad_field, forbidden, not_found, required
from ontap.fake.handlers.common import (
    by_uuid,
    collection_answer,
    fake_of,
    instance_answer,
    only_fields,
    principal_of,
    query_of,
    read_body,
    respond,
    svm_from_ref,
    with_links,
)
from ontap.fake.index import candidates
from ontap.fake.query import filters_of
from ontap.fake.simulator import FakeOntap
from ontap.fake.store import Record, new_uuid

INTERFACES = "/api/network/ip/interfaces"
KEY_FIELDS = ["uuid", "name"]
DEFAULT_SERVICE_POLICY = "default-data-files"
# The built-in service policies netapp-ontap's ip_interface.py docstring names, plus the NVMe/TCP
# one; ONTAP refuses any other name with 53281065 (Trident network_ip_interfaces_create_responses.go).
SERVICE_POLICIES = frozenset(
    {
        "default-data-files",
        "default-data-blocks",
        "default-data-iscsi",
        "default-data-nvme-tcp",
        "default-management",
        "default-intercluster",
        "default-route-announce",
        "default-cluster",
    }
)
POST_FIELDS = {
    "name",
    "ip",
    "svm",
    "scope",
    "location",
    "service_policy",
    "enabled",
    "comment",
    "vip",
    "ipspace",
}
PATCH_FIELDS = {"name", "ip", "location", "service_policy", "enabled", "comment"}


def render(fake: FakeOntap, interface: Record) -> Record:
    """The interface as ONTAP shows it (`state` follows `enabled` and the home node)."""
    rendered = with_links(interface, f"{INTERFACES}/{interface['uuid']}")
    home = interface["location"]["home_node"]["name"]
    node = fake.state.node_by_name(home)
    node_up = node is not None and node.get("state") == "up"
    rendered["state"] = "up" if interface.get("enabled", True) and node_up else "down"
    return rendered


def _visible(request: web.Request, interface: Record) -> bool:
    principal = principal_of(request)
    return principal.is_cluster_scoped or interface["svm"]["uuid"] == principal.svm_uuid


async def list_interfaces(request: web.Request) -> web.Response:
    """GET /api/network/ip/interfaces (an SVM-scoped account sees its own SVM's)."""
    fake = fake_of(request)
    with fake.lock:
        filters = filters_of(query_of(request))
        principal = principal_of(request)
        if not principal.is_cluster_scoped:
            # An SVM-scoped account sees its own SVM's interfaces only: look those up.
            filters.setdefault("svm.uuid", str(principal.svm_uuid))
        found = candidates(fake.state, "interfaces", filters)
        records = [render(fake, i) for i in found if _visible(request, i)]
        return collection_answer(request, records, KEY_FIELDS, by_uuid)


def _existing(request: web.Request) -> Record:
    interface = fake_of(request).state.interfaces.get(request.match_info["uuid"])
    if interface is None:
        raise not_found(request.match_info["uuid"])
    if not _visible(request, interface):
        raise forbidden()
    return interface


async def get_interface(request: web.Request) -> web.Response:
    """GET /api/network/ip/interfaces/{uuid}."""
    fake = fake_of(request)
    with fake.lock:
        return instance_answer(request, render(fake, _existing(request)), KEY_FIELDS)


def _ip(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise bad_field("ip", value)
    if "address" not in value or "netmask" not in value:
        raise FakeApiError(
            400,
            errors.LIF_ADDRESS_INCOMPLETE,
            "Address must be specified by either ip.address and ip.netmask, or at least one subnet field.",
            "ip.netmask" if "address" in value else "ip.address",
        )
    try:
        address = ipaddress.IPv4Address(str(value["address"]))
    except ValueError:
        raise bad_field("ip.address", value["address"]) from None
    netmask = str(value["netmask"])
    try:
        prefix = ipaddress.IPv4Network(f"0.0.0.0/{netmask}").prefixlen
    except ValueError:
        raise FakeApiError(
            400, errors.BAD_IPV4_PREFIX, f'Invalid IPv4 netmask or prefix length "{netmask}".', "ip.netmask"
        ) from None
    return {"address": str(address), "netmask": str(prefix), "family": "ipv4"}


def _location(fake: FakeOntap, value: Any) -> dict[str, Any]:
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise bad_field("location", value)
    home = value.get("home_node") or (value.get("home_port") or {}).get("node") or {}
    if home:
        node = (
            fake.state.nodes.get(str(home["uuid"]))
            if "uuid" in home
            else fake.state.node_by_name(str(home.get("name")))
        )
        if node is None:
            shown = home.get("name", home.get("uuid"))
            raise FakeApiError(
                400, errors.HOME_NODE_MISSING, f'Node "{shown}" does not exist.', "location.home_node.name"
            )
    else:
        node = next(iter(fake.state.nodes.values()), None)
        if node is None:
            raise required("location.home_node")
    port_name = (value.get("home_port") or {}).get("name", "e0d")
    home_node = {"name": node["name"], "uuid": node["uuid"]}
    location: dict[str, Any] = {
        "home_node": home_node,
        "home_port": {"name": port_name, "node": {"name": node["name"]}},
        "node": home_node,
        "port": {"name": port_name, "node": {"name": node["name"]}},
        "is_home": True,
        "auto_revert": False,
    }
    if "broadcast_domain" in value:
        location["broadcast_domain"] = value["broadcast_domain"]
    return location


def _check_unique(fake: FakeOntap, svm_uuid: str, name: str, address: str, own_uuid: str | None) -> None:
    for other in fake.state.interfaces.values():
        if other["uuid"] == own_uuid:
            continue
        if other["svm"]["uuid"] == svm_uuid and other["name"] == name:
            raise FakeApiError(
                409, errors.DUPLICATE_LIF_NAME, f'Duplicate LIF name "{name}" in this SVM.', "name"
            )
        if other["ip"]["address"] == address:
            raise FakeApiError(
                409,
                errors.DUPLICATE_IP,
                f'Duplicate IP address "{address}": it is already used by LIF "{other["name"]}".',
                "ip.address",
            )


def _policy(value: Any) -> dict[str, str]:
    if isinstance(value, str):
        value = {"name": value}
    if not isinstance(value, dict) or "name" not in value:
        raise bad_field("service_policy", value)
    name = str(value["name"])
    if name not in SERVICE_POLICIES:
        raise FakeApiError(
            400,
            errors.SERVICE_POLICY_MISSING,
            f'The service_policy "{name}" does not exist in the SVM.',
            "service_policy.name",
        )
    return {"name": name}


def _check_vip(body: dict[str, Any], ip: dict[str, Any]) -> None:
    """VIP LIFs (`vip: true`): /32 and no home port, as ONTAP demands."""
    if not body.get("vip"):
        return
    location = body.get("location") if isinstance(body.get("location"), dict) else {}
    if location and location.get("home_port"):
        raise FakeApiError(
            400,
            errors.VIP_HOME_PORT,
            "Neither location.home_port.uuid or location.home_port.name should be set with vip=true.",
            "location.home_port",
        )
    if ip["netmask"] != "32":
        raise FakeApiError(
            400,
            errors.VIP_NETMASK,
            "VIP interfaces with an IPv4 address must use ip.netmask=32.",
            "ip.netmask",
        )


async def create_interface(request: web.Request) -> web.Response:
    """POST /api/network/ip/interfaces -> 201 with `Location`."""
    body = await read_body(request)
    fake = fake_of(request)
    with fake.lock:
        only_fields(body, POST_FIELDS)
        for field in ("name", "ip", "svm"):
            if field not in body:
                raise required(field)
        svm = svm_from_ref(fake, body["svm"])
        name = str(body["name"])
        ip = _ip(body["ip"])
        _check_vip(body, ip)
        location = _location(fake, body.get("location"))
        policy = _policy(body.get("service_policy", DEFAULT_SERVICE_POLICY))
        _check_unique(fake, svm["uuid"], name, ip["address"], own_uuid=None)
        interface: Record = {
            "uuid": new_uuid(),
            "name": name,
            "svm": {"name": svm["name"], "uuid": svm["uuid"]},
            "ip": ip,
            "scope": body.get("scope", "svm"),
            "ipspace": {"name": svm.get("ipspace", {}).get("name", "Default")},
            "location": location,
            "service_policy": policy,
            "enabled": bool(body.get("enabled", True)),
            "vip": bool(body.get("vip", False)),
        }
        if "comment" in body:
            interface["comment"] = body["comment"]
        fake.state.interfaces[interface["uuid"]] = interface
        fake.state.changed("interfaces", interface["uuid"])
        href = f"{INTERFACES}/{interface['uuid']}"
        return respond({}, status=201, headers={"Location": href})


async def patch_interface(request: web.Request) -> web.Response:
    """PATCH /api/network/ip/interfaces/{uuid} (partial body)."""
    body = await read_body(request)
    fake = fake_of(request)
    with fake.lock:
        interface = _existing(request)
        only_fields(body, PATCH_FIELDS)
        changes: dict[str, Any] = {}
        if "ip" in body:
            changes["ip"] = _ip(
                {**interface["ip"], **body["ip"]} if isinstance(body["ip"], dict) else body["ip"]
            )
        if "location" in body:
            changes["location"] = _location(fake, body["location"])
        if "service_policy" in body:
            changes["service_policy"] = _policy(body["service_policy"])
        if "enabled" in body:
            changes["enabled"] = bool(body["enabled"])
        if "comment" in body:
            changes["comment"] = body["comment"]
        if "name" in body:
            changes["name"] = str(body["name"])
        name = str(changes["name"] if "name" in changes else interface["name"])
        address = str((changes["ip"] if "ip" in changes else interface["ip"])["address"])
        _check_unique(fake, interface["svm"]["uuid"], name, address, own_uuid=interface["uuid"])
        interface.update(changes)
        fake.state.changed("interfaces", interface["uuid"])
        return respond({})


async def delete_interface(request: web.Request) -> web.Response:
    """DELETE /api/network/ip/interfaces/{uuid}."""
    await read_body(request)
    fake = fake_of(request)
    with fake.lock:
        interface = _existing(request)
        del fake.state.interfaces[interface["uuid"]]
        fake.state.changed("interfaces", interface["uuid"])
        return respond({})

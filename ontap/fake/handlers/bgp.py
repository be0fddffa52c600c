"""`/api/network/ip/bgp/peer-groups`: synchronous create/modify/delete."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ontap.fake import errors
from ontap.fake.errors import FakeApiError, bad_field, not_found, required
from ontap.fake.handlers.common import (
    by_uuid,
    collection_answer,
    fake_of,
    instance_answer,
    only_fields,
    read_body,
    respond,
    with_links,
)
from ontap.fake.store import DEFAULT_IPSPACE, Record, new_uuid

PEER_GROUPS = "/api/network/ip/bgp/peer-groups"
KEY_FIELDS = ["uuid", "name"]
POST_FIELDS = {"name", "ipspace", "local", "peer"}
PATCH_FIELDS = {"name", "peer"}


def render(group: Record) -> Record:
    """The peer group as ONTAP shows it."""
    return with_links(group, f"{PEER_GROUPS}/{group['uuid']}")


async def list_peer_groups(request: web.Request) -> web.Response:
    """GET /api/network/ip/bgp/peer-groups."""
    fake = fake_of(request)
    with fake.lock:
        records = [render(g) for g in fake.state.bgp_peer_groups.values()]
        return collection_answer(request, records, KEY_FIELDS, by_uuid)


def _existing(request: web.Request) -> Record:
    group = fake_of(request).state.bgp_peer_groups.get(request.match_info["uuid"])
    if group is None:
        raise not_found(request.match_info["uuid"])
    return group


async def get_peer_group(request: web.Request) -> web.Response:
    """GET /api/network/ip/bgp/peer-groups/{uuid}."""
    fake = fake_of(request)
    with fake.lock:
        return instance_answer(request, render(_existing(request)), KEY_FIELDS)


def _check_unique(groups: dict[str, Record], name: str, own_uuid: str | None) -> None:
    if any(g["name"] == name and g["uuid"] != own_uuid for g in groups.values()):
        raise FakeApiError(
            409, errors.DUPLICATE_ENTRY, f'duplicate entry: peer group "{name}" exists.', "name"
        )


def _dict_field(body: dict[str, Any], field: str) -> dict[str, Any]:
    value = body.get(field, {})
    if not isinstance(value, dict):
        raise bad_field(field, value)
    return value


async def create_peer_group(request: web.Request) -> web.Response:
    """POST /api/network/ip/bgp/peer-groups -> 201 with `Location`."""
    body = await read_body(request)
    fake = fake_of(request)
    with fake.lock:
        only_fields(body, POST_FIELDS)
        for field in ("name", "local", "peer"):
            if field not in body:
                raise required(field)
        name = str(body["name"])
        _check_unique(fake.state.bgp_peer_groups, name, None)
        group: Record = {
            "uuid": new_uuid(),
            "name": name,
            "ipspace": {"name": _dict_field(body, "ipspace").get("name", DEFAULT_IPSPACE)},
            "local": _dict_field(body, "local"),
            "peer": _dict_field(body, "peer"),
            "state": "up",
        }
        fake.state.bgp_peer_groups[group["uuid"]] = group
        return respond({}, status=201, headers={"Location": f"{PEER_GROUPS}/{group['uuid']}"})


async def patch_peer_group(request: web.Request) -> web.Response:
    """PATCH /api/network/ip/bgp/peer-groups/{uuid}."""
    body = await read_body(request)
    fake = fake_of(request)
    with fake.lock:
        group = _existing(request)
        only_fields(body, PATCH_FIELDS)
        if "name" in body:
            _check_unique(fake.state.bgp_peer_groups, str(body["name"]), group["uuid"])
            group["name"] = str(body["name"])
        if "peer" in body:
            group["peer"] = {**group["peer"], **_dict_field(body, "peer")}
        return respond({})


async def delete_peer_group(request: web.Request) -> web.Response:
    """DELETE /api/network/ip/bgp/peer-groups/{uuid}."""
    await read_body(request)
    fake = fake_of(request)
    with fake.lock:
        del fake.state.bgp_peer_groups[_existing(request)["uuid"]]
        return respond({})

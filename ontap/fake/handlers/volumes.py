"""`/api/storage/volumes` (read-only here; tests add volumes through the control API)."""

from __future__ import annotations

from aiohttp import web

from ontap.fake.errors import not_found
from ontap.fake.handlers.common import by_uuid, collection_answer, fake_of, instance_answer, with_links
from ontap.fake.store import Record

VOLUMES = "/api/storage/volumes"
KEY_FIELDS = ["uuid", "name"]


def render(volume: Record) -> Record:
    """The volume as ONTAP shows it."""
    return with_links(volume, f"{VOLUMES}/{volume['uuid']}")


async def list_volumes(request: web.Request) -> web.Response:
    """GET /api/storage/volumes (e.g. `?svm.uuid=X&is_svm_root=false&return_records=false`)."""
    fake = fake_of(request)
    with fake.lock:
        records = [render(v) for v in fake.state.volumes.values()]
        return collection_answer(request, records, KEY_FIELDS, by_uuid)


async def get_volume(request: web.Request) -> web.Response:
    """GET /api/storage/volumes/{uuid}."""
    fake = fake_of(request)
    with fake.lock:
        volume = fake.state.volumes.get(request.match_info["uuid"])
        if volume is None:
            raise not_found(request.match_info["uuid"])
        return instance_answer(request, render(volume), KEY_FIELDS)

"""`/api/protocols/nvme/services` (one NVMe service per SVM, keyed by `svm.uuid`) and the read-only
`/api/protocols/nvme/subsystems` (tests add subsystems through the control API)."""

from __future__ import annotations

from aiohttp import web

from ontap.fake import errors
from ontap.fake.errors import FakeApiError, not_found, required
from ontap.fake.handlers.common import (
    by_uuid,
    collection_answer,
    fake_of,
    instance_answer,
    only_fields,
    read_body,
    respond,
    svm_from_ref,
    with_links,
)
from ontap.fake.store import Record
from ontap.fake.svm_lifecycle import add_nvme_service

SERVICES = "/api/protocols/nvme/services"
SUBSYSTEMS = "/api/protocols/nvme/subsystems"
NVME_LIF_POLICIES = frozenset({"default-data-nvme-tcp"})
KEY_FIELDS = ["svm.uuid", "svm.name"]


def render(service: Record) -> Record:
    """The service as ONTAP shows it."""
    return with_links(service, f"{SERVICES}/{service['svm']['uuid']}")


def _sort_key(record: Record) -> str:
    return str(record["svm"]["uuid"])


async def list_services(request: web.Request) -> web.Response:
    """GET /api/protocols/nvme/services."""
    fake = fake_of(request)
    with fake.lock:
        records = [render(s) for s in fake.state.nvme_services.values()]
        return collection_answer(request, records, KEY_FIELDS, _sort_key)


def _existing(request: web.Request) -> Record:
    svm_uuid = request.match_info["svm_uuid"]
    service = fake_of(request).state.nvme_services.get(svm_uuid)
    if service is None:
        raise FakeApiError(
            404, errors.NVME_SERVICE_MISSING, f'NVMe service does not exist for SVM "{svm_uuid}".', "svm.uuid"
        )
    return service


async def get_service(request: web.Request) -> web.Response:
    """GET /api/protocols/nvme/services/{svm.uuid}."""
    fake = fake_of(request)
    with fake.lock:
        return instance_answer(request, render(_existing(request)), KEY_FIELDS)


async def create_service(request: web.Request) -> web.Response:
    """POST /api/protocols/nvme/services -> 201."""
    body = await read_body(request)
    fake = fake_of(request)
    with fake.lock:
        only_fields(body, {"svm", "enabled"})
        if "svm" not in body:
            raise required("svm")
        svm = svm_from_ref(fake, body["svm"])
        if svm["uuid"] in fake.state.nvme_services:
            raise FakeApiError(
                409,
                errors.NVME_SERVICE_EXISTS,
                f'NVMe service already exists for SVM "{svm["name"]}".',
                "svm",
            )
        add_nvme_service(fake.state, svm, enabled=bool(body.get("enabled", True)))
        svm.setdefault("nvme", {})["allowed"] = True
        return respond({}, status=201, headers={"Location": f"{SERVICES}/{svm['uuid']}"})


async def patch_service(request: web.Request) -> web.Response:
    """PATCH /api/protocols/nvme/services/{svm.uuid}."""
    body = await read_body(request)
    fake = fake_of(request)
    with fake.lock:
        service = _existing(request)
        only_fields(body, {"enabled"})
        if "enabled" in body:
            service["enabled"] = bool(body["enabled"])
        return respond({})


async def delete_service(request: web.Request) -> web.Response:
    """DELETE /api/protocols/nvme/services/{svm.uuid}: the service must be disabled first."""
    await read_body(request)
    fake = fake_of(request)
    with fake.lock:
        service = _existing(request)
        svm_uuid = service["svm"]["uuid"]
        if service.get("enabled"):
            raise FakeApiError(
                400,
                errors.NVME_SERVICE_ENABLED,
                "The NVMe service must be disabled before it is deleted.",
                "enabled",
            )
        if any(s["svm"]["uuid"] == svm_uuid for s in fake.state.nvme_subsystems.values()):
            raise FakeApiError(
                409,
                errors.NVME_SERVICE_HAS_SUBSYSTEMS,
                "There are subsystems associated with the NVMe service SVM. "
                "The subsystems must be removed before deleting the NVMe service.",
                "svm.uuid",
            )
        if any(
            i["svm"]["uuid"] == svm_uuid and i.get("service_policy", {}).get("name") in NVME_LIF_POLICIES
            for i in fake.state.interfaces.values()
        ):
            raise FakeApiError(
                409,
                errors.NVME_SERVICE_HAS_LIFS,
                "There are NVMe-oF LIFs associated with the NVMe service SVM. "
                "The LIFs must be removed before deleting the NVMe service.",
                "svm.uuid",
            )
        del fake.state.nvme_services[svm_uuid]
        return respond({})


def render_subsystem(subsystem: Record) -> Record:
    """The subsystem as ONTAP shows it."""
    return with_links(subsystem, f"{SUBSYSTEMS}/{subsystem['uuid']}")


async def list_subsystems(request: web.Request) -> web.Response:
    """GET /api/protocols/nvme/subsystems (e.g. `?svm.uuid=X&return_records=false`)."""
    fake = fake_of(request)
    with fake.lock:
        records = [render_subsystem(s) for s in fake.state.nvme_subsystems.values()]
        return collection_answer(request, records, ["uuid", "name"], by_uuid)


async def get_subsystem(request: web.Request) -> web.Response:
    """GET /api/protocols/nvme/subsystems/{uuid}."""
    fake = fake_of(request)
    with fake.lock:
        subsystem = fake.state.nvme_subsystems.get(request.match_info["uuid"])
        if subsystem is None:
            raise not_found(request.match_info["uuid"])
        return instance_answer(request, render_subsystem(subsystem), ["uuid", "name"])

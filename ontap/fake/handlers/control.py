"""The fake's control API under `/_fake/` (no authentication): faults, state, request log."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ontap.fake.errors import FakeApiError
from ontap.fake.handlers.common import fake_of, read_body, respond


class VolumeRequest(BaseModel):
    """Body of `POST /_fake/volumes`."""

    model_config = ConfigDict(extra="forbid")

    svm_name: str
    name: str


class NvmeSubsystemRequest(BaseModel):
    """Body of `POST /_fake/nvme-subsystems`."""

    model_config = ConfigDict(extra="forbid")

    svm_name: str
    name: str


class JobTimingRequest(BaseModel):
    """Body of `PUT /_fake/job-timing`."""

    model_config = ConfigDict(extra="forbid")

    seconds: float = Field(default=0.2, ge=0)
    polls: int | None = Field(default=None, ge=1)
    retention_seconds: float | None = Field(default=None, ge=0)


def _invalid(exc: ValidationError) -> FakeApiError:
    problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
    return FakeApiError(400, "2", f"invalid request: {problems}")


async def add_fault(request: web.Request) -> web.Response:
    """POST /_fake/faults -> 201 {"id": N}."""
    body = await read_body(request)
    fake = fake_of(request)
    try:
        with fake.lock:
            rule_id = fake.faults.add(body)
    except ValidationError as exc:
        raise _invalid(exc) from None
    return respond({"id": rule_id}, status=201)


async def list_faults(request: web.Request) -> web.Response:
    """GET /_fake/faults: the rules with their `matched`/`injected` counters."""
    fake = fake_of(request)
    with fake.lock:
        return respond({"records": fake.faults.rules()})


async def clear_faults(request: web.Request) -> web.Response:
    """DELETE /_fake/faults."""
    fake = fake_of(request)
    with fake.lock:
        fake.faults.clear()
    return respond({})


async def delete_fault(request: web.Request) -> web.Response:
    """DELETE /_fake/faults/{id}."""
    fake = fake_of(request)
    try:
        rule_id = int(request.match_info["id"])
    except ValueError:
        raise FakeApiError(404, "4", f"no fault rule {request.match_info['id']!r}") from None
    with fake.lock:
        removed = fake.faults.remove(rule_id)
    if not removed:
        raise FakeApiError(404, "4", f"no fault rule {rule_id}")
    return respond({})


async def get_state(request: web.Request) -> web.Response:
    """GET /_fake/state: every object, passwords redacted."""
    return respond(fake_of(request).snapshot())


async def get_requests(request: web.Request) -> web.Response:
    """GET /_fake/requests: the request log and counts per `METHOD template`."""
    fake = fake_of(request)
    with fake.lock:
        return respond(fake.requests.to_json())


async def clear_requests(request: web.Request) -> web.Response:
    """DELETE /_fake/requests."""
    fake = fake_of(request)
    with fake.lock:
        fake.requests.clear()
    return respond({})


async def reset(request: web.Request) -> web.Response:
    """POST /_fake/reset: seed state, no faults, empty log."""
    fake_of(request).reset()
    return respond({})


async def add_volume(request: web.Request) -> web.Response:
    """POST /_fake/volumes {svm_name, name} -> 201 with the volume."""
    body: dict[str, Any] = await read_body(request)
    try:
        wanted = VolumeRequest.model_validate(body)
    except ValidationError as exc:
        raise _invalid(exc) from None
    volume = fake_of(request).add_volume(wanted.svm_name, wanted.name)
    return respond(volume, status=201)


async def add_nvme_subsystem(request: web.Request) -> web.Response:
    """POST /_fake/nvme-subsystems {svm_name, name} -> 201 with the subsystem."""
    body: dict[str, Any] = await read_body(request)
    try:
        wanted = NvmeSubsystemRequest.model_validate(body)
    except ValidationError as exc:
        raise _invalid(exc) from None
    subsystem = fake_of(request).add_nvme_subsystem(wanted.svm_name, wanted.name)
    return respond(subsystem, status=201)


async def set_job_timing(request: web.Request) -> web.Response:
    """PUT /_fake/job-timing {seconds, polls}: how long jobs take (unfinished ones included)."""
    try:
        wanted = JobTimingRequest.model_validate(await read_body(request))
    except ValidationError as exc:
        raise _invalid(exc) from None
    fake = fake_of(request)
    with fake.lock:
        fake.jobs.timing.seconds = wanted.seconds
        fake.jobs.timing.polls = wanted.polls
        if wanted.retention_seconds is not None:
            fake.jobs.timing.retention_seconds = wanted.retention_seconds
        retention = fake.jobs.timing.retention_seconds
    return respond({"seconds": wanted.seconds, "polls": wanted.polls, "retention_seconds": retention})

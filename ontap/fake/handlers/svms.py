"""`/api/svm/svms`: create, modify and delete run as jobs (202), as on ONTAP.

A duplicate name is refused synchronously (409, code 13434908) rather than as a failed job.
"""

from __future__ import annotations

import asyncio
import functools
import json
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from ontap.fake import errors, svm_lifecycle
from ontap.fake.errors import FakeApiError, bad_field, cannot_set, not_found, required
from ontap.fake.handlers.common import (
    by_uuid,
    collection_answer,
    fake_of,
    instance_answer,
    job_failure_of,
    only_fields,
    principal_of,
    query_of,
    read_body,
    respond,
    with_links,
)
from ontap.fake.index import candidates
from ontap.fake.jobs import TERMINAL_STATES, accepted_body
from ontap.fake.query import filters_of
from ontap.fake.simulator import FakeOntap
from ontap.fake.store import DEFAULT_IPSPACE, Record, new_uuid

SVMS = "/api/svm/svms"
KEY_FIELDS = ["uuid", "name"]
NAME_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
MAX_NAME_LENGTH = 47
MAX_SYNC_SOURCE_NAME_LENGTH = 41  # MetroCluster sync-source SVMs (Trident svm_create_responses.go)
MAX_CONCURRENT_SVM_JOBS = 5
PROTOCOLS = ("nvme", "nfs", "iscsi", "cifs", "fcp")
POST_FIELDS = {"name", "comment", "aggregates", "ipspace", "language", "subtype", *PROTOCOLS}
PATCH_FIELDS = {"name", "comment", "aggregates", "language", "state", *PROTOCOLS}
SETTLING_STATES = frozenset({"initializing", "starting", "deleting"})


def render(fake: FakeOntap, svm: Record) -> Record:
    """The SVM as ONTAP shows it (NVMe `enabled` follows its NVMe service)."""
    rendered = with_links(svm, f"{SVMS}/{svm['uuid']}")
    service = fake.state.nvme_services.get(svm["uuid"])
    rendered["nvme"] = {**svm.get("nvme", {}), "enabled": bool(service and service.get("enabled"))}
    return rendered


async def list_svms(request: web.Request) -> web.Response:
    """GET /api/svm/svms (an SVM-scoped account sees only its own SVM)."""
    fake = fake_of(request)
    principal = principal_of(request)
    with fake.lock:
        records = [
            render(fake, s)
            for s in candidates(fake.state, "svms", filters_of(query_of(request)))
            if principal.is_cluster_scoped or s["uuid"] == principal.svm_uuid
        ]
        return collection_answer(request, records, KEY_FIELDS, by_uuid)


def _existing(fake: FakeOntap, svm_uuid: str) -> Record:
    svm = fake.state.svms.get(svm_uuid)
    if svm is None:
        raise not_found(svm_uuid)
    return svm


async def get_svm(request: web.Request) -> web.Response:
    """GET /api/svm/svms/{uuid}."""
    fake = fake_of(request)
    with fake.lock:
        svm = _existing(fake, request.match_info["uuid"])
        return instance_answer(request, render(fake, svm), KEY_FIELDS)


def _check_name(fake: FakeOntap, name: Any, own_uuid: str | None = None, subtype: str | None = None) -> str:
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name) or name == "all":
        raise FakeApiError(
            400,
            errors.SVM_NAME_INVALID,
            f'The name "{name}" is not valid. An SVM name must begin with a letter or an underscore.',
            "name",
        )
    if len(name) > (MAX_SYNC_SOURCE_NAME_LENGTH if subtype == "sync_source" else MAX_NAME_LENGTH):
        raise FakeApiError(
            400,
            errors.SVM_NAME_TOO_LONG,
            'Invalid SVM name. Maximum supported length is 41 if SVM is of type "sync-source", otherwise 47.',
            "name",
        )
    state = fake.state
    other = state.svm_by_name(name)
    taken = (other is not None and other["uuid"] != own_uuid) or name in (
        state.cluster.get("name"),
        DEFAULT_IPSPACE,
    )
    if taken:
        raise FakeApiError(
            409,
            errors.SVM_NAME_IN_USE,
            f'The name "{name}" is already in use by another SVM, IPspace or cluster.',
            "name",
        )
    return name


def _aggregates(fake: FakeOntap, refs: Any) -> list[Record]:
    if not isinstance(refs, list):
        raise bad_field("aggregates", refs)
    found: list[Record] = []
    for ref in refs:
        aggregate = fake.state.aggregate_by(ref) if isinstance(ref, dict) else None
        if aggregate is None:
            raise bad_field("aggregates", ref.get("name", ref.get("uuid")) if isinstance(ref, dict) else ref)
        found.append(aggregate)
    return found


def _check_comment(body: dict[str, Any]) -> None:
    comment = body.get("comment")
    if comment is not None and (not isinstance(comment, str) or len(comment) > 255):
        raise bad_field("comment", comment)


def _check_job_capacity(fake: FakeOntap) -> None:
    if fake.jobs.pending_for_svm(fake.state) >= MAX_CONCURRENT_SVM_JOBS:
        raise FakeApiError(
            409, errors.MAX_SVM_JOBS, "The maximum number of concurrent SVM jobs is running. Try again later."
        )


def _accepted(job_uuid: str, location: str) -> web.Response:
    return respond(accepted_body(job_uuid), status=202, headers={"Location": location})


MAX_RETURN_TIMEOUT = 120
RETURN_TIMEOUT_POLL = 0.02


def _return_timeout(request: web.Request) -> float:
    raw = request.query.get("return_timeout")
    if raw is None:
        return 0.0
    try:
        value = int(raw)
    except ValueError:
        raise bad_field("return_timeout", raw) from None
    if not 0 <= value <= MAX_RETURN_TIMEOUT:
        raise bad_field("return_timeout", raw)
    return float(value)


def waits_for_job(
    handler: Callable[[web.Request], Awaitable[web.Response]],
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """ONTAP's `return_timeout` (0-120 s) on a job operation: wait up to that long for the job; if
    it succeeded in time, answer 201 (POST) or 200 (PATCH, DELETE), still carrying the job object.

    A job that fails or is still running in time is answered 202 as without `return_timeout`.
    """

    @functools.wraps(handler)
    async def waiting(request: web.Request) -> web.Response:
        timeout = _return_timeout(request)
        response = await handler(request)
        if response.status != 202 or timeout <= 0 or not isinstance(response.body, bytes):
            return response
        body = json.loads(response.body)
        job_uuid = body["job"]["uuid"]
        fake = fake_of(request)
        deadline = time.monotonic() + timeout
        while True:
            with fake.lock:
                fake.jobs.advance(fake.state)
                job = fake.state.jobs.get(job_uuid)
                state = job["state"] if job is not None else None
            if state == "success":
                status = 201 if request.method == "POST" else 200
                location = {k: v for k, v in response.headers.items() if k == "Location"}
                return respond(body, status=status, headers=location)
            if state in TERMINAL_STATES or state is None or time.monotonic() >= deadline:
                return response
            await asyncio.sleep(RETURN_TIMEOUT_POLL)

    return waiting


@waits_for_job
async def create_svm(request: web.Request) -> web.Response:
    """POST /api/svm/svms -> 202, job, `Location: /api/svm/svms/<uuid>`."""
    body = await read_body(request)
    fake = fake_of(request)
    with fake.lock:
        only_fields(body, POST_FIELDS)
        if "name" not in body:
            raise required("name")
        name = _check_name(fake, body["name"], subtype=body.get("subtype"))
        aggregates = _aggregates(fake, body.get("aggregates", []))
        _check_comment(body)
        _check_job_capacity(fake)
        failure = job_failure_of(request)
        if failure is not None:
            ghost = {"name": name, "uuid": new_uuid()}
            failed = {"code": failure.code, "message": failure.message}
            job_uuid = fake.jobs.create(fake.state, f"POST {SVMS}", None, svm=ghost, failure=failed)
            return _accepted(job_uuid, f"{SVMS}/{ghost['uuid']}")
        svm = svm_lifecycle.new_svm(fake.state, name, body, aggregates)
        effect = {"kind": "svm_create", "svm_uuid": svm["uuid"]}
        job_uuid = fake.jobs.create(fake.state, f"POST {SVMS}", effect, svm=svm)
        return _accepted(job_uuid, f"{SVMS}/{svm['uuid']}")


def _refuse_while_settling(svm: Record) -> None:
    if svm["state"] in SETTLING_STATES:
        raise FakeApiError(
            409,
            errors.SVM_BEING_CREATED,
            f'SVM "{svm["name"]}" is {svm["state"]}; wait for its job to finish and try again.',
            "uuid",
        )


def _changes(fake: FakeOntap, svm: Record, body: dict[str, Any]) -> tuple[dict[str, Any], bool | None]:
    changes: dict[str, Any] = {}
    nvme_enabled: bool | None = None
    if "name" in body:
        changes["name"] = _check_name(fake, body["name"], own_uuid=svm["uuid"], subtype=svm.get("subtype"))
    if "comment" in body:
        _check_comment(body)
        changes["comment"] = body["comment"]
    if "aggregates" in body:
        changes["aggregates"] = [
            {"name": a["name"], "uuid": a["uuid"]} for a in _aggregates(fake, body["aggregates"])
        ]
    if "language" in body:
        changes["language"] = body["language"]
    if "state" in body:
        if body["state"] not in ("running", "stopped"):
            raise bad_field("state", body["state"])
        changes["state"] = body["state"]
    for protocol in PROTOCOLS:
        settings = body.get(protocol)
        if settings is None:
            continue
        if not isinstance(settings, dict):
            raise bad_field(protocol, settings)
        if protocol == "nvme" and "enabled" in settings:
            # POST-only on the SVM (netapp-ontap models/svm_nvme.py: patchable "allowed" only);
            # the NVMe service endpoint turns NVMe on and off
            raise cannot_set("nvme.enabled")
        kept = {k: bool(v) for k, v in settings.items() if k in ("allowed", "enabled")}
        if protocol == "nvme":
            kept.pop("enabled", None)
        if kept:
            changes[protocol] = kept
    return changes, nvme_enabled


@waits_for_job
async def patch_svm(request: web.Request) -> web.Response:
    """PATCH /api/svm/svms/{uuid} -> 202 and a job that applies the change."""
    body = await read_body(request)
    fake = fake_of(request)
    with fake.lock:
        svm = _existing(fake, request.match_info["uuid"])
        only_fields(body, PATCH_FIELDS)
        _refuse_while_settling(svm)
        changes, nvme_enabled = _changes(fake, svm, body)
        _check_job_capacity(fake)
        failure = job_failure_of(request)
        description = f"PATCH {SVMS}/{svm['uuid']}"
        if failure is not None:
            failed = {"code": failure.code, "message": failure.message}
            job_uuid = fake.jobs.create(fake.state, description, None, svm=svm, failure=failed)
        else:
            effect = {
                "kind": "svm_patch",
                "svm_uuid": svm["uuid"],
                "changes": changes,
                "nvme_enabled": nvme_enabled,
            }
            job_uuid = fake.jobs.create(fake.state, description, effect, svm=svm)
        return respond(accepted_body(job_uuid), status=202)


@waits_for_job
async def delete_svm(request: web.Request) -> web.Response:
    """DELETE /api/svm/svms/{uuid} -> 202; refused while the SVM holds data volumes or NVMe subsystems.

    ONTAP's answer to that is undocumented: the fake refuses synchronously with its own code.
    """
    await read_body(request)
    fake = fake_of(request)
    with fake.lock:
        svm = _existing(fake, request.match_info["uuid"])
        _refuse_while_settling(svm)
        data_volumes = [
            v["name"]
            for v in fake.state.volumes.values()
            if v["svm"]["uuid"] == svm["uuid"] and not v.get("is_svm_root")
        ]
        subsystems = [
            s["name"] for s in fake.state.nvme_subsystems.values() if s["svm"]["uuid"] == svm["uuid"]
        ]
        if data_volumes or subsystems:
            held = [f"volume {v}" for v in sorted(data_volumes)]
            held += [f"NVMe subsystem {n}" for n in sorted(subsystems)]
            raise FakeApiError(
                409,
                errors.SVM_NOT_EMPTY,
                f'(fake) Cannot delete SVM "{svm["name"]}" because it still holds {", ".join(held)}. '
                "Delete them first.",
                "uuid",
            )
        _check_job_capacity(fake)
        failure = job_failure_of(request)
        description = f"DELETE {SVMS}/{svm['uuid']}"
        if failure is not None:
            failed = {"code": failure.code, "message": failure.message}
            job_uuid = fake.jobs.create(fake.state, description, None, svm=svm, failure=failed)
        else:
            svm["state"] = "deleting"
            job_uuid = fake.jobs.create(
                fake.state, description, {"kind": "svm_delete", "svm_uuid": svm["uuid"]}, svm=svm
            )
        return respond(accepted_body(job_uuid), status=202)

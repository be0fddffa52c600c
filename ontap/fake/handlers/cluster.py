"""`/api/cluster`, `/api/cluster/nodes`, `/api/storage/aggregates`, `/api/cluster/jobs/{uuid}`."""

from __future__ import annotations

from aiohttp import web

from ontap.fake.errors import forbidden, not_found
from ontap.fake.handlers.common import (
    by_uuid,
    collection_answer,
    fake_of,
    instance_answer,
    principal_of,
    with_links,
)
from ontap.fake.store import Record

NODES = "/api/cluster/nodes"
AGGREGATES = "/api/storage/aggregates"
JOBS = "/api/cluster/jobs"


async def get_cluster(request: web.Request) -> web.Response:
    """GET /api/cluster."""
    fake = fake_of(request)
    with fake.lock:
        return instance_answer(request, with_links(fake.state.cluster, "/api/cluster"), ["name", "uuid"])


async def list_nodes(request: web.Request) -> web.Response:
    """GET /api/cluster/nodes."""
    fake = fake_of(request)
    with fake.lock:
        records = [_node(fake.state.nodes, n) for n in fake.state.nodes.values()]
        return collection_answer(request, records, ["uuid", "name"], by_uuid)


async def get_node(request: web.Request) -> web.Response:
    """GET /api/cluster/nodes/{uuid}."""
    fake = fake_of(request)
    with fake.lock:
        node = fake.state.nodes.get(request.match_info["uuid"])
        if node is None:
            raise not_found(request.match_info["uuid"])
        return instance_answer(request, _node(fake.state.nodes, node), ["uuid", "name"])


def _node(nodes: dict[str, Record], node: Record) -> Record:
    rendered = with_links(node, f"{NODES}/{node['uuid']}")
    partners = [{"name": n["name"], "uuid": n["uuid"]} for n in nodes.values() if n["uuid"] != node["uuid"]]
    rendered["ha"] = {"enabled": bool(partners), "partners": partners[:1]}
    return rendered


def _aggregate(request: web.Request, aggregate: Record) -> Record:
    volumes = fake_of(request).state.volumes.values()
    rendered = with_links(aggregate, f"{AGGREGATES}/{aggregate['uuid']}")
    rendered["volume-count"] = sum(
        1 for v in volumes if any(a["uuid"] == aggregate["uuid"] for a in v.get("aggregates", []))
    )
    return rendered


async def list_aggregates(request: web.Request) -> web.Response:
    """GET /api/storage/aggregates (with the hyphenated `volume-count` field)."""
    fake = fake_of(request)
    with fake.lock:
        records = [_aggregate(request, a) for a in fake.state.aggregates.values()]
        return collection_answer(request, records, ["uuid", "name"], by_uuid)


async def get_aggregate(request: web.Request) -> web.Response:
    """GET /api/storage/aggregates/{uuid}."""
    fake = fake_of(request)
    with fake.lock:
        aggregate = fake.state.aggregates.get(request.match_info["uuid"])
        if aggregate is None:
            raise not_found(request.match_info["uuid"])
        return instance_answer(request, _aggregate(request, aggregate), ["uuid", "name"])


async def get_job(request: web.Request) -> web.Response:
    """GET /api/cluster/jobs/{uuid}: each GET also counts as a poll for poll-driven timing.

    A purged job is 404 code "4"; an SVM-scoped account may read only its own SVM's jobs.
    """
    fake = fake_of(request)
    principal = principal_of(request)
    with fake.lock:
        job = fake.state.jobs.get(request.match_info["uuid"])
        if job is None:
            raise not_found(request.match_info["uuid"])
        if not principal.is_cluster_scoped and job.get("svm", {}).get("uuid") != principal.svm_uuid:
            raise forbidden()
        fake.jobs.note_poll(job)
        fake.jobs.advance(fake.state)
        return instance_answer(request, with_links(job, f"{JOBS}/{job['uuid']}"), ["uuid"])


async def list_jobs(request: web.Request) -> web.Response:
    """GET /api/cluster/jobs."""
    fake = fake_of(request)
    with fake.lock:
        records = [with_links(j, f"{JOBS}/{j['uuid']}") for j in fake.state.jobs.values()]
        return collection_answer(request, records, ["uuid"], by_uuid)

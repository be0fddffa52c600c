"""Waiting for ONTAP's asynchronous jobs (SVM create/modify/delete) without holding a thread."""

from __future__ import annotations

import asyncio
import enum
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import structlog
from netapp_ontap.host_connection import HostConnection

from ontap.errors import OntapJobFailed, OntapNotFound, OntapTransient
from ontap.transport import send_json

if TYPE_CHECKING:
    from ontap.client import OntapClient

log = structlog.get_logger(__name__)

_FAILED_STATES = frozenset({"failure", "cancelled", "expired"})


class JobOutcome(enum.StrEnum):
    """How waiting ended when it did not raise."""

    SUCCEEDED = "succeeded"
    # ONTAP forgets finished jobs after a few minutes: the outcome is unknown, the caller re-observes.
    PURGED = "purged"


def poll_delays(initial: float, cap: float, factor: float = 2.0) -> Iterator[float]:
    """The waits between job polls: `initial`, then growing by `factor` up to `cap`, then `cap` forever.

    ONTAP's SVM jobs take from a fraction of a second to minutes; starting fast and backing off sees a
    short job almost as soon as it ends and keeps the polls of a long one few (about log2(cap/initial)
    plus one per `cap`).
    """
    delay = min(initial, cap)
    while True:
        yield delay
        delay = min(delay * factor, cap)


async def wait_for_job(
    client: OntapClient,
    job_uuid: str,
    *,
    operation: str,
    target: str,
    timeout: float | None = None,  # noqa: ASYNC109 - a polling deadline, not a wrapper around one await
    interval: float | None = None,
) -> JobOutcome:
    """Poll `/api/cluster/jobs/{uuid}` until the job ends.

    Each poll is one short read in the cluster's pool; the wait between polls is an
    `asyncio.sleep` following `poll_delays` (the client's `job_poll_initial` doubling up to
    `job_poll_max`; a fixed `interval` when given). Raises `OntapJobFailed` (with the job's ONTAP
    code and message) when the job failed, and `OntapTransient` when it is still running after
    `timeout`: it may still finish, so the caller re-observes the object rather than repeating the
    request. A job that ONTAP no longer
    knows (404) returns `JobOutcome.PURGED`: the caller must re-observe to learn what happened.
    `timeout` defaults to the client's `job_timeout`.
    """
    timeout = client.job_timeout if timeout is None else timeout
    if interval is None:
        delays = poll_delays(client.job_poll_initial, client.job_poll_max)
    else:
        delays = poll_delays(interval, interval)
    deadline = time.monotonic() + timeout
    polls = 0
    while True:
        polls += 1
        try:
            record = await client.run(
                lambda conn: _read_job(conn, job_uuid),
                operation=f"GET /api/cluster/jobs/{job_uuid}",
                target=target,
                mutating=False,
            )
        except OntapNotFound:
            log.info(
                "ontap job purged",
                cluster=client.name,
                endpoint=client.endpoint,
                job=job_uuid,
                operation=operation,
                target=target,
            )
            return JobOutcome.PURGED
        state = str(record.get("state") or "")
        if state == "success":
            log.debug(
                "ontap job succeeded",
                cluster=client.name,
                endpoint=client.endpoint,
                job=job_uuid,
                target=target,
                polls=polls,
            )
            return JobOutcome.SUCCEEDED
        if state in _FAILED_STATES:
            code, message = _job_error(record)
            raise OntapJobFailed(
                f"job {job_uuid} ended in state {state}: {message or 'no message'}",
                cluster=client.name,
                endpoint=client.endpoint,
                operation=operation,
                target=target,
                ontap_code=code,
                ontap_message=message,
            )
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise OntapTransient(
                f"job {job_uuid} still {state or 'unknown'} after {timeout:g}s; it may still finish",
                cluster=client.name,
                endpoint=client.endpoint,
                operation=operation,
                target=target,
            )
        await asyncio.sleep(min(next(delays), remaining))


def job_uuid_of(answer: dict[str, Any]) -> str | None:
    """The job uuid of a 202 answer (`{"job": {"uuid": ...}}`), None for a synchronous answer."""
    job = answer.get("job")
    if isinstance(job, dict) and job.get("uuid"):
        return str(job["uuid"])
    return None


def _read_job(connection: HostConnection, job_uuid: str) -> dict[str, Any]:
    # Bounded in time and size like every read (the library's `Job.get()` is not).
    path = f"/api/cluster/jobs/{quote(job_uuid, safe='')}"
    return send_json(connection, "GET", path, params={"fields": "state,message,code,error"})


def _job_error(record: dict[str, Any]) -> tuple[str | None, str | None]:
    error = record.get("error") if isinstance(record.get("error"), dict) else {}
    code = error.get("code") if error else None
    if code in (None, "", 0, "0"):
        code = record.get("code")
    message = (error.get("message") if error else None) or record.get("message")
    return (str(code) if code not in (None, "", 0, "0") else None, str(message) if message else None)

"""ONTAP's asynchronous jobs: queued -> running -> success/failure, over time or over polls.

Finished jobs are purged `retention_seconds` after they end, as ONTAP purges them (a GET then
answers 404 code "4"); NetApp's Ansible collection works around that "entry doesn't exist" answer.
How long ONTAP keeps them is not documented; the fake's default is 300 s.

A job carries its effect as data (`{"kind": ..., ...}`), applied when the job finishes, so state
with unfinished jobs can be saved and loaded.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ontap.fake.store import FakeState, Record, new_uuid

TERMINAL_STATES = frozenset({"success", "failure"})
Effect = dict[str, Any]
EffectHandler = Callable[[FakeState, Effect], None]


@dataclass
class JobTiming:
    """How long jobs take: `seconds` after creation, or (if set) the `polls`-th GET of the job;
    finished jobs are purged `retention_seconds` after they end."""

    seconds: float = 0.2
    polls: int | None = None
    retention_seconds: float = 300.0


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds")


def job_href(job_uuid: str) -> str:
    """The job's instance path."""
    return f"/api/cluster/jobs/{job_uuid}"


def accepted_body(job_uuid: str) -> dict[str, Any]:
    """The 202 body of an operation that runs as a job."""
    return {"job": {"uuid": job_uuid, "_links": {"self": {"href": job_href(job_uuid)}}}}


class JobBook:
    """Creates jobs in the state and moves them along; effects are applied on success."""

    def __init__(self, timing: JobTiming, effects: dict[str, EffectHandler]) -> None:
        self.timing = timing
        self._effects = effects

    def create(
        self,
        state: FakeState,
        description: str,
        effect: Effect | None,
        svm: Record | None = None,
        failure: dict[str, str] | None = None,
    ) -> str:
        """Queue a job; with `failure` ({code, message}) it ends in failure and applies nothing."""
        job_uuid = new_uuid()
        now = time.time()
        job: Record = {
            "uuid": job_uuid,
            "description": description,
            "state": "queued",
            "message": "Job is queued",
            "code": 0,
            "start_time": _iso(now),
            "_created": now,
            "_polls": 0,
            "_effect": effect,
            "_failure": failure,
        }
        if svm is not None:
            job["svm"] = {"name": svm["name"], "uuid": svm["uuid"]}
        state.jobs[job_uuid] = job
        return job_uuid

    def pending_for_svm(self, state: FakeState) -> int:
        """How many unfinished jobs concern SVMs (ONTAP caps these)."""
        return sum(1 for j in state.jobs.values() if j["state"] not in TERMINAL_STATES and "svm" in j)

    def note_poll(self, job: Record) -> None:
        """Count a GET of the job (drives poll-based timing)."""
        job["_polls"] = int(job.get("_polls", 0)) + 1

    def advance(self, state: FakeState, now: float | None = None) -> None:
        """Move every unfinished job to the state its age (or poll count) calls for."""
        moment = time.time() if now is None else now
        for job in list(state.jobs.values()):
            if job["state"] in TERMINAL_STATES:
                finished = job.get("_finished")
                if finished is not None and moment - float(finished) >= self.timing.retention_seconds:
                    del state.jobs[job["uuid"]]
                continue
            phase = self._phase(job, moment)
            if phase == "done":
                self._finish(state, job, moment)
            elif phase == "running":
                job["state"], job["message"] = "running", "Job is running"

    def finish_all(self, state: FakeState) -> None:
        """Finish every unfinished job now (used before saving state)."""
        for job in list(state.jobs.values()):
            if job["state"] not in TERMINAL_STATES:
                self._finish(state, job, time.time())

    def _phase(self, job: Record, now: float) -> str:
        if self.timing.polls is not None:
            polls = int(job.get("_polls", 0))
            if polls >= self.timing.polls:
                return "done"
            return "running" if polls > 1 else "queued"
        age = now - float(job["_created"])
        if age >= self.timing.seconds:
            return "done"
        return "running" if age >= self.timing.seconds / 4 else "queued"

    def _finish(self, state: FakeState, job: Record, now: float) -> None:
        failure = job.get("_failure")
        job["end_time"] = _iso(now)
        job["_finished"] = now
        if failure:
            job["state"] = "failure"
            job["message"] = failure["message"]
            job["code"] = int(failure["code"])
            job["error"] = {"code": str(failure["code"]), "message": failure["message"]}
            return
        effect = job.get("_effect")
        if effect:
            self._effects[effect["kind"]](state, effect)
        job["state"], job["message"], job["code"] = "success", "success", 0

"""The fake ONTAP cluster as one object: state, jobs, faults and request log behind one lock.

Handlers run on the server's event loop; tests call the same object from their own thread, so
every read or change of the state happens under `lock`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ontap.fake import svm_lifecycle
from ontap.fake.errors import FakeApiError, not_found
from ontap.fake.faults import FaultBook
from ontap.fake.jobs import JobBook, JobTiming
from ontap.fake.request_log import RequestLog
from ontap.fake.store import FakeState, Record

DEFAULT_ADMIN_USER = "admin"
DEFAULT_ADMIN_PASSWORD = "fake-admin-password"


@dataclass
class FakeSettings:
    """How the fake cluster starts: admin credentials, seed and job timing."""

    admin_user: str = DEFAULT_ADMIN_USER
    admin_password: str = DEFAULT_ADMIN_PASSWORD
    seed: str = "default"
    job_timing: JobTiming = field(default_factory=JobTiming)


class FakeOntap:
    """One fake ONTAP cluster."""

    def __init__(self, settings: FakeSettings | None = None, state: FakeState | None = None) -> None:
        self.settings = settings or FakeSettings()
        self.lock = threading.RLock()
        self.state = state or self._seed_state()
        self.jobs = JobBook(replace(self.settings.job_timing), svm_lifecycle.EFFECTS)
        self.faults = FaultBook()
        self.requests = RequestLog()
        self.in_flight = 0  # API requests being served right now
        self.peak_in_flight = 0

    def _seed_state(self) -> FakeState:
        s = self.settings
        return FakeState.seeded(s.admin_user, s.admin_password, s.seed)

    def reset(self) -> None:
        """Back to the seed state and job timing, with no faults and an empty request log."""
        with self.lock:
            self.state = self._seed_state()
            self.jobs.timing = replace(self.settings.job_timing)
            self.faults.clear()
            self.requests.clear()
            self.peak_in_flight = self.in_flight

    def advance_jobs(self) -> None:
        """Let due jobs finish (called before every API request)."""
        with self.lock:
            self.jobs.advance(self.state)

    def add_volume(self, svm_name: str, name: str) -> Record:
        """Add a data volume to the SVM called `svm_name` (ONTAP-side volumes for tests)."""
        with self.lock:
            svm = self.state.svm_by_name(svm_name)
            if svm is None:
                raise not_found(svm_name, "svm.name")
            if any(
                v["name"] == name and v["svm"]["uuid"] == svm["uuid"] for v in self.state.volumes.values()
            ):
                raise FakeApiError(409, "1", f'duplicate entry: volume "{name}" exists in SVM "{svm_name}"')
            return dict(svm_lifecycle.add_volume(self.state, svm, name))

    def add_nvme_subsystem(self, svm_name: str, name: str) -> Record:
        """Add an NVMe subsystem to the SVM called `svm_name` (ONTAP-side, as Trident makes them)."""
        with self.lock:
            svm = self.state.svm_by_name(svm_name)
            if svm is None:
                raise not_found(svm_name, "svm.name")
            if any(
                s["name"] == name and s["svm"]["uuid"] == svm["uuid"]
                for s in self.state.nvme_subsystems.values()
            ):
                raise FakeApiError(
                    409, "1", f'duplicate entry: NVMe subsystem "{name}" exists in SVM "{svm_name}"'
                )
            return dict(svm_lifecycle.add_nvme_subsystem(self.state, svm, name))

    def snapshot(self) -> dict[str, Any]:
        """The whole state as JSON, passwords redacted."""
        with self.lock:
            return self.state.to_json(redact=True)

    def save(self, path: Path) -> None:
        """Finish pending jobs and write the state to `path`."""
        with self.lock:
            self.jobs.finish_all(self.state)
            self.state.save(path)

    def load(self, path: Path) -> None:
        """Replace the state with the one saved at `path`."""
        with self.lock:
            self.state = FakeState.load(path)

"""`FakeOntapServer`: the fake in a background thread with its own event loop.

Sync code (netapp-ontap) and async tests can both talk to it; the Python API used from the test
thread works on the same objects under the fake's lock.
"""

from __future__ import annotations

import asyncio
import socket
import tempfile
import threading
from pathlib import Path
from types import TracebackType
from typing import Any

from aiohttp import web

from ontap.fake.app import build_app
from ontap.fake.faults import FaultBook
from ontap.fake.jobs import JobTiming
from ontap.fake.listeners import LISTENERS_KEY, LifListeners, management_lifs
from ontap.fake.request_log import LoggedRequest, RequestLog
from ontap.fake.simulator import DEFAULT_ADMIN_PASSWORD, DEFAULT_ADMIN_USER, FakeOntap, FakeSettings
from ontap.fake.store import FakeState, Record
from ontap.fake.tls import SERVER_NAMES, FakeCertificateAuthority

STARTUP_TIMEOUT = 10.0
SHUTDOWN_TIMEOUT = 5.0


class FaultControl:
    """Thread-safe access to the fault rules."""

    def __init__(self, fake: FakeOntap) -> None:
        self._fake = fake

    @property
    def _book(self) -> FaultBook:
        return self._fake.faults

    def add(
        self,
        action: dict[str, Any],
        method: str | None = None,
        path: str = "*",
        calls: list[int] | None = None,
        probability: float | None = None,
        seed: int | None = None,
        times: int | None = None,
    ) -> int:
        """Add a rule (see docs/fake-ontap.md); returns its id."""
        spec = {
            "action": action,
            "method": method,
            "path": path,
            "calls": calls,
            "probability": probability,
            "seed": seed,
            "times": times,
        }
        with self._fake.lock:
            return self._book.add(spec)

    def remove(self, rule_id: int) -> bool:
        """Remove one rule."""
        with self._fake.lock:
            return self._book.remove(rule_id)

    def clear(self) -> None:
        """Remove every rule."""
        with self._fake.lock:
            self._book.clear()

    def rules(self) -> list[dict[str, Any]]:
        """The rules with their `matched`/`injected` counters."""
        with self._fake.lock:
            return self._book.rules()


class RequestLogView:
    """Thread-safe access to the request log."""

    def __init__(self, fake: FakeOntap) -> None:
        self._fake = fake

    @property
    def _log(self) -> RequestLog:
        return self._fake.requests

    def entries(self) -> list[LoggedRequest]:
        """Logged requests, oldest first."""
        with self._fake.lock:
            return self._log.entries()

    def counts(self) -> dict[str, int]:
        """Requests per `METHOD template`."""
        with self._fake.lock:
            return self._log.counts()

    def count(
        self,
        method: str | None = None,
        path_prefix: str | None = None,
        user: str | None = None,
        writes_only: bool = False,
    ) -> int:
        """How many logged requests match every given criterion."""
        with self._fake.lock:
            return self._log.count(method=method, path_prefix=path_prefix, user=user, writes_only=writes_only)

    def clear(self) -> None:
        """Forget every logged request."""
        with self._fake.lock:
            self._log.clear()


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


class _ChangingLock:
    """The fake's lock, for a test that changes the state directly."""

    def __init__(self, fake: FakeOntap) -> None:
        self._fake = fake

    def __enter__(self) -> None:
        self._fake.lock.acquire()

    def __exit__(self, *exc_info: object) -> None:
        try:
            self._fake.state.touch()
        finally:
            self._fake.lock.release()


class FakeOntapServer:
    """The fake ONTAP API on `host:port` (port 0 picks a free one), plain HTTP or HTTPS."""

    def __init__(
        self,
        tls: bool = False,
        admin_user: str = DEFAULT_ADMIN_USER,
        admin_password: str = DEFAULT_ADMIN_PASSWORD,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: str = "default",
        job_timing: JobTiming | None = None,
        ca_path: Path | None = None,
    ) -> None:
        settings = FakeSettings(admin_user, admin_password, seed, job_timing or JobTiming())
        self.fake = FakeOntap(settings)
        self.tls = tls
        self.host = host
        self.port = port
        self.admin_user = admin_user
        self.admin_password = admin_password
        self.ca_path: Path | None = None
        self._wanted_ca_path = ca_path
        self._tempdir: tempfile.TemporaryDirectory[str] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._listeners: LifListeners | None = None
        self._thread: threading.Thread | None = None
        self.faults = FaultControl(self.fake)
        self.requests = RequestLogView(self.fake)

    @property
    def scheme(self) -> str:
        """`https` or `http`."""
        return "https" if self.tls else "http"

    @property
    def url(self) -> str:
        """Base URL, e.g. `http://127.0.0.1:PORT`."""
        return f"{self.scheme}://{self.host}:{self.port}"

    @property
    def state(self) -> FakeState:
        """The live state (hold `lock` while changing it from a test)."""
        return self.fake.state

    @property
    def lock(self) -> Any:
        """The lock that guards the state; leaving it marks the state as changed (a test holds it to
        change records in place, which the fake's lookups by field must then see)."""
        return _ChangingLock(self.fake)

    def start(self) -> FakeOntapServer:
        """Serve in a background thread; returns once the port accepts connections."""
        if self._thread is not None:
            raise RuntimeError("fake ONTAP server already started")
        if self.port == 0:
            self.port = free_port(self.host)
        ready = threading.Event()
        failure: list[BaseException] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._serve, args=(ready, failure), name=f"fake-ontap-{self.port}", daemon=True
        )
        self._thread.start()
        if not ready.wait(STARTUP_TIMEOUT):
            raise RuntimeError(f"fake ONTAP server did not start on {self.url}")
        if failure:
            self._thread.join(SHUTDOWN_TIMEOUT)
            self._thread = None
            raise RuntimeError(f"fake ONTAP server failed to start on {self.url}") from failure[0]
        return self

    def _serve(self, ready: threading.Event, failure: list[BaseException]) -> None:
        loop = self._loop
        assert loop is not None
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._start_site())
        except BaseException as exc:
            failure.append(exc)
            ready.set()
            loop.close()
            return
        ready.set()
        loop.run_forever()
        loop.run_until_complete(self._stop_site())
        loop.close()

    async def _start_site(self) -> None:
        ssl_context = None
        ca = None
        if self.tls:
            if self._wanted_ca_path is None:
                self._tempdir = tempfile.TemporaryDirectory(prefix="fake-ontap-")
                self.ca_path = Path(self._tempdir.name) / "ca.pem"
            else:
                self.ca_path = self._wanted_ca_path
            ca = FakeCertificateAuthority(self.ca_path)
            ssl_context = ca.server_context((*SERVER_NAMES, self.host))
        app = build_app(self.fake)
        self._runner = web.AppRunner(app, shutdown_timeout=SHUTDOWN_TIMEOUT, access_log=None)
        self._listeners = LifListeners(self._runner, self.port, ca, self.host)
        app[LISTENERS_KEY] = self._listeners
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, ssl_context=ssl_context)
        await site.start()
        await self._listeners.sync(management_lifs(self.fake.state))

    def sync_listeners(self) -> frozenset[str]:
        """Serve the management LIFs the state has now (after changing `state` directly); returns them.

        Requests through the API keep the listeners in line by themselves.
        """
        if self._loop is None or self._listeners is None:
            return frozenset()
        with self.fake.lock:
            addresses = management_lifs(self.fake.state)
        future = asyncio.run_coroutine_threadsafe(self._listeners.sync(addresses), self._loop)
        future.result(STARTUP_TIMEOUT)
        return self._listeners.addresses

    async def _stop_site(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def stop(self) -> None:
        """Stop serving (hung requests are released) and join the thread."""
        if self._thread is None or self._loop is None:
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(SHUTDOWN_TIMEOUT * 3)
        self._thread = None
        self._loop = None
        if self._tempdir is not None:
            self._tempdir.cleanup()
            self._tempdir = None

    def set_lif_reachable(self, address: str, reachable: bool) -> None:
        """Cut a management LIF off (nothing answers at `address`, as behind a broken route) or restore it."""
        if self._listeners is None:
            raise RuntimeError("fake ONTAP server is not started")
        if reachable:
            self._listeners.unreachable.discard(address)
        else:
            self._listeners.unreachable.add(address)
        self.sync_listeners()

    def reset(self) -> None:
        """Seed state, no faults, empty request log."""
        self.fake.reset()
        if self._listeners is not None:
            self._listeners.unreachable.clear()
        self.sync_listeners()

    def peak_in_flight(self, *, reset: bool = False) -> int:
        """The most API requests served at the same time (since the start, the last reset or call with
        `reset`); an injected `latency` makes requests overlap, so this shows a client's concurrency."""
        with self.fake.lock:
            peak = self.fake.peak_in_flight
            if reset:
                self.fake.peak_in_flight = self.fake.in_flight
            return peak

    def set_job_timing(
        self, seconds: float = 0.2, polls: int | None = None, retention_seconds: float | None = None
    ) -> None:
        """How long jobs take: `seconds`, or until their `polls`-th GET; and (if given) how long
        finished jobs are kept before they are purged (GET then answers 404 code "4")."""
        with self.fake.lock:
            self.fake.jobs.timing.seconds = seconds
            self.fake.jobs.timing.polls = polls
            if retention_seconds is not None:
                self.fake.jobs.timing.retention_seconds = retention_seconds

    def add_volume(self, svm_name: str, name: str) -> Record:
        """Add a data volume to an SVM."""
        return self.fake.add_volume(svm_name, name)

    def add_nvme_subsystem(self, svm_name: str, name: str) -> Record:
        """Add an NVMe subsystem to an SVM (it blocks deleting the NVMe service and the SVM)."""
        return self.fake.add_nvme_subsystem(svm_name, name)

    def snapshot(self) -> dict[str, Any]:
        """The whole state as JSON, passwords redacted."""
        return self.fake.snapshot()

    def save(self, path: Path) -> None:
        """Save the state to a JSON file."""
        self.fake.save(path)

    def load(self, path: Path) -> None:
        """Load the state from a JSON file."""
        self.fake.load(path)
        self.sync_listeners()

    def __enter__(self) -> FakeOntapServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

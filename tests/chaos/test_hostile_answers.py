"""Hostile ONTAP answers: well-formed HTTP that proves nothing, slow answers, huge answers.

While an answer is bad the controller must not act on it: no ONTAP write at all (so no SVM, LIF or
account is created and no password changes), with two clusters no SVM on the second while the
first answers badly, an Extension status that names the call and the cluster, every pass bounded in
time (and the huge answer in memory); once the fault is removed the shoot converges by itself.

Most cases run under `make chaos`; a small slice (marked integration only) runs in the default suite.
"""

from __future__ import annotations

import contextlib
import time
import tracemalloc
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from ontap.config import OntapClusterConfig
from ontap.fake.testing import FakeOntapServer
from tests.chaos.bed import Admin, ChaosServers, ControllerProcess, cluster_config, drive
from tests.chaos.invariants import converged_violations
from tests.chaos.runner import ChaosRun, Row

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

BAD_PASSES = 4
SVMS = "/api/svm/svms"
SECOND = "second"


@dataclass(frozen=True)
class Case:
    """One hostile answer: the fault rule, when it is armed, and what the status must name."""

    id: str
    action: dict[str, Any]
    path: str = SVMS
    method: str = "GET"
    steady: bool = True  # armed on a converged shoot; else on a new one (placement decides)
    names: tuple[str, ...] = ("GET /api/svm/svms",)
    cluster: dict[str, Any] = field(default_factory=dict)  # overrides of the cluster config
    config: dict[str, Any] = field(default_factory=dict)  # overrides of the controller config
    pass_seconds: float = 5.0  # bound of every pass while the answer is bad
    two_clusters: bool = False
    condition: tuple[str, str] | None = None  # (condition type, reason) expected while bad


FAST = [
    Case(
        "two-clusters-envelope-without-records",
        {"type": "envelope-without-records"},
        steady=False,
        two_clusters=True,
        names=("GET /api/svm/svms", "has no 'records'", "'fake'"),
    ),
    Case(
        "svm-record-missing-name",
        {"type": "record-missing-key", "key": "name"},
        names=("GET /api/svm/svms", "has no 'name'", "'fake'"),
    ),
    Case(
        "svm-stopped",
        {"type": "svm-state", "state": "stopped"},
        names=("is not running: ONTAP reported state 'stopped'",),
        condition=("SvmReady", "SvmNotRunning"),
    ),
    Case(
        "lif-list-envelope-without-records",
        {"type": "envelope-without-records"},
        path="/api/network/ip/interfaces",
        names=("GET /api/network/ip/interfaces", "has no 'records'"),
    ),
]

SLOW = [
    Case(
        "new-shoot-envelope-without-records",
        {"type": "envelope-without-records"},
        steady=False,
        names=("GET /api/svm/svms", "has no 'records'"),
    ),
    Case(
        "new-shoot-wrong-num-records",
        {"type": "wrong-num-records"},
        steady=False,
        names=("GET /api/svm/svms", "says num_records 1 but holds 0"),
    ),
    Case(
        "new-shoot-html-200",
        {"type": "html-200"},
        steady=False,
        names=("ONTAP answered 200 with a body that is not JSON (text/html",),
    ),
    Case(
        "new-shoot-truncated-json",
        {"type": "truncated-json"},
        steady=False,
        names=("not JSON (application/json", "truncated or malformed JSON"),
    ),
    Case(
        "new-shoot-html-502",
        {"type": "html-502"},
        steady=False,
        names=("HTTP error 502; the body is not JSON",),
    ),
    Case(
        "svm-record-missing-uuid",
        {"type": "record-missing-key", "key": "uuid"},
        names=("GET /api/svm/svms", "has no 'uuid'"),
    ),
    Case(
        "svm-without-state",
        {"type": "svm-state", "state": None},
        names=("is not running: ONTAP reported no state",),
        condition=("SvmReady", "SvmNotRunning"),
    ),
    Case(
        "svm-unknown-state",
        {"type": "svm-state", "state": "offline-ish"},
        names=("ONTAP reported state 'offline-ish'",),
        condition=("SvmReady", "SvmNotRunning"),
    ),
    Case(
        "svm-starting",
        {"type": "svm-state", "state": "starting"},
        names=("SVM p", "is starting"),
        condition=("SvmReady", "OntapBusy"),
    ),
    Case(
        "account-list-wrong-num-records",
        {"type": "wrong-num-records", "delta": 3},
        path="/api/security/accounts",
        names=("GET /api/security/accounts", "num_records"),
    ),
    Case(
        "huge-body",
        {"type": "huge-body", "megabytes": 66},
        names=("GET /api/svm/svms", "more than maxResponseBytes (8.0 MB)"),
        cluster={"maxResponseBytes": 8 * 1024 * 1024},
    ),
    Case(
        "trickle",
        {"type": "trickle", "bytes_per_second": 50, "seconds": 10},
        names=("GET /api/svm/svms", "no complete answer within requestTimeout 1.5s"),
        cluster={"requestTimeout": 1.5},
        pass_seconds=1.5 + 2.0,
    ),
    Case(
        "trickle-past-the-pass-deadline",
        {"type": "trickle", "bytes_per_second": 20, "seconds": 8},
        names=("passTimeout (2s)",),
        cluster={"requestTimeout": 60},
        config={"passTimeout": 2},
        pass_seconds=2.0 + 1.0,
    ),
]


@pytest.fixture(scope="module")
def second_fake() -> Iterator[FakeOntapServer]:
    """A second, independent ONTAP cluster for the placement case."""
    with FakeOntapServer(tls=False) as server:
        yield server


def cluster(fake: FakeOntapServer, name: str, **changes: Any) -> OntapClusterConfig:
    base = cluster_config(fake)
    data = {**base.model_dump(by_alias=True), "name": name, "password": base.password, **changes}
    return OntapClusterConfig.model_validate(data)


class HostileRun(ChaosRun):
    """A chaos run whose controller talks to the given ONTAP clusters."""

    def __init__(
        self, servers: ChaosServers, admin: Admin, clusters: list[OntapClusterConfig], **config: Any
    ):
        super().__init__(servers, admin, **config)
        self.clusters = clusters

    async def start(self) -> ControllerProcess:
        self.process = await ControllerProcess(self.servers, self.config, clusters=self.clusters).start()
        return self.process


@contextlib.asynccontextmanager
async def hostile_run(
    servers: ChaosServers, clusters: list[OntapClusterConfig], **config: Any
) -> AsyncIterator[HostileRun]:
    servers.reset()
    admin = await Admin.connect(servers.apiserver)
    run = HostileRun(servers, admin, clusters, **config)
    try:
        await run.start()
        yield run
    finally:
        await run.close()
        await admin.close()


async def never() -> bool:
    return False


async def run_case(servers: ChaosServers, second: FakeOntapServer, case: Case, table: list[Row]) -> None:
    clusters = [cluster(servers.fake, "fake", **case.cluster)]
    if case.two_clusters:
        second.reset()
        second.set_job_timing(seconds=0.05)
        clusters.append(cluster(second, SECOND, **case.cluster))
    async with hostile_run(servers, clusters, **case.config) as run:
        admin = run.admin
        shoot = await admin.create_shoot()
        password = None
        if case.steady:
            settled = await run.converge(shoot, "create")
            assert settled.done, settled.describe()
            password = (await admin.secret_data(shoot.namespace, "ontap-svm-credentials") or {}).get(
                "password"
            )
        servers.fake.requests.clear()
        rule = servers.fake.faults.add(case.action, method=case.method, path=f"^{case.path}$")
        tracemalloc.start()
        started = time.monotonic()
        bad = await drive(run, shoot.key, never, max_passes=BAD_PASSES, max_seconds=60)
        bad_seconds = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert servers.fake.faults.rules()[0]["injected"] >= 1, "the fault never fired"

        # Nothing was concluded from the bad answer: no write anywhere, so no password change either.
        writes = [f"{e.method} {e.path}" for e in servers.fake.requests.entries() if e.method != "GET"]
        assert writes == [], writes
        if case.two_clusters:
            assert second.requests.count(writes_only=True) == 0
            assert not second.state.svms, "an SVM was created on the second cluster"
        # Every pass failed within its bound; none reported success.
        assert all(r.outcome != "ok" for r in bad.records), bad.describe()
        slowest = max(r.seconds for r in bad.records)
        assert slowest < case.pass_seconds, bad.describe()
        assert peak < 64 * 1024 * 1024, f"peak {peak / 2**20:.1f} MB while the answer was bad"
        ext = await admin.extension(shoot)
        assert ext is not None
        status = ext.get("status") or {}
        assert status["lastOperation"]["state"] == "Error", status["lastOperation"]
        description = status["lastError"]["description"]
        for name in case.names:
            assert name in description, description
        if case.condition is not None:
            conditions = {c["type"]: c for c in status.get("conditions", [])}
            kind, reason = case.condition
            assert conditions[kind]["status"] == "False", conditions[kind]
            assert conditions[kind]["reason"] in (reason, "Blocked"), conditions[kind]
            later = [conditions[t] for t in ("LifsReady", "AccountReady") if t in conditions]
            assert all(c["status"] == "Unknown" for c in later), later
        if password is not None:
            now = (await admin.secret_data(shoot.namespace, "ontap-svm-credentials") or {}).get("password")
            assert now == password, "the password changed while ONTAP answered badly"

        # The fault removed: the shoot converges by itself, with exactly what it asked for.
        servers.fake.faults.remove(rule)
        before = servers.ontap_requests()
        settled = await run.converge(shoot, "create")
        assert settled.done, settled.describe()
        problems = await converged_violations(servers.fake, admin, [shoot])
        problems += await run.leaks()
        if case.two_clusters:
            assert not second.state.svms, "the SVM went to the second cluster after all"
        assert not problems, "\n".join(problems)
        table.append(
            Row(
                scenario=f"hostile:{case.id}",
                converged=True,
                seconds=bad_seconds + settled.seconds,
                ontap_requests=servers.ontap_requests() - before,
                kube_writes=servers.kube_writes(),
                passes=bad.passes + settled.passes,
            )
        )


@pytest.mark.parametrize("case", FAST, ids=[c.id for c in FAST])
async def test_hostile_answer_default_slice(
    chaos_servers: ChaosServers, second_fake: FakeOntapServer, chaos_table: list[Row], case: Case
) -> None:
    await run_case(chaos_servers, second_fake, case, chaos_table)


@pytest.mark.chaos
@pytest.mark.parametrize("case", SLOW, ids=[c.id for c in SLOW])
async def test_hostile_answer(
    chaos_servers: ChaosServers, second_fake: FakeOntapServer, chaos_table: list[Row], case: Case
) -> None:
    await run_case(chaos_servers, second_fake, case, chaos_table)

"""Running one chaos scenario: set up the shoot, inject the fault, drive passes until convergence,
check the invariants and the bounds, and report a row of the table."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from controller.steps.context import ROTATE_ANNOTATION
from tests.chaos.bed import (
    Admin,
    ChaosServers,
    ControllerProcess,
    DriveResult,
    ShootUnderTest,
    chaos_config,
    drive,
)
from tests.chaos.catalog import FaultKind, Phase, Scenario, Target
from tests.chaos.invariants import SEED_SECRET, converged_violations, deleted_violations, every_password
from tests.chaos.leaks import LogCapture, event_texts, find_leaks, status_texts

# Set by the chaos conftest: every log line of the session, rendered as in production.
LOG_CAPTURE: LogCapture | None = None

# The driver gives up after this many passes or seconds in one phase (a safety net, not the bound).
MAX_PASSES = 40
MAX_SECONDS = 60.0
# The bounds asserted per phase, from arming the faults until convergence: a phase without faults
# needs fewer than BASE; each injection an armed fault may make (its `times`) may add up to
# PER_FAULT (docs/chaos.md explains them).
BASE_ONTAP_REQUESTS: dict[Phase, int] = {"create": 30, "rotate": 12, "delete": 16}
PER_FAULT_ONTAP_REQUESTS = 20
BASE_PASSES = 4
PER_FAULT_PASSES = 6
BASE_SECONDS = 8.0
PER_FAULT_SECONDS = 6.0


@dataclass(frozen=True)
class Bounds:
    """What a phase may cost at most when its armed faults can fire `faults` times in all."""

    ontap_requests: int
    passes: int
    seconds: float

    @classmethod
    def of(cls, phase: Phase, faults: int) -> Bounds:
        return cls(
            ontap_requests=BASE_ONTAP_REQUESTS[phase] + PER_FAULT_ONTAP_REQUESTS * faults,
            passes=BASE_PASSES + PER_FAULT_PASSES * faults,
            seconds=BASE_SECONDS + PER_FAULT_SECONDS * faults,
        )

    def violations(self, ontap_requests: int, passes: int, seconds: float) -> list[str]:
        """Each bound that was exceeded, with the measured figure."""
        problems = []
        if ontap_requests > self.ontap_requests:
            problems.append(f"{ontap_requests} ONTAP requests, bound {self.ontap_requests}")
        if passes > self.passes:
            problems.append(f"{passes} passes, bound {self.passes}")
        if seconds > self.seconds:
            problems.append(f"{seconds:.1f}s to converge, bound {self.seconds:.0f}s")
        return problems


@dataclass
class Row:
    """One line of the chaos table."""

    scenario: str
    converged: bool
    seconds: float
    ontap_requests: int
    kube_writes: int
    passes: int
    problems: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (
            f"{self.scenario:58} {'yes' if self.converged else 'NO':>9} {self.seconds:7.1f} "
            f"{self.ontap_requests:6} {self.kube_writes:6} {self.passes:6}"
        )


TABLE_HEADER = f"{'scenario':58} {'converged':>9} {'seconds':>7} {'ONTAP':>6} {'k8s-w':>6} {'passes':>6}"


def format_table(rows: list[Row]) -> str:
    """The table printed at the end of a chaos run."""
    return "\n".join([TABLE_HEADER, *(row.line() for row in rows)])


class ArmedFault:
    """A fault rule installed on the fake ONTAP or the proxy."""

    def __init__(self, servers: ChaosServers, target: Target, kind: FaultKind, namespace: str) -> None:
        self.servers = servers
        self.side = target.side
        self.kind = kind
        self.description = f"{target.name}:{kind.describe()}"
        self._fired_before_removal = 0
        self._removed = False
        calls = list(range(target.nth, target.nth + kind.times)) if target.nth > 1 else None
        if target.side == "ontap":
            self.rule_id = servers.fake.faults.add(
                kind.action, method=target.method, path=target.path, calls=calls, times=kind.times
            )
        else:
            self.rule_id = servers.proxy.faults.add(
                kind.action, target.method, target.path_for(namespace), calls=calls, times=kind.times
            )

    def injected(self) -> int:
        """How often the rule hit a request so far (also after it was removed)."""
        if self._removed:
            return self._fired_before_removal
        if self.side == "kube":
            return self.servers.proxy.faults.injected(self.rule_id)
        for rule in self.servers.fake.faults.rules():
            if rule["id"] == self.rule_id:
                return int(rule["injected"])
        return 0

    def remove(self) -> None:
        """Take the rule out; `injected()` keeps its final count."""
        self._fired_before_removal = self.injected()
        self._removed = True
        if self.side == "ontap":
            self.servers.fake.faults.remove(self.rule_id)
        else:
            self.servers.proxy.faults.remove(self.rule_id)


class ChaosRun:
    """One shoot's life under faults, with a controller process that can be killed and restarted."""

    def __init__(self, servers: ChaosServers, admin: Admin, **config: Any) -> None:
        self.servers = servers
        self.admin = admin
        self.config = chaos_config(servers.fake, servers.proxy.kubeconfig, **config)
        self.process: ControllerProcess | None = None
        self.restarts = 0
        self.passwords: set[str] = set()
        self.log_mark = LOG_CAPTURE.mark() if LOG_CAPTURE is not None else 0

    def remember_passwords(self) -> None:
        """Every password ONTAP holds now (they are searched for in logs, Events and status later)."""
        self.passwords |= every_password(self.servers.fake)

    async def leaks(self) -> list[str]:
        """Every place a password of this run showed up: log lines, Events, Extension status."""
        self.remember_passwords()
        texts: dict[str, list[str]] = {}
        if LOG_CAPTURE is not None:
            texts["log line"] = LOG_CAPTURE.since(self.log_mark)
        for namespace in self.admin.namespaces:
            secret = await self.admin.secret_data(namespace, SEED_SECRET) or {}
            self.passwords |= {v for k, v in secret.items() if "password" in k}
            texts[f"Events of {namespace}"] = event_texts(await self.admin.events(namespace))
            shoot = ShootUnderTest(namespace=namespace, project_id="")
            texts[f"Extension {namespace}"] = status_texts(await self.admin.extension(shoot))
        return find_leaks(self.passwords, texts)

    async def start(self) -> ControllerProcess:
        self.process = await ControllerProcess(self.servers, self.config).start()
        return self.process

    async def restart(self) -> ControllerProcess:
        """Kill the controller (all in-memory state lost) and start a fresh one."""
        if self.process is not None:
            await self.process.kill()
        self.restarts += 1
        return await self.start()

    async def close(self) -> None:
        if self.process is not None:
            await self.process.close()

    async def converge(
        self,
        shoot: ShootUnderTest,
        phase: Phase,
        *,
        reactive: list[ArmedFault] | None = None,
        max_passes: int = MAX_PASSES,
    ) -> DriveResult:
        """Drive passes until the phase's goal is reached. When a `reactive` fault hits its request, a
        `kill` kind cancels the pass in flight and restarts the controller (the pass counts, its result
        is lost); an `apiserver_outage` kind takes the Kubernetes API away while the pass goes on."""
        assert self.process is not None
        pending = list(reactive or [])

        async def done() -> bool:
            self.remember_passwords()
            ext = await self.admin.extension(shoot)
            if phase == "delete":
                return ext is None
            if ext is None:
                return False
            last = (ext.get("status") or {}).get("lastOperation") or {}
            if last.get("state") != "Succeeded":
                return False
            annotations = (ext.get("metadata") or {}).get("annotations") or {}
            return phase != "rotate" or ROTATE_ANNOTATION not in annotations

        async def react_on_fire() -> bool:
            restart = False
            for fault in [fault for fault in pending if fault.injected() > 0]:
                pending.remove(fault)
                if fault.kind.kill:
                    fault.remove()
                    restart = True
                else:
                    self.servers.proxy.unavailable(fault.kind.apiserver_outage)
            return restart

        return await drive(
            self, shoot.key, done, react_on_fire, max_passes=max_passes, max_seconds=MAX_SECONDS
        )

    def row(self, scenario: str, *drives: DriveResult, ontap_before: int = 0) -> Row:
        """The table row of a converged scenario made of these runs of passes."""
        return Row(
            scenario=scenario,
            converged=True,
            seconds=sum(d.seconds for d in drives),
            ontap_requests=self.servers.ontap_requests() - ontap_before,
            kube_writes=self.servers.kube_writes(),
            passes=sum(d.passes for d in drives),
        )

    async def enter_phase(self, shoot: ShootUnderTest, phase: Phase) -> dict[str, str] | None:
        """Prepare a phase: converge first (rotate, delete), then trigger it. Returns the old seed secret."""
        if phase == "create":
            return None
        settled = await self.converge(shoot, "create")
        assert settled.done, f"set-up did not converge:\n{settled.describe()}"
        old = await self.admin.secret_data(shoot.namespace, SEED_SECRET)
        if phase == "rotate":
            await self.admin.annotate(shoot, {ROTATE_ANNOTATION: "true"})
        else:
            await self.admin.request_deletion(shoot)
        return old


async def phase_violations(
    run: ChaosRun, shoot: ShootUnderTest, phase: Phase, old_secret: dict[str, str] | None
) -> list[str]:
    """The invariants of a phase's end state."""
    if phase == "delete":
        return await deleted_violations(run.servers.fake, run.admin, shoot, [])
    problems = await converged_violations(run.servers.fake, run.admin, [shoot])
    if phase == "rotate":
        problems.extend(await rotation_violations(run.admin, shoot, old_secret))
    return problems


async def rotation_violations(
    admin: Admin, shoot: ShootUnderTest, old_secret: dict[str, str] | None
) -> list[str]:
    """A finished rotation must have replaced the password."""
    new = await admin.secret_data(shoot.namespace, SEED_SECRET) or {}
    if old_secret and new.get("password") == old_secret.get("password"):
        return ["rotation finished but the password did not change"]
    return []


@contextlib.asynccontextmanager
async def fresh_run(servers: ChaosServers) -> AsyncIterator[ChaosRun]:
    """A clean bed (fake reset, no faults anywhere), an admin and a started controller; closed after."""
    servers.reset()
    admin = await Admin.connect(servers.apiserver)
    run = ChaosRun(servers, admin)
    try:
        await run.start()
        yield run
    finally:
        await run.close()
        await admin.close()


async def run_scenario(servers: ChaosServers, scenario: Scenario) -> Row:
    """One matrix cell, from a clean fake and a fresh namespace to a checked row."""
    async with fresh_run(servers) as run:
        admin = run.admin
        shoot = await admin.create_shoot()
        phase = scenario.target.phase
        old_secret = await run.enter_phase(shoot, phase)
        ontap_before = servers.ontap_requests()
        kube_before = servers.kube_writes()
        started = time.monotonic()
        fault = ArmedFault(servers, scenario.target, scenario.kind, shoot.namespace)
        result = await run.converge(shoot, phase, reactive=[fault] if scenario.kind.reacts else None)
        row = Row(
            scenario=scenario.id,
            converged=result.done,
            seconds=time.monotonic() - started,
            ontap_requests=servers.ontap_requests() - ontap_before,
            kube_writes=servers.kube_writes() - kube_before,
            passes=result.passes,
        )
        if fault.injected() == 0:
            row.problems.append(f"the fault never fired: {fault.description} (its request was not seen)")
        if not result.done:
            row.problems.append(f"did not converge:\n{result.describe()}")
        else:
            row.problems.extend(await phase_violations(run, shoot, phase, old_secret))
        row.problems.extend(await run.leaks())
        row.problems.extend(
            Bounds.of(phase, scenario.kind.times).violations(row.ontap_requests, row.passes, row.seconds)
        )
        return row

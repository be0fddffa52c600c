"""Random fault schedules: faults across steps and phases of a shoot's life, run against one bed.

A schedule arms a few faults for the create phase, optionally for a credential rotation, and for the
deletion; optionally a second shoot of the same project shares the SVM (it must survive the first
shoot's deletion). `describe()` prints a schedule so that a failure can be read and replayed with
`Schedule.parse` (see docs/chaos.md).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from hypothesis import strategies as st

from tests.chaos.bed import ChaosServers, ShootUnderTest
from tests.chaos.catalog import KINDS, TARGETS, FaultKind, Phase, Target
from tests.chaos.invariants import converged_violations, deleted_violations
from tests.chaos.runner import (
    ArmedFault,
    Bounds,
    Row,
    fresh_run,
    phase_violations,
    rotation_violations,
)


@dataclass(frozen=True)
class ScheduledFault:
    """One fault: which request, what happens to it, how many times."""

    target: str
    kind: str
    times: int

    def resolve(self) -> tuple[Target, FaultKind]:
        target = TARGETS[self.target]
        base = KINDS[(target.side, self.kind)]
        return target, FaultKind(
            base.name, base.side, base.action, self.times, base.kill, base.apiserver_outage
        )

    def describe(self) -> str:
        return f"{self.target}:{self.kind}x{self.times}"


@dataclass(frozen=True)
class Schedule:
    """Faults per phase, and whether a second shoot shares the project's SVM."""

    create: tuple[ScheduledFault, ...] = ()
    rotate: tuple[ScheduledFault, ...] | None = None
    delete: tuple[ScheduledFault, ...] = ()
    shared_svm: bool = False
    phases: tuple[Phase, ...] = field(init=False, default=())

    def __post_init__(self) -> None:
        phases: list[Phase] = ["create"]
        if self.rotate is not None:
            phases.append("rotate")
        phases.append("delete")
        object.__setattr__(self, "phases", tuple(phases))

    def faults(self, phase: Phase) -> tuple[ScheduledFault, ...]:
        return {"create": self.create, "rotate": self.rotate or (), "delete": self.delete}[phase]

    def describe(self) -> str:
        """A one-line, replayable description (`Schedule.parse` reads it back)."""
        parts = [f"{phase}=[{','.join(f.describe() for f in self.faults(phase))}]" for phase in self.phases]
        return " ".join(parts) + (" shared-svm" if self.shared_svm else "")

    @classmethod
    def parse(cls, text: str) -> Schedule:
        """The schedule printed by `describe()`."""
        found: dict[str, tuple[ScheduledFault, ...]] = {}
        shared = False
        for part in text.split():
            if part == "shared-svm":
                shared = True
                continue
            phase, _, listing = part.partition("=")
            items = [item for item in listing.strip("[]").split(",") if item]
            faults = []
            for item in items:
                target, kind_times = item.split(":", 1)
                kind, _, times = kind_times.rpartition("x")
                faults.append(ScheduledFault(target, kind, int(times)))
            found[phase] = tuple(faults)
        return cls(
            create=found.get("create", ()),
            rotate=found.get("rotate"),
            delete=found.get("delete", ()),
            shared_svm=shared,
        )


def _faults_for(phase: Phase) -> st.SearchStrategy[ScheduledFault]:
    pairs = [
        (target.name, kind)
        for target in TARGETS.values()
        if target.phase == phase or (phase == "rotate" and target.phase == "create" and target.side == "kube")
        for (side, kind) in KINDS
        if side == target.side
    ]
    return st.builds(
        lambda pair, times: ScheduledFault(
            pair[0], pair[1], 1 if KINDS[(TARGETS[pair[0]].side, pair[1])].reacts else times
        ),
        st.sampled_from(pairs),
        st.integers(min_value=1, max_value=3),
    )


def schedules() -> st.SearchStrategy[Schedule]:
    """Up to 3 faults at creation, maybe a rotation with up to 2, up to 2 at deletion."""
    return st.builds(
        Schedule,
        create=st.lists(_faults_for("create"), max_size=3).map(tuple),
        rotate=st.none() | st.lists(_faults_for("rotate"), min_size=1, max_size=2).map(tuple),
        delete=st.lists(_faults_for("delete"), max_size=2).map(tuple),
        shared_svm=st.booleans(),
    )


async def run_schedule(servers: ChaosServers, schedule: Schedule) -> Row:
    """Every phase of the schedule under its faults; the row lists every broken invariant."""
    problems: list[str] = []
    passes = 0
    converged = True
    async with fresh_run(servers) as run:
        admin = run.admin
        started = time.monotonic()
        ontap_before = servers.ontap_requests()
        kube_before = servers.kube_writes()
        others: list[ShootUnderTest] = []
        if schedule.shared_svm:
            neighbour = await admin.create_shoot()
            settled = await run.converge(neighbour, "create")
            if not settled.done:
                raise AssertionError(f"the neighbour shoot did not converge:\n{settled.describe()}")
            others.append(neighbour)
        project = others[0].project_id if others else None
        shoot = await admin.create_shoot(project)
        old_secret: dict[str, str] | None = None
        for phase in schedule.phases:
            if phase == "rotate":
                old_secret = await admin.secret_data(shoot.namespace, "ontap-svm-credentials")
                await admin.annotate(shoot, {"ontap.extensions.gardener.cloud/rotate-credentials": "true"})
            elif phase == "delete":
                await admin.request_deletion(shoot)
            armed = []
            for fault in schedule.faults(phase):
                target, kind = fault.resolve()
                armed.append((ArmedFault(servers, target, kind, shoot.namespace), kind))
            phase_ontap = servers.ontap_requests()
            phase_entries = len(servers.fake.requests.entries())
            phase_started = time.monotonic()
            result = await run.converge(shoot, phase, reactive=[a for a, kind in armed if kind.reacts])
            passes += result.passes
            for armed_fault, _ in armed:
                armed_fault.remove()
            if not result.done:
                converged = False
                problems.append(f"{phase} did not converge:\n{result.describe()}")
                break
            bounds = Bounds.of(phase, sum(kind.times for _, kind in armed))
            used = servers.ontap_requests() - phase_ontap
            spent = time.monotonic() - phase_started
            violations = bounds.violations(used, result.passes, spent)
            problems.extend(f"{phase}: {p}" for p in violations)
            if violations:
                problems.append(f"{phase} requests: {servers.ontap_routes_since(phase_entries)}")
            if phase == "delete":
                problems.extend(await deleted_violations(servers.fake, admin, shoot, others))
                if others:
                    problems.extend(await converged_violations(servers.fake, admin, others))
            elif others:
                problems.extend(await converged_violations(servers.fake, admin, [shoot, *others]))
                if phase == "rotate":
                    problems.extend(await rotation_violations(admin, shoot, old_secret))
            else:
                problems.extend(await phase_violations(run, shoot, phase, old_secret))
            if problems:
                break
        problems.extend(await run.leaks())
        return Row(
            scenario=schedule.describe(),
            converged=converged,
            seconds=time.monotonic() - started,
            ontap_requests=servers.ontap_requests() - ontap_before,
            kube_writes=servers.kube_writes() - kube_before,
            passes=passes,
            problems=problems,
        )

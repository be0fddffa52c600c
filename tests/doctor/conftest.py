"""The doctor against the real kube-apiserver and the fake ONTAP, next to the reconciler it predicts."""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from controller.doctor.cli import diagnose
from controller.doctor.model import ShootReport
from controller.doctor.readonly import forbid_kube_writes, forbid_ontap_writes
from controller.kube.client import KubeRequestCounter, request_resource
from ontap.client import OntapClients
from ontap.fake.testing import FakeOntapServer
from tests.e2e.conftest import World, world  # noqa: F401 (the fixture, shared with the e2e tests)
from tests.kube_fixtures import KubeTestEnv, new_api_client
from tests.support import make_client

# The pass's bookkeeping (its own status, finalizer, Events) is not part of the plan's comparison.
BOOKKEEPING = frozenset({"events", "extensions", "extensions/status"})


def _ontap_key(method: str, path: str) -> tuple[str, str, str]:
    """`("ontap", METHOD, /api/<a>/<b>)`: the collection a write goes to (names and UUIDs aside)."""
    return "ontap", method, "/".join(path.split("?")[0].split("/")[:4])


def planned_writes(report: ShootReport) -> Counter[tuple[str, str, str]]:
    """The plan as (system, method, collection), comparable with what the pass then sends."""
    planned: Counter[tuple[str, str, str]] = Counter()
    for change in report.changes:
        path = change.api.split(" ", 1)[1]
        if change.system == "ontap":
            planned[_ontap_key(change.method, path)] += 1
        elif (resource := request_resource(path)) not in BOOKKEEPING and change.step != "extension":
            planned["kubernetes", change.method, resource] += 1
    return planned


async def run_pass(shoot: Any) -> None:
    """One controller pass; a pass that fails (the stuck states) raises, which the work queue backs off."""
    with contextlib.suppress(Exception):
        await shoot.reconcile()


@dataclass
class Doctor:
    """The doctor with read-only clients of its own; counts its Kubernetes requests."""

    world: World
    api_client: Any
    ontap: OntapClients
    counter: KubeRequestCounter

    async def examine(self, namespace: str) -> ShootReport:
        self.world.fake.requests.clear()
        self.counter.reset()
        (report,) = await diagnose(
            self.world.config, namespace, "ontap", api_client=self.api_client, ontap=self.ontap
        )
        # Read-only, proven by both sides: ONTAP saw only GETs, the apiserver no write.
        methods = {e.method for e in self.world.fake.requests.entries()}
        assert methods <= {"GET"}, f"the doctor sent {methods} to ONTAP"
        assert self.counter.writes == 0, self.counter.write_requests()
        return report

    async def next_pass_writes(self, shoot: Any) -> Counter[tuple[str, str, str]]:
        """Run the controller's next pass and return the writes it sent (bookkeeping aside)."""
        self.world.fake.requests.clear()
        self.world.counter.reset()
        await run_pass(shoot)
        writes: Counter[tuple[str, str, str]] = Counter(
            _ontap_key(e.method, e.path) for e in self.world.fake.requests.entries() if e.method != "GET"
        )
        for (verb, resource), count in self.world.counter.by_resource().items():
            if verb in {"POST", "PUT", "PATCH", "DELETE"} and resource not in BOOKKEEPING:
                writes["kubernetes", verb, resource] += count
        return writes


@pytest.fixture
async def doctor(
    world: World,  # noqa: F811 (the e2e fixture)
    kube: KubeTestEnv,
    fake_ontap: FakeOntapServer,
) -> AsyncIterator[Doctor]:
    api_client = forbid_kube_writes(await new_api_client(kube.kubeconfig))
    counter = KubeRequestCounter().attach(api_client)
    ontap = forbid_ontap_writes(OntapClients([make_client(fake_ontap)]))
    try:
        yield Doctor(world, api_client, ontap, counter)
    finally:
        await ontap.close()
        await api_client.close()

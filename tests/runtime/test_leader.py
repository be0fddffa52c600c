"""Leader election between electors sharing one Lease on a real kube-apiserver."""

from __future__ import annotations

import asyncio
from typing import Any

from kubernetes_asyncio import client

from controller.runtime.leader import LeaderElector
from controller.runtime.shutdown import cancel_and_wait
from tests.kube_fixtures import KubeTestEnv, new_api_client
from tests.runtime.kube_objects import eventually, steal_lease

LEASE = "gardener-extension-ontap-leader-election"


class Candidate:
    def __init__(self, api_client: Any, namespace: str, identity: str) -> None:
        self.started = 0
        self.stopped = 0
        self.elector = LeaderElector(
            api_client,
            namespace=namespace,
            name=LEASE,
            identity=identity,
            lease_duration=3.0,
            renew_deadline=2.0,
            retry_period=0.5,
            on_started_leading=self._on_started,
            on_stopped_leading=self._on_stopped,
        )
        self.task = asyncio.create_task(self.elector.run())

    async def _on_started(self) -> None:
        self.started += 1

    async def _on_stopped(self) -> None:
        self.stopped += 1


async def read_lease(api_client: Any, namespace: str) -> Any:
    return await client.CoordinationV1Api(api_client).read_namespaced_lease(LEASE, namespace)


async def test_exactly_one_leads_and_the_other_takes_over_after_release(kube: KubeTestEnv) -> None:
    other_client = await new_api_client(kube.kubeconfig)
    a = Candidate(kube.api_client, kube.namespace, "replica-a")
    b = Candidate(other_client, kube.namespace, "replica-b")
    try:
        await eventually(lambda: a.elector.is_leader or b.elector.is_leader, message="someone leads")
        await asyncio.sleep(2.0)  # several renew periods: still exactly one leader
        assert a.elector.is_leader != b.elector.is_leader
        leader, standby = (a, b) if a.elector.is_leader else (b, a)
        assert (leader.started, standby.started) == (1, 0)
        lease = await read_lease(kube.api_client, kube.namespace)
        assert lease.spec.holder_identity == leader.elector.identity
        assert lease.spec.lease_duration_seconds == 3
        assert lease.spec.lease_transitions == 0
        first_renew = lease.spec.renew_time
        await asyncio.sleep(1.0)
        assert (await read_lease(kube.api_client, kube.namespace)).spec.renew_time > first_renew
        assert standby.elector.observed_holder == leader.elector.identity

        await cancel_and_wait(leader.task)
        assert await leader.elector.release()
        released = await read_lease(kube.api_client, kube.namespace)
        assert released.spec.holder_identity is None
        # A released lease is taken at the standby's next retry, not after a full lease duration.
        await eventually(lambda: standby.elector.is_leader, within=2.5, message="standby takes over")
        lease = await read_lease(kube.api_client, kube.namespace)
        assert lease.spec.holder_identity == standby.elector.identity
        assert lease.spec.lease_transitions == 1
        assert leader.stopped == 0  # a graceful release is not a lost election
    finally:
        await cancel_and_wait(a.task, b.task)
        await other_client.close()


async def test_standby_takes_over_when_the_leader_stops_renewing(kube: KubeTestEnv) -> None:
    other_client = await new_api_client(kube.kubeconfig)
    a = Candidate(kube.api_client, kube.namespace, "replica-a")
    await eventually(lambda: a.elector.is_leader, message="a leads")
    b = Candidate(other_client, kube.namespace, "replica-b")
    try:
        await asyncio.sleep(1.0)
        assert not b.elector.is_leader
        # The leader process freezes: no renewals, no release.
        a.task.cancel()
        frozen_at = asyncio.get_running_loop().time()
        await eventually(lambda: b.elector.is_leader, within=8, message="b takes over the expired lease")
        waited = asyncio.get_running_loop().time() - frozen_at
        assert waited >= 2.0, "took over before the lease could have expired"
        lease = await read_lease(kube.api_client, kube.namespace)
        assert lease.spec.holder_identity == "replica-b"
        assert lease.spec.lease_transitions == 1
    finally:
        await cancel_and_wait(a.task, b.task)
        await other_client.close()


async def test_leader_that_cannot_renew_stops_leading(kube: KubeTestEnv) -> None:
    a = Candidate(kube.api_client, kube.namespace, "replica-a")
    try:
        await eventually(lambda: a.elector.is_leader, message="a leads")
        # Someone else takes the lease away (e.g. an operator or a split brain): renewals now fail.
        await steal_lease(kube.api_client, kube.namespace, LEASE, "intruder")
        await eventually(lambda: a.task.done(), within=10, message="elector gives up")
        assert not a.elector.is_leader
        assert a.stopped == 1
        assert not await a.elector.release()  # not ours any more: left alone
        assert (await read_lease(kube.api_client, kube.namespace)).spec.holder_identity == "intruder"
    finally:
        await cancel_and_wait(a.task)

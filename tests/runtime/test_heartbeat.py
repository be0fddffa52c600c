"""The gardener-extension-heartbeat Lease is created and renewed."""

from __future__ import annotations

import asyncio

from kubernetes_asyncio import client

from controller.runtime.heartbeat import Heartbeat
from controller.runtime.shutdown import cancel_and_wait
from tests.kube_fixtures import KubeTestEnv
from tests.runtime.kube_objects import eventually


async def test_heartbeat_lease_is_renewed(kube: KubeTestEnv) -> None:
    heartbeat = Heartbeat(
        kube.api_client,
        namespace=kube.namespace,
        holder_identity="gardener-extension-ontap",
        renew_interval=0.5,
    )
    task = asyncio.create_task(heartbeat.run())
    api = client.CoordinationV1Api(kube.api_client)
    try:
        await eventually(lambda: heartbeat.renewals >= 1, message="first heartbeat")
        first = await api.read_namespaced_lease("gardener-extension-heartbeat", kube.namespace)
        assert first.spec.holder_identity == "gardener-extension-ontap"
        assert first.spec.lease_duration_seconds == 1
        await eventually(lambda: heartbeat.renewals >= 3, message="renewals")
        later = await api.read_namespaced_lease("gardener-extension-heartbeat", kube.namespace)
        assert later.spec.renew_time > first.spec.renew_time
    finally:
        await cancel_and_wait(task)


async def test_heartbeat_repairs_a_deleted_lease(kube: KubeTestEnv) -> None:
    heartbeat = Heartbeat(kube.api_client, namespace=kube.namespace, holder_identity="ext", renew_interval=30)
    await heartbeat.renew_once()
    api = client.CoordinationV1Api(kube.api_client)
    await api.delete_namespaced_lease("gardener-extension-heartbeat", kube.namespace)
    await heartbeat.renew_once()
    lease = await api.read_namespaced_lease("gardener-extension-heartbeat", kube.namespace)
    assert lease.spec.holder_identity == "ext"
    assert lease.spec.lease_duration_seconds == 30

"""A steady shoot gets one pass per resync period from the real controller (watches, queue, resync).

A finished pass schedules the next one a period later; the periodic resync enqueues only keys with
nothing scheduled. Counted over several periods from the controller's own "reconcile pass" log lines
and from the fake ONTAP's request log (3 reads per steady pass, no writes).
"""

from __future__ import annotations

import asyncio
import time

import pytest

from controller.app import ControllerApp
from controller.reconciler import ExtensionReconciler
from hack.localenv.gardener_objects import provider_config
from ontap.client import OntapClient, OntapClients
from tests.chaos import runner
from tests.chaos.bed import ONTAP_RETRIES, Admin, ChaosServers, chaos_config, cluster_config
from tests.chaos.invariants import converged_violations

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

RESYNC = 1.0
PERIODS = 5
SHOOTS = 3


async def test_a_steady_shoot_gets_one_pass_per_period(chaos_servers: ChaosServers) -> None:
    servers = chaos_servers
    servers.reset()
    capture = runner.LOG_CAPTURE
    assert capture is not None
    admin = await Admin.connect(servers.apiserver)
    shoots = [await admin.create_shoot(config=provider_config(10 + 10 * i)) for i in range(SHOOTS)]
    config = chaos_config(servers.fake, servers.proxy.kubeconfig, resyncPeriod=RESYNC)
    ontap = OntapClients([OntapClient(cluster_config(servers.fake), retry_policy=ONTAP_RETRIES)])
    app = ControllerApp(
        config,
        reconciler_factory=ExtensionReconciler,
        ontap_clients=ontap,
        watch_options={"backoff_base": 0.05, "backoff_cap": 0.5},
    )
    running = asyncio.create_task(app.run(handle_signals=False))
    try:
        deadline = time.monotonic() + 30
        problems = ["not checked yet"]
        while problems and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
            problems = await converged_violations(servers.fake, admin, shoots)
        assert not problems, "\n".join(problems)
        # Let the passes that converged settle into their schedule, then count.
        await asyncio.sleep(RESYNC * 1.5)
        mark = capture.mark()
        servers.fake.requests.clear()
        writes_before = servers.kube_writes()
        await asyncio.sleep(RESYNC * PERIODS)
        lines = [line for line in capture.since(mark) if "reconcile pass" in line]
        passes = {s.namespace: sum(1 for line in lines if s.namespace in line) for s in shoots}
        ontap_requests = servers.fake.requests.count()
        ontap_writes = servers.fake.requests.count(writes_only=True)
        kube_writes = servers.kube_writes() - writes_before
    finally:
        app.stop()
        await asyncio.wait_for(running, 30)
        await ontap.close()
        await admin.close()
    # The resync period carries +-10 % jitter, so a window of 5 periods holds 4 to 6 passes of a key;
    # a pass from both the requeue and the resync would make about 10.
    for namespace, count in passes.items():
        assert PERIODS - 1 <= count <= PERIODS + 1, f"{namespace}: {count} passes in {PERIODS} periods"
    total = sum(passes.values())
    assert ontap_requests == 3 * total, f"{ontap_requests} ONTAP requests for {total} steady passes"
    assert ontap_writes == 0
    assert kube_writes == 0

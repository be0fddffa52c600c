"""A shoot waiting for its project's turn does not hold a worker (the real controller, 2 workers).

Two shoots of project A start together; while the first creates A's SVM (a slow ONTAP job), the second
is deferred and the second worker takes shoot B of another project at once. With workers parked on the
project lock, B's SVM would be requested only after A's job ended.
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

JOB_SECONDS = 3.0


async def test_a_deferred_shoot_frees_its_worker_and_comes_back_after_the_turn(
    chaos_servers: ChaosServers,
) -> None:
    servers = chaos_servers
    servers.reset()
    servers.fake.set_job_timing(seconds=JOB_SECONDS)
    capture = runner.LOG_CAPTURE
    assert capture is not None
    mark = capture.mark()
    admin = await Admin.connect(servers.apiserver)
    project = "a" + "0" * 31
    first = await admin.create_shoot(project, config=provider_config(10))
    second = await admin.create_shoot(project, config=provider_config(10))
    config = chaos_config(
        servers.fake, servers.proxy.kubeconfig, resyncPeriod=60.0, maxConcurrentReconciles=2
    )
    ontap = OntapClients([OntapClient(cluster_config(servers.fake), retry_policy=ONTAP_RETRIES)])
    app = ControllerApp(
        config,
        reconciler_factory=ExtensionReconciler,
        ontap_clients=ontap,
        watch_options={"backoff_base": 0.05, "backoff_cap": 0.5},
    )
    running = asyncio.create_task(app.run(handle_signals=False))
    svm_posts = 0
    try:
        deadline = time.monotonic() + 20
        while svm_posts == 0 and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
            svm_posts = servers.fake.requests.count(method="POST", path_prefix="/api/svm/svms")
        assert svm_posts == 1, "project A's SVM was never requested"
        a_posted = time.monotonic()
        other = await admin.create_shoot(config=provider_config(30))
        while servers.fake.requests.count(method="POST", path_prefix="/api/svm/svms") < 2:
            assert time.monotonic() < deadline, "shoot B's SVM was never requested"
            await asyncio.sleep(0.02)
        b_waited = time.monotonic() - a_posted
        shoots = [first, second, other]
        problems = ["not checked yet"]
        while problems and time.monotonic() < deadline + 20:
            await asyncio.sleep(0.2)
            problems = await converged_violations(servers.fake, admin, shoots)
        svm_posts = servers.fake.requests.count(method="POST", path_prefix="/api/svm/svms")
    finally:
        app.stop()
        await asyncio.wait_for(running, 30)
        await ontap.close()
        await admin.close()
    assert b_waited < JOB_SECONDS * 0.8, (
        f"shoot B's SVM was requested {b_waited:.2f} s after A's, behind A's {JOB_SECONDS:g} s job"
    )
    assert not problems, "\n".join(problems)
    assert svm_posts == 2, f"{svm_posts} SVM creations for two projects"
    deferred = [
        line
        for line in capture.since(mark)
        if "reconcile pass" in line
        and "deferred" in line
        and (first.namespace in line or second.namespace in line)
    ]
    assert deferred, "neither shoot of project A was deferred"

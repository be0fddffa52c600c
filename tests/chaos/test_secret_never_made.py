"""The secret that was never made: the SVM is created, the seed secret's first write is refused.

The real controller process runs (watches, work queue, periodic resync) against the fault proxy.
Nothing outside the controller touches the Extension after it was created; the controller's own
later passes must write the seed secret, and the shoot must receive credentials that work on ONTAP.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from controller.app import ControllerApp
from controller.reconciler import ExtensionReconciler
from ontap.client import OntapClient, OntapClients
from tests.chaos import runner
from tests.chaos.bed import ONTAP_RETRIES, Admin, ChaosServers, chaos_config, cluster_config
from tests.chaos.invariants import SEED_SECRET, converged_violations
from tests.chaos.runner import Row

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

RESYNC = 1.0
REPAIR_WITHIN = 30.0


@pytest.mark.parametrize(
    "refusal",
    [
        pytest.param({"type": "conflict", "reason": "AlreadyExists"}, id="409"),
        pytest.param({"type": "error", "status": 503}, id="503"),
    ],
)
async def test_periodic_pass_repairs_the_secret_and_the_shoot_gets_working_credentials(
    chaos_servers: ChaosServers, chaos_table: list[Row], refusal: dict[str, Any]
) -> None:
    servers = chaos_servers
    servers.reset()
    admin = await Admin.connect(servers.apiserver)
    shoot = await admin.create_shoot()
    created = await admin.extension(shoot)
    assert created is not None
    refused = servers.proxy.add(refusal, "POST", rf"^/api/v1/namespaces/{shoot.namespace}/secrets$", times=1)
    config = chaos_config(servers.fake, servers.proxy.kubeconfig, resyncPeriod=RESYNC)
    ontap = OntapClients(
        [OntapClient(cluster_config(servers.fake), retry_policy=ONTAP_RETRIES, job_poll_interval=0.05)]
    )
    app = ControllerApp(
        config,
        reconciler_factory=ExtensionReconciler,
        ontap_clients=ontap,
        watch_options={"backoff_base": 0.05, "backoff_cap": 0.5},
    )
    capture = runner.LOG_CAPTURE
    mark = capture.mark() if capture is not None else 0
    running = asyncio.create_task(app.run(handle_signals=False))
    started = time.monotonic()
    problems: list[str] = []
    try:
        while time.monotonic() - started < REPAIR_WITHIN:
            await asyncio.sleep(0.2)
            if servers.proxy.faults.injected(refused) == 0:
                continue
            if await admin.secret_data(shoot.namespace, SEED_SECRET) is None:
                continue
            problems = await converged_violations(servers.fake, admin, [shoot])
            if not problems:
                break
        seconds = time.monotonic() - started
        assert servers.proxy.faults.injected(refused) == 1, (
            "the seed secret's first write was never attempted"
        )
        assert not problems, "\n".join(problems)
        # The refusal happened after the SVM was made, and the SVM was made exactly once.
        assert servers.fake.requests.count(method="POST", path_prefix="/api/svm/svms") == 1
        posts = [
            e
            for e in servers.proxy.faults.entries()
            if e.method == "POST" and e.path.endswith(f"{shoot.namespace}/secrets")
        ]
        assert posts[0].fault is not None and posts[-1].status == 201
        # Nobody but the controller touched the Extension: no external trigger.
        current = await admin.extension(shoot)
        assert current is not None
        assert current["metadata"]["generation"] == created["metadata"]["generation"]
        assert current["metadata"].get("annotations") == created["metadata"].get("annotations")
        chaos_table.append(
            Row(
                scenario=f"secret-never-made:{refusal['type']}",
                converged=True,
                seconds=seconds,
                ontap_requests=servers.ontap_requests(),
                kube_writes=servers.kube_writes(),
                passes=sum(
                    1
                    for line in (capture.since(mark) if capture is not None else [])
                    if "reconcile pass" in line and shoot.namespace in line
                ),
            )
        )
    finally:
        app.stop()
        await asyncio.wait_for(running, 30)
        await ontap.close()
        await admin.close()

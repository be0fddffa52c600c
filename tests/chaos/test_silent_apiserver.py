"""No silent hangs: an apiserver that accepts a request and never answers must not stall a pass.

The ONTAP client bounds every request with its read timeout; the Kubernetes requests of a pass
(secrets, ManagedResources, status, Events) are bounded by `kubeRequestTimeout`, or one unanswered
write would hold the shoot's key until the TCP connection dies.
"""

from __future__ import annotations

import pytest

from tests.chaos.bed import PASS_WATCHDOG, ChaosServers
from tests.chaos.catalog import TARGETS
from tests.chaos.runner import fresh_run

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

# Longer than the pass watchdog: a pass that waited for the answer would be reported as a hang.
SILENCE_SECONDS = PASS_WATCHDOG + 10.0


async def test_unanswered_write_fails_the_pass_instead_of_hanging(chaos_servers: ChaosServers) -> None:
    servers = chaos_servers
    async with fresh_run(servers) as run:
        admin = run.admin
        shoot = await admin.create_shoot()
        target = TARGETS["seed-secret-write"]
        servers.proxy.add(
            {"type": "hang", "seconds": SILENCE_SECONDS},
            target.method,
            target.path_for(shoot.namespace),
            times=1,
        )
        result = await run.converge(shoot, "create")
        hangs = [r for r in result.records if r.outcome == "hang"]
        assert not hangs, f"a pass gave no result within {PASS_WATCHDOG}s:\n{result.describe()}"
        assert result.done, result.describe()

"""Where the password is proven: at the SVM's management LIF, never at the cluster address.

ONTAP lets SVM-scoped accounts in only at a management interface of their own SVM (netapp-ontap,
`resources/account_password.py`); the fake refuses them at the cluster address with 401. A
controller that logged in at the cluster address would see "wrong password" on every pass and
reset it every pass. These tests count the password changes over 20 passes.
"""

from __future__ import annotations

import asyncio
import base64
from datetime import timedelta

import aiohttp
import pytest

from controller.reconciler import ReconcileFailed
from controller.runtime.result import RequeueAfter
from hack.localenv.gardener_objects import provider_config
from tests.e2e.conftest import World

PASSES = 20
MANAGEMENT_LIF = provider_config()["svmIpaddresses"]["managementLif"]


def password_changes(world: World) -> int:
    """PATCHes of accounts (a password change is one) and account creations since the log was cleared."""
    return world.fake.requests.count(
        method="PATCH", path_prefix="/api/security/accounts"
    ) + world.fake.requests.count(method="POST", path_prefix="/api/security/accounts")


async def status_of(world: World, shoot: object) -> dict[str, object]:
    ext = await shoot.extension()  # type: ignore[attr-defined]
    assert ext is not None
    return dict(ext.get("status") or {})


async def test_twenty_passes_change_no_password_and_log_in_only_at_the_management_lif(world: World) -> None:
    shoot = world.shoot()
    await shoot.create()
    await shoot.reconcile()
    secret = await shoot.secret()
    assert secret is not None
    username, password = secret.data["username"], secret.data["password"]
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    async with (
        aiohttp.ClientSession(headers={"Authorization": f"Basic {token}"}) as session,
        session.get(f"{world.fake.url}/api/cluster") as response,
    ):
        assert response.status == 401, "the fake refuses the SVM account at the cluster address"

    world.fake.requests.clear()
    for _ in range(PASSES):
        await shoot.reconcile()

    assert password_changes(world) == 0
    logins = [e for e in world.fake.requests.entries() if e.user == username]
    assert len(logins) == PASSES and all(e.status == 200 for e in logins)
    status = await status_of(world, shoot)
    assert status.get("lastError") is None
    assert (await shoot.secret()).data["password"] == password  # type: ignore[union-attr]


async def test_unreachable_management_lif_is_an_error_naming_it_and_changes_no_password(world: World) -> None:
    shoot = world.shoot()
    await shoot.create()
    await shoot.reconcile()
    secret = await shoot.secret()
    assert secret is not None
    password = secret.data["password"]
    world.fake.set_lif_reachable(MANAGEMENT_LIF, False)
    world.fake.requests.clear()
    try:
        for _ in range(PASSES):
            with pytest.raises((ReconcileFailed, RequeueAfter)):  # failing, then Blocked
                await shoot.reconcile()
            status = await status_of(world, shoot)
            last_error = status.get("lastError")
            assert isinstance(last_error, dict), "the pass must fail, not claim success"
            description = str(last_error["description"])
            assert MANAGEMENT_LIF in description and "password check cannot run" in description
            assert password not in str(status)
            account = {c["type"]: c for c in status["conditions"]}["AccountReady"]  # type: ignore[index]
            assert account["status"] != "True"
        assert password_changes(world) == 0
    finally:
        world.fake.set_lif_reachable(MANAGEMENT_LIF, True)

    await shoot.reconcile()
    status = await status_of(world, shoot)
    assert status.get("lastError") is None
    assert password_changes(world) == 0
    assert (await shoot.secret()).data["password"] == password  # type: ignore[union-attr]


async def test_a_slow_periodic_pass_shows_processing_until_it_ends(world: World) -> None:
    # A periodic pass writes nothing at its start; one still running after slowPassAfter must not
    # leave the last pass's Succeeded standing.
    shoot = world.shoot()
    await shoot.create()
    await shoot.reconcile()
    world.reconciler.config = world.config.model_copy(update={"slow_pass_after": timedelta(seconds=0.3)})
    world.fake.faults.add({"type": "latency", "seconds": 1.5}, method="GET", path="/api/svm/svms", times=1)

    await world.sync_cache(shoot)
    running = asyncio.create_task(world.reconciler.reconcile(shoot.key))
    await asyncio.sleep(1.0)
    during = (await status_of(world, shoot))["lastOperation"]
    await running
    after = (await status_of(world, shoot))["lastOperation"]

    assert during["state"] == "Processing", during  # type: ignore[index]
    assert after["state"] == "Succeeded", after  # type: ignore[index]

"""`SystemComponentsHealthy` through the real gardener-resource-manager: it applies our objects, its token
requestor fills the shoot-access Secret our step keeps, and the controller reads Trident's backend from the
shoot apiserver with that token (allowed by the Role it deploys). A stand-in plays Trident."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from controller.shoot_access.access import ShootAccess
from controller.shoot_access.names import ACCESS_SECRET
from controller.shoot_resources import names
from tests.shoot_side.conftest import APPLIED_AND_HEALTHY, TRIDENT_MRS, ShootSide

TRIDENT = names.DEFAULT_TRIDENT_NAMESPACE

HEALTH = "SystemComponentsHealthy"


def health_of(ext: dict[str, Any] | None) -> dict[str, Any]:
    for condition in ((ext or {}).get("status") or {}).get("conditions") or []:
        if condition["type"] == HEALTH:
            return dict(condition)
    return {}


@pytest.fixture
async def health_side(side: ShootSide) -> AsyncIterator[ShootSide]:
    # Read the seed secrets on every pass, so the token appears as soon as the token requestor wrote it.
    access = ShootAccess(
        access_secret_name=ACCESS_SECRET, timeout=5.0, max_clients=2, refresh_interval=0, retry_interval=0
    )
    side.world.runtime.shoot_access = access
    try:
        yield side
    finally:
        await access.close()


async def trident_reports(side: ShootSide, phase: str, last_operation: str, message: str) -> None:
    backend = names.backend_name(side.shoot.svm_name)
    path = f"/apis/trident.netapp.io/v1/namespaces/{TRIDENT}/tridentbackendconfigs/{backend}/status"
    status = {"phase": phase, "lastOperationStatus": last_operation, "message": message}
    await asyncio.to_thread(
        side.env.shoot.request, "PATCH", path, {"status": status}, content_type="application/merge-patch+json"
    )


async def test_bound_then_failed_backend_read_with_the_token_requestors_token(health_side: ShootSide) -> None:
    side = health_side
    await side.install_trident_namespace()
    await side.create()
    await side.shoot.reconcile()
    for mr in TRIDENT_MRS:
        await side.env.wait_for_conditions(mr, APPLIED_AND_HEALTHY)

    async def token() -> bool:
        path = f"/api/v1/namespaces/{side.shoot.namespace}/secrets/{ACCESS_SECRET}"
        secret = await asyncio.to_thread(side.env.seed.apiserver.request, "GET", path)
        return bool((secret.get("data") or {}).get("token"))

    # Our step made the Secret; the resource manager's token requestor puts the ServiceAccount's token in.
    await side.env.wait_for(f"a token in Secret {ACCESS_SECRET}", token)
    backend = names.backend_name(side.shoot.svm_name)
    await trident_reports(side, "Bound", "Success", f"Backend '{backend}' created")
    await side.reconcile_until(
        "SystemComponentsHealthy True", lambda ext: health_of(ext).get("status") == "True"
    )
    healthy = health_of(await side.shoot.extension())
    assert (healthy["reason"], healthy["message"]) == (
        "HealthCheckSuccessful",
        "All health checks successful",
    )

    message = "Failed to apply the backend update; error initializing ontap-san driver: 401 Unauthorized"
    await trident_reports(side, "Bound", "Failed", message)
    await side.reconcile_until(
        "SystemComponentsHealthy False", lambda ext: health_of(ext).get("status") == "False"
    )
    failed = health_of(await side.shoot.extension())
    assert failed["reason"] == "HealthCheckUnsuccessful"
    ref = f"TridentBackendConfig {TRIDENT}/{backend}"
    assert failed["message"] == f"{ref} is Bound but Trident's last operation on it failed: {message}."
    ext = await side.shoot.extension()
    assert ext is not None
    assert ext["status"]["lastOperation"]["state"] == "Succeeded"

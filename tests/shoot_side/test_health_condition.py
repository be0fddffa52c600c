"""SystemComponentsHealthy names the ManagedResource and the object the real GRM finds unhealthy.

(The backend's Bound/Failed states through the token requestor's token: test_shoot_health.py.) Trident
does not run in the local shoot; the test plays its part by writing the backend's status.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from controller.shoot_resources import names
from tests.shoot_env_fixtures import conditions_of
from tests.shoot_side.conftest import APPLIED_AND_HEALTHY, TRIDENT_MRS, ShootSide

HEALTH = "SystemComponentsHealthy"
TRIDENT = names.DEFAULT_TRIDENT_NAMESPACE


def _fast_credentials(side: ShootSide) -> None:
    """Read the shoot-access Secret again on every pass until it has its token (default: once a minute)."""
    health = side.world.config.shoot_health.model_copy(update={"credentials_retry": timedelta(0)})
    side.configure(shoot_health=health)
    side.world.runtime.shoot_access = None


async def _backend_status(side: ShootSide, status: dict[str, Any]) -> None:
    """What Trident's controller writes on the TridentBackendConfig once it has processed it."""
    name = names.backend_name(side.shoot.svm_name)
    path = f"/apis/trident.netapp.io/v1/namespaces/{TRIDENT}/tridentbackendconfigs/{name}/status"
    await asyncio.to_thread(
        side.env.shoot.request, "PATCH", path, {"status": status}, content_type="application/merge-patch+json"
    )


async def _health_after_pass(side: ShootSide) -> dict[str, Any]:
    await side.shoot.reconcile()
    ext = await side.shoot.extension()
    assert ext is not None
    return conditions_of(ext)[HEALTH]


async def _applied_and_token(side: ShootSide) -> None:
    for mr in TRIDENT_MRS:
        await side.env.wait_for_conditions(mr, APPLIED_AND_HEALTHY)

    async def token() -> bool:
        secret = await asyncio.to_thread(
            side.env.seed.apiserver.request,
            "GET",
            f"/api/v1/namespaces/{side.shoot.namespace}/secrets/shoot-access-extension-ontap",
        )
        return bool((secret.get("data") or {}).get("token"))

    await side.env.wait_for("the token requestor to fill shoot-access-extension-ontap", token)


async def test_an_unhealthy_managed_resource_is_named_in_the_condition(side: ShootSide) -> None:
    _fast_credentials(side)
    side.use_operator_bundle()
    await side.create()
    await side.shoot.reconcile()
    await side.env.wait_for_conditions(
        names.OPERATOR_MR, {"ResourcesApplied": "True", "ResourcesHealthy": "False"}
    )
    await _applied_and_token(side)
    await _backend_status(side, {"phase": "Bound", "lastOperationStatus": "Success"})
    health = await _health_after_pass(side)
    assert health["status"] == "False", health
    assert names.OPERATOR_MR in health["message"], health
    assert "kube-system/trident-operator" in health["message"], health

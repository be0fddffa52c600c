"""Rotation, deletion and migration as the shoot sees them through the real gardener-resource-manager."""

from __future__ import annotations

import asyncio
from typing import Any

from controller.shoot_resources import names
from hack.localenv.gardener_objects import GROUP, VERSION, cluster_object
from hack.localenv.resource_manager import write_generic_token_kubeconfig
from tests.shoot_side.conftest import APPLIED_AND_HEALTHY, TRIDENT_MRS, ShootSide
from tests.shoot_state import persist, restore

TRIDENT = names.DEFAULT_TRIDENT_NAMESPACE
ROTATE = "ontap.extensions.gardener.cloud/rotate-credentials"
OP = "gardener.cloud/operation"
ORIGIN = "resources.gardener.cloud/origin"


async def _up(side: ShootSide) -> None:
    await side.install_trident_namespace()
    await side.create()
    await side.shoot.reconcile()
    for mr in TRIDENT_MRS:
        await side.env.wait_for_conditions(mr, APPLIED_AND_HEALTHY)


def _backend_path(side: ShootSide) -> str:
    name = names.backend_name(side.shoot.svm_name)
    return f"/apis/trident.netapp.io/v1/namespaces/{TRIDENT}/tridentbackendconfigs/{name}"


SHOOT_SECRET = f"/api/v1/namespaces/{TRIDENT}/secrets/{names.SHOOT_CREDENTIALS_SECRET}"
GOLD = "/apis/storage.k8s.io/v1/storageclasses/ontap-gold"


async def test_a_rotated_password_reaches_the_shoot_secret(side: ShootSide) -> None:
    await _up(side)
    before = await side.seed_password()
    await side.shoot.annotate({ROTATE: "true"})
    await side.shoot.reconcile()
    after = await side.seed_password()
    assert after != before, "the seed secret holds a new password"
    ext = await side.shoot.extension()
    assert ext is not None and ROTATE not in (ext["metadata"].get("annotations") or {})

    async def shoot_has_new_password() -> bool:
        data = await side.env.shoot_secret_data(TRIDENT, names.SHOOT_CREDENTIALS_SECRET)
        return data is not None and data["password"] == after

    await side.env.wait_for("the rotated password in the shoot's Secret", shoot_has_new_password)
    mr = await side.env.wait_for_conditions(names.CREDENTIALS_MR, APPLIED_AND_HEALTHY)
    # The ManagedResource now points at the new content secret only; the superseded one is gone from the seed.
    [ref] = mr["spec"]["secretRefs"]
    secrets = await asyncio.to_thread(
        side.env.seed.apiserver.request, "GET", f"/api/v1/namespaces/{side.shoot.namespace}/secrets"
    )
    content = sorted(
        s["metadata"]["name"]
        for s in secrets["items"]
        if s["metadata"]["name"].startswith(names.secret_name_prefix(names.CREDENTIALS_MR))
    )
    assert content == [ref["name"]]


async def test_deleting_the_extension_removes_its_objects_from_the_shoot(side: ShootSide) -> None:
    await _up(side)
    await side.shoot.delete()
    passes = await side.reconcile_until_gone()
    assert passes >= 1
    for path in (SHOOT_SECRET, _backend_path(side), GOLD):
        assert await side.env.shoot_get(path) is None, f"{path} is still in the shoot"
    for mr in TRIDENT_MRS:
        assert await side.env.managed_resource(mr) is None
    # What Trident's installation brought (its namespace) is not ours to remove.
    assert await side.env.shoot_get(f"/api/v1/namespaces/{TRIDENT}") is not None


async def test_migrate_keeps_the_objects_in_the_shoot_and_the_new_seed_adopts_them(side: ShootSide) -> None:
    await _up(side)
    password = await side.seed_password()
    await side.shoot.annotate({OP: "migrate"})

    def migrated(ext: dict[str, Any] | None) -> bool:
        last = ((ext or {}).get("status") or {}).get("lastOperation") or {}
        return last.get("type") == "Migrate" and last.get("state") == "Succeeded"

    await side.reconcile_until("Migrate Succeeded", migrated)
    ext = await side.shoot.extension()
    assert ext is not None and not ext["metadata"].get("finalizers")

    async def managed_resources_gone() -> bool:
        return all([await side.env.managed_resource(mr) is None for mr in TRIDENT_MRS])

    await side.env.wait_for("the old seed's ManagedResources to be released", managed_resources_gone)
    # keepObjects: the resource manager let go of the objects without deleting them.
    for path in (SHOOT_SECRET, _backend_path(side), GOLD):
        assert await side.env.shoot_get(path) is not None, f"{path} was removed from the shoot by migrate"
    data = await side.env.shoot_secret_data(TRIDENT, names.SHOOT_CREDENTIALS_SECRET)
    assert data is not None and data["password"] == password

    # The new seed: gardenlet restores the Extension in a namespace of the same name, where another
    # resource manager (another seed, another cluster id) runs for the shoot.
    shoot_state = await persist(side.world.test_client, ext)
    side.env.grm.stop()
    seed = side.env.seed.apiserver
    await asyncio.to_thread(seed.purge_namespace, side.shoot.namespace)
    await asyncio.to_thread(seed.create_namespace, side.shoot.namespace)
    await side.shoot.api.create_cluster_custom_object(
        GROUP, VERSION, "clusters", cluster_object(side.shoot.namespace, side.shoot.project_id)
    )
    await asyncio.to_thread(write_generic_token_kubeconfig, seed, side.shoot.namespace, side.env.shoot)
    new_grm = side.env.another_resource_manager(cluster_id="new-seed")
    try:
        await restore(side.world.test_client, shoot_state, side.shoot.namespace)
        await side.shoot.reconcile()
        for mr in TRIDENT_MRS:
            await side.env.wait_for_conditions(mr, APPLIED_AND_HEALTHY)
        backend = await side.env.shoot_get(_backend_path(side))
        assert backend is not None
        assert (
            backend["metadata"]["annotations"][ORIGIN]
            == f"new-seed:{side.shoot.namespace}/{names.BACKEND_MR}"
        )
        data = await side.env.shoot_secret_data(TRIDENT, names.SHOOT_CREDENTIALS_SECRET)
        assert data is not None and data["password"] == password, "the carried credentials stay in the shoot"
    finally:
        new_grm.stop()

"""Delete, force delete, the shared SVM, ONTAP outages, migrate/restore and crash points."""

from __future__ import annotations

import pytest

from controller.actuator import ActuatorResult
from controller.steps.base import ConditionStatus
from controller.steps.seed_secret import seed_secret_reference
from hack.localenv.gardener_objects import provider_config
from tests.shoot_state import persist as shoot_state_of
from tests.shoot_state import restore as restore_from
from tests.steps.conftest import Shoot, ShootBed

DOWN = {"type": "error", "status": 503, "code": "", "message": "service unavailable"}


async def test_deleting_one_of_two_shoots_keeps_the_svm_and_the_last_removes_it(bed: ShootBed) -> None:
    first = bed.shoot()
    second = bed.shoot(await bed.new_namespace("b"))
    await first.create()
    await second.create(provider_config())
    assert (await first.reconcile()).error is None
    assert (await second.reconcile()).error is None
    assert first.username != second.username

    result = await first.delete()
    assert result.error is None, result.error and result.error.message
    svm_outcome = next(o for o in result.outcomes if o.condition_type == "SvmReady")
    assert svm_outcome.reason == "Kept" and second.namespace in svm_outcome.message
    assert await bed.admin_svm(first.svm_name) is not None
    assert await first.secret() is None
    assert await second.login_works()

    # The first shoot's Extension disappears once deleted; the second is now the last one.
    await _drop_extension(first)
    result = await second.delete()
    assert result.error is None, result.error and result.error.message
    assert await bed.admin_svm(second.svm_name) is None
    assert await second.secret() is None


async def _drop_extension(shoot: object) -> None:
    from kubernetes_asyncio import client as k8s

    from hack.localenv.gardener_objects import GROUP, VERSION
    from tests.steps.conftest import Shoot

    assert isinstance(shoot, Shoot)
    await k8s.CustomObjectsApi(shoot.bed.api_client).delete_namespaced_custom_object(
        GROUP, VERSION, shoot.namespace, "extensions", "ontap"
    )


async def test_svm_with_volumes_is_kept_and_reported(bed: ShootBed) -> None:
    shoot = bed.shoot()
    await shoot.create()
    assert (await shoot.reconcile()).error is None
    bed.fake.add_volume(shoot.svm_name, "pvc_1")
    result = await shoot.delete()
    assert result.error is None
    svm_outcome = next(o for o in result.outcomes if o.condition_type == "SvmReady")
    assert svm_outcome.reason == "KeptWithVolumes"
    assert "1 volume" in svm_outcome.message
    assert await bed.admin_svm(shoot.svm_name) is not None
    assert await shoot.secret() is None


async def test_delete_while_ontap_is_down_keeps_account_and_secret_then_converges(bed: ShootBed) -> None:
    shoot = bed.shoot()
    await shoot.create()
    assert (await shoot.reconcile()).error is None
    rule = bed.fake.faults.add(DOWN, path="/api/*")
    result = await shoot.delete()
    assert result.error is not None
    assert "SVM" in result.error.message and "503" in result.error.message
    assert result.error.api.startswith("GET /api/svm/svms")
    assert await shoot.secret() is not None, "the secret must outlive an account that could not be deleted"
    secret_outcome = next(o for o in result.outcomes if o.condition_type == "SeedSecretReady")
    assert secret_outcome.status is ConditionStatus.FALSE
    assert "kept until the ONTAP account" in secret_outcome.message

    bed.fake.faults.remove(rule)
    assert await shoot.login_works()
    result = await shoot.delete()
    assert result.error is None, result.error and result.error.message
    assert await shoot.secret() is None
    assert await bed.admin_svm(shoot.svm_name) is None


async def test_force_delete_never_blocks_and_reports_orphans(bed: ShootBed) -> None:
    shoot = bed.shoot()
    await shoot.create()
    assert (await shoot.reconcile()).error is None
    bed.fake.faults.add(DOWN, path="/api/*")
    result = await shoot.delete(force=True)
    assert result.error is None
    assert await shoot.secret() is None
    assert any(reason == "ForceDeletionOrphaned" for _, reason, _ in shoot.events.items)


async def _migrated(bed: ShootBed) -> tuple[Shoot, ActuatorResult]:
    source = bed.shoot()
    await source.create()
    assert (await source.reconcile()).error is None
    result = await source.migrate()
    assert result.error is None, result.error and result.error.message
    assert result.state is not None and result.state["ontapCluster"] == "fake"
    assert "password" not in str(result.state)
    assert result.resources == [seed_secret_reference("ontap-svm-credentials")]
    assert await source.secret() is not None, "kept for gardenlet to carry it to the new seed"
    assert await bed.admin_svm(source.svm_name) is not None, "migrate keeps every ONTAP object"
    return source, result


@pytest.mark.parametrize("carried", [True, False], ids=["secret-carried", "secret-lost"])
async def test_migrate_then_restore_on_a_fresh_namespace_yields_a_working_secret(
    bed: ShootBed, carried: bool
) -> None:
    source, _ = await _migrated(bed)
    before = await source.secret()
    assert before is not None
    # The new seed: another namespace, same technical id (same Cluster), state handed over by gardenlet.
    target = bed.shoot(await bed.new_namespace("m"))
    target.cluster = source.cluster
    shoot_state = await shoot_state_of(bed.api_client, await source.extension())
    restored_ext = await restore_from(bed.api_client, shoot_state, target.namespace, with_secrets=carried)
    bed.fake.requests.clear()
    restored = await target.actuator.restore(restored_ext, target.cluster)
    assert restored.error is None, restored.error and restored.error.message
    secret = await target.secret()
    assert secret is not None
    assert secret.data["username"] == source.username
    assert "pending-password" not in secret.data
    assert await source.login_works(secret.data["password"])
    password_changes = bed.fake.requests.count(method="PATCH", path_prefix="/api/security/accounts")
    if carried:
        # The carried password still works: nothing is reset, the shoot's Trident keeps its credentials.
        assert secret.data["password"] == before.data["password"]
        assert password_changes == 0
    else:
        assert secret.data["password"] != before.data["password"]
        assert password_changes == 1
        assert not await source.login_works(before.data["password"])


async def test_crash_between_secret_write_and_ontap_password_patch_converges(bed: ShootBed) -> None:
    shoot = bed.shoot()
    await shoot.create()
    assert (await shoot.reconcile()).error is None
    before = await shoot.secret()
    assert before is not None
    await shoot.patch_extension(
        {"metadata": {"annotations": {"ontap.extensions.gardener.cloud/rotate-credentials": "true"}}}
    )
    bed.fake.faults.add(
        {"type": "error", "status": 500, "code": "", "message": "boom"},
        method="PATCH",
        path="/api/security/accounts/*",
        times=3,  # more than the client's retries: the pass fails
    )
    result = await shoot.reconcile()
    assert result.error is not None
    assert result.error.condition_type == "SeedSecretReady"
    assert "PATCH /api/security/accounts" in result.error.message
    staged = await shoot.secret()
    assert staged is not None
    assert staged.data["password"] == before.data["password"], "the live password stays until confirmed"
    assert staged.data["pending-password"], "the new password is in Kubernetes before ONTAP is changed"
    assert await shoot.login_works(before.data["password"])

    result = await shoot.reconcile()
    assert result.error is None, result.error and result.error.message
    final = await shoot.secret()
    assert final is not None and "pending-password" not in final.data
    assert final.data["password"] == staged.data["pending-password"]
    assert await shoot.login_works()


async def test_patch_applied_but_answer_lost_converges(bed: ShootBed) -> None:
    shoot = bed.shoot()
    await shoot.create()
    assert (await shoot.reconcile()).error is None
    await shoot.patch_extension(
        {"metadata": {"annotations": {"ontap.extensions.gardener.cloud/rotate-credentials": "true"}}}
    )
    bed.fake.faults.add(
        {"type": "apply_then_fail", "status": 500},
        method="PATCH",
        path="/api/security/accounts/*",
        times=1,
    )
    first = await shoot.reconcile()
    staged = await shoot.secret()
    assert staged is not None
    if first.error is not None:
        assert "pending-password" in staged.data
    result = await shoot.reconcile()
    assert result.error is None
    assert await shoot.login_works()
    final = await shoot.secret()
    assert final is not None and "pending-password" not in final.data

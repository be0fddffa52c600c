"""The seed-secret lifecycle scenarios through the reconciler: what a periodic pass repairs by itself,
and what deletion keeps. Nothing but the controller's own passes touches the Extension here.

The end state is checked with the chaos invariants (read from the fake's state and the apiserver;
passwords proven by logging in to the fake as the account), including the credentials the shoot
receives through its ManagedResource.
"""

from __future__ import annotations

from pydantic import SecretStr

from controller.kube.secrets import delete_secret
from hack.localenv.gardener_objects import provider_config
from ontap.provisioning.account import set_password
from ontap.provisioning.reads import find_svm
from tests.chaos.bed import Admin, ShootUnderTest
from tests.chaos.invariants import converged_violations, deleted_violations, shoot_side_passwords
from tests.e2e.conftest import RESYNC, Shoot, World


def under_test(world: World, *shoots: Shoot) -> tuple[Admin, list[ShootUnderTest]]:
    admin = Admin(world.kube.apiserver, world.test_client)
    return admin, [ShootUnderTest(s.namespace, s.project_id, provider_config()) for s in shoots]


async def test_deleted_seed_secret_is_recreated_by_the_periodic_pass_with_a_working_password(
    world: World,
) -> None:
    shoot = world.shoot()
    await shoot.create()
    await shoot.reconcile()
    admin, shoots = under_test(world, shoot)
    assert await converged_violations(world.fake, admin, shoots) == []
    before, _ = await shoot_side_passwords(admin, shoot.namespace)

    await delete_secret(world.test_client, shoot.namespace, "ontap-svm-credentials")
    result = await shoot.reconcile()  # the periodic pass: no annotation, no other trigger

    assert result.requeue_after == RESYNC.total_seconds()
    assert await converged_violations(world.fake, admin, shoots) == []
    secret = await shoot.secret()
    assert secret is not None
    delivered, _ = await shoot_side_passwords(admin, shoot.namespace)
    assert delivered == [secret.data["password"]] and delivered != before, "the shoot got the new password"
    reasons = {e.reason for e in await shoot.events()}
    assert "SeedSecretRepaired" in reasons


async def test_password_changed_on_ontap_is_detected_and_repaired_by_the_periodic_pass(world: World) -> None:
    shoot = world.shoot()
    await shoot.create()
    await shoot.reconcile()
    admin, shoots = under_test(world, shoot)
    svm = await find_svm(world.client, shoot.svm_name)
    assert svm is not None
    await set_password(world.client, svm, shoot.username, SecretStr("Changed-behind-its-back-1"))
    assert await converged_violations(world.fake, admin, shoots) != [], "the drift is visible"

    await shoot.reconcile()

    assert await converged_violations(world.fake, admin, shoots) == []
    ext = await shoot.extension()
    assert ext is not None and ext["status"]["lastOperation"]["state"] == "Succeeded"
    messages = [e.message for e in await shoot.events() if e.reason == "SeedSecretRepaired"]
    assert any("rejects the seed secret's password" in m for m in messages), messages


async def test_deleting_one_of_two_shoots_keeps_the_svm_and_deleting_the_last_removes_it(
    world: World,
) -> None:
    first = world.shoot()
    second = world.shoot(await world.new_namespace("b"))
    await first.create()
    await second.create()
    await first.reconcile()
    await second.reconcile()
    admin, (first_view, second_view) = under_test(world, first, second)
    assert await converged_violations(world.fake, admin, [first_view, second_view]) == []

    await first.delete()
    await first.reconcile()
    assert await deleted_violations(world.fake, admin, first_view, [second_view]) == []
    assert await converged_violations(world.fake, admin, [second_view]) == []
    kept = [e.message for e in await first.events() if e.reason == "SvmKept"]
    assert kept and second.namespace in kept[0], kept

    await second.delete()
    await second.reconcile()
    assert await deleted_violations(world.fake, admin, second_view, []) == []
    assert await find_svm(world.client, second.svm_name) is None


async def test_svm_with_volumes_is_kept_and_reported(world: World) -> None:
    shoot = world.shoot()
    await shoot.create()
    await shoot.reconcile()
    world.fake.add_volume(shoot.svm_name, "pvc_retained")

    await shoot.delete()
    await shoot.reconcile()

    assert await shoot.extension() is None, "the shoot's deletion finishes"
    assert await shoot.secret() is None
    assert await find_svm(world.client, shoot.svm_name) is not None, "volumes mean data: the SVM stays"
    warnings = [e for e in await shoot.events() if e.reason == "SvmKept"]
    assert warnings and warnings[0].type == "Warning", warnings
    assert shoot.svm_name in warnings[0].message and "1 volume" in warnings[0].message


async def test_svm_with_trident_nvme_subsystems_is_kept_and_named(world: World) -> None:
    # Trident's NVMe subsystems block the NVMe service (ONTAP 72089653): the SVM is kept, never forced.
    shoot = world.shoot()
    await shoot.create()
    await shoot.reconcile()
    world.fake.add_nvme_subsystem(shoot.svm_name, "trident_subsys_abc")
    world.fake.requests.clear()

    await shoot.delete()
    await shoot.reconcile()

    assert await shoot.extension() is None, "the shoot's deletion finishes"
    assert await find_svm(world.client, shoot.svm_name) is not None
    assert world.fake.requests.count(method="DELETE", path_prefix="/api/svm/svms") == 0
    assert world.fake.requests.count(method="DELETE", path_prefix="/api/network/ip/interfaces") == 0
    warnings = [e.message for e in await shoot.events() if e.reason == "SvmKept"]
    assert warnings and "0 volume(s) and 1 NVMe subsystem(s) (trident_subsys_abc)" in warnings[0], warnings

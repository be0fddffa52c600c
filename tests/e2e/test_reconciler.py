"""The Extension reconciler end to end: kube-apiserver + fake ONTAP, as gardenlet would see it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from controller.extension.operation import FINALIZER
from controller.reconciler import ReconcileFailed
from controller.runtime.result import RequeueAfter
from controller.steps.seed_secret import seed_secret_reference
from hack.localenv.gardener_objects import GROUP, VERSION, cluster_object, provider_config
from ontap.naming import svm_name
from ontap.provisioning.reads import find_svm
from tests.e2e.conftest import CAP, RESYNC, World, gardenlet_ready
from tests.shoot_state import persist, restore

OP = "gardener.cloud/operation"
TS = "gardener.cloud/timestamp"


def conditions(ext: dict[str, object]) -> dict[str, dict[str, object]]:
    status = ext.get("status") or {}
    assert isinstance(status, dict)
    return {c["type"]: c for c in status.get("conditions") or []}


async def test_create_succeeds_with_svm_lifs_account_and_secret(world: World) -> None:
    shoot = world.shoot()
    await shoot.create()
    result = await shoot.reconcile()
    assert result.requeue_after == RESYNC.total_seconds()

    ext = await shoot.extension()
    assert ext is not None
    assert FINALIZER in ext["metadata"]["finalizers"]
    assert ext["status"]["lastOperation"]["type"] == "Create"
    assert ext["status"]["lastOperation"]["state"] == "Succeeded"
    assert ext["status"]["lastOperation"]["progress"] == 100
    assert ext["status"]["observedGeneration"] == ext["metadata"]["generation"]
    assert gardenlet_ready(ext) == (True, "")
    found = conditions(ext)
    for condition in ("OntapClusterPlaced", "SvmReady", "LifsReady", "AccountReady", "SeedSecretReady"):
        assert found[condition]["status"] == "True", found[condition]
    assert ext["status"]["providerStatus"]["svmName"] == shoot.svm_name

    assert await find_svm(world.client, shoot.svm_name) is not None
    secret = await shoot.secret()
    assert secret is not None and secret.data["username"] == shoot.username
    password = secret.data["password"]
    assert password not in str(ext)
    events = await shoot.events()
    assert {e.reason for e in events} >= {"CreateSucceeded"}
    assert all(password not in (e.message or "") for e in events)


async def test_bad_provider_config_is_a_configuration_problem_without_ontap_writes(world: World) -> None:
    shoot = world.shoot()
    await shoot.create(config={"apiVersion": "wrong", "kind": "TridentConfig", "svmIpaddresses": {}})
    world.fake.requests.clear()
    with pytest.raises(RequeueAfter) as raised:
        await shoot.reconcile()
    assert raised.value.delay == CAP.total_seconds(), "non-retryable errors back off at the cap"
    ext = await shoot.extension()
    assert ext is not None
    assert ext["status"]["lastOperation"]["state"] == "Error"
    assert ext["status"]["lastError"]["codes"] == ["ERR_CONFIGURATION_PROBLEM"]
    assert "providerConfig.apiVersion" in ext["status"]["lastError"]["description"]
    assert world.fake.requests.count(writes_only=True) == 0
    assert world.fake.requests.count() == 0
    ready, reason = gardenlet_ready(ext)
    assert not ready and "error during reconciliation" in reason
    warnings = [e for e in await shoot.events() if e.type == "Warning"]
    assert [e.reason for e in warnings] == ["CreateFailed"]


async def test_forbidden_svm_create_is_unauthorized_bounded_and_then_blocked(world: World) -> None:
    shoot = world.shoot()
    await shoot.create()
    world.fake.faults.add({"type": "forbidden"}, method="POST", path="/api/svm/svms")
    world.fake.requests.clear()
    with pytest.raises(RequeueAfter):
        await shoot.reconcile()
    first_pass = world.fake.requests.count()
    assert world.fake.requests.count(method="POST", path_prefix="/api/svm/svms") == 1
    ext = await shoot.extension()
    assert ext is not None
    assert ext["status"]["lastError"]["codes"] == ["ERR_INFRA_UNAUTHORIZED"]
    description = ext["status"]["lastError"]["description"]
    assert "POST /api/svm/svms" in description and "fake" in description and "403" in description
    assert conditions(ext)["SvmReady"]["status"] == "False"

    passes = 5
    per_pass = []
    for _ in range(passes - 1):
        before = world.fake.requests.count()
        with pytest.raises(RequeueAfter) as raised:
            await shoot.reconcile()
        assert raised.value.delay == CAP.total_seconds()
        per_pass.append(world.fake.requests.count() - before)
    # One refused create per pass, never a retry storm inside a pass, and no growth from pass to pass.
    assert world.fake.requests.count(method="POST", path_prefix="/api/svm/svms") == passes
    assert max(per_pass) <= first_pass + 2, (first_pass, per_pass, world.fake.requests.counts())
    assert len(set(per_pass)) == 1, per_pass
    ext = await shoot.extension()
    assert ext is not None
    svm_condition = conditions(ext)["SvmReady"]
    assert svm_condition["reason"] == "Blocked"
    assert "refused 3 times" in str(svm_condition["message"])
    assert "retrying every 5m" in str(svm_condition["message"])
    warnings = [e for e in await shoot.events() if e.type == "Warning"]
    assert {e.reason for e in warnings} == {"CreateFailed", "Blocked"}
    assert all((e.count or 1) <= passes for e in warnings)


async def test_retryable_failure_goes_to_the_queue_backoff(world: World) -> None:
    shoot = world.shoot()
    await shoot.create()
    world.fake.faults.add(
        {"type": "error", "status": 503, "code": "", "message": "service unavailable"}, path="/api/*"
    )
    with pytest.raises(ReconcileFailed) as raised:
        await shoot.reconcile()
    assert raised.value.report.retryable
    ext = await shoot.extension()
    assert ext is not None
    assert ext["status"]["lastError"]["codes"] == ["ERR_RETRYABLE_INFRA_DEPENDENCIES"]

    world.fake.faults.clear()
    result = await shoot.reconcile()
    assert result.requeue_after == RESYNC.total_seconds()
    ext = await shoot.extension()
    assert ext is not None
    assert "lastError" not in ext["status"] or ext["status"]["lastError"] is None
    assert gardenlet_ready(ext) == (True, "")


async def test_two_shoots_of_one_project_share_one_svm_with_separate_accounts(world: World) -> None:
    first = world.shoot()
    second = world.shoot(await world.new_namespace("b"))
    await first.create()
    await second.create(provider_config())
    await first.reconcile()
    await second.reconcile()
    for shoot in (first, second):
        ext = await shoot.extension()
        assert ext is not None and gardenlet_ready(ext) == (True, ""), ext and ext.get("status")
    first_secret, second_secret = await first.secret(), await second.secret()
    assert first_secret is not None and second_secret is not None
    assert first_secret.data["username"] != second_secret.data["username"]
    assert first_secret.data["password"] != second_secret.data["password"]
    svm = await find_svm(world.client, svm_name("1234-abcd"))
    assert svm is not None
    assert world.fake.requests.count(method="POST", path_prefix="/api/svm/svms") == 1


async def test_steady_state_pass_writes_nothing(world: World) -> None:
    shoot = world.shoot()
    await shoot.create()
    await shoot.reconcile()
    # The very first periodic pass after the creation is already the steady state.
    events_before = len(await shoot.events())
    await world.sync_cache(shoot)
    world.counter.reset()
    world.fake.requests.clear()
    result = await world.reconciler.reconcile(shoot.key)
    assert result.requeue_after == RESYNC.total_seconds()
    assert world.counter.writes == 0, world.counter.write_requests()
    assert world.fake.requests.count() <= 3, world.fake.requests.counts()
    assert world.fake.requests.count(writes_only=True) == 0
    assert len(await shoot.events()) == events_before
    ext = await shoot.extension()
    assert ext is not None and gardenlet_ready(ext) == (True, "")


async def test_operation_annotation_reconcile_is_removed_and_gardenlet_sees_ready(world: World) -> None:
    shoot = world.shoot()
    await shoot.create()
    await shoot.reconcile()
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    await shoot.annotate({OP: "reconcile", TS: stamp})
    ext = await shoot.extension()
    assert ext is not None
    assert not gardenlet_ready(ext)[0]
    await shoot.reconcile()
    ext = await shoot.extension()
    assert ext is not None
    assert OP not in (ext["metadata"].get("annotations") or {})
    assert ext["status"]["lastOperation"]["type"] == "Reconcile"
    assert gardenlet_ready(ext) == (True, "")


async def test_timestamp_annotation_forces_a_status_write(world: World) -> None:
    shoot = world.shoot()
    await shoot.create()
    await shoot.reconcile()
    later = datetime.now(UTC) + timedelta(seconds=2)
    await shoot.annotate({TS: later.strftime("%Y-%m-%dT%H:%M:%S.%fZ")})
    ext = await shoot.extension()
    assert ext is not None
    ready, reason = gardenlet_ready(ext)
    assert not ready and "outdated" in reason
    world.counter.reset()
    await shoot.reconcile()
    assert world.counter.by_resource().get(("PATCH", "extensions/status"), 0) >= 1
    ext = await shoot.extension()
    assert ext is not None
    assert gardenlet_ready(ext) == (True, "")


async def test_wait_for_state_and_failed_shoot_are_left_alone(world: World) -> None:
    shoot = world.shoot()
    await shoot.create()
    await shoot.annotate({OP: "wait-for-state"})
    world.fake.requests.clear()
    world.counter.reset()
    assert (await shoot.reconcile()).requeue_after is None
    assert world.counter.writes == 0 and world.fake.requests.count() == 0

    await shoot.annotate({OP: None})
    await shoot.set_shoot_state("Failed")
    assert (await shoot.reconcile()).requeue_after is None
    assert world.counter.writes == 0 and world.fake.requests.count() == 0
    ext = await shoot.extension()
    assert ext is not None and not ext.get("status")


async def test_delete_removes_account_secret_and_finalizer(world: World) -> None:
    shoot = world.shoot()
    await shoot.create()
    await shoot.reconcile()
    await shoot.delete()
    ext = await shoot.extension()
    assert ext is not None and ext["metadata"].get("deletionTimestamp")
    result = await shoot.reconcile()
    assert result.requeue_after is None
    assert await shoot.extension() is None, "the finalizer is gone, so the object is"
    assert await shoot.secret() is None
    assert await find_svm(world.client, shoot.svm_name) is None


async def test_force_delete_on_shoot_annotation_does_not_block(world: World) -> None:
    shoot = world.shoot()
    await shoot.create()
    await shoot.reconcile()
    await shoot.annotate_shoot({"confirmation.gardener.cloud/force-deletion": "true"})
    world.fake.faults.add({"type": "forbidden"}, method="DELETE", path="/api/*")
    await shoot.delete()
    result = await shoot.reconcile()
    assert result.requeue_after is None
    assert await shoot.extension() is None
    events = await shoot.events()
    assert "ForceDeletionOrphaned" in {e.reason for e in events}


async def test_migrate_keeps_the_secret_for_gardenlet_and_restore_on_a_new_seed_reuses_it(
    world: World,
) -> None:
    shoot = world.shoot(await world.new_namespace("g"))
    await shoot.create()
    await shoot.reconcile()
    await shoot.annotate({OP: "migrate"})
    result = await shoot.reconcile()
    assert result.requeue_after is None
    ext = await shoot.extension()
    assert ext is not None
    assert not ext["metadata"].get("finalizers")
    assert OP not in (ext["metadata"].get("annotations") or {})
    assert ext["status"]["lastOperation"]["type"] == "Migrate"
    assert ext["status"]["lastOperation"]["state"] == "Succeeded"
    assert ext["status"]["state"]["ontapCluster"] == "fake"
    assert "password" not in str(ext["status"]["state"])
    assert ext["status"]["resources"] == [seed_secret_reference("ontap-svm-credentials")]
    migrated_secret = await shoot.secret()
    assert migrated_secret is not None, "kept for gardenlet to carry it to the new seed"

    world.fake.requests.clear()
    world.counter.reset()
    await shoot.reconcile()
    assert world.counter.writes == 0 and world.fake.requests.count() == 0, "migrated away: nothing to do"

    # gardenlet persists the ShootState and removes the old namespace; the new seed has one of the same
    # name, where gardenlet restores state, resources and the referenced secret, then asks for restore.
    shoot_state = await persist(world.test_client, ext)
    await asyncio.to_thread(world.kube.apiserver.purge_namespace, shoot.namespace)
    await _recreate_namespace(world, shoot.namespace)
    await shoot.api.create_cluster_custom_object(
        GROUP, VERSION, "clusters", cluster_object(shoot.namespace, shoot.project_id)
    )
    await restore(world.test_client, shoot_state, shoot.namespace)
    world.fake.requests.clear()
    await shoot.reconcile()
    restored = await shoot.extension()
    assert restored is not None
    assert restored["status"]["lastOperation"]["type"] == "Restore"
    assert gardenlet_ready(restored) == (True, "")
    assert FINALIZER in restored["metadata"]["finalizers"]
    assert restored["status"]["resources"] == [seed_secret_reference("ontap-svm-credentials")]
    secret = await shoot.secret()
    assert secret is not None
    assert secret.data == migrated_secret.data, "the carried credentials are kept, not reset"
    assert world.fake.requests.count(method="PATCH", path_prefix="/api/security/accounts") == 0


async def _recreate_namespace(world: World, name: str) -> None:
    for _ in range(100):
        try:
            await asyncio.to_thread(world.kube.apiserver.create_namespace, name)
            return
        except Exception:  # still terminating
            await asyncio.sleep(0.1)
    raise AssertionError(f"namespace {name} could not be recreated")


async def test_a_write_by_a_step_during_the_pass_does_not_lose_the_status(world: World) -> None:
    shoot = world.shoot()
    await shoot.create()
    await shoot.reconcile()
    # The seed-secret step removes this annotation itself, changing the resourceVersion mid-pass.
    await shoot.annotate({"ontap.extensions.gardener.cloud/rotate-credentials": "true", OP: "reconcile"})
    result = await shoot.reconcile()
    assert result.requeue_after == RESYNC.total_seconds()
    ext = await shoot.extension()
    assert ext is not None
    assert "ontap.extensions.gardener.cloud/rotate-credentials" not in (
        ext["metadata"].get("annotations") or {}
    )
    assert gardenlet_ready(ext) == (True, "")

"""The actuator against the real kube-apiserver and the fake ONTAP: provisioning, steady state, repair."""

from __future__ import annotations

import pytest

from controller.kube.client import KubeRequestCounter
from controller.steps.base import ConditionStatus
from controller.steps.project_turns import ProjectBusy
from tests.steps.conftest import ShootBed


async def test_first_pass_provisions_svm_lifs_account_and_secret(
    bed: ShootBed, capsys: pytest.CaptureFixture[str]
) -> None:
    shoot = bed.shoot()
    await shoot.create()
    result = await shoot.reconcile()
    assert result.error is None, result.error and result.error.message
    assert {o.condition_type: o.status for o in result.outcomes} == {
        "OntapClusterPlaced": ConditionStatus.TRUE,
        "SvmReady": ConditionStatus.TRUE,
        "LifsReady": ConditionStatus.TRUE,
        "AccountReady": ConditionStatus.TRUE,
        "SeedSecretReady": ConditionStatus.TRUE,
    } | ({"ShootResourcesReady": ConditionStatus.TRUE} if len(result.outcomes) == 6 else {})
    secret = await shoot.secret()
    assert secret is not None
    assert set(secret.data) == {"username", "password"}
    assert secret.data["username"] == shoot.username
    assert len(secret.data["password"]) == bed.config.password_length
    assert secret.labels["app.kubernetes.io/managed-by"] == "gardener-extension-ontap"
    assert secret.labels["ontap.extensions.gardener.cloud/project"] == shoot.project_id
    assert secret.annotations["ontap.extensions.gardener.cloud/ontap-cluster"] == "fake"
    assert secret.annotations["ontap.extensions.gardener.cloud/svm"] == shoot.svm_name
    assert await shoot.login_works()
    svm = await bed.admin_svm(shoot.svm_name)
    assert svm is not None and svm.state == "running"
    assert result.provider_status is not None
    assert result.provider_status["ontapCluster"] == "fake"
    assert result.provider_status["svmUUID"] == svm.uuid
    assert "password" not in str(result.provider_status) and "password" not in str(result.state)
    assert secret.data["password"] not in str([o.message for o in result.outcomes])
    assert secret.data["password"] not in str(shoot.events.items)
    assert shoot.events.items, "changes are reported as events"
    captured = capsys.readouterr()
    assert secret.data["password"] not in captured.out + captured.err


async def test_steady_state_costs_three_ontap_reads_and_no_kubernetes_writes(bed: ShootBed) -> None:
    shoot = bed.shoot()
    await shoot.create()
    assert (await shoot.reconcile()).error is None
    ext = await shoot.extension()
    shoot.events.items.clear()
    bed.fake.requests.clear()
    counter = KubeRequestCounter().attach(bed.api_client)
    result = await shoot.actuator.reconcile(ext, shoot.cluster)
    assert result.error is None
    assert not any(o.changed for o in result.outcomes)
    assert bed.fake.requests.count() <= 3, bed.fake.requests.counts()
    assert bed.fake.requests.count(writes_only=True) == 0
    assert counter.writes == 0, counter.write_requests()
    assert shoot.events.items == []


async def test_deleted_seed_secret_is_recreated_with_a_working_password(bed: ShootBed) -> None:
    shoot = bed.shoot()
    await shoot.create()
    await shoot.reconcile()
    from controller.kube.secrets import delete_secret

    await delete_secret(bed.api_client, shoot.namespace, "ontap-svm-credentials")
    result = await shoot.reconcile()
    assert result.error is None
    assert await shoot.login_works()


async def test_password_changed_on_ontap_is_detected_and_repaired(bed: ShootBed) -> None:
    shoot = bed.shoot()
    await shoot.create()
    await shoot.reconcile()
    from pydantic import SecretStr

    from ontap.provisioning.account import set_password

    svm = await bed.admin_svm(shoot.svm_name)
    await set_password(bed.client, svm, shoot.username, SecretStr("changed-behind-1"))
    assert not await shoot.login_works()
    result = await shoot.reconcile()
    assert result.error is None
    assert await shoot.login_works()
    seed = next(o for o in result.outcomes if o.condition_type == "SeedSecretReady")
    assert seed.changed
    assert any("rejects" in m for _, _, m in shoot.events.items)


async def test_rotation_annotation_rotates_and_is_removed(bed: ShootBed) -> None:
    shoot = bed.shoot()
    await shoot.create()
    await shoot.reconcile()
    before = await shoot.secret()
    assert before is not None
    await shoot.patch_extension(
        {"metadata": {"annotations": {"ontap.extensions.gardener.cloud/rotate-credentials": "true"}}}
    )
    result = await shoot.reconcile()
    assert result.error is None
    after = await shoot.secret()
    assert after is not None
    assert after.data["password"] != before.data["password"]
    assert await shoot.login_works()
    assert not await shoot.login_works(before.data["password"])
    annotations = (await shoot.extension())["metadata"].get("annotations") or {}
    assert "ontap.extensions.gardener.cloud/rotate-credentials" not in annotations


async def test_invalid_provider_config_blocks_before_any_ontap_call(bed: ShootBed) -> None:
    shoot = bed.shoot()
    await shoot.create(config={"apiVersion": "wrong", "kind": "TridentConfig", "svmIpaddresses": {}})
    bed.fake.requests.clear()
    result = await shoot.reconcile()
    assert result.error is not None
    assert "ERR_CONFIGURATION_PROBLEM" in result.error.codes
    assert "providerConfig.apiVersion" in result.error.message
    assert bed.fake.requests.count() == 0
    assert [o.status for o in result.outcomes][1:] == [ConditionStatus.UNKNOWN] * (len(result.outcomes) - 1)


async def test_two_shoots_of_one_project_reconciled_at_once_share_one_svm(bed: ShootBed) -> None:
    import asyncio

    first = bed.shoot()
    second = bed.shoot(await bed.new_namespace("c"))
    await first.create()
    await second.create()
    bed.fake.requests.clear()
    results = await asyncio.gather(first.reconcile(), second.reconcile(), return_exceptions=True)
    # The one that finds the project's turn taken is told to come back instead of waiting for it.
    deferred = [
        shoot for shoot, r in zip((first, second), results, strict=True) if isinstance(r, ProjectBusy)
    ]
    assert len(deferred) == 1, results
    done = [r for r in results if not isinstance(r, BaseException)]
    assert [r.error for r in done] == [None]
    assert (await deferred[0].reconcile()).error is None
    assert bed.fake.requests.count(method="POST", path_prefix="/api/svm/svms") == 1
    assert await first.login_works() and await second.login_works()
    assert (await first.secret()).data["username"] != (await second.secret()).data["username"]  # type: ignore[union-attr]


async def test_lif_with_another_ip_is_reported_not_replaced(bed: ShootBed) -> None:
    shoot = bed.shoot()
    await shoot.create()
    assert (await shoot.reconcile()).error is None
    from hack.localenv.gardener_objects import provider_config

    config = provider_config()
    config["svmIpaddresses"]["dataLifs"][0] = "127.0.0.99"
    await shoot.patch_extension({"spec": {"providerConfig": config}})
    bed.fake.requests.clear()
    result = await shoot.reconcile()
    lifs = next(o for o in result.outcomes if o.condition_type == "LifsReady")
    assert lifs.status is ConditionStatus.FALSE
    assert "127.0.0.99" in lifs.message
    assert bed.fake.requests.count(method="DELETE") == 0
    # The account and its secret are still verified and the operation reports the drift.
    assert [o.status for o in result.outcomes if o.condition_type == "SeedSecretReady"] == [
        ConditionStatus.TRUE
    ]
    assert result.error is not None and result.error.condition_type == "LifsReady"

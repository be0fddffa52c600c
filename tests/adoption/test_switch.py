"""The whole switch from metal-stack's Go extension, against the real kube-apiserver and the fake ONTAP.

The Go extension's exact state is built by its naming (hack/go_extension_state.py); our actuator then
runs its passes with `adoption.goExtension` on (or off) and the outcome is read back from ONTAP's
state, the fake's request log and the apiserver.
"""

from __future__ import annotations

from datetime import UTC, datetime

from kubernetes_asyncio import client as k8s
from pydantic import SecretStr

from controller.adoption import names as go
from controller.extension.errors import report_exception
from controller.extension.operation import OperationType
from controller.extension.status import PassResult, completed_status
from controller.kube.client import KubeRequestCounter
from controller.shoot_resources import names as our_names
from controller.steps.base import ConditionStatus
from ontap.provisioning.account import check_login
from ontap.provisioning.reads import find_svm
from tests.adoption.conftest import GO_MR_NAMES, GO_PASSWORD, GoSwitch, ManagedResourceWatch
from tests.steps.conftest import ShootBed


def conditions(result: object) -> dict[str, ConditionStatus]:
    return {o.condition_type: o.status for o in result.outcomes}  # type: ignore[attr-defined]


async def assert_steady(switch: GoSwitch) -> None:
    """A further pass changes nothing: no ONTAP write, no Kubernetes write."""
    switch.bed.fake.requests.clear()
    counter = KubeRequestCounter().attach(switch.bed.api_client)
    result = await switch.shoot.reconcile()
    assert result.error is None, result.error and result.error.message
    assert switch.bed.fake.requests.count(writes_only=True) == 0, switch.bed.fake.requests.counts()
    # `reconcile()` of the test bed stores providerStatus itself (one status PATCH, no change in it).
    writes = [w for w in counter.write_requests() if "/status" not in str(w)]
    assert writes == [], writes
    assert not any(o.changed for o in result.outcomes)


async def assert_go_objects_gone(switch: GoSwitch) -> None:
    managed = await switch.managed_resources()
    assert not set(GO_MR_NAMES) & set(managed), sorted(managed)
    assert {our_names.CREDENTIALS_MR, our_names.BACKEND_MR} <= set(managed)
    left = {n for n in await switch.secret_names() if any(mr in n for mr in GO_MR_NAMES)}
    assert left == set(), left
    assert not await switch.go_secret_exists()


async def assert_go_backend_taken_over(switch: GoSwitch) -> None:
    tbc = await switch.backend_config()
    assert tbc["metadata"] == {
        "name": go.backend_config_name(switch.shoot.project_id),
        "namespace": our_names.DEFAULT_TRIDENT_NAMESPACE,
    }
    assert tbc["spec"]["backendName"] == go.backend_name(switch.shoot.project_id)
    # The Secret the Go backend read is taken over by name: no copy of an old password stays behind.
    assert tbc["spec"]["credentials"] == {"name": switch.go.seed_secret_name}
    assert tbc["spec"]["deletionPolicy"] == "retain"


async def login(switch: GoSwitch, password: str) -> bool:
    svm = await find_svm(switch.bed.client, switch.go.svm_name)
    assert svm is not None
    result = await check_login(
        switch.bed.client, svm, switch.go.username, SecretStr(password), switch.go.management_ip
    )
    return result.ok


async def test_switch_adopts_everything_and_changes_no_password(switch_bed: ShootBed) -> None:
    switch = GoSwitch(switch_bed, adoption=True)
    await switch.seed()
    before_svm = next(s for s in switch.svms() if s["name"] == switch.go.svm_name)
    interfaces_before = switch.interfaces()
    assert interfaces_before == ["datalif+0", "datalif+1", "managementlif"]

    async with ManagedResourceWatch(switch_bed.api_client, switch.shoot.namespace) as mr_watch:
        result = await switch.shoot.reconcile()
        assert result.error is None, result.error and result.error.message
        await mr_watch.wait_deleted(GO_MR_NAMES)
    assert set(conditions(result).values()) == {ConditionStatus.TRUE}, conditions(result)

    # ONTAP: no second SVM, LIF or account, and not one password change.
    assert switch.posts() == 0, switch_bed.fake.requests.counts()
    svms = switch.svms()
    assert [s["name"] for s in svms if s["name"].startswith("p")] == [switch.go.svm_name]
    after_svm = svms[0] if len(svms) == 1 else next(s for s in svms if s["name"] == switch.go.svm_name)
    assert after_svm["comment"] == (
        f"managed-by=gardener-extension-ontap;project={switch.go.project_id};adopted-from=go-extension"
    )
    assert after_svm["aggregates"] == before_svm["aggregates"]
    assert switch.interfaces() == interfaces_before
    accounts = switch.accounts()
    assert list(accounts) == [switch.go.username]
    assert accounts[switch.go.username]["_password"] == GO_PASSWORD
    assert not accounts[switch.go.username].get("_password_history")

    # Our seed secret and the shoot Secret hold the working password, under the adopted name.
    secret = await switch.our_secret()
    assert secret == {"username": switch.go.username, "password": GO_PASSWORD}
    assert await switch.shoot_secret_password() == GO_PASSWORD
    # ... in the Secret the Go backend reads, taken over by name: no stale copy stays in the shoot.
    shoot_secret = await switch.shoot_secret()
    assert shoot_secret["metadata"] == {"name": switch.go.seed_secret_name, "namespace": "kube-system"}
    assert await login(switch, GO_PASSWORD)
    assert result.state is not None and result.state["accountName"] == switch.go.username

    # The Go ManagedResources kept their objects first, and only then were deleted.
    for name in GO_MR_NAMES:
        seen = [(t, o) for t, o in mr_watch.events if o["metadata"]["name"] == name]
        deleted = [o for t, o in seen if t == "DELETED"]
        assert len(deleted) == 1 and deleted[0]["spec"].get("keepObjects") is True, (name, seen)
        kept = [int(o["metadata"]["resourceVersion"]) for t, o in seen if o["spec"].get("keepObjects")]
        assert min(kept) <= int(deleted[0]["metadata"]["resourceVersion"])
    released = [o["metadata"]["name"] for t, o in mr_watch.events if t == "MODIFIED"]
    assert set(released) == {"trident-svm-secret", "trident-cwnp", "extension-ontap-shoot"}
    await assert_go_objects_gone(switch)

    await assert_steady(switch)


async def test_missing_go_secret_resets_the_password_through_the_safe_path(switch_bed: ShootBed) -> None:
    switch = GoSwitch(switch_bed, adoption=True)
    await switch.seed(seed_secret=False)
    result = await switch.shoot.reconcile()
    assert result.error is None, result.error and result.error.message
    assert switch.posts() == 0, switch_bed.fake.requests.counts()
    accounts = switch.accounts()
    assert list(accounts) == [switch.go.username]
    secret = await switch.our_secret()
    assert secret["username"] == switch.go.username and secret["password"] != GO_PASSWORD
    assert set(secret) == {"username", "password"}, "the staged password was promoted"
    assert accounts[switch.go.username]["_password"] == secret["password"]
    assert len(accounts[switch.go.username]["_password_history"]) == 1, "exactly one password change"
    assert await switch.shoot_secret_password() == secret["password"]
    # The Go extension's backend is switched to the reset password: our TridentBackendConfig takes its
    # names (Trident updates that backend in place) and reads our Secret, which carries the new password.
    await assert_go_backend_taken_over(switch)
    assert any("staged a new password" in a for o in result.outcomes for a in o.actions)
    await assert_go_objects_gone(switch)
    await assert_steady(switch)


async def test_stale_go_secret_resets_the_password(switch_bed: ShootBed) -> None:
    switch = GoSwitch(switch_bed, adoption=True)
    await switch.seed()
    await k8s.CoreV1Api(switch_bed.api_client).patch_namespaced_secret(
        switch.go.seed_secret_name,
        go.SEED_SECRET_NAMESPACE,
        {"stringData": {"password": "stale7pass9"}},
    )
    result = await switch.shoot.reconcile()
    assert result.error is None, result.error and result.error.message
    secret = await switch.our_secret()
    assert secret["password"] not in (GO_PASSWORD, "stale7pass9")
    assert await login(switch, secret["password"])
    assert not await login(switch, GO_PASSWORD)
    assert await switch.shoot_secret_password() == secret["password"]
    await assert_go_backend_taken_over(switch)
    assert list(switch.accounts()) == [switch.go.username]
    assert switch.posts() == 0
    await assert_go_objects_gone(switch)
    await assert_steady(switch)


async def test_metrocluster_partner_svm_is_adopted(switch_bed: ShootBed) -> None:
    switch = GoSwitch(switch_bed, adoption=True, partner=True)
    await switch.seed()
    assert switch.go.svm_name.endswith("-mc")
    result = await switch.shoot.reconcile()
    assert result.error is None, result.error and result.error.message
    assert switch.posts() == 0, switch_bed.fake.requests.counts()
    assert [s["name"] for s in switch.svms() if s["name"].startswith("p")] == [switch.go.svm_name]
    assert result.provider_status is not None and result.provider_status["svmName"] == switch.go.svm_name
    assert await switch.our_secret() == {"username": switch.go.username, "password": GO_PASSWORD}
    # The Go backend's names are the primary's (backendName `ontap-<primary>`); the SVM is the partner.
    await assert_go_backend_taken_over(switch)
    assert (await switch.backend_config())["spec"]["svm"] == switch.go.svm_name
    await assert_go_objects_gone(switch)
    await assert_steady(switch)


async def test_adoption_off_refuses_naming_the_setting(switch_bed: ShootBed) -> None:
    switch = GoSwitch(switch_bed, adoption=False)
    await switch.seed()
    result = await switch.shoot.reconcile()
    assert result.error is not None
    assert result.error.reason == "AdoptionDisabled"
    assert "adoption.goExtension: true" in result.error.message
    assert switch.go.svm_name in result.error.message
    assert conditions(result)["SvmReady"] is ConditionStatus.FALSE
    assert switch_bed.fake.requests.count(writes_only=True) == 0
    assert "adopted-from" not in next(s for s in switch.svms() if s["name"] == switch.go.svm_name)["comment"]
    assert set(GO_MR_NAMES) <= set(await switch.managed_resources())
    assert await switch.go_secret_exists()

    # In the Extension's status, as the reconciler writes it: lastError and the SvmReady condition.
    ext = await switch.shoot.extension()
    pass_result = PassResult(
        operation=OperationType.CREATE,
        outcomes=list(result.outcomes),
        failure=report_exception(result.error),
    )
    status = completed_status(
        ext.get("status") or {}, pass_result, generation=1, now=datetime.now(UTC), requested=True
    )
    await switch.shoot.patch_extension({"status": status}, status=True)
    written = (await switch.shoot.extension())["status"]
    assert "adoption.goExtension: true" in written["lastError"]["description"]
    svm_ready = next(c for c in written["conditions"] if c["type"] == "SvmReady")
    assert svm_ready["status"] == "False" and svm_ready["reason"] == "AdoptionDisabled"
    assert "adoption.goExtension" in svm_ready["message"]

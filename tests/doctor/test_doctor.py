"""The doctor names what is stuck (object, ONTAP call, error) and predicts the writes of the next pass.

Each stuck state is one the chaos scenarios produce (tests/chaos: locked object, permission denied, ONTAP
down during deletion, the secret never made, LIF drift, the SVM holding volumes). The doctor runs with
read-only clients (the fixture proves that ONTAP saw only GETs and the apiserver no write); then the fault
is lifted, the controller's next pass runs, and its writes are compared with the doctor's plan.
"""

from __future__ import annotations

from typing import Any

import pytest
from kubernetes_asyncio.client.exceptions import ApiException

from controller.doctor.model import Health
from ontap.fake.faults import DEFAULT_BUSY_CODE
from tests.doctor.conftest import Doctor, planned_writes, run_pass
from tests.e2e.conftest import Shoot, World

pytestmark = pytest.mark.integration


async def converged(world: World) -> Shoot:
    shoot = world.shoot()
    await shoot.create()
    await shoot.reconcile()
    ext = await shoot.extension()
    assert ext is not None and ext["status"]["lastOperation"]["state"] == "Succeeded", ext
    return shoot


async def test_a_healthy_shoot_is_healthy_and_the_next_pass_writes_nothing(
    world: World, doctor: Doctor
) -> None:
    shoot = await converged(world)
    report = await doctor.examine(shoot.namespace)
    assert (report.problems, report.changes, report.unobserved, report.stops_at) == ([], [], [], "")
    not_true = {c.type: c.status for c in report.conditions if c.status != "True"}
    # The shoot health check cannot read the shoot here (no shoot access secret): it is Unknown, and the
    # doctor says it cannot tell rather than healthy; with every condition True it says healthy.
    assert set(not_true) <= {"SystemComponentsHealthy"} and "False" not in not_true.values(), not_true
    assert report.health is (Health.CANNOT_TELL if not_true else Health.HEALTHY)
    assert report.password_works is True and "works at the management LIF 127.0.0.10" in report.secret
    assert report.ontap.svm is not None and report.ontap.svm["name"] == shoot.svm_name
    assert {lif["name"] for lif in report.ontap.lifs} == {"data1", "data2", "mgmt"}
    assert report.ontap.account is not None and report.ontap.account["name"] == shoot.username
    assert len(report.managed_resources) >= 2
    assert await doctor.next_pass_writes(shoot) == planned_writes(report) == {}
    secret = await shoot.secret()
    assert secret is not None and secret.data["password"] not in repr(report.to_json())


@pytest.mark.parametrize(
    ("action", "method", "path", "code", "object_name"),
    [
        pytest.param(
            {"type": "locked"}, "POST", "/api/security/accounts", DEFAULT_BUSY_CODE, "account", id="locked"
        ),
        pytest.param(
            {"type": "forbidden"}, "POST", "/api/network/ip/interfaces", "6", "data1", id="forbidden"
        ),
    ],
)
async def test_a_refused_write_is_named_and_the_plan_is_what_the_pass_does_once_it_is_allowed(
    world: World, doctor: Doctor, action: dict[str, Any], method: str, path: str, code: str, object_name: str
) -> None:
    shoot = world.shoot()
    await shoot.create()
    rule = world.fake.faults.add(action, method=method, path=f"^{path}$")
    await run_pass(shoot)
    report = await doctor.examine(shoot.namespace)
    assert report.health is Health.NEEDS_ACTION
    assert report.last_error is not None
    described = report.last_error["description"]
    expected_object = shoot.username if object_name == "account" else object_name
    assert expected_object in described and f"{method} {path}" in described and code in described, described
    assert any(c.status == "False" for c in report.conditions)
    planned = planned_writes(report)
    assert ("ontap", method, "/".join(path.split("/")[:4])) in planned, planned
    world.fake.faults.remove(rule)
    writes = await doctor.next_pass_writes(shoot)
    assert writes == planned, (sorted(writes.items()), [f"{c.api} {c.object}" for c in report.changes])


async def test_the_secret_never_made_is_planned_from_the_staging_on(world: World, doctor: Doctor) -> None:
    shoot = world.shoot()
    await shoot.create()
    rest: Any = world.api_client.rest_client
    original = rest.request
    refused: list[str] = []

    async def refuse_first_secret_create(method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        if method == "POST" and url.endswith(f"/namespaces/{shoot.namespace}/secrets") and not refused:
            refused.append(url)
            refusal = ApiException(status=503, reason="Service Unavailable")
            refusal.body = b""  # what the REST layer hands on (the client decodes it)
            raise refusal
        return await original(method, url, *args, **kwargs)

    rest.request = refuse_first_secret_create
    try:
        await run_pass(shoot)
    finally:
        rest.request = original
    assert refused and await shoot.secret() is None
    report = await doctor.examine(shoot.namespace)
    assert report.health is Health.NEEDS_ACTION
    assert report.last_error is not None and "503" in report.last_error["description"]
    assert report.secret.startswith("missing"), report.secret
    assert report.ontap.account is None and report.ontap.svm is not None
    apis = [change.api for change in report.changes]
    assert apis[:3] == [
        f"POST /api/v1/namespaces/{shoot.namespace}/secrets",
        "POST /api/security/accounts",
        f"PUT /api/v1/namespaces/{shoot.namespace}/secrets/ontap-svm-credentials",
    ], apis
    assert await doctor.next_pass_writes(shoot) == planned_writes(report)
    assert await shoot.secret() is not None


async def test_lif_drift_is_named_and_left_alone_by_the_plan_and_the_pass(
    world: World, doctor: Doctor
) -> None:
    shoot = await converged(world)
    with world.fake.lock:
        (lif,) = [i for i in world.fake.state.interfaces.values() if i["name"] == "data1"]
        lif["ip"]["address"] = "127.0.0.99"
    await run_pass(shoot)
    report = await doctor.examine(shoot.namespace)
    assert report.health is Health.NEEDS_ACTION
    (drift,) = [p for p in report.problems if "LIF data1" in p]
    assert "127.0.0.99" in drift and "127.0.0.11" in drift, drift
    assert [c.reason for c in report.conditions if c.type == "LifsReady"] == ["LifDrift"]
    assert planned_writes(report) == {}
    assert await doctor.next_pass_writes(shoot) == {}


async def test_ontap_down_during_deletion_is_named_then_the_plan_is_the_deletion(
    world: World, doctor: Doctor
) -> None:
    shoot = await converged(world)
    rule = world.fake.faults.add({"type": "reset"}, path="^/api/")
    await shoot.delete()
    await run_pass(shoot)
    report = await doctor.examine(shoot.namespace)
    assert report.operation == "delete" and report.health is Health.NEEDS_ACTION
    assert report.last_error is not None and world.fake.url in report.last_error["description"]
    (unseen,) = report.unobserved
    assert "GET /api/svm/svms" in unseen and "connection" in unseen.lower(), unseen
    assert "OntapClusterPlaced" in report.stops_at
    assert report.secret == "" and report.ontap.svm is None
    world.fake.faults.remove(rule)
    report = await doctor.examine(shoot.namespace)
    steps = [change.step for change in report.changes]
    assert steps[:2] == ["account", "seed-secret"] and "svm" in steps, steps
    assert report.changes[-1].step == "extension"
    assert await doctor.next_pass_writes(shoot) == planned_writes(report)
    assert await shoot.extension() is None


async def test_an_svm_holding_volumes_is_named_kept_and_the_rest_is_deleted(
    world: World, doctor: Doctor
) -> None:
    shoot = await converged(world)
    world.fake.add_volume(shoot.svm_name, "trident_pvc_1")
    await shoot.delete()
    report = await doctor.examine(shoot.namespace)
    assert report.health is Health.NEEDS_ACTION
    (kept,) = [p for p in report.problems if "is kept" in p]
    assert shoot.svm_name in kept and "trident_pvc_1" in kept and "1 volume(s)" in kept, kept
    assert not [c for c in report.changes if c.api.startswith("DELETE /api/svm/svms")]
    assert await doctor.next_pass_writes(shoot) == planned_writes(report)
    assert await shoot.extension() is None
    with world.fake.lock:
        assert [s for s in world.fake.state.svms.values() if s["name"] == shoot.svm_name]


async def test_a_refused_password_change_during_rotation_is_planned_from_the_staged_password(
    world: World, doctor: Doctor
) -> None:
    shoot = await converged(world)
    rule = world.fake.faults.add({"type": "locked"}, method="PATCH", path="^/api/security/accounts/")
    await shoot.annotate({"ontap.extensions.gardener.cloud/rotate-credentials": "true"})
    await run_pass(shoot)
    secret = await shoot.secret()
    assert secret is not None and "pending-password" in secret.data
    report = await doctor.examine(shoot.namespace)
    assert report.health is Health.NEEDS_ACTION and report.password_works is False
    assert report.last_error is not None and DEFAULT_BUSY_CODE in report.last_error["description"]
    assert [c.api.split(" ")[0] for c in report.changes[:2]] == ["PATCH", "PUT"], report.changes
    for value in secret.data.values():
        assert value == shoot.username or value not in repr(report.to_json())
    world.fake.faults.remove(rule)
    assert await doctor.next_pass_writes(shoot) == planned_writes(report)
    ext = await shoot.extension()
    assert ext is not None and "ontap.extensions.gardener.cloud/rotate-credentials" not in (
        ext["metadata"].get("annotations") or {}
    )

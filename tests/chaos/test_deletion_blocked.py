"""The deletion that cannot finish, and the SVM that another shoot still uses.

While ONTAP is unreachable or refuses, the Extension keeps its finalizer, `lastError` names the
dependency, its endpoint and the error, and the per-shoot Kubernetes cleanup that does not need ONTAP
(the ManagedResources) is done anyway; the seed secret stays while its account exists. Once ONTAP
answers again the deletion completes by itself. A project's SVM shared by another shoot is never
deleted, whatever fails during the first shoot's deletion.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.chaos.bed import ChaosServers, drive
from tests.chaos.catalog import TARGETS
from tests.chaos.invariants import MANAGED_RESOURCES, SEED_SECRET, converged_violations, deleted_violations
from tests.chaos.runner import Row, fresh_run

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

BLOCKED_PASSES = 8
FINALIZER_PREFIX = "extensions.gardener.cloud/"


@pytest.mark.parametrize(
    ("action", "method", "error_text"),
    [
        pytest.param({"type": "reset"}, None, "connection", id="ontap-unreachable"),
        pytest.param({"type": "forbidden"}, "DELETE", "not authorized", id="ontap-refuses"),
    ],
)
async def test_deletion_waits_for_ontap_and_then_completes(
    request: pytest.FixtureRequest,
    chaos_servers: ChaosServers,
    chaos_table: list[Row],
    action: dict[str, Any],
    method: str | None,
    error_text: str,
) -> None:
    servers = chaos_servers
    async with fresh_run(servers) as run:
        admin = run.admin
        shoot = await admin.create_shoot()
        settled = await run.converge(shoot, "create")
        assert settled.done, settled.describe()
        rule = servers.fake.faults.add(action, method=method, path="^/api/")
        await admin.request_deletion(shoot)

        async def gone() -> bool:
            return await admin.extension(shoot) is None

        blocked = await drive(run, shoot.key, gone, max_passes=BLOCKED_PASSES, max_seconds=60)
        assert not blocked.done, "the deletion finished although ONTAP could not be reached"

        ext = await admin.extension(shoot)
        assert ext is not None
        assert any(f.startswith(FINALIZER_PREFIX) for f in ext["metadata"].get("finalizers", []))
        last_error = (ext.get("status") or {}).get("lastError") or {}
        description = last_error.get("description", "")
        assert "ONTAP cluster 'fake'" in description, f"the ONTAP cluster is not named: {description}"
        assert servers.fake.url in description, f"the endpoint {servers.fake.url} is not named: {description}"
        assert "/api/" in description, f"the ONTAP API is not named: {description}"
        assert error_text in description.lower(), description

        # The cleanup that needs no ONTAP is done; the credentials stay while the account exists.
        assert await admin.list_names(MANAGED_RESOURCES.format(ns=shoot.namespace)) == []
        assert await admin.secret_data(shoot.namespace, SEED_SECRET) is not None

        servers.fake.faults.remove(rule)
        finished = await run.converge(shoot, "delete")
        assert finished.done, finished.describe()
        problems = await deleted_violations(servers.fake, admin, shoot, [])
        problems += await run.leaks()
        assert not problems, "\n".join(problems)
        chaos_table.append(run.row(f"deletion-cannot-finish:{request.node.callspec.id}", blocked, finished))


SHARED_SVM_FAILURES = [
    pytest.param(
        "kube",
        {"type": "error", "status": 503},
        "GET",
        r"^/apis/extensions\.gardener\.cloud/v1alpha1/extensions$",
        2,
        id="listing-shoots-fails",
    ),
    pytest.param(
        "kube",
        {"type": "error", "status": 503},
        "GET",
        r"^/apis/extensions\.gardener\.cloud/v1alpha1/clusters/",
        3,
        id="reading-clusters-fails",
    ),
    pytest.param(
        "ontap",
        {"type": "apply_then_reset"},
        "DELETE",
        r"^/api/security/accounts/",
        1,
        id="account-delete-answer-lost",
    ),
    pytest.param(
        "kube",
        {"type": "error", "status": 503},
        "DELETE",
        r"/secrets/ontap-svm-credentials$",
        2,
        id="seed-secret-delete-fails",
    ),
    pytest.param(
        "kube",
        {"type": "conflict"},
        "DELETE",
        r"/managedresources/",
        2,
        id="managed-resource-delete-conflict",
    ),
]


@pytest.mark.parametrize(("side", "action", "method", "path", "times"), SHARED_SVM_FAILURES)
async def test_svm_shared_by_another_shoot_is_never_deleted(
    request: pytest.FixtureRequest,
    chaos_servers: ChaosServers,
    chaos_table: list[Row],
    side: str,
    action: dict[str, Any],
    method: str,
    path: str,
    times: int,
) -> None:
    servers = chaos_servers
    async with fresh_run(servers) as run:
        admin = run.admin
        neighbour = await admin.create_shoot()
        assert (await run.converge(neighbour, "create")).done
        shoot = await admin.create_shoot(neighbour.project_id)
        assert (await run.converge(shoot, "create")).done
        if side == "kube":
            rule = servers.proxy.add(action, method, path, times=times)
        else:
            rule = servers.fake.faults.add(action, method=method, path=path, times=times)
        await admin.request_deletion(shoot)
        finished = await run.converge(shoot, "delete")
        assert finished.done, finished.describe()
        if side == "kube":
            fired = servers.proxy.faults.injected(rule)
        else:
            fired = next(r["injected"] for r in servers.fake.faults.rules() if r["id"] == rule)
        assert fired > 0, "the fault never fired"
        svm_deletes = [
            e.path
            for e in servers.fake.requests.entries()
            if e.method == "DELETE" and e.path.startswith("/api/svm/svms")
        ]
        assert svm_deletes == [], f"the shared SVM was asked to be deleted: {svm_deletes}"
        problems = await deleted_violations(servers.fake, admin, shoot, [neighbour])
        problems += await converged_violations(servers.fake, admin, [neighbour])
        problems += await run.leaks()
        assert not problems, "\n".join(problems)
        chaos_table.append(run.row(f"shared-svm-kept:{request.node.callspec.id}", finished))


def test_catalog_knows_the_deletion_targets() -> None:
    assert {t for t, target in TARGETS.items() if target.phase == "delete"} >= {
        "svm-delete",
        "account-delete",
    }

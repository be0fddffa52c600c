"""The locked shared object: ONTAP refuses a change indefinitely (locked, or the user lacks the right).

Nothing may be deleted or recreated to get around it, ONTAP must not be hammered (each pass tries the
refused write once, the delay between passes grows to the backoff cap), the Extension must say what
is refused (ONTAP's message and code, the object), and after `DEFAULT_LIMIT` identical failures the
loop guard reports the step as Blocked. Once the lock is lifted the shoot converges by itself.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from controller.extension.loop_guard import BLOCKED_REASON
from ontap.fake.faults import DEFAULT_BUSY_CODE, DEFAULT_BUSY_MESSAGE
from ontap.naming import account_name, svm_name
from tests.chaos.bed import BACKOFF_CAP, ONTAP_RETRIES, ChaosServers, ShootUnderTest, drive
from tests.chaos.invariants import converged_violations
from tests.chaos.runner import Row, fresh_run

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

REFUSED_PASSES = 12


def _refused_object(shoot: ShootUnderTest, path: str) -> str:
    return account_name(shoot.namespace) if "accounts" in path else "data1"


@pytest.mark.parametrize(
    ("action", "method", "path", "code", "message"),
    [
        pytest.param(
            {"type": "locked"},
            "POST",
            "/api/security/accounts",
            DEFAULT_BUSY_CODE,
            DEFAULT_BUSY_MESSAGE,
            id="account-create-locked",
        ),
        pytest.param(
            {"type": "forbidden"},
            "POST",
            "/api/network/ip/interfaces",
            "6",
            "not authorized",
            id="lif-create-permission-denied",
        ),
    ],
)
async def test_refused_change_is_reported_blocked_and_never_worked_around(
    chaos_servers: ChaosServers,
    chaos_table: list[Row],
    action: dict[str, Any],
    method: str,
    path: str,
    code: str,
    message: str,
) -> None:
    servers = chaos_servers
    async with fresh_run(servers) as run:
        admin = run.admin
        process = run.process
        shoot = await admin.create_shoot()
        rule = servers.fake.faults.add(action, method=method, path=f"^{path}$")

        async def never() -> bool:
            return False

        refused = await drive(run, shoot.key, never, max_passes=REFUSED_PASSES, max_seconds=60)
        assert refused.passes == REFUSED_PASSES, refused.describe()

        # Nothing deleted or recreated to get around the refusal.
        deletes = [e for e in servers.fake.requests.entries() if e.method == "DELETE"]
        assert deletes == [], [f"{e.method} {e.path}" for e in deletes]
        assert servers.fake.requests.count(method="POST", path_prefix="/api/svm/svms") == 1
        # ONTAP is not hammered: at most one attempt of the refused write per pass.
        attempts = servers.fake.requests.count(method=method, path_prefix=path)
        assert attempts <= REFUSED_PASSES, f"{attempts} {method} {path} in {REFUSED_PASSES} passes"
        # The delay between passes grows to the cap and stays there.
        delays = [r.delay for r in refused.records]
        assert all(d is not None and d <= BACKOFF_CAP + 1e-9 for d in delays), delays
        assert delays[-1] == pytest.approx(BACKOFF_CAP), delays
        growing = [d or 0.0 for d in delays]
        assert all(b >= a - 1e-9 for a, b in itertools.pairwise(growing)), delays

        ext = await admin.extension(shoot)
        assert ext is not None
        status = ext.get("status") or {}
        assert status["lastOperation"]["state"] == "Error", status["lastOperation"]
        description = status["lastError"]["description"]
        assert message.lower() in description.lower(), description
        assert code in description, description
        assert _refused_object(shoot, path) in description, description
        assert status["lastError"].get("codes"), status["lastError"]
        blocked = [c for c in status.get("conditions", []) if c.get("reason") == BLOCKED_REASON]
        assert blocked, f"no condition with reason {BLOCKED_REASON}: {status.get('conditions')}"
        assert process is run.process, "the controller was not restarted"

        # The lock is lifted: the shoot converges without anything else happening.
        servers.fake.faults.remove(rule)
        before = servers.ontap_requests()
        settled = await run.converge(shoot, "create")
        assert settled.done, settled.describe()
        problems = await converged_violations(servers.fake, admin, [shoot])
        problems += await run.leaks()
        assert not problems, "\n".join(problems)
        chaos_table.append(
            run.row(f"locked-shared-object:{action['type']}:{path}", refused, settled, ontap_before=before)
        )


async def test_locked_shared_svm_is_fixed_in_place_or_reported_never_recreated(
    chaos_servers: ChaosServers, chaos_table: list[Row]
) -> None:
    """The project's SVM, shared by two shoots, drifted (NVMe no longer allowed) and is locked for
    changes indefinitely: it is reported, never deleted or recreated, and fixed once the lock goes."""
    servers = chaos_servers
    async with fresh_run(servers) as run:
        admin = run.admin
        neighbour = await admin.create_shoot()
        assert (await run.converge(neighbour, "create")).done
        shoot = await admin.create_shoot(neighbour.project_id)
        assert (await run.converge(shoot, "create")).done
        svm = svm_name(shoot.project_id)
        with servers.fake.lock:
            (record,) = [s for s in servers.fake.state.svms.values() if s["name"] == svm]
            record["nvme"]["allowed"] = False
        rule = servers.fake.faults.add({"type": "locked"}, method="PATCH", path="^/api/svm/svms/")
        servers.fake.requests.clear()

        async def never() -> bool:
            return False

        refused = await drive(run, shoot.key, never, max_passes=REFUSED_PASSES, max_seconds=60)
        assert refused.passes == REFUSED_PASSES, refused.describe()
        writes = [
            f"{e.method} {e.path}"
            for e in servers.fake.requests.entries()
            if e.method in ("POST", "DELETE") and e.path.startswith("/api/svm/svms")
        ]
        assert writes == [], f"the locked SVM was deleted or recreated: {writes}"
        # Bounded: the client's retries of the (idempotent) PATCH, once per pass, nothing more.
        patches = servers.fake.requests.count(method="PATCH", path_prefix="/api/svm/svms/")
        assert 0 < patches <= ONTAP_RETRIES.attempts * REFUSED_PASSES, patches
        delays = [r.delay for r in refused.records]
        assert delays[-1] == pytest.approx(BACKOFF_CAP), delays

        ext = await admin.extension(shoot)
        assert ext is not None
        status = ext.get("status") or {}
        description = status["lastError"]["description"]
        assert status["lastOperation"]["state"] == "Error"
        assert svm in description and DEFAULT_BUSY_CODE in description, description
        assert DEFAULT_BUSY_MESSAGE.lower() in description.lower(), description
        blocked = [c for c in status.get("conditions", []) if c.get("reason") == BLOCKED_REASON]
        assert [c["type"] for c in blocked] == ["SvmReady"], status.get("conditions")

        servers.fake.faults.remove(rule)
        settled = await run.converge(shoot, "create")
        assert settled.done, settled.describe()
        with servers.fake.lock:
            assert record["nvme"]["allowed"] is True, "fixed in place once the lock was lifted"
        problems = await converged_violations(servers.fake, admin, [neighbour, shoot])
        problems += await run.leaks()
        assert not problems, "\n".join(problems)
        chaos_table.append(run.row("locked-shared-object:locked:PATCH /api/svm/svms", refused, settled))

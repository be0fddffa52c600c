"""Every provisioning step under every fault the fake injects: re-running converges without duplicates."""

from __future__ import annotations

from typing import Any

import pytest

from ontap.client import OntapClient
from ontap.errors import OntapForbidden
from ontap.fake.testing import FakeOntapServer
from tests.ontap.provisioning_helpers import assert_fully_provisioned_once, converge, provision

FAULTS: dict[str, tuple[dict[str, Any], int]] = {
    "error-500": ({"type": "error", "status": 500, "code": "8", "message": "internal error"}, 1),
    "error-503": ({"type": "error", "status": 503, "code": "8", "message": "unavailable"}, 2),
    "hang": ({"type": "hang", "seconds": 3}, 1),
    "reset": ({"type": "reset"}, 1),
    "apply-then-fail": ({"type": "apply_then_fail", "status": 500, "code": "8"}, 1),
    "apply-then-reset": ({"type": "apply_then_reset"}, 1),
    "job-failure": ({"type": "job_failure", "code": "460770", "message": "job failed"}, 1),
    "locked": ({"type": "locked"}, 3),
    "forbidden": ({"type": "forbidden"}, 1),
}

TARGETS = {
    "svm-create": ("POST", "/api/svm/svms"),
    "lif-create": ("POST", "/api/network/ip/interfaces"),
    "account-create": ("POST", "/api/security/accounts"),
    "svm-read": ("GET", "/api/svm/svms"),
    "interface-read": ("GET", "/api/network/ip/interfaces"),
    "job-poll": ("GET", "/api/cluster/jobs/*"),
}


@pytest.mark.parametrize("target", sorted(TARGETS))
@pytest.mark.parametrize("fault", sorted(FAULTS))
async def test_provisioning_converges_under_fault(
    fake_cluster: FakeOntapServer, ontap_client: OntapClient, fault: str, target: str
) -> None:
    action, times = FAULTS[fault]
    method, path = TARGETS[target]
    fake_cluster.faults.add(action, method=method, path=path, times=times)

    outcome = await converge(lambda: provision(ontap_client))

    assert_fully_provisioned_once(fake_cluster)
    rules = fake_cluster.faults.rules()
    assert rules[0]["injected"] >= 1, "the fault never hit: the test proves nothing"
    if fault == "forbidden":
        assert any(isinstance(e, OntapForbidden) for e in outcome.errors)
    fake_cluster.requests.clear()
    assert await provision(ontap_client) == []
    assert fake_cluster.requests.count(writes_only=True) == 0


async def test_random_faults_everywhere_still_converge(
    fake_cluster: FakeOntapServer, ontap_client: OntapClient
) -> None:
    fake_cluster.faults.add({"type": "apply_then_reset"}, probability=0.15, seed=7)
    fake_cluster.faults.add({"type": "error", "status": 503, "code": "8"}, probability=0.15, seed=11)
    await converge(lambda: provision(ontap_client), passes=30, pause=0.05)
    assert_fully_provisioned_once(fake_cluster)

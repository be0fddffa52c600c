"""OntapClient: bounded threads, classification, and which calls are retried."""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
from collections.abc import AsyncIterator

import pytest
import requests
from netapp_ontap.error import NetAppRestError
from netapp_ontap.host_connection import HostConnection
from pydantic import SecretStr

from ontap.client import OntapClient, OntapClients
from ontap.config import OntapClusterConfig
from ontap.errors import OntapAlreadyExists, OntapBusy, OntapTransient, OntapUnauthenticated
from ontap.fake.testing import FakeOntapServer
from ontap.provisioning.reads import list_nodes
from ontap.retry import RetryPolicy
from tests.ontap.conftest import make_client

FAST = RetryPolicy(attempts=4, initial_delay=0.01, max_delay=0.02, jitter=0.0)


def config(**changes: object) -> OntapClusterConfig:
    data: dict[str, object] = {
        "name": "c1",
        "endpoint": "http://127.0.0.1:9",
        "username": "admin",
        "password": "pw",
    }
    data.update(changes)
    return OntapClusterConfig.model_validate(data)


def http_error(status: int, code: str = "") -> NetAppRestError:
    response = requests.Response()
    response.status_code = status
    response._content = json.dumps({"error": {"message": "m", "code": code}}).encode()
    return NetAppRestError(cause=requests.HTTPError(str(status), response=response))


class Flaky:
    """Fails with `error` for the first `failures` calls, then returns "done"."""

    def __init__(self, error: Exception, failures: int) -> None:
        self.error = error
        self.failures = failures
        self.calls = 0

    def __call__(self, conn: HostConnection) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return "done"


@pytest.fixture
async def client() -> AsyncIterator[OntapClient]:
    c = OntapClient(config(), retry_policy=FAST)
    yield c
    await c.close()


async def test_reads_are_retried_on_transient_errors(client: OntapClient) -> None:
    flaky = Flaky(http_error(503), failures=2)
    assert await client.run(flaky, operation="GET /api/x", target="x", mutating=False) == "done"
    assert flaky.calls == 3


async def test_busy_is_retried_for_reads(client: OntapClient) -> None:
    flaky = Flaky(http_error(409, "13434916"), failures=1)
    assert await client.run(flaky, operation="GET /api/x", target="x", mutating=False) == "done"


async def test_retries_stop_after_the_cap(client: OntapClient) -> None:
    flaky = Flaky(http_error(500), failures=10)
    with pytest.raises(OntapTransient) as caught:
        await client.run(flaky, operation="GET /api/x", target="svm p1", mutating=False)
    assert flaky.calls == FAST.attempts
    assert caught.value.cluster == "c1" and caught.value.target == "svm p1"


async def test_creates_are_not_retried(client: OntapClient) -> None:
    flaky = Flaky(http_error(503), failures=1)
    with pytest.raises(OntapTransient):
        await client.run(flaky, operation="POST /api/x", target="x", mutating=True)
    assert flaky.calls == 1


async def test_idempotent_writes_are_retried(client: OntapClient) -> None:
    flaky = Flaky(requests.ConnectionError("reset"), failures=1)
    assert (
        await client.run(flaky, operation="PATCH /api/x", target="x", mutating=True, idempotent=True)
        == "done"
    )
    assert flaky.calls == 2


@pytest.mark.parametrize(("status", "error"), [(401, OntapUnauthenticated), (409, OntapBusy)])
async def test_non_retryable_errors_fail_at_once(
    client: OntapClient, status: int, error: type[Exception]
) -> None:
    code = "" if status == 401 else "1"
    flaky = Flaky(http_error(status, code), failures=5)
    with pytest.raises(OntapAlreadyExists if code == "1" else error):
        await client.run(flaky, operation="GET /api/x", target="x", mutating=False)
    assert flaky.calls == 1


async def test_in_flight_calls_are_bounded_per_cluster() -> None:
    client = OntapClient(config(maxInFlight=2), retry_policy=FAST)
    active = 0
    peak = 0
    lock = threading.Lock()

    def slow(conn: HostConnection) -> threading.Thread:
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
        time.sleep(0.05)
        with lock:
            active -= 1
        return threading.current_thread()

    try:
        threads = await asyncio.gather(
            *(client.run(slow, operation="GET /x", target="x", mutating=False) for _ in range(8))
        )
    finally:
        await client.close()
    assert peak == 2
    assert len({t.name for t in threads}) <= 2
    assert threading.main_thread() not in threads


async def test_each_worker_thread_has_its_own_connection(client: OntapClient) -> None:
    def identity(conn: HostConnection) -> tuple[int, int]:
        time.sleep(0.02)
        return threading.get_ident(), id(conn)

    pairs = await asyncio.gather(
        *(client.run(identity, operation="GET /x", target="x", mutating=False) for _ in range(8))
    )
    by_thread: dict[int, set[int]] = {}
    for thread, conn in pairs:
        by_thread.setdefault(thread, set()).add(conn)
    assert all(len(conns) == 1 for conns in by_thread.values())
    assert len({c for conns in by_thread.values() for c in conns}) == len(by_thread)


async def test_connections_carry_timeouts_and_tls_settings(client: OntapClient) -> None:
    conn = await client.run(lambda c: c, operation="GET /x", target="x", mutating=False)
    assert conn.protocol_timeouts == (6.0, 45.0)
    assert conn.origin == "http://127.0.0.1:9"
    # No bundle of its own: verified as requests does from the environment (resolved once).
    assert conn.session.verify == (
        os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
    )
    assert conn.session.trust_env is False


async def test_svm_account_clients_share_the_cluster_pool_and_take_their_own_credentials(
    client: OntapClient,
) -> None:
    first = client.as_user("user1", SecretStr("password-1"), address="127.1.0.10")
    second = client.as_user("user2", SecretStr("password-2"), address="127.1.0.10")
    # No threads of their own: the cluster's pool and in-flight bound.
    assert first._executor is client._executor and first._slots is client._slots

    def seen(conn: HostConnection) -> tuple[str, str | None, str, int]:
        return conn.origin, conn.basic_auth[0] if conn.basic_auth else None, conn.password, id(conn)

    origin, user, password, conn_a = await first.run(seen, operation="GET /x", target="x", mutating=False)
    assert (origin, user, password) == ("http://127.1.0.10:9", "user1", "password-1")
    _, user, password, conn_b = await second.run(seen, operation="GET /x", target="x", mutating=False)
    assert (user, password) == ("user2", "password-2")
    # The idle connection to the LIF was kept and reused, without the first account's credentials.
    assert conn_b == conn_a
    assert client._logins is not None and client._logins.created == 1
    with pytest.raises(ValueError, match="admin client"):
        first.as_user("x", SecretStr("y"), address="127.1.0.10")
    client.forget_login_address("127.1.0.10")
    assert client._logins.idle == 0


async def test_clients_mapping() -> None:
    clients = OntapClients.from_configs([config(name="a"), config(name="b")])
    assert sorted(clients) == ["a", "b"]
    with pytest.raises(KeyError, match="not configured"):
        clients["zzz"]
    with pytest.raises(ValueError, match="twice"):
        OntapClients.from_configs([config(name="a"), config(name="a")])
    await clients.close()


async def test_retries_are_logged_and_requests_counted(client: OntapClient) -> None:
    from structlog.testing import capture_logs

    from ontap.metrics import ONTAP_REQUESTS, ONTAP_RETRIES

    def sample(counter: object, **labels: str) -> float:
        return counter.labels(**labels)._value.get()  # type: ignore[attr-defined]

    ok_before = sample(ONTAP_REQUESTS, cluster="c1", method="GET", outcome="ok")
    failed_before = sample(ONTAP_REQUESTS, cluster="c1", method="GET", outcome="transient")
    retries_before = sample(ONTAP_RETRIES, cluster="c1", method="GET", kind="transient")
    with capture_logs() as logs:
        await client.run(
            Flaky(http_error(502), failures=1), operation="GET /api/svm/svms", target="svm p1", mutating=False
        )
    retry_logs = [e for e in logs if e["event"] == "ontap call failed, retrying"]
    assert len(retry_logs) == 1
    assert retry_logs[0]["cluster"] == "c1" and retry_logs[0]["target"] == "svm p1"
    assert retry_logs[0]["error_kind"] == "transient" and retry_logs[0]["attempt"] == 1
    assert sample(ONTAP_REQUESTS, cluster="c1", method="GET", outcome="ok") == ok_before + 1
    assert sample(ONTAP_REQUESTS, cluster="c1", method="GET", outcome="transient") == failed_before + 1
    assert sample(ONTAP_RETRIES, cluster="c1", method="GET", kind="transient") == retries_before + 1


async def test_requests_on_the_wire_stay_within_max_in_flight_including_account_logins(
    fake_cluster: FakeOntapServer,
) -> None:
    """Counted by the fake itself: admin reads and logins as accounts share one bound per cluster."""
    client = make_client(fake_cluster, maxInFlight=3)
    fake_cluster.faults.add({"type": "latency", "seconds": 0.05}, path="^/api/")
    logins = [
        client.as_user(f"user{i}", SecretStr(f"Password-{i}-x"), address=fake_cluster.host) for i in range(4)
    ]
    fake_cluster.peak_in_flight(reset=True)
    try:
        reads = [list_nodes(client) for _ in range(8)]
        probes = [
            login.run(
                lambda conn: conn.session.get(f"{fake_cluster.url}/api/cluster", timeout=5).status_code,
                operation="GET /api/cluster",
                target="cluster",
                mutating=False,
            )
            for login in logins
            for _ in range(3)
        ]
        await asyncio.gather(*reads, *probes)
    finally:
        await client.close()
    peak = fake_cluster.peak_in_flight()
    assert 1 < peak <= 3, f"{peak} requests were served at once, maxInFlight is 3"

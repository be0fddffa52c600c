"""The ONTAP layer against hostile answers from the fake: nothing is ever concluded from an answer that
proves nothing, every call is bounded in time and size, and errors name the cluster and the call."""

from __future__ import annotations

import time
import tracemalloc
from typing import Any

import pytest

from ontap.client import OntapClient
from ontap.errors import OntapError, OntapTransient, OntapUnexpectedAnswer
from ontap.fake.testing import FakeOntapServer
from ontap.provisioning import placement
from ontap.provisioning.reads import count_volumes, find_account, find_svm, list_interfaces
from ontap.provisioning.svm import DesiredSvm, ensure_svm
from tests.ontap.conftest import make_client

SVM = DesiredSvm(name="p1", project_id="1")

MALFORMED: dict[str, tuple[dict[str, Any], str]] = {
    "envelope-without-records": ({"type": "envelope-without-records"}, "has no 'records'"),
    "wrong-num-records": ({"type": "wrong-num-records"}, "says num_records 1 but holds 0 records"),
    "html-200": ({"type": "html-200"}, "ONTAP answered 200 with a body that is not JSON (text/html, "),
    "truncated-json": ({"type": "truncated-json"}, "not JSON (application/json"),
}


@pytest.mark.parametrize("fault", sorted(MALFORMED))
async def test_a_malformed_answer_is_never_absence_and_never_creates(
    fake_cluster: FakeOntapServer, ontap_client: OntapClient, fault: str
) -> None:
    action, problem = MALFORMED[fault]
    fake_cluster.faults.add(action, method="GET", path="/api/svm/svms")
    with pytest.raises(OntapUnexpectedAnswer) as raised:
        await ensure_svm(ontap_client, SVM)
    error = raised.value
    assert problem in str(error)
    assert error.cluster == "fake" and error.operation == "GET /api/svm/svms" and error.target == "svm p1"
    assert str(error).startswith(f"ONTAP cluster 'fake' ({fake_cluster.url}): GET /api/svm/svms on svm p1")
    assert fake_cluster.requests.count(writes_only=True) == 0
    assert fake_cluster.requests.count(method="GET", path_prefix="/api/svm/svms") == 1  # not retried
    fake_cluster.faults.clear()
    svm, _ = await ensure_svm(ontap_client, SVM)
    assert svm.name == "p1"


@pytest.mark.parametrize("key", ["name", "uuid"])
async def test_an_existing_svm_whose_record_lacks_a_key_is_not_missing(
    fake_cluster: FakeOntapServer, ontap_client: OntapClient, key: str
) -> None:
    await ensure_svm(ontap_client, SVM)
    fake_cluster.requests.clear()
    fake_cluster.faults.add({"type": "record-missing-key", "key": key}, method="GET", path="/api/svm/svms")
    with pytest.raises(
        OntapUnexpectedAnswer, match=f"record 0 of the answer to GET /api/svm/svms has no '{key}'"
    ):
        await ensure_svm(ontap_client, SVM)
    assert fake_cluster.requests.count(writes_only=True) == 0
    assert len(fake_cluster.state.svms) == 1


async def test_interfaces_and_accounts_need_a_well_formed_answer(
    fake_cluster: FakeOntapServer, ontap_client: OntapClient
) -> None:
    svm, _ = await ensure_svm(ontap_client, SVM)
    fake_cluster.faults.add(
        {"type": "envelope-without-records"}, method="GET", path="/api/network/ip/interfaces"
    )
    fake_cluster.faults.add(
        {"type": "wrong-num-records", "delta": 2}, method="GET", path="/api/security/accounts"
    )
    fake_cluster.faults.add({"type": "truncated-json"}, method="GET", path="/api/storage/volumes")
    with pytest.raises(OntapUnexpectedAnswer, match="GET /api/network/ip/interfaces"):
        await list_interfaces(ontap_client, svm)
    with pytest.raises(OntapUnexpectedAnswer, match="num_records 2 but holds 0"):
        await find_account(ontap_client, svm, "shoot")
    with pytest.raises(OntapUnexpectedAnswer, match="GET /api/storage/volumes"):
        await count_volumes(ontap_client, svm)  # the SVM deletion depends on this number


async def test_a_5xx_html_page_is_transient_and_named(
    fake_cluster: FakeOntapServer, ontap_client: OntapClient
) -> None:
    fake_cluster.faults.add({"type": "html-502"}, method="GET", path="/api/svm/svms")
    with pytest.raises(OntapTransient) as raised:
        await find_svm(ontap_client, "p1")
    assert "HTTP error 502; the body is not JSON (text/html" in str(raised.value)
    assert raised.value.http_status == 502


async def test_placement_blocks_when_any_cluster_answers_badly(
    fake_cluster: FakeOntapServer, second_fake_cluster: FakeOntapServer
) -> None:
    first, second = make_client(fake_cluster, "a"), make_client(second_fake_cluster, "b")
    clients = {"a": first, "b": second}
    try:
        fake_cluster.faults.add({"type": "envelope-without-records"}, method="GET", path="/api/svm/svms")
        for hint in (None, "a", "b"):
            with pytest.raises(OntapUnexpectedAnswer) as raised:
                await placement.choose_cluster(clients, "p1", hint)
            assert raised.value.cluster == "a"
        assert fake_cluster.requests.count(writes_only=True) == 0
        assert second_fake_cluster.requests.count(writes_only=True) == 0
        fake_cluster.faults.clear()
        chosen = await placement.choose_cluster(clients, "p1", None)
        assert chosen.cluster in clients and chosen.svm is None
    finally:
        await first.close()
        await second.close()


async def test_a_huge_body_is_cut_off_without_holding_it(fake_cluster: FakeOntapServer) -> None:
    client = make_client(fake_cluster, maxResponseBytes=1024 * 1024)
    try:
        fake_cluster.faults.add({"type": "huge-body", "megabytes": 66}, method="GET", path="/api/svm/svms")
        fake_cluster.faults.add(
            {"type": "huge-body", "megabytes": 66, "announce": True}, method="GET", path="/api/cluster/nodes"
        )
        tracemalloc.start()
        started = time.monotonic()
        with pytest.raises(
            OntapUnexpectedAnswer, match=r"exceeds 1\.0 MB, more than maxResponseBytes \(1\.0 MB\)"
        ):
            await find_svm(client, "p1")
        from ontap.provisioning.reads import list_nodes

        with pytest.raises(OntapUnexpectedAnswer, match=r"announces 66\.0 MB"):
            await list_nodes(client)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert peak < 8 * 1024 * 1024, peak
        assert time.monotonic() - started < 5
    finally:
        await client.close()


async def test_a_trickling_answer_ends_at_the_request_deadline(fake_cluster: FakeOntapServer) -> None:
    client = make_client(fake_cluster, requestTimeout=1.5, readTimeout=1.0)
    try:
        fake_cluster.faults.add(
            {"type": "trickle", "bytes_per_second": 20}, method="GET", path="/api/svm/svms"
        )
        started = time.monotonic()
        with pytest.raises(OntapError) as raised:
            await find_svm(client, "p1")
        elapsed = time.monotonic() - started
        assert "no complete answer within requestTimeout 1.5s" in str(raised.value)
        assert "GET /api/svm/svms" in str(raised.value) and raised.value.cluster == "fake"
        # Not repeated within the call (the pass backs off instead): one attempt, bounded.
        assert raised.value.kind == "deadline-exceeded"
        assert elapsed < 1.5 + 1.0, elapsed
        assert fake_cluster.faults.rules()[0]["matched"] == 1
    finally:
        await client.close()


async def test_an_answer_cut_off_before_its_content_length_is_transient() -> None:
    import socket
    import threading

    from ontap.config import OntapClusterConfig
    from tests.ontap.conftest import FAST_RETRIES

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            conn.recv(65536)
            head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
            conn.sendall(head + b'{"records": [')
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    endpoint = f"http://127.0.0.1:{server.getsockname()[1]}"
    config = OntapClusterConfig.model_validate(
        {"name": "cut", "endpoint": endpoint, "username": "a", "password": "b", "readTimeout": 1}
    )
    client = OntapClient(config, retry_policy=FAST_RETRIES)
    try:
        with pytest.raises(OntapTransient, match="connection failed"):
            await find_svm(client, "p1")
    finally:
        await client.close()
        server.close()

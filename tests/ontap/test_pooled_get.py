"""GETs sent on the session's pool directly answer and fail exactly as through the session."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests
from netapp_ontap.host_connection import HostConnection

from ontap import transport
from ontap.client import open_connection
from ontap.errors import OntapError, classify
from ontap.fake.testing import FakeOntapServer, free_port
from tests import support

QUERY = {"name": "p shoot*", "fields": "uuid,name,state", "max_records": "2"}


def connection(fake: FakeOntapServer, **changes: Any) -> HostConnection:
    return open_connection(
        support.cluster_config(fake, read_timeout=0.3, **changes), fake.admin_user, fake.admin_password
    )


def through_session(monkeypatch: pytest.MonkeyPatch) -> None:
    """Send every request through `requests.Session`, as before the pooled GET."""
    monkeypatch.setattr(transport, "open_get", lambda *args, **kwargs: None)


def outcome(call: Callable[[], Any]) -> tuple[str, str]:
    try:
        call()
    except Exception as exc:
        error: OntapError = classify(exc, cluster="fake", operation="read", target="svms")
        return error.kind, str(error)
    return "ok", ""


def test_a_read_goes_to_the_pool_and_writes_through_the_session(fake_ontap: FakeOntapServer) -> None:
    conn = connection(fake_ontap)
    sent: list[str] = []
    session = conn.session
    original = session.request

    def recording(method: str, url: str, **kwargs: Any) -> requests.Response:
        sent.append(method)
        return original(method, url, **kwargs)

    session.request = recording  # type: ignore[method-assign]
    answer = transport.send_json(conn, "GET", "/api/svm/svms", params=QUERY)
    assert answer["num_records"] == 0
    with pytest.raises(Exception):  # noqa: B017 - only where the request went matters here
        transport.send_json(conn, "PATCH", "/api/svm/svms/missing-uuid", body={"comment": "x"})
    assert sent == ["PATCH"]


def test_the_request_on_the_wire_is_the_same(
    fake_ontap: FakeOntapServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    conn = connection(fake_ontap)
    transport.send_json(conn, "GET", "/api/svm/svms", params=QUERY)
    pooled = fake_ontap.requests.entries()[-1]
    through_session(monkeypatch)
    transport.send_json(connection(fake_ontap), "GET", "/api/svm/svms", params=QUERY)
    session = fake_ontap.requests.entries()[-1]
    assert (pooled.method, pooled.path, pooled.query, pooled.user) == (
        session.method,
        session.path,
        session.query,
        session.user,
    )
    assert pooled.query["name"] == "p shoot*" and pooled.user == fake_ontap.admin_user


def test_a_proxy_sends_the_read_through_the_session(fake_ontap: FakeOntapServer) -> None:
    conn = connection(fake_ontap)
    conn.session.proxies = {"http": "http://127.0.0.1:9", "https": "http://127.0.0.1:9"}
    kind, message = outcome(lambda: transport.send_json(conn, "GET", "/api/cluster"))
    # The proxy (nobody listens there) was used: the session sent the read.
    assert kind == "transient" and "ProxyError" in message


FAILURES: dict[str, Callable[[FakeOntapServer], HostConnection]] = {
    "wrong password": lambda fake: open_connection(support.cluster_config(fake), fake.admin_user, "wrong"),
    "nobody listens": lambda fake: connection(fake, endpoint=f"http://127.0.0.1:{free_port()}"),
}


@pytest.mark.parametrize("failure", sorted(FAILURES))
def test_failures_are_the_same_as_through_the_session(
    failure: str, fake_ontap: FakeOntapServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    pooled = outcome(lambda: transport.send_json(FAILURES[failure](fake_ontap), "GET", "/api/cluster"))
    through_session(monkeypatch)
    session = outcome(lambda: transport.send_json(FAILURES[failure](fake_ontap), "GET", "/api/cluster"))
    assert pooled == session
    assert pooled[0] != "ok"


@pytest.mark.parametrize(
    "fault",
    [
        {"type": "error", "status": 404, "code": "4", "message": "entry doesn't exist"},
        {"type": "error", "status": 503, "code": "2", "message": "busy"},
        {"type": "latency", "seconds": 1.0},
        {"type": "reset"},
    ],
    ids=["404", "503", "read timeout", "reset"],
)
def test_answers_and_transport_faults_are_the_same_as_through_the_session(
    fault: dict[str, Any], fake_ontap: FakeOntapServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_ontap.faults.add(fault, method="GET", path="/api/svm/svms")
    pooled = outcome(
        lambda: transport.send_json(connection(fake_ontap), "GET", "/api/svm/svms", params=QUERY)
    )
    through_session(monkeypatch)
    session = outcome(
        lambda: transport.send_json(connection(fake_ontap), "GET", "/api/svm/svms", params=QUERY)
    )
    assert pooled == session
    assert pooled[0] != "ok"


def test_tls_refusal_is_the_same_as_through_the_session(
    fake_ontap_tls: FakeOntapServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    import trustme

    other_ca = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other_ca))
    pooled = outcome(
        lambda: transport.send_json(
            connection(fake_ontap_tls, caBundleFile=str(other_ca)), "GET", "/api/cluster"
        )
    )
    through_session(monkeypatch)
    session = outcome(
        lambda: transport.send_json(
            connection(fake_ontap_tls, caBundleFile=str(other_ca)), "GET", "/api/cluster"
        )
    )
    assert pooled == session
    assert pooled[0] == "tls"

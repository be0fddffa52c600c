"""TLS: verification is on by default, a CA bundle makes it work, insecure only when set."""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import trustme
from netapp_ontap.host_connection import HostConnection
from netapp_ontap.resources.cluster import Cluster

from ontap.client import OntapClient
from ontap.config import OntapClusterConfig
from ontap.errors import OntapTlsError
from ontap.models import cluster_from
from ontap.provisioning.reads import find_svm
from ontap.retry import RetryPolicy


class ClusterHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"name": "tls-cluster", "uuid": "c-uuid", "version": {"full": "9.16.1"}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    server = ThreadingHTTPServer(("127.0.0.1", 0), ClusterHandler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    try:
        yield server.server_address[1], bundle
    finally:
        server.shutdown()
        server.server_close()


def read_cluster(conn: HostConnection) -> dict[str, object]:
    cluster = Cluster()
    cluster.set_connection(conn)
    cluster.get(fields="name,uuid,version")
    return dict(cluster.to_dict())


async def get_cluster_name(config: OntapClusterConfig) -> str:
    client = OntapClient(config, retry_policy=RetryPolicy(attempts=1))
    try:
        record = await client.run(
            read_cluster, operation="GET /api/cluster", target="cluster", mutating=False
        )
    finally:
        await client.close()
    return cluster_from(record).name


def config(port: int, **changes: object) -> OntapClusterConfig:
    data: dict[str, object] = {
        "name": "tls",
        "endpoint": f"https://127.0.0.1:{port}",
        "username": "admin",
        "password": "pw",
        "connectTimeout": 2,
        "readTimeout": 2,
    }
    data.update(changes)
    return OntapClusterConfig.model_validate(data)


async def test_ca_bundle_makes_verification_work(tls_server: tuple[int, Path]) -> None:
    port, bundle = tls_server
    assert await get_cluster_name(config(port, caBundleFile=str(bundle))) == "tls-cluster"


async def test_without_the_ca_verification_fails_clearly(tls_server: tuple[int, Path]) -> None:
    port, _ = tls_server
    with pytest.raises(OntapTlsError) as caught:
        await get_cluster_name(config(port))
    assert "certificate verification failed" in str(caught.value)
    assert "caBundleFile" in str(caught.value)
    assert caught.value.cluster == "tls"


async def test_insecure_works_only_when_set(tls_server: tuple[int, Path]) -> None:
    port, _ = tls_server
    assert config(port).insecure is False
    assert await get_cluster_name(config(port, insecure=True)) == "tls-cluster"


async def test_a_certificate_from_another_ca_is_refused_before_anything_is_read(
    tls_server: tuple[int, Path], tmp_path: Path
) -> None:
    port, _ = tls_server
    other = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    client = OntapClient(config(port, caBundleFile=str(other)), retry_policy=RetryPolicy(attempts=3))
    try:
        with pytest.raises(OntapTlsError) as caught:
            await find_svm(client, "p1")  # through send_json, like every read
    finally:
        await client.close()
    assert "certificate verification failed" in str(caught.value)
    assert caught.value.operation == "GET /api/svm/svms" and caught.value.cluster == "tls"
    assert not caught.value.retryable

"""The shoot client reads a whole answer, however the apiserver splits it, and bounds its size."""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import AsyncIterator

import pytest
import trustme
from aiohttp import web

from controller.shoot_access import client as shoot_client
from controller.shoot_access.client import ShootClient, ShootReadError
from controller.shoot_access.kubeconfig import ShootEndpoint

BACKEND = {
    "kind": "TridentBackendConfig",
    "metadata": {"name": "ontap-p1"},
    "status": {"phase": "Bound", "message": "x" * 20000},
}


async def _in_pieces(request: web.Request) -> web.StreamResponse:
    body = json.dumps(BACKEND).encode()
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    await response.prepare(request)
    for start in range(0, len(body), 4096):  # several chunks, with pauses between them
        await response.write(body[start : start + 4096])
        await asyncio.sleep(0.01)
    await response.write_eof()
    return response


@pytest.fixture
async def shoot_apiserver() -> AsyncIterator[tuple[str, str]]:
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    app = web.Application()
    app.router.add_get(
        "/apis/trident.netapp.io/v1/namespaces/kube-system/tridentbackendconfigs/ontap-p1", _in_pieces
    )
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"https://127.0.0.1:{port}", ca.cert_pem.bytes().decode()
    finally:
        await runner.cleanup()


PATH = "/apis/trident.netapp.io/v1/namespaces/kube-system/tridentbackendconfigs/ontap-p1"


async def test_an_answer_in_several_chunks_is_read_to_its_end(shoot_apiserver: tuple[str, str]) -> None:
    server, ca = shoot_apiserver
    client = ShootClient(ShootEndpoint(server=server, ca_pem=ca, token="t"), timeout=5.0)
    try:
        assert await client.get(PATH) == BACKEND
    finally:
        await client.close()


async def test_an_answer_above_the_limit_is_refused_naming_the_call(
    shoot_apiserver: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shoot_client, "MAX_RESPONSE_BYTES", 10000)
    server, ca = shoot_apiserver
    client = ShootClient(ShootEndpoint(server=server, ca_pem=ca, token="t"), timeout=5.0)
    try:
        with pytest.raises(
            ShootReadError, match=r"GET https://127\.0\.0\.1:\d+/apis/.*larger than 10000 bytes"
        ):
            await client.get(PATH)
    finally:
        await client.close()

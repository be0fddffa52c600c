"""The webhook's HTTPS listener on its own: TLS with the configured certificate, 400 for what is no review."""

from __future__ import annotations

import ssl
from pathlib import Path

import aiohttp

from tests.shoot_webhook.support import started_webhook_server, trident_node_daemonset
from tests.shoot_webhook.test_admission import review


async def test_reviews_are_answered_over_tls_and_garbage_is_refused(tmp_path: Path) -> None:
    server, tls = await started_webhook_server(tmp_path)
    trusted = ssl.create_default_context(cafile=str(tls.ca_file))
    url = f"https://127.0.0.1:{server.port}/webhooks/trident-node/shoot--p1--s1"
    try:
        async with aiohttp.ClientSession() as session:
            async with session.post(url, json=review(trident_node_daemonset()), ssl=trusted) as answer:
                assert answer.status == 200
                body = await answer.json()
                assert body["response"]["allowed"] is True and body["response"]["patchType"] == "JSONPatch"
            async with session.post(url, data=b"{not json", ssl=trusted) as answer:
                assert answer.status == 400
                assert (await answer.json()) == {"error": "the body is not JSON"}
            async with session.post(url, json={"kind": "Pod"}, ssl=trusted) as answer:
                assert answer.status == 400
                assert "AdmissionReview" in (await answer.json())["error"]
            async with session.get(url, ssl=trusted) as answer:
                assert answer.status == 405
            plain = url.replace("https://", "http://")
            try:
                async with session.post(plain, json={}) as answer:
                    refused = answer.status >= 400
            except aiohttp.ClientError:
                refused = True
            assert refused
    finally:
        await server.stop()

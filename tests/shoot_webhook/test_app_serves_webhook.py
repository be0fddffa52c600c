"""The controller process serves the shoot webhook next to its probes when `shootWebhook` is configured."""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path

import aiohttp

from controller.shoot import ShootInfo
from hack.localenv.gardener_objects import cluster_object
from tests.kube_fixtures import KubeTestEnv
from tests.runtime.test_app import app_config, start_app
from tests.shoot_webhook.support import trident_node_daemonset, webhook_tls
from tests.shoot_webhook.test_admission import review


async def test_the_running_controller_answers_reviews_with_the_configured_image(
    kube: KubeTestEnv, tmp_path: Path
) -> None:
    tls = webhook_tls(tmp_path)
    config = app_config(
        kube.namespace,
        shootWebhook={
            "port": 0,
            "certFile": str(tls.cert_file),
            "keyFile": str(tls.key_file),
            "caFile": str(tls.ca_file),
            "url": "https://127.0.0.1",
        },
        images=[{"name": "nvme-tcp-init", "repository": "mirror.example/busybox", "tag": "1.37.0"}],
    )
    running = await start_app(config, kube.namespace, kube.api_client, "replica-w")
    app = running.app
    try:
        for _ in range(100):
            if app.webhook_server is not None and app.webhook_server.port:
                break
            await asyncio.sleep(0.05)
        assert app.webhook_server is not None and app.webhook_server.port
        url = f"https://127.0.0.1:{app.webhook_server.port}/webhooks/trident-node/{kube.namespace}"
        trusted = ssl.create_default_context(cafile=str(tls.ca_file))
        body = review(trident_node_daemonset())
        async with aiohttp.ClientSession() as session, session.post(url, json=body, ssl=trusted) as answer:
            assert answer.status == 200
            assert (await answer.json())["response"]["patchType"] == "JSONPatch"
        assert app.webhook_server.image == "mirror.example/busybox:1.37.0"
    finally:
        app.stop()
        assert await asyncio.wait_for(running.task, timeout=15) == 0


def test_the_shoot_reader_takes_the_provider_type_from_the_shoot() -> None:
    metal = ShootInfo.from_cluster(
        cluster_object("shoot--p1--s1", "p1", "metal"), "cluster.metal-stack.io/project"
    )
    assert metal.provider_type == "metal"
    plain = ShootInfo.from_cluster(cluster_object("shoot--p1--s1", "p1"), "cluster.metal-stack.io/project")
    assert plain.provider_type == ""

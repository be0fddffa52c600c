"""The fault-injecting apiserver proxy: pass-through (WATCH included) and each fault kind."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import pytest
from kubernetes_asyncio import client, watch
from kubernetes_asyncio.client.exceptions import ApiException

from hack.localenv.kube import LocalKubeApiServer
from tests.harness.kube_faults import KubeFaultProxy
from tests.kube_fixtures import KubeTestEnv, new_api_client

pytestmark = pytest.mark.integration


@pytest.fixture
def proxy(kube_apiserver: LocalKubeApiServer, tmp_path: Path) -> Iterator[KubeFaultProxy]:
    with KubeFaultProxy.for_apiserver(kube_apiserver, tmp_path) as running:
        yield running


def _secret(name: str) -> client.V1Secret:
    return client.V1Secret(metadata=client.V1ObjectMeta(name=name), string_data={"k": "v"})


async def test_passes_requests_through_and_logs_them(kube: KubeTestEnv, proxy: KubeFaultProxy) -> None:
    api_client = await new_api_client(proxy.kubeconfig)
    try:
        core = client.CoreV1Api(api_client)
        await core.create_namespaced_secret(kube.namespace, _secret("through"))
        read = await core.read_namespaced_secret("through", kube.namespace)
        assert read.data == {"k": "dg=="}
    finally:
        await api_client.close()
    assert proxy.faults.count("POST", r"/secrets$") == 1
    assert proxy.faults.count(writes_only=True) == 1


async def test_conflict_is_a_proper_status(kube: KubeTestEnv, proxy: KubeFaultProxy) -> None:
    proxy.add({"type": "conflict"}, "POST", r"/namespaces/[^/]+/secrets$", times=1)
    api_client = await new_api_client(proxy.kubeconfig)
    try:
        core = client.CoreV1Api(api_client)
        with pytest.raises(ApiException) as raised:
            await core.create_namespaced_secret(kube.namespace, _secret("conflicted"))
        assert raised.value.status == 409
        assert '"reason":"Conflict"' in str(raised.value.body).replace(" ", "")
        # The rule fired once; the retry goes through.
        await core.create_namespaced_secret(kube.namespace, _secret("conflicted"))
    finally:
        await api_client.close()


async def test_unavailable_for_a_while_then_back(kube: KubeTestEnv, proxy: KubeFaultProxy) -> None:
    api_client = await new_api_client(proxy.kubeconfig)
    try:
        core = client.CoreV1Api(api_client)
        modes: tuple[Literal["503", "reset", "refuse"], ...] = ("503", "reset", "refuse")
        for mode in modes:
            proxy.unavailable(0.6, mode=mode)
            with pytest.raises((ApiException, OSError, Exception)):
                await core.read_namespace(kube.namespace)
            await asyncio.sleep(0.8)
            assert (await core.read_namespace(kube.namespace)).metadata.name == kube.namespace
    finally:
        await api_client.close()


async def test_watch_streams_through_and_is_cut_when_unavailable(
    kube: KubeTestEnv, proxy: KubeFaultProxy
) -> None:
    api_client = await new_api_client(proxy.kubeconfig)
    try:
        core = client.CoreV1Api(api_client)
        seen: list[str] = []

        async def watch_secrets() -> None:
            async with watch.Watch() as stream:
                async for event in stream.stream(
                    core.list_namespaced_secret, kube.namespace, timeout_seconds=30
                ):
                    seen.append(event["object"].metadata.name)

        watcher = asyncio.create_task(watch_secrets())
        await asyncio.sleep(0.5)
        await client.CoreV1Api(kube.api_client).create_namespaced_secret(kube.namespace, _secret("watched"))
        for _ in range(100):
            if "watched" in seen:
                break
            await asyncio.sleep(0.05)
        assert "watched" in seen
        proxy.cut_watches()
        # A cut stream ends the watch (with an error or quietly), it does not hang.
        await asyncio.wait_for(asyncio.gather(watcher, return_exceptions=True), timeout=5)
    finally:
        await api_client.close()


async def test_hang_and_latency(kube: KubeTestEnv, proxy: KubeFaultProxy) -> None:
    proxy.add({"type": "latency", "seconds": 0.3}, "GET", r"/namespaces/[^/]+$", times=1)
    api_client = await new_api_client(proxy.kubeconfig)
    try:
        core = client.CoreV1Api(api_client)
        started = time.monotonic()
        await core.read_namespace(kube.namespace)
        assert time.monotonic() - started >= 0.3
        proxy.add({"type": "hang", "seconds": 5}, "GET", r"/namespaces/[^/]+$", times=1)
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(core.read_namespace(kube.namespace), timeout=0.5)
    finally:
        await api_client.close()

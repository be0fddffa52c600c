"""List + watch against a real kube-apiserver: cache filled, callbacks, reconnects and re-lists."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from kubernetes_asyncio.client.exceptions import ApiException

from controller.runtime.cache import ObjectCache
from controller.runtime.watches import CacheWatches
from tests.kube_fixtures import KubeTestEnv
from tests.runtime.kube_objects import (
    annotate_extension,
    create_cluster,
    create_extension,
    delete_cluster,
    delete_extension,
    eventually,
    patch_cluster,
)

Change = tuple[dict[str, Any] | None, dict[str, Any]]


class Recorder:
    def __init__(self, namespace: str) -> None:
        self.namespace = namespace
        self.extensions: list[Change] = []
        self.clusters: list[Change] = []

    def on_extension(self, old: dict[str, Any] | None, new: dict[str, Any]) -> None:
        if new["metadata"]["namespace"] == self.namespace:
            self.extensions.append((old, new))

    def on_cluster(self, old: dict[str, Any] | None, new: dict[str, Any]) -> None:
        if new["metadata"]["name"] == self.namespace:
            self.clusters.append((old, new))


@pytest.fixture
async def watched(kube: KubeTestEnv) -> AsyncIterator[tuple[CacheWatches, Recorder]]:
    recorder = Recorder(kube.namespace)
    watches = CacheWatches(
        kube.api_client,
        ObjectCache("ontap"),
        on_extension=recorder.on_extension,
        on_cluster=recorder.on_cluster,
        backoff_base=0.05,
        backoff_cap=0.2,
    )
    watches.start()
    try:
        yield watches, recorder
    finally:
        await watches.stop()
        with contextlib.suppress(ApiException):
            await delete_cluster(kube.api_client, kube.namespace)


async def test_initial_list_fills_the_cache(kube: KubeTestEnv) -> None:
    await create_extension(kube.api_client, kube.namespace)
    await create_extension(kube.api_client, kube.namespace, "dns", type_="shoot-dns-service")
    await create_cluster(kube.api_client, kube.namespace)
    recorder = Recorder(kube.namespace)
    cache = ObjectCache("ontap")
    watches = CacheWatches(
        kube.api_client, cache, on_extension=recorder.on_extension, on_cluster=recorder.on_cluster
    )
    watches.start()
    try:
        await eventually(cache.synced.is_set, message="cache synced")
        ext = cache.get_extension(kube.namespace, "ontap")
        assert ext is not None and "managedFields" not in ext["metadata"]
        assert cache.get_extension(kube.namespace, "dns") is None
        assert cache.get_cluster(kube.namespace) is not None
        assert [old for old, _ in recorder.extensions] == [None]
        assert len(recorder.clusters) == 1
        assert watches.extensions.lists == 1
        assert watches.alive
    finally:
        await watches.stop()
        await delete_cluster(kube.api_client, kube.namespace)


async def test_adds_updates_and_deletes_arrive(
    kube: KubeTestEnv, watched: tuple[CacheWatches, Recorder]
) -> None:
    watches, recorder = watched
    cache = watches.cache
    await eventually(cache.synced.is_set, message="cache synced")

    await create_extension(kube.api_client, kube.namespace)
    await create_extension(kube.api_client, kube.namespace, "other", type_="other")
    await eventually(lambda: len(recorder.extensions) == 1, message="add event")
    assert recorder.extensions[0][0] is None

    await annotate_extension(
        kube.api_client, kube.namespace, "ontap", {"gardener.cloud/operation": "reconcile"}
    )
    await eventually(lambda: len(recorder.extensions) == 2, message="update event")
    old, new = recorder.extensions[1]
    assert old is not None and "gardener.cloud/operation" not in (old["metadata"].get("annotations") or {})
    assert new["metadata"]["annotations"]["gardener.cloud/operation"] == "reconcile"
    cached = cache.get_extension(kube.namespace, "ontap")
    assert cached is not None and cached["metadata"]["annotations"]["gardener.cloud/operation"] == "reconcile"

    await create_cluster(kube.api_client, kube.namespace)
    await eventually(lambda: len(recorder.clusters) == 1, message="cluster add")
    await patch_cluster(
        kube.api_client, kube.namespace, {"spec": {"shoot": {"status": {"hibernated": True}}}}
    )
    await eventually(lambda: len(recorder.clusters) == 2, message="cluster update")
    assert recorder.clusters[1][0] is not None
    stored = cache.get_cluster(kube.namespace)
    assert stored is not None and stored["spec"]["shoot"]["status"]["hibernated"] is True

    await delete_extension(kube.api_client, kube.namespace, "ontap")
    await eventually(lambda: cache.get_extension(kube.namespace, "ontap") is None, message="delete")
    assert len(recorder.extensions) == 2  # deletes do not call back
    assert watches.extensions.lists == 1


async def test_broken_watch_resumes_without_losing_events(
    kube: KubeTestEnv, watched: tuple[CacheWatches, Recorder]
) -> None:
    watches, recorder = watched
    await eventually(watches.cache.synced.is_set, message="cache synced")
    await eventually(lambda: watches.extensions._response is not None, message="watch open")
    opened = watches.extensions.watches
    watches.extensions.interrupt()
    await create_extension(kube.api_client, kube.namespace)
    await eventually(lambda: len(recorder.extensions) == 1, message="event after reconnect")
    assert watches.extensions.watches > opened
    assert watches.extensions.lists == 1  # resumed from the resourceVersion, no new list


class ExpiredWatchResponse:
    """What the apiserver streams when the resourceVersion to watch from is too old."""

    status = 200

    def __init__(self) -> None:
        line = json.dumps(
            {
                "type": "ERROR",
                "object": {
                    "kind": "Status",
                    "status": "Failure",
                    "reason": "Expired",
                    "message": "too old resource version",
                    "code": 410,
                },
            }
        )
        self._lines = [line.encode() + b"\n"]
        self.content = self

    async def readline(self) -> bytes:
        return self._lines.pop(0) if self._lines else b""

    def close(self) -> None:
        return None


async def test_gone_watch_lists_again(kube: KubeTestEnv, watched: tuple[CacheWatches, Recorder]) -> None:
    watches, recorder = watched
    await eventually(watches.cache.synced.is_set, message="cache synced")
    await eventually(lambda: watches.extensions._response is not None, message="watch open")
    rest: Any = kube.api_client.rest_client
    original = rest.request
    expired_once = {"done": False}

    async def request(method: str, url: str, query_params: Any = None, *args: Any, **kwargs: Any) -> Any:
        is_extension_watch = "/extensions" in url and ("watch", True) in (query_params or [])
        if is_extension_watch and not expired_once["done"]:
            expired_once["done"] = True
            return ExpiredWatchResponse()
        return await original(method, url, query_params, *args, **kwargs)

    rest.request = request
    watches.extensions.interrupt()
    await eventually(lambda: watches.extensions.lists == 2, message="re-list after 410")
    await create_extension(kube.api_client, kube.namespace)
    await eventually(lambda: len(recorder.extensions) == 1, message="event after re-list")
    assert expired_once["done"]

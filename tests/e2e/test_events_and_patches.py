"""Events deduplication and redaction, and the optimistic-concurrency guards of the Extension patches."""

from __future__ import annotations

import pytest
from kubernetes_asyncio import client as k8s

from controller.kube.events import EventMemory, EventRecorder
from controller.kube.extensions import ExtensionConflict, get_extension, patch_metadata, patch_status
from controller.runtime.logging import forget_secrets, register_secret
from tests.e2e.conftest import World


async def _events(world: World, namespace: str) -> list[k8s.CoreV1Event]:
    listing = await k8s.CoreV1Api(world.test_client).list_namespaced_event(namespace)
    return list(listing.items)


async def test_same_event_within_the_window_bumps_the_count(world: World) -> None:
    shoot = world.shoot()
    await shoot.create()
    ext = await get_extension(world.api_client, shoot.namespace, "ontap")
    assert ext is not None
    now = [1000.0]
    recorder = EventRecorder(world.api_client, ext, memory=EventMemory(), window=60, clock=lambda: now[0])
    await recorder.warning("CreateFailed", "SVM p1: refused")
    now[0] += 10
    await recorder.warning("CreateFailed", "SVM p1: refused")
    await recorder.normal("SvmChanged", "SVM p1: created")
    events = await _events(world, shoot.namespace)
    by_reason = {e.reason: e for e in events}
    assert len(events) == 2
    assert by_reason["CreateFailed"].count == 2
    assert by_reason["CreateFailed"].type == "Warning"
    assert by_reason["CreateFailed"].involved_object.name == "ontap"
    assert by_reason["CreateFailed"].involved_object.kind == "Extension"
    assert by_reason["CreateFailed"].source.component == "gardener-extension-ontap"
    assert by_reason["SvmChanged"].count == 1

    now[0] += 120  # outside the window: a new Event
    await recorder.warning("CreateFailed", "SVM p1: refused")
    assert len(await _events(world, shoot.namespace)) == 3


async def test_an_expired_event_is_recreated(world: World) -> None:
    shoot = world.shoot()
    await shoot.create()
    ext = await get_extension(world.api_client, shoot.namespace, "ontap")
    assert ext is not None
    recorder = EventRecorder(world.api_client, ext, memory=EventMemory())
    await recorder.normal("X", "y")
    for event in await _events(world, shoot.namespace):
        await k8s.CoreV1Api(world.test_client).delete_namespaced_event(event.metadata.name, shoot.namespace)
    await recorder.normal("X", "y")
    events = await _events(world, shoot.namespace)
    assert [(e.reason, e.count) for e in events] == [("X", 1)]


async def test_registered_secrets_never_reach_an_event(world: World) -> None:
    shoot = world.shoot()
    await shoot.create()
    ext = await get_extension(world.api_client, shoot.namespace, "ontap")
    assert ext is not None
    secret = "Sup3r-secret-value-42"
    register_secret(secret)
    try:
        await EventRecorder(world.api_client, ext, memory=EventMemory()).warning(
            "Oops", f"login {secret} failed"
        )
    finally:
        forget_secrets()
    events = await _events(world, shoot.namespace)
    assert secret not in events[0].message
    assert "[REDACTED]" in events[0].message


async def test_patches_with_a_stale_resource_version_conflict(world: World) -> None:
    shoot = world.shoot()
    await shoot.create()
    stale = await get_extension(world.api_client, shoot.namespace, "ontap")
    assert stale is not None
    await shoot.annotate({"someone": "else"})
    with pytest.raises(ExtensionConflict):
        await patch_metadata(world.api_client, stale, finalizers=["extensions.gardener.cloud/ontap"])
    with pytest.raises(ExtensionConflict):
        await patch_status(world.api_client, stale, {"observedGeneration": 1})
    fresh = await get_extension(world.api_client, shoot.namespace, "ontap")
    assert fresh is not None
    updated = await patch_metadata(
        world.api_client, fresh, finalizers=["extensions.gardener.cloud/ontap"], annotations={"someone": None}
    )
    assert updated["metadata"]["finalizers"] == ["extensions.gardener.cloud/ontap"]
    assert "someone" not in (updated["metadata"].get("annotations") or {})
    written = await patch_status(world.api_client, updated, {"observedGeneration": 1})
    assert written["status"]["observedGeneration"] == 1
    # Status writes never touch metadata or spec.
    assert written["metadata"]["finalizers"] == ["extensions.gardener.cloud/ontap"]


async def test_get_extension_returns_none_when_absent(world: World) -> None:
    assert await get_extension(world.api_client, world.kube.namespace, "missing") is None

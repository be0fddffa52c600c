"""Kubernetes Events (core/v1) on an Extension, deduplicated like client-go's event correlator.

The same (type, reason, message) on the same object within `window` seconds bumps the existing Event's
`count` and `lastTimestamp` instead of creating another one. Messages go through the log redactor, so a
registered secret can never end up in an Event. Recording an Event never fails a reconcile because of
the API server. A type other than `Normal`/`Warning` or a reason that is not a short UpperCamelCase word
is a programming error and raises: Kubernetes' Event (`k8s.io/api` core/v1 `types.go`: the reason
"should be a short, machine understandable string"; `k8s.io/kubernetes`
`pkg/apis/core/validation/events.go`: type `Normal` or `Warning`, reason at most 128 characters).
"""

from __future__ import annotations

import re
import secrets
import socket
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog
from kubernetes_asyncio import client
from kubernetes_asyncio.client.exceptions import ApiException

from controller.kube.client import json_answer

COMPONENT = "gardener-extension-ontap"
NORMAL = "Normal"
WARNING = "Warning"
DEFAULT_WINDOW = 600.0
MAX_MESSAGE = 1024
MAX_REMEMBERED = 4096
MERGE_PATCH = "application/merge-patch+json"
EVENT_TYPES = frozenset({NORMAL, WARNING})
# UpperCamelCase, at most 128 characters (the API server's limit on `reason`).
REASON_PATTERN = re.compile(r"[A-Z][A-Za-z0-9]{0,127}")


def check_event(event_type: str, reason: str) -> None:
    """Raise ValueError unless `event_type` is Normal/Warning and `reason` is UpperCamelCase."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"event type {event_type!r}: must be {NORMAL!r} or {WARNING!r}")
    if not REASON_PATTERN.fullmatch(reason):
        raise ValueError(f"event reason {reason!r}: must be UpperCamelCase (letters and digits, <= 128)")


log = structlog.get_logger(__name__)


def _redact(text: str) -> str:
    from controller.runtime.logging import redact_text

    return redact_text(text)


def _timestamp(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class _Seen:
    name: str
    namespace: str
    count: int
    last: float


class EventMemory:
    """Which Events were recorded recently, shared by all recorders of a process (bounded LRU)."""

    def __init__(self, max_entries: int = MAX_REMEMBERED) -> None:
        self._entries: OrderedDict[tuple[str, ...], _Seen] = OrderedDict()
        self._max = max_entries

    def get(self, key: tuple[str, ...]) -> _Seen | None:
        return self._entries.get(key)

    def put(self, key: tuple[str, ...], seen: _Seen) -> None:
        self._entries[key] = seen
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def forget(self, key: tuple[str, ...]) -> None:
        self._entries.pop(key, None)

    def __len__(self) -> int:
        return len(self._entries)


SHARED_MEMORY = EventMemory()


def involved_object_ref(obj: dict[str, Any]) -> dict[str, Any]:
    """The `involvedObject` reference of an Event about `obj`."""
    meta = obj.get("metadata") or {}
    ref = {
        "apiVersion": obj.get("apiVersion") or "extensions.gardener.cloud/v1alpha1",
        "kind": obj.get("kind") or "Extension",
        "name": meta.get("name"),
        "namespace": meta.get("namespace"),
        "uid": meta.get("uid"),
    }
    return {k: v for k, v in ref.items() if v}


class EventRecorder:
    """Records Events about one object; `normal` / `warning` match the steps' `EventSink`."""

    def __init__(
        self,
        api_client: Any,
        involved_object: dict[str, Any],
        component: str = COMPONENT,
        *,
        memory: EventMemory | None = None,
        window: float = DEFAULT_WINDOW,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._api = client.CoreV1Api(api_client)
        self._ref = involved_object_ref(involved_object)
        self._component = component
        self._memory = memory if memory is not None else SHARED_MEMORY
        self._window = window
        self._clock = clock

    async def normal(self, reason: str, message: str) -> None:
        """Record a Normal Event."""
        await self.record(NORMAL, reason, message)

    async def warning(self, reason: str, message: str) -> None:
        """Record a Warning Event."""
        await self.record(WARNING, reason, message)

    async def record(self, event_type: str, reason: str, message: str) -> None:
        """Create the Event, or bump the count of the same one recorded within the window."""
        check_event(event_type, reason)
        text = _redact(message)
        if len(text) > MAX_MESSAGE:
            text = text[: MAX_MESSAGE - 3] + "..."
        key = (
            str(self._ref.get("namespace", "")),
            str(self._ref.get("name", "")),
            str(self._ref.get("uid", "")),
            event_type,
            reason,
            text,
        )
        now = self._clock()
        try:
            seen = self._memory.get(key)
            if seen is not None and now - seen.last <= self._window and await self._bump(seen, now):
                self._memory.put(key, seen)
                return
            self._memory.put(key, await self._create(event_type, reason, text, now))
        except ApiException as exc:
            log.warning(
                "event not recorded",
                reason=reason,
                object=f"{self._ref.get('namespace')}/{self._ref.get('name')}",
                status=exc.status,
            )

    async def _bump(self, seen: _Seen, now: float) -> bool:
        patch = {"count": seen.count + 1, "lastTimestamp": _timestamp(now)}
        try:
            await json_answer(
                self._api.patch_namespaced_event(
                    seen.name,
                    seen.namespace,
                    patch,
                    _content_type=MERGE_PATCH,  # type: ignore[call-arg]
                    _preload_content=False,
                )
            )
        except ApiException as exc:
            if exc.status == 404:  # expired (events have a TTL): start a new one
                return False
            raise
        seen.count += 1
        seen.last = now
        return True

    async def _create(self, event_type: str, reason: str, message: str, now: float) -> _Seen:
        namespace = str(self._ref.get("namespace") or "default")
        name = f"{self._ref.get('name', 'extension')}.{secrets.token_hex(8)}"
        stamp = _timestamp(now)
        body: Any = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": name, "namespace": namespace},
            "involvedObject": self._ref,
            "reason": reason,
            "message": message,
            "type": event_type,
            "source": {"component": self._component},
            "reportingComponent": self._component,
            "reportingInstance": socket.gethostname()[:128],
            "firstTimestamp": stamp,
            "lastTimestamp": stamp,
            "count": 1,
        }
        await json_answer(self._api.create_namespaced_event(namespace, body, _preload_content=False))
        return _Seen(name=name, namespace=namespace, count=1, last=now)

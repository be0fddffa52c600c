"""List + watch of Extensions (all namespaces) and Clusters into the `ObjectCache`.

Each resource follows client-go's reflector: list (paged), then watch from the list's
resourceVersion with bookmarks; a watch that ends is re-opened from the last seen
resourceVersion; `410 Gone` (the version is too old) means a fresh list; any other error
re-opens the watch after a capped exponential backoff with jitter.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import structlog
from kubernetes_asyncio import client
from kubernetes_asyncio.client.exceptions import ApiException

from controller.kube.apis import EXTENSIONS_GROUP, EXTENSIONS_VERSION
from controller.runtime import metrics
from controller.runtime.cache import Change, ObjectCache
from controller.runtime.cached_fields import cluster_fields
from controller.runtime.shutdown import cancel_and_wait
from controller.runtime.workqueue import backoff_delay

Obj = dict[str, Any]
ChangeHandler = Callable[[Obj | None, Obj], None]

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class WatchedResource:
    """A cluster-wide listable custom resource."""

    group: str
    version: str
    plural: str
    page_size: int = 500


EXTENSIONS = WatchedResource(EXTENSIONS_GROUP, EXTENSIONS_VERSION, "extensions")
# A Cluster embeds the whole Shoot, Seed and CloudProfile: small pages keep the initial list's peak
# memory low, as only a few fields of each item are kept (`cached_fields`).
CLUSTERS = WatchedResource(EXTENSIONS_GROUP, EXTENSIONS_VERSION, "clusters", page_size=50)


class WatchExpired(Exception):
    """The resourceVersion to watch from is gone (HTTP 410): a new list is needed."""


class ResourceWatch:
    """Keeps one resource's list + watch running until cancelled (see module docstring)."""

    def __init__(
        self,
        api_client: Any,
        resource: WatchedResource,
        *,
        on_list: Callable[[list[Obj]], None],
        on_event: Callable[[str, Obj], None],
        keep: Callable[[Obj], Obj | None] | None = None,
        page_size: int | None = None,
        watch_timeout: tuple[int, int] = (300, 600),
        read_timeout: float = 120.0,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
    ) -> None:
        self._api: Any = client.CustomObjectsApi(api_client)
        self.resource = resource
        self._on_list = on_list
        self._on_event = on_event
        self._keep = keep
        self._page_size = page_size or resource.page_size
        self._watch_timeout = watch_timeout
        self._read_timeout = read_timeout
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._response: Any = None
        self.lists = 0
        self.watches = 0
        self.resource_version: str | None = None
        self._log = log.bind(resource=resource.plural)

    async def run(self) -> None:
        """List, then watch forever (until cancelled)."""
        failures = 0
        while True:
            try:
                if self.resource_version is None:
                    items, self.resource_version = await self._list()
                    self._deliver_list(items)
                await self._watch()
                failures = 0
            except WatchExpired:
                metrics.WATCH_RESTARTS.labels(resource=self.resource.plural, reason="expired").inc()
                self._log.info(
                    "watch expired (410 Gone); listing again", resource_version=self.resource_version
                )
                self.resource_version = None
            except TimeoutError:
                metrics.WATCH_RESTARTS.labels(resource=self.resource.plural, reason="timeout").inc()
                self._log.info("watch read timed out; re-opening", resource_version=self.resource_version)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failures += 1
                delay = backoff_delay(failures, base=self._backoff_base, cap=self._backoff_cap, jitter=0.5)
                metrics.WATCH_RESTARTS.labels(resource=self.resource.plural, reason="error").inc()
                self._log.warning(
                    "list/watch failed; retrying",
                    error=_describe(exc),
                    failures=failures,
                    retry_in=round(delay, 2),
                )
                await asyncio.sleep(delay)

    def interrupt(self) -> None:
        """Close the open watch connection; the watch is re-opened from the last resourceVersion."""
        if self._response is not None:
            self._response.close()

    async def _list(self) -> tuple[list[Obj], str]:
        items: list[Obj] = []
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"limit": self._page_size}
            if token:
                kwargs["_continue"] = token
            try:
                page = await self._api.list_cluster_custom_object(
                    self.resource.group, self.resource.version, self.resource.plural, **kwargs
                )
            except ApiException as exc:
                if exc.status == 410 and token:
                    # The continue token expired mid-list: start over from a fresh snapshot.
                    items, token = [], None
                    continue
                raise
            listed = page.get("items") or []
            if self._keep is None:
                items.extend(listed)
            else:
                # What the cache would drop goes with its page, not after the whole list.
                items.extend(kept for kept in map(self._keep, listed) if kept is not None)
            metadata = page.get("metadata") or {}
            token = metadata.get("continue")
            if not token:
                self.lists += 1
                return items, str(metadata.get("resourceVersion") or "")

    def _deliver_list(self, items: list[Obj]) -> None:
        try:
            self._on_list(items)
        except Exception as exc:
            self._log.exception("handling the list failed", error=_describe(exc))

    async def _watch(self) -> None:
        timeout_seconds = random.randint(*self._watch_timeout)
        self.watches += 1
        response = await self._api.list_cluster_custom_object(
            self.resource.group,
            self.resource.version,
            self.resource.plural,
            watch=True,
            allow_watch_bookmarks=True,
            resource_version=self.resource_version,
            timeout_seconds=timeout_seconds,
            _preload_content=False,
            _request_timeout=(10, self._read_timeout),
        )
        self._response = response
        try:
            if response.status == 410:
                raise WatchExpired()
            if response.status != 200:
                body = (await response.read())[:300].decode("utf-8", "replace")
                raise ApiException(status=response.status, reason=body)
            while True:
                line = await response.content.readline()
                if not line:
                    return
                self._handle_line(line)
        finally:
            self._response = None
            response.close()

    def _handle_line(self, line: bytes) -> None:
        event = json.loads(line)
        kind = event.get("type")
        obj = event.get("object") or {}
        if kind == "ERROR":
            if obj.get("code") == 410:
                raise WatchExpired()
            raise ApiException(status=obj.get("code") or 500, reason=str(obj.get("message") or obj))
        resource_version = (obj.get("metadata") or {}).get("resourceVersion")
        if resource_version:
            self.resource_version = str(resource_version)
        if kind == "BOOKMARK":
            return
        try:
            self._on_event(str(kind), obj)
        except Exception as exc:
            self._log.exception("handling a watch event failed", event_type=kind, error=_describe(exc))


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ApiException):
        return f"HTTP {exc.status}: {exc.reason}"
    return f"{type(exc).__name__}: {exc}"


class CacheWatches:
    """The Extension and Cluster watches that fill an `ObjectCache` and report adds and updates.

    Deletes only leave the cache: deletion is driven by the Extension's deletionTimestamp
    (an update), never by the DELETE event, because the finalizer keeps the object until then.
    """

    def __init__(
        self,
        api_client: Any,
        cache: ObjectCache,
        *,
        on_extension: ChangeHandler,
        on_cluster: ChangeHandler,
        on_extension_list: Callable[[list[Change]], None] | None = None,
        **watch_options: Any,
    ) -> None:
        self.cache = cache
        self._on_extension = on_extension
        self._on_extension_list = on_extension_list
        self._on_cluster = on_cluster
        self.extensions = ResourceWatch(
            api_client,
            EXTENSIONS,
            on_list=self._extension_list,
            on_event=self._extension_event,
            keep=cache.keep_listed_extension,
            **watch_options,
        )
        self.clusters = ResourceWatch(
            api_client,
            CLUSTERS,
            on_list=self._cluster_list,
            on_event=self._cluster_event,
            keep=cluster_fields,
            **watch_options,
        )
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        """Start both watches in the background."""
        if self._tasks:
            return
        self._tasks = [
            asyncio.create_task(self.clusters.run(), name="watch-clusters"),
            asyncio.create_task(self.extensions.run(), name="watch-extensions"),
        ]

    @property
    def alive(self) -> bool:
        """Whether both watch loops are still running."""
        return bool(self._tasks) and not any(task.done() for task in self._tasks)

    async def stop(self) -> None:
        """Stop both watches."""
        await cancel_and_wait(*self._tasks)
        self._tasks = []

    def _extension_list(self, items: list[Obj]) -> None:
        changes = self.cache.replace_extensions(items)
        if self._on_extension_list is not None:
            # A list is a burst: the handler sees it whole, to choose the order of the work.
            self._on_extension_list(changes)
            return
        for old, new in changes:
            self._on_extension(old, new)

    def _extension_event(self, kind: str, obj: Obj) -> None:
        if kind == "DELETED":
            self.cache.delete_extension(obj)
            return
        change = self.cache.upsert_extension(obj)
        if change is not None:
            self._on_extension(*change)

    def _cluster_list(self, items: list[Obj]) -> None:
        for old, new in self.cache.replace_clusters(items):
            self._on_cluster(old, new)

    def _cluster_event(self, kind: str, obj: Obj) -> None:
        if kind == "DELETED":
            self.cache.delete_cluster(obj)
            return
        self._on_cluster(*self.cache.upsert_cluster(obj))

"""In-memory store of the Extensions of our type and of all Clusters, filled by the watches.

What is kept of each object is decided in `cached_fields` (a Cluster's few fields the controller
reads, an Extension without managed fields), and kept as compact JSON: a seed with ten thousand shoots
stays small, and every read decodes a fresh copy, so no reader can change the cache by accident.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter, defaultdict
from typing import Any

from controller.runtime import metrics
from controller.runtime.cached_fields import cluster_fields, extension_fields

Obj = dict[str, Any]
Change = tuple[Obj | None, Obj]
NamespacedKey = tuple[str, str]

_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, check_circular=False)


def _encode(obj: Obj) -> bytes:
    return _ENCODER.encode(obj).encode()


def _decode(stored: bytes | None) -> Obj | None:
    if stored is None:
        return None
    obj: Obj = json.loads(stored)
    return obj


def object_key(obj: Obj) -> NamespacedKey:
    """(namespace, name) of an object."""
    metadata = obj.get("metadata") or {}
    return str(metadata.get("namespace") or ""), str(metadata.get("name") or "")


def _resource_version(obj: Obj | None) -> str | None:
    if obj is None:
        return None
    return (obj.get("metadata") or {}).get("resourceVersion")


class ObjectCache:
    """Extensions (only `spec.type == extension_type`) by (namespace, name) and Clusters by name."""

    def __init__(self, extension_type: str) -> None:
        self.extension_type = extension_type
        self._extensions: dict[NamespacedKey, bytes] = {}
        self._names_by_namespace: defaultdict[str, set[str]] = defaultdict(set)
        self._clusters: dict[str, bytes] = {}
        self.extensions_synced = asyncio.Event()
        self.clusters_synced = asyncio.Event()
        self.synced = asyncio.Event()
        self._extension_gauge = metrics.CACHE_OBJECTS.labels(resource="extensions")
        self._cluster_gauge = metrics.CACHE_OBJECTS.labels(resource="clusters")
        # Extensions by (lastOperation type, state), for `ontap_extension_extensions`.
        self._states: Counter[tuple[str, str]] = Counter()
        self._state_of: dict[NamespacedKey, tuple[str, str]] = {}

    # -- reads -------------------------------------------------------------------------------

    def get_extension(self, namespace: str, name: str) -> Obj | None:
        """The cached Extension (a fresh copy), or None (not of our type, deleted, or not seen yet)."""
        return _decode(self._extensions.get((namespace, name)))

    def get_cluster(self, name: str) -> Obj | None:
        """The cached Cluster `name` (== seed namespace; the fields in `cached_fields`), or None."""
        return _decode(self._clusters.get(name))

    def extensions(self) -> list[Obj]:
        """All cached Extensions."""
        return [json.loads(stored) for stored in self._extensions.values()]

    def extension_keys(self, namespace: str | None = None) -> list[NamespacedKey]:
        """Keys of the cached Extensions, optionally of one namespace."""
        if namespace is None:
            return list(self._extensions)
        return [(namespace, name) for name in sorted(self._names_by_namespace.get(namespace, ()))]

    def state_counts(self) -> dict[str, int]:
        """Cached Extensions by `status.lastOperation.state` ("none" for those without one)."""
        counts: Counter[str] = Counter()
        for (_, state), count in self._states.items():
            counts[state] += count
        return {state: count for state, count in counts.items() if count}

    def clusters(self) -> list[Obj]:
        """All cached Clusters."""
        return [json.loads(stored) for stored in self._clusters.values()]

    def is_ours(self, extension: Obj) -> bool:
        """Whether an Extension is of the type this controller handles."""
        return (extension.get("spec") or {}).get("type") == self.extension_type

    def keep_listed_extension(self, extension: Obj) -> Obj | None:
        """What the cache would keep of a listed Extension (None when it is not ours), for the watch
        to drop the rest as each page of a list arrives."""
        return extension_fields(extension) if self.is_ours(extension) else None

    # -- writes (from the watches) -------------------------------------------------------------

    def upsert_extension(self, extension: Obj) -> Change | None:
        """Store an added or modified Extension; returns (old, new), or None if it is not ours."""
        key = object_key(extension)
        if not self.is_ours(extension):
            # An Extension whose type changed away from ours is no longer our business.
            self._forget_extension(key)
            return None
        new = extension_fields(extension)
        old = _decode(self._extensions.get(key))
        self._store_extension(key, new)
        self._extension_gauge.set(len(self._extensions))
        return old, new

    def delete_extension(self, extension: Obj) -> Obj | None:
        """Forget a deleted Extension; returns what was cached."""
        return self._forget_extension(object_key(extension))

    def replace_extensions(self, items: list[Obj]) -> list[Change]:
        """Replace the store with a fresh list; returns the added or changed ones as (old, new)."""
        previous = self._extensions
        self._extensions = {}
        self._names_by_namespace = defaultdict(set)
        self._state_of = {}
        changes: list[Change] = []
        for item in items:
            if not self.is_ours(item):
                continue
            key = object_key(item)
            new = extension_fields(item)
            old = _decode(previous.get(key))
            self._store_extension(key, new, count=False)
            if _resource_version(old) != _resource_version(new):
                changes.append((old, new))
        self._recount_states()
        self._extension_gauge.set(len(self._extensions))
        self.extensions_synced.set()
        self._update_synced()
        return changes

    def upsert_cluster(self, cluster: Obj) -> Change:
        """Store an added or modified Cluster; returns (old, new) as kept."""
        new = cluster_fields(cluster)
        name = object_key(new)[1]
        old = _decode(self._clusters.get(name))
        self._clusters[name] = _encode(new)
        self._cluster_gauge.set(len(self._clusters))
        return old, new

    def delete_cluster(self, cluster: Obj) -> Obj | None:
        """Forget a deleted Cluster; returns what was cached."""
        old = _decode(self._clusters.pop(object_key(cluster)[1], None))
        self._cluster_gauge.set(len(self._clusters))
        return old

    def replace_clusters(self, items: list[Obj]) -> list[Change]:
        """Replace the Cluster store with a fresh list; returns the added or changed ones."""
        previous = self._clusters
        self._clusters = {}
        changes: list[Change] = []
        for item in items:
            new = cluster_fields(item)
            name = object_key(new)[1]
            old = _decode(previous.get(name))
            self._clusters[name] = _encode(new)
            if _resource_version(old) != _resource_version(new):
                changes.append((old, new))
        self._cluster_gauge.set(len(self._clusters))
        self.clusters_synced.set()
        self._update_synced()
        return changes

    def _store_extension(self, key: NamespacedKey, extension: Obj, *, count: bool = True) -> None:
        self._extensions[key] = _encode(extension)
        self._names_by_namespace[key[0]].add(key[1])
        labels = metrics.last_operation_labels(extension)
        previous = self._state_of.get(key)
        self._state_of[key] = labels
        if count and previous != labels:
            self._move_state(previous, labels)

    def _forget_extension(self, key: NamespacedKey) -> Obj | None:
        stored = self._extensions.pop(key, None)
        if stored is None:
            return None
        names = self._names_by_namespace.get(key[0])
        if names is not None:
            names.discard(key[1])
            if not names:
                del self._names_by_namespace[key[0]]
        self._move_state(self._state_of.pop(key, None), None)
        self._extension_gauge.set(len(self._extensions))
        return _decode(stored)

    def _move_state(self, old: tuple[str, str] | None, new: tuple[str, str] | None) -> None:
        changed: set[tuple[str, str]] = set()
        for labels, delta in ((old, -1), (new, 1)):
            if labels is not None:
                self._states[labels] += delta
                changed.add(labels)
        self._publish_states(changed)

    def _recount_states(self) -> None:
        before = set(self._states)
        self._states = Counter(self._state_of.values())
        self._publish_states(before | set(self._states))

    def _publish_states(self, labels: set[tuple[str, str]]) -> None:
        for op_type, state in labels:
            metrics.EXTENSIONS.labels(last_operation_type=op_type, last_operation_state=state).set(
                self._states[(op_type, state)]
            )

    def _update_synced(self) -> None:
        if self.extensions_synced.is_set() and self.clusters_synced.is_set():
            self.synced.set()

"""In-memory store of the Extensions of our type and of all Clusters, filled by the watches.

Objects are kept as the plain dicts the API server sent, minus `metadata.managedFields` (often
larger than the object itself), so a seed with thousands of shoots stays small.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from controller.runtime import metrics

Obj = dict[str, Any]
Change = tuple[Obj | None, Obj]
NamespacedKey = tuple[str, str]

# Embedded objects in a Cluster that may carry their own managedFields.
_CLUSTER_EMBEDDED = ("shoot", "seed", "cloudProfile")


def strip_object(obj: Obj) -> Obj:
    """`obj` without `metadata.managedFields` (changed in place and returned)."""
    metadata = obj.get("metadata")
    if isinstance(metadata, dict):
        metadata.pop("managedFields", None)
    return obj


def strip_cluster(cluster: Obj) -> Obj:
    """A Cluster without managed fields, also in its embedded Shoot, Seed and CloudProfile."""
    strip_object(cluster)
    spec = cluster.get("spec")
    if isinstance(spec, dict):
        for name in _CLUSTER_EMBEDDED:
            embedded = spec.get(name)
            if isinstance(embedded, dict):
                strip_object(embedded)
    return cluster


def _key(obj: Obj) -> NamespacedKey:
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
        self._extensions: dict[NamespacedKey, Obj] = {}
        self._clusters: dict[str, Obj] = {}
        self.extensions_synced = asyncio.Event()
        self.clusters_synced = asyncio.Event()
        self.synced = asyncio.Event()
        self._extension_gauge = metrics.CACHE_OBJECTS.labels(resource="extensions")
        self._cluster_gauge = metrics.CACHE_OBJECTS.labels(resource="clusters")
        # Extensions by (lastOperation type, state), for `ontap_extension_extensions`.
        self._states: Counter[tuple[str, str]] = Counter()

    # -- reads -------------------------------------------------------------------------------

    def get_extension(self, namespace: str, name: str) -> Obj | None:
        """The cached Extension, or None (not of our type, deleted, or not seen yet)."""
        return self._extensions.get((namespace, name))

    def get_cluster(self, name: str) -> Obj | None:
        """The cached Cluster `name` (== seed namespace), or None."""
        return self._clusters.get(name)

    def extensions(self) -> list[Obj]:
        """All cached Extensions."""
        return list(self._extensions.values())

    def extension_keys(self, namespace: str | None = None) -> list[NamespacedKey]:
        """Keys of the cached Extensions, optionally of one namespace."""
        return [key for key in self._extensions if namespace is None or key[0] == namespace]

    def clusters(self) -> list[Obj]:
        """All cached Clusters."""
        return list(self._clusters.values())

    def is_ours(self, extension: Obj) -> bool:
        """Whether an Extension is of the type this controller handles."""
        return (extension.get("spec") or {}).get("type") == self.extension_type

    # -- writes (from the watches) -------------------------------------------------------------

    def upsert_extension(self, extension: Obj) -> Change | None:
        """Store an added or modified Extension; returns (old, new), or None if it is not ours."""
        key = _key(extension)
        if not self.is_ours(extension):
            # An Extension whose type changed away from ours is no longer our business.
            self._count_state(self._extensions.pop(key, None), None)
            self._extension_gauge.set(len(self._extensions))
            return None
        new = strip_object(extension)
        old = self._extensions.get(key)
        self._extensions[key] = new
        self._count_state(old, new)
        self._extension_gauge.set(len(self._extensions))
        return old, new

    def delete_extension(self, extension: Obj) -> Obj | None:
        """Forget a deleted Extension; returns what was cached."""
        old = self._extensions.pop(_key(extension), None)
        self._count_state(old, None)
        self._extension_gauge.set(len(self._extensions))
        return old

    def replace_extensions(self, items: list[Obj]) -> list[Change]:
        """Replace the store with a fresh list; returns the added or changed ones as (old, new)."""
        previous = self._extensions
        self._extensions = {}
        changes: list[Change] = []
        for item in items:
            if not self.is_ours(item):
                continue
            key = _key(item)
            new = strip_object(item)
            old = previous.get(key)
            self._extensions[key] = new
            if _resource_version(old) != _resource_version(new):
                changes.append((old, new))
        self._recount_states()
        self._extension_gauge.set(len(self._extensions))
        self.extensions_synced.set()
        self._update_synced()
        return changes

    def upsert_cluster(self, cluster: Obj) -> Change:
        """Store an added or modified Cluster; returns (old, new)."""
        new = strip_cluster(cluster)
        name = _key(new)[1]
        old = self._clusters.get(name)
        self._clusters[name] = new
        self._cluster_gauge.set(len(self._clusters))
        return old, new

    def delete_cluster(self, cluster: Obj) -> Obj | None:
        """Forget a deleted Cluster; returns what was cached."""
        old = self._clusters.pop(_key(cluster)[1], None)
        self._cluster_gauge.set(len(self._clusters))
        return old

    def replace_clusters(self, items: list[Obj]) -> list[Change]:
        """Replace the Cluster store with a fresh list; returns the added or changed ones."""
        previous = self._clusters
        self._clusters = {}
        changes: list[Change] = []
        for item in items:
            new = strip_cluster(item)
            name = _key(new)[1]
            old = previous.get(name)
            self._clusters[name] = new
            if _resource_version(old) != _resource_version(new):
                changes.append((old, new))
        self._cluster_gauge.set(len(self._clusters))
        self.clusters_synced.set()
        self._update_synced()
        return changes

    def _count_state(self, old: Obj | None, new: Obj | None) -> None:
        changed: set[tuple[str, str]] = set()
        for obj, delta in ((old, -1), (new, 1)):
            if obj is not None:
                labels = metrics.last_operation_labels(obj)
                self._states[labels] += delta
                changed.add(labels)
        self._publish_states(changed)

    def _recount_states(self) -> None:
        before = set(self._states)
        self._states = Counter(metrics.last_operation_labels(obj) for obj in self._extensions.values())
        self._publish_states(before | set(self._states))

    def _publish_states(self, labels: set[tuple[str, str]]) -> None:
        for op_type, state in labels:
            metrics.EXTENSIONS.labels(last_operation_type=op_type, last_operation_state=state).set(
                self._states[(op_type, state)]
            )

    def _update_synced(self) -> None:
        if self.extensions_synced.is_set() and self.clusters_synced.is_set():
            self.synced.set()

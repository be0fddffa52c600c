"""The object cache: type filter, managed fields dropped, list replacement, memory footprint."""

from __future__ import annotations

import copy
import tracemalloc
from typing import Any

from controller.runtime.cache import ObjectCache


def extension(namespace: str, name: str = "ontap", *, type_: str = "ontap", rv: str = "1") -> dict[str, Any]:
    return {
        "apiVersion": "extensions.gardener.cloud/v1alpha1",
        "kind": "Extension",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "resourceVersion": rv,
            "generation": 1,
            "uid": f"uid-{namespace}-{name}",
            "annotations": {"gardener.cloud/timestamp": "2025-01-01T00:00:00Z"},
            "finalizers": ["extensions.gardener.cloud/ontap"],
            "managedFields": [
                {
                    "manager": f"gardenlet-{i}",
                    "operation": "Update",
                    "apiVersion": "extensions.gardener.cloud/v1alpha1",
                    "fieldsType": "FieldsV1",
                    "fieldsV1": {f"f:spec{j}": {"f:providerConfig": {"f:x" * 20: {}}} for j in range(20)},
                }
                for i in range(5)
            ],
        },
        "spec": {
            "type": type_,
            "providerConfig": {
                "apiVersion": "ontap.metal.extensions.gardener.cloud/v1alpha1",
                "kind": "TridentConfig",
                "svmIpaddresses": {"managementLif": "127.1.1.1", "dataLifs": ["127.1.1.2", "127.1.1.3"]},
            },
        },
        "status": {
            "lastOperation": {
                "type": "Reconcile",
                "state": "Succeeded",
                "progress": 100,
                "description": "Extension reconciled: SVM, LIFs, account, seed secret, shoot resources",
                "lastUpdateTime": "2025-01-01T00:00:00Z",
            },
            "conditions": [
                {
                    "type": t,
                    "status": "True",
                    "reason": "Ready",
                    "message": f"{t} observed and correct",
                    "lastTransitionTime": "2025-01-01T00:00:00Z",
                    "lastUpdateTime": "2025-01-01T00:00:00Z",
                }
                for t in ("SvmReady", "LifsReady", "AccountReady", "SeedSecretReady", "ShootResourcesReady")
            ],
        },
    }


def cluster(name: str, rv: str = "1") -> dict[str, Any]:
    return {
        "kind": "Cluster",
        "metadata": {"name": name, "resourceVersion": rv, "managedFields": [{"manager": "gardenlet"}]},
        "spec": {"shoot": {"metadata": {"name": "s", "managedFields": [{"manager": "x"}]}, "spec": {}}},
    }


def test_only_extensions_of_our_type_are_kept() -> None:
    cache = ObjectCache("ontap")
    assert cache.upsert_extension(extension("ns1", type_="dns-service")) is None
    old, new = cache.upsert_extension(extension("ns1")) or (None, {})
    assert old is None and new["metadata"]["name"] == "ontap"
    assert cache.get_extension("ns1", "ontap") == new
    assert cache.get_extension("ns1", "other") is None


def test_every_read_is_a_fresh_copy() -> None:
    cache = ObjectCache("ontap")
    cache.upsert_extension(extension("ns1"))
    cache.upsert_cluster(cluster("ns1"))
    read = cache.get_extension("ns1", "ontap")
    assert read is not None
    read["status"]["lastOperation"]["state"] = "Error"
    read["metadata"]["finalizers"].clear()
    stored = cache.get_extension("ns1", "ontap")
    assert stored is not None
    assert stored["status"]["lastOperation"]["state"] == "Succeeded"
    assert stored["metadata"]["finalizers"] == ["extensions.gardener.cloud/ontap"]
    shoot = cache.get_cluster("ns1")
    assert shoot is not None
    shoot["spec"]["shoot"]["metadata"]["name"] = "changed"
    assert (cache.get_cluster("ns1") or {})["spec"]["shoot"]["metadata"]["name"] == "s"


def test_keys_of_one_namespace_follow_adds_and_deletes() -> None:
    cache = ObjectCache("ontap")
    cache.upsert_extension(extension("ns1"))
    cache.upsert_extension(extension("ns1", "second"))
    cache.upsert_extension(extension("ns2"))
    assert cache.extension_keys("ns1") == [("ns1", "ontap"), ("ns1", "second")]
    cache.delete_extension(extension("ns1", "second"))
    cache.upsert_extension(extension("ns2", type_="other", rv="2"))
    assert cache.extension_keys("ns1") == [("ns1", "ontap")]
    assert cache.extension_keys("ns2") == []
    cache.replace_extensions([extension("ns3")])
    assert cache.extension_keys("ns1") == [] and cache.extension_keys("ns3") == [("ns3", "ontap")]


def test_extension_whose_type_changes_away_is_dropped() -> None:
    cache = ObjectCache("ontap")
    cache.upsert_extension(extension("ns1"))
    assert cache.upsert_extension(extension("ns1", type_="other", rv="2")) is None
    assert cache.get_extension("ns1", "ontap") is None


def test_managed_fields_are_dropped() -> None:
    cache = ObjectCache("ontap")
    cache.upsert_extension(extension("ns1"))
    cache.upsert_cluster(cluster("ns1"))
    ext = cache.get_extension("ns1", "ontap")
    assert ext is not None and "managedFields" not in ext["metadata"]
    assert ext["metadata"]["finalizers"] == ["extensions.gardener.cloud/ontap"]
    stored = cache.get_cluster("ns1")
    assert stored is not None
    assert "managedFields" not in stored["metadata"]
    assert "managedFields" not in stored["spec"]["shoot"]["metadata"]


def test_update_returns_old_and_new() -> None:
    cache = ObjectCache("ontap")
    cache.upsert_extension(extension("ns1", rv="1"))
    change = cache.upsert_extension(extension("ns1", rv="2"))
    assert change is not None
    old, new = change
    assert old is not None
    assert (old["metadata"]["resourceVersion"], new["metadata"]["resourceVersion"]) == ("1", "2")


def test_replace_reports_only_new_or_changed_and_forgets_vanished() -> None:
    cache = ObjectCache("ontap")
    cache.replace_extensions([extension("a"), extension("b"), extension("gone")])
    changes = cache.replace_extensions(
        [extension("a"), extension("b", rv="7"), extension("c"), extension("d", type_="x")]
    )
    assert sorted(new["metadata"]["namespace"] for _, new in changes) == ["b", "c"]
    assert sorted(cache.extension_keys()) == [("a", "ontap"), ("b", "ontap"), ("c", "ontap")]
    assert cache.get_extension("gone", "ontap") is None


def test_synced_after_both_initial_lists() -> None:
    cache = ObjectCache("ontap")
    cache.replace_extensions([])
    assert not cache.synced.is_set()
    cache.replace_clusters([cluster("x")])
    assert cache.synced.is_set()
    assert [c["metadata"]["name"] for c in cache.clusters()] == ["x"]


def test_deletes_forget_objects() -> None:
    cache = ObjectCache("ontap")
    cache.upsert_extension(extension("a"))
    cache.upsert_cluster(cluster("a"))
    assert cache.delete_extension(extension("a")) is not None
    assert cache.delete_cluster(cluster("a")) is not None
    assert cache.extensions() == [] and cache.clusters() == []


def test_state_counts_follow_upserts_replacements_and_deletes() -> None:
    cache = ObjectCache("ontap")
    pending = extension("b")
    del pending["status"]
    failed = extension("c")
    failed["status"]["lastOperation"]["state"] = "Error"
    cache.replace_extensions([extension("a"), pending, failed])
    assert cache.state_counts() == {"Succeeded": 1, "none": 1, "Error": 1}
    cache.upsert_extension({**extension("c", rv="2")})
    cache.delete_extension(extension("b"))
    assert cache.state_counts() == {"Succeeded": 2}


def test_thousand_extensions_fit_in_a_few_megabytes() -> None:
    template = extension("template")
    tracemalloc.start()
    try:
        cache = ObjectCache("ontap")
        baseline = tracemalloc.get_traced_memory()[0]
        cache.replace_extensions([])
        for i in range(1000):
            obj = copy.deepcopy(template)
            obj["metadata"]["namespace"] = f"shoot--p{i}--s"
            cache.upsert_extension(obj)
        used = tracemalloc.get_traced_memory()[0] - baseline
    finally:
        tracemalloc.stop()
    assert len(cache.extensions()) == 1000
    assert used < 20 * 1024 * 1024, f"{used / 1e6:.1f} MB for 1000 Extensions"

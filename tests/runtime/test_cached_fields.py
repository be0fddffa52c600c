"""What the cache keeps of a Cluster is enough for every reader, and small."""

from __future__ import annotations

import copy
import json
import tracemalloc
from collections.abc import Callable
from typing import Any

import pytest

from controller.app import cluster_change_matters
from controller.runtime.cache import ObjectCache
from controller.runtime.cached_fields import cluster_fields, extension_fields
from controller.shoot import ShootInfo, force_deletion_confirmed, shoot_annotations, shoot_failed
from controller.shoot_access.kubeconfig import GENERIC_KUBECONFIG_ANNOTATION, generic_kubeconfig_secret_name
from hack.localenv.gardener_objects import (
    PROJECT_ANNOTATION,
    cluster_object,
    extension_object,
    with_landscape_payload,
)

Obj = dict[str, Any]


def landscape_cluster(namespace: str = "shoot--p1--s1", project: str = "p1") -> Obj:
    cluster = with_landscape_payload(cluster_object(namespace, project, provider_type="metal"))
    cluster["metadata"]["resourceVersion"] = "10"
    cluster["metadata"]["annotations"] = {GENERIC_KUBECONFIG_ANNOTATION: "generic-token-kubeconfig-abc"}
    return cluster


def _hibernate(c: Obj) -> None:
    c["spec"]["shoot"]["spec"]["hibernation"] = {"enabled": True}
    c["spec"]["shoot"]["status"]["hibernated"] = True


def _force_delete(c: Obj) -> None:
    c["spec"]["shoot"]["metadata"]["annotations"]["confirmation.gardener.cloud/force-deletion"] = "true"


def _fail(c: Obj) -> None:
    c["spec"]["shoot"]["status"]["lastOperation"]["state"] = "Failed"


def _no_provider(c: Obj) -> None:
    del c["spec"]["shoot"]["spec"]["provider"]


VARIANTS: dict[str, Callable[[Obj], None]] = {
    "as-is": lambda c: None,
    "hibernated": _hibernate,
    "force-deletion": _force_delete,
    "failed": _fail,
    "no-provider": _no_provider,
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_reader_sees_the_same_in_the_kept_cluster(variant: str) -> None:
    full = landscape_cluster()
    VARIANTS[variant](full)
    kept = cluster_fields(copy.deepcopy(full))
    shoot = ShootInfo.from_cluster(kept, PROJECT_ANNOTATION)
    assert shoot == ShootInfo.from_cluster(full, PROJECT_ANNOTATION)
    assert shoot_failed(kept) == shoot_failed(full)
    assert force_deletion_confirmed(kept) == force_deletion_confirmed(full)
    assert shoot_annotations(kept) == shoot_annotations(full)
    assert (
        generic_kubeconfig_secret_name(kept)
        == generic_kubeconfig_secret_name(full)
        == ("generic-token-kubeconfig-abc")
    )


def test_the_kept_cluster_is_a_small_part_of_a_landscape_cluster() -> None:
    full = landscape_cluster()
    kept = cluster_fields(full)
    assert len(json.dumps(full)) > 20_000
    assert len(json.dumps(kept)) < 1_000
    assert "cloudProfile" not in kept["spec"] and "seed" not in kept["spec"]
    assert "managedFields" not in kept["metadata"]
    assert "managedFields" not in kept["spec"]["shoot"]["metadata"]
    assert "conditions" not in kept["spec"]["shoot"]["status"]


@pytest.mark.parametrize(
    ("change", "matters"),
    [
        (_hibernate, True),
        (_force_delete, True),
        (_fail, True),
        (lambda c: c["spec"]["shoot"]["spec"].update(purpose="production"), True),
        (lambda c: c["spec"]["shoot"]["spec"]["provider"].update(type="openstack"), True),
        # Gardener's progress updates on the shoot and profile changes do not concern us.
        (lambda c: c["spec"]["shoot"]["status"]["lastOperation"].update(progress=40), False),
        (lambda c: c["spec"]["shoot"]["status"]["conditions"][0].update(status="False"), False),
        (lambda c: c["spec"]["cloudProfile"]["spec"]["machineTypes"].pop(), False),
        (lambda c: c["spec"]["seed"]["spec"]["settings"].clear(), False),
    ],
)
def test_cluster_changes_are_judged_on_the_kept_fields(change: Callable[[Obj], None], matters: bool) -> None:
    cache = ObjectCache("ontap")
    cache.upsert_cluster(landscape_cluster())
    changed = landscape_cluster()
    change(changed)
    changed["metadata"]["resourceVersion"] = "11"
    old, new = cache.upsert_cluster(changed)
    assert cluster_change_matters(old, new) is matters


def test_an_extension_keeps_everything_but_managed_fields() -> None:
    ext = extension_object("shoot--p1--s1")
    ext["metadata"]["managedFields"] = [{"manager": "gardenlet"}]
    ext["status"] = {"lastOperation": {"state": "Succeeded"}, "providerStatus": {"svm": "pp1"}}
    kept = extension_fields(ext)
    assert "managedFields" not in kept["metadata"]
    assert kept["spec"] == ext["spec"] and kept["status"] == ext["status"]
    assert ext["metadata"]["managedFields"] == [{"manager": "gardenlet"}]  # the input is left alone


def test_ten_thousand_landscape_shoots_fit_in_the_memory_budget() -> None:
    """10,000 shoots with Gardener-sized Clusters and their Extensions, as the cache holds them."""
    cluster_template = landscape_cluster()
    extension_template = extension_object("x")
    extension_template["metadata"]["managedFields"] = cluster_template["metadata"]["managedFields"]
    tracemalloc.start()
    try:
        cache = ObjectCache("ontap")
        baseline = tracemalloc.get_traced_memory()[0]
        for index in range(10_000):
            namespace = f"shoot--p{index % 1000:04d}--s{index:05d}"
            cluster = copy.deepcopy(cluster_template)
            cluster["metadata"]["name"] = namespace
            cache.upsert_cluster(cluster)
            ext = copy.deepcopy(extension_template)
            ext["metadata"]["namespace"] = namespace
            cache.upsert_extension(ext)
        used = tracemalloc.get_traced_memory()[0] - baseline
    finally:
        tracemalloc.stop()
    assert len(cache.extension_keys()) == 10_000 and len(cache.clusters()) == 10_000
    assert used < 25 * 1024 * 1024, f"{used / 1e6:.1f} MB for 10,000 shoots"

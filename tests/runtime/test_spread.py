"""A burst of keys is queued with the projects' shoots interleaved."""

from __future__ import annotations

from controller.app import ControllerApp
from controller.runtime.spread import interleave_by_group
from hack.localenv.gardener_objects import cluster_object, extension_object
from tests.runtime.test_app import app_config


def project(key: tuple[str, str]) -> str:
    return key[0].split("--")[1]


def test_shoots_of_one_project_are_spread_over_the_burst() -> None:
    keys = [(f"shoot--{p}--s{i}", "ontap") for p in ("a", "b", "c") for i in range(3)]
    keys = keys[:-1]  # project c has one shoot fewer
    ordered = interleave_by_group(keys, project)
    assert [project(k) for k in ordered] == ["a", "b", "c", "a", "b", "c", "a", "b"]
    # Within a project the order is kept, and no key is lost or doubled.
    assert [k for k in ordered if project(k) == "a"] == [k for k in keys if project(k) == "a"]
    assert sorted(ordered) == sorted(keys)


def test_empty_and_single_group() -> None:
    assert interleave_by_group([], project) == []
    keys = [("shoot--a--s1", "ontap"), ("shoot--a--s2", "ontap")]
    assert interleave_by_group(keys, project) == keys


def test_the_app_queues_a_burst_with_the_projects_interleaved() -> None:
    app = ControllerApp(app_config("garden"), reconciler_factory=lambda ctx: None)  # type: ignore[arg-type,return-value]
    keys = []
    for index in range(6):
        # Two projects whose namespaces do not give them away; sorted by name, p1's shoots come first.
        namespace = f"shoot--team--s{index}"
        app.cache.upsert_cluster(cluster_object(namespace, "p1" if index < 3 else "p2"))
        app.cache.upsert_extension(extension_object(namespace))
        keys.append((namespace, "ontap"))
    keys.append(("shoot--team--orphan", "ontap"))  # no Cluster cached: a group of its own
    ordered = app.burst_order(keys)
    assert ordered[:3] == [
        ("shoot--team--s0", "ontap"),
        ("shoot--team--s3", "ontap"),
        ("shoot--team--orphan", "ontap"),
    ]
    assert ordered[3:] == [
        ("shoot--team--s1", "ontap"),
        ("shoot--team--s4", "ontap"),
        ("shoot--team--s2", "ontap"),
        ("shoot--team--s5", "ontap"),
    ]


def test_before_the_clusters_are_cached_the_namespace_names_the_project() -> None:
    app = ControllerApp(app_config("garden"), reconciler_factory=lambda ctx: None)  # type: ignore[arg-type,return-value]
    keys = [(f"shoot--{p}--s{i}", "ontap") for p in ("a", "b") for i in range(2)] + [("garden", "ontap")]
    assert app.burst_order(keys) == [
        ("shoot--a--s0", "ontap"),
        ("shoot--b--s0", "ontap"),
        ("garden", "ontap"),
        ("shoot--a--s1", "ontap"),
        ("shoot--b--s1", "ontap"),
    ]

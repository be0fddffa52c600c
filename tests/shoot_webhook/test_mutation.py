"""The NVMe/TCP preparation of Trident's node DaemonSet: facts pinned, idempotent, other objects untouched."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from controller.shoot_webhook.json_patch import diff
from controller.shoot_webhook.mutation import is_trident_node_daemonset, prepared_daemonset
from tests.shoot_webhook.support import IMAGE, apply_patch, trident_node_daemonset


def _pod(ds: dict[str, Any]) -> dict[str, Any]:
    return ds["spec"]["template"]


def test_the_go_extensions_mutation_facts() -> None:
    # metal-stack/gardener-extension-ontap pkg/webhook/shoot/mutator.go, Gardener's constants.
    result = prepared_daemonset(trident_node_daemonset(), IMAGE)
    template = _pod(result)
    spec = template["spec"]
    assert spec["dnsPolicy"] == "Default"
    assert template["metadata"]["annotations"]["node.gardener.cloud/wait-for-csi-node-trident"] == (
        "csi.trident.netapp.io"
    )
    assert template["metadata"]["labels"] == {
        "app": "node.csi.trident.netapp.io",
        "node.gardener.cloud/critical-component": "true",
        "networking.gardener.cloud/to-apiserver": "allowed",
        "networking.gardener.cloud/to-dns": "allowed",
        "shoot.gardener.cloud/no-cleanup": "true",
        "ontap.extensions.gardener.cloud/mutated-by-webhook": "true",
    }
    # Gardener's node controller lists node-critical DaemonSets by their own label.
    assert result["metadata"]["labels"]["node.gardener.cloud/critical-component"] == "true"
    assert result["metadata"]["labels"]["app"] == "node.csi.trident.netapp.io"
    [init] = spec["initContainers"]
    assert init["name"] == "init-nvme-tcp"
    assert init["image"] == IMAGE
    assert init["securityContext"] == {"privileged": True}
    assert init["command"][:2] == ["/bin/sh", "-c"]
    assert "modprobe nvme-tcp" in init["command"][2]
    assert "exit 1" in init["command"][2]
    assert init["volumeMounts"] == [
        {
            "name": "modules-dir",
            "mountPath": "/lib/modules",
            "mountPropagation": "HostToContainer",
            "readOnly": True,
        }
    ]
    assert {"name": "modules-dir", "hostPath": {"path": "/lib/modules"}} in spec["volumes"]
    # What Trident set and the mutation does not own stays.
    assert spec["hostNetwork"] is True
    assert spec["containers"] == trident_node_daemonset()["spec"]["template"]["spec"]["containers"]
    assert {"name": "host-dir", "hostPath": {"path": "/"}} in spec["volumes"]
    assert template["metadata"]["annotations"]["openshift.io/required-scc"] == "trident-node-linux"


def test_the_input_is_not_modified() -> None:
    original = trident_node_daemonset()
    kept = copy.deepcopy(original)
    prepared_daemonset(original, IMAGE)
    assert original == kept


def test_mutating_twice_is_mutating_once() -> None:
    once = prepared_daemonset(trident_node_daemonset(), IMAGE)
    assert prepared_daemonset(once, IMAGE) == once
    assert diff(once, prepared_daemonset(once, IMAGE)) == []


def test_fields_the_apiserver_defaulted_are_kept_and_need_no_patch() -> None:
    once = prepared_daemonset(trident_node_daemonset(), IMAGE)
    defaulted = copy.deepcopy(once)
    init = _pod(defaulted)["spec"]["initContainers"][0]
    init.update(imagePullPolicy="IfNotPresent", terminationMessagePath="/dev/termination-log")
    for volume in _pod(defaulted)["spec"]["volumes"]:
        volume["hostPath"]["type"] = ""
    assert diff(defaulted, prepared_daemonset(defaulted, IMAGE)) == []


def test_a_changed_image_replaces_the_init_containers_image_only() -> None:
    old = prepared_daemonset(trident_node_daemonset(), "busybox:old")
    new = prepared_daemonset(old, IMAGE)
    [init] = _pod(new)["spec"]["initContainers"]
    assert init["image"] == IMAGE
    assert len([v for v in _pod(new)["spec"]["volumes"] if v["name"] == "modules-dir"]) == 1


def test_an_init_container_of_trident_runs_before_ours_and_stays() -> None:
    ds = trident_node_daemonset()
    ds["spec"]["template"]["spec"]["initContainers"] = [{"name": "trident-prepare-node", "image": "t"}]
    names = [c["name"] for c in _pod(prepared_daemonset(ds, IMAGE))["spec"]["initContainers"]]
    assert names == ["trident-prepare-node", "init-nvme-tcp"]


@pytest.mark.parametrize("empty", [None, "absent"])
def test_labels_and_annotations_are_set_on_objects_that_had_none(empty: str | None) -> None:
    # The Go extension created a new map for nil labels and never stored it: the labels were lost.
    ds = trident_node_daemonset()
    for metadata in (ds["metadata"], ds["spec"]["template"]["metadata"]):
        if empty is None:
            metadata["labels"] = None
            metadata["annotations"] = None
        else:
            metadata.pop("labels")
            metadata.pop("annotations", None)
    patch = diff(ds, prepared_daemonset(ds, IMAGE))
    patched = apply_patch(ds, patch)
    assert patched["metadata"]["labels"]["node.gardener.cloud/critical-component"] == "true"
    template_labels = patched["spec"]["template"]["metadata"]["labels"]
    assert template_labels["node.gardener.cloud/critical-component"] == "true"
    assert template_labels["networking.gardener.cloud/to-dns"] == "allowed"
    assert patched["spec"]["template"]["metadata"]["annotations"] == {
        "node.gardener.cloud/wait-for-csi-node-trident": "csi.trident.netapp.io"
    }


def test_a_daemonset_being_deleted_is_left_alone() -> None:
    ds = trident_node_daemonset()
    ds["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    assert prepared_daemonset(ds, IMAGE) == ds


@pytest.mark.parametrize(
    ("name", "namespace", "kind", "expected"),
    [
        ("trident-node-linux", "kube-system", "DaemonSet", True),
        ("trident-node-windows", "kube-system", "DaemonSet", False),
        ("trident-node-linux", "trident", "DaemonSet", False),
        ("trident-node-linux", "kube-system", "Deployment", False),
    ],
)
def test_only_tridents_linux_node_daemonset_in_the_trident_namespace_is_targeted(
    name: str, namespace: str, kind: str, expected: bool
) -> None:
    obj = trident_node_daemonset(name, namespace)
    obj["kind"] = kind
    assert is_trident_node_daemonset(obj, namespace, "kube-system") is expected


def test_the_request_namespace_counts_when_the_object_has_none() -> None:
    obj = trident_node_daemonset()
    del obj["metadata"]["namespace"]
    assert is_trident_node_daemonset(obj, "kube-system", "kube-system")
    assert not is_trident_node_daemonset(obj, "default", "kube-system")
    assert is_trident_node_daemonset(obj, "trident", "trident")  # another trident.namespace

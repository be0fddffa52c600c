"""What Trident's node plugin DaemonSet must look like so that every node has `nvme-tcp` loaded first.

A pure function over the DaemonSet as a dict; applying it to its own result changes nothing. The facts:

- init container loading `nvme-tcp` with the host's `/lib/modules` mounted, `dnsPolicy: Default`, the
  template annotation `node.gardener.cloud/wait-for-csi-node-trident=csi.trident.netapp.io` and the pod
  labels node-critical / to-apiserver / to-dns / no-cleanup: the Go extension's shoot webhook
  (metal-stack/gardener-extension-ontap pkg/webhook/shoot/mutator.go);
- label keys and values: gardener/gardener pkg/apis/core/v1beta1/constants/types_constants.go
  (`LabelNodeCriticalComponent`, `LabelNetworkPolicyShootToAPIServer`, `LabelNetworkPolicyToDNS`,
  `LabelNetworkPolicyAllowed`, `ShootNoCleanup`, `AnnotationPrefixWaitForCSINode`);
- the node-critical label on the DaemonSet itself, so Gardener waits for its pods on new nodes:
  gardener/gardener docs/usage/advanced/node-readiness.md and
  pkg/resourcemanager/controller/node/criticalcomponents/reconciler.go;
- the CSI driver name `csi.trident.netapp.io`: NetApp/trident
  operator/controllers/orchestrator/installer/config.go (`CSIDriver`).
"""

from __future__ import annotations

import copy
from typing import Any

from controller.shoot_resources import names

INIT_CONTAINER = "init-nvme-tcp"
MODULES_VOLUME = "modules-dir"
MODULES_PATH = "/lib/modules"
# modprobe succeeds for a module that is already loaded or built in; anything else stops the pod.
LOAD_MODULE_SCRIPT = 'modprobe nvme-tcp || { echo "cannot load the kernel module nvme-tcp" >&2; exit 1; }'
DNS_POLICY = "Default"
TRIDENT_CSI_DRIVER = "csi.trident.netapp.io"
WAIT_FOR_CSI_NODE_ANNOTATION = "node.gardener.cloud/wait-for-csi-node-trident"
MUTATED_LABEL = "ontap.extensions.gardener.cloud/mutated-by-webhook"
NODE_CRITICAL_LABEL = "node.gardener.cloud/critical-component"
TO_APISERVER_LABEL = "networking.gardener.cloud/to-apiserver"
TO_DNS_LABEL = "networking.gardener.cloud/to-dns"
ALLOWED = "allowed"

# On the pod template: what the Go extension's mutator sets.
POD_LABELS = {
    names.NO_CLEANUP_LABEL: "true",
    MUTATED_LABEL: "true",
    NODE_CRITICAL_LABEL: "true",
    TO_APISERVER_LABEL: ALLOWED,
    TO_DNS_LABEL: ALLOWED,
}
# On the DaemonSet: Gardener's node controller lists node-critical DaemonSets by this label.
DAEMONSET_LABELS = {
    names.NO_CLEANUP_LABEL: "true",
    MUTATED_LABEL: "true",
    NODE_CRITICAL_LABEL: "true",
}


def is_trident_node_daemonset(obj: dict[str, Any], namespace: str, trident_namespace: str) -> bool:
    """Whether `obj` (in `namespace`, from the admission request) is Trident's Linux node plugin DaemonSet
    in Trident's namespace (`trident.namespace`)."""
    metadata = obj.get("metadata") or {}
    return (
        obj.get("kind") == "DaemonSet"
        and metadata.get("name") == names.TRIDENT_NODE_DAEMONSET
        and (metadata.get("namespace") or namespace) == trident_namespace
    )


def init_container(image: str) -> dict[str, Any]:
    """The privileged init container that loads nvme-tcp from the host's modules."""
    return {
        "name": INIT_CONTAINER,
        "image": image,
        "command": ["/bin/sh", "-c", LOAD_MODULE_SCRIPT],
        "securityContext": {"privileged": True},
        "volumeMounts": [modules_mount()],
    }


def modules_mount() -> dict[str, Any]:
    return {
        "name": MODULES_VOLUME,
        "mountPath": MODULES_PATH,
        "mountPropagation": "HostToContainer",
        "readOnly": True,
    }


def _ensure_labels(metadata: dict[str, Any], wanted: dict[str, str]) -> None:
    # A missing or null map is created here and stored back (the Go extension lost these changes).
    labels = dict(metadata.get("labels") or {})
    labels.update(wanted)
    metadata["labels"] = labels


def _ensure_init_container(pod_spec: dict[str, Any], image: str) -> None:
    containers = list(pod_spec.get("initContainers") or [])
    for index, container in enumerate(containers):
        if container.get("name") == INIT_CONTAINER:
            # Fields we own are set; fields the apiserver defaulted (pull policy, ...) stay.
            updated = dict(container)
            updated["image"] = image
            updated["command"] = ["/bin/sh", "-c", LOAD_MODULE_SCRIPT]
            updated.pop("args", None)
            security = dict(updated.get("securityContext") or {})
            security["privileged"] = True
            updated["securityContext"] = security
            mounts = [m for m in updated.get("volumeMounts") or [] if m.get("name") != MODULES_VOLUME]
            current = next(
                (m for m in updated.get("volumeMounts") or [] if m.get("name") == MODULES_VOLUME), None
            )
            mounts.append({**(current or {}), **modules_mount()})
            updated["volumeMounts"] = mounts
            containers[index] = updated
            break
    else:
        containers.append(init_container(image))
    pod_spec["initContainers"] = containers


def _ensure_modules_volume(pod_spec: dict[str, Any]) -> None:
    volumes = list(pod_spec.get("volumes") or [])
    for index, volume in enumerate(volumes):
        if volume.get("name") == MODULES_VOLUME:
            host_path = dict(volume.get("hostPath") or {})
            host_path["path"] = MODULES_PATH
            volumes[index] = {"name": MODULES_VOLUME, "hostPath": host_path}
            break
    else:
        volumes.append({"name": MODULES_VOLUME, "hostPath": {"path": MODULES_PATH}})
    pod_spec["volumes"] = volumes


def prepared_daemonset(daemonset: dict[str, Any], image: str) -> dict[str, Any]:
    """The DaemonSet with everything NVMe/TCP nodes need; the input is not modified.

    A DaemonSet being deleted is returned unchanged (as the Go extension does).
    """
    result = copy.deepcopy(daemonset)
    metadata = result.setdefault("metadata", {})
    if metadata.get("deletionTimestamp"):
        return result
    _ensure_labels(metadata, DAEMONSET_LABELS)
    spec = result.setdefault("spec", {})
    template = spec.get("template") or {}
    spec["template"] = template
    template_metadata = template.get("metadata") or {}
    template["metadata"] = template_metadata
    _ensure_labels(template_metadata, POD_LABELS)
    annotations = dict(template_metadata.get("annotations") or {})
    annotations[WAIT_FOR_CSI_NODE_ANNOTATION] = TRIDENT_CSI_DRIVER
    template_metadata["annotations"] = annotations
    pod_spec = template.get("spec") or {}
    template["spec"] = pod_spec
    pod_spec["dnsPolicy"] = DNS_POLICY
    _ensure_init_container(pod_spec, image)
    _ensure_modules_volume(pod_spec)
    return result

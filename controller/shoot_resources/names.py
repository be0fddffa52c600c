"""Names and labels of what this extension deploys into a shoot, and of the seed objects that carry it."""

from __future__ import annotations

# ManagedResources in the shoot's seed namespace (no class: the shoot's resource manager applies them).
CREDENTIALS_MR = "extension-ontap-trident-credentials"
BACKEND_MR = "extension-ontap-trident-backend"
OPERATOR_MR = "extension-ontap-trident-operator"
SHOOT_WEBHOOKS_MR = "extension-ontap-shoot-webhooks"
FIREWALL_MR = "extension-ontap-firewall"

# Objects in the shoot (their namespace is `trident.namespace` of the controller configuration).
DEFAULT_TRIDENT_NAMESPACE = "kube-system"  # the default of `trident.namespace`
SHOOT_CREDENTIALS_SECRET = "ontap-svm-credentials"
TRIDENT_PROVISIONER = "csi.trident.netapp.io"
TRIDENT_API_VERSION = "trident.netapp.io/v1"
# Trident's node plugin DaemonSet and its label
# (NetApp/trident operator/controllers/orchestrator/installer/config.go).
TRIDENT_NODE_DAEMONSET = "trident-node-linux"
TRIDENT_NODE_LABEL = ("app", "node.csi.trident.netapp.io")

# metal-stack's firewall policy (metal-stack/firewall-controller api/v1/clusterwidenetworkpolicy_types.go).
FIREWALL_API_VERSION = "metal-stack.io/v1"
FIREWALL_NAMESPACE = "firewall"
FIREWALL_POLICY = "allow-to-ontap"

# Labels on our ManagedResources and their secrets; Gardener's `origin` label is deliberately not used.
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY = "gardener-extension-ontap"
MANAGED_RESOURCE_LABEL = "ontap.extensions.gardener.cloud/managed-resource"
GARBAGE_COLLECTABLE_LABEL = "resources.gardener.cloud/garbage-collectable-reference"
# Keeps Gardener's shoot cleanup from deleting our objects before their ManagedResource is deleted.
NO_CLEANUP_LABEL = "shoot.gardener.cloud/no-cleanup"
DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class"

SECRET_PREFIX = "managedresource-"
HASH_LENGTH = 8


def backend_name(svm_name: str) -> str:
    """The TridentBackendConfig of the shoot and its `backendName`: one backend per SVM."""
    return f"ontap-{svm_name}"


# Makes the shoot's resource manager delete and re-create an object whose update the API server refuses
# as invalid (gardener pkg/apis/resources/v1alpha1/types.go `DeleteOnInvalidUpdate`): StorageClass
# parameters are immutable, so a StorageClass of the same name with other parameters is replaced.
DELETE_ON_INVALID_UPDATE_ANNOTATION = "resources.gardener.cloud/delete-on-invalid-update"


def secret_name_prefix(managed_resource: str) -> str:
    """Every content secret of `managed_resource` starts with this; the rest is the content hash."""
    return f"{SECRET_PREFIX}{managed_resource}-"


def content_secret_name(managed_resource: str, content_hash: str) -> str:
    """The immutable secret holding one version of a ManagedResource's manifests."""
    return f"{secret_name_prefix(managed_resource)}{content_hash[:HASH_LENGTH]}"

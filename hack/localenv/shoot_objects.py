"""What stands in the local shoot apiserver: the kinds this extension deploys there, listed or swept.

``list_shoot_objects`` is what `make run` prints and what the shoot-side tests read; ``sweep_shoot``
returns the shared test shoot to its empty state between tests (the objects deployed there, the
namespaces they live in, and what the tests created themselves), as no namespace controller or
garbage collector runs locally. Standard library only (through :class:`LocalKubeApiServer`).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from hack.localenv.kube import KubeApiError, LocalKubeApiServer

# Namespaces every cluster has; never swept (only objects the resource manager put there are).
SYSTEM_NAMESPACES = frozenset({"default", "kube-system", "kube-public", "kube-node-lease"})
MANAGED_BY_LABEL = "resources.gardener.cloud/managed-by"
# On the kube-apiserver's own RBAC objects (plugin/pkg/auth/authorizer/rbac/bootstrappolicy).
BOOTSTRAPPING_LABEL = "kubernetes.io/bootstrapping"


@dataclass(frozen=True)
class ShootKind:
    """One kind the shoot may hold: its API collection and whether it is namespaced."""

    kind: str
    api: str  # "/api/v1" or "/apis/<group>/<version>"
    plural: str
    namespaced: bool
    # Cluster-scoped kinds of which a fresh apiserver has none: swept entirely, not only when labelled.
    sweep_all: bool = False

    def collection(self, namespace: str | None = None) -> str:
        if self.namespaced and namespace:
            return f"{self.api}/namespaces/{namespace}/{self.plural}"
        return f"{self.api}/{self.plural}"

    def item(self, name: str, namespace: str | None = None) -> str:
        return f"{self.collection(namespace)}/{name}"


SHOOT_KINDS: tuple[ShootKind, ...] = (
    ShootKind("Secret", "/api/v1", "secrets", True),
    ShootKind("TridentBackendConfig", "/apis/trident.netapp.io/v1", "tridentbackendconfigs", True),
    ShootKind("StorageClass", "/apis/storage.k8s.io/v1", "storageclasses", False, sweep_all=True),
    ShootKind(
        "TridentOrchestrator", "/apis/trident.netapp.io/v1", "tridentorchestrators", False, sweep_all=True
    ),
    ShootKind("ClusterwideNetworkPolicy", "/apis/metal-stack.io/v1", "clusterwidenetworkpolicies", True),
    ShootKind(
        "MutatingWebhookConfiguration",
        "/apis/admissionregistration.k8s.io/v1",
        "mutatingwebhookconfigurations",
        False,
        sweep_all=True,
    ),
    ShootKind("DaemonSet", "/apis/apps/v1", "daemonsets", True),
    ShootKind("Deployment", "/apis/apps/v1", "deployments", True),
    ShootKind("ServiceAccount", "/api/v1", "serviceaccounts", True),
    ShootKind("ConfigMap", "/api/v1", "configmaps", True),
    ShootKind("Service", "/api/v1", "services", True),
    ShootKind("Role", "/apis/rbac.authorization.k8s.io/v1", "roles", True),
    ShootKind("RoleBinding", "/apis/rbac.authorization.k8s.io/v1", "rolebindings", True),
    ShootKind("ClusterRole", "/apis/rbac.authorization.k8s.io/v1", "clusterroles", False),
    ShootKind("ClusterRoleBinding", "/apis/rbac.authorization.k8s.io/v1", "clusterrolebindings", False),
)
# What `make run` shows: the objects this extension deploys.
SHOWN_KINDS = (
    "Namespace",
    "Secret",
    "TridentBackendConfig",
    "StorageClass",
    "TridentOrchestrator",
    "ServiceAccount",
    "Deployment",
    "DaemonSet",
    "MutatingWebhookConfiguration",
    "ClusterwideNetworkPolicy",
    "Role",
    "RoleBinding",
    "ClusterRole",
    "ClusterRoleBinding",
)
_NAMESPACES = ShootKind("Namespace", "/api/v1", "namespaces", False)


@dataclass(frozen=True)
class ShootObject:
    kind: ShootKind
    obj: dict[str, Any]

    @property
    def name(self) -> str:
        return str(self.obj["metadata"]["name"])

    @property
    def namespace(self) -> str | None:
        return self.obj["metadata"].get("namespace")

    @property
    def managed(self) -> bool:
        """Put there by a gardener-resource-manager (its `managed-by` label)."""
        return MANAGED_BY_LABEL in (self.obj["metadata"].get("labels") or {})

    @property
    def ref(self) -> str:
        where = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return f"{self.kind.kind} {where}"

    @property
    def path(self) -> str:
        return self.kind.item(self.name, self.namespace)


def _list(apiserver: LocalKubeApiServer, kind: ShootKind) -> list[ShootObject]:
    try:
        items = apiserver.request("GET", kind.collection()).get("items", [])
    except KubeApiError as err:
        if err.status == 404:  # CRD not installed
            return []
        raise
    return [ShootObject(kind, item) for item in items]


def _deployed(item: ShootObject) -> bool:
    """Deployed by someone (the resource manager or a test), unlike what the apiserver brings along."""
    if item.managed:
        return True
    if item.kind.kind == "Namespace":
        return item.name not in SYSTEM_NAMESPACES
    if item.kind.sweep_all:
        return True
    if item.kind.namespaced:
        if item.namespace in SYSTEM_NAMESPACES:
            # Trident's objects live in kube-system: what a test put there counts, not what the apiserver
            # brings (its RBAC bootstrap Roles, labelled, and ConfigMaps, ServiceAccounts and Services).
            labels = item.obj["metadata"].get("labels") or {}
            return item.kind.kind not in ("ConfigMap", "ServiceAccount", "Service") and (
                BOOTSTRAPPING_LABEL not in labels
            )
        # Every namespace gets a ConfigMap kube-root-ca.crt and a ServiceAccount default from controllers
        # that do not run here; should they exist, they are not ours.
        return not (
            item.kind.kind in ("ConfigMap", "ServiceAccount") and item.name in ("kube-root-ca.crt", "default")
        )
    return False


def list_shoot_objects(
    apiserver: LocalKubeApiServer, kinds: tuple[str, ...] = SHOWN_KINDS
) -> list[ShootObject]:
    """The deployed objects of `kinds`, in that order (system objects of a bare apiserver left out)."""
    by_kind = {k.kind: k for k in (*SHOOT_KINDS, _NAMESPACES)}
    found = []
    for name in kinds:
        found.extend(item for item in _list(apiserver, by_kind[name]) if _deployed(item))
    return found


def _force_delete(apiserver: LocalKubeApiServer, item: ShootObject) -> None:
    with contextlib.suppress(KubeApiError):
        if item.obj["metadata"].get("finalizers"):
            apiserver.request(
                "PATCH",
                item.path,
                {"metadata": {"finalizers": None}},
                content_type="application/merge-patch+json",
            )
        apiserver.request("DELETE", item.path)


def sweep_shoot(apiserver: LocalKubeApiServer) -> list[str]:
    """Delete every deployed object (finalizers dropped) and the non-system namespaces; return what went."""
    removed = []
    for kind in SHOOT_KINDS:
        for item in _list(apiserver, kind):
            if _deployed(item):
                _force_delete(apiserver, item)
                removed.append(item.ref)
    for item in _list(apiserver, _NAMESPACES):
        if item.name in SYSTEM_NAMESPACES:
            continue
        with contextlib.suppress(KubeApiError):
            namespace = apiserver.request("DELETE", item.path)
            # No namespace controller runs: finalize it so the name is free for the next test.
            namespace["spec"] = {"finalizers": []}
            apiserver.request("PUT", f"{item.path}/finalize", namespace)
        removed.append(item.ref)
    return removed

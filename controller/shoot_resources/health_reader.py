"""Pure: what the extension's ServiceAccount in the shoot may do, deployed with the backend's ManagedResource:
`get` on TridentBackendConfigs in Trident's namespace (`trident.namespace`), nothing else (read by
controller.shoot_health)."""

from __future__ import annotations

from typing import Any

from controller.shoot_access.names import SERVICE_ACCOUNT, SERVICE_ACCOUNT_NAMESPACE

READER = "gardener-extension-ontap-health"
RBAC_API = "rbac.authorization.k8s.io/v1"


def reader_objects(namespace: str) -> list[dict[str, Any]]:
    """A Role and its RoleBinding in Trident's `namespace` for the shoot-access Secret's ServiceAccount."""
    meta = {"name": READER, "namespace": namespace}
    role = {
        "apiVersion": RBAC_API,
        "kind": "Role",
        "metadata": dict(meta),
        "rules": [
            {"apiGroups": ["trident.netapp.io"], "resources": ["tridentbackendconfigs"], "verbs": ["get"]}
        ],
    }
    binding = {
        "apiVersion": RBAC_API,
        "kind": "RoleBinding",
        "metadata": dict(meta),
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": READER},
        "subjects": [
            {"kind": "ServiceAccount", "name": SERVICE_ACCOUNT, "namespace": SERVICE_ACCOUNT_NAMESPACE}
        ],
    }
    return [role, binding]

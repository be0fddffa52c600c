"""What gardenlet does between a Migrate on the old seed and the Restore on the new one.

gardenlet persists each extension object's `status.state` and `status.resources`, and the objects
those reference, in the ShootState (`persist`); on the new seed it creates the Extension with
`wait-for-state`, writes state and resources back into its status, creates the referenced objects in
the new namespace and then sets the `restore` operation (`restore`; gardener's
`RestoreExtensionObjectState`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kubernetes_asyncio import client as k8s

GROUP, VERSION = "extensions.gardener.cloud", "v1alpha1"
MERGE_PATCH = "application/merge-patch+json"
OPERATION = "gardener.cloud/operation"


@dataclass(frozen=True)
class ShootStateEntry:
    """One Extension's part of the ShootState."""

    name: str
    spec: dict[str, Any]
    state: dict[str, Any] | None
    resources: list[dict[str, Any]]
    secrets: list[Any]  # the referenced Secrets as read on the old seed


async def persist(api_client: Any, ext: dict[str, Any]) -> ShootStateEntry:
    """Read the migrated Extension's state, resources and the Secrets they reference."""
    status = ext.get("status") or {}
    resources = list(status.get("resources") or [])
    core = k8s.CoreV1Api(api_client)
    secrets = []
    for entry in resources:
        ref = entry["resourceRef"]
        assert ref["kind"] == "Secret", f"unexpected referenced resource {ref}"
        secrets.append(await core.read_namespaced_secret(ref["name"], ext["metadata"]["namespace"]))
    return ShootStateEntry(ext["metadata"]["name"], ext["spec"], status.get("state"), resources, secrets)


async def restore(
    api_client: Any, entry: ShootStateEntry, namespace: str, *, with_secrets: bool = True
) -> dict[str, Any]:
    """Create the Extension in `namespace` as gardenlet restores it; returns it as stored.

    `with_secrets=False` plays a ShootState that lost the referenced objects.
    """
    custom = k8s.CustomObjectsApi(api_client)
    body = {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "Extension",
        "metadata": {
            "name": entry.name,
            "namespace": namespace,
            "annotations": {OPERATION: "wait-for-state"},
        },
        "spec": entry.spec,
    }
    await custom.create_namespaced_custom_object(GROUP, VERSION, namespace, "extensions", body)
    await custom.patch_namespaced_custom_object_status(
        GROUP,
        VERSION,
        namespace,
        "extensions",
        entry.name,
        {"status": {"state": entry.state, "resources": entry.resources}},
        _content_type=MERGE_PATCH,  # type: ignore[call-arg]
    )
    if with_secrets:
        core = k8s.CoreV1Api(api_client)
        for secret in entry.secrets:
            copy = k8s.V1Secret(
                metadata=k8s.V1ObjectMeta(
                    name=secret.metadata.name,
                    namespace=namespace,
                    labels=secret.metadata.labels,
                    annotations=secret.metadata.annotations,
                ),
                type=secret.type,
                data=secret.data,
            )
            await core.create_namespaced_secret(namespace, copy)
    await custom.patch_namespaced_custom_object(
        GROUP,
        VERSION,
        namespace,
        "extensions",
        entry.name,
        {"metadata": {"annotations": {OPERATION: "restore"}}},
        _content_type=MERGE_PATCH,  # type: ignore[call-arg]
    )
    restored: dict[str, Any] = await custom.get_namespaced_custom_object(
        GROUP, VERSION, namespace, "extensions", entry.name
    )
    return restored

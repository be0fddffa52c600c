"""Every Kubernetes Secret the controller touches: the seed secret (read, create, replace guarded by
resourceVersion, delete; written only on difference) and the immutable content secrets of
ManagedResources (list, read, create, label)."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

from kubernetes_asyncio import client as k8s
from kubernetes_asyncio.client.exceptions import ApiException

from controller.kube.client import get_json, json_answer


class SecretConflict(Exception):
    """Someone else changed or created the Secret since it was read; re-read and decide again."""


SECRET_API = "/api/v1/namespaces/{namespace}/secrets"
MERGE_PATCH = "application/merge-patch+json"


@dataclass(frozen=True)
class StoredSecret:
    """A Secret as read from the API server, with its data decoded. `repr` never shows the values."""

    namespace: str
    name: str
    data: dict[str, str] = field(repr=False)
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    resource_version: str = ""

    @property
    def ref(self) -> str:
        return f"Secret {self.namespace}/{self.name}"


def decode_data(data: dict[str, str] | None) -> dict[str, str]:
    """A Secret's `data`, base64-decoded; an undecodable value becomes "" (never equal to real content)."""
    decoded = {}
    for key, value in (data or {}).items():
        try:
            decoded[key] = base64.b64decode(value or "").decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            decoded[key] = ""  # undecodable content counts as corrupt, never as a value
    return decoded


def encode_data(data: dict[str, str]) -> dict[str, str]:
    """A Secret's `data`, base64-encoded."""
    return {key: base64.b64encode(value.encode("utf-8")).decode("ascii") for key, value in data.items()}


def _plain(api_client: Any, obj: Any) -> dict[str, Any]:
    """A Secret as the API server's JSON (every answer comes as JSON; a model is turned back into it)."""
    if isinstance(obj, dict):
        return obj
    plain: dict[str, Any] = api_client.sanitize_for_serialization(obj)
    return plain


def _stored(obj: dict[str, Any]) -> StoredSecret:
    meta = obj.get("metadata") or {}
    return StoredSecret(
        namespace=str(meta.get("namespace") or ""),
        name=str(meta.get("name") or ""),
        data=decode_data(obj.get("data")),
        labels=dict(meta.get("labels") or {}),
        annotations=dict(meta.get("annotations") or {}),
        resource_version=str(meta.get("resourceVersion") or ""),
    )


async def _read(api_client: Any, namespace: str, name: str) -> dict[str, Any] | None:
    """The Secret as JSON (no client models: reads are on every pass), or None when it does not exist."""
    try:
        return await get_json(api_client, f"{SECRET_API.format(namespace=namespace)}/{name}")
    except ApiException as exc:
        if exc.status == 404:
            return None
        raise


async def _create(api_client: Any, namespace: str, body: k8s.V1Secret) -> Any:
    """Create the Secret; `SecretConflict` when one of that name exists (e.g. created concurrently)."""
    try:
        return await json_answer(
            k8s.CoreV1Api(api_client).create_namespaced_secret(namespace, body, _preload_content=False)
        )
    except ApiException as exc:
        if exc.status == 409:
            raise SecretConflict(f"Secret {namespace}/{body.metadata.name} exists already") from None
        raise


async def get_secret(api_client: Any, namespace: str, name: str) -> StoredSecret | None:
    """The Secret, or None when it does not exist."""
    obj = await _read(api_client, namespace, name)
    return None if obj is None else _stored(obj)


async def create_secret(
    api_client: Any,
    namespace: str,
    name: str,
    data: dict[str, str],
    *,
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
) -> StoredSecret:
    """Create the Secret; `SecretConflict` when it appeared meanwhile."""
    body = k8s.V1Secret(
        metadata=k8s.V1ObjectMeta(name=name, namespace=namespace, labels=labels, annotations=annotations),
        type="Opaque",
        data=encode_data(data),
    )
    return _stored(_plain(api_client, await _create(api_client, namespace, body)))


async def replace_secret(
    api_client: Any,
    current: StoredSecret,
    data: dict[str, str],
    *,
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
) -> StoredSecret:
    """Replace data/labels/annotations if the resourceVersion still matches, else `SecretConflict`."""
    body = k8s.V1Secret(
        metadata=k8s.V1ObjectMeta(
            name=current.name,
            namespace=current.namespace,
            labels=labels if labels is not None else current.labels,
            annotations=annotations if annotations is not None else current.annotations,
            resource_version=current.resource_version,
        ),
        type="Opaque",
        data=encode_data(data),
    )
    try:
        obj = await json_answer(
            k8s.CoreV1Api(api_client).replace_namespaced_secret(
                current.name, current.namespace, body, _preload_content=False
            )
        )
    except ApiException as exc:
        if exc.status in (404, 409):
            raise SecretConflict(f"{current.ref} changed since it was read (HTTP {exc.status})") from None
        raise
    return _stored(_plain(api_client, obj))


def secret_up_to_date(
    current: StoredSecret, data: dict[str, str], *, labels: dict[str, str], annotations: dict[str, str]
) -> bool:
    """Pure: whether `current` already holds exactly `data` and includes `labels`/`annotations`
    (then `apply_secret` writes nothing)."""
    return (
        current.data == data
        and current.labels == {**current.labels, **labels}
        and current.annotations == {**current.annotations, **annotations}
    )


async def apply_secret(
    api_client: Any,
    namespace: str,
    name: str,
    data: dict[str, str],
    *,
    labels: dict[str, str],
    annotations: dict[str, str],
    current: StoredSecret | None,
) -> tuple[StoredSecret, bool]:
    """Make the Secret hold exactly `data` and include `labels`/`annotations`; no write when it already does.

    Returns the Secret and whether it was written. Labels and annotations of others are kept.
    """
    if current is None:
        return await create_secret(
            api_client, namespace, name, data, labels=labels, annotations=annotations
        ), True
    if secret_up_to_date(current, data, labels=labels, annotations=annotations):
        return current, False
    merged_labels = {**current.labels, **labels}
    merged_annotations = {**current.annotations, **annotations}
    replaced = await replace_secret(
        api_client, current, data, labels=merged_labels, annotations=merged_annotations
    )
    return replaced, True


async def delete_secret(api_client: Any, namespace: str, name: str) -> bool:
    """Delete the Secret; returns False when it was already gone."""
    try:
        await json_answer(
            k8s.CoreV1Api(api_client).delete_namespaced_secret(name, namespace, _preload_content=False)
        )
    except ApiException as exc:
        if exc.status == 404:
            return False
        raise
    return True


# Content secrets of ManagedResources: immutable, named by their content's hash.


@dataclass(frozen=True)
class ObservedContentSecret:
    """A content secret of a ManagedResource, data decoded; `repr` never shows the data."""

    namespace: str
    name: str
    data: dict[str, str] = field(repr=False)
    labels: dict[str, str] = field(default_factory=dict)
    immutable: bool = False
    deleting: bool = False
    annotations: dict[str, str] = field(default_factory=dict)

    @property
    def ref(self) -> str:
        return f"Secret {self.namespace}/{self.name}"


def _observed_secret(obj: dict[str, Any]) -> ObservedContentSecret:
    meta = obj.get("metadata") or {}
    return ObservedContentSecret(
        namespace=str(meta.get("namespace") or ""),
        name=str(meta.get("name") or ""),
        data=decode_data(obj.get("data")),
        labels=dict(meta.get("labels") or {}),
        immutable=bool(obj.get("immutable")),
        deleting=meta.get("deletionTimestamp") is not None,
        annotations=dict(meta.get("annotations") or {}),
    )


async def list_content_secrets(
    api_client: Any, namespace: str, label_selector: str
) -> list[ObservedContentSecret]:
    """The Secrets of `namespace` matching `label_selector` (one LIST request)."""
    listing = await get_json(
        api_client, SECRET_API.format(namespace=namespace), [("labelSelector", label_selector)]
    )
    return [_observed_secret(item) for item in listing.get("items") or []]


async def get_content_secret(api_client: Any, namespace: str, name: str) -> ObservedContentSecret | None:
    """The secret, or None when it does not exist."""
    obj = await _read(api_client, namespace, name)
    return None if obj is None else _observed_secret(obj)


async def create_content_secret(
    api_client: Any, namespace: str, name: str, data: dict[str, str], labels: dict[str, str]
) -> ObservedContentSecret:
    """Create an immutable Opaque secret; `SecretConflict` when the name is taken."""
    body = k8s.V1Secret(
        metadata=k8s.V1ObjectMeta(name=name, namespace=namespace, labels=labels),
        type="Opaque",
        immutable=True,
        data=encode_data(data),
    )
    return _observed_secret(_plain(api_client, await _create(api_client, namespace, body)))


async def patch_secret_metadata(
    api_client: Any, namespace: str, name: str, labels: dict[str, str], annotations: dict[str, str]
) -> None:
    """Merge `labels` and `annotations` into the secret's metadata (its data is left alone)."""
    await json_answer(
        k8s.CoreV1Api(api_client).patch_namespaced_secret(
            name,
            namespace,
            {"metadata": {"labels": labels, "annotations": annotations}},
            _content_type=MERGE_PATCH,  # type: ignore[call-arg]
            _preload_content=False,
        )
    )


async def patch_secret_labels(api_client: Any, namespace: str, name: str, labels: dict[str, str]) -> None:
    """Merge `labels` into the secret's labels (metadata stays writable on immutable secrets)."""
    await json_answer(
        k8s.CoreV1Api(api_client).patch_namespaced_secret(
            name,
            namespace,
            {"metadata": {"labels": labels}},
            _content_type=MERGE_PATCH,  # type: ignore[call-arg]
            _preload_content=False,
        )
    )

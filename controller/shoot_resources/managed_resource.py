"""What one ManagedResource should look like: its manifests, their content hash, its secret and its spec.

Pure data, no I/O. The manifests are built as dicts and serialized as safe YAML (`serialize`), one
object per secret data key, so the same objects always give the same bytes and the same hash.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import yaml

from controller.shoot_resources import names

_UNSAFE_KEY_CHARS = re.compile(r"[^-._a-zA-Z0-9]")
# libyaml's emitter when PyYAML has it: the same text as the pure-Python SafeDumper for these manifests
# (tests/shoot_resources/test_serialization.py compares them), at a quarter of the CPU.
YAML_DUMPER: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class ManifestError(ValueError):
    """A manifest cannot be carried by a ManagedResource (missing kind or name, or a duplicate object)."""


def manifest_key(obj: dict[str, Any]) -> str:
    """The secret data key of one object: `<kind>__<namespace>__<name>.yaml` (no namespace: cluster-wide)."""
    kind = str(obj.get("kind") or "")
    metadata = obj.get("metadata") or {}
    name = str(metadata.get("name") or "")
    if not kind or not name:
        raise ManifestError(f"a manifest needs kind and metadata.name, got kind={kind!r} name={name!r}")
    namespace = str(metadata.get("namespace") or "")
    return _UNSAFE_KEY_CHARS.sub("_", f"{kind.lower()}__{namespace}__{name}.yaml")


# YAML text of recently serialized manifests by a digest of their JSON form: a steady pass renders the
# same objects as the pass before, and JSON (C) is far cheaper than YAML (Python) to produce. Kept by
# size, so that the manifests of every shoot of a large seed fit (a few kB per shoot; objects shared by
# all shoots, like the operator bundle, once).
_SERIALIZED: OrderedDict[bytes, str] = OrderedDict()
_SERIALIZED_BUDGET = 24 * 1024 * 1024  # characters of YAML kept (about 1.5 kB per shoot of its own)
_serialized_size = 0


def serialize(obj: dict[str, Any]) -> str:
    """One manifest as YAML, keys sorted so that equal objects give equal text."""
    global _serialized_size
    key = json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)
    digest = hashlib.sha256(key.encode()).digest()
    text = _SERIALIZED.get(digest)
    if text is None:
        text = yaml.dump(
            obj, Dumper=YAML_DUMPER, sort_keys=True, default_flow_style=False, allow_unicode=True
        )
        _SERIALIZED[digest] = text
        _serialized_size += len(text)
        while _serialized_size > _SERIALIZED_BUDGET and len(_SERIALIZED) > 1:
            _, dropped = _SERIALIZED.popitem(last=False)
            _serialized_size -= len(dropped)
    else:
        _SERIALIZED.move_to_end(digest)
    return text


def manifests_data(objects: list[dict[str, Any]]) -> dict[str, str]:
    """Secret data for a ManagedResource: one key per object; a repeated object is an error."""
    data: dict[str, str] = {}
    for obj in objects:
        key = manifest_key(obj)
        if key in data:
            raise ManifestError(f"object {key.removesuffix('.yaml')} appears twice")
        data[key] = serialize(obj)
    return data


def content_hash(data: dict[str, str]) -> str:
    """SHA-256 over the secret data (keys sorted), hex; the secret name carries its first 8 characters."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":")).encode("utf-8")
    return hashlib.sha256(canonical).hexdigest()


@dataclass(frozen=True)
class DesiredManagedResource:
    """One ManagedResource and the immutable secret with its current manifests. `repr` hides the data."""

    name: str
    data: dict[str, str] = field(repr=False)
    summary: str = ""

    @functools.cached_property
    def content_hash(self) -> str:
        # Worked out once: the plan, the spec and the secret name all ask for it (the data never changes).
        return content_hash(self.data)

    @functools.cached_property
    def secret_name(self) -> str:
        return names.content_secret_name(self.name, self.content_hash)

    def labels(self) -> dict[str, str]:
        """Labels on the ManagedResource (ours only; no Gardener `origin`)."""
        return {names.MANAGED_BY_LABEL: names.MANAGED_BY, names.MANAGED_RESOURCE_LABEL: self.name}

    def secret_labels(self) -> dict[str, str]:
        """Labels on the content secret: ours, plus the resource manager's garbage-collection marker."""
        return {**self.labels(), names.GARBAGE_COLLECTABLE_LABEL: "true"}

    def spec(self) -> dict[str, Any]:
        """The spec: the current content secret, objects deleted with the resource, no class (= shoot)."""
        return {
            "secretRefs": [{"name": self.secret_name}],
            "keepObjects": False,
            "injectLabels": {names.NO_CLEANUP_LABEL: "true"},
        }

    def body(self, namespace: str) -> dict[str, Any]:
        """The full ManagedResource object to create in the seed namespace."""
        return {
            "apiVersion": "resources.gardener.cloud/v1alpha1",
            "kind": "ManagedResource",
            "metadata": {"name": self.name, "namespace": namespace, "labels": self.labels()},
            "spec": self.spec(),
        }


def desired_managed_resource(
    name: str, objects: list[dict[str, Any]], summary: str
) -> DesiredManagedResource:
    """A ManagedResource carrying `objects`; `summary` says in words what it deploys (for conditions)."""
    return DesiredManagedResource(name=name, data=manifests_data(objects), summary=summary)

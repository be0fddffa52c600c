"""The Trident operator bundle: a multi-document YAML file supplied by the operator, passed through as is.

The project does not vendor NetApp's manifests; `trident.operatorBundleFile` in the controller configuration
names the file (for example Trident's `bundle_post_1_25.yaml` plus a `TridentOrchestrator`). Each document
must be a Kubernetes object with apiVersion, kind and metadata.name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from controller.shoot_resources import names
from controller.shoot_resources.managed_resource import (
    DesiredManagedResource,
    ManifestError,
    desired_managed_resource,
)


class OperatorBundleError(ValueError):
    """The bundle cannot be read or holds a non-object; the message names the file and the document."""


def parse_operator_bundle(text: str, *, source: str) -> list[dict[str, Any]]:
    """The objects of a multi-document YAML text; empty documents are skipped, all others must be objects."""
    try:
        documents = list(yaml.safe_load_all(text))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise OperatorBundleError(f"{source} is not valid YAML{where}") from None
    objects: list[dict[str, Any]] = []
    for index, document in enumerate(documents):
        if document is None:
            continue
        if not isinstance(document, dict):
            raise OperatorBundleError(f"{source}: document {index + 1} is not a Kubernetes object")
        metadata = document.get("metadata")
        missing = [
            key
            for key, value in (
                ("apiVersion", document.get("apiVersion")),
                ("kind", document.get("kind")),
                ("metadata.name", metadata.get("name") if isinstance(metadata, dict) else None),
            )
            if not isinstance(value, str) or not value
        ]
        if missing:
            raise OperatorBundleError(f"{source}: document {index + 1} lacks {', '.join(missing)}")
        objects.append(document)
    if not objects:
        raise OperatorBundleError(f"{source} holds no Kubernetes objects")
    return objects


def load_operator_bundle(path: Path) -> list[dict[str, Any]]:
    """Read and parse the bundle file; `OperatorBundleError` names the file and what is wrong."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise OperatorBundleError(
            f"cannot read Trident operator bundle {str(path)!r}: {exc.strerror}"
        ) from None
    return parse_operator_bundle(text, source=f"Trident operator bundle {str(path)!r}")


def render_operator(path: Path) -> DesiredManagedResource:
    """MR `extension-ontap-trident-operator`: every object of the bundle file."""
    objects = load_operator_bundle(path)
    try:
        return desired_managed_resource(
            names.OPERATOR_MR, objects, f"{len(objects)} objects of the Trident operator bundle {path.name}"
        )
    except ManifestError as exc:
        raise OperatorBundleError(f"Trident operator bundle {str(path)!r}: {exc}") from None

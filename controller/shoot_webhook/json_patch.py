"""An RFC 6902 JSON patch that turns one JSON document into another (what admission webhooks answer with).

Objects are compared key by key (add / remove / recurse), anything else that differs is replaced whole,
so the patch is short for the few fields a mutation touches and always valid against `before`.
"""

from __future__ import annotations

from typing import Any

JsonPatch = list[dict[str, Any]]


def pointer_token(key: str) -> str:
    """A JSON pointer token (RFC 6901): `~` -> `~0`, `/` -> `~1`."""
    return key.replace("~", "~0").replace("/", "~1")


def diff(before: Any, after: Any, path: str = "") -> JsonPatch:
    """The operations that make `before` equal to `after`; empty when they are equal."""
    if before == after:
        return []
    if not (isinstance(before, dict) and isinstance(after, dict)):
        return [{"op": "replace", "path": path, "value": after}]
    ops: JsonPatch = []
    for key in before:
        if key not in after:
            ops.append({"op": "remove", "path": f"{path}/{pointer_token(key)}"})
    for key, value in after.items():
        child = f"{path}/{pointer_token(key)}"
        if key not in before:
            ops.append({"op": "add", "path": child, "value": value})
        else:
            ops.extend(diff(before[key], value, child))
    return ops

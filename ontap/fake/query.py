"""ONTAP collection semantics: `fields=`, filters on dotted fields, `max_records` paging.

Filter values use ONTAP's operators: `a|b` (either), `*` (wildcard), `!x` (not), `<`, `>`, `<=`,
`>=`, `null` and `!null`. String comparisons ignore case, as ONTAP's do.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from ontap.fake.errors import UNEXPECTED_ARGUMENT, FakeApiError, bad_field, invalid_fields

KnownField = Callable[[str], bool]

CONTROL_PARAMETERS = frozenset(
    {"fields", "max_records", "return_records", "return_timeout", "start", "order_by"}
)
ALL_FIELDS = frozenset({"*", "**"})


def values_at(record: Any, dotted: str) -> list[Any]:
    """Every value at a dotted path, looking through lists (`aggregates.name` -> all names)."""
    current = [record]
    for part in dotted.split("."):
        following: list[Any] = []
        for item in current:
            items = item if isinstance(item, list) else [item]
            for element in items:
                if isinstance(element, dict) and part in element:
                    following.append(element[part])
        current = following
    flat: list[Any] = []
    for value in current:
        flat.extend(value if isinstance(value, list) else [value])
    return flat


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _compare(value: Any, operator: str, operand: str) -> bool:
    try:
        left: Any = float(value)
        right: Any = float(operand)
    except (TypeError, ValueError):
        left, right = _text(value).lower(), operand.lower()
    if operator == "<=":
        return bool(left <= right)
    if operator == ">=":
        return bool(left >= right)
    if operator == "<":
        return bool(left < right)
    return bool(left > right)


def _matches_one(values: Sequence[Any], pattern: str) -> bool:
    if pattern == "null":
        return not values
    if pattern == "!null":
        return bool(values)
    if pattern.startswith("!"):
        return not _matches_one(values, pattern[1:])
    for operator in ("<=", ">=", "<", ">"):
        if pattern.startswith(operator):
            return any(_compare(v, operator, pattern[len(operator) :]) for v in values)
    if "*" in pattern:
        return any(fnmatch.fnmatchcase(_text(v).lower(), pattern.lower()) for v in values)
    return any(_text(v).lower() == pattern.lower() for v in values)


def matches(record: Mapping[str, Any], filters: Mapping[str, str]) -> bool:
    """True when the record passes every filter (each filter may list `|` alternatives)."""
    for dotted, expression in filters.items():
        values = values_at(record, dotted)
        if not any(_matches_one(values, alternative) for alternative in expression.split("|")):
            return False
    return True


def _pick(value: Any, parts: list[str]) -> Any:
    if not parts:
        return value
    if isinstance(value, list):
        return [_pick(item, parts) for item in value]
    if isinstance(value, dict) and parts[0] in value:
        return {parts[0]: _pick(value[parts[0]], parts[1:])}
    return None


def _merge(into: dict[str, Any], extra: Mapping[str, Any]) -> None:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        elif isinstance(value, list) and isinstance(into.get(key), list) and len(value) == len(into[key]):
            for mine, theirs in zip(into[key], value, strict=True):
                if isinstance(mine, dict) and isinstance(theirs, dict):
                    _merge(mine, theirs)
        else:
            into[key] = value


def project(record: Mapping[str, Any], fields: Iterable[str]) -> dict[str, Any]:
    """The part of a record the dotted `fields` select (`*`/`**` select everything)."""
    wanted = [f for f in fields if f]
    if any(f in ALL_FIELDS for f in wanted):
        return dict(record)
    result: dict[str, Any] = {}
    for dotted in wanted:
        picked = _pick(record, dotted.split("."))
        if isinstance(picked, dict):
            _merge(result, picked)
    if "_links" in record:
        result["_links"] = record["_links"]
    return result


def split_fields(raw: str | None) -> list[str]:
    """`fields=a,b.c` as a list."""
    return [f.strip() for f in (raw or "").split(",") if f.strip()]


def filters_of(query: Mapping[str, str]) -> dict[str, str]:
    """The query parameters that filter records (everything but the control parameters)."""
    return {k: v for k, v in query.items() if k not in CONTROL_PARAMETERS and not k.startswith("start.")}


def check_names(query: Mapping[str, str], known: KnownField | None) -> None:
    """Refuse `fields=` entries (262197) and filters naming fields the resource does not have.

    ONTAP's code for an unknown filter is not documented; the fake answers 262179 "Unexpected
    argument", ONTAP's code for an argument an operation does not take (see docs/fake-ontap.md).
    """
    if known is None:
        return
    for name in split_fields(query.get("fields")):
        if not known(name):
            raise invalid_fields(name)
    for name in filters_of(query):
        if not known(name):
            raise FakeApiError(400, UNEXPECTED_ARGUMENT, f'Unexpected argument "{name}".', name)


def _is_true(raw: str | None, default: bool) -> bool:
    if raw is None:
        return default
    return raw.strip().lower() == "true"


def collection(
    path: str,
    query: Mapping[str, str],
    records: Iterable[Mapping[str, Any]],
    key_fields: Sequence[str],
    sort_key: Any,
    known: KnownField | None = None,
) -> dict[str, Any]:
    """ONTAP's collection answer for `records` (already rendered with `_links`) under `query`."""
    check_names(query, known)
    filters = filters_of(query)
    selected = sorted((r for r in records if matches(r, filters)), key=sort_key)
    if not _is_true(query.get("return_records"), default=True):
        return {"num_records": len(selected)}
    start = query.get("start")
    if start:
        selected = [r for r in selected if str(sort_key(r)) >= start]
    max_records = _max_records(query.get("max_records"))
    page, rest = (selected, []) if max_records is None else (selected[:max_records], selected[max_records:])
    fields = [*key_fields, *split_fields(query.get("fields")), *filters]
    body: dict[str, Any] = {
        "records": [project(r, fields) for r in page],
        "num_records": len(page),
        "_links": {"self": {"href": _href(path, query)}},
    }
    if rest:
        following = {k: v for k, v in query.items() if k != "start"}
        following["start"] = str(sort_key(rest[0]))
        body["_links"]["next"] = {"href": _href(path, following)}
    return body


def _max_records(raw: str | None) -> int | None:
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise bad_field("max_records", raw) from None
    if value < 1:
        raise FakeApiError(400, "2", "max_records must be greater than 0", "max_records")
    return value


def _href(path: str, query: Mapping[str, str]) -> str:
    return f"{path}?{urlencode(query)}" if query else path


def instance(
    record: Mapping[str, Any],
    query: Mapping[str, str],
    key_fields: Sequence[str],
    known: KnownField | None = None,
) -> dict[str, Any]:
    """ONTAP's answer for one record: all fields, or the key fields plus `fields=`."""
    check_names(query, known)
    fields = split_fields(query.get("fields"))
    if not fields:
        return dict(record)
    return project(record, [*key_fields, *fields])

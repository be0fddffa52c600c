"""What an ONTAP answer must look like before the layer believes it (pure functions).

A read that decides "this object does not exist" must be proven by a well-formed answer: a
collection envelope whose `records` is a list, whose `num_records` (when present) agrees, and whose
records carry the key fields that were asked for and the values that were filtered on. Anything else
raises `OntapUnexpectedAnswer`: it is never taken for "nothing there", so it can never trigger a
create. Messages say what was wrong, never what the body held (it could hold secrets).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from ontap.errors import OntapUnexpectedAnswer

MAX_PAGES = 100


def size_text(size: int) -> str:
    """`512 B`, `1.2 KB`, `66.0 MB`."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def content_type_of(header: str | None) -> str:
    """The media type of a Content-Type header, without parameters (`text/html`), or `no content type`."""
    media = (header or "").split(";", 1)[0].strip().lower()
    return media[:60] or "no content type"


def not_json(status: int, content_type: str | None, content: bytes, call: str) -> OntapUnexpectedAnswer:
    """The error for a body that does not parse as JSON (HTML page, truncated JSON, garbage)."""
    media = content_type_of(content_type)
    hint = "; truncated or malformed JSON" if media.endswith("json") else ""
    return OntapUnexpectedAnswer(
        f"ONTAP answered {status} with a body that is not JSON ({media}, {size_text(len(content))}{hint})"
        f" for {call}",
        http_status=status,
    )


def parse_body(status: int, content_type: str | None, content: bytes, call: str) -> dict[str, Any]:
    """The JSON object of a successful answer; `{}` for an empty body."""
    if not content.strip():
        return {}
    try:
        data = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        raise not_json(status, content_type, content, call) from None
    if not isinstance(data, dict):
        raise OntapUnexpectedAnswer(
            f"ONTAP answered {status} with JSON that is not an object ({type(data).__name__}) for {call}",
            http_status=status,
        )
    return data


def collection_records(data: Mapping[str, Any], call: str) -> list[dict[str, Any]]:
    """The records of one collection page, after checking the envelope."""
    if "records" not in data:
        raise OntapUnexpectedAnswer(f"the answer to {call} is not a collection: it has no 'records'")
    records = data["records"]
    if not isinstance(records, list):
        raise OntapUnexpectedAnswer(
            f"the answer to {call} has 'records' of type {type(records).__name__}, not a list"
        )
    if "num_records" in data:
        count = data["num_records"]
        if not isinstance(count, int) or isinstance(count, bool):
            raise OntapUnexpectedAnswer(f"the answer to {call} has a 'num_records' that is not a number")
        if count != len(records):
            raise OntapUnexpectedAnswer(
                f"the answer to {call} says num_records {count} but holds {len(records)} records"
            )
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            raise OntapUnexpectedAnswer(f"record {index} of the answer to {call} is not an object")
    return records


def lookup(record: Mapping[str, Any], dotted: str) -> Any:
    """`record["svm"]["uuid"]` for `svm.uuid`; None when any part is missing."""
    value: Any = record
    for part in dotted.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def check_records(
    records: Sequence[Mapping[str, Any]],
    call: str,
    *,
    keys: Sequence[str] = (),
    match: Mapping[str, str] | None = None,
) -> None:
    """Every record carries each of `keys` (non-empty) and the values of `match` that were filtered on."""
    for index, record in enumerate(records):
        for key in keys:
            value = lookup(record, key)
            if value is None or value == "":
                raise OntapUnexpectedAnswer(f"record {index} of the answer to {call} has no '{key}'")
        for key, wanted in (match or {}).items():
            value = lookup(record, key)
            if value is None:
                raise OntapUnexpectedAnswer(f"record {index} of the answer to {call} has no '{key}'")
            if str(value) != wanted:
                raise OntapUnexpectedAnswer(
                    f"record {index} of the answer to {call} has a '{key}' other than "
                    f"the {wanted!r} asked for"
                )


def next_link(data: Mapping[str, Any], call: str) -> str | None:
    """The path of the next page (`_links.next.href`), None on the last page; only `/api/...` paths."""
    href = lookup(data, "_links.next.href")
    if href is None or href == "":
        return None
    if not isinstance(href, str) or not href.startswith("/api/"):
        raise OntapUnexpectedAnswer(f"the answer to {call} links its next page outside /api/")
    return href


def record_count(data: Mapping[str, Any], call: str) -> int:
    """`num_records` of a `return_records=false` answer: a number >= 0, else not an answer."""
    count = data.get("num_records")
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise OntapUnexpectedAnswer(f"the answer to {call} has no valid 'num_records'")
    return count

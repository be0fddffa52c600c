"""Collection semantics and the request log, without a server."""

from __future__ import annotations

from typing import Any

from ontap.fake import query
from ontap.fake.request_log import RequestLog

RECORDS: list[dict[str, Any]] = [
    {"uuid": "a", "name": "alpha", "size": 10, "enabled": True, "tags": [{"name": "x"}], "_links": {}},
    {"uuid": "b", "name": "beta", "size": 20, "enabled": False, "tags": [{"name": "y"}], "_links": {}},
    {"uuid": "c", "name": "Gamma", "size": 30, "enabled": True, "_links": {}},
]


def names(**filters: str) -> list[str]:
    return [r["name"] for r in RECORDS if query.matches(r, filters)]


def test_filter_operators() -> None:
    assert names(name="alpha|beta") == ["alpha", "beta"]
    assert names(name="gamma") == ["Gamma"]
    assert names(name="!alpha") == ["beta", "Gamma"]
    assert names(name="*ta") == ["beta"]
    assert names(size=">15") == ["beta", "Gamma"]
    assert names(size="<=20") == ["alpha", "beta"]
    assert names(enabled="true") == ["alpha", "Gamma"]
    assert names(**{"tags.name": "y"}) == ["beta"]
    assert names(**{"tags.name": "null"}) == ["Gamma"]
    assert names(**{"tags.name": "!null"}) == ["alpha", "beta"]


def test_projection_keeps_keys_links_and_dotted_fields() -> None:
    record = {
        "uuid": "u",
        "name": "n",
        "svm": {"name": "s", "uuid": "v"},
        "ip": {"address": "1.2.3.4"},
        "_links": {},
    }
    assert query.project(record, ["uuid", "svm.name"]) == {"uuid": "u", "svm": {"name": "s"}, "_links": {}}
    assert query.project(record, ["*"]) == record


def test_paging_and_counting() -> None:
    body = query.collection(
        "/api/x", {"max_records": "2", "enabled": "true"}, RECORDS, ["uuid"], lambda r: r["uuid"]
    )
    assert [r["uuid"] for r in body["records"]] == ["a", "c"]
    assert "next" not in body["_links"]
    first = query.collection("/api/x", {"max_records": "1"}, RECORDS, ["uuid"], lambda r: r["uuid"])
    assert first["_links"]["next"]["href"] == "/api/x?max_records=1&start=b"
    second = query.collection(
        "/api/x", {"max_records": "1", "start": "b"}, RECORDS, ["uuid"], lambda r: r["uuid"]
    )
    assert [r["uuid"] for r in second["records"]] == ["b"]
    counted = query.collection("/api/x", {"return_records": "false"}, RECORDS, ["uuid"], lambda r: r["uuid"])
    assert counted == {"num_records": 3}


def test_request_log_is_bounded_but_counts_everything() -> None:
    log = RequestLog(max_entries=3)
    for index in range(5):
        log.record("GET", f"/api/svm/svms/{index}", "/api/svm/svms/{uuid}", {}, 200, "admin")
    log.record("PATCH", "/api/svm/svms/9", "/api/svm/svms/{uuid}", {}, 202, "p-user")
    assert [e.seq for e in log.entries()] == [4, 5, 6]
    assert log.counts() == {"GET /api/svm/svms/{uuid}": 5, "PATCH /api/svm/svms/{uuid}": 1}
    assert log.count(writes_only=True) == 1
    assert log.count(user="admin", path_prefix="/api/svm/svms/4") == 1

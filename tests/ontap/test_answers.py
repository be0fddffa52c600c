"""`ontap.answers`: only a well-formed answer proves that something does not exist."""

from __future__ import annotations

from typing import Any

import pytest

from ontap import answers
from ontap.errors import OntapUnexpectedAnswer

CALL = "GET /api/svm/svms"


def test_an_empty_collection_is_proof_of_absence() -> None:
    assert answers.collection_records({"records": [], "num_records": 0}, CALL) == []
    assert answers.collection_records({"records": []}, CALL) == []


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({}, "has no 'records'"),
        ({"num_records": 0}, "has no 'records'"),
        ({"records": None}, "'records' of type NoneType, not a list"),
        ({"records": {"name": "p1"}}, "'records' of type dict"),
        ({"records": [], "num_records": 1}, "says num_records 1 but holds 0 records"),
        ({"records": [{"name": "p1"}], "num_records": 0}, "says num_records 0 but holds 1"),
        ({"records": [], "num_records": "0"}, "'num_records' that is not a number"),
        ({"records": [], "num_records": False}, "'num_records' that is not a number"),
        (
            {"records": ["p1"], "num_records": 1},
            "record 0 of the answer to GET /api/svm/svms is not an object",
        ),
    ],
)
def test_a_malformed_envelope_is_not_an_answer(data: dict[str, Any], problem: str) -> None:
    with pytest.raises(
        OntapUnexpectedAnswer, match=problem.replace("(", r"\(").replace(")", r"\)")
    ) as raised:
        answers.collection_records(data, CALL)
    assert CALL in str(raised.value)
    assert raised.value.kind == "unexpected-answer" and not raised.value.retryable


def test_records_must_carry_key_fields_and_the_filtered_name() -> None:
    good = [{"uuid": "u1", "name": "p1", "svm": {"uuid": "s1"}}]
    answers.check_records(good, CALL, keys=("uuid",), match={"name": "p1", "svm.uuid": "s1"})
    with pytest.raises(OntapUnexpectedAnswer, match=r"record 0 .* has no 'uuid'"):
        answers.check_records([{"name": "p1"}], CALL, keys=("uuid",), match={"name": "p1"})
    with pytest.raises(OntapUnexpectedAnswer, match="has no 'uuid'"):
        answers.check_records([{"name": "p1", "uuid": ""}], CALL, keys=("uuid",))
    with pytest.raises(OntapUnexpectedAnswer, match=r"record 0 .* has no 'name'"):
        answers.check_records([{"uuid": "u1"}], CALL, keys=("uuid",), match={"name": "p1"})
    with pytest.raises(OntapUnexpectedAnswer, match="a 'name' other than the 'p1' asked for"):
        answers.check_records([{"uuid": "u1", "name": "p2"}], CALL, match={"name": "p1"})
    with pytest.raises(OntapUnexpectedAnswer, match=r"has no 'svm\.uuid'"):
        answers.check_records([{"uuid": "u1", "svm": "s1"}], CALL, match={"svm.uuid": "s1"})


def test_next_link_only_within_the_api() -> None:
    assert answers.next_link({"_links": {"self": {"href": "/api/svm/svms"}}}, CALL) is None
    page = {"_links": {"next": {"href": "/api/svm/svms?start.uuid=1"}}}
    assert answers.next_link(page, CALL) == "/api/svm/svms?start.uuid=1"
    with pytest.raises(OntapUnexpectedAnswer, match="outside /api/"):
        answers.next_link({"_links": {"next": {"href": "https://evil.example/api/x"}}}, CALL)
    with pytest.raises(OntapUnexpectedAnswer, match="outside /api/"):
        answers.next_link({"_links": {"next": {"href": 7}}}, CALL)


def test_a_count_needs_a_valid_num_records() -> None:
    assert answers.record_count({"num_records": 3}, "GET /api/storage/volumes") == 3
    for bad in ({}, {"num_records": -1}, {"num_records": "3"}, {"num_records": None}, {"num_records": True}):
        with pytest.raises(OntapUnexpectedAnswer, match="no valid 'num_records'"):
            answers.record_count(bad, "GET /api/storage/volumes")


def test_a_body_that_is_not_json_is_described_without_its_content() -> None:
    page = b"<html><body>secret-token-abc" + b"x" * 1200 + b"</body></html>"
    with pytest.raises(OntapUnexpectedAnswer) as raised:
        answers.parse_body(200, "text/html; charset=utf-8", page, CALL)
    text = str(raised.value)
    assert (
        text == f"ONTAP answered 200 with a body that is not JSON (text/html, 1.2 KB) for {CALL} (HTTP 200)"
    )
    assert "secret" not in text
    with pytest.raises(OntapUnexpectedAnswer, match=r"application/json, 17 B; truncated or malformed JSON"):
        answers.parse_body(200, "application/json", b'{"records": [{"na', CALL)
    with pytest.raises(OntapUnexpectedAnswer, match="JSON that is not an object"):
        answers.parse_body(200, "application/json", b"[]", CALL)
    assert answers.parse_body(202, None, b"", CALL) == {}
    assert answers.parse_body(200, "application/json", b'{"a": 1}', CALL) == {"a": 1}


@pytest.mark.parametrize(
    ("size", "text"), [(0, "0 B"), (1023, "1023 B"), (1229, "1.2 KB"), (66 * 2**20, "66.0 MB")]
)
def test_size_text(size: int, text: str) -> None:
    assert answers.size_text(size) == text

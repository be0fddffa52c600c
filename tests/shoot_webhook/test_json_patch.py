"""The JSON patch between two documents: applying it to the first gives the second."""

from __future__ import annotations

from typing import Any

import pytest

from controller.shoot_webhook.json_patch import diff, pointer_token
from tests.shoot_webhook.support import apply_patch


def test_equal_documents_need_no_patch() -> None:
    assert diff({"a": [1, {"b": 2}]}, {"a": [1, {"b": 2}]}) == []


def test_pointer_tokens_escape_tilde_and_slash() -> None:
    assert (
        pointer_token("node.gardener.cloud/critical-component") == "node.gardener.cloud~1critical-component"
    )
    assert pointer_token("a~b/c") == "a~0b~1c"


def test_operations_are_minimal_for_maps_and_whole_for_lists() -> None:
    before = {"metadata": {"labels": {"app": "x"}}, "spec": {"list": [1], "gone": 1, "same": 2}}
    after = {"metadata": {"labels": {"app": "x", "a/b": "y"}}, "spec": {"list": [1, 2], "same": 2}}
    assert diff(before, after) == [
        {"op": "add", "path": "/metadata/labels/a~1b", "value": "y"},
        {"op": "remove", "path": "/spec/gone"},
        {"op": "replace", "path": "/spec/list", "value": [1, 2]},
    ]


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ({"labels": None}, {"labels": {"a": "b"}}),
        ({}, {"labels": {"a": "b"}}),
        ({"a": {"b": {"c": 1}}}, {"a": {"b": {"c": 2, "d": [1]}}}),
        ({"a": 1}, {"b": "x~/y"}),
    ],
)
def test_applying_the_patch_gives_the_target(before: dict[str, Any], after: dict[str, Any]) -> None:
    assert apply_patch(before, diff(before, after)) == after

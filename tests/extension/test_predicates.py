"""Gardener's default event filter for Extensions, plus type, class and failed-shoot filters."""

from __future__ import annotations

import copy

import pytest

from controller.extension.predicates import has_shoot_class, should_enqueue
from controller.shoot import shoot_failed
from tests.extension.builders import cluster, extension, last_op

OP = "gardener.cloud/operation"
SUCCEEDED = last_op("Reconcile", "Succeeded")


@pytest.mark.parametrize(
    ("ext", "expected"),
    [
        (extension(), True),  # no lastOperation
        (extension(status=SUCCEEDED), False),
        (extension(status=last_op("Reconcile", "Error")), True),
        (extension(status=last_op("Create", "Processing")), True),
        (extension(status=SUCCEEDED, annotations={OP: "reconcile"}), True),
        (extension(status=SUCCEEDED, annotations={OP: "restore"}), True),
        (extension(status=SUCCEEDED, annotations={OP: "migrate"}), True),
        (extension(status=SUCCEEDED, annotations={OP: "wait-for-state"}), False),
        (extension(status=SUCCEEDED, deleting=True), True),
        (extension(ext_type="other"), False),
        (extension(ext_class="seed"), False),
        (extension(ext_class="shoot"), True),
    ],
)
def test_create_events(ext: dict[str, object], expected: bool) -> None:
    assert should_enqueue(None, ext) is expected


def test_update_with_operation_annotation_passes() -> None:
    old = extension(status=SUCCEEDED)
    new = extension(status=SUCCEEDED, annotations={OP: "reconcile"})
    assert should_enqueue(old, new)


def test_update_without_annotation_is_dropped_even_with_a_spec_change() -> None:
    old = extension(status=SUCCEEDED)
    new = extension(status=SUCCEEDED, generation=2)
    assert not should_enqueue(old, new)


def test_update_by_our_own_status_write_is_dropped() -> None:
    old = extension(status=last_op("Reconcile", "Processing"))
    new = extension(status=SUCCEEDED)
    assert not should_enqueue(old, new)


def test_deletion_passes_once_but_not_on_our_status_writes_during_it() -> None:
    old = extension(status=SUCCEEDED)
    deleting = extension(status=SUCCEEDED, deleting=True)
    assert should_enqueue(old, deleting)
    processing = copy.deepcopy(deleting)
    processing["status"] = last_op("Delete", "Processing")
    assert not should_enqueue(deleting, processing)


def test_other_type_and_class_are_never_enqueued() -> None:
    assert not should_enqueue(extension(), extension(ext_type="dns", annotations={OP: "reconcile"}))
    assert not should_enqueue(None, extension(ext_class="garden", annotations={OP: "reconcile"}))
    assert should_enqueue(None, extension(ext_type="custom"), extension_type="custom")


@pytest.mark.parametrize(("value", "expected"), [(None, True), ("", True), ("shoot", True), ("seed", False)])
def test_class_unset_means_shoot(value: str | None, expected: bool) -> None:
    ext = extension()
    if value is not None:
        ext["spec"]["class"] = value
    assert has_shoot_class(ext) is expected


@pytest.mark.parametrize(
    ("state", "expected"), [("Failed", True), ("Error", False), ("Succeeded", False), (None, False)]
)
def test_shoot_failed(state: str | None, expected: bool) -> None:
    assert shoot_failed(cluster(shoot_state=state)) is expected
    assert shoot_failed(None) is False

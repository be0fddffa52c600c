"""Operation type, operation annotation, finalizer and "did gardenlet ask" decisions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from controller.extension.operation import (
    FINALIZER,
    AnnotationAction,
    OperationType,
    annotation_action,
    finalizers_with,
    finalizers_without,
    gardener_requested,
    has_finalizer,
    is_migrated,
    needs_finalizer,
    operation_type,
    parse_time,
    requested_timestamp,
    skip_because_migrated,
    timestamp_outdates_status,
)
from controller.shoot import force_deletion_confirmed
from tests.extension.builders import cluster, extension, last_op

OP = "gardener.cloud/operation"
TS = "gardener.cloud/timestamp"


@pytest.mark.parametrize(
    ("annotation", "deleting", "status", "expected"),
    [
        (None, False, None, OperationType.CREATE),
        (None, False, last_op("Create", "Processing"), OperationType.CREATE),
        (None, False, last_op("Create", "Error"), OperationType.CREATE),
        (None, False, last_op("Create", "Succeeded"), OperationType.RECONCILE),
        (None, False, last_op("Reconcile", "Error"), OperationType.RECONCILE),
        (None, False, last_op("Reconcile", "Succeeded"), OperationType.RECONCILE),
        (None, False, last_op("Delete", "Error"), OperationType.RECONCILE),
        (None, False, last_op("Migrate", "Error"), OperationType.MIGRATE),
        (None, False, last_op("Migrate", "Succeeded"), OperationType.RECONCILE),
        (None, False, last_op("Restore", "Processing"), OperationType.RESTORE),
        (None, False, last_op("Restore", "Succeeded"), OperationType.RECONCILE),
        (None, True, last_op("Reconcile", "Succeeded"), OperationType.DELETE),
        (None, True, None, OperationType.DELETE),
        ("migrate", True, last_op("Reconcile", "Succeeded"), OperationType.MIGRATE),
        ("migrate", False, None, OperationType.MIGRATE),
        ("restore", True, None, OperationType.DELETE),
        ("restore", False, last_op("Migrate", "Succeeded"), OperationType.RESTORE),
        ("reconcile", False, None, OperationType.CREATE),
        ("reconcile", False, last_op("Reconcile", "Succeeded"), OperationType.RECONCILE),
        ("wait-for-state", False, last_op("Create", "Error"), OperationType.CREATE),
    ],
)
def test_operation_type_follows_compute_operation_type(
    annotation: str | None, deleting: bool, status: dict[str, object] | None, expected: OperationType
) -> None:
    ext = extension(annotations={OP: annotation} if annotation else None, deleting=deleting, status=status)
    assert operation_type(ext) is expected


@given(
    annotation=st.sampled_from([None, "reconcile", "restore", "migrate", "wait-for-state", "other"]),
    deleting=st.booleans(),
    last_type=st.sampled_from([None, "Create", "Reconcile", "Delete", "Migrate", "Restore"]),
    last_state=st.sampled_from(["Processing", "Succeeded", "Error", "Failed", "Pending"]),
)
def test_operation_type_invariants(
    annotation: str | None, deleting: bool, last_type: str | None, last_state: str
) -> None:
    status = last_op(last_type, last_state) if last_type else None
    ext = extension(annotations={OP: annotation} if annotation else None, deleting=deleting, status=status)
    op = operation_type(ext)
    if annotation == "migrate":
        assert op is OperationType.MIGRATE
    elif deleting:
        assert op is OperationType.DELETE
    elif annotation == "restore":
        assert op is OperationType.RESTORE
    elif last_type is None:
        assert op is OperationType.CREATE
    elif last_state == "Succeeded":
        assert op is OperationType.RECONCILE
    else:
        assert op in (
            OperationType.CREATE,
            OperationType.MIGRATE,
            OperationType.RESTORE,
            OperationType.RECONCILE,
        )
        expected = last_type if last_type in ("Create", "Migrate", "Restore") else "Reconcile"
        assert op == expected


def test_migrated_extension_is_skipped_except_for_migrate_and_restore() -> None:
    migrated = extension(status=last_op("Migrate", "Succeeded"))
    assert is_migrated(migrated)
    assert skip_because_migrated(migrated, OperationType.RECONCILE)
    assert skip_because_migrated(migrated, OperationType.DELETE)
    assert not skip_because_migrated(migrated, OperationType.RESTORE)
    assert not skip_because_migrated(migrated, OperationType.MIGRATE)
    assert not is_migrated(extension(status=last_op("Migrate", "Error")))
    assert not skip_because_migrated(extension(), OperationType.RECONCILE)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, AnnotationAction.NONE),
        ("reconcile", AnnotationAction.REMOVE_BEFORE),
        ("restore", AnnotationAction.REMOVE_AFTER),
        ("migrate", AnnotationAction.REMOVE_AFTER),
        ("wait-for-state", AnnotationAction.WAIT),
        ("something-else", AnnotationAction.NONE),
    ],
)
def test_annotation_action(value: str | None, expected: AnnotationAction) -> None:
    assert annotation_action(extension(annotations={OP: value} if value else None)) is expected


def test_finalizer_is_wanted_by_create_reconcile_restore_only() -> None:
    assert {op for op in OperationType if needs_finalizer(op)} == {
        OperationType.CREATE,
        OperationType.RECONCILE,
        OperationType.RESTORE,
    }


def test_finalizer_lists_keep_foreign_finalizers() -> None:
    ext = extension(finalizers=["other/finalizer"])
    assert not has_finalizer(ext)
    assert finalizers_with(ext) == ["other/finalizer", FINALIZER]
    with_ours = extension(finalizers=["other/finalizer", FINALIZER])
    assert has_finalizer(with_ours)
    assert finalizers_with(with_ours) == ["other/finalizer", FINALIZER]
    assert finalizers_without(with_ours) == ["other/finalizer"]
    assert finalizers_without(extension()) == []


@pytest.mark.parametrize(
    ("annotations", "expected"),
    [
        ({"confirmation.gardener.cloud/force-deletion": "true"}, True),
        ({"confirmation.gardener.cloud/force-deletion": "True"}, True),
        ({"confirmation.gardener.cloud/force-deletion": "false"}, False),
        ({}, False),
    ],
)
def test_force_deletion_is_read_from_the_shoot(annotations: dict[str, str], expected: bool) -> None:
    assert force_deletion_confirmed(cluster(annotations=annotations)) is expected
    assert force_deletion_confirmed(None) is False


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-01T10:00:00Z", datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC)),
        ("2024-05-01T10:00:00.123456789Z", datetime(2024, 5, 1, 10, 0, 0, 123456, tzinfo=UTC)),
        ("2024-05-01T12:00:00+02:00", datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC)),
        ("not a time", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_time(text: str | None, expected: datetime | None) -> None:
    assert parse_time(text) == expected


def test_requested_timestamp_is_truncated_to_seconds() -> None:
    ext = extension(annotations={TS: "2024-05-01T10:00:00.999999999Z"})
    assert requested_timestamp(ext) == datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC)
    assert requested_timestamp(extension()) is None


def test_timestamp_newer_than_last_update_outdates_the_status() -> None:
    status = last_op("Reconcile", "Succeeded", at="2024-05-01T10:00:00Z")
    assert timestamp_outdates_status(extension(annotations={TS: "2024-05-01T10:00:01Z"}, status=status))
    # Within the same second counts as seen, as in gardenlet's check.
    assert not timestamp_outdates_status(extension(annotations={TS: "2024-05-01T10:00:00.5Z"}, status=status))
    assert not timestamp_outdates_status(extension(annotations={TS: "2024-05-01T09:00:00Z"}, status=status))
    assert not timestamp_outdates_status(extension(status=status))


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, True),  # never processed
        ({"status": last_op("Reconcile", "Succeeded")}, False),  # periodic re-check
        ({"status": last_op("Reconcile", "Error")}, False),  # retry after an error
        ({"status": last_op("Reconcile", "Succeeded"), "annotations": {OP: "reconcile"}}, True),
        ({"status": last_op("Reconcile", "Succeeded"), "annotations": {OP: "wait-for-state"}}, False),
        ({"status": last_op("Reconcile", "Succeeded"), "generation": 2}, True),
        ({"status": last_op("Reconcile", "Succeeded"), "deleting": True}, True),
        ({"status": last_op("Delete", "Error"), "deleting": True}, False),
        (
            {"status": last_op("Reconcile", "Succeeded"), "annotations": {TS: "2024-05-01T09:30:00Z"}},
            True,
        ),
        (
            {"status": last_op("Reconcile", "Succeeded"), "annotations": {TS: "2024-05-01T08:30:00Z"}},
            False,
        ),
    ],
)
def test_gardener_requested(kwargs: dict[str, object], expected: bool) -> None:
    assert gardener_requested(extension(**kwargs)) is expected  # type: ignore[arg-type]

"""Reading the operator bundle: problems name the file and the document."""

from __future__ import annotations

from pathlib import Path

import pytest

from controller.shoot_resources.operator_bundle import (
    OperatorBundleError,
    load_operator_bundle,
    parse_operator_bundle,
    render_operator,
)
from controller.shoot_resources.render import render_shoot_resources
from tests.shoot_resources.helpers import SAMPLE_BUNDLE, inputs


def test_sample_bundle_has_namespace_service_account_and_deployment() -> None:
    kinds = sorted((o["kind"], o["metadata"]["name"]) for o in load_operator_bundle(SAMPLE_BUNDLE))
    assert kinds == [
        ("Deployment", "trident-operator"),
        ("ServiceAccount", "trident-operator"),
        ("TridentOrchestrator", "trident"),
    ]


def test_empty_documents_are_skipped() -> None:
    objects = parse_operator_bundle(
        "---\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: trident}\n---\n", source="b"
    )
    assert [o["kind"] for o in objects] == ["Namespace"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: [1, 2", "is not valid YAML at line"),
        ("- 1\n- 2\n", "document 1 is not a Kubernetes object"),
        (
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\nkind: Secret\n",
            "document 2 lacks apiVersion, metadata.name",
        ),
        ("", "holds no Kubernetes objects"),
    ],
)
def test_invalid_bundles_are_named(text: str, expected: str) -> None:
    with pytest.raises(OperatorBundleError, match=expected):
        parse_operator_bundle(text, source="bundle.yaml")


def test_missing_file_is_reported_not_raised_by_render(tmp_path: Path) -> None:
    missing = tmp_path / "gone.yaml"
    rendered = render_shoot_resources(inputs(), missing)
    assert rendered.operator_configured
    assert rendered.operator_error is not None
    assert "gone.yaml" in str(rendered.operator_error)
    assert len(rendered.managed_resources) == 2


def test_duplicate_objects_in_bundle_are_refused(tmp_path: Path) -> None:
    bundle = tmp_path / "b.yaml"
    namespace = "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n"
    bundle.write_text(f"{namespace}---\n{namespace}")
    with pytest.raises(OperatorBundleError, match="appears twice"):
        render_operator(bundle)

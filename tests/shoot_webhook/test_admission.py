"""AdmissionReview v1 answers: uid echoed, always allowed, a JSON patch for Trident's node plugin only."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from controller.shoot_webhook.admission import AdmissionReviewError, review_trident_node
from controller.shoot_webhook.mutation import prepared_daemonset
from tests.shoot_webhook.support import IMAGE, apply_patch, trident_node_daemonset

TRIDENT_NS = "kube-system"  # trident.namespace


def review(obj: dict[str, Any], *, operation: str = "CREATE", namespace: str = TRIDENT_NS) -> dict[str, Any]:
    return {
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": "705ab4f5-6393-11e8-b7cc-42010a800002",
            "kind": {"group": "apps", "version": "v1", "kind": "DaemonSet"},
            "resource": {"group": "apps", "version": "v1", "resource": "daemonsets"},
            "namespace": namespace,
            "name": obj["metadata"]["name"],
            "operation": operation,
            "object": obj,
        },
    }


def test_tridents_node_daemonset_gets_a_json_patch() -> None:
    ds = trident_node_daemonset()
    decision = review_trident_node(review(ds), IMAGE, TRIDENT_NS)
    response = decision.review["response"]
    assert decision.review["apiVersion"] == "admission.k8s.io/v1"
    assert decision.review["kind"] == "AdmissionReview"
    assert response["uid"] == "705ab4f5-6393-11e8-b7cc-42010a800002"
    assert response["allowed"] is True
    assert response["patchType"] == "JSONPatch"
    patch = json.loads(base64.b64decode(response["patch"]))
    assert apply_patch(ds, patch) == prepared_daemonset(ds, IMAGE)
    assert decision.mutated and (decision.namespace, decision.name) == (TRIDENT_NS, "trident-node-linux")


@pytest.mark.parametrize("operation", ["CREATE", "UPDATE"])
def test_an_already_prepared_daemonset_gets_no_patch(operation: str) -> None:
    prepared = prepared_daemonset(trident_node_daemonset(), IMAGE)
    response = review_trident_node(review(prepared, operation=operation), IMAGE, TRIDENT_NS).review[
        "response"
    ]
    assert response == {"uid": "705ab4f5-6393-11e8-b7cc-42010a800002", "allowed": True}


def test_another_daemonset_is_allowed_unchanged() -> None:
    response = review_trident_node(review(trident_node_daemonset("other")), IMAGE, TRIDENT_NS).review[
        "response"
    ]
    assert "patch" not in response and response["allowed"] is True


def test_the_trident_daemonset_in_another_namespace_is_allowed_unchanged() -> None:
    ds = trident_node_daemonset(namespace="trident")
    response = review_trident_node(review(ds, namespace="trident"), IMAGE, TRIDENT_NS).review["response"]
    assert "patch" not in response


@pytest.mark.parametrize(
    ("body", "names"),
    [
        ([], "JSON object"),
        ({"apiVersion": "admission.k8s.io/v1beta1", "kind": "AdmissionReview", "request": {}}, "apiVersion"),
        ({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview"}, "request"),
        (
            {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {"uid": ""}},
            "request.uid",
        ),
    ],
)
def test_malformed_reviews_are_refused_naming_the_field(body: Any, names: str) -> None:
    with pytest.raises(AdmissionReviewError, match=names.replace(".", r"\.")):
        review_trident_node(body, IMAGE, TRIDENT_NS)

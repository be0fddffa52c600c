"""Answers to `admission.k8s.io/v1` AdmissionReviews (pure: a review in, a review out).

The response echoes the request's `uid`, always allows (this webhook only mutates), and carries the
mutation as a base64-encoded JSON patch with `patchType: JSONPatch`, or no patch when nothing changes.
Reference: kubernetes/api admission/v1/types.go and the Kubernetes docs on dynamic admission control.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from controller.shoot_webhook.json_patch import JsonPatch, diff
from controller.shoot_webhook.mutation import is_trident_node_daemonset, prepared_daemonset

API_VERSION = "admission.k8s.io/v1"
KIND = "AdmissionReview"
DAEMONSET_RESOURCE = {"group": "apps", "version": "v1", "resource": "daemonsets"}


class AdmissionReviewError(ValueError):
    """The body is not an AdmissionReview this webhook can answer; the message names the field."""


@dataclass(frozen=True)
class AdmissionDecision:
    """What the webhook decided for one request (the review to send back and what to log)."""

    review: dict[str, Any]
    namespace: str
    name: str
    operation: str
    patch: JsonPatch

    @property
    def mutated(self) -> bool:
        return bool(self.patch)


def _request(review: Any) -> dict[str, Any]:
    if not isinstance(review, dict):
        raise AdmissionReviewError("the body is not a JSON object")
    if review.get("apiVersion") != API_VERSION or review.get("kind") != KIND:
        raise AdmissionReviewError(
            f"expected {KIND} {API_VERSION}, "
            f"got kind={review.get('kind')!r} apiVersion={review.get('apiVersion')!r}"
        )
    request = review.get("request")
    if not isinstance(request, dict):
        raise AdmissionReviewError("request is missing")
    if not isinstance(request.get("uid"), str) or not request["uid"]:
        raise AdmissionReviewError("request.uid is missing")
    return request


def response_review(uid: str, patch: JsonPatch) -> dict[str, Any]:
    """An allowing AdmissionReview response, with the patch when there is one."""
    response: dict[str, Any] = {"uid": uid, "allowed": True}
    if patch:
        response["patchType"] = "JSONPatch"
        response["patch"] = base64.b64encode(json.dumps(patch, separators=(",", ":")).encode()).decode()
    return {"apiVersion": API_VERSION, "kind": KIND, "response": response}


def review_trident_node(review: Any, image: str, trident_namespace: str) -> AdmissionDecision:
    """Answer one review: Trident's node DaemonSet gets the NVMe/TCP preparation, anything else no patch."""
    request = _request(review)
    obj = request.get("object")
    namespace = str(request.get("namespace") or "")
    operation = str(request.get("operation") or "")
    name = str(request.get("name") or ((obj or {}).get("metadata") or {}).get("name") or "")
    patch: JsonPatch = []
    if (
        request.get("resource") == DAEMONSET_RESOURCE
        and operation in {"CREATE", "UPDATE"}
        and isinstance(obj, dict)
        and is_trident_node_daemonset(obj, namespace, trident_namespace)
    ):
        patch = diff(obj, prepared_daemonset(obj, image))
    return AdmissionDecision(response_review(request["uid"], patch), namespace, name, operation, patch)

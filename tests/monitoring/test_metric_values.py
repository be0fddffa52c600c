"""The pure parts behind the new metrics: the password-change cause, the blocked gauge, the cache's
Extensions-by-state gauge, and the ONTAP layer's bounded label values."""

from __future__ import annotations

from typing import Any

import pytest

from controller.credentials.plan import (
    CredentialsObservation,
    Login,
    SecretCondition,
    change_cause,
    decide_credentials,
)
from controller.runtime import metrics
from controller.runtime.cache import ObjectCache
from ontap import metrics as ontap_metrics


def _gauge(gauge: Any, **labels: str) -> float:
    return float(gauge.labels(**labels)._value.get())


@pytest.mark.parametrize(
    ("observation", "cause"),
    [
        (
            CredentialsObservation(SecretCondition.VALID, True, True, Login.NOT_TRIED, Login.REJECTED),
            "pending",
        ),
        (CredentialsObservation(SecretCondition.VALID, False, True, Login.OK, rotate=True), "rotation"),
        (CredentialsObservation(SecretCondition.MISSING, False, False), "account-missing"),
        (CredentialsObservation(SecretCondition.MISSING, False, True), "secret-missing"),
        (CredentialsObservation(SecretCondition.CORRUPT, False, True), "secret-corrupt"),
        (CredentialsObservation(SecretCondition.VALID, False, True, Login.REJECTED), "rejected"),
    ],
)
def test_every_password_change_has_one_bounded_cause(observation: CredentialsObservation, cause: str) -> None:
    assert "PROMOTE_PENDING" in {a.name for a in decide_credentials(observation).actions}
    assert change_cause(observation) == cause
    assert cause in metrics.PASSWORD_CAUSES


def test_the_blocked_gauge_follows_marks_and_clears() -> None:
    blocked = metrics.BlockedExtensions()
    before = _gauge(metrics.BLOCKED, operation="Delete", step="svm")
    blocked.mark(("ns-a", "ontap"), "Delete", "svm")
    blocked.mark(("ns-b", "ontap"), "Delete", "svm")
    assert _gauge(metrics.BLOCKED, operation="Delete", step="svm") == before + 2
    blocked.mark(("ns-b", "ontap"), "Delete", "account")  # moved on to another step
    assert _gauge(metrics.BLOCKED, operation="Delete", step="svm") == before + 1
    blocked.clear(("ns-a", "ontap"))
    blocked.clear(("ns-b", "ontap"))
    blocked.clear(("ns-never", "ontap"))
    assert _gauge(metrics.BLOCKED, operation="Delete", step="svm") == before
    assert _gauge(metrics.BLOCKED, operation="Delete", step="account") == 0


def _extension(namespace: str, state: str | None, op: str = "Reconcile") -> dict[str, Any]:
    ext: dict[str, Any] = {"metadata": {"namespace": namespace, "name": "ontap"}, "spec": {"type": "ontap"}}
    if state is not None:
        ext["status"] = {"lastOperation": {"type": op, "state": state}}
    return ext


def test_the_cache_counts_extensions_by_last_operation() -> None:
    cache = ObjectCache("ontap")
    cache.replace_extensions([_extension("a", "Succeeded"), _extension("b", None)])
    assert _gauge(metrics.EXTENSIONS, last_operation_type="Reconcile", last_operation_state="Succeeded") == 1
    assert _gauge(metrics.EXTENSIONS, last_operation_type="none", last_operation_state="none") == 1
    cache.upsert_extension(_extension("a", "Error"))
    cache.upsert_extension(_extension("c", "Bogus", op="Delete"))
    assert _gauge(metrics.EXTENSIONS, last_operation_type="Reconcile", last_operation_state="Succeeded") == 0
    assert _gauge(metrics.EXTENSIONS, last_operation_type="Reconcile", last_operation_state="Error") == 1
    assert _gauge(metrics.EXTENSIONS, last_operation_type="Delete", last_operation_state="unknown") == 1
    cache.delete_extension(_extension("a", None))
    cache.upsert_extension({**_extension("c", "Error"), "spec": {"type": "other"}})
    assert _gauge(metrics.EXTENSIONS, last_operation_type="Reconcile", last_operation_state="Error") == 0
    assert _gauge(metrics.EXTENSIONS, last_operation_type="Delete", last_operation_state="unknown") == 0


def test_ontap_labels_take_only_known_values() -> None:
    kinds = ontap_metrics.error_kinds()
    assert {"transient", "forbidden", "tls", "not-empty", "unexpected"} <= kinds
    ontap_metrics.record_retry("c-bounded", "GET", "KeyError")
    ontap_metrics.record_request("c-bounded", "FROB", "ok", 0.01)
    assert (
        ontap_metrics.ONTAP_RETRIES.labels(cluster="c-bounded", method="GET", kind="unexpected")._value.get()
        == 1
    )
    requests = ontap_metrics.ONTAP_REQUESTS.labels(cluster="c-bounded", method="OTHER", outcome="ok")
    assert requests._value.get() == 1

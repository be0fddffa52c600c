"""Prometheus counters of the ONTAP layer (served by the controller's metrics endpoint)."""

from __future__ import annotations

import functools
from typing import Any

from prometheus_client import Counter, Histogram

ONTAP_REQUESTS = Counter(
    "ontap_requests_total",
    "ONTAP REST calls by cluster, HTTP method and outcome (ok or the error kind).",
    ["cluster", "method", "outcome"],
)
ONTAP_REQUEST_SECONDS = Histogram(
    "ontap_request_duration_seconds",
    "Duration of ONTAP REST calls (one attempt, including time spent in the library).",
    ["cluster", "method"],
    # Up to the default requestTimeout (60 s): a slow cluster shows in the upper buckets, not in +Inf.
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
ONTAP_RETRIES = Counter(
    "ontap_retries_total",
    "ONTAP REST calls repeated after a transient or busy error.",
    ["cluster", "method", "kind"],
)


# Label values: `cluster` is a configured cluster name; the others come from these closed sets.
METHODS = frozenset({"GET", "POST", "PATCH", "DELETE"})
OTHER_METHOD = "OTHER"
UNEXPECTED = "unexpected"


def _method(method: str) -> str:
    return method if method in METHODS else OTHER_METHOD


def error_kinds() -> frozenset[str]:
    """Every `OntapError.kind` (the closed set of `outcome` / `kind` values besides `ok`)."""
    from ontap.errors import OntapError

    kinds: set[str] = set()
    pending: list[type[OntapError]] = [OntapError]
    while pending:
        cls = pending.pop()
        kinds.add(cls.kind)
        pending.extend(cls.__subclasses__())
    return frozenset(kinds)


def _kind(kind: str) -> str:
    return kind if kind in error_kinds() else UNEXPECTED


def record_request(cluster: str, method: str, outcome: str, seconds: float) -> None:
    """Count one attempt of an ONTAP call (`outcome`: `ok` or the error kind)."""
    counter, histogram = _request_series(cluster, method, outcome)
    counter.inc()
    histogram.observe(seconds)


@functools.lru_cache(maxsize=1024)
def _request_series(cluster: str, method: str, outcome: str) -> tuple[Any, Any]:
    # The label values are bounded (clusters, methods, kinds): each pair of series is looked up once.
    outcome = outcome if outcome == "ok" else _kind(outcome)
    return (
        ONTAP_REQUESTS.labels(cluster=cluster, method=_method(method), outcome=outcome),
        ONTAP_REQUEST_SECONDS.labels(cluster=cluster, method=_method(method)),
    )


def record_retry(cluster: str, method: str, kind: str) -> None:
    """Count one repetition of an ONTAP call (`kind`: the error kind; anything else is `unexpected`)."""
    ONTAP_RETRIES.labels(cluster=cluster, method=_method(method), kind=_kind(kind)).inc()

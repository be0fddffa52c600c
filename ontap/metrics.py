"""Prometheus counters of the ONTAP layer (served by the controller's metrics endpoint)."""

from __future__ import annotations

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
)
ONTAP_RETRIES = Counter(
    "ontap_retries_total",
    "ONTAP REST calls repeated after a transient or busy error.",
    ["cluster", "method", "kind"],
)


def record_request(cluster: str, method: str, outcome: str, seconds: float) -> None:
    """Count one attempt of an ONTAP call."""
    ONTAP_REQUESTS.labels(cluster=cluster, method=method, outcome=outcome).inc()
    ONTAP_REQUEST_SECONDS.labels(cluster=cluster, method=method).observe(seconds)


def record_retry(cluster: str, method: str, kind: str) -> None:
    """Count one repetition of an ONTAP call."""
    ONTAP_RETRIES.labels(cluster=cluster, method=method, kind=kind).inc()

"""Prometheus metrics of the controller runtime (served on /metrics with those of the ONTAP layer)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

QUEUE_DEPTH = Gauge(
    "ontap_extension_workqueue_depth", "Keys waiting to be reconciled (ready, not delayed).", ["queue"]
)
QUEUE_DELAYED = Gauge(
    "ontap_extension_workqueue_delayed",
    "Keys scheduled for a later reconcile (backoff or requeue).",
    ["queue"],
)
QUEUE_PROCESSING = Gauge("ontap_extension_workqueue_processing", "Reconciles running right now.", ["queue"])
QUEUE_ADDS = Counter("ontap_extension_workqueue_adds_total", "Keys added to the queue.", ["queue"])
QUEUE_RETRIES = Counter(
    "ontap_extension_workqueue_retries_total",
    "Keys re-queued with backoff after a failed reconcile.",
    ["queue"],
)
RECONCILE_SECONDS = Histogram(
    "ontap_extension_reconcile_duration_seconds",
    "Duration of one reconcile by result (success, requeue, error).",
    ["queue", "result"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
)
KUBE_REQUESTS = Counter(
    "ontap_extension_kube_requests_total",
    "Kubernetes API requests by verb (GET, LIST, WATCH, POST, PUT, PATCH, DELETE) and resource.",
    ["verb", "resource"],
)
WATCH_RESTARTS = Counter(
    "ontap_extension_watch_restarts_total",
    "Watches re-opened, by resource and reason (expired, relist, error, timeout).",
    ["resource", "reason"],
)
CACHE_OBJECTS = Gauge("ontap_extension_cache_objects", "Objects held in the informer cache.", ["resource"])
IS_LEADER = Gauge("ontap_extension_leader", "1 while this replica holds the leader-election lease.")
HEARTBEAT_RENEWED = Gauge(
    "ontap_extension_heartbeat_last_renew_timestamp_seconds", "When the heartbeat Lease was last renewed."
)
RESYNCS = Counter("ontap_extension_resyncs_total", "Periodic resyncs that enqueued every cached Extension.")

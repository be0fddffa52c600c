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

# -- what the passes did (counted by controller.reconciler, controller.steps.seed_secret, the cache) --
#
# Every label below takes its values from a closed set (see LABEL_VALUES): operations, outcomes,
# Gardener error codes, step names and causes. Nothing per shoot, per object, per password or per
# error message becomes a label; those are in the Extension status, the Events and the logs.

PASSES = Counter(
    "ontap_extension_passes_total",
    "Reconcile passes of an Extension by operation (Create, Reconcile, Delete, ...) and outcome.",
    ["operation", "outcome"],
)
PASS_ERRORS = Counter(
    "ontap_extension_pass_errors_total",
    "Failed passes by operation, the step that failed and Gardener's error code (one per code).",
    ["operation", "step", "code"],
)
PASSWORD_CHANGES = Counter(
    "ontap_extension_password_changes_total",
    "SVM account passwords replaced and proven by a login, by cause (rotation or the repair that needed it).",
    ["cause"],
)
BLOCKED = Gauge(
    "ontap_extension_blocked_extensions",
    "Extensions whose failing step this replica reports as Blocked (the same failure repeated).",
    ["operation", "step"],
)
EXTENSIONS = Gauge(
    "ontap_extension_extensions",
    "Cached Extensions by status.lastOperation type and state (every replica, from its cache).",
    ["last_operation_type", "last_operation_state"],
)

NO_OPERATION = "none"
NO_STEP = "extension"
NO_CODE = "none"
OPERATIONS = frozenset({"Create", "Reconcile", "Delete", "Migrate", "Restore", NO_OPERATION})
# Gardener's LastOperationState values (pkg/apis/core/v1beta1/types_common.go) and "none" (no status yet).
LAST_OPERATION_STATES = frozenset(
    {"Processing", "Succeeded", "Error", "Failed", "Pending", "Aborted", NO_OPERATION, "unknown"}
)
PASS_OUTCOMES = frozenset(
    {
        "succeeded",
        "failed",
        "blocked",
        "conflict",
        "error",
        "gone",
        "not-ours",
        "wait-for-state",
        "shoot-failed",
        "migrated",
        "no-finalizer",
    }
)
PASSWORD_CAUSES = frozenset(
    {"rotation", "rejected", "secret-missing", "secret-corrupt", "account-missing", "pending"}
)
RECONCILE_RESULTS = frozenset({"success", "requeue", "error"})
WATCH_REASONS = frozenset({"expired", "relist", "error", "timeout"})
KUBE_VERBS = frozenset({"GET", "LIST", "WATCH", "POST", "PUT", "PATCH", "DELETE"})

# The closed set of each label's values; `None` marks a label bounded by configuration or code
# (queue name, ONTAP cluster names, step names, Kubernetes resources) that the tests check separately.
LABEL_VALUES: dict[str, frozenset[str] | None] = {
    "operation": OPERATIONS,
    "outcome": PASS_OUTCOMES,
    "last_operation_type": OPERATIONS,
    "last_operation_state": LAST_OPERATION_STATES,
    "cause": PASSWORD_CAUSES,
    "result": RECONCILE_RESULTS,
    "reason": WATCH_REASONS,
    "verb": KUBE_VERBS,
    "code": None,
    "step": None,
    "queue": None,
    "resource": None,
}


def bounded(value: str | None, allowed: frozenset[str], fallback: str) -> str:
    """`value` when it is one of `allowed`, else `fallback` (a label never takes an unknown value)."""
    return value if value is not None and value in allowed else fallback


def count_pass(operation: str | None, outcome: str) -> None:
    """One finished pass."""
    PASSES.labels(
        operation=bounded(operation, OPERATIONS, NO_OPERATION),
        outcome=bounded(outcome, PASS_OUTCOMES, "error"),
    ).inc()


def count_pass_error(operation: str, step: str, codes: tuple[str, ...]) -> None:
    """One failed pass, once per Gardener error code it carries (or with code `none`)."""
    op = bounded(operation, OPERATIONS, NO_OPERATION)
    for code in codes or (NO_CODE,):
        PASS_ERRORS.labels(operation=op, step=step or NO_STEP, code=code).inc()


# Every cause is exported from the start (as 0), so `increase()` sees the first change too.
for _cause in sorted(PASSWORD_CAUSES):
    PASSWORD_CHANGES.labels(cause=_cause)


def count_password_change(cause: str) -> None:
    """One password replaced on ONTAP and proven by a login."""
    PASSWORD_CHANGES.labels(cause=bounded(cause, PASSWORD_CAUSES, "rejected")).inc()


class BlockedExtensions:
    """Which keys are Blocked in which (operation, step); keeps `ontap_extension_blocked_extensions`."""

    def __init__(self) -> None:
        self._by_key: dict[tuple[str, str], tuple[str, str]] = {}

    def mark(self, key: tuple[str, str], operation: str, step: str) -> None:
        """`key` is blocked in `step` of `operation`."""
        labels = (bounded(operation, OPERATIONS, NO_OPERATION), step or NO_STEP)
        previous = self._by_key.get(key)
        self._by_key[key] = labels
        self._refresh({labels} | ({previous} if previous else set()))

    def clear(self, key: tuple[str, str]) -> None:
        """`key` is no longer blocked (success, another failure, or gone)."""
        previous = self._by_key.pop(key, None)
        if previous is not None:
            self._refresh({previous})

    def count(self, operation: str, step: str) -> int:
        """Keys blocked in (operation, step)."""
        return sum(1 for labels in self._by_key.values() if labels == (operation, step))

    def _refresh(self, combinations: set[tuple[str, str]]) -> None:
        for operation, step in combinations:
            BLOCKED.labels(operation=operation, step=step).set(self.count(operation, step))


def last_operation_labels(extension: dict[str, object]) -> tuple[str, str]:
    """(type, state) of an Extension's `status.lastOperation`, mapped onto the bounded label values."""
    status = extension.get("status")
    last = status.get("lastOperation") if isinstance(status, dict) else None
    if not isinstance(last, dict):
        return NO_OPERATION, NO_OPERATION
    op_type = bounded(str(last.get("type") or ""), OPERATIONS, NO_OPERATION)
    state = bounded(str(last.get("state") or ""), LAST_OPERATION_STATES, "unknown")
    return op_type, state

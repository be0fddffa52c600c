"""What a reconcile returns to the work queue."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReconcileResult:
    """A finished reconcile. `requeue_after` (seconds) asks for another pass later; None means none."""

    requeue_after: float | None = None


class RequeueAfter(Exception):
    """Not a failure: the key should be processed again after `delay` seconds (e.g. an ONTAP job runs)."""

    def __init__(self, delay: float, reason: str = "") -> None:
        if delay < 0:
            raise ValueError("delay must not be negative")
        self.delay = delay
        self.reason = reason
        super().__init__(f"requeue after {delay:.1f}s" + (f": {reason}" if reason else ""))

"""Generic controller machinery: work queue, watches and cache, leader election, heartbeat, servers."""

from controller.runtime.result import ReconcileResult, RequeueAfter

__all__ = ["ReconcileResult", "RequeueAfter"]

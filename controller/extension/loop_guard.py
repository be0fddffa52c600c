"""The loop guard: the same failing mutation repeated N times in a row is reported as Blocked.

Retrying a refused write at full speed only hammers ONTAP; after `limit` identical failures the step's
condition says so plainly and the key backs off at the cap until something changes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable

from controller.extension.errors import FailureReport
from controller.steps.base import StepOutcome

BLOCKED_REASON = "Blocked"
DEFAULT_LIMIT = 5


def format_duration(seconds: float) -> str:
    """`90` -> `1m30s`, `300` -> `5m`, `3600` -> `1h`, `0.5` -> `0.5s`."""
    if seconds < 1:
        return f"{seconds:g}s"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{hours}h" if hours else "", f"{minutes}m" if minutes else "", f"{secs}s" if secs else ""]
    return "".join(parts)


# Failures that are ONTAP saying no; anything else (outages, timeouts, unreadable answers) is not a refusal.
_REFUSALS = frozenset(
    {
        "forbidden",
        "unauthenticated",
        "invalid-input",
        "busy",
        "already-exists",
        "not-found",
        "job-failed",
        "ownership-conflict",
        "placement-conflict",
        "not-empty",
    }
)


def _is_refusal(report: FailureReport) -> bool:
    if report.kind in _REFUSALS:
        return True
    if not report.reason.startswith("Ontap"):
        return False
    # A step's ONTAP error keeps the kind in its reason: `OntapInvalidInput` -> `invalid-input`.
    name = report.reason.removeprefix("Ontap")
    return "".join(f"-{c.lower()}" if c.isupper() else c for c in name).lstrip("-") in _REFUSALS


def blocked_message(report: FailureReport, limit: int, cap: float) -> str:
    """`<object>: <API> refused <N> times: <error>; retrying every <cap>` ("failed <N> times in a row"
    when the answers were not refusals: outages, timeouts, unreadable answers, a stopped SVM)."""
    target = report.object_ref or report.step or "extension"
    api = report.api or "the API"
    verb = "refused" if _is_refusal(report) else "failed"
    times = f"{limit} times" if verb == "refused" else f"{limit} times in a row"
    return f"{target}: {api} {verb} {times}: {report.description}; retrying every {format_duration(cap)}"


def blocked_outcome(outcome: StepOutcome, report: FailureReport, limit: int, cap: float) -> StepOutcome:
    """The step's condition rewritten to say that it is blocked."""
    return dataclasses.replace(outcome, reason=BLOCKED_REASON, message=blocked_message(report, limit, cap))


class RepeatTracker:
    """Counts, per key, how often the same failure happened in a row (in memory, per process)."""

    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self._last: dict[Hashable, tuple[Hashable, int]] = {}

    def record(self, key: Hashable, signature: Hashable) -> int:
        """Note one failure; returns how many times in a row this same failure happened."""
        previous = self._last.get(key)
        count = previous[1] + 1 if previous is not None and previous[0] == signature else 1
        self._last[key] = (signature, count)
        return count

    def is_blocked(self, count: int) -> bool:
        """Whether `count` repetitions reach the limit."""
        return count >= self.limit

    def count(self, key: Hashable) -> int:
        """Consecutive identical failures of `key` so far."""
        previous = self._last.get(key)
        return previous[1] if previous is not None else 0

    def reset(self, key: Hashable) -> None:
        """Forget `key` (after a success, or when its object is gone)."""
        self._last.pop(key, None)

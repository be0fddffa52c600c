"""A bounded log of the API requests the fake answered, with counts per route."""

from __future__ import annotations

import itertools
from collections import Counter, deque
from dataclasses import asdict, dataclass
from typing import Any

MAX_ENTRIES = 10_000
WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})


@dataclass
class LoggedRequest:
    """One answered (or deliberately unanswered) API request."""

    seq: int
    method: str
    path: str
    template: str
    query: dict[str, str]
    status: int | None
    user: str | None
    fault: str | None = None

    @property
    def route(self) -> str:
        """`METHOD template`, e.g. `GET /api/svm/svms/{uuid}`."""
        return f"{self.method} {self.template}"


class RequestLog:
    """The last `MAX_ENTRIES` requests; counts per route cover every request since the last clear."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._entries: deque[LoggedRequest] = deque(maxlen=max_entries)
        self._counts: Counter[str] = Counter()
        self._seq = itertools.count(1)

    def record(
        self,
        method: str,
        path: str,
        template: str,
        query: dict[str, str],
        status: int | None,
        user: str | None,
        fault: str | None = None,
    ) -> LoggedRequest:
        """Append one request."""
        entry = LoggedRequest(next(self._seq), method, path, template, query, status, user, fault)
        self._entries.append(entry)
        self._counts[entry.route] += 1
        return entry

    def entries(self) -> list[LoggedRequest]:
        """The logged requests, oldest first."""
        return list(self._entries)

    def counts(self) -> dict[str, int]:
        """Requests per `METHOD template`."""
        return dict(self._counts)

    def count(
        self,
        method: str | None = None,
        path_prefix: str | None = None,
        user: str | None = None,
        writes_only: bool = False,
    ) -> int:
        """How many logged requests match every given criterion."""
        return sum(
            1
            for e in self._entries
            if (method is None or e.method == method.upper())
            and (path_prefix is None or e.path.startswith(path_prefix))
            and (user is None or e.user == user)
            and (not writes_only or e.method in WRITE_METHODS)
        )

    def clear(self) -> None:
        """Forget every request."""
        self._entries.clear()
        self._counts.clear()

    def to_json(self) -> dict[str, Any]:
        """The log as JSON: entries and counts per route."""
        return {"entries": [asdict(e) for e in self._entries], "counts": self.counts()}

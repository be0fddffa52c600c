"""Secrets stay secret: every log line, Event and status of a chaos run is searched for passwords.

Logging is configured as in production (`configure_logging`, JSON, here at debug level) and a handler
with the production formatter keeps every rendered line. After each scenario, every password the
fake ONTAP has ever stored (current and history, the admin's too) and every value of the seed secrets
is looked for in the lines logged during the scenario, the namespace's Events and the Extension.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

from controller.runtime.logging import configure_logging

MIN_CHECKED_LENGTH = 8  # shorter values (e.g. usernames in a secret) are not secrets


class LogCapture(logging.Handler):
    """Keeps every rendered log line (thread-safe: ONTAP calls log from worker threads)."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self._lines: list[str] = []
        self._lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception as exc:  # a line that cannot be rendered is kept as its raw message
            line = f"unrenderable log record ({type(exc).__name__}): {record.getMessage()}"
        with self._lock:
            self._lines.append(line)

    def mark(self) -> int:
        """A position to read from later."""
        with self._lock:
            return len(self._lines)

    def since(self, mark: int) -> list[str]:
        """Lines logged after `mark`."""
        with self._lock:
            return self._lines[mark:]


def install_log_capture() -> LogCapture:
    """Configure logging like production at debug level and capture every line it renders."""
    configure_logging(level="debug", json=True)
    root = logging.getLogger()
    production = root.handlers[0]
    capture = LogCapture()
    capture.setFormatter(production.formatter)
    root.addHandler(capture)
    return capture


def find_leaks(secrets: set[str], texts: dict[str, list[str]]) -> list[str]:
    """`where: ...` for every secret found in any of the texts (the secret itself is not repeated)."""
    checked = {s for s in secrets if len(s) >= MIN_CHECKED_LENGTH}
    leaks = []
    for where, lines in texts.items():
        for number, line in enumerate(lines):
            for secret in checked:
                if secret in line:
                    excerpt = line.replace(secret, "<PASSWORD>")
                    start = max(0, excerpt.index("<PASSWORD>") - 80)
                    leaks.append(
                        f"a password appears in {where} #{number}: ...{excerpt[start : start + 200]}..."
                    )
    return leaks


def status_texts(extension: dict[str, Any] | None) -> list[str]:
    """The Extension's status and metadata as text."""
    if extension is None:
        return []
    return [json.dumps(extension.get("status") or {}), json.dumps(extension.get("metadata") or {})]


def event_texts(events: list[dict[str, Any]]) -> list[str]:
    """Each Event as text."""
    return [json.dumps({k: e.get(k) for k in ("reason", "message", "note", "type")}) for e in events]

"""structlog set-up with secret redaction.

Two safety nets keep passwords out of the logs even when a caller makes a mistake:
- values under keys named like a secret (`password`, `admin_password`, `token`, `secret`, ...) are
  replaced, whatever they hold;
- every value registered with `register_secret` is cut out of any string in any log line,
  including lines from libraries that log through the standard `logging` module.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
from collections import OrderedDict
from collections.abc import Mapping, MutableMapping
from typing import Any

import structlog
from pydantic import SecretStr

REDACTED = "[REDACTED]"
# Secrets shorter than this would cut innocent words out of log lines; real passwords are longer.
MIN_SECRET_LENGTH = 6
# Python strings cannot be weakly referenced, so the registry is a bounded LRU instead of a weak set;
# large enough for every shoot's current, staged and previous password on a seed of 10,000 shoots.
MAX_REGISTERED_SECRETS = 65536

_SECRET_KEY = re.compile(
    r"(?:^|[_\-.])(?:password|passwd|pwd|secret|token|authorization|api_?key|private_?key|credentials?)$",
    re.IGNORECASE,
)

_registry_lock = threading.Lock()
_registered: OrderedDict[str, None] = OrderedDict()
# The registered secrets by their first MIN_SECRET_LENGTH characters: a text is searched only for the
# secrets whose beginning occurs in it, so redaction costs the same with ten secrets or ten thousand.
_by_prefix: dict[str, set[str]] = {}
# Texts known to hold none of the registered secrets: most lines (a condition's message, a step's
# description) come back pass after pass, and looking one up costs less than searching it again. Only
# clean texts are kept, so the memo never holds a secret; a newly registered secret empties it.
_clean: set[str] = set()
MAX_CLEAN_TEXTS = 8192
MAX_CLEAN_TEXT_LENGTH = 4096


def register_secret(value: str | SecretStr | None) -> None:
    """Make sure `value` never appears in a log line from now on."""
    if value is None:
        return
    text = value.get_secret_value() if isinstance(value, SecretStr) else value
    if len(text) < MIN_SECRET_LENGTH:
        return
    with _registry_lock:
        if text not in _registered:
            _clean.clear()
        _registered[text] = None
        _registered.move_to_end(text)
        _by_prefix.setdefault(text[:MIN_SECRET_LENGTH], set()).add(text)
        while len(_registered) > MAX_REGISTERED_SECRETS:
            dropped, _ = _registered.popitem(last=False)
            group = _by_prefix.get(dropped[:MIN_SECRET_LENGTH])
            if group is not None:
                group.discard(dropped)
                if not group:
                    del _by_prefix[dropped[:MIN_SECRET_LENGTH]]


def forget_secrets() -> None:
    """Drop every registered secret (for tests)."""
    with _registry_lock:
        _registered.clear()
        _by_prefix.clear()
        _clean.clear()


def is_secret_key(key: str) -> bool:
    """Whether a log key names a secret (`password`, `db_token`, but not `secret_name`)."""
    return bool(_SECRET_KEY.search(key))


def redact_text(text: str) -> str:
    """`text` with every registered secret replaced."""
    if len(text) < MIN_SECRET_LENGTH or text in _clean:
        return text
    grams = {text[i : i + MIN_SECRET_LENGTH] for i in range(len(text) - MIN_SECRET_LENGTH + 1)}
    with _registry_lock:
        candidates = [secret for gram in grams & _by_prefix.keys() for secret in _by_prefix[gram]]
        secrets = [s for s in candidates if s in text]
        if not secrets and len(text) <= MAX_CLEAN_TEXT_LENGTH:
            if len(_clean) >= MAX_CLEAN_TEXTS:
                _clean.clear()
            _clean.add(text)
    # Longest first, so a secret that contains another one is cut out whole.
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


def _redact_value(value: Any, depth: int = 0) -> Any:
    if depth > 8:
        return value
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, SecretStr):
        return REDACTED
    if isinstance(value, Mapping):
        return {
            k: (REDACTED if isinstance(k, str) and is_secret_key(k) else _redact_value(v, depth + 1))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_redact_value(v, depth + 1) for v in value]
    if isinstance(value, tuple):
        return tuple(_redact_value(v, depth + 1) for v in value)
    if isinstance(value, BaseException):
        return redact_text(f"{type(value).__name__}: {value}")
    return value


def redact_secrets(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: blank secret-named keys and cut registered secrets out of every value."""
    for key in list(event_dict):
        if is_secret_key(key):
            event_dict[key] = REDACTED
        else:
            event_dict[key] = _redact_value(event_dict[key])
    return event_dict


def _redact_rendered(_logger: Any, _method: str, rendered: Any) -> Any:
    # Last line of defence: the final text (tracebacks included) is scanned once more.
    if isinstance(rendered, str):
        return redact_text(rendered)
    return rendered


def configure_logging(level: str = "info", json: bool = True) -> None:
    """Configure structlog and the standard `logging` module: JSON lines or a console renderer."""
    numeric_level = logging.getLevelName(level.upper())
    if not isinstance(numeric_level, int):
        raise ValueError(f"unknown log level {level!r}")
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
        redact_secrets,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer(sort_keys=False)
        if json
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    exception_formatter: list[Any] = [structlog.processors.format_exc_info] if json else []
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.make_filtering_bound_logger(numeric_level),
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            *exception_formatter,
            redact_secrets,
            renderer,
            _redact_rendered,
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(numeric_level)
    # Client libraries log whole request and response bodies at DEBUG; keep them out unless asked.
    for noisy in ("kubernetes_asyncio", "aiohttp.access", "urllib3", "netapp_ontap"):
        logging.getLogger(noisy).setLevel(max(numeric_level, logging.INFO))

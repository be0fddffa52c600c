"""Graceful stop: signals set an event; background tasks are cancelled and awaited."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Iterable

import structlog

log = structlog.get_logger(__name__)

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def install_signal_handlers(stop: asyncio.Event, signals: Iterable[signal.Signals] = STOP_SIGNALS) -> None:
    """Set `stop` on SIGTERM/SIGINT; a second signal while stopping exits at once."""
    loop = asyncio.get_running_loop()

    def on_signal(signum: signal.Signals) -> None:
        if stop.is_set():
            log.warning("second stop signal; exiting without draining", signal=signum.name)
            raise SystemExit(128 + signum.value)
        log.info("stop signal received; shutting down gracefully", signal=signum.name)
        stop.set()

    for signum in signals:
        loop.add_signal_handler(signum, on_signal, signum)


def remove_signal_handlers(signals: Iterable[signal.Signals] = STOP_SIGNALS) -> None:
    """Undo `install_signal_handlers`."""
    loop = asyncio.get_running_loop()
    for signum in signals:
        loop.remove_signal_handler(signum)


async def cancel_and_wait(*tasks: asyncio.Task[object] | None) -> None:
    """Cancel background tasks and wait until they have ended; their exceptions are logged, not raised."""
    pending = [task for task in tasks if task is not None and not task.done()]
    for task in pending:
        task.cancel()
    results = await asyncio.gather(*pending, return_exceptions=True)
    for task, result in zip(pending, results, strict=True):
        if isinstance(result, Exception):
            log.warning("background task ended with an error", task=task.get_name(), error=repr(result))

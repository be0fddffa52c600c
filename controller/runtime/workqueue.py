"""A keyed work queue with the semantics of client-go's rate-limited queue, on asyncio.

Guarantees:
- a key is never handled by two workers at once;
- adding a key that is already waiting does nothing (dedupe);
- adding a key while it is being handled marks it dirty: it is handled once more right after;
- a handler that raises is retried after a per-key exponential backoff with jitter, capped; the
  count of consecutive failures resets on success;
- `RequeueAfter(delay)` and `ReconcileResult(requeue_after=...)` schedule the key again without
  counting a failure; of several scheduled times for one key the earliest wins.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable

import structlog

from controller.runtime import metrics
from controller.runtime.result import ReconcileResult, RequeueAfter

Key = tuple[str, str]
Handler = Callable[[Key], Awaitable[ReconcileResult | None]]

log = structlog.get_logger(__name__)


def backoff_delay(
    failures: int, *, base: float, cap: float, jitter: float, rand: Callable[[], float] = random.random
) -> float:
    """Delay before retry number `failures`: base * 2^(failures-1), capped, minus up to `jitter` of it.

    The jitter only shortens the delay, so the cap is a true upper bound and retries of many keys
    that failed together spread out instead of hitting the API at the same instant.
    """
    if failures <= 0:
        return 0.0
    delay = min(cap, base * (2.0 ** min(failures - 1, 62)))
    return delay * (1.0 - jitter * rand())


class WorkQueue:
    """Runs `handler(key)` for queued keys on `max_concurrency` workers (see module docstring)."""

    def __init__(
        self,
        handler: Handler,
        *,
        max_concurrency: int = 5,
        backoff_base: float = 1.0,
        backoff_cap: float = 300.0,
        jitter: float = 0.2,
        name: str = "extension",
        rand: Callable[[], float] = random.random,
    ) -> None:
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        self._handler = handler
        self._max_concurrency = max_concurrency
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._jitter = jitter
        self._rand = rand
        self.name = name
        self._ready: asyncio.Queue[Key] = asyncio.Queue()
        self._queued: set[Key] = set()
        self._processing: set[Key] = set()
        self._dirty: set[Key] = set()
        self._delayed: dict[Key, tuple[float, asyncio.TimerHandle]] = {}
        self._failures: dict[Key, int] = {}
        self._workers: list[asyncio.Task[None]] = []
        self._busy: set[asyncio.Task[None]] = set()
        self._idle = asyncio.Event()
        self._idle.set()
        self._shutting_down = False
        self._depth = metrics.QUEUE_DEPTH.labels(queue=name)
        self._delayed_gauge = metrics.QUEUE_DELAYED.labels(queue=name)
        self._processing_gauge = metrics.QUEUE_PROCESSING.labels(queue=name)
        self._adds = metrics.QUEUE_ADDS.labels(queue=name)
        self._retries = metrics.QUEUE_RETRIES.labels(queue=name)

    # -- adding keys -------------------------------------------------------------------------

    def add(self, key: Key) -> None:
        """Queue `key` now (deduped; if it is being handled, it is handled once more afterwards).

        A delayed add pending for the key is dropped: the pass about to run sets the key's next
        schedule itself (its requeue, or its backoff), so one key never carries two schedules.
        """
        if self._shutting_down:
            return
        self._adds.inc()
        pending = self._delayed.pop(key, None)
        if pending is not None:
            pending[1].cancel()
            self._delayed_gauge.set(len(self._delayed))
        if key in self._processing:
            self._dirty.add(key)
            return
        if key in self._queued:
            return
        self._queued.add(key)
        self._ready.put_nowait(key)
        self._idle.clear()
        self._depth.set(len(self._queued))

    def add_after(self, key: Key, delay: float) -> None:
        """Queue `key` after `delay` seconds; an earlier pending schedule for the key is kept."""
        if self._shutting_down:
            return
        if delay <= 0:
            self.add(key)
            return
        loop = asyncio.get_running_loop()
        due = loop.time() + delay
        pending = self._delayed.get(key)
        if pending is not None:
            if pending[0] <= due:
                return
            pending[1].cancel()
        self._delayed[key] = (due, loop.call_at(due, self._fire_delayed, key))
        self._delayed_gauge.set(len(self._delayed))

    def _fire_delayed(self, key: Key) -> None:
        self._delayed.pop(key, None)
        self._delayed_gauge.set(len(self._delayed))
        self.add(key)

    # -- observing the queue -----------------------------------------------------------------

    def failures(self, key: Key) -> int:
        """Consecutive failed reconciles of `key` (0 after a success)."""
        return self._failures.get(key, 0)

    def is_processing(self, key: Key) -> bool:
        """Whether a worker is handling `key` right now."""
        return key in self._processing

    def scheduled_in(self, key: Key) -> float | None:
        """Seconds until a delayed add of `key` fires, or None when none is pending."""
        pending = self._delayed.get(key)
        if pending is None:
            return None
        return max(0.0, pending[0] - asyncio.get_running_loop().time())

    @property
    def depth(self) -> int:
        """Keys waiting for a worker."""
        return len(self._queued)

    @property
    def processing(self) -> int:
        """Keys being handled now."""
        return len(self._processing)

    @property
    def running(self) -> bool:
        """Whether workers are started and the queue is not shut down."""
        return bool(self._workers) and not self._shutting_down

    async def wait_idle(self) -> None:
        """Return once nothing is queued or being handled (delayed keys do not count)."""
        await self._idle.wait()

    # -- running -----------------------------------------------------------------------------

    def start(self) -> None:
        """Start the workers (idempotent)."""
        if self._workers or self._shutting_down:
            return
        self._workers = [
            asyncio.create_task(self._worker(), name=f"workqueue-{self.name}-{i}")
            for i in range(self._max_concurrency)
        ]

    async def shutdown(self, drain_timeout: float = 30.0) -> None:
        """Stop taking work, let running handlers finish for up to `drain_timeout` s, then cancel them."""
        self._shutting_down = True
        for _, timer in self._delayed.values():
            timer.cancel()
        self._delayed.clear()
        self._delayed_gauge.set(0)
        busy = set(self._busy)
        for worker in self._workers:
            if worker not in busy:
                worker.cancel()
        if busy:
            _, still_running = await asyncio.wait(busy, timeout=max(drain_timeout, 0.0))
            if still_running:
                log.warning(
                    "reconciles still running at the end of the drain timeout; cancelling them",
                    count=len(still_running),
                    drain_timeout=drain_timeout,
                )
            for worker in still_running:
                worker.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        self._workers = []

    async def _worker(self) -> None:
        task = asyncio.current_task()
        assert task is not None
        while not self._shutting_down:
            key = await self._ready.get()
            if self._shutting_down:
                return
            self._busy.add(task)
            try:
                await self._process(key)
            finally:
                self._busy.discard(task)

    async def _process(self, key: Key) -> None:
        self._queued.discard(key)
        self._processing.add(key)
        self._depth.set(len(self._queued))
        self._processing_gauge.set(len(self._processing))
        loop = asyncio.get_running_loop()
        started = loop.time()
        outcome = "error"
        try:
            result = await self._handler(key)
        except RequeueAfter as requeue:
            outcome = "requeue"
            log.debug("reconcile asked to requeue", key=key, delay=requeue.delay, reason=requeue.reason)
            self.add_after(key, requeue.delay)
        except Exception as exc:
            failures = self._failures.get(key, 0) + 1
            self._failures[key] = failures
            delay = backoff_delay(
                failures,
                base=self._backoff_base,
                cap=self._backoff_cap,
                jitter=self._jitter,
                rand=self._rand,
            )
            self._retries.inc()
            log.warning(
                "reconcile failed; retrying with backoff",
                key=key,
                failures=failures,
                retry_in=round(delay, 3),
                error=f"{type(exc).__name__}: {exc}",
            )
            self.add_after(key, delay)
        else:
            outcome = "success"
            self._failures.pop(key, None)
            if result is not None and result.requeue_after is not None:
                self.add_after(key, result.requeue_after)
        finally:
            metrics.RECONCILE_SECONDS.labels(queue=self.name, result=outcome).observe(loop.time() - started)
            self._processing.discard(key)
            self._processing_gauge.set(len(self._processing))
            if key in self._dirty:
                self._dirty.discard(key)
                self.add(key)
            if not self._queued and not self._processing:
                self._idle.set()

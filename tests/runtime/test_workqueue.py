"""Work queue semantics: dedupe, one worker per key, dirty re-queue, backoff, requeue, shutdown."""

from __future__ import annotations

import asyncio
import time
from collections import Counter, defaultdict

import pytest

from controller.runtime import metrics
from controller.runtime.result import ReconcileResult, RequeueAfter
from controller.runtime.workqueue import Key, WorkQueue, backoff_delay
from tests.runtime.kube_objects import eventually

A: Key = ("shoot--p1--a", "ontap")
B: Key = ("shoot--p1--b", "ontap")


class Recorder:
    """A handler that records calls and concurrency; behaviour per call is scripted."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.calls: list[Key] = []
        self.times: dict[Key, list[float]] = defaultdict(list)
        self.in_flight: Counter[Key] = Counter()
        self.max_in_flight_per_key: Counter[Key] = Counter()
        self.total_in_flight = 0
        self.max_total_in_flight = 0
        self.fail_times: Counter[Key] = Counter()
        self.result: ReconcileResult | None = None
        self.started = asyncio.Event()

    async def __call__(self, key: Key) -> ReconcileResult | None:
        self.calls.append(key)
        self.times[key].append(time.monotonic())
        self.in_flight[key] += 1
        self.total_in_flight += 1
        self.max_in_flight_per_key[key] = max(self.max_in_flight_per_key[key], self.in_flight[key])
        self.max_total_in_flight = max(self.max_total_in_flight, self.total_in_flight)
        self.started.set()
        try:
            await asyncio.sleep(self.delay)
            if self.fail_times[key] > 0:
                self.fail_times[key] -= 1
                raise RuntimeError(f"boom {key}")
            return self.result
        finally:
            self.in_flight[key] -= 1
            self.total_in_flight -= 1


async def settle(queue: WorkQueue, seconds: float = 0.05) -> None:
    await asyncio.wait_for(queue.wait_idle(), timeout=5)
    await asyncio.sleep(seconds)


def test_backoff_grows_exponentially_and_is_capped() -> None:
    delays = [backoff_delay(n, base=1.0, cap=60.0, jitter=0.0) for n in range(0, 10)]
    assert delays == [0.0, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0, 60.0]


def test_backoff_jitter_only_shortens_and_stays_under_cap() -> None:
    assert backoff_delay(3, base=1.0, cap=60.0, jitter=0.5, rand=lambda: 1.0) == pytest.approx(2.0)
    assert backoff_delay(3, base=1.0, cap=60.0, jitter=0.5, rand=lambda: 0.0) == pytest.approx(4.0)
    assert backoff_delay(40, base=1.0, cap=60.0, jitter=0.3, rand=lambda: 0.999) <= 60.0
    # A huge failure count must not overflow.
    assert backoff_delay(10_000, base=1.0, cap=300.0, jitter=0.0) == 300.0


async def test_adds_of_a_waiting_key_are_deduplicated() -> None:
    handler = Recorder()
    queue = WorkQueue(handler, max_concurrency=2)
    for _ in range(5):
        queue.add(A)
    queue.add(B)
    assert queue.depth == 2
    queue.start()
    await settle(queue)
    assert sorted(handler.calls) == sorted([A, B])
    await queue.shutdown(1)


async def test_add_while_processing_requeues_once_after_and_never_concurrently() -> None:
    handler = Recorder(delay=0.1)
    queue = WorkQueue(handler, max_concurrency=4)
    queue.start()
    queue.add(A)
    await asyncio.wait_for(handler.started.wait(), timeout=2)
    assert queue.is_processing(A)
    for _ in range(10):
        queue.add(A)
    await settle(queue)
    assert handler.calls == [A, A]
    assert handler.max_in_flight_per_key[A] == 1
    await queue.shutdown(1)


async def test_one_key_never_runs_on_two_workers_under_load() -> None:
    handler = Recorder(delay=0.005)
    queue = WorkQueue(handler, max_concurrency=8)
    queue.start()
    for _ in range(50):
        queue.add(A)
        queue.add(B)
        await asyncio.sleep(0.001)
    await settle(queue)
    assert handler.max_in_flight_per_key[A] == 1
    assert handler.max_in_flight_per_key[B] == 1
    await queue.shutdown(1)


async def test_concurrency_is_bounded() -> None:
    handler = Recorder(delay=0.05)
    queue = WorkQueue(handler, max_concurrency=3)
    queue.start()
    for i in range(10):
        queue.add((f"ns{i}", "ontap"))
    await settle(queue)
    assert handler.max_total_in_flight == 3
    assert len(handler.calls) == 10
    await queue.shutdown(1)


async def test_failures_back_off_exponentially_and_reset_on_success() -> None:
    handler = Recorder()
    handler.fail_times[A] = 5
    retries = metrics.QUEUE_RETRIES.labels(queue="backoff-test")
    before = retries._value.get()
    queue = WorkQueue(
        handler, max_concurrency=1, backoff_base=0.1, backoff_cap=0.25, jitter=0.0, name="backoff-test"
    )
    queue.start()
    queue.add(A)
    await asyncio.sleep(0.05)
    assert queue.failures(A) == 1
    await eventually(lambda: len(handler.calls) == 6, within=10, message="six attempts")
    await settle(queue)
    assert len(handler.calls) == 6
    gaps = [b - a for a, b in zip(handler.times[A], handler.times[A][1:], strict=False)]
    # 0.1, 0.2, then capped at 0.25 (uncapped would be 0.4, 0.8, 1.6); timers fire late, never early.
    for gap, expected in zip(gaps, [0.1, 0.2, 0.25, 0.25, 0.25], strict=True):
        assert expected - 0.01 <= gap < expected + 0.13, (gaps, expected)
    assert queue.failures(A) == 0
    assert retries._value.get() - before == 5
    await queue.shutdown(1)


async def test_failure_count_is_per_key() -> None:
    handler = Recorder()
    handler.fail_times[A] = 100
    queue = WorkQueue(handler, max_concurrency=2, backoff_base=0.01, backoff_cap=0.02, jitter=0.0)
    queue.start()
    queue.add(A)
    queue.add(B)
    await asyncio.sleep(0.2)
    assert queue.failures(A) >= 3
    assert queue.failures(B) == 0
    await queue.shutdown(0)


async def test_requeue_after_is_not_a_failure() -> None:
    calls = 0

    async def handler(key: Key) -> ReconcileResult:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise RequeueAfter(0.03, "ONTAP job running")
        return ReconcileResult()

    queue = WorkQueue(handler, max_concurrency=1, backoff_base=10.0)
    queue.start()
    started = time.monotonic()
    queue.add(A)
    while calls < 3 and time.monotonic() - started < 3:
        await asyncio.sleep(0.005)
        assert queue.failures(A) == 0
    assert calls == 3
    assert time.monotonic() - started < 1.0  # a failure would have waited backoff_base=10s
    await queue.shutdown(1)


async def test_result_requeue_after_schedules_another_pass() -> None:
    handler = Recorder()
    handler.result = ReconcileResult(requeue_after=0.05)
    queue = WorkQueue(handler, max_concurrency=1)
    queue.start()
    queue.add(A)
    await asyncio.sleep(0.01)
    scheduled = queue.scheduled_in(A)
    assert scheduled is not None and scheduled <= 0.05
    await asyncio.sleep(0.2)
    assert len(handler.calls) >= 3
    handler.result = ReconcileResult()
    await asyncio.sleep(0.1)
    count = len(handler.calls)
    await asyncio.sleep(0.15)
    assert len(handler.calls) == count
    await queue.shutdown(1)


async def test_add_after_keeps_the_earliest_schedule() -> None:
    handler = Recorder()
    queue = WorkQueue(handler, max_concurrency=1)
    queue.add_after(A, 10.0)
    queue.add_after(A, 0.05)
    queue.add_after(A, 5.0)
    scheduled = queue.scheduled_in(A)
    assert scheduled is not None and scheduled <= 0.05
    queue.start()
    await asyncio.sleep(0.2)
    assert handler.calls == [A]
    assert queue.scheduled_in(A) is None
    await queue.shutdown(1)


async def test_shutdown_drains_running_handlers_and_drops_waiting_keys() -> None:
    handler = Recorder(delay=0.1)
    queue = WorkQueue(handler, max_concurrency=1)
    queue.start()
    queue.add(A)
    queue.add(B)
    queue.add_after(("ns", "later"), 0.05)
    await asyncio.wait_for(handler.started.wait(), timeout=2)
    await queue.shutdown(drain_timeout=2)
    assert handler.calls == [A]
    assert handler.in_flight[A] == 0  # finished, not cancelled
    queue.add(B)
    await asyncio.sleep(0.1)
    assert handler.calls == [A]
    assert not queue.running


async def test_shutdown_cancels_handlers_that_exceed_the_drain_timeout() -> None:
    cancelled = asyncio.Event()
    started = asyncio.Event()

    async def slow(key: Key) -> None:
        started.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    queue = WorkQueue(slow, max_concurrency=1)
    queue.start()
    queue.add(A)
    await asyncio.wait_for(started.wait(), timeout=2)
    began = time.monotonic()
    await queue.shutdown(drain_timeout=0.1)
    assert cancelled.is_set()
    assert time.monotonic() - began < 2


async def test_metrics_track_depth_and_durations() -> None:
    handler = Recorder()
    queue = WorkQueue(handler, max_concurrency=1, name="metrics-test")
    queue.add(A)
    queue.add(B)
    assert metrics.QUEUE_DEPTH.labels(queue="metrics-test")._value.get() == 2
    queue.start()
    await settle(queue)
    assert metrics.QUEUE_DEPTH.labels(queue="metrics-test")._value.get() == 0
    histogram = metrics.RECONCILE_SECONDS.labels(queue="metrics-test", result="success")
    assert sum(bucket.get() for bucket in histogram._buckets) == 2
    await queue.shutdown(1)

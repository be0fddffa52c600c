"""Gardener's generic Extension reconciler for type `ontap`: dispatch, annotation, finalizer, status, events.

One pass: read the Extension (cache first; a live read only when something is to be written), skip what
is not ours or must not be touched (wait-for-state, failed shoot, migrated away), handle the operation
annotation and the finalizer, run the actuator for the operation, then write the status only if it
changed, and emit Events for changes and failures. The decisions are the pure functions of
`controller.extension`; this module only sequences them and does the I/O.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog

from controller.extension.errors import FailureReport, report_exception, requeue_delay
from controller.extension.loop_guard import BLOCKED_REASON, DEFAULT_LIMIT, RepeatTracker, blocked_outcome
from controller.extension.operation import (
    OPERATION_ANNOTATION,
    AnnotationAction,
    OperationType,
    annotation_action,
    finalizers_with,
    finalizers_without,
    gardener_requested,
    has_finalizer,
    needs_finalizer,
    operation_type,
    requested_timestamp,
    skip_because_migrated,
)
from controller.extension.passes import cluster_missing_failure, marked_when_slow, operate, run_bounded
from controller.extension.predicates import has_shoot_class, has_type
from controller.extension.status import PassResult, completed_status, processing_status, status_patch
from controller.kube.clusters import read_cluster
from controller.kube.events import EventMemory, EventRecorder
from controller.kube.extensions import ExtensionConflict, get_extension, patch_metadata, patch_status
from controller.runtime import metrics
from controller.runtime.result import ReconcileResult, RequeueAfter
from controller.shoot import shoot_failed
from controller.steps.base import StepOutcome
from controller.steps.project_turns import ProjectBusy

Key = tuple[str, str]
Obj = dict[str, Any]

log = structlog.get_logger("controller.reconciler")

CONFLICT_RETRY_DELAY = 1.0
# A pass deferred behind another shoot of its project comes back when that one is done, at the latest after:
PROJECT_BUSY_BACKSTOP = 30.0


class ReconcileFailed(Exception):
    """A pass failed in a way that time may fix; the work queue backs the key off exponentially."""

    def __init__(self, report: FailureReport) -> None:
        self.report = report
        super().__init__(report.description)


@dataclass
class _Observed:
    """The Extension as this pass knows it; `fresh` when read live (or returned by our own write)."""

    ext: Obj
    fresh: bool


def _default_actuator(ctx: Any, events: Any) -> Any:
    from controller.actuator import Actuator

    return Actuator(ctx, events=events)


class ExtensionReconciler:
    """Reconciles one Extension key per call; see the module docstring for the order of things."""

    def __init__(
        self,
        ctx: Any,
        *,
        actuator_factory: Callable[[Any, Any], Any] | None = None,
        clock: Callable[[], datetime] | None = None,
        repeat_limit: int = DEFAULT_LIMIT,
        event_memory: EventMemory | None = None,
    ) -> None:
        self.ctx = ctx
        self.config = ctx.config
        self._actuator_factory = actuator_factory or _default_actuator
        self._clock = clock or (lambda: datetime.now(UTC))
        self.repeats = RepeatTracker(repeat_limit)
        self._event_memory = event_memory if event_memory is not None else EventMemory()
        self.blocked = metrics.BlockedExtensions()

    @property
    def _cap(self) -> float:
        return float(self.config.backoff.cap.total_seconds())

    @property
    def _pass_timeout(self) -> float:
        return float(self.config.pass_timeout.total_seconds())

    async def reconcile(self, key: Key) -> ReconcileResult:
        """One pass over the Extension `key` = (namespace, name)."""
        namespace, name = key
        bound = log.bind(shoot=namespace, extension=f"{namespace}/{name}")
        started = time.monotonic()
        summary: dict[str, Any] = {"op": None, "outcome": "error"}
        try:
            result = await self._pass(key, bound, summary)
        except ExtensionConflict as exc:
            summary["outcome"] = "conflict"
            raise RequeueAfter(CONFLICT_RETRY_DELAY, str(exc)) from None
        except ProjectBusy as busy:
            # Not a failure and no status write: queued again the moment the other shoot's turn ends;
            # the delay is only a backstop.
            summary["outcome"] = "deferred"
            queue = getattr(self.ctx, "queue", None)
            if queue is not None:
                busy.on_release(lambda: queue.add(key))
            raise RequeueAfter(PROJECT_BUSY_BACKSTOP, str(busy)) from None
        finally:
            metrics.count_pass(summary["op"], summary["outcome"])
            bound.info(
                "reconcile pass",
                op=summary["op"],
                outcome=summary["outcome"],
                duration_ms=round((time.monotonic() - started) * 1000, 1),
            )
        return result

    # -- the pass ----------------------------------------------------------------------------

    async def _pass(self, key: Key, bound: Any, summary: dict[str, Any]) -> ReconcileResult:
        namespace, _ = key
        observed = await self._read(key)
        if observed is None:
            return self._done(key, summary, "gone")
        ext = observed.ext
        if not has_type(ext, self.config.extension_type) or not has_shoot_class(ext):
            return self._done(key, summary, "not-ours")
        if annotation_action(ext) is AnnotationAction.WAIT:
            return self._done(key, summary, "wait-for-state", forget=False)
        cluster = await self._cluster(namespace)
        if cluster is not None and shoot_failed(cluster):
            return self._done(key, summary, "shoot-failed", forget=False)
        operation = operation_type(ext)
        requested = gardener_requested(ext)
        wants_finalizer = needs_finalizer(operation) and not has_finalizer(ext)
        if requested or wants_finalizer or annotation_action(ext) is AnnotationAction.REMOVE_BEFORE:
            # About to write: decide again on the live object, not on a possibly stale cache entry.
            observed = await self._live(key)
            if observed is None:
                return self._done(key, summary, "gone")
            ext = observed.ext
            if annotation_action(ext) is AnnotationAction.WAIT:
                return self._done(key, summary, "wait-for-state", forget=False)
            operation = operation_type(ext)
            requested = gardener_requested(ext)
        summary["op"] = str(operation)
        if skip_because_migrated(ext, operation):
            return self._done(key, summary, "migrated", forget=False)
        if operation is OperationType.DELETE and not has_finalizer(ext):
            return self._done(key, summary, "no-finalizer")
        action = annotation_action(ext)
        requested_at = requested_timestamp(ext)
        observed = await self._prepare(observed, operation, action)
        if requested:
            observed = await self._write_status(
                observed,
                key,
                lambda current: processing_status(current, operation, self._clock(), requested_at),
            )
        recorder = EventRecorder(self.ctx.api_client, observed.ext, memory=self._event_memory)

        # A periodic pass writes nothing when it starts; one still running after `slowPassAfter` says
        # Processing, so a stuck pass never leaves the last Succeeded standing.
        started_from = observed

        def mark_processing() -> Awaitable[Any]:
            return self._write_status(
                started_from, key, lambda current: processing_status(current, operation, self._clock())
            )

        slow_after = self.config.slow_pass_after.total_seconds()
        async with marked_when_slow(slow_after, None if requested else mark_processing) as slow:
            result = await self._run_actuator(observed.ext, cluster, operation, recorder, bound)
        if slow.marked:  # the status changed under the pass: complete it from the live object
            observed = await self._live(key) or observed
        if result.failure is not None:
            return await self._failed(key, observed, result, requested, recorder, bound, summary)
        return await self._succeeded(key, observed, result, requested, action, recorder, summary)

    async def _run_actuator(
        self, ext: Obj, cluster: Obj | None, operation: OperationType, recorder: EventRecorder, bound: Any
    ) -> PassResult:
        namespace = str((ext.get("metadata") or {}).get("namespace") or "")
        if cluster is None:
            return PassResult(operation=operation, failure=cluster_missing_failure(namespace))
        actuator = self._actuator_factory(self.ctx, recorder)
        outcome, stopped = await run_bounded(
            lambda: operate(actuator, ext, cluster, operation, bound), self._pass_timeout, operation, bound
        )
        if stopped is not None:
            return PassResult(operation=operation, failure=stopped)
        return PassResult(
            operation=operation,
            outcomes=list(outcome.outcomes),
            failure=report_exception(outcome.error) if outcome.error is not None else None,
            provider_status=outcome.provider_status,
            state=outcome.state,
            resources=outcome.resources,
            health=getattr(outcome, "health", None),
        )

    async def _succeeded(
        self,
        key: Key,
        observed: _Observed,
        result: PassResult,
        requested: bool,
        action: AnnotationAction,
        recorder: EventRecorder,
        summary: dict[str, Any],
    ) -> ReconcileResult:
        self.repeats.reset(key)
        self.blocked.clear(key)
        previous_state = ((observed.ext.get("status") or {}).get("lastOperation") or {}).get("state")
        before = observed.ext
        observed = await self._write_completed(observed, key, result, requested)
        wrote = observed.ext is not before
        operation = result.operation
        if wrote and (requested or previous_state != "Succeeded"):
            await recorder.normal(f"{operation}Succeeded", f"{operation} of the Extension succeeded")
        summary["outcome"] = "succeeded"
        if operation is OperationType.DELETE:
            annotations = {OPERATION_ANNOTATION: None} if action is AnnotationAction.REMOVE_AFTER else None
            await patch_metadata(
                self.ctx.api_client,
                observed.ext,
                finalizers=finalizers_without(observed.ext),
                annotations=annotations,
            )
            self._forget(key)
            return ReconcileResult(requeue_after=None)
        if operation is OperationType.MIGRATE:
            # Another seed owns the shoot now: nothing of ours may hold the object here.
            await patch_metadata(
                self.ctx.api_client, observed.ext, finalizers=[], annotations={OPERATION_ANNOTATION: None}
            )
            return ReconcileResult(requeue_after=None)
        if action is AnnotationAction.REMOVE_AFTER:
            await patch_metadata(self.ctx.api_client, observed.ext, annotations={OPERATION_ANNOTATION: None})
        return ReconcileResult(requeue_after=float(self.config.resync_period.total_seconds()))

    async def _failed(
        self,
        key: Key,
        observed: _Observed,
        result: PassResult,
        requested: bool,
        recorder: EventRecorder,
        bound: Any,
        summary: dict[str, Any],
    ) -> ReconcileResult:
        failure = result.failure
        assert failure is not None
        repeated = self.repeats.record(key, failure.signature)
        blocked = self.repeats.is_blocked(repeated)
        metrics.count_pass_error(str(result.operation), failure.step, tuple(str(c) for c in failure.codes))
        if blocked:
            self.blocked.mark(key, str(result.operation), failure.step)
        else:
            self.blocked.clear(key)
        outcomes = list(result.outcomes)
        if blocked:
            outcomes = [self._blocked(o, failure) for o in outcomes]
        result = PassResult(
            operation=result.operation,
            outcomes=outcomes,
            failure=failure,
            provider_status=result.provider_status,
            state=result.state,
            resources=result.resources,
            health=result.health,
        )
        before = observed.ext
        observed = await self._write_completed(observed, key, result, requested)
        bound.warning(
            "reconcile failed",
            op=str(result.operation),
            step=failure.step,
            object=failure.object_ref,
            api=failure.api,
            error_kind=failure.kind,
            codes=[str(code) for code in failure.codes],
            error=failure.description,
            repeated=repeated,
            blocked=blocked,
        )
        if observed.ext is not before or repeated == 1:
            reason = BLOCKED_REASON if blocked else f"{result.operation}Failed"
            await recorder.warning(reason, failure.description)
        summary["outcome"] = "blocked" if blocked else "failed"
        if blocked:
            raise RequeueAfter(self._cap, f"blocked: {failure.description}")
        delay = requeue_delay(failure, cap=self._cap)
        if delay is not None:
            raise RequeueAfter(delay, failure.description)
        raise ReconcileFailed(failure)  # the work queue backs the key off

    def _blocked(self, outcome: StepOutcome, failure: FailureReport) -> StepOutcome:
        if outcome.condition_type != failure.condition_type and outcome.step != failure.step:
            return outcome
        return blocked_outcome(outcome, failure, self.repeats.limit, self._cap)

    # -- reads and writes ---------------------------------------------------------------------

    async def _read(self, key: Key) -> _Observed | None:
        cache = getattr(self.ctx, "cache", None)
        if cache is not None:
            cached = cache.get_extension(*key)
            if cached is not None:
                return _Observed(cached, fresh=False)
        return await self._live(key)

    async def _live(self, key: Key) -> _Observed | None:
        found = await get_extension(self.ctx.api_client, *key)
        return _Observed(found, fresh=True) if found is not None else None

    async def _cluster(self, name: str) -> Obj | None:
        return await read_cluster(self.ctx.api_client, getattr(self.ctx, "cache", None), name)

    async def _prepare(
        self, observed: _Observed, operation: OperationType, action: AnnotationAction
    ) -> _Observed:
        """One metadata write: drop `reconcile` before the work, add the finalizer when it is missing."""
        ext = observed.ext
        annotations = {OPERATION_ANNOTATION: None} if action is AnnotationAction.REMOVE_BEFORE else None
        finalizers = finalizers_with(ext) if needs_finalizer(operation) and not has_finalizer(ext) else None
        if annotations is None and finalizers is None:
            return observed
        updated = await patch_metadata(
            self.ctx.api_client, ext, annotations=annotations, finalizers=finalizers
        )
        return _Observed(updated, fresh=True)

    async def _write_completed(
        self, observed: _Observed, key: Key, result: PassResult, requested: bool
    ) -> _Observed:
        """Write the status of a finished pass (Succeeded or Error) when it differs from the current one."""
        requested_at = requested_timestamp(observed.ext)
        generation = (observed.ext.get("metadata") or {}).get("generation")
        return await self._write_status(
            observed,
            key,
            lambda current: completed_status(
                current,
                result,
                generation=generation,
                now=self._clock(),
                requested=requested,
                requested_at=requested_at,
            ),
        )

    async def _write_status(
        self, observed: _Observed, key: Key, desired_for: Callable[[Obj], Obj]
    ) -> _Observed:
        """Patch `/status` only when the desired status differs; returns the object as written.

        A patch computed from the cache is recomputed from a live read before it is sent; a conflict
        with a concurrent writer is resolved by one re-read and recompute.
        """
        patch = self._status_patch(observed.ext, desired_for)
        for attempt in range(2):
            if patch is None:
                return observed
            if attempt or not observed.fresh:
                live = await self._live(key)
                if live is None:
                    return observed
                observed = live
                patch = self._status_patch(observed.ext, desired_for)
                if patch is None:
                    return observed
            try:
                return _Observed(await patch_status(self.ctx.api_client, observed.ext, patch), fresh=True)
            except ExtensionConflict:
                if attempt:
                    raise
        return observed

    @staticmethod
    def _status_patch(ext: Obj, desired_for: Callable[[Obj], Obj]) -> Obj | None:
        current = dict(ext.get("status") or {})
        return status_patch(current, desired_for(current), requested_timestamp(ext))

    def _done(
        self, key: Key, summary: dict[str, Any], outcome: str, *, forget: bool = True
    ) -> ReconcileResult:
        summary["outcome"] = outcome
        if forget:
            self._forget(key)
        return ReconcileResult(requeue_after=None)

    def _forget(self, key: Key) -> None:
        self.repeats.reset(key)
        self.blocked.clear(key)

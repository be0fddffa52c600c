"""Running the actuator for one operation under the pass deadline (`passTimeout`).

A pass that runs past its deadline is cancelled and becomes the operation's error (so the Extension
never keeps showing the previous pass's Succeeded while this one is stuck), and the key is backed off
like after any failure. Bounds inside the pass (`requestTimeout` per ONTAP call, `kubeRequestTimeout`)
normally end a slow call first; this is the last line.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from controller.errorcodes import ErrorCode
from controller.extension.errors import FailureReport, report_exception
from controller.extension.loop_guard import format_duration
from controller.extension.operation import OperationType
from controller.shoot import force_deletion_confirmed
from controller.steps.project_turns import ProjectBusy


def pass_timeout_failure(seconds: float) -> FailureReport:
    """A pass that ran past `passTimeout`: cancelled, reported as the operation's error, backed off."""
    return FailureReport(
        description=(
            f"the pass did not finish within passTimeout ({format_duration(seconds)}) and was cancelled; "
            "a slow or stuck ONTAP or Kubernetes call is the likely cause (see the controller log)"
        ),
        codes=(ErrorCode.RETRYABLE_INFRA_DEPENDENCIES,),
        reason="PassTimeout",
        kind="pass-timeout",
    )


async def operate(
    actuator: Any, ext: dict[str, Any], cluster: dict[str, Any], operation: OperationType, bound: Any
) -> Any:
    """The actuator's method for `operation`."""
    if operation is OperationType.DELETE:
        force = force_deletion_confirmed(cluster)
        if force:
            bound.warning("force deletion confirmed on the shoot", op=str(operation))
        return await actuator.delete(ext, cluster, force=force)
    if operation is OperationType.MIGRATE:
        return await actuator.migrate(ext, cluster)
    if operation is OperationType.RESTORE:
        return await actuator.restore(ext, cluster)
    return await actuator.reconcile(ext, cluster)


async def run_bounded(
    work: Callable[[], Awaitable[Any]], seconds: float, operation: OperationType, bound: Any
) -> tuple[Any, FailureReport | None]:
    """`(result, None)`, or `(None, failure)` when `work` raised or ran past `seconds` (then cancelled)."""
    deadline = asyncio.timeout(seconds)
    try:
        async with deadline:
            return await work(), None
    except TimeoutError as exc:
        if deadline.expired():
            bound.warning("pass cancelled at its deadline", op=str(operation), pass_timeout=seconds)
            return None, pass_timeout_failure(seconds)
        bound.exception("actuator failed unexpectedly", op=str(operation))
        return None, report_exception(exc)
    except ProjectBusy:
        raise
    except Exception as exc:
        bound.exception("actuator failed unexpectedly", op=str(operation))
        return None, report_exception(exc)


def cluster_missing_failure(namespace: str) -> FailureReport:
    """No Cluster for the Extension's namespace: the shoot, its project and SVM are unknown."""
    return FailureReport(
        description=(
            f"Cluster {namespace} (extensions.gardener.cloud/v1alpha1) not found: the shoot, its "
            "project and thus its SVM cannot be determined"
        ),
        codes=(ErrorCode.RETRYABLE_INFRA_DEPENDENCIES,),
        reason="ClusterNotFound",
        object_ref=f"Cluster {namespace}",
        api="GET /apis/extensions.gardener.cloud/v1alpha1/clusters",
        kind="cluster-missing",
    )


@dataclass
class SlowPass:
    """Whether the slow-pass mark was (or began to be) written: the status then changed under the pass."""

    marked: bool = False


@contextlib.asynccontextmanager
async def marked_when_slow(
    after: float, mark: Callable[[], Awaitable[Any]] | None
) -> AsyncIterator[SlowPass]:
    """Call `mark` (e.g. write Processing) if the body still runs after `after` seconds."""
    slow = SlowPass()

    async def later(mark: Callable[[], Awaitable[Any]]) -> None:
        await asyncio.sleep(after)
        slow.marked = True
        with contextlib.suppress(Exception):  # a failed mark must not fail the pass it describes
            await mark()

    task = asyncio.create_task(later(mark)) if mark is not None else None
    try:
        yield slow
    finally:
        if task is not None:
            task.cancel()

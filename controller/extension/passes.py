"""Running the actuator for one operation under the pass deadline (`passTimeout`).

A pass that runs past its deadline is cancelled and becomes the operation's error (so the Extension
never keeps showing the previous pass's Succeeded while this one is stuck), and the key is backed off
like after any failure. Bounds inside the pass (`requestTimeout` per ONTAP call, `kubeRequestTimeout`)
normally end a slow call first; this is the last line.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from controller.errorcodes import ErrorCode
from controller.extension.errors import FailureReport, report_exception
from controller.extension.loop_guard import format_duration
from controller.extension.operation import OperationType
from controller.shoot import force_deletion_confirmed


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
    except Exception as exc:
        bound.exception("actuator failed unexpectedly", op=str(operation))
        return None, report_exception(exc)

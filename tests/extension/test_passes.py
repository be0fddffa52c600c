"""The pass deadline: a pass running past `passTimeout` is cancelled and becomes the operation's error."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Any

import pytest
import structlog

from controller.config import config_from_mapping
from controller.errorcodes import ErrorCode
from controller.extension.operation import OperationType
from controller.extension.passes import pass_timeout_failure, run_bounded

LOG = structlog.get_logger("test")


async def test_a_pass_past_its_deadline_is_cancelled_and_reported() -> None:
    cancelled = asyncio.Event()

    async def stuck() -> Any:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    started = time.monotonic()
    result, failure = await run_bounded(stuck, 0.2, OperationType.RECONCILE, LOG)
    assert time.monotonic() - started < 2
    assert result is None and cancelled.is_set()
    assert failure is not None
    assert failure.reason == "PassTimeout" and failure.kind == "pass-timeout"
    assert failure.retryable and failure.codes == (ErrorCode.RETRYABLE_INFRA_DEPENDENCIES,)
    assert "passTimeout (0.2s)" in failure.description


async def test_a_timeout_inside_the_pass_is_an_ordinary_failure() -> None:
    async def fails() -> Any:
        raise TimeoutError("inner")

    result, failure = await run_bounded(fails, 5, OperationType.RECONCILE, LOG)
    assert result is None and failure is not None
    assert failure.reason == "UnexpectedError"


async def test_a_pass_within_its_deadline_returns_its_result() -> None:
    async def quick() -> Any:
        return "done"

    assert await run_bounded(quick, 5, OperationType.DELETE, LOG) == ("done", None)


def test_pass_timeout_defaults_to_ten_minutes_and_is_configurable() -> None:
    base: dict[str, Any] = {
        "ontapClusters": [{"name": "a", "endpoint": "http://127.0.0.1:1", "username": "u", "password": "p"}]
    }
    assert config_from_mapping(base).pass_timeout == timedelta(minutes=10)
    assert config_from_mapping({**base, "passTimeout": "90s"}).pass_timeout == timedelta(seconds=90)
    with pytest.raises(Exception, match="passTimeout"):
        config_from_mapping({**base, "passTimeout": "0s"})


def test_pass_timeout_failure_names_the_setting() -> None:
    assert "passTimeout (10m)" in pass_timeout_failure(600).description

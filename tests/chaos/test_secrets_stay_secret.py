"""Secrets stay secret across a chaos run: no password in any log line, Event or status.

Every matrix cell and schedule already checks its own run (`ChaosRun.leaks`); this test runs a
rotation under faults with logging at debug level and also proves that the check can see: the lines
are captured, and a planted password is found.
"""

from __future__ import annotations

import logging

import pytest

from tests.chaos import runner
from tests.chaos.bed import ChaosServers
from tests.chaos.leaks import find_leaks
from tests.chaos.runner import Row
from tests.chaos.schedules import Schedule, run_schedule

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

ROTATION_UNDER_FAULTS = (
    "create=[account-create:answer-lostx1,seed-secret-write:conflict-409x1] "
    "rotate=[password-set:apply-then-failx1,seed-secret-write:killed-after-applyx1,"
    "managed-resource-write:http-503x1] delete=[account-delete:lockedx2]"
)


async def test_no_password_in_logs_events_or_status(
    chaos_servers: ChaosServers, chaos_table: list[Row]
) -> None:
    capture = runner.LOG_CAPTURE
    assert capture is not None
    mark = capture.mark()
    row = await run_schedule(chaos_servers, Schedule.parse(ROTATION_UNDER_FAULTS))
    chaos_table.append(row)
    assert not row.problems, "\n".join(row.problems)
    lines = capture.since(mark)
    # The capture saw the controller at debug level, rendered by the production formatter.
    assert any('"level": "debug"' in line for line in lines)
    assert any("reconcile pass" in line for line in lines)


def test_a_planted_password_is_found() -> None:
    capture = runner.LOG_CAPTURE
    assert capture is not None
    mark = capture.mark()
    planted = "Planted-Password-4711"
    logging.getLogger("chaos.control").warning("oops %s", planted)
    leaks = find_leaks({planted}, {"log line": capture.since(mark)})
    assert len(leaks) == 1
    assert planted not in leaks[0]

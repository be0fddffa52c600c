"""Random fault schedules (hypothesis): every schedule converges and keeps the invariants.

`make chaos` runs `CHAOS_SCHEDULES` (200) schedules, the default suite `QUICK_SCHEDULES` (15). A
failing schedule is printed twice: hypothesis's `@reproduce_failure` blob and the readable line
that `Schedule.parse` reads back (see docs/chaos.md, "Replaying a failing schedule").
"""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import HealthCheck, Phase, given, note, settings

from tests.chaos.bed import ChaosServers
from tests.chaos.runner import Row
from tests.chaos.schedules import Schedule, run_schedule, schedules

CHAOS_SCHEDULES = 200
QUICK_SCHEDULES = 15

pytestmark = pytest.mark.integration

_SETTINGS = {
    "deadline": None,
    "print_blob": True,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
}


def _check(servers: ChaosServers, table: list[Row], schedule: Schedule) -> None:
    note(f"schedule: {schedule.describe()}")
    row = asyncio.run(run_schedule(servers, schedule))
    table.append(row)
    assert not row.problems, f"schedule {schedule.describe()}:\n" + "\n".join(row.problems)


@pytest.mark.chaos
@pytest.mark.timeout(1500)
@settings(max_examples=CHAOS_SCHEDULES, **_SETTINGS)  # type: ignore[arg-type]
@given(schedule=schedules())
def test_random_schedules(chaos_servers: ChaosServers, chaos_table: list[Row], schedule: Schedule) -> None:
    _check(chaos_servers, chaos_table, schedule)


@pytest.mark.timeout(240)
# No shrinking here: the default suite reports the failing schedule as found, within its time budget.
@settings(
    max_examples=QUICK_SCHEDULES,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    **_SETTINGS,  # type: ignore[arg-type]
)
@given(schedule=schedules())
def test_random_schedules_quick(
    chaos_servers: ChaosServers, chaos_table: list[Row], schedule: Schedule
) -> None:
    _check(chaos_servers, chaos_table, schedule)


@pytest.mark.parametrize(
    "text",
    [
        "create=[svm-create:answer-lostx1,seed-secret-write:conflict-409x2] "
        "rotate=[password-set:killed-after-applyx1] delete=[svm-delete:lockedx2] shared-svm",
        "create=[] delete=[]",
    ],
)
def test_schedule_round_trips(text: str) -> None:
    assert Schedule.parse(text).describe() == text

"""The chaos matrix: every mutating step x every fault kind, against the real apiserver and the fake.

`make chaos` runs every cell; the default suite runs the cells of `DEFAULT_SLICE`.
"""

from __future__ import annotations

import pytest

from tests.chaos.bed import ChaosServers
from tests.chaos.catalog import DEFAULT_SLICE, Scenario, matrix
from tests.chaos.runner import Row, run_scenario

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


async def _check(servers: ChaosServers, table: list[Row], scenario: Scenario) -> None:
    row = await run_scenario(servers, scenario)
    table.append(row)
    assert not row.problems, f"{scenario.id}:\n" + "\n".join(row.problems)


@pytest.mark.chaos
@pytest.mark.parametrize("scenario", matrix(), ids=lambda s: s.id)
async def test_matrix(chaos_servers: ChaosServers, chaos_table: list[Row], scenario: Scenario) -> None:
    await _check(chaos_servers, chaos_table, scenario)


@pytest.mark.parametrize("scenario", [s for s in matrix() if s.id in DEFAULT_SLICE], ids=lambda s: s.id)
async def test_matrix_slice(chaos_servers: ChaosServers, chaos_table: list[Row], scenario: Scenario) -> None:
    await _check(chaos_servers, chaos_table, scenario)

"""Session-wide chaos bed (apiserver + fault proxy + fake ONTAP) and the table printed at the end."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import structlog

from hack.localenv.kube import LocalKubeApiServer
from ontap.fake.testing import FakeOntapServer
from tests.chaos import runner
from tests.chaos.bed import ChaosServers
from tests.chaos.leaks import install_log_capture
from tests.chaos.runner import Row, format_table
from tests.harness.kube_faults import KubeFaultProxy


class ChaosTable(list[Row]):
    """The rows of the session; short repr, so a falsifying example does not print the whole table."""

    def __repr__(self) -> str:
        return f"ChaosTable({len(self)} rows)"


CHAOS_ROWS = ChaosTable()


@pytest.fixture(scope="module", autouse=True)
def _production_logging_captured() -> Iterator[None]:
    """Logging as in production at debug level; every rendered line is kept for the leak checks.

    The previous logging set-up is restored afterwards, so tests outside this folder are unaffected.
    """
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    structlog_config = structlog.get_config()
    runner.LOG_CAPTURE = install_log_capture()
    yield
    runner.LOG_CAPTURE = None
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.configure(**structlog_config)


@pytest.fixture(scope="session")
def chaos_servers(
    kube_apiserver: LocalKubeApiServer,
    _fake_ontap_http_server: FakeOntapServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[ChaosServers]:
    """One apiserver, one proxy in front of it and one fake ONTAP for every chaos test."""
    with KubeFaultProxy.for_apiserver(kube_apiserver, tmp_path_factory.mktemp("kube-proxy")) as proxy:
        servers = ChaosServers(kube_apiserver, proxy, _fake_ontap_http_server)
        yield servers
        servers.fake.faults.clear()


@pytest.fixture
def chaos_table() -> list[Row]:
    """Rows appended here are printed as the chaos table at the end of the session."""
    return CHAOS_ROWS


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the chaos table: scenario, converged, seconds, ONTAP requests, Kubernetes writes, passes."""
    if not CHAOS_ROWS:
        return
    terminalreporter.section("chaos table")
    terminalreporter.write_line(format_table(CHAOS_ROWS))
    converged = sum(1 for row in CHAOS_ROWS if row.converged)
    terminalreporter.write_line(f"{converged}/{len(CHAOS_ROWS)} scenarios converged")

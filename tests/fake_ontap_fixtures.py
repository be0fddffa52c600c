"""Pytest fixtures for the fake ONTAP server (listed in tests/conftest.py `pytest_plugins`).

One server per session and scheme; every test gets it reset to the seed state, with no faults
and an empty request log.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from netapp_ontap import HostConnection

from ontap.fake.testing import FakeOntapServer

# Job polling by netapp-ontap sleeps this long between GETs of a job (the library default is 5 s).
FAST_POLL_INTERVAL = 0.05


def admin_connection(server: FakeOntapServer, **overrides: Any) -> HostConnection:
    """A netapp-ontap connection to the fake as its cluster admin."""
    options: dict[str, Any] = {
        "username": server.admin_user,
        "password": server.admin_password,
        "port": server.port,
        "poll_interval": FAST_POLL_INTERVAL,
        "poll_timeout": 10,
    }
    if server.tls:
        options["verify"] = str(server.ca_path)
    else:
        options.update(scheme="http", verify=False)
    options.update(overrides)
    return HostConnection(server.host, **options)


@pytest.fixture(scope="session")
def _fake_ontap_http_server() -> Iterator[FakeOntapServer]:
    with FakeOntapServer(tls=False) as server:
        yield server


@pytest.fixture(scope="session")
def _fake_ontap_tls_server() -> Iterator[FakeOntapServer]:
    with FakeOntapServer(tls=True) as server:
        yield server


@pytest.fixture
def fake_ontap(_fake_ontap_http_server: FakeOntapServer) -> Iterator[FakeOntapServer]:
    """The fake ONTAP over plain HTTP, freshly reset."""
    _fake_ontap_http_server.reset()
    yield _fake_ontap_http_server
    _fake_ontap_http_server.faults.clear()


@pytest.fixture
def fake_ontap_tls(_fake_ontap_tls_server: FakeOntapServer) -> Iterator[FakeOntapServer]:
    """The fake ONTAP over HTTPS (`ca_path` holds its CA), freshly reset."""
    _fake_ontap_tls_server.reset()
    yield _fake_ontap_tls_server
    _fake_ontap_tls_server.faults.clear()


@pytest.fixture
def fake_ontap_admin(fake_ontap: FakeOntapServer) -> HostConnection:
    """A netapp-ontap `HostConnection` to `fake_ontap` as the cluster admin (fast job polling)."""
    return admin_connection(fake_ontap)

"""Fake ONTAP clusters and clients of the ONTAP layer pointed at them (fast retries, short timeouts)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from ontap.client import OntapClient
from ontap.config import OntapClusterConfig
from ontap.fake.testing import FakeOntapServer
from ontap.retry import RetryPolicy
from tests import support

# The ONTAP layer's own tests allow one more attempt than the controller's.
ONTAP_RETRIES = RetryPolicy(attempts=4, initial_delay=0.01, max_delay=0.05, jitter=0.01)
FAST_RETRIES = ONTAP_RETRIES


def cluster_config(fake: FakeOntapServer, name: str = "fake", **changes: object) -> OntapClusterConfig:
    """A config for the fake server with short timeouts (1 s)."""
    return support.cluster_config(fake, name, read_timeout=1.0, **changes)


def make_client(fake: FakeOntapServer, name: str = "fake", **changes: object) -> OntapClient:
    """An admin client of `fake`."""
    return support.make_client(fake, name, retry_policy=ONTAP_RETRIES, read_timeout=1.0, **changes)


@pytest.fixture
def fake_cluster() -> Iterator[FakeOntapServer]:
    """A fresh fake ONTAP cluster (plain HTTP) with fast jobs."""
    with FakeOntapServer() as server:
        server.set_job_timing(seconds=0.05)
        yield server


@pytest.fixture
def second_fake_cluster() -> Iterator[FakeOntapServer]:
    """Another, independent fake cluster."""
    with FakeOntapServer() as server:
        server.set_job_timing(seconds=0.05)
        yield server


@pytest.fixture
async def ontap_client(fake_cluster: FakeOntapServer) -> AsyncIterator[OntapClient]:
    """An admin client of `fake_cluster`."""
    client = make_client(fake_cluster)
    try:
        yield client
    finally:
        await client.close()

"""Test support shared by every test package: ONTAP configs and clients pointed at a fake, fast
retries, and an event sink that remembers what the steps reported."""

from __future__ import annotations

from dataclasses import dataclass, field

from ontap.client import OntapClient
from ontap.config import OntapClusterConfig
from ontap.fake.testing import FakeOntapServer
from ontap.retry import RetryPolicy

FAST_RETRIES = RetryPolicy(attempts=3, initial_delay=0.01, max_delay=0.05, jitter=0.01)
MERGE_PATCH = "application/merge-patch+json"


def cluster_config(
    fake: FakeOntapServer, name: str = "fake", *, read_timeout: float = 2.0, **changes: object
) -> OntapClusterConfig:
    """A config for the fake server as its admin, with short timeouts."""
    data: dict[str, object] = {
        "name": name,
        "endpoint": fake.url,
        "username": fake.admin_user,
        "password": fake.admin_password,
        "connectTimeout": 1.0,
        "readTimeout": read_timeout,
    }
    data.update(changes)
    return OntapClusterConfig.model_validate(data)


def make_client(
    fake: FakeOntapServer,
    name: str = "fake",
    *,
    retry_policy: RetryPolicy = FAST_RETRIES,
    read_timeout: float = 2.0,
    **changes: object,
) -> OntapClient:
    """An admin client of `fake` (jobs polled every 0.05 s)."""
    return OntapClient(
        cluster_config(fake, name, read_timeout=read_timeout, **changes),
        retry_policy=retry_policy,
        job_timeout=10.0,
        job_poll_interval=0.05,
    )


@dataclass
class RecordedEvents:
    """An event sink that remembers what the steps reported: (type, reason, message)."""

    items: list[tuple[str, str, str]] = field(default_factory=list)

    async def normal(self, reason: str, message: str) -> None:
        self.items.append(("Normal", reason, message))

    async def warning(self, reason: str, message: str) -> None:
        self.items.append(("Warning", reason, message))

"""ONTAP job polling: starts fast, backs off to a cap, configurable per cluster."""

from __future__ import annotations

import itertools
import time

import pytest
from pydantic import ValidationError

from ontap.client import OntapClient, send_json
from ontap.fake.testing import FakeOntapServer
from ontap.jobs import JobOutcome, poll_delays, wait_for_job
from tests.support import FAST_RETRIES, cluster_config

SVM_BODY = {"name": "ppolling", "aggregates": [{"name": "aggr1_fake_01"}]}


def test_delays_start_at_the_initial_wait_and_double_up_to_the_cap() -> None:
    assert list(itertools.islice(poll_delays(0.05, 2.0), 9)) == [
        0.05,
        0.1,
        0.2,
        0.4,
        0.8,
        1.6,
        2.0,
        2.0,
        2.0,
    ]
    assert list(itertools.islice(poll_delays(3.0, 2.0), 2)) == [2.0, 2.0]


def test_an_initial_wait_above_the_cap_is_refused_naming_both_keys(fake_cluster: FakeOntapServer) -> None:
    with pytest.raises(ValidationError, match=r"jobPollInitial .* must not exceed jobPollMax"):
        cluster_config(fake_cluster, jobPollInitial=3.0, jobPollMax=1.0)


def test_defaults_poll_fast_first_and_cap_at_two_seconds(fake_cluster: FakeOntapServer) -> None:
    config = cluster_config(fake_cluster)
    assert (config.job_poll_initial, config.job_poll_max, config.job_timeout) == (0.05, 2.0, 300.0)


async def _job_and_wait(fake: FakeOntapServer, client: OntapClient) -> tuple[float, int]:
    answer = await client.run(
        lambda c: send_json(c, "POST", "/api/svm/svms", body=SVM_BODY),
        operation="POST /api/svm/svms",
        target="svm ppolling",
        mutating=True,
    )
    fake.requests.clear()
    started = time.monotonic()
    outcome = await wait_for_job(client, answer["job"]["uuid"], operation="POST", target="svm ppolling")
    assert outcome is JobOutcome.SUCCEEDED
    return time.monotonic() - started, fake.requests.count("GET", "/api/cluster/jobs/")


async def test_a_short_job_is_seen_soon_after_it_ends(fake_cluster: FakeOntapServer) -> None:
    # With the cluster's defaults (no interval given): a 0.3 s job is polled at about 0.05, 0.15, 0.35 s.
    fake_cluster.set_job_timing(seconds=0.3)
    client = OntapClient(cluster_config(fake_cluster), retry_policy=FAST_RETRIES)
    try:
        elapsed, polls = await _job_and_wait(fake_cluster, client)
    finally:
        await client.close()
    assert elapsed < 1.0, f"a 0.3 s job took {elapsed:.2f} s to be seen (a fixed 2 s interval would take 2 s)"
    assert 2 <= polls <= 5


async def test_a_long_job_costs_few_polls(fake_cluster: FakeOntapServer) -> None:
    # A 2.5 s job polled every 0.05 s would cost 50 polls; backing off to jobPollMax=1 costs about 8.
    fake_cluster.set_job_timing(seconds=2.5)
    client = OntapClient(cluster_config(fake_cluster, jobPollMax=1.0), retry_policy=FAST_RETRIES)
    try:
        elapsed, polls = await _job_and_wait(fake_cluster, client)
    finally:
        await client.close()
    assert 2.5 <= elapsed < 3.6
    assert polls <= 9

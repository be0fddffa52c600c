"""The real controller process (`ontap-extension`) against the local apiserver and the fake ONTAP:
every metric the chart's dashboard and alert rules name is in its `/metrics`, the counters move as
the passes go (a create, a password repair, a deletion blocked by ONTAP and then finished), and every
label takes its values from a bounded set."""

from __future__ import annotations

import asyncio
import re
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
import yaml
from kubernetes_asyncio import client as k8s
from prometheus_client.parser import text_string_to_metric_families

from controller.errorcodes import ErrorCode
from controller.runtime import metrics
from controller.steps.registry import deletion_steps, reconcile_steps
from hack.localenv.gardener_objects import GROUP, VERSION, cluster_object, extension_object
from ontap.fake.testing import FakeOntapServer, free_port
from ontap.metrics import METHODS, OTHER_METHOD, UNEXPECTED, error_kinds
from tests.kube_fixtures import KubeTestEnv
from tests.monitoring.chart_monitoring import expressions, metric_names, render

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

CLUSTER = "fake"
PROJECT = "4321-dcba"
SECRET = "ontap-svm-credentials"
MERGE_PATCH = "application/merge-patch+json"
HISTOGRAM_SUFFIXES = ("_bucket", "_count", "_sum", "_created")
RESOURCE = re.compile(r"[a-z]+(/[a-z]+)?")


@dataclass
class Sample:
    name: str
    labels: dict[str, str]
    value: float


class Controller:
    """The `ontap-extension` process and its metrics endpoint."""

    def __init__(self, process: asyncio.subprocess.Process, port: int, http: aiohttp.ClientSession) -> None:
        self.process = process
        self.port = port
        self.http = http
        self.scrapes: list[list[Sample]] = []

    async def scrape(self) -> list[Sample]:
        async with self.http.get(f"http://127.0.0.1:{self.port}/metrics") as response:
            assert response.status == 200
            text = await response.text()
        samples = [
            Sample(sample.name, dict(sample.labels), sample.value)
            for family in text_string_to_metric_families(text)
            for sample in family.samples
        ]
        self.scrapes.append(samples)
        return samples

    async def value(self, name: str, **labels: str) -> float:
        """The sum of the samples of `name` whose labels include `labels`."""
        samples = await self.scrape()
        return sum(
            s.value
            for s in samples
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
        )


async def until(check: Callable[[], Awaitable[bool]], what: str, within: float = 60.0) -> None:
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within}s: {what}")
        await asyncio.sleep(0.2)


@pytest.fixture
async def controller(
    kube: KubeTestEnv, fake_ontap: FakeOntapServer, tmp_path: Path
) -> AsyncIterator[Controller]:
    fake_ontap.set_job_timing(seconds=0.05)
    password_file = tmp_path / "ontap-password"
    password_file.write_text(fake_ontap.admin_password)
    port = free_port()
    config = {
        "kubeconfig": str(kube.kubeconfig),
        "ontapClusters": [
            {
                "name": CLUSTER,
                "endpoint": fake_ontap.url,
                "username": fake_ontap.admin_user,
                "passwordFile": str(password_file),
            }
        ],
        "resyncPeriod": "1h",
        "backoff": {"base": "50ms", "cap": "300ms"},
        "leaderElection": {
            "namespace": kube.namespace,
            "leaseDuration": "3s",
            "renewDeadline": "2s",
            "retryPeriod": "500ms",
        },
        "heartbeat": {"namespace": kube.namespace},
        "healthPort": 0,
        "metricsPort": port,
        "bindAddress": "127.0.0.1",
    }
    config_path = tmp_path / "config.yaml"
    config_path.write_text(yaml.safe_dump(config))
    log = (tmp_path / "controller.log").open("wb")
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "ontap-extension"),
        "--config",
        str(config_path),
        stdout=log,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http:
            running = Controller(process, port, http)

            async def serving() -> bool:
                assert process.returncode is None, (tmp_path / "controller.log").read_text()
                try:
                    await running.scrape()
                except aiohttp.ClientError:
                    return False
                return True

            await until(serving, "the metrics endpoint answers", within=30)
            yield running
    finally:
        if process.returncode is None:
            process.terminate()
            await asyncio.wait_for(process.wait(), timeout=30)
        log.close()


def _allowed(metric: str, label: str, value: str) -> bool:
    """Whether `value` is one of the bounded values of `label` on `metric`."""
    steps = {step.name for step in [*reconcile_steps(), *deletion_steps()]} | {metrics.NO_STEP}
    if label == "le":  # a histogram's bucket bounds, fixed where it is defined
        return True
    if metric.startswith("ontap_request") or metric.startswith("ontap_retries"):
        return {
            "cluster": value == CLUSTER,
            "method": value in METHODS | {OTHER_METHOD},
            "outcome": value in error_kinds() | {"ok"},
            "kind": value in error_kinds() | {UNEXPECTED},
        }.get(label, False)
    declared = metrics.LABEL_VALUES.get(label, frozenset())
    if declared is not None:
        return value in declared
    return {
        "code": value in {str(code) for code in ErrorCode} | {metrics.NO_CODE},
        "step": value in steps,
        "queue": value == "extension",
        "resource": RESOURCE.fullmatch(value) is not None,
    }[label]


async def test_every_dashboard_and_alert_metric_is_served_and_labels_are_bounded(
    kube: KubeTestEnv, fake_ontap: FakeOntapServer, controller: Controller, tmp_path: Path
) -> None:
    api = k8s.CustomObjectsApi(kube.api_client)
    ns = kube.namespace
    await api.create_cluster_custom_object(GROUP, VERSION, "clusters", cluster_object(ns, PROJECT))
    try:
        await api.create_namespaced_custom_object(GROUP, VERSION, ns, "extensions", extension_object(ns))

        async def state_is(state: str) -> bool:
            ext = await api.get_namespaced_custom_object(GROUP, VERSION, ns, "extensions", "ontap")
            return bool(((ext.get("status") or {}).get("lastOperation") or {}).get("state") == state)

        await until(lambda: state_is("Succeeded"), "the Extension is Succeeded")

        async def passes_counted() -> bool:
            return await controller.value("ontap_extension_passes_total", outcome="succeeded") >= 1

        # The pass writes its status before it ends, and is counted when it ends.
        await until(passes_counted, "the succeeded pass is counted", within=10)
        assert await controller.value("ontap_requests_total", cluster=CLUSTER, outcome="ok") > 0

        # A password repair: the seed secret is gone, the next pass makes a new password and proves it;
        # ONTAP answers that pass's first SVM read with a 503, which is retried.
        fake_ontap.faults.add(
            {"type": "error", "status": 503, "code": "1", "message": "try again"},
            method="GET",
            path="^/api/svm/svms",
            times=1,
        )
        await k8s.CoreV1Api(kube.api_client).delete_namespaced_secret(SECRET, ns)
        await api.patch_namespaced_custom_object(
            GROUP,
            VERSION,
            ns,
            "extensions",
            "ontap",
            {"metadata": {"annotations": {"gardener.cloud/operation": "reconcile"}}},
            _content_type=MERGE_PATCH,  # type: ignore[call-arg]
        )

        async def repaired() -> bool:
            return (
                await controller.value("ontap_extension_password_changes_total", cause="secret-missing") == 1
            )

        await until(repaired, "the password repair is counted")
        assert await controller.value("ontap_extension_password_changes_total", cause="rotation") == 0
        assert await controller.value("ontap_retries_total", cluster=CLUSTER, kind="transient") == 1
        assert await controller.value("ontap_requests_total", cluster=CLUSTER, outcome="transient") == 1

        # A deletion ONTAP refuses: errors by code, then Blocked, in the Delete operation.
        rule = fake_ontap.faults.add({"type": "forbidden"}, method="DELETE", path="^/api/")
        await api.delete_namespaced_custom_object(GROUP, VERSION, ns, "extensions", "ontap")

        async def blocked() -> bool:
            return await controller.value("ontap_extension_blocked_extensions", operation="Delete") == 1

        await until(blocked, "the deletion is reported as Blocked")
        code = str(ErrorCode.INFRA_UNAUTHORIZED)
        assert await controller.value("ontap_extension_pass_errors_total", operation="Delete", code=code) >= 5
        assert await controller.value("ontap_requests_total", method="DELETE", outcome="forbidden") >= 5
        assert (
            await controller.value(
                "ontap_extension_extensions", last_operation_type="Delete", last_operation_state="Error"
            )
            == 1
        )

        # ONTAP lets the deletion through: it finishes, and nothing is reported as blocked any more.
        fake_ontap.faults.remove(rule)

        async def gone() -> bool:
            try:
                await api.get_namespaced_custom_object(GROUP, VERSION, ns, "extensions", "ontap")
            except k8s.ApiException as exc:
                return exc.status == 404
            return False

        await until(gone, "the deletion finishes")
        assert await controller.value("ontap_extension_blocked_extensions", operation="Delete") == 0
        assert await controller.value("ontap_extension_extensions", last_operation_type="Delete") == 0
    finally:
        await api.delete_cluster_custom_object(GROUP, VERSION, "clusters", ns)

    served = {sample.name for scrape in controller.scrapes for sample in scrape}
    families = served | {
        sample.name.removesuffix(suffix)
        for scrape in controller.scrapes
        for sample in scrape
        for suffix in HISTOGRAM_SUFFIXES
        if sample.name.endswith(suffix)
    }
    used = {name for expr in expressions(render(tmp_path)) for name in metric_names(expr)}
    assert len(used) >= 10, used
    assert not used - families, (
        f"named by the dashboard or the rules but not served: {sorted(used - families)}"
    )

    unbounded = sorted(
        {
            f"{sample.name}{{{label}={value!r}}}"
            for scrape in controller.scrapes
            for sample in scrape
            if sample.name.startswith("ontap_")
            for label, value in sample.labels.items()
            if not _allowed(sample.name, label, value)
        }
    )
    assert not unbounded, f"label values outside their bounded sets: {unbounded}"

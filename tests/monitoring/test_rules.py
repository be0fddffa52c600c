"""The chart's alert rules as Gardener's seed Prometheus gets them: `promtool check rules` accepts the
rendered PrometheusRule, and `promtool test rules` shows each alert firing (and not) on given series."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from hack.localenv.promtool import find_promtool
from tests.monitoring.chart_monitoring import RELEASE_NAMESPACE, VALUES, prometheus_rule, render

pytestmark = pytest.mark.integration  # helm and promtool are built from their Go modules
HERE = Path(__file__).resolve().parent
ALERTS = {
    "OntapExtensionInError",
    "OntapClusterUnreachable",
    "OntapPasswordRepairsHigh",
    "OntapExtensionDeletionBlocked",
}


def _rules_file(tmp_path: Path, values: dict[str, object] | None = None) -> Path:
    rule = prometheus_rule(render(tmp_path, values))
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump({"groups": rule["spec"]["groups"]}, sort_keys=False))
    return path


def _promtool(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(find_promtool()), *args], cwd=cwd, capture_output=True, text=True, check=False)


def test_the_prometheus_rule_is_labelled_for_the_seed_prometheus(tmp_path: Path) -> None:
    rule = prometheus_rule(render(tmp_path))
    assert rule["apiVersion"] == "monitoring.coreos.com/v1"
    assert rule["metadata"]["labels"]["prometheus"] == "seed"
    assert rule["metadata"]["namespace"] == RELEASE_NAMESPACE
    alerts = {r["alert"] for group in rule["spec"]["groups"] for r in group["rules"]}
    assert alerts == ALERTS


def test_promtool_accepts_the_rendered_rules(tmp_path: Path) -> None:
    rules = _rules_file(tmp_path)
    checked = _promtool("check", "rules", str(rules), cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"SUCCESS: {len(ALERTS)} rules found" in checked.stdout


def test_every_alert_fires_and_stays_quiet_as_its_unit_test_says(tmp_path: Path) -> None:
    _rules_file(tmp_path)
    shutil.copy(HERE / "alerts.test.yaml", tmp_path / "alerts.test.yaml")
    tested = _promtool("test", "rules", "alerts.test.yaml", cwd=tmp_path)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    tests = yaml.safe_load((HERE / "alerts.test.yaml").read_text())["tests"]
    covered = {
        check["alertname"] for test in tests for check in test["alert_rule_test"] if check["exp_alerts"]
    }
    assert covered == ALERTS, "every alert has a unit test in which it fires"


def test_thresholds_come_from_the_values(tmp_path: Path) -> None:
    values = {**VALUES, "monitoring": {"alerts": {"errorFor": "42m", "passwordRepairsPerHour": 3}}}
    rules = {
        r["alert"]: r
        for g in yaml.safe_load(_rules_file(tmp_path, values).read_text())["groups"]
        for r in g["rules"]
    }
    assert rules["OntapExtensionInError"]["for"] == "42m"
    assert rules["OntapPasswordRepairsHigh"]["expr"].rstrip().endswith("> 3")
    checked = _promtool("check", "rules", "rules.yaml", cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_monitoring_can_be_switched_off(tmp_path: Path) -> None:
    docs = render(tmp_path, {**VALUES, "monitoring": {"enabled": False}})
    assert not [d for d in docs if d["kind"] == "PrometheusRule"]
    assert not [d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"].endswith("-dashboards")]
    deployment = next(d for d in docs if d["kind"] == "Deployment")
    assert "prometheus.io/scrape" not in deployment["spec"]["template"]["metadata"]["annotations"]

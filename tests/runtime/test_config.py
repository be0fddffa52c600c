"""Configuration parsing: defaults, durations, and errors that name the YAML key."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from controller.config import (
    ConfigError,
    ControllerConfig,
    config_from_mapping,
    load_config,
    parse_duration,
)
from controller.main import EXIT_CONFIG_ERROR, main

REPO_ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "Sup3r-s3cret-admin-pw"


def cluster(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": "ontap-a",
        "endpoint": "https://127.0.0.1",
        "username": "admin",
        "password": PASSWORD,
    }
    base.update(overrides)
    return base


def minimal(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"ontapClusters": [cluster()]}
    data.update(overrides)
    return data


def error_of(data: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as info:
        config_from_mapping(data)
    return str(info.value)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30s", 30),
        ("5m", 300),
        ("1h", 3600),
        ("1h30m", 5400),
        ("250ms", 0.25),
        ("1.5s", 1.5),
        ("2d", 172800),
        ("45", 45),
        (12, 12),
        (0.5, 0.5),
        (timedelta(minutes=2), 120),
    ],
)
def test_parse_duration_accepts_go_like_durations(text: Any, seconds: float) -> None:
    assert parse_duration(text).total_seconds() == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "5x", "m5", "5 m", "1h-30m", "abc", "5mm", True, None, [1]])
def test_parse_duration_rejects_garbage(text: Any) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LEADER_ELECTION_NAMESPACE", raising=False)
    config = config_from_mapping(minimal())
    assert config.extension_type == "ontap"
    assert config.project_annotation == "cluster.metal-stack.io/project"
    assert config.resync_period == timedelta(minutes=5)
    assert config.max_concurrent_reconciles == 5
    assert config.backoff.base == timedelta(seconds=1)
    assert config.backoff.cap == timedelta(minutes=5)
    election = config.leader_election
    assert election.enabled
    assert election.namespace == "garden"
    assert election.lease_name == "gardener-extension-ontap-leader-election"
    assert (election.lease_duration, election.renew_deadline, election.retry_period) == (
        timedelta(seconds=15),
        timedelta(seconds=10),
        timedelta(seconds=2),
    )
    assert config.heartbeat.enabled
    assert config.heartbeat.namespace == "garden"
    assert config.heartbeat.lease_name == "gardener-extension-heartbeat"
    assert config.heartbeat.renew_interval == timedelta(seconds=30)
    assert (config.health_port, config.metrics_port) == (8081, 8080)
    assert config.password_length == 32
    assert config.trident.storage_driver == "ontap-san"
    assert config.trident.san_type == "nvme"
    assert config.trident.operator_bundle_file is None
    assert config.trident.namespace == "kube-system"
    assert [sc.name for sc in config.trident.storage_classes] == ["ontap-gold"]
    assert config.trident.storage_classes[0].default
    assert config.seed_secret_name == "ontap-svm-credentials"
    assert config.kubeconfig is None
    assert config.ontap_clusters[0].name == "ontap-a"


def test_namespace_defaults_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEADER_ELECTION_NAMESPACE", "extension-ontap-x1")
    config = config_from_mapping(minimal())
    assert config.leader_election.namespace == "extension-ontap-x1"
    assert config.heartbeat.namespace == "extension-ontap-x1"


def test_camel_case_keys_and_durations_are_read() -> None:
    config = config_from_mapping(
        minimal(
            resyncPeriod="90s",
            maxConcurrentReconciles=12,
            backoff={"base": "500ms", "cap": "2m"},
            leaderElection={
                "namespace": "ext",
                "leaseDuration": "20s",
                "renewDeadline": "15s",
                "retryPeriod": 3,
            },
            heartbeat={"enabled": False, "renewInterval": "10s"},
            passwordLength=40,
            seedSecretName="creds",
            trident={
                "sanType": "iscsi",
                "storageClasses": [
                    {"name": "fast", "default": True},
                    {"name": "enc", "luksEncryption": True},
                ],
            },
        )
    )
    assert config.resync_period == timedelta(seconds=90)
    assert config.max_concurrent_reconciles == 12
    assert config.backoff.base == timedelta(milliseconds=500)
    assert config.leader_election.retry_period == timedelta(seconds=3)
    assert not config.heartbeat.enabled
    assert config.password_length == 40
    assert config.trident.san_type == "iscsi"
    assert [(sc.name, sc.luks_encryption) for sc in config.trident.storage_classes] == [
        ("fast", False),
        ("enc", True),
    ]


def test_python_names_work_too() -> None:
    config = ControllerConfig(ontap_clusters=[cluster()], resync_period="1m")
    assert config.resync_period == timedelta(minutes=1)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (minimal(ontapClusters=[cluster(endpoint="ftp://x")]), "ontapClusters.0.endpoint:"),
        (minimal(ontapClusters=[cluster(), cluster(name="b", endpoint="")]), "ontapClusters.1.endpoint:"),
        (minimal(ontapClusters=[cluster(maxInFlight=0)]), "ontapClusters.0.maxInFlight:"),
        ({"ontapClusters": []}, "ontapClusters:"),
        ({}, "ontapClusters:"),
        (minimal(ontapClusters=[cluster(), cluster()]), "must be unique"),
        (minimal(resyncPeriod="5 minutes"), "resyncPeriod:"),
        (minimal(resyncPeriod="0s"), "resyncPeriod:"),
        (minimal(passwordLength=8), "passwordLength:"),
        (minimal(maxConcurrentReconciles=0), "maxConcurrentReconciles:"),
        (minimal(healthPort=70000), "healthPort:"),
        (minimal(backoff={"base": "10s", "cap": "1s"}), "backoff:"),
        (minimal(backoff={"jitter": 1.5}), "backoff.jitter:"),
        (minimal(leaderElection={"leaseDuration": "5s"}), "leaderElection:"),
        (minimal(leaderElection={"leaseName": ""}), "leaderElection.leaseName:"),
        (minimal(heartbeat={"renewInterval": "often"}), "heartbeat.renewInterval:"),
        (minimal(trident={"sanType": "smb"}), "trident.sanType:"),
        (minimal(trident={"namespace": "Trident_NS"}), "trident.namespace:"),
        (minimal(trident={"namespace": ""}), "trident.namespace:"),
        (minimal(trident={"operatorBundleFile": "/does/not/exist.yaml"}), "trident.operatorBundleFile:"),
        (minimal(trident={"storageClasses": [{"name": "a"}, {"name": "a"}]}), "trident.storageClasses:"),
        (minimal(trident={"storageClasses": [{"default": True}]}), "trident.storageClasses.0.name:"),
        (minimal(resyncPeriode="5m"), "resyncPeriode: Extra inputs are not permitted"),
        (minimal(leaderElection={"enable": True}), "leaderElection.enable: Extra inputs"),
    ],
)
def test_errors_name_the_yaml_key(data: dict[str, Any], expected: str) -> None:
    assert expected in error_of(data)


def test_all_errors_are_reported_at_once() -> None:
    message = error_of(
        minimal(passwordLength=1, resyncPeriod="x", ontapClusters=[cluster(endpoint="ftp://a")])
    )
    assert "passwordLength:" in message
    assert "resyncPeriod:" in message
    assert "ontapClusters.0.endpoint:" in message


def test_errors_never_show_the_password() -> None:
    message = error_of(
        minimal(ontapClusters=[cluster(endpoint="ftp://x", maxInFlight="many")], bogus=PASSWORD)
    )
    assert PASSWORD not in message


def test_load_config_from_yaml_file(tmp_path: Path) -> None:
    password_file = tmp_path / "password"
    password_file.write_text(PASSWORD + "\n")
    path = tmp_path / "config.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "ontapClusters": [
                    {
                        "name": "a",
                        "endpoint": "ontap-a.example:8443",
                        "username": "admin",
                        "passwordFile": str(password_file),
                    }
                ],
                "resyncPeriod": "10m",
            }
        )
    )
    config = load_config(path)
    assert config.resync_period == timedelta(minutes=10)
    assert config.ontap_clusters[0].endpoint == "https://ontap-a.example:8443"
    assert config.ontap_clusters[0].credentials()[1].get_secret_value() == PASSWORD


def test_load_config_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read configuration file"):
        load_config(tmp_path / "nope.yaml")


def test_load_config_bad_yaml_does_not_echo_the_line(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(f'ontapClusters:\n  - name: a\n    password: "{PASSWORD}\n   bad: [\n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert "not valid YAML at line" in str(info.value)
    assert PASSWORD not in str(info.value)


def test_load_config_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match="expected a mapping"):
        load_config(path)


def test_main_exits_non_zero_naming_the_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(minimal(ontapClusters=[cluster(endpoint="ftp://x")])))
    assert main(["--config", str(path), "--log-format", "console"]) == EXIT_CONFIG_ERROR
    err = capsys.readouterr().err
    assert "ontapClusters.0.endpoint" in err
    assert PASSWORD not in err


def test_python_dash_m_controller_fails_fast_on_bad_config(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(minimal(passwordLength=4)))
    result = subprocess.run(
        [sys.executable, "-m", "controller", "--config", str(path)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == EXIT_CONFIG_ERROR
    assert "passwordLength" in result.stderr
    assert PASSWORD not in result.stderr + result.stdout

"""The Helm chart's values: no credentials in them, and a controller config the controller accepts."""

from __future__ import annotations

import copy
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from controller.config import config_from_mapping
from hack.localenv.kube import REPO_ROOT, find_helm

CHART = REPO_ROOT / "charts" / "gardener-extension-ontap"
SECRET_KEYS = {"password", "username", "credentials", "token"}


def _values() -> dict[str, Any]:
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    assert isinstance(values, dict)
    return values


def _keys(node: Any) -> set[str]:
    if isinstance(node, dict):
        return set(node) | {k for v in node.values() for k in _keys(v)}
    if isinstance(node, list):
        return {k for v in node for k in _keys(v)}
    return set()


def test_values_carry_no_credentials() -> None:
    values = _values()
    assert values["ontap"]["clusters"] == []
    assert not SECRET_KEYS & _keys(values)


def test_values_config_is_accepted_by_the_controller(tmp_path: Path) -> None:
    username, password = tmp_path / "username", tmp_path / "password"
    username.write_text("admin\n")
    password.write_text("not-a-real-password\n")
    config = copy.deepcopy(_values()["config"])
    config["ontapClusters"] = [
        {
            "name": "ontap-a",
            "endpoint": "https://ontap-a.example.com",
            "usernameFile": str(username),
            "passwordFile": str(password),
        }
    ]
    loaded = config_from_mapping(config)
    assert loaded.resync_period.total_seconds() == 300
    assert [sc.name for sc in loaded.trident.storage_classes] == ["ontap-gold", "ontap-encrypted"]


@pytest.mark.integration
def test_chart_renders_a_valid_controller_config(tmp_path: Path) -> None:
    values = tmp_path / "values.yaml"
    values.write_text(
        yaml.safe_dump(
            {
                "ontap": {
                    "clusters": [{"name": "a", "endpoint": "https://a.example", "credentialsSecret": "s"}]
                }
            }
        )
    )
    rendered = subprocess.run(
        [str(find_helm()), "template", "ext", str(CHART), "-n", "extension-ontap", "-f", str(values)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    docs = [d for d in yaml.safe_load_all(rendered) if d]
    config_map = next(d for d in docs if d["metadata"]["name"] == "gardener-extension-ontap-config")
    config = yaml.safe_load(config_map["data"]["config.yaml"])
    assert config["leaderElection"]["namespace"] == "extension-ontap"
    assert config["ontapClusters"][0]["passwordFile"].endswith("/a/password")
    assert not any(d["kind"] == "ConfigMap" and "password:" in str(d.get("data")) for d in docs)

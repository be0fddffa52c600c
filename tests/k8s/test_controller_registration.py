"""example/controller-registration.yaml: the ControllerDeployment carries the chart as Gardener's
`helm.rawChart` (base64 of a gzip'ed tar), the chart renders from it with the deployment's values,
and the ControllerRegistration registers kind Extension / type ontap."""

from __future__ import annotations

import base64
import gzip
import io
import subprocess
import tarfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from hack.generate_controller_registration import DEST, project_version, render
from hack.localenv.kube import find_helm

pytestmark = pytest.mark.integration  # helm is built from its Go module


def _documents() -> dict[str, dict[str, Any]]:
    docs = [d for d in yaml.safe_load_all(DEST.read_text()) if d]
    return {d["kind"]: d for d in docs}


def test_the_registration_registers_the_ontap_extension() -> None:
    docs = _documents()
    assert set(docs) == {"ControllerDeployment", "ControllerRegistration"}
    registration = docs["ControllerRegistration"]
    assert registration["apiVersion"] == "core.gardener.cloud/v1beta1"
    (resource,) = registration["spec"]["resources"]
    assert (resource["kind"], resource["type"]) == ("Extension", "ontap")
    assert resource["primary"] is True
    assert "globallyEnabled" not in resource  # tombstoned in Gardener's API
    assert "autoEnable" not in resource  # shoots opt in with an `ontap` extension
    deployment = docs["ControllerDeployment"]
    assert deployment["apiVersion"] == "core.gardener.cloud/v1"
    assert registration["spec"]["deployment"]["deploymentRefs"] == [{"name": deployment["metadata"]["name"]}]
    assert deployment["helm"]["values"]["image"]["tag"] == project_version()


def test_the_chart_renders_from_the_inlined_raw_chart(tmp_path: Path) -> None:
    helm = _documents()["ControllerDeployment"]["helm"]
    archive = base64.b64decode(helm["rawChart"], validate=True)
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(archive))) as tar:
        names = tar.getnames()
        tar.extractall(tmp_path / "chart", filter="data")
    assert "gardener-extension-ontap/Chart.yaml" in names
    assert "gardener-extension-ontap/dashboards/gardener-extension-ontap.json" in names
    values = tmp_path / "values.yaml"
    values.write_text(yaml.safe_dump(helm["values"]))
    rendered = subprocess.run(
        [
            str(find_helm()),
            "template",
            "ontap",
            str(tmp_path / "chart" / "gardener-extension-ontap"),
            "-n",
            "extension-ontap-x1",
            "-f",
            str(values),
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    objects = [d for d in yaml.safe_load_all(rendered) if d]
    deployment = next(d for d in objects if d["kind"] == "Deployment")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["image"] == f"gardener-extension-ontap:{project_version()}"
    kinds = {d["kind"] for d in objects}
    assert {"Deployment", "ConfigMap", "PrometheusRule", "ServiceAccount"} <= kinds


def test_the_file_is_generated_from_the_current_chart() -> None:
    assert DEST.read_text() == render(project_version()), (
        "example/controller-registration.yaml is stale: run `make controller-registration`"
    )

"""The admission chart renders a webhook configuration pointing at the path the server serves, and
arguments the console script accepts."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from controller.admission.main import build_parser
from controller.admission.server import VALIDATE_PATH
from hack.localenv.kube import REPO_ROOT, find_helm

CHART = REPO_ROOT / "charts" / "gardener-extension-admission-ontap"

pytestmark = pytest.mark.integration


def test_chart_renders_the_webhook_and_a_command_line_the_server_accepts(tmp_path: Path) -> None:
    values = tmp_path / "values.yaml"
    values.write_text(
        yaml.safe_dump({"webhookConfig": {"tls": {"crt": "CRT", "key": "KEY"}, "caBundle": "CA PEM"}})
    )
    rendered = subprocess.run(
        [str(find_helm()), "template", "adm", str(CHART), "-n", "garden", "-f", str(values)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    docs = {d["kind"]: d for d in yaml.safe_load_all(rendered) if d}
    (webhook,) = docs["ValidatingWebhookConfiguration"]["webhooks"]
    assert webhook["clientConfig"]["service"]["path"] == VALIDATE_PATH
    assert webhook["admissionReviewVersions"] == ["v1"] and webhook["failurePolicy"] == "Fail"
    assert webhook["rules"][0]["resources"] == ["shoots"]
    (container,) = docs["Deployment"]["spec"]["template"]["spec"]["containers"]
    assert container["command"] == ["ontap-admission"]
    args = build_parser().parse_args(container["args"])
    assert args.port == 9443 and args.extension_type == "ontap"
    assert docs["Secret"]["type"] == "kubernetes.io/tls"


def test_chart_refuses_to_render_without_a_certificate() -> None:
    result = subprocess.run(
        [str(find_helm()), "template", "adm", str(CHART), "-n", "garden"], capture_output=True, text=True
    )
    assert result.returncode != 0 and "is required" in result.stderr, result.stderr

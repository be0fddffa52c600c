"""The chart with the shoot webhook enabled: a Service the shoots' kube-apiservers may reach, the TLS files
mounted, and a controller config the controller accepts (images from the chart's image vector)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from controller.config import config_from_mapping
from hack.localenv.kube import REPO_ROOT, find_helm
from tests.shoot_webhook.support import webhook_tls

CHART = REPO_ROOT / "charts" / "gardener-extension-ontap"


def _render(tmp_path: Path, **values: Any) -> list[dict[str, Any]]:
    file = tmp_path / "values.yaml"
    base = {"ontap": {"clusters": [{"name": "a", "endpoint": "https://a.example", "credentialsSecret": "s"}]}}
    file.write_text(yaml.safe_dump({**base, **values}))
    rendered = subprocess.run(
        [str(find_helm()), "template", "ext", str(CHART), "-n", "extension-ontap", "-f", str(file)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [d for d in yaml.safe_load_all(rendered) if d]


def _config(docs: list[dict[str, Any]]) -> dict[str, Any]:
    config_map = next(d for d in docs if d["metadata"]["name"] == "gardener-extension-ontap-config")
    config = yaml.safe_load(config_map["data"]["config.yaml"])
    assert isinstance(config, dict)
    return config


@pytest.mark.integration
def test_enabled_webhook_gets_service_port_tls_and_config(tmp_path: Path) -> None:
    docs = _render(tmp_path, shootWebhook={"enabled": True, "tlsSecret": "webhook-tls"})
    service = next(
        d for d in docs if d["kind"] == "Service" and d["metadata"]["name"] == "gardener-extension-ontap"
    )
    assert service["spec"]["ports"] == [
        {"name": "webhook", "port": 443, "targetPort": "webhook", "protocol": "TCP"}
    ]
    annotations = service["metadata"]["annotations"]
    assert annotations["networking.resources.gardener.cloud/from-all-webhook-targets-allowed-ports"] == (
        '[{"protocol":"TCP","port":10250}]'
    )
    assert (
        annotations["networking.resources.gardener.cloud/pod-label-selector-namespace-alias"] == "extensions"
    )
    deployment = next(d for d in docs if d["kind"] == "Deployment")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert {"name": "webhook", "containerPort": 10250, "protocol": "TCP"} in container["ports"]
    volume = next(v for v in deployment["spec"]["template"]["spec"]["volumes"] if v["name"] == "webhook-tls")
    assert volume["secret"]["secretName"] == "webhook-tls"

    config = _config(docs)
    webhook = config["shootWebhook"]
    assert webhook["url"] == "https://gardener-extension-ontap.extension-ontap:443"
    assert webhook["port"] == 10250
    # The mounted files exist only in the pod: point the rendered config at local ones to validate it.
    tls = webhook_tls(tmp_path)
    webhook.update(certFile=str(tls.cert_file), keyFile=str(tls.key_file), caFile=str(tls.ca_file))
    for cluster in config["ontapClusters"]:
        for key in ("usernameFile", "passwordFile"):
            local = tmp_path / key
            local.write_text("x\n")
            cluster[key] = str(local)
    loaded = config_from_mapping(config)
    image = loaded.image("nvme-tcp-init")
    assert image is not None and image.reference == "docker.io/library/busybox:1.36"


@pytest.mark.integration
def test_webhook_is_off_by_default_and_needs_a_tls_secret(tmp_path: Path) -> None:
    docs = _render(tmp_path)
    assert "shootWebhook" not in _config(docs)
    assert not [
        d for d in docs if d["kind"] == "Service" and d["metadata"]["name"] == "gardener-extension-ontap"
    ]
    with pytest.raises(subprocess.CalledProcessError) as failed:
        _render(tmp_path, shootWebhook={"enabled": True})
    assert "shootWebhook.tlsSecret" in failed.value.stderr

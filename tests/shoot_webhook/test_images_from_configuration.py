"""Images come from the controller configuration (an image vector), never from the code."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from controller.config import ConfigError, config_from_mapping
from controller.shoot_webhook.server import shoot_webhook_server
from tests.shoot_webhook.support import webhook_tls


def _config(tmp_path: Path, images: list[dict[str, Any]] | None) -> dict[str, Any]:
    tls = webhook_tls(tmp_path)
    data: dict[str, Any] = {
        "ontapClusters": [
            {"name": "c1", "endpoint": "https://ontap.example", "username": "u", "password": "p"}
        ],
        "shootWebhook": {
            "certFile": str(tls.cert_file),
            "keyFile": str(tls.key_file),
            "caFile": str(tls.ca_file),
            "url": "https://gardener-extension-ontap.extension-ontap:443",
        },
    }
    if images is not None:
        data["images"] = images
    return data


@pytest.mark.parametrize("images", [None, [], [{"name": "other", "repository": "r"}]])
def test_a_webhook_without_its_image_is_a_configuration_error_naming_the_key(
    tmp_path: Path, images: list[dict[str, Any]] | None
) -> None:
    with pytest.raises(ConfigError, match=r"images: no entry named 'nvme-tcp-init'.*shootWebhook"):
        config_from_mapping(_config(tmp_path, images))


@pytest.mark.parametrize(
    ("entry", "reference"),
    [
        ({"repository": "registry.a/busybox", "tag": "1.37.0"}, "registry.a/busybox:1.37.0"),
        (
            {"repository": "mirror.b/tools/busybox", "tag": "sha256:" + "a" * 64},
            "mirror.b/tools/busybox@sha256:" + "a" * 64,
        ),
        ({"repository": "mirror.c/busybox"}, "mirror.c/busybox"),
    ],
)
def test_the_init_container_image_is_the_configured_one(
    tmp_path: Path, entry: dict[str, str], reference: str
) -> None:
    config = config_from_mapping(_config(tmp_path, [{"name": "nvme-tcp-init", **entry}]))
    server = shoot_webhook_server(config)
    assert server is not None and server.image == reference


def test_no_webhook_server_without_shoot_webhook_configuration(tmp_path: Path) -> None:
    data = _config(tmp_path, None)
    del data["shootWebhook"]
    assert shoot_webhook_server(config_from_mapping(data)) is None


def test_image_names_must_be_unique(tmp_path: Path) -> None:
    twice = [{"name": "nvme-tcp-init", "repository": "a"}, {"name": "nvme-tcp-init", "repository": "b"}]
    with pytest.raises(ConfigError, match="images: names must be unique"):
        config_from_mapping(_config(tmp_path, twice))


IMAGE_LITERAL = re.compile(r"[\"'](?:[a-z0-9.-]+/)*[a-z0-9-]+:(?:v?[0-9][A-Za-z0-9_.-]*|latest)[\"']")


def test_the_image_pattern_finds_what_the_go_extension_wrote() -> None:
    assert IMAGE_LITERAL.search('Image: "busybox:1.36",')
    assert IMAGE_LITERAL.search("image = 'registry.example/library/busybox:latest'")
    assert not IMAGE_LITERAL.search('"node.csi.trident.netapp.io"')


def test_no_image_reference_is_written_in_the_code() -> None:
    # The Go extension hard-coded busybox:1.36 in its mutator; ours takes every image from configuration.
    root = Path(__file__).resolve().parents[2] / "controller"
    found = {
        str(source.relative_to(root)): match.group(0)
        for source in root.rglob("*.py")
        for match in IMAGE_LITERAL.finditer(source.read_text())
    }
    assert found == {}

"""The controller's OCI image built by `make image` (buildah, no Docker) runs both console scripts.

Slow (a Debian root filesystem on the first run, the wheels, a commit): marked `image`, run by
`make image-test`, not by `make test`.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.image, pytest.mark.timeout(1800)]


def _run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), check=check, capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def image() -> str:
    built = _run("bash", str(REPO / "hack" / "build-image.sh"))
    name = built.stdout.strip().splitlines()[-1]
    assert name.startswith("gardener-extension-ontap:"), built.stdout + built.stderr
    return name


@pytest.fixture
def container(image: str) -> Iterator[str]:
    assert shutil.which("buildah"), "buildah is installed by hack/install-image-tools.sh"
    name = _run("buildah", "from", image).stdout.strip()
    try:
        yield name
    finally:
        _run("buildah", "rm", name, check=False)


def _in_image(container: str, *command: str) -> subprocess.CompletedProcess[str]:
    return _run("buildah", "run", container, "--", *command, check=False)


def test_the_image_runs_both_console_scripts(container: str) -> None:
    controller = _in_image(container, "ontap-extension", "--help")
    assert controller.returncode == 0, controller.stderr
    assert "usage: ontap-extension" in controller.stdout and "--config" in controller.stdout
    fake = _in_image(container, "ontap-fake", "--help")
    assert fake.returncode == 0, fake.stderr
    assert "usage: ontap-fake" in fake.stdout and "--seed" in fake.stdout


def test_the_controller_in_the_image_loads_its_configuration(container: str) -> None:
    # The domain code is imported after the configuration is read: a bad file is exit code 2, named.
    missing = _in_image(container, "ontap-extension", "--config", "/etc/ontap-extension/config.yaml")
    assert missing.returncode == 2, missing.stdout + missing.stderr
    assert "/etc/ontap-extension/config.yaml" in missing.stderr
    imports = _in_image(container, "python", "-c", "import controller.reconciler, ontap.fake.cli")
    assert imports.returncode == 0, imports.stderr


def test_the_image_is_configured_like_the_dockerfile(image: str) -> None:
    inspected = json.loads(_run("buildah", "inspect", "--type", "image", image).stdout)
    config = inspected["OCIv1"]["config"]
    assert config["Entrypoint"] == ["ontap-extension"]
    assert config["User"] == "65532:65532"  # the chart's securityContext
    assert {"8080/tcp", "8081/tcp"} <= set(config["ExposedPorts"])
    assert any(env.startswith("PATH=/opt/venv/bin:") for env in config["Env"])
    dockerfile = (REPO / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["ontap-extension"]' in dockerfile and "USER 65532:65532" in dockerfile

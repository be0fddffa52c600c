"""`ontap-extension doctor` as a script sees it: the console entry point, `--output json`, exit codes."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
import yaml

from controller.main import main
from tests.doctor.conftest import run_pass
from tests.e2e.conftest import World

pytestmark = pytest.mark.integration


def write_config(world: World, path: Path) -> Path:
    fake = world.fake
    cluster = {
        "name": "fake",
        "endpoint": fake.url,
        "username": fake.admin_user,
        "password": fake.admin_password,
    }
    path.write_text(yaml.safe_dump({"kubeconfig": str(world.kube.kubeconfig), "ontapClusters": [cluster]}))
    return path


async def test_json_output_and_exit_codes(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(world, tmp_path / "config.yaml")
    shoot = world.shoot()
    await shoot.create()
    await run_pass(shoot)
    with world.fake.lock:
        (lif,) = [i for i in world.fake.state.interfaces.values() if i["name"] == "mgmt"]
        lif["enabled"] = False
    capsys.readouterr()
    code = await asyncio.to_thread(
        main, ["doctor", "--config", str(config), shoot.namespace, "--output", "json"]
    )
    out = json.loads(capsys.readouterr().out)
    assert code == 1 and out["health"] == 1
    (shoot_report,) = out["shoots"]
    assert shoot_report["namespace"] == shoot.namespace and shoot_report["exitCode"] == 1
    (change,) = shoot_report["changes"]
    assert change["step"] == "lifs" and change["method"] == "PATCH" and "mgmt" in change["object"]

    code = await asyncio.to_thread(main, ["doctor", "--config", str(config), "shoot--nope--x"])
    assert code == 2 and "does not exist" in capsys.readouterr().out
    code = await asyncio.to_thread(main, ["doctor", "--config", str(tmp_path / "missing.yaml"), "--all"])
    assert code == 2

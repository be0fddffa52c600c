"""The manifests' YAML: libyaml's emitter gives the very text of the pure-Python one, so content hashes do
not depend on whether PyYAML was built with libyaml."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from controller.config import StorageClassConfig
from controller.shoot_resources import managed_resource
from controller.shoot_resources.render import render_shoot_resources
from tests.shoot_resources.helpers import SAMPLE_BUNDLE, inputs
from tests.shoot_resources.test_firewall_and_node_prep_render import webhook


def pure_python(obj: object) -> str:
    return yaml.dump(
        obj, Dumper=yaml.SafeDumper, sort_keys=True, default_flow_style=False, allow_unicode=True
    )


@pytest.mark.parametrize("driver", ["ontap-san", "ontap-nas"])
def test_every_rendered_manifest_reads_the_same_from_either_emitter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, driver: str
) -> None:
    objects: list[object] = []
    serialize = managed_resource.serialize

    def kept(obj: dict[str, object]) -> str:
        objects.append(obj)
        return serialize(obj)

    monkeypatch.setattr(managed_resource, "serialize", kept)
    classes = [
        StorageClassConfig(name="ontap-gold", default=True),
        StorageClassConfig(name="ontap-crypt", luks_encryption=True),
    ]
    rendered = render_shoot_resources(
        inputs(storage_classes=classes, storageDriver=driver, password="p@ss: 'w\"ö\\rd' #1 - [x]"),
        SAMPLE_BUNDLE,
        technical_id="",
        shoot_webhook=webhook(tmp_path),
        firewall=True,
    )
    assert rendered.operator_error is None and rendered.node_prep_error is None
    assert len(objects) >= 8
    for obj in objects:
        assert yaml.dump(
            obj,
            Dumper=managed_resource.YAML_DUMPER,
            sort_keys=True,
            default_flow_style=False,
            allow_unicode=True,
        ) == pure_python(obj)


def test_libyaml_is_used_when_pyyaml_has_it() -> None:
    expected = yaml.CSafeDumper if yaml.__with_libyaml__ else yaml.SafeDumper
    assert managed_resource.YAML_DUMPER is expected

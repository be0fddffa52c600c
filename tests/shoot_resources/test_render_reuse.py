"""A steady pass reuses what the same inputs rendered before; any change of the inputs renders anew."""

from __future__ import annotations

import pytest

from controller.shoot_resources import render
from controller.shoot_resources.managed_resource import DesiredManagedResource
from controller.shoot_resources.render import forget_rendered, render_shoot_resources
from controller.shoot_resources.trident import TridentInputs
from tests.shoot_resources.helpers import inputs

SHOOT = "shoot--p1--reuse"


@pytest.fixture(autouse=True)
def _nothing_kept() -> None:
    render._FROM_INPUTS.clear()


def by_name(shoot: str, **changes: object) -> dict[str, object]:
    firewall = bool(changes.pop("firewall", True))
    rendered = render_shoot_resources(inputs(**changes), None, technical_id=shoot, firewall=firewall)  # type: ignore[arg-type]
    return {resource.name: resource for resource in rendered.managed_resources}


def test_equal_inputs_give_the_very_same_resources_without_rendering(monkeypatch: pytest.MonkeyPatch) -> None:
    first = by_name(SHOOT)
    calls: list[str] = []
    original = render.render_credentials

    def counted(rendered_from: TridentInputs) -> DesiredManagedResource:
        calls.append("credentials")
        return original(rendered_from)

    monkeypatch.setattr(render, "render_credentials", counted)
    again = by_name(SHOOT)
    assert calls == []
    assert all(again[name] is first[name] for name in first)


@pytest.mark.parametrize(
    "change",
    [{"password": "Other-pass.word+XyZ0123456789abc"}, {"management": "127.0.0.20"}, {"firewall": False}],
)
def test_any_change_of_the_inputs_renders_anew_and_keeps_only_the_latest(change: dict[str, object]) -> None:
    first = by_name(SHOOT)
    changed = by_name(SHOOT, **change)
    assert changed != first
    assert len(render._FROM_INPUTS) == 1
    assert by_name(SHOOT, **change) == changed


def test_shoots_are_kept_apart_and_a_deleted_one_is_forgotten() -> None:
    by_name(SHOOT)
    other = by_name("shoot--p1--other", password="Other-pass.word+XyZ0123456789abc")
    assert by_name(SHOOT) != other
    forget_rendered(SHOOT)
    assert list(render._FROM_INPUTS) == ["shoot--p1--other"]


def test_without_a_technical_id_nothing_is_kept() -> None:
    by_name("")
    assert not render._FROM_INPUTS

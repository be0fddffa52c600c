"""The order of the steps: it reads like the dependency graph of a shoot's storage."""

from __future__ import annotations

from typing import cast

from controller.steps.account import AccountStep
from controller.steps.base import Step
from controller.steps.lifs import LifsStep
from controller.steps.placement import PlacementStep
from controller.steps.seed_secret import SeedSecretStep
from controller.steps.svm import SvmStep


def shoot_resources_step() -> Step | None:
    """The shoot-resources step (Trident via ManagedResources), when that module is installed."""
    try:
        from controller.steps.shoot_resources import ShootResourcesStep
    except ImportError:
        return None
    return cast(Step, ShootResourcesStep())


def reconcile_steps() -> list[Step]:
    """placement -> SVM -> LIFs -> account -> seed secret -> shoot resources."""
    steps: list[Step] = [PlacementStep(), SvmStep(), LifsStep(), AccountStep(), SeedSecretStep()]
    shoot = shoot_resources_step()
    if shoot is not None:
        steps.append(shoot)
    return steps


def deletion_steps() -> list[Step]:
    """Shoot resources first (independent of ONTAP), then the account before its secret, the SVM last."""
    steps: list[Step] = []
    shoot = shoot_resources_step()
    if shoot is not None:
        steps.append(shoot)
    steps.extend([PlacementStep(), AccountStep(), SeedSecretStep(), LifsStep(), SvmStep()])
    return steps

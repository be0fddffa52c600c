"""The order of the steps: it reads like the dependency graph of a shoot's storage."""

from __future__ import annotations

from controller.steps.account import AccountStep
from controller.steps.context import Step
from controller.steps.lifs import LifsStep
from controller.steps.placement import PlacementStep
from controller.steps.seed_secret import SeedSecretStep
from controller.steps.shoot_resources import ShootResourcesStep
from controller.steps.svm import SvmStep


def reconcile_steps() -> list[Step]:
    """placement -> SVM -> LIFs -> account -> seed secret -> shoot resources."""
    return [PlacementStep(), SvmStep(), LifsStep(), AccountStep(), SeedSecretStep(), ShootResourcesStep()]


def deletion_steps() -> list[Step]:
    """Shoot resources first (independent of ONTAP), then the account before its secret, the SVM last."""
    return [ShootResourcesStep(), PlacementStep(), AccountStep(), SeedSecretStep(), LifsStep(), SvmStep()]

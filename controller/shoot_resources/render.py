"""All ManagedResources of one shoot, rendered from its inputs (pure apart from reading the bundle file)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from controller.shoot_resources.managed_resource import DesiredManagedResource
from controller.shoot_resources.operator_bundle import OperatorBundleError, render_operator
from controller.shoot_resources.trident import TridentInputs, render_backend, render_credentials


@dataclass(frozen=True)
class RenderedShootResources:
    """The ManagedResources to deploy; without the operator one, `operator_error` or no file says why."""

    managed_resources: tuple[DesiredManagedResource, ...]
    operator_bundle_file: Path | None
    operator_error: OperatorBundleError | None = None

    @property
    def operator_configured(self) -> bool:
        return self.operator_bundle_file is not None


def render_shoot_resources(
    inputs: TridentInputs, operator_bundle_file: Path | None
) -> RenderedShootResources:
    """Credentials and backend always; the operator bundle when configured and readable."""
    resources = [render_credentials(inputs), render_backend(inputs)]
    error = None
    if operator_bundle_file is not None:
        try:
            resources.append(render_operator(operator_bundle_file))
        except OperatorBundleError as exc:
            error = exc
    return RenderedShootResources(tuple(resources), operator_bundle_file, error)

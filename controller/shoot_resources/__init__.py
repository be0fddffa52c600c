"""What this extension deploys into a shoot: Trident's credentials, backend and StorageClasses (and optionally
the Trident operator), carried by ManagedResources in the shoot's seed namespace. See docs/shoot-resources.md.
"""

from controller.shoot_resources.managed_resource import DesiredManagedResource
from controller.shoot_resources.render import RenderedShootResources, render_shoot_resources
from controller.shoot_resources.trident import TridentInputs, trident_inputs

__all__ = [
    "DesiredManagedResource",
    "RenderedShootResources",
    "TridentInputs",
    "render_shoot_resources",
    "trident_inputs",
]

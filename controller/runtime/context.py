"""What the runtime hands to the reconciler factory."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from controller.config import ControllerConfig
    from controller.kube.client import KubeRequestCounter
    from controller.runtime.cache import ObjectCache
    from controller.runtime.workqueue import WorkQueue
    from ontap.client import OntapClients


@dataclass
class RuntimeContext:
    """Shared, long-lived collaborators of one controller process."""

    config: ControllerConfig
    api_client: Any
    cache: ObjectCache
    queue: WorkQueue
    ontap: OntapClients
    counter: KubeRequestCounter
    shoot_access: Any = None  # controller.shoot_access.access.ShootAccess, made on first use

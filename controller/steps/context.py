"""Everything a step needs for one pass over one shoot."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from kubernetes_asyncio.client.exceptions import ApiException

from controller.errorcodes import api_exception_codes, describe_ontap_error, ontap_error_codes
from controller.steps.base import PassState, StepError, StepOutcome
from ontap.errors import OntapError

if TYPE_CHECKING:
    from controller.config import ControllerConfig
    from controller.provider_config import ProviderConfig
    from controller.shoot import ShootInfo
    from ontap.client import OntapClient, OntapClients

ROTATE_ANNOTATION = "ontap.extensions.gardener.cloud/rotate-credentials"


class EventSink(Protocol):
    """Where steps report what they changed (Kubernetes Events on the Extension)."""

    async def normal(self, reason: str, message: str) -> None: ...

    async def warning(self, reason: str, message: str) -> None: ...


@dataclass
class StepContext:
    """One pass over one shoot. `state` carries this pass's observations from step to step, never beliefs."""

    extension: dict[str, Any]
    shoot: ShootInfo
    provider_config: ProviderConfig | None
    config: ControllerConfig
    ontap: OntapClients
    api_client: Any
    events: EventSink
    log: Any
    state: PassState = field(default_factory=PassState)
    cache: Any = None

    @property
    def namespace(self) -> str:
        """The seed namespace of the shoot (== the Extension's namespace)."""
        return str(self.extension.get("metadata", {}).get("namespace") or self.shoot.technical_id)

    @property
    def extension_name(self) -> str:
        return str(self.extension.get("metadata", {}).get("name") or "")

    @property
    def annotations(self) -> dict[str, str]:
        return dict(self.extension.get("metadata", {}).get("annotations") or {})

    @property
    def provider_status(self) -> dict[str, Any]:
        return dict((self.extension.get("status") or {}).get("providerStatus") or {})

    @property
    def saved_state(self) -> dict[str, Any]:
        return dict((self.extension.get("status") or {}).get("state") or {})

    @property
    def rotation_requested(self) -> bool:
        return self.annotations.get(ROTATE_ANNOTATION, "").lower() == "true"

    def client(self) -> OntapClient:
        """The ONTAP client of the cluster placement observed for this pass."""
        cluster = self.state.cluster
        if cluster is None:
            raise LookupError("no ONTAP cluster was placed in this pass")
        return self.ontap[cluster]

    def bind_log(self, **values: Any) -> Any:
        return self.log.bind(**values)


def step_error_from_ontap(
    step: str, condition_type: str, exc: OntapError, *, object_ref: str, doing: str
) -> StepError:
    """A `StepError` naming the object, the ONTAP API and ONTAP's own error for a failed ONTAP call."""
    detail = describe_ontap_error(exc)
    return StepError(
        step,
        condition_type,
        reason=f"Ontap{''.join(part.title() for part in exc.kind.split('-'))}",
        message=f"{object_ref}: {doing} failed: {detail}",
        codes=ontap_error_codes(exc),
        object_ref=object_ref,
        api=exc.operation,
    )


def step_error_from_kube(
    step: str,
    condition_type: str,
    exc: ApiException,
    *,
    reason: str,
    object_ref: str,
    api: str,
    doing: str,
) -> StepError:
    """A `StepError` naming the object and the Kubernetes API for a refused request (never its body)."""
    return StepError(
        step,
        condition_type,
        reason=reason,
        message=f"{object_ref}: {doing} failed: HTTP {exc.status} {exc.reason}",
        codes=api_exception_codes(exc),
        object_ref=object_ref,
        api=api,
    )


class Step(Protocol):
    """One dependency of a shoot. `reconcile` and `delete` must be idempotent."""

    name: str
    condition_type: str

    async def reconcile(self, ctx: StepContext) -> StepOutcome: ...

    async def delete(self, ctx: StepContext) -> StepOutcome: ...

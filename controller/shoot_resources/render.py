"""All ManagedResources of one shoot, rendered from its inputs (pure but for reading bundle and CA files)."""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from controller.config import ShootWebhookConfig
from controller.shoot_resources import names
from controller.shoot_resources.firewall import render_firewall
from controller.shoot_resources.managed_resource import DesiredManagedResource
from controller.shoot_resources.node_prep import NodePrepError, node_prep_decision, render_node_prep
from controller.shoot_resources.operator_bundle import OperatorBundleError, render_operator
from controller.shoot_resources.trident import TridentInputs, render_backend, render_credentials

_PureParts = tuple[DesiredManagedResource, DesiredManagedResource, DesiredManagedResource | None]


@dataclass(frozen=True)
class RenderedShootResources:
    """The ManagedResources to deploy; without the operator one, `operator_error` or no file says why.

    `retired`: ManagedResources of ours this shoot no longer needs (firewall policy, node preparation);
    they are deleted. `node_prep` and `firewall` say in words what was decided.
    """

    managed_resources: tuple[DesiredManagedResource, ...]
    operator_bundle_file: Path | None
    operator_error: OperatorBundleError | None = None
    retired: tuple[str, ...] = ()
    node_prep: str = ""
    node_prep_error: NodePrepError | None = None
    firewall: str = ""

    @property
    def operator_configured(self) -> bool:
        return self.operator_bundle_file is not None


# What each shoot's inputs alone give (credentials, backend, firewall policy), by technical id: a
# steady pass has the inputs of the pass before and takes these as they are instead of building and
# serializing them again. Only a digest of a shoot's latest inputs is kept, with what they gave, for a
# bounded number of shoots; `forget_rendered` drops a deleted shoot's.
_FROM_INPUTS: OrderedDict[str, tuple[bytes, _PureParts]] = OrderedDict()
_FROM_INPUTS_LIMIT = 20_000


def _from_inputs(inputs: TridentInputs, technical_id: str, firewall: bool) -> _PureParts:
    kept = _FROM_INPUTS.get(technical_id) if technical_id else None
    digest = _digest(inputs, firewall) if technical_id else b""
    if kept is not None and kept[0] == digest:
        _FROM_INPUTS.move_to_end(technical_id)
        return kept[1]
    policy = render_firewall(inputs) if firewall else None
    parts = (render_credentials(inputs), render_backend(inputs), policy)
    if technical_id:
        _FROM_INPUTS[technical_id] = (digest, parts)
        _FROM_INPUTS.move_to_end(technical_id)
        while len(_FROM_INPUTS) > _FROM_INPUTS_LIMIT:
            _FROM_INPUTS.popitem(last=False)
    return parts


def _digest(inputs: TridentInputs, firewall: bool) -> bytes:
    # The inputs themselves take several times the room of what they render: only a digest is kept.
    # `repr` names every field (the password masked), so the password is added on its own.
    text = f"{inputs!r}\0{inputs.password.get_secret_value()}\0{firewall}"
    return hashlib.sha256(text.encode("utf-8")).digest()


def forget_rendered(technical_id: str) -> None:
    """Drop what was kept of a shoot's rendering (its Extension is gone)."""
    _FROM_INPUTS.pop(technical_id, None)


def render_shoot_resources(
    inputs: TridentInputs,
    operator_bundle_file: Path | None,
    *,
    technical_id: str = "",
    shoot_webhook: ShootWebhookConfig | None = None,
    firewall: bool = False,
) -> RenderedShootResources:
    """Credentials and backend always; the operator bundle when configured and readable; the node
    preparation webhook for NVMe/TCP when needed and served; the firewall policy when the shoot has one."""
    credentials, backend, firewall_resource = _from_inputs(inputs, technical_id, firewall)
    resources = [credentials, backend]
    retired: list[str] = []
    error = None
    if operator_bundle_file is not None:
        try:
            resources.append(render_operator(operator_bundle_file))
        except OperatorBundleError as exc:
            error = exc
    decision = node_prep_decision(inputs, shoot_webhook)
    node_prep_error = None
    if decision.wanted and shoot_webhook is not None:
        try:
            resources.append(render_node_prep(shoot_webhook, technical_id, inputs.namespace))
        except NodePrepError as exc:
            # Left as it is: a CA that cannot be read must not remove the shoot's webhook.
            node_prep_error = exc
    else:
        retired.append(names.SHOOT_WEBHOOKS_MR)
    if firewall_resource is not None:
        resources.append(firewall_resource)
        firewall_note = "the shoot runs behind metal-stack's firewall"
    else:
        retired.append(names.FIREWALL_MR)
        firewall_note = "none (the shoot does not run behind metal-stack's firewall)"
    return RenderedShootResources(
        tuple(resources),
        operator_bundle_file,
        error,
        retired=tuple(retired),
        node_prep=decision.reason,
        node_prep_error=node_prep_error,
        firewall=firewall_note,
    )

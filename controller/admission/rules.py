"""Which Shoots the `ontap` admission refuses (pure): the same parser as the controller, and the changes
the controller cannot carry out.

Gardener's Shoot (pkg/apis/core/v1beta1/types_shoot.go `ShootSpec.Extensions`, types.go `Extension`):
`spec.extensions[]` has `type`, `providerConfig` and `disabled`.

Refused changes, each because of what the controller does (docs/admission.md):
- an address of an existing LIF (`svmIpaddresses.managementLif`, `svmIpaddresses.dataLifs[i]`): the LIFs
  step never moves a LIF, it reports the drift and leaves it (controller/steps/lifs.py), so the shoot
  would stay in Error and Trident keep using the old address;
- removing a data LIF: the controller never deletes a LIF of a live SVM, the old one would stay;
- `netmaskBits`: existing LIFs are never re-created, only missing ones take the new prefix;
- the project annotation (the SVM binding): the SVM is named after the project, so a new project means a
  new SVM, and the account, secret and Trident backend of the old one would be left behind.
Adding data LIFs, and disabling or removing the extension, are allowed (the controller creates missing
LIFs and deletes on removal).
"""

from __future__ import annotations

from typing import Any

from controller.provider_config import ProviderConfig, ProviderConfigError, parse_provider_config

DEFAULT_PROJECT_ANNOTATION = "cluster.metal-stack.io/project"


def ontap_extension(shoot: dict[str, Any], extension_type: str) -> tuple[int, dict[str, Any]] | None:
    """The enabled extension of `extension_type` in the Shoot and its index, or None."""
    for index, extension in enumerate((shoot.get("spec") or {}).get("extensions") or []):
        if isinstance(extension, dict) and extension.get("type") == extension_type:
            if extension.get("disabled") is True:
                return None
            return index, extension
    return None


def _annotation(shoot: dict[str, Any], key: str) -> str | None:
    value = ((shoot.get("metadata") or {}).get("annotations") or {}).get(key)
    return None if value is None else str(value)


def _changed_addresses(old: ProviderConfig, new: ProviderConfig, prefix: str) -> list[str]:
    problems = []
    if new.management_lif != old.management_lif:
        problems.append(
            f"{prefix}.svmIpaddresses.managementLif: changing the address of the management LIF "
            f"({old.management_lif} -> {new.management_lif}) is not supported: "
            "the extension never moves a LIF"
        )
    for index, address in enumerate(old.data_lifs):
        path = f"{prefix}.svmIpaddresses.dataLifs[{index}]"
        if index >= len(new.data_lifs):
            problems.append(
                f"{path}: removing the data LIF {address} is not supported: "
                "the extension never deletes a LIF of a live SVM"
            )
        elif new.data_lifs[index] != address:
            problems.append(
                f"{path}: changing the address of a data LIF ({address} -> {new.data_lifs[index]}) is not "
                "supported: the extension never moves a LIF"
            )
    if new.netmask_bits != old.netmask_bits:
        problems.append(
            f"{prefix}.netmaskBits: changing the prefix length ({old.netmask_bits} -> {new.netmask_bits}) is "
            "not supported: existing LIFs are never re-created"
        )
    return problems


def validate_shoot(
    shoot: dict[str, Any],
    old: dict[str, Any] | None = None,
    *,
    extension_type: str = "ontap",
    project_annotation: str = DEFAULT_PROJECT_ANNOTATION,
) -> list[str]:
    """The reasons to refuse `shoot` (an UPDATE when `old` is given); empty when it is admitted."""
    found = ontap_extension(shoot, extension_type)
    if found is None:
        return []
    index, extension = found
    prefix = f"spec.extensions[{index}].providerConfig"
    try:
        config = parse_provider_config(extension.get("providerConfig"))
    except ProviderConfigError as exc:
        return [f"spec.extensions[{index}] ({extension_type}): {exc.message}"]
    problems: list[str] = []
    if _annotation(shoot, project_annotation) is None:
        problems.append(
            f"metadata.annotations[{project_annotation}]: missing; the {extension_type} extension needs the "
            "project to name the project's SVM"
        )
    if old is None:
        return problems
    before = ontap_extension(old, extension_type)
    if before is None:
        return problems
    old_project = _annotation(old, project_annotation)
    new_project = _annotation(shoot, project_annotation)
    if old_project is not None and new_project is not None and new_project != old_project:
        problems.append(
            f"metadata.annotations[{project_annotation}]: changing the project "
            f"({old_project} -> {new_project}) is not supported while the {extension_type} extension "
            "is enabled: it binds the shoot to the project's SVM"
        )
    try:
        old_config = parse_provider_config(before[1].get("providerConfig"))
    except ProviderConfigError:
        return problems  # the old one never worked: any valid configuration is a fix
    problems.extend(_changed_addresses(old_config, config, prefix))
    return problems

"""metal-stack's firewall in front of the shoot: a ClusterwideNetworkPolicy opening egress to the SVM's LIFs.

Shape from metal-stack/firewall-controller api/v1/clusterwidenetworkpolicy_types.go (`metal-stack.io/v1`,
namespace `firewall`, `spec.egress[].to[].cidr` and `ports[]{protocol, port}`); the policy name and the
management rule (TCP 443) from the Go extension (metal-stack/gardener-extension-ontap
charts/trident/resources/cwnps/cwnp.yaml.tpl). Data LIF ports:

- NVMe/TCP 4420: Trident connects with `nvme connect -t tcp ... -s 4420`
  (NetApp/trident utils/nvme/nvme_linux.go);
- iSCSI 3260: "ONTAP only supports port 3260" (NetApp/trident
  storage_drivers/ontap/api/rest/models/iscsi_connection.go), and Trident appends :3260 to portals
  (utils/iscsi/iscsi.go `formatPortal`);
- FC and NAS: no data-LIF rule (FC is not IP; NFS ports are not modelled here).

Whether the shoot runs behind that firewall is decided from the shoot (its `spec.provider.type` is `metal`,
gardener-extension-provider-metal pkg/metal/predicate.go) or forced by the configuration, never from the seed.
"""

from __future__ import annotations

from typing import Any

from controller.shoot_resources import names
from controller.shoot_resources.managed_resource import DesiredManagedResource, desired_managed_resource
from controller.shoot_resources.trident import TridentInputs

METAL_PROVIDER_TYPE = "metal"
MANAGEMENT_PORT = 443
DATA_PORTS = {"nvme": 4420, "iscsi": 3260}


def firewall_wanted(policy: str, provider_type: str) -> bool:
    """`always`/`never` as configured; `auto`: when the shoot's provider is metal-stack's (`metal`)."""
    if policy == "always":
        return True
    if policy == "never":
        return False
    return provider_type == METAL_PROVIDER_TYPE


def _tcp(port: int) -> dict[str, Any]:
    return {"protocol": "TCP", "port": port}


def cluster_wide_network_policy(inputs: TridentInputs) -> dict[str, Any]:
    """Egress to the management LIF on 443 and, for IP SAN, to every data LIF on its protocol's port."""
    egress: list[dict[str, Any]] = [
        {"to": [{"cidr": f"{inputs.management_lif}/32"}], "ports": [_tcp(MANAGEMENT_PORT)]}
    ]
    data_port = DATA_PORTS.get(inputs.san_protocol or "")
    if data_port is not None and inputs.data_lifs:
        egress.append({"to": [{"cidr": f"{lif}/32"} for lif in inputs.data_lifs], "ports": [_tcp(data_port)]})
    return {
        "apiVersion": names.FIREWALL_API_VERSION,
        "kind": "ClusterwideNetworkPolicy",
        "metadata": {"name": names.FIREWALL_POLICY, "namespace": names.FIREWALL_NAMESPACE},
        "spec": {
            "description": f"Trident to the ONTAP SVM {inputs.svm_name}",
            "egress": egress,
        },
    }


def render_firewall(inputs: TridentInputs) -> DesiredManagedResource:
    """MR `extension-ontap-firewall`: the ClusterwideNetworkPolicy."""
    policy = cluster_wide_network_policy(inputs)
    data_port = DATA_PORTS.get(inputs.san_protocol or "")
    opened = f"{inputs.management_lif}:{MANAGEMENT_PORT}"
    if data_port is not None:
        opened += f", data LIFs {', '.join(str(lif) for lif in inputs.data_lifs)} on {data_port}"
    return desired_managed_resource(
        names.FIREWALL_MR,
        [policy],
        f"ClusterwideNetworkPolicy {names.FIREWALL_NAMESPACE}/{names.FIREWALL_POLICY} ({opened})",
    )

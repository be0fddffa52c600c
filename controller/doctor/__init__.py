"""`ontap-extension doctor`: what is wrong with a shoot, and what the next pass would change (read-only).

The doctor reads what a pass reads (the Extension and its status, the Cluster, the seed secret, the
ManagedResources, ONTAP through the same observation, including the login as the shoot's account at the
SVM's management LIF) and asks the steps' own pure decisions what they would do. Its Kubernetes client and
ONTAP clients refuse every write (`controller.doctor.readonly`), so a bug here cannot change anything.
"""

from controller.doctor.model import Health, ShootReport

__all__ = ["Health", "ShootReport"]

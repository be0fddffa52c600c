"""The extension's shoot access: its Secret in the seed namespace and the ServiceAccount in the shoot
(Gardener's naming, `pkg/utils/gardener/shoot.go` NewShootAccessSecret: `shoot-access-<name>`, the
ServiceAccount `<name>` in `kube-system` for the shoot class)."""

from __future__ import annotations

SHOOT_ACCESS_PREFIX = "shoot-access-"
SERVICE_ACCOUNT = "extension-ontap"
SERVICE_ACCOUNT_NAMESPACE = "kube-system"
ACCESS_SECRET = f"{SHOOT_ACCESS_PREFIX}{SERVICE_ACCOUNT}"

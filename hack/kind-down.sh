#!/usr/bin/env bash
# Deletes the kind cluster created by hack/kind-up.sh (and everything in it).
#
#   KIND_CLUSTER_NAME  cluster name (default ontap-extension)
set -euo pipefail
cluster=${KIND_CLUSTER_NAME:-ontap-extension}
command -v kind >/dev/null || { echo "kind-down: 'kind' is not on PATH" >&2; exit 1; }
if kind get clusters 2>/dev/null | grep -qx "$cluster"; then
  kind delete cluster --name "$cluster"
else
  echo "kind-down: no kind cluster named $cluster" >&2
fi

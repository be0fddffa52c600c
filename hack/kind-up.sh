#!/usr/bin/env bash
# Runs the extension in a kind cluster: Gardener's CRDs, the controller image built from the
# Dockerfile, the fake ONTAP as a Deployment, the Helm chart, and a sample shoot.
# Needs docker, kind, kubectl and helm on PATH.
#
#   KIND_CLUSTER_NAME  cluster name (default ontap-extension)
#   IMAGE              image to build and load (default gardener-extension-ontap:dev)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
cluster=${KIND_CLUSTER_NAME:-ontap-extension}
image=${IMAGE:-gardener-extension-ontap:dev}
namespace=extension-ontap
kubectl_ctx=(kubectl --context "kind-$cluster")

log() { echo "kind-up: $*" >&2; }
for tool in docker kind kubectl helm; do
  command -v "$tool" >/dev/null || { log "'$tool' is not on PATH"; exit 1; }
done

if kind get clusters 2>/dev/null | grep -qx "$cluster"; then
  log "cluster $cluster exists, reusing it"
else
  log "creating kind cluster $cluster"
  kind create cluster --name "$cluster" --wait 120s
fi

log "installing Gardener CRDs"
"${kubectl_ctx[@]}" apply -f "$repo/hack/crds/"
"${kubectl_ctx[@]}" wait --for condition=Established --timeout=60s \
  crd/extensions.extensions.gardener.cloud \
  crd/clusters.extensions.gardener.cloud \
  crd/managedresources.resources.gardener.cloud
"${kubectl_ctx[@]}" apply -f "$repo/hack/kind/priorityclass.yaml"

log "building $image"
docker build -t "$image" "$repo"
kind load docker-image "$image" --name "$cluster"

log "deploying the fake ONTAP"
sed "s|image: gardener-extension-ontap:dev|image: $image|" "$repo/hack/kind/fake-ontap.yaml" \
  | "${kubectl_ctx[@]}" apply -f -
"${kubectl_ctx[@]}" -n ontap-fake rollout status deployment/ontap-fake --timeout=120s

log "deploying the extension chart into $namespace"
"${kubectl_ctx[@]}" create namespace "$namespace" --dry-run=client -o yaml | "${kubectl_ctx[@]}" apply -f -
# The fake's documented default admin account; a real cluster's credentials come from your secret store.
"${kubectl_ctx[@]}" -n "$namespace" create secret generic ontap-fake-credentials \
  --from-literal=username=admin --from-literal=password=fake-admin-password \
  --dry-run=client -o yaml | "${kubectl_ctx[@]}" apply -f -
helm upgrade --install gardener-extension-ontap "$repo/charts/gardener-extension-ontap" \
  --kube-context "kind-$cluster" --namespace "$namespace" \
  --values "$repo/hack/kind/values.yaml" \
  --set "image.repository=${image%:*}" --set "image.tag=${image##*:}" \
  --wait --timeout 180s

log "applying the sample shoot"
"${kubectl_ctx[@]}" apply -f "$repo/hack/kind/sample-shoot.yaml"
log "done. Watch it with:"
log "  kubectl --context kind-$cluster -n shoot--demo--s1 get extensions -w"
log "  kubectl --context kind-$cluster -n $namespace logs deploy/gardener-extension-ontap -f"

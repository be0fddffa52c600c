#!/usr/bin/env bash
# Builds kube-apiserver and etcd from their Go modules (through the Go module proxy) into a cache
# outside the repository, once per machine and version. Prints the binary directory on stdout.
# With the argument `helm`, builds helm (for rendering the chart in tests) the same way and prints
# the path of the helm binary instead.
#
#   KUBE_BIN_CACHE  cache root (default: ${XDG_CACHE_HOME:-~/.cache}/ontap-extension/kube-bin)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
source "$here/versions.env"

cache_root=${KUBE_BIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ontap-extension/kube-bin}
bin_dir="$cache_root/k8s-${KUBERNETES_VERSION}-etcd-${ETCD_VERSION}"

if [[ "${1:-}" == "helm" ]]; then
  helm_dir="$cache_root/helm-${HELM_VERSION}"
  if [[ ! -x "$helm_dir/helm" ]]; then
    command -v go >/dev/null || { echo "build-kube-binaries: 'go' is not on PATH" >&2; exit 1; }
    echo "build-kube-binaries: building helm $HELM_VERSION (first run on this machine)" >&2
    mkdir -p "$helm_dir"
    CGO_ENABLED=0 GOBIN="$helm_dir" go install -trimpath -ldflags "-s -w" \
      "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" >&2
  fi
  echo "$helm_dir/helm"
  exit 0
fi
if [[ -x "$bin_dir/kube-apiserver" && -x "$bin_dir/etcd" ]]; then
  echo "$bin_dir"
  exit 0
fi
command -v go >/dev/null || { echo "build-kube-binaries: 'go' is not on PATH" >&2; exit 1; }
mkdir -p "$bin_dir"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export GOFLAGS=-mod=mod CGO_ENABLED=0

log() { echo "build-kube-binaries: $*" >&2; }

# kube-apiserver: k8s.io/kubernetes is not meant to be required as a module; its staging
# modules are v0.0.0 + replace => ./staging in its own go.mod, so pin each to the matching v0.x.y.
if [[ ! -x "$bin_dir/kube-apiserver" ]]; then
  log "building kube-apiserver $KUBERNETES_VERSION (first run on this machine: several minutes)"
  staging_version="v0.${KUBERNETES_VERSION#v1.}"
  mkdir -p "$work/apiserver" && cd "$work/apiserver"
  k8s_mod=$(go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  go_line=$(grep -E '^go [0-9]' "$k8s_mod")
  {
    echo "module ontap-extension.local/kube-apiserver-build"
    echo "$go_line"
    echo "require k8s.io/kubernetes $KUBERNETES_VERSION"
    grep -E '=> \./staging/src/' "$k8s_mod" | awk -v v="$staging_version" '{print "replace " $1 " => " $1 " " v}'
  } > go.mod
  cat > tools.go <<'GO'
//go:build tools

package tools

import _ "k8s.io/kubernetes/cmd/kube-apiserver"
GO
  go mod tidy >&2
  # Stamp the version as Kubernetes' own build does, so /version and client skew checks are right.
  minor=${KUBERNETES_VERSION#v1.}; minor=${minor%%.*}
  version_pkg=k8s.io/component-base/version
  ldflags="-s -w -X $version_pkg.gitVersion=$KUBERNETES_VERSION -X $version_pkg.gitMajor=1"
  ldflags+=" -X $version_pkg.gitMinor=$minor -X $version_pkg.gitTreeState=clean"
  go build -trimpath -ldflags "$ldflags" -o "$bin_dir/kube-apiserver.tmp" k8s.io/kubernetes/cmd/kube-apiserver >&2
  mv "$bin_dir/kube-apiserver.tmp" "$bin_dir/kube-apiserver"
fi

if [[ ! -x "$bin_dir/etcd" ]]; then
  log "building etcd $ETCD_VERSION"
  mkdir -p "$work/etcd" && cd "$work/etcd"
  cat > go.mod <<MOD
module ontap-extension.local/etcd-build
go 1.24
require go.etcd.io/etcd/server/v3 $ETCD_VERSION
MOD
  cat > main.go <<'GO'
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
  go mod tidy >&2
  go build -trimpath -ldflags "-s -w" -o "$bin_dir/etcd.tmp" . >&2
  mv "$bin_dir/etcd.tmp" "$bin_dir/etcd"
fi
echo "$bin_dir"

#!/usr/bin/env bash
# Builds one pinned Go tool from its module (through the Go module proxy) into a cache outside the
# repository, once per machine and version, and prints the binary's path on stdout.
#
#   hack/build-go-tool.sh gardener-resource-manager   from github.com/gardener/gardener
#   hack/build-go-tool.sh promtool                    from github.com/prometheus/prometheus
#
#   KUBE_BIN_CACHE  cache root (default: ${XDG_CACHE_HOME:-~/.cache}/ontap-extension/kube-bin)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
source "$here/versions.env"
cache_root=${KUBE_BIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ontap-extension/kube-bin}
tool=${1:?usage: build-go-tool.sh gardener-resource-manager|promtool}

case "$tool" in
  gardener-resource-manager)
    module=github.com/gardener/gardener
    version=$GARDENER_VERSION
    package=github.com/gardener/gardener/cmd/gardener-resource-manager
    # Gardener's go.mod replaces its API module with ./pkg/apis; outside its tree that module is
    # required at the same release instead.
    extra_requires=("github.com/gardener/gardener/pkg/apis $GARDENER_VERSION")
    ;;
  promtool)
    module=github.com/prometheus/prometheus
    version=$PROMETHEUS_VERSION
    package=github.com/prometheus/prometheus/cmd/promtool
    extra_requires=()
    ;;
  *) echo "build-go-tool: unknown tool '$tool'" >&2; exit 2 ;;
esac

out_dir="$cache_root/$tool-$version"
if [[ -x "$out_dir/$tool" ]]; then
  echo "$out_dir/$tool"
  exit 0
fi
command -v go >/dev/null || { echo "build-go-tool: 'go' is not on PATH" >&2; exit 1; }
echo "build-go-tool: building $tool from $module@$version (first run on this machine)" >&2
mkdir -p "$out_dir"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export GOFLAGS=-mod=mod CGO_ENABLED=0
cd "$work"
mod_file=$(go mod download -json "$module@$version" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
go_line=$(grep -E '^go [0-9]' "$mod_file")
{
  echo "module ontap-extension.local/$tool-build"
  echo "$go_line"
  echo "require $module $version"
  for r in "${extra_requires[@]}"; do echo "require $r"; done
  # Carry the module's own replace and exclude lines that point at other modules (not at ./ paths).
  grep -E '^(replace|exclude) ' "$mod_file" | grep -v '=> \./' || true
} > go.mod
cat > tools.go <<GO
//go:build tools

package tools

import _ "$package"
GO
go mod tidy >&2
go build -trimpath -ldflags "-s -w" -o "$out_dir/$tool.tmp" "$package" >&2
mv "$out_dir/$tool.tmp" "$out_dir/$tool"
echo "$out_dir/$tool"

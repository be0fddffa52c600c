#!/usr/bin/env bash
# Makes sure Debian's buildah, runc (its OCI runtime, for `buildah run`) and debootstrap are installed
# (for `make image` and `make image-test`, without Docker).
# Installs them with apt-get when missing (needs root, as on the development machines).
set -euo pipefail
missing=()
command -v buildah >/dev/null || missing+=(buildah)
command -v debootstrap >/dev/null || missing+=(debootstrap)
command -v runc >/dev/null || missing+=(runc)
if ((${#missing[@]} == 0)); then
  exit 0
fi
command -v apt-get >/dev/null || {
  echo "install-image-tools: ${missing[*]} missing and apt-get not available; install them by hand" >&2
  exit 1
}
sudo=()
if [[ $(id -u) -ne 0 ]]; then
  sudo=(sudo)
fi
echo "install-image-tools: installing ${missing[*]} with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq >&2
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2

#!/usr/bin/env bash
# `make image`: builds the controller's OCI image without Docker, with Debian's buildah.
#
# The image holds what the Dockerfile's image holds (a Python 3.11 virtualenv in /opt/venv with the
# project and its dependencies, `ontap-extension` as entrypoint, user 65532, ports 8080/8081), on a
# minimal Debian root filesystem made by debootstrap instead of the python:3.11-slim base image:
#
#   1. the root filesystem (Debian $DEBIAN_SUITE, minbase + python3, python3-venv, ca-certificates)
#      is made once per machine and kept in the cache (IMAGE_CACHE), outside the repository;
#   2. the project's wheel and the wheels of its dependencies are built/fetched by pip on the host;
#   3. `buildah from scratch`, the root filesystem copied into the mounted container, a virtualenv
#      installed from those wheels only (no network inside), `buildah config`, `buildah commit`.
#
#   IMAGE            image name (default gardener-extension-ontap:<version from pyproject.toml>)
#   IMAGE_CACHE      cache root (default ${XDG_CACHE_HOME:-~/.cache}/ontap-extension/image)
#   DEBIAN_MIRROR    default http://deb.debian.org/debian
#   PYTHON           the host Python that builds the wheels (default .venv/bin/python, else python3)
#
# Prints the image name on stdout. Needs root (debootstrap, buildah mount); hack/install-image-tools.sh
# installs buildah, runc and debootstrap with apt-get when they are missing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
DEBIAN_SUITE=${DEBIAN_SUITE:-bookworm}
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
cache_root=${IMAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ontap-extension/image}
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$repo/pyproject.toml" | head -1)
image=${IMAGE:-gardener-extension-ontap:$version}
python=${PYTHON:-}
if [[ -z "$python" ]]; then
  if [[ -x "$repo/.venv/bin/python" ]]; then python="$repo/.venv/bin/python"; else python=python3; fi
fi
log() { echo "build-image: $*" >&2; }

bash "$here/install-image-tools.sh"

# 1. The Debian root filesystem, once per machine (a tarball, so a half-made one is never used).
rootfs_tar="$cache_root/debian-$DEBIAN_SUITE-python3-rootfs.tar"
if [[ ! -s "$rootfs_tar" ]]; then
  log "debootstrap $DEBIAN_SUITE from $DEBIAN_MIRROR (first run on this machine)"
  mkdir -p "$cache_root"
  staging=$(mktemp -d "$cache_root/rootfs.XXXXXX")
  debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
    "$DEBIAN_SUITE" "$staging/root" "$DEBIAN_MIRROR" >&2
  # What an image does not need: apt's lists and caches, documentation, logs.
  rm -rf "$staging/root/var/cache/apt/"*.bin "$staging/root/var/cache/apt/archives/"*.deb \
    "$staging/root/var/lib/apt/lists/"* "$staging/root/usr/share/doc/"* "$staging/root/usr/share/man/"* \
    "$staging/root/var/log/"*
  tar -C "$staging/root" --numeric-owner -cf "$staging/rootfs.tar" .
  mv "$staging/rootfs.tar" "$rootfs_tar"
  rm -rf "$staging"
fi

work=$(mktemp -d)
container=""
cleanup() {
  if [[ -n "$container" ]]; then
    buildah umount "$container" >/dev/null 2>&1 || true
    buildah rm "$container" >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# 2. The project's wheel and its dependencies' wheels, for the image's CPython 3.11 on glibc.
log "building the wheels with $python"
"$python" -m pip wheel --quiet --wheel-dir "$work/wheels" "$repo" >&2

# 3. The image.
container=$(buildah from scratch)
mount=$(buildah mount "$container")
tar -C "$mount" --numeric-owner -xf "$rootfs_tar"
cp -r "$work/wheels" "$mount/tmp/wheels"
# The virtualenv is made with the image's own Python, from the wheels only.
in_root=(env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 chroot "$mount")
"${in_root[@]}" /usr/bin/python3 -m venv /opt/venv
"${in_root[@]}" /opt/venv/bin/pip install --disable-pip-version-check --quiet --no-index --find-links /tmp/wheels \
  --no-compile gardener-extension-ontap >&2
rm -rf "$mount/tmp/wheels" "$mount/root/.cache"
buildah umount "$container" >/dev/null
buildah config \
  --entrypoint '["ontap-extension"]' \
  --cmd '' \
  --user 65532:65532 \
  --workingdir / \
  --env PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  --env PYTHONDONTWRITEBYTECODE=1 \
  --env PYTHONUNBUFFERED=1 \
  --port 8080/tcp --port 8081/tcp \
  --label org.opencontainers.image.title=gardener-extension-ontap \
  --label org.opencontainers.image.version="$version" \
  "$container"
buildah commit --quiet --rm "$container" "$image" >/dev/null
container=""
echo "$image"

#!/usr/bin/env bash
# Starts the local kube-apiserver + etcd in the background (state in .local/kube/) with Gardener's
# CRDs installed, and prints the kubeconfig to use. Stop it with hack/kube-down.sh.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-$repo/.venv/bin/python}
[[ -x "$python" ]] || python=python3
cd "$repo" && exec "$python" -m hack.localenv.kube up "$@"

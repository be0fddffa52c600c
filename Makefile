# Set-up: `make run` (local apiserver + fake ONTAP + controller + a sample shoot) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: venv test unit integration chaos lint typecheck run run-adopt fake kube-binaries kube-up kube-down bench bench-floor clean \
	image image-test controller-registration

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

kube-binaries:
	bash hack/build-kube-binaries.sh >/dev/null
	bash hack/build-kube-binaries.sh helm >/dev/null
	bash hack/build-go-tool.sh gardener-resource-manager >/dev/null
	bash hack/build-go-tool.sh promtool >/dev/null

test: venv kube-binaries lint typecheck
	$(PY) -m pytest -q

unit: venv
	$(PY) -m pytest -q -m 'not integration and not chaos and not image'

integration: venv kube-binaries
	$(PY) -m pytest -q -m integration

chaos: venv kube-binaries
	$(PY) -m pytest -q -m chaos -p no:randomly

lint: venv
	$(VENV)/bin/ruff check controller ontap tests hack
	$(VENV)/bin/ruff format --check controller ontap tests hack

typecheck: venv
	$(VENV)/bin/mypy

run: venv kube-binaries
	$(PY) hack/run_local.py

run-adopt: venv kube-binaries
	$(PY) hack/run_local.py --adopt

# make bench SHOOTS=10000 PROJECTS=1000 RESYNC=300: the seed-sized run (about 25 minutes).
SHOOTS ?= 1000
PROJECTS ?= 100
RESYNC ?= 60
bench: venv kube-binaries
	$(PY) hack/bench.py --shoots $(SHOOTS) --projects $(PROJECTS) --resync $(RESYNC)

# The controller beside a lean client making the same requests (steady state and convergence).
bench-floor: venv kube-binaries
	$(PY) hack/bench_floor.py

kube-up: venv kube-binaries
	$(PY) -m hack.localenv.kube up

kube-down: venv
	$(PY) -m hack.localenv.kube down

fake: venv
	$(VENV)/bin/ontap-fake --http --port 8443

# The controller's OCI image without Docker (Debian's buildah + a debootstrap root filesystem).
image: venv
	bash hack/build-image.sh

image-test: venv
	$(PY) -m pytest -q -m image tests/image

# example/controller-registration.yaml: ControllerRegistration + ControllerDeployment with the chart inlined.
controller-registration: venv
	$(PY) hack/generate_controller_registration.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

# One virtualenv at .venv, installed from pyproject.toml with the exact versions of constraints.txt.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
DATA   := .kubetune/data/digits

.PHONY: setup tools demo test test-fast images bench clean proto

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e '.[dev]'
	touch $@

# helm, kubectl, hadolint, kubernetes-validate, checkov in .tools/ (own venv; the cluster tests use them).
tools:
	bash scripts/install-tools.sh

# A real local search on real data: digits images -> `kubetune run` of a Katib Experiment.
demo: setup
	$(PY) -m trainer data digits --out $(DATA)
	$(VENV)/bin/kubetune run examples/demo/experiment.yaml --set-path /data=$(DATA)

test: setup tools
	$(PY) -m pytest -n 2 -q

test-fast: setup tools
	$(PY) -m pytest -n 2 -q -m "not slow"

# Build and push the images in images/: make images REGISTRY=registry.example.com/team TAG=0.1.0
# (REGISTRY is required; docker, podman or buildah; PUSH=0 builds only).
REGISTRY ?=
TAG      ?= 0.1.0
PUSH     ?= 1
images:
	REGISTRY=$(REGISTRY) TAG=$(TAG) PUSH=$(PUSH) bash scripts/build-images.sh

# Katib's gRPC stubs for `kubetune serve`, compiled from the vendored api.proto (checked in;
# tests/serve/test_serve_stubs.py fails when they differ from what this writes).
proto: setup
	$(PY) -m grpc_tools.protoc -I . --python_out=. --grpc_python_out=. kubetune/serve/katib_api/api.proto

clean:
	rm -rf $(VENV) .kubetune .pytest_cache

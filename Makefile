# One virtualenv at .venv, installed from pyproject.toml with the exact versions of constraints.txt.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
DATA   := .kubetune/data/digits

.PHONY: setup demo test test-fast bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e '.[dev]'
	touch $@

# A real local search on real data: digits images -> `kubetune run` of a Katib Experiment.
demo: setup
	$(PY) -m trainer data digits --out $(DATA)
	$(VENV)/bin/kubetune run examples/demo/experiment.yaml --set-path /data=$(DATA)

test: setup
	$(PY) -m pytest -n 2 -q

test-fast: setup
	$(PY) -m pytest -n 2 -q -m "not slow"

clean:
	rm -rf $(VENV) .kubetune .pytest_cache

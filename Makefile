# Convonet: `make run` serves the assistant, `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test install lint typecheck pytest bench accuracy services lock readme clean

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -c requirements.lock -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/convonet migrate
	$(BIN)/convonet seed
	$(BIN)/convonet serve

services:
	bash scripts/services.sh install

lint: install
	$(BIN)/ruff check .

typecheck: install
	$(BIN)/mypy

# pytest with throwaway PostgreSQL and Redis; every database/store test runs on both backends. Two pytest-xdist
# workers, each test file whole in one (a worker past the first has a database and a Redis of its own,
# tests/conftest.py), then the call-center page test on its own (scripts/run-tests.sh); PYTEST_WORKERS=0 runs
# the suite in this one process.
PYTEST_WORKERS ?= 2
pytest: install services
	CONVONET_REQUIRE_SERVICES=1 bash scripts/with-services.sh bash scripts/run-tests.sh $(BIN)/python $(PYTEST_WORKERS) $(PYTEST_ARGS)

test: lint typecheck pytest

bench: install services
	CONVONET_BENCH=full bash scripts/with-services.sh $(BIN)/python -m pytest tests/benchmarks -s -p no:cacheprovider $(PYTEST_ARGS)

# Intent and speech accuracy on the hand-written sets: SET=test only to report; ENGINE=sphinx, LINE=browser.
accuracy: install
	$(BIN)/python -m tests.accuracy.typed --set $(or $(SET),dev)
	$(BIN)/python -m tests.accuracy.spoken --set $(or $(SET),dev) --engine $(or $(ENGINE),moonshine) --path $(or $(LINE),phone)

# Re-pin every transitive dependency after changing pyproject.toml.
lock:
	rm -rf /tmp/convonet-lock && $(PYTHON) -m venv /tmp/convonet-lock
	/tmp/convonet-lock/bin/pip install --quiet '.[dev]'
	/tmp/convonet-lock/bin/pip freeze --exclude convonet > requirements.lock

readme: install
	$(BIN)/python scripts/update_readme_settings.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache

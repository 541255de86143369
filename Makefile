# newswatch: `make run` and `make test` are the two commands; both go through `make install`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export PREFECT_HOME ?= $(CURDIR)/storage/prefect

.PHONY: install run test lint typecheck unit bench container-test clean

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "newswatch needs Python 3.11 or newer"'
	$(PYTHON) -m venv $(VENV)
	# The pip a new venv ships mishandles lxml[html_clean]; upgrade it first.
	$(BIN)/pip install -q --upgrade "pip>=24"
	$(BIN)/pip install -q -c constraints.txt -e '.[dev]'
	touch $(STAMP)

run: install
	$(BIN)/newswatch run

lint: install
	$(BIN)/ruff check flows storage tests benchmarks
	$(BIN)/ruff format --check flows storage tests benchmarks

typecheck: install
	$(BIN)/mypy

unit: install
	$(BIN)/pytest -q

test: install lint typecheck unit

bench: install
	$(BIN)/python -m benchmarks.run

# Builds the image from this repository with podman (base image made by debootstrap, cached) and
# runs it: installs podman and friends first when missing (needs root, as CI has).
container-test: install
	tests/container/setup.sh
	CONTAINERS_CONF=$(CURDIR)/tests/container/containers.conf RUN_CONTAINER_TEST=1 \
		$(BIN)/pytest -q -p no:cacheprovider --durations=5 tests/container

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache

# SegDICOM: `make run` serves the annotator, `make test` runs every test.
# Both start from a fresh clone: they create the venv and install what they need.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Node.js and npm run the viewer's type checker (TypeScript, pinned in package-lock.json):
# Debian's packages when there is no npm yet (one from elsewhere, e.g. NodeSource's
# nodejs, which bundles npm, would conflict with Debian's npm package).
NODE_PEERS := $(if $(shell command -v npm 2>/dev/null),,nodejs npm)
DEBIAN_PEERS := orthanc orthanc-dicomweb dcmtk dicom3tools chromium postgresql $(NODE_PEERS)
NODE_STAMP := node_modules/.installed
# The tests without a browser run on this many workers (pytest-xdist): most of them wait on
# Orthanc, PostgreSQL or a server process, so two overlap well on two cores.
PYTEST_WORKERS ?= 2

.PHONY: run test test-unit lint typecheck typecheck-viewer peers venv pacs bench clean

# The run-time dependencies at the versions the Docker image pins (docker/constraints.txt),
# so the tests run what the image runs.
$(STAMP): pyproject.toml docker/constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --constraint docker/constraints.txt -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(BIN)/segdicom db upgrade
	$(BIN)/segdicom serve

peers:
	@bash tests/install_peers.sh $(DEBIAN_PEERS)

$(NODE_STAMP): package.json package-lock.json | peers
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

test: $(STAMP) peers $(NODE_STAMP)
	$(BIN)/ruff check service tests bench migrations
	$(BIN)/ruff format --check service tests bench migrations
	$(BIN)/mypy
	npm run --silent typecheck
	$(BIN)/python -m pytest -m "not e2e" -n $(PYTEST_WORKERS) --dist loadfile
	$(BIN)/python -m pytest -m e2e

test-unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit

lint: $(STAMP)
	$(BIN)/ruff check service tests bench migrations
	$(BIN)/ruff format --check service tests bench migrations

typecheck: $(STAMP)
	$(BIN)/mypy

typecheck-viewer: peers $(NODE_STAMP)
	npm run --silent typecheck

pacs: $(STAMP)
	bash orthanc/run.sh

bench: $(STAMP) peers
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache node_modules

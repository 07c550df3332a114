# SegDICOM: `make run` serves the annotator, `make test` runs every test.
# Both start from a fresh clone: they create the venv and install what they need.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEBIAN_PEERS := orthanc orthanc-dicomweb dcmtk dicom3tools chromium postgresql

.PHONY: run test test-unit lint typecheck peers venv pacs bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(BIN)/segdicom db upgrade
	$(BIN)/segdicom serve

peers:
	@bash tests/install_peers.sh $(DEBIAN_PEERS)

test: $(STAMP) peers
	$(BIN)/ruff check service tests bench migrations
	$(BIN)/ruff format --check service tests bench migrations
	$(BIN)/mypy
	$(BIN)/python -m pytest

test-unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit

lint: $(STAMP)
	$(BIN)/ruff check service tests bench migrations
	$(BIN)/ruff format --check service tests bench migrations

typecheck: $(STAMP)
	$(BIN)/mypy

pacs: $(STAMP)
	bash orthanc/run.sh

bench: $(STAMP) peers
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

# `make run` and `make test` set everything up on a fresh machine, then run.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/aioe run

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The suite runs in parallel, one pytest-xdist worker per CPU; PYTEST_WORKERS=0 runs it
# in one process (`make test PYTEST_WORKERS=0`).
PYTEST_WORKERS ?= auto

test: lint
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist worksteal

bench: $(STAMP)
	$(BIN)/python bench/cli_startup.py
	$(BIN)/python bench/cutout_iou.py
	$(BIN)/python bench/studio_vs_imagemagick.py
	$(BIN)/python bench/png_settings.py
	$(BIN)/python bench/slack_ack.py
	$(BIN)/python bench/export_zip.py
	$(BIN)/python bench/ledger_vs_pgbench.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

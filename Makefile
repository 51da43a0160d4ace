# The README's two commands: `make report` (set up, run the quick verification report) and
# `make test` (set up, lint, run the test suite). Both create ./.venv on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
OUT ?= reports/latest

.PHONY: report test benchmark clean

$(BIN)/fpcheck: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,dev]'
	touch $@

report: $(BIN)/fpcheck
	$(BIN)/fpcheck verify --profile quick --out $(OUT)
	@echo "report: $(abspath $(OUT))/report.html"

test: $(BIN)/fpcheck
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

benchmark: $(BIN)/fpcheck
	$(BIN)/python -m benchmarks --json benchmarks/latest.json

clean:
	rm -rf $(VENV) fpcheck-report $(OUT)

# Two commands on a fresh machine: `make demo` and `make test`.
# Each creates or refreshes .venv, installs qca into it, then runs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.qca-installed

.PHONY: demo test install lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/qca code transcripts --participants transcripts/participants.csv -c codebooks/esther.yaml -d qca-out
	$(BIN)/qca themes -d qca-out --format table
	$(BIN)/qca themes -d qca-out --by role --measure mentions --format table
	$(BIN)/qca report -d qca-out --by role -o qca-out/report.html

test: $(STAMP)
	$(BIN)/python -m pytest -n 2

lint: $(STAMP)
	$(BIN)/ruff check qca tests
	$(BIN)/ruff format --check qca tests
	$(BIN)/mypy

clean:
	rm -rf $(VENV) qca-out .qca-cache .pytest_cache

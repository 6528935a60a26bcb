# The virtual environment is created and updated on demand, so a fresh clone
# needs only Python 3.11+ and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DIR := var/demo
DEMO_PORT ?= 8765

.PHONY: install test chaos bench demo lint-rules clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow"

chaos: $(STAMP)
	$(BIN)/python -m pytest -q -m slow tests/chaos

bench: $(STAMP)
	$(BIN)/python -m benchmarks

lint-rules: $(STAMP)
	$(BIN)/gerra-gate rules lint rules

demo: $(STAMP)
	$(BIN)/python -m gerra_emulator.demo.run --dir $(DEMO_DIR) --port $(DEMO_PORT)

clean:
	rm -rf var .pytest_cache build *.egg-info

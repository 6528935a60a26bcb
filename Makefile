# The virtual environment is created and updated on demand, so a fresh clone
# needs only Python 3.11+ and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DIR := var/demo
DEMO_PORT ?= 8765

.PHONY: install test chaos bench demo lint-rules clean browser

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# The report browser tests render pages in headless Chromium; they skip with
# a message when it is missing and cannot be installed (not root, no apt).
CHROMIUM ?= /usr/bin/chromium

browser:
	@if [ -x $(CHROMIUM) ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		{ apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium chromium-driver; } \
			|| echo "note: installing chromium failed; browser tests will skip"; \
	else echo "note: $(CHROMIUM) is missing and cannot be installed here; browser tests will skip"; fi

test: $(STAMP) browser
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

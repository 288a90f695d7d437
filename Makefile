# Two commands do all set-up on a fresh machine with Python 3.11, pip and make:
#   make demo   installs symbackprop into .venv and verifies the default 2-3-1 network
#   make test   installs the test extras too, lints (ruff) and runs the whole suite
VENV ?= .venv
PYTHON ?= python3
BIN = $(VENV)/bin

$(BIN)/symbackprop: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet ".[test]"
	touch $@

demo: $(BIN)/symbackprop
	$(BIN)/symbackprop verify

test: $(BIN)/symbackprop
	$(BIN)/python -m pip install --quiet --no-deps --force-reinstall .
	$(BIN)/ruff check symbackprop tests benchmarks
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python -m pytest

bench: $(BIN)/symbackprop
	$(BIN)/python benchmarks/bench_verify.py

clean:
	rm -rf $(VENV) build dist *.egg-info

.PHONY: demo test bench clean

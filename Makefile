# Two commands do all set-up on a fresh machine with Python 3.11, pip and make:
#   make demo   installs symbackprop into .venv (and TeX Live, for the PDF) and writes the derivation of the
#               default 2-3-1 network into ./derivation: .tex, .pdf and .md, every equation checked
#   make test   installs the test extras, the autodiff references and the notebooks' extra (matplotlib, a
#               Jupyter kernel), lints (ruff), type-checks (mypy), runs the whole suite (which executes the notebooks)
VENV ?= .venv
PYTHON ?= python3
BIN = $(VENV)/bin

$(BIN)/symbackprop: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet ".[test]"
	touch $@

system:
	.ci/system-packages

demo: system $(BIN)/symbackprop
	$(BIN)/python -m pip install --quiet --no-deps --force-reinstall .
	$(BIN)/symbackprop derive

# The optional extras the tests exercise: gradcheck's references (JAX, PyTorch) and the notebooks' (matplotlib,
# a Jupyter kernel). torch is pinned to the CPU build this machine kind keeps in pip's find-links; an open
# range would fetch a CUDA build of several GB.
$(VENV)/.extras: $(BIN)/symbackprop
	$(BIN)/python -m pip install --quiet "torch==2.13.0" ".[test,autodiff,notebooks]"
	touch $@

test: system $(VENV)/.extras
	$(BIN)/python -m pip install --quiet --no-deps --force-reinstall .
	$(BIN)/ruff check symbackprop tests benchmarks
	$(BIN)/mypy symbackprop
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python -m pytest

bench: $(VENV)/.extras
	$(BIN)/python benchmarks/bench_verify.py
	$(BIN)/python benchmarks/bench_numeric.py
	$(BIN)/python benchmarks/bench_writeup.py
	$(BIN)/python benchmarks/bench_check.py
	$(BIN)/python benchmarks/bench_layers.py

clean:
	rm -rf $(VENV) build dist *.egg-info

.PHONY: system demo test bench clean

# Two commands do all set-up: `make demo` and `make test`. Both create .venv when needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

.PHONY: demo test docs lint typecheck bench reference clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	$(BIN)/python -c "import arviz, pymc, matplotlib, sklearn, statsmodels; print('stack imports: ok')"
	touch $(STAMP)

# the package's bytecode, written once: with PYTHONDONTWRITEBYTECODE set (as on CI machines) every run
# would otherwise compile the package's modules again (~0.35 s of the report); only changed files are redone
COMPILE = $(BIN)/python -m compileall -q neuroimmune_stats

demo: $(STAMP)
	$(COMPILE)
	$(BIN)/neuroimmune-stats report -o report.html

test: $(STAMP)
	$(BIN)/ruff check neuroimmune_stats tests benchmarks
	$(BIN)/python -m mypy
	$(BIN)/python -m pytest $(PYTEST_ARGS); rc=$$?; if [ $$rc -eq 5 ]; then echo "no tests collected"; exit 1; fi; exit $$rc

# the documentation site (docs/_build/html); warnings are errors; vignettes run once (jupyter-cache)
docs: $(STAMP)
	$(BIN)/sphinx-build -W --keep-going -q -b html docs docs/_build/html
	@echo "docs: docs/_build/html/index.html"

lint: $(STAMP)
	$(BIN)/ruff check neuroimmune_stats tests benchmarks
	$(BIN)/python -m mypy

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	$(COMPILE)
	$(BIN)/python benchmarks/run.py

reference:
	cd tests/reference && for f in *.R; do Rscript $$f; done

clean:
	rm -rf $(VENV) report.html docs/_build docs/_generated

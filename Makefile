# The two commands of the README: `make demo` and `make test` (and `make rllib`).
# Each creates and fills its own virtual environment on first use.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.semgym-installed

RLLIB_VENV ?= .venv-rllib
RLLIB_STAMP := $(RLLIB_VENV)/.semgym-installed

.PHONY: demo test lint bench clean rllib docs

$(STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	# torch first, paired with its torchvision build (timm imports torchvision)
	$(PY) -m pip install -q torch==2.14.1 torchvision==0.29.1
	$(PY) -m pip install -q -e ".[dev,sb3,torchrl,ray,stats,docs]"
	touch $(STAMP)

demo: $(STAMP)
	$(PY) -m semgym demo

test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m pytest -q

# RLlib pins gymnasium 1.2.2, so its baseline lives in a virtual environment of its own
# (torch first, from the same pinned pair, then Ray and semgym); `make rllib` runs the RLlib
# multi-agent PPO baseline on a tiny budget (the full run: baselines/rllib_ppo.py).
$(RLLIB_STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(RLLIB_VENV)
	$(RLLIB_VENV)/bin/python -m pip install -q torch==2.14.1 torchvision==0.29.1
	$(RLLIB_VENV)/bin/python -m pip install -q -e ".[rllib,dev]"
	touch $(RLLIB_STAMP)

rllib: $(RLLIB_STAMP)
	$(RLLIB_VENV)/bin/python baselines/rllib_ppo.py --smoke --out runs/rllib-smoke

# The documentation site (MkDocs + Material + mkdocstrings), built strictly: a broken link or
# reference fails the build. Output in site/.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 DISABLE_MKDOCS_2_WARNING=true $(VENV)/bin/mkdocs build --strict --site-dir site

bench: $(STAMP)
	$(PY) benchmarks/bench_core.py

clean:
	rm -rf $(VENV) $(RLLIB_VENV) build *.egg-info site

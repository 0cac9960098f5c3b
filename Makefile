# The two commands: `make demo` (the main job on embedded defaults) and `make test` (the offline suite).
# Each bootstraps what it needs (Python venv, node modules) on a fresh machine, and does nothing
# more than check two stamp files when everything is already in place.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CACHE := $(CURDIR)/.cache
PY_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
# checkov pins its own dependency tree, so it lives in a separate tool venv.
CHECKOV_VERSION := 3.2.495
CHECKOV_STAMP := $(CACHE)/tools/checkov/.installed-$(CHECKOV_VERSION)
# The Spark engine's tests run a second time on pyspark 3.5 (the managed runtimes' Spark), from a folder
# put ahead of the venv's pyspark 4 on PYTHONPATH by tests/evaluator/test_spark_versions.py.
PYSPARK35 := pyspark==3.5.8 py4j==0.10.9.7
PYSPARK35_STAMP := $(CACHE)/tools/pyspark35/.installed-3.5.8

# jsii unpacks provider bindings here, not in the home directory; silence Node 20's end-of-life banner.
export JSII_RUNTIME_PACKAGE_CACHE_ROOT := $(CACHE)/jsii
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION := 1
export CHECKPOINT_DISABLE := 1
# Lint caches stay in the ignored cache (the project template's own pyproject.toml would get one otherwise).
export RUFF_CACHE_DIR := $(CACHE)/ruff
# cookiecutter keeps its replay files and template clones inside the repo's ignored cache.
export COOKIECUTTER_CONFIG := $(CACHE)/cookiecutter/config.yaml
# Terraform: keep a configured CLI file; otherwise use an empty one in the cache (no warning banner).
ifeq ($(wildcard $(TF_CLI_CONFIG_FILE)),)
export TF_CLI_CONFIG_FILE := $(CACHE)/terraform.rc
endif

.PHONY: demo test lint bootstrap test-tools chromium synth checkov bench clean help

help:
	@echo "make demo   set up, then run the whole product on a local AWS emulator (moto_server): Terraform"
	@echo "            applies the hub and two spokes, a project is created, two models are trained, judged,"
	@echo "            submitted and one promoted to prod; the signed audit log is verified and tampered with;"
	@echo "            outputs in demo-output/ (about 4 minutes)"
	@echo "make test   set up, then run the offline test suite"
	@echo "make synth  synthesize platform.yaml when it exists, else examples/platform.yaml (PLATFORM_CONFIG=... to choose)"
	@echo "make checkov  scan the synthesized stacks with checkov; fails on any check without a reviewed skip"

bootstrap: $(PY_STAMP) $(NODE_STAMP) $(CACHE)/.ready

test-tools: $(CHECKOV_STAMP) $(PYSPARK35_STAMP) chromium

# The report tests open HTML in headless Chromium (Debian's package). Installed when missing and
# we may (root with apt-get); otherwise those tests say what is missing.
chromium:
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "==> chromium (apt-get)"; apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else echo "==> chromium missing: install it (Debian/Ubuntu: apt-get install chromium) for the report tests"; fi; }

# The runtime (govhub, editable, with every cloud's extra and the test tools) and the estate's own
# dependencies (infra/requirements.txt: the CDK engines and provider bindings), all pinned by the lock.
$(PY_STAMP): pyproject.toml requirements.lock infra/requirements.txt
	@echo "==> Python environment ($(VENV))"
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] in ((3, 11), (3, 12)), "Python 3.11 or 3.12 is required, found " + sys.version.split()[0]'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[aws,azure,gcp,mlflow,spark,test]' \
	  -r infra/requirements.txt
	@touch $@

$(PYSPARK35_STAMP): $(PY_STAMP)
	@echo "==> $(PYSPARK35) (.cache/tools/pyspark35, for the Spark engine's tests on Spark 3.5)"
	@$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --upgrade --target $(CACHE)/tools/pyspark35 $(PYSPARK35)
	@touch $@

$(CHECKOV_STAMP):
	@echo "==> checkov $(CHECKOV_VERSION) (tool venv in .cache/tools/checkov)"
	@test -x $(CACHE)/tools/checkov/bin/python || $(PYTHON) -m venv $(CACHE)/tools/checkov
	@$(CACHE)/tools/checkov/bin/python -m pip install --quiet --disable-pip-version-check checkov==$(CHECKOV_VERSION)
	@touch $@

$(NODE_STAMP): package.json package-lock.json
	@echo "==> node modules (cdktf-cli)"
	@command -v npm >/dev/null || { echo "npm is missing: install Node.js 20 or newer (https://nodejs.org)"; exit 2; }
	@npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(CACHE)/.ready:
	@mkdir -p $(CACHE)/jsii $(CACHE)/cookiecutter/replay $(CACHE)/cookiecutter/templates
	@printf 'replay_dir: "%s"\ncookiecutters_dir: "%s"\n' "$(CACHE)/cookiecutter/replay" "$(CACHE)/cookiecutter/templates" > $(COOKIECUTTER_CONFIG)
	@touch $(CACHE)/terraform.rc
	@touch $@

# Competitors for bench/evaluate.py, in their own venv: Evidently 0.7.23 needs pandas < 3.
BENCH_STAMP := $(CACHE)/tools/bench/.installed
$(BENCH_STAMP):
	@echo "==> benchmark competitors (fairlearn, Evidently, smclarify) in .cache/tools/bench"
	@test -x $(CACHE)/tools/bench/bin/python || $(PYTHON) -m venv $(CACHE)/tools/bench
	@$(CACHE)/tools/bench/bin/python -m pip install --quiet --disable-pip-version-check evidently==0.7.23 \
	  fairlearn==0.15.0 smclarify==0.5 pandas==2.3.3 pyarrow==25.0.1 psutil
	@touch $@

bench: bootstrap $(BENCH_STAMP)
	@$(PY) bench/synth.py
	@$(PY) bench/evaluate.py --rows 1000000 10000000

# ruff (lint and format) and mypy over the whole tree, configured in pyproject.toml.
lint: bootstrap
	@echo "==> ruff check, ruff format --check, mypy"
	@$(PY) -m ruff check --quiet .
	@$(PY) -m ruff format --check --quiet .
	@$(PY) -m mypy --no-error-summary

test: bootstrap test-tools lint
	@$(PY) -m pytest

synth: bootstrap
	@config=$${PLATFORM_CONFIG:-$$( [ -f platform.yaml ] && echo platform.yaml || echo examples/platform.yaml )}; \
	  echo "synthesizing $$config"; PLATFORM_CONFIG=$$config npx --no-install cdktf synth

checkov: bootstrap $(CHECKOV_STAMP)
	@test -d cdktf.out/stacks || $(MAKE) synth
	@$(PY) -m tools.checkov_gate cdktf.out

demo: bootstrap
	@$(PY) -m tools.demo

clean:
	rm -rf cdktf.out .pytest_cache

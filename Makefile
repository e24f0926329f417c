# The commands the README names. Everything installs itself on first use: a fresh clone needs only
# `make synth` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CHECKOV_VENV := .venv-checkov

# Offline, quiet CDK CLI: no telemetry, no notices, no Node end-of-life banner.
export CDK_DISABLE_CLI_TELEMETRY := true
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
CDK := node_modules/.bin/cdk --no-notices

.PHONY: deps synth test docs lint bench diff dist clean

# What `python -O app.py` (cdk.json) imports from site-packages. pip writes only the normal .pyc files, and -O
# reads the .opt-1.pyc ones: without them these would be compiled from source on every synth wherever bytecode is
# not written (PYTHONDONTWRITEBYTECODE). tests/test_optimized_bytecode.py checks that the list is complete.
APP_PACKAGES := aws_cdk constructs jsii cdk_nag cdklabs pydantic pydantic_core annotated_types typing_inspection \
	typing_extensions.py yaml attr attrs cattr cattrs dateutil six.py publication.py _distutils_hack

$(VENV)/.installed: requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	site=$$($(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])') && \
		$(PY) -O -m compileall -q -j 0 $(addprefix $$site/,$(APP_PACKAGES))
	touch $@

$(CHECKOV_VENV)/.installed: requirements-checkov.txt
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-checkov.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

deps: $(VENV)/.installed $(CHECKOV_VENV)/.installed node_modules/.installed

## synth: cdk synth of the whole reference app, offline, with the compliance gate; into an emptied cdk.out, so
## that no template of an earlier synth (another CONFIG) is left beside this one's or counted with them
synth: $(VENV)/.installed node_modules/.installed
	rm -rf cdk.out
	$(CDK) synth --quiet $(if $(CONFIG),-c config=$(CONFIG))
	@echo "synthesized: $$(find cdk.out -name '*.template.json' | wc -l) templates in cdk.out/ (pipeline stages included)"

## test: the whole test suite (unit, snapshot, compliance, lint, handler, end-to-end)
test: deps docs
	$(PY) -m pytest -n 2 --dist loadfile --no-loadscope-reorder

## docs: the docs site (MkDocs + mkdocstrings) built strictly into .site/: a broken link or an API page that
## cannot render fails it
docs: $(VENV)/.installed
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs build --strict --quiet --site-dir .site

## diff: synth-and-diff of the app at BASE (a git ref) against the working tree, offline. Exit 1 when a
## stateful resource would be removed or replaced, or a custom-named one replaced (CloudFormation refuses it),
## without an entry in .synthdiff-acknowledgments.yaml.
## FORMAT=markdown for a merge-request comment, OUTPUT=file to also write it there, CONFIG=platform config file.
BASE ?= origin/main
FORMAT ?= text
diff: $(VENV)/.installed
	$(PY) -m sagemaker_platform.synthdiff --base $(BASE) --format $(FORMAT) $(if $(CONFIG),--config $(CONFIG)) $(if $(OUTPUT),--output $(OUTPUT))

lint: $(VENV)/.installed
	$(PY) -m ruff check sagemaker_platform tests bench app.py
	$(PY) -m mypy sagemaker_platform

## dist: the wheel and sdist of the package in dist/ (version: sagemaker_platform.__version__)
dist: $(VENV)/.installed
	rm -rf dist
	$(PY) -m build --outdir dist .

bench: $(VENV)/.installed node_modules/.installed
	$(PY) -m bench

clean:
	rm -rf cdk.out .pytest_cache dist build .site

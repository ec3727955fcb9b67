# Lily — developer commands. `make run` runs the whole suite locally; `make test` runs every test suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
STAMP := $(VENV)/.installed
CHECKOV_VENV := $(VENV)/checkov
STAGE ?= dev
PYTEST_WORKERS ?= 2
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
# Bytecode (site-packages, Lily, pytest's rewritten test modules) in one cache outside the source tree, written at a
# module's first import and read by every later process: not at install (uv does not compile), not again in every
# test process and subprocess (PYTHONDONTWRITEBYTECODE cost each pytest process ~2 s of CPU before its first test).
unexport PYTHONDONTWRITEBYTECODE
export PYTHONPYCACHEPREFIX := $(CURDIR)/$(VENV)/pycache

.PHONY: install run test lint unit integration infra-test e2e reliability contract e2e-contract synth deploy diff bench bench-coldstart bench-aws-clients \
	bench-publishing bench-vectors bench-analytics mutation mutation-smoke cpu-suites clean test-localstack check-models browser console screenshots \
	lock lock-upgrade sbom audit

# The lock files (docs/operations.md, "Supply chain"): every runtime and dev dependency pinned with its hashes.
# requirements.lock is what `make install` (and so CI) installs, for any platform (uv's universal resolution);
# layers/requirements.lock is what the Lambda layer ships: Linux arm64 wheels for CPython 3.14. `make lock` resolves
# both again after pyproject.toml or layers/requirements.txt changed (keeping every pin that still fits; the layer's
# pins are constrained by the dev lock: the layer ships the versions the tests ran); `make lock-upgrade` moves every
# pin to the newest release allowed.
LOCK := requirements.lock
LAYER_LOCK := layers/requirements.lock
LOCK_DEV = $(UV) pip compile pyproject.toml --extra dev --universal --python-version 3.11 --generate-hashes --quiet \
	-o $(LOCK) $(1)
LOCK_LAYER = $(UV) pip compile layers/requirements.txt --python-platform aarch64-manylinux_2_28 --python-version 3.14 \
	--only-binary :all: --generate-hashes --quiet -c $(LOCK) -o $(LAYER_LOCK) $(1)
SBOM := build/sbom/layer.cdx.json

# uv installs (parallel downloads, no compile step: see PYTHONPYCACHEPREFIX); pip only bootstraps it. checkov
# (tests/infra/test_checkov.py) pins old boto3/packaging: it gets a venv of its own inside .venv, installed beside
# the project's.
$(UV):
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet 'uv>=0.9,<1'

# The locked set (hashes checked), then Lily itself editable without resolving again.
$(STAMP): pyproject.toml $(LOCK) | $(UV)
	test -d $(CHECKOV_VENV) || $(UV) venv --quiet $(CHECKOV_VENV)
	$(UV) pip install --quiet --python $(CHECKOV_VENV)/bin/python 'checkov>=3.2,<4' & checkov=$$!; \
		$(UV) pip install --quiet --python $(PY) -r $(LOCK) && \
		$(UV) pip install --quiet --python $(PY) --no-deps -e . && wait $$checkov
	touch $(STAMP)

lock: | $(UV)
	$(call LOCK_DEV,)
	$(call LOCK_LAYER,)

lock-upgrade: | $(UV)
	$(call LOCK_DEV,--upgrade)
	$(call LOCK_LAYER,--upgrade)

# CycloneDX SBOM of what the Lambda layer ships: its locked requirements (boto3/botocore, which the runtime provides,
# left out as the layer build leaves them out), with Lily as the root component.
sbom: $(STAMP)
	$(PY) layers/supply_chain.py sbom $(SBOM)

# pip-audit over both locked sets. Without its vulnerability service (offline, or a registry mirror without PyPI's
# JSON API) it says so, prints NOT AUDITED and exits 0: skipped, never reported as clean.
audit: $(STAMP)
	$(PY) layers/supply_chain.py audit $(LOCK) $(LAYER_LOCK)

install: $(STAMP) browser

# The console suite's browser (tests/console, docs/console.md): Debian's chromium and chromium-driver (apt, as root)
# and axe-core (npm, into the git-ignored .venv/axe). Idempotent and quick when both are there.
AXE := $(VENV)/axe/node_modules/axe-core/axe.min.js
browser: $(AXE)
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	else echo "make browser: chromium and chromium-driver are missing; install them with apt-get as root"; exit 1; fi

$(AXE): | $(STAMP)
	npm install --prefix $(VENV)/axe --no-audit --no-fund --silent 'axe-core@4'

run: $(STAMP)
	$(PY) -m lily.local

# ruff, then the layering contracts of pyproject.toml [tool.importlinter] (core -> nothing of Lily, capabilities
# -> each other's ports only, lily.local never imported by deployed code).
lint: $(STAMP)
	$(VENV)/bin/ruff check shared functions infra tests
	$(VENV)/bin/lint-imports --no-cache --no-logo

unit: $(STAMP)
	$(PY) -m pytest tests/unit -q -n $(PYTEST_WORKERS)

integration: $(STAMP)
	$(PY) -m pytest tests/integration -q -n $(PYTEST_WORKERS)

infra-test: $(STAMP)
	$(PY) -m pytest tests/infra -q

e2e: $(STAMP)
	$(PY) -m pytest tests/e2e -q

reliability: $(STAMP)
	$(PY) -m pytest tests/reliability -q

# The web console in headless Chromium against local mode: golden path, axe-core on every page, screenshots
console: $(STAMP) browser
	$(PY) -m pytest tests/console -q -p no:xdist

# Regenerate the console's screenshots (tests/console/artefacts/, git-ignored; listed in docs/console.md)
screenshots: $(STAMP) browser
	rm -rf tests/console/artefacts
	$(PY) -m pytest tests/console -q -p no:xdist
	@ls tests/console/artefacts

# schemathesis against local mode from its own OpenAPI document, and a client generated from that document
contract: $(STAMP)
	$(PY) -m pytest tests/contract -q

# Every suite, and a mutation smoke, packed onto two cores. The reliability harness (about 9 minutes, mostly
# waiting on pacing and injected slow answers) runs beside the CPU-bound lint, unit and integration suites and,
# one after the other, e2e (waiting on lead times) and the contract fuzzing; then infra (CDK synth), the console
# and the mutation smoke run side by side. Every suite runs even when an earlier one failed; the target fails
# when any did.
test: $(STAMP) browser
	$(MAKE) --no-print-directory -k -j 3 --output-sync=target cpu-suites reliability e2e-contract; first=$$?; \
	$(MAKE) --no-print-directory -k -j 3 --output-sync=target infra-test console mutation-smoke; second=$$?; \
	exit $$(( first || second ))

cpu-suites: $(STAMP)
	$(MAKE) --no-print-directory -k lint unit integration

e2e-contract: $(STAMP)
	$(MAKE) --no-print-directory -k e2e contract

# The integration suites and the vector conformance suite against LocalStack (DynamoDB, SQS, S3, KMS, Secrets
# Manager, OpenSearch) started by pytest-localstack in Docker, instead of moto. Without Docker it says so and skips.
test-localstack: $(STAMP)
	@if ! $(PY) -c "import docker; docker.from_env().ping()" >/dev/null 2>&1; then \
		echo "make test-localstack needs Docker (LocalStack runs in a container); Docker is not reachable here: skipped."; \
	else \
		LILY_TEST_LOCALSTACK=1 $(PY) -m pytest tests/integration -q -p no:xdist; \
	fi

synth: $(STAMP)
	rm -rf cdk.out
	LILY_STAGE=$(STAGE) $(PY) infra/app.py

deploy: synth
	npx --yes aws-cdk@2 deploy --app cdk.out --all --require-approval never

diff: synth
	npx --yes aws-cdk@2 diff --app cdk.out --all

bench-coldstart: $(STAMP)
	$(PY) tests/bench/coldstart.py

# the CPU a first request spends making its DynamoDB clients: one botocore session (Lily) against pynamodb's defaults
bench-aws-clients: $(STAMP)
	$(PY) tests/bench/aws_clients.py

# N posts through the whole pipeline with faults on (default 10,000; `make bench-publishing N=1000`)
bench-publishing: $(STAMP)
	$(PY) tests/bench/publishing_reliability.py $(or $(N),10000)

# recall@10 and latency of the embedded vector index at 100k x 1024-d, beside exact search
# Every model name the deployment sends, against the providers' own model lists (OPENAI_API_KEY / XAI_API_KEY or
# the deployment's secret); skipped with a message when offline or without keys. Run it before a deploy.
check-models: $(STAMP)
	$(PY) -m lily.ai.check_models
	$(PY) -m lily.admin.output_rate

# research's retrieval floor per configured OpenAI embedding model, on the shipped labelled pairs (docs/research.md);
# needs OPENAI_API_KEY (else skipped with a message); writes nothing unless ARGS="--write floors.json"
.PHONY: calibrate-floors
calibrate-floors: $(STAMP)
	$(PY) tests/bench/calibrate_floors.py $(ARGS)

bench-vectors: $(STAMP)
	$(PY) tests/bench/vectors.py

# the image quality floors on real photos, illustrations, text cards and bad images (docs/images.md, "Quality floors")
.PHONY: bench-image-floors
bench-image-floors: $(STAMP)
	$(PY) tests/bench/image_floors.py

# predictive analytics: the model's error on held-out posts beside the naive baseline (same run)
bench-analytics: $(STAMP)
	$(PY) tests/bench/analytics_predict.py

bench: bench-coldstart bench-vectors bench-publishing

# Mutation score of the pure-logic modules against tests/unit ([tool.mutmut] in pyproject.toml; ~10 min on 2 cores).
# mutmut's own output (a spinner) goes to .venv/mutmut.log; its tail is printed when mutmut fails.
MUTMUT = $(VENV)/bin/mutmut run --max-children $(PYTEST_WORKERS) $(1) > $(VENV)/mutmut.log 2>&1 || \
	{ tr '\r' '\n' < $(VENV)/mutmut.log | grep -v '^\s*$$' | tail -40; echo "mutmut failed"; exit 1; }

mutation: $(STAMP)
	rm -rf mutants
	$(call MUTMUT,)
	$(PY) tests/mutation/report.py

# In `make test`: mutmut copies the tree, runs all of tests/unit in its copy (where a test that reads a file mutmut
# did not copy fails, as test_layering once did), then mutates one small module, whose score must hold.
mutation-smoke: $(STAMP)
	rm -rf mutants
	$(call MUTMUT,"lily.publishing.retry*")
	$(PY) tests/mutation/report.py --only publishing.retry

clean:
	rm -rf cdk.out build .pytest_cache .ruff_cache mutants $(VENV)/pycache

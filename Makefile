# Lily — developer commands. `make run` runs the whole suite locally; `make test` runs every test suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
CHECKOV_VENV := $(VENV)/checkov
STAGE ?= dev
PYTEST_WORKERS ?= 2
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: install run test lint unit integration infra-test e2e reliability contract synth deploy diff bench bench-coldstart \
	bench-publishing bench-vectors mutation clean test-localstack check-models

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	# checkov (tests/infra/test_checkov.py) pins old boto3/packaging: it gets a venv of its own inside .venv
	test -d $(CHECKOV_VENV) || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet 'checkov>=3.2,<4'
	touch $(STAMP)

install: $(STAMP)

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

# schemathesis against local mode from its own OpenAPI document, and a client generated from that document
contract: $(STAMP)
	$(PY) -m pytest tests/contract -q

test: lint unit integration infra-test e2e reliability contract

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

# N posts through the whole pipeline with faults on (default 10,000; `make bench-publishing N=1000`)
bench-publishing: $(STAMP)
	$(PY) tests/bench/publishing_reliability.py $(or $(N),10000)

# recall@10 and latency of the embedded vector index at 100k x 1024-d, beside exact search
# Every model name the deployment sends, against the providers' own model lists (OPENAI_API_KEY / XAI_API_KEY or
# the deployment's secret); skipped with a message when offline or without keys. Run it before a deploy.
check-models: $(STAMP)
	$(PY) -m lily.ai.check_models

bench-vectors: $(STAMP)
	$(PY) tests/bench/vectors.py

bench: bench-coldstart bench-vectors bench-publishing

# Mutation score of the pure-logic modules against tests/unit ([tool.mutmut] in pyproject.toml; ~10 min on 2 cores).
mutation: $(STAMP)
	rm -rf mutants
	$(VENV)/bin/mutmut run --max-children $(PYTEST_WORKERS) > /dev/null
	$(PY) tests/mutation/report.py

clean:
	rm -rf cdk.out build .pytest_cache .ruff_cache

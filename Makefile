# backchannel: `make run` sets up and serves; `make test` sets up and tests.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
WEB    := service/web
ASSETS := service/static/vendor/.built
CLIENTS := tests/clients
CLIENTS_STAMP := $(CLIENTS)/node_modules/.installed
COMPILED := kg/paths/__pycache__/.compiled

.PHONY: run test lint test-remote test-virtuoso install assets clients build serve validate bench clean

run: install assets build  ## install, build the graph and serve it on http://127.0.0.1:8000
	$(BIN)/backchannel serve

# The service tests, run a second time on the remote backend: a RemoteStore on an `oxigraph` server per test server.
REMOTE_TESTS := tests/test_sparql_protocol.py tests/test_graph_store.py tests/test_guards.py \
	tests/test_w3c_conformance.py tests/test_linked_data.py tests/test_entity_pages.py tests/test_void.py \
	tests/test_named_queries_api.py tests/test_paths_api.py tests/test_sparql_paths_service.py \
	tests/test_openapi.py tests/test_readme.py tests/test_ops.py tests/test_ssrf.py tests/test_hostile_input.py \
	tests/test_declared_answers.py tests/test_w3c_evaluation.py tests/test_w3c_update_silent.py

test: install assets clients  ## install, lint and type-check, run every test, then the service tests again on the remote backend
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest $(PYTEST_ARGS)
	BACKCHANNEL_TEST_BACKEND=remote $(BIN)/python -m pytest $(REMOTE_TESTS) $(PYTEST_ARGS)

lint: install  ## ruff and mypy (configured in pyproject.toml), as `make test` runs them first
	$(BIN)/ruff check .
	$(BIN)/mypy

test-remote: install  ## only the service tests on the remote backend (an oxigraph server started by the tests)
	BACKCHANNEL_TEST_BACKEND=remote $(BIN)/python -m pytest $(REMOTE_TESTS) $(PYTEST_ARGS)

test-virtuoso: install  ## optional: integration tests against Debian's virtuoso-opensource (apt-get install it first)
	BACKCHANNEL_TEST_VIRTUOSO=1 $(BIN)/python -m pytest tests/test_remote_virtuoso.py $(PYTEST_ARGS)

install: $(STAMP) $(COMPILED)  ## (and our modules' bytecode: no process compiles them again, PYTHONDONTWRITEBYTECODE or not)
	$(BIN)/python -m compileall -q kg service

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test,bench]'
	touch $(STAMP)

$(COMPILED): $(STAMP) kg/paths/kernels.py kg/paths/tsv_kernel.py  ## the compiled path searches and build loop, kept in numba's cache
	$(BIN)/python -c "from kg.paths import compiled, tsv_compiled; compiled.warm(); tsv_compiled.warm()"
	mkdir -p $(dir $(COMPILED)) && touch $(COMPILED)

assets: $(ASSETS)  ## web assets from the npm registry (pinned by package-lock.json)

$(ASSETS): $(wildcard $(WEB)/package.json $(WEB)/package-lock.json $(WEB)/build.mjs $(WEB)/src/*)
	@if [ -f $(WEB)/package.json ]; then \
	  npm ci --prefix $(WEB) --no-audit --no-fund --loglevel=error && \
	  node $(WEB)/build.mjs; \
	else echo "no web assets to build"; fi
	mkdir -p $(dir $(ASSETS)) && touch $(ASSETS)

clients: $(CLIENTS_STAMP)  ## third-party RDF clients the tests run (Comunica), from npm, pinned by their package-lock.json

$(CLIENTS_STAMP): $(CLIENTS)/package.json $(CLIENTS)/package-lock.json
	npm ci --prefix $(CLIENTS) --no-audit --no-fund --loglevel=error
	touch $(CLIENTS_STAMP)

build: install  ## load the sources into the on-disk store and write dumps
	$(BIN)/backchannel build

validate: install
	$(BIN)/backchannel validate

bench: install  ## the benchmark suite (BENCH_ARGS=--quick for a smoke run); every throughput from wrk, installed here if missing
	@command -v wrk >/dev/null 2>&1 || [ -n "$$BACKCHANNEL_WRK" ] || { [ "$$(id -u)" = 0 ] && \
	  { apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }; }; } || \
	  { echo "make bench: the native load generator wrk is missing: apt-get install wrk (as root)"; exit 1; }
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var service/static/vendor $(WEB)/node_modules $(CLIENTS)/node_modules

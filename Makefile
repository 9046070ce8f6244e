# backchannel: `make run` sets up and serves; `make test` sets up and tests.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
WEB    := service/web
ASSETS := service/static/vendor/.built

.PHONY: run test install assets build serve validate bench clean

run: install assets build  ## install, build the graph and serve it on http://127.0.0.1:8000
	$(BIN)/backchannel serve

test: install assets  ## install and run every test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test,bench]'
	touch $(STAMP)

assets: $(ASSETS)  ## web assets from the npm registry (pinned by package-lock.json)

$(ASSETS): $(wildcard $(WEB)/package.json $(WEB)/package-lock.json $(WEB)/build.mjs $(WEB)/src/*)
	@if [ -f $(WEB)/package.json ]; then \
	  npm ci --prefix $(WEB) --no-audit --no-fund --loglevel=error && \
	  node $(WEB)/build.mjs; \
	else echo "no web assets to build"; fi
	mkdir -p $(dir $(ASSETS)) && touch $(ASSETS)

build: install  ## load the sources into the on-disk store and write dumps
	$(BIN)/backchannel build

validate: install
	$(BIN)/backchannel validate

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var service/static/vendor $(WEB)/node_modules

# LEADS — a newcomer needs two commands: `make run` and `make test`.
SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never
UV ?= $(shell command -v uv 2>/dev/null || echo "$(HOME)/.local/bin/uv")

.PHONY: run test bench lint install install-runtime uv browsers node-deps hsm

$(UV):
	@command -v uv >/dev/null 2>&1 || python3 -m pip install --user --quiet uv

uv: $(UV)

install: uv  ## everything: the service's packages and the development group (test, lint, bench tools)
	$(UV) sync --locked

# Only what the service imports; --inexact keeps development packages a `make test` installed before.
install-runtime: uv
	$(UV) sync --locked --no-dev --inexact

run: install-runtime  ## install and start the service (web and award worker) on embedded defaults at http://127.0.0.1:8000
	$(UV) run --no-sync leads serve --with-worker

node-deps:  ## the Node reference verifier used by tests and benchmarks (pinned in tests/node/package-lock.json)
	@if [ ! tests/node/node_modules/.package-lock.json -nt tests/node/package-lock.json ]; then \
		cd tests/node && npm ci --no-audit --no-fund --silent; fi

browsers:  ## Debian's Chromium for the browser tests (never a downloaded browser)
	@if [ ! -x /usr/bin/chromium ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			apt-get install -y -q chromium chromium-driver >/dev/null || \
			{ apt-get update -q >/dev/null && apt-get install -y -q chromium chromium-driver >/dev/null; }; \
		else echo "The browser tests need Debian's Chromium: sudo apt-get install chromium chromium-driver"; exit 1; fi; fi

hsm:  ## Debian's SoftHSM2, the PKCS#11 token the external-signer tests sign with (never a downloaded build)
	@if ! command -v softhsm2-util >/dev/null; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			apt-get install -y -q softhsm2 >/dev/null || \
			{ apt-get update -q >/dev/null && apt-get install -y -q softhsm2 >/dev/null; }; \
		else echo "The PKCS#11 tests need Debian's SoftHSM2: sudo apt-get install softhsm2"; exit 1; fi; fi

# PostgreSQL: the one answering at LEADS_TEST_POSTGRES_URL, else a throwaway cluster (scripts/with_postgres.py).
# The suite runs on one pytest-xdist worker per core (at most 4; every worker has its own databases and ports).
# PYTEST_ARGS narrows the run, e.g. make test PYTEST_ARGS='-k postgres tests/bridge/awards'; '-n 0' runs it in one process.
PYTEST_WORKERS ?= -n auto --maxprocesses 4
test: install node-deps browsers hsm  ## install and run the whole suite (SQLite and Postgres)
	$(UV) run --no-sync python scripts/with_postgres.py pytest -q $(PYTEST_WORKERS) $(PYTEST_ARGS)

lint: install  ## ruff, mypy, the layer contracts (import-linter, decision 019), declared dependencies (deptry)
	$(UV) run ruff check .
	$(UV) run mypy
	$(UV) run lint-imports
	$(UV) run deptry .
	$(UV) run python scripts/import_graph.py --hidden

bench: install node-deps  ## speed and memory targets; prints one JSON line per benchmark
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(UV) run python $$b || exit 1; done

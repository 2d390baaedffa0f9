# LEADS — a newcomer needs two commands: `make run` and `make test`.
SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never
UV ?= $(shell command -v uv 2>/dev/null || echo "$(HOME)/.local/bin/uv")

.PHONY: run test bench lint install uv browsers node-deps

$(UV):
	@command -v uv >/dev/null 2>&1 || python3 -m pip install --user --quiet uv

uv: $(UV)

install: uv
	$(UV) sync --locked

run: install  ## install and start the service on embedded defaults at http://127.0.0.1:8000
	$(UV) run leads serve

node-deps:  ## the Node reference verifier used by tests and benchmarks (pinned in tests/node/package-lock.json)
	@if [ -f tests/node/package.json ]; then cd tests/node && npm ci --no-audit --no-fund --silent; fi

test: install node-deps  ## install and run the whole suite (SQLite and Postgres)
	$(UV) run pytest -q

lint: install
	$(UV) run ruff check .
	$(UV) run mypy

bench: install node-deps  ## speed and memory targets; prints one JSON line per benchmark
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(UV) run python $$b || exit 1; done

# One task runner: .ci/run, the README and developers all call these targets.
# `make help` lists them.

.DEFAULT_GOAL := help
SHELL := /bin/bash
PYTHON ?= python3
PIP := $(PYTHON) -m pip
PYTEST_ARGS ?=
EXTRAS ?= dev

# The test build: release optimisations without fat LTO and with parallel codegen, so a clean
# build fits CI on 2 cores. Releases and `make bench` use the real profile from Cargo.toml
# (LTO, codegen-units=1).
FAST_RELEASE := CARGO_PROFILE_RELEASE_LTO=off CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
	CARGO_PROFILE_RELEASE_INCREMENTAL=false

.PHONY: help
help:  ## show this help
	@grep -hE '^[a-z][a-z-]*:.*## ' $(MAKEFILE_LIST) | \
		awk 'BEGIN {FS = ":.*## "} {printf "  make %-14s %s\n", $$1, $$2}'

.PHONY: deps
deps:  ## pip install maturin + the EXTRAS (default: dev) of pyproject.toml, not the package
	$(PIP) install 'maturin>=1.9,<2'
	$(MAKE) -s --no-print-directory extras > .deps.txt
	$(PIP) install -r .deps.txt
	rm -f .deps.txt

# tomllib is 3.11+; on 3.10 read pyproject.toml with tomli, or with the copy pip vendors
# (pip is all a fresh virtualenv has).
.PHONY: extras
extras:  ## print the requirements of the EXTRAS (default: dev), one a line
	@$(PYTHON) -c "$$EXTRAS_PY" $(EXTRAS)

define EXTRAS_PY
import sys
try:
    import tomllib
except ImportError:
    try:
        import tomli as tomllib
    except ImportError:
        from pip._vendor import tomli as tomllib
with open("pyproject.toml", "rb") as f:
    extras = tomllib.load(f)["project"]["optional-dependencies"]
print("\n".join(d for e in sys.argv[1:] for d in extras[e]))
endef
export EXTRAS_PY

.PHONY: build
build:  ## build the extension in place (editable install, fast release profile)
	$(FAST_RELEASE) $(PIP) install --no-build-isolation --no-deps -e .

.PHONY: build-release
build-release:  ## build the extension in place with the full release profile (LTO)
	$(PIP) install --no-build-isolation --no-deps -e .

.PHONY: install
install: system-deps deps build  ## Debian packages, dev extras and the extension, ready for `make test`

# Debian packages the tests and benchmarks use: the PostgreSQL HTML docs (the selector
# corpus), nginx and wrk (benchmarks), redis-server (the shared crawl frontier's tests and
# benchmark; it pulls redis-tools: redis-cli), mariadbd and the mariadb client (the MySQL
# sink's tests, examples and benchmark: tests/servers/mariadb.py; the core packages only, no
# system service). Installed only when missing, with apt-get (through sudo unless root).
SYSTEM_PACKAGES := postgresql-doc-15 nginx-light wrk redis-server mariadb-server-core \
	mariadb-client-core
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: system-deps
system-deps:  ## apt-get install what tests and benchmarks need, if missing
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages: $$missing"; \
		$(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

.PHONY: wheel
wheel:  ## build the abi3 release wheel into dist/
	$(PYTHON) -m maturin build --release --out dist

.PHONY: lint-rust
lint-rust:  ## cargo fmt --check + clippy -D warnings
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --locked -- -D warnings

.PHONY: test-rust
test-rust:  ## cargo test (the Rust core and the binding crate)
	cargo test --workspace --locked

.PHONY: lint-python
lint-python:  ## ruff check + ruff format --check
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .

.PHONY: test-python
test-python:  ## pytest (local servers only); PYTEST_ARGS=... passes options
	@set +e; $(PYTHON) -m pytest -ra $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest: no tests were collected (exit 5)"; rc=0; fi; \
	exit $$rc

.PHONY: test
test: install lint-rust test-rust lint-python test-python  ## everything CI checks (installs what it needs first)

.PHONY: format
format:  ## apply cargo fmt and ruff format/fix
	cargo fmt --all
	$(PYTHON) -m ruff check --fix .
	$(PYTHON) -m ruff format .

.PHONY: bench
bench: build-release  ## fetch benchmark vs aiohttp/httpx/requests/wrk (needs nginx, wrk); BENCH_ARGS=...
	$(MAKE) deps EXTRAS="dev bench"
	$(PYTHON) bench/fetch.py $(BENCH_ARGS)

.PHONY: bench-crawl
bench-crawl: build-release  ## crawl benchmark vs aiohttp+lxml/Scrapy/get_many + 1M-URL RSS (nginx); BENCH_ARGS=...
	$(MAKE) deps EXTRAS="dev bench"
	$(PYTHON) bench/crawl.py $(BENCH_ARGS)
	$(PYTHON) bench/crawl_memory.py

.PHONY: bench-redis
bench-redis: build-release  ## one crawl shared by 1-3 workers through Redis vs scrapy-redis + bytes per URL; BENCH_ARGS=...
	$(MAKE) deps EXTRAS="dev bench"
	$(PYTHON) bench/crawl.py --frontier redis $(BENCH_ARGS)
	$(PYTHON) bench/redis_frontier_memory.py

.PHONY: bench-sinks
bench-sinks: build-release  ## items/s into MySQL/Redis/SQLite/JSONL/CSV vs aiomysql/redis-py + crawl with sink= vs without; BENCH_ARGS=...
	$(MAKE) deps EXTRAS="dev bench"
	$(PYTHON) bench/sinks.py $(BENCH_ARGS)

.PHONY: bench-soak
bench-soak: build-release  ## 100 000-page soak: flat RSS, each page once; Redis + MySQL sink with both restarted mid-crawl; BENCH_ARGS=...
	$(MAKE) deps
	$(PYTHON) bench/soak.py $(BENCH_ARGS)

.PHONY: bench-load
bench-load: build-release  ## 10 000 hosts at per_host=2: never more than 2 in flight a host, RSS per host; BENCH_ARGS=...
	$(MAKE) deps
	$(PYTHON) bench/load_hosts.py $(BENCH_ARGS)

.PHONY: docs
docs:  ## build the docs site into site/ (mkdocs --strict; API reference from the .pyi stubs)
	$(MAKE) deps EXTRAS="dev docs"
	NO_MKDOCS_2_WARNING=1 $(PYTHON) -m mkdocs build --strict

.PHONY: clean
clean:  ## remove build outputs
	cargo clean
	rm -rf dist python/ferrocrawl/*.so

.PHONY: fuzz
fuzz:  ## every cargo-fuzz target of fuzz/ for FUZZ_SECONDS (180) each, one after another (nightly + cargo-fuzz)
	cargo install --locked cargo-fuzz
	cd fuzz && for t in $$(cargo +nightly fuzz list); do \
		mkdir -p corpus/$$t && \
		cargo +nightly fuzz run $$t corpus/$$t seeds/$$t -- -max_total_time=$${FUZZ_SECONDS:-180} -rss_limit_mb=2048 -timeout=10 || exit 1; \
	done

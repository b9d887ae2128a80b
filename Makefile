# Every target bootstraps uv (python3 -m pip install uv) and the locked environment first.
export UV_PYTHON_DOWNLOADS := never
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
PYTEST_ARGS ?=
# Test processes (pytest-xdist): the suite mostly waits on loopback servers and sleeps, so four
# share two cores well (5 min against 13 serial, 2026-12-03). TEST_WORKERS=0 runs in one process.
TEST_WORKERS ?= 4

.PHONY: bootstrap run test test-unit test-all lint format typecheck bench bench-smoke clean

bootstrap:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	@$(UV) sync --locked --quiet --compile-bytecode

run: bootstrap
	@$(UV) run --locked python -m lookervault.cli.demo

test: bootstrap
	$(UV) run --locked pytest -n $(TEST_WORKERS) -m "not benchmark" $(PYTEST_ARGS)

test-all: bootstrap  # serially: the benchmark-marked tests measure time
	$(UV) run --locked pytest $(PYTEST_ARGS)

test-unit: bootstrap
	$(UV) run --locked pytest -n $(TEST_WORKERS) -m "not integration and not benchmark" $(PYTEST_ARGS)

lint: bootstrap
	$(UV) run --locked ruff check .
	$(UV) run --locked ruff format --check .

format: bootstrap
	$(UV) run --locked ruff format .
	$(UV) run --locked ruff check --fix .

typecheck: bootstrap
	$(UV) run --locked ty check lookervault

chaos: bootstrap
	LOOKERVAULT_CHAOS=long LOOKERVAULT_CHAOS_REPORT=.pytest_cache/chaos-report.json \
		$(UV) run --locked pytest tests/chaos -m "not benchmark" $(PYTEST_ARGS)

bench: bootstrap
	$(UV) run --locked python -m benchmarks

bench-smoke: bootstrap
	$(UV) run --locked python -m benchmarks --smoke

clean:
	rm -rf demo .pytest_cache .ruff_cache

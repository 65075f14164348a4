# jobwise: every target creates .venv and installs on first use, so each is one command.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev
RUN_STAMP := $(VENV)/.installed-run

.PHONY: help demo test regen unasync lint typecheck spec check-generated pytest record bench soak sim sim-mutants clean

help:
	@echo "make demo     start the emulator and run a real batch of ~200 jobs"
	@echo "make test     every check: lint, types, spec, generated/ freshness, pytest"
	@echo "make regen    regenerate generated/jobwise_api from openapi.yaml"
	@echo "make unasync  write the sync clients (jobwise/_sync) from their async source"
	@echo "make lint     ruff and mypy"
	@echo "make record   re-record the cassettes (emulator, or live API with its env vars)"
	@echo "make bench    benchmarks against writer-sdk and bare httpx (BENCH_ARGS=--quick)"
	@echo "make soak     5,000 jobs under faults and SIGKILLs, on servers that honour and ignore keys"
	@echo "make sim      SEEDS=N SEED=S schedules of the real engine in virtual time (SIM_MUTANT=name)"

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade 'pip>=25.1'  # 25.1 reads [dependency-groups]

# What the demo needs (the library, its CLI and the emulator); the checks need the dev group's
# tools too (pyproject.toml [dependency-groups]: never published with the package).
$(RUN_STAMP): pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e '.[cli,emulator]'
	@touch $@

$(STAMP): pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e '.[cli,emulator]' --group dev
	@touch $@ $(RUN_STAMP)

demo: $(RUN_STAMP)
	@scripts/demo

regen: $(STAMP)
	scripts/regen

lint: $(STAMP)
	$(BIN)/ruff check facade emulator tests scripts
	$(BIN)/ruff format --check facade emulator tests
	$(BIN)/mypy facade/jobwise emulator/jobwise_emulator

typecheck: lint

spec: $(STAMP)
	$(BIN)/openapi-spec-validator openapi.yaml

unasync: $(STAMP)
	$(BIN)/python scripts/unasync.py

# generated/ is exactly what `make regen` makes, and jobwise/_sync what `make unasync` makes.
check-generated: $(STAMP)
	scripts/check-generated
	$(BIN)/python scripts/unasync.py --check

# The network is blocked but for loopback (the emulator); cassettes replay, never record.
# Logic tests run in virtual time (tests/virtual.py); the live ones (sockets, processes,
# signals) mostly wait, so PYTEST_WORKERS of them (pytest-xdist) wait side by side, twice the
# cores of the 2-core machine the target is timed on.
PYTEST_WORKERS ?= 4
pytest: $(STAMP)
	$(BIN)/pytest -q -p no:cacheprovider --record-mode=none --block-network \
		--allowed-hosts=127.0.0.1,localhost,::1 -n $(PYTEST_WORKERS)

# Re-record every cassette: against a fresh emulator, or the live API when WRITER_API_KEY,
# WRITER_BASE_URL and WRITER_APP_ID are set.
record: $(STAMP)
	$(BIN)/pytest -q -p no:cacheprovider tests/test_cassettes.py --record-mode=rewrite

# Two checks at a time, each one's output in one piece: pytest's live tests mostly wait on
# sockets and timers while the simulator's schedules keep a core busy. Longest first.
test: $(STAMP)
	@$(MAKE) --no-print-directory -j2 -Otarget pytest sim sim-mutants lint spec check-generated

$(VENV)/.installed-bench: $(STAMP)
	$(BIN)/python -m pip install --quiet --group bench
	@touch $@

# Every contender on emulators started alike, in one run; BENCH_ARGS=--quick for a few minutes.
bench: $(VENV)/.installed-bench
	$(BIN)/python scripts/bench.py $(BENCH_ARGS)

# 5,000 jobs under injected faults, the client SIGKILLed 3 times and resumed, against a server
# that honours Idempotency-Key and one that ignores it (tests run a short one).
soak: $(STAMP)
	$(BIN)/python scripts/soak.py $(SOAK_ARGS)

# The real engine against the emulator app in virtual time, one seed a schedule (tests/sim).
SEEDS ?= 1000
SEED ?= 0
sim: $(STAMP)
	$(BIN)/python -m tests.sim --seeds $(SEEDS) --seed $(SEED) $(if $(SIM_MUTANT),--mutant $(SIM_MUTANT))

# Each planted bug of tests/sim/mutants.py must be caught within the seeds make test runs (a
# seed that fails without the bug too does not count).
MUTANTS := resend-lost-blindly commit-send-after-it-leaves adopt-one-of-two \
	window-on-client-clock reset-after-send-as-never-sent known-jobs-not-excluded
sim-mutants: $(STAMP)
	@for m in $(MUTANTS); do \
		$(BIN)/python -m tests.sim --seeds 1000 --mutant $$m --expect-caught || exit 1; \
	done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

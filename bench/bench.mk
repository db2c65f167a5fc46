# bench/bench.mk -- the benchmark harness (included by the top-level Makefile).
#
#   make bench                  N=1000000 events: run.py (civic-score against the
#                               DuckDB, mawk, sqlite3, python-csv, pandas and wc -l
#                               baselines) and api_bench
#   make bench N=10000000       the same on 10M events (~715 MB of CSV)
#   make bench-smoke            a quick end-to-end pass on 20,000 events
#   make bench-clean            remove the generated logs in bench/out/
#   make bench-setup            npm install of the DuckDB baseline into
#                               bench/node_modules (bench only: `make test`
#                               never needs npm, node or DuckDB)
#   make bench-lean             the lean log of issue 18 (gen -f lean), N
#                               events: run.py with paired runs against
#                               DuckDB, mawk and sqlite3 (LEAN_ONLY= for every
#                               baseline) (PAIRS), CPU per event pinned to one
#                               core (PINNED) and callgrind instructions per
#                               event on the 1M-event lean log
#   make bench-api-lean         api_bench on the lean log: add into engines
#                               of several sizes, the busiest subject's query
#
# Variables: N (events), SEED (generator seed, 42), REPEAT (timed rounds, 3),
# PAIRS (5), PINNED (3), PYTHON (python3).  Logs are generated once per
# (N, SEED) into bench/out/.  Nothing here is added to TEST_TARGETS: tests
# never time anything.

BENCH_N      := $(or $(N),1000000)
BENCH_SEED   := $(or $(SEED),42)
BENCH_REPEAT := $(or $(REPEAT),3)
BENCH_PYTHON := $(or $(PYTHON),python3)
BENCH_OUT    := bench/out
BENCH_GEN    := $(B)/bench/gen
BENCH_API    := $(B)/bench/api_bench
BENCH_LOG    := $(BENCH_OUT)/events-$(BENCH_N)-$(BENCH_SEED)
BENCH_PAIRS  := $(or $(PAIRS),5)
BENCH_PINNED := $(or $(PINNED),3)
BENCH_LEAN   := $(BENCH_OUT)/lean-$(BENCH_N)-$(BENCH_SEED)
BENCH_LEAN1M := $(BENCH_OUT)/lean-1000000-$(BENCH_SEED)
# The methods of bench-lean: issue 18's baselines (LEAN_ONLY= for every one).
LEAN_ONLY    ?= civic-score,duckdb,mawk,sqlite3,wc -l

.PHONY: bench bench-smoke bench-clean bench-tools bench-setup bench-lean bench-api-lean

$(B)/bench:
	mkdir -p $@

$(BENCH_GEN): bench/gen.c | $(B)/bench
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ bench/gen.c

$(BENCH_API): bench/api_bench.c include/civic.h $(STATIC) | $(B)/bench
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ bench/api_bench.c $(STATIC) $(LDLIBS)

bench-tools: $(BENCH_GEN) $(BENCH_API) $(CLI)

$(BENCH_OUT)/events-%.csv: $(BENCH_GEN)
	@mkdir -p $(BENCH_OUT)
	$(BENCH_GEN) -n $(word 1,$(subst -, ,$*)) -s $(word 2,$(subst -, ,$*)) -f csv \
	    -o $@ -r $(BENCH_OUT)/events-$*.rules.toml

# The lean log and its rules (the same 40 rules as the default log).
$(BENCH_OUT)/lean-%.csv: $(BENCH_GEN)
	@mkdir -p $(BENCH_OUT)
	$(BENCH_GEN) -n $(word 1,$(subst -, ,$*)) -s $(word 2,$(subst -, ,$*)) -f lean \
	    -o $@ -r $(BENCH_OUT)/lean-$*.rules.toml

$(BENCH_OUT)/events-%.jsonl: $(BENCH_GEN)
	@mkdir -p $(BENCH_OUT)
	$(BENCH_GEN) -n $(word 1,$(subst -, ,$*)) -s $(word 2,$(subst -, ,$*)) -f jsonl -o $@

bench: bench-tools $(BENCH_LOG).csv $(BENCH_LOG).jsonl
	$(BENCH_PYTHON) bench/run.py $(BENCH_LOG).csv -r $(BENCH_LOG).rules.toml \
	    --jsonl $(BENCH_LOG).jsonl --civic $(CLI) --repeat $(BENCH_REPEAT) \
	    --json $(BENCH_LOG).results.json
	$(BENCH_API) -r $(BENCH_LOG).rules.toml $(BENCH_LOG).csv

bench-smoke: bench-tools $(BENCH_OUT)/events-20000-1.csv $(BENCH_OUT)/events-20000-1.jsonl
	$(BENCH_PYTHON) bench/run.py $(BENCH_OUT)/events-20000-1.csv \
	    -r $(BENCH_OUT)/events-20000-1.rules.toml --jsonl $(BENCH_OUT)/events-20000-1.jsonl \
	    --civic $(CLI) --repeat 1
	$(BENCH_API) -r $(BENCH_OUT)/events-20000-1.rules.toml -q 100 \
	    $(BENCH_OUT)/events-20000-1.csv

bench-clean:
	rm -rf $(BENCH_OUT)

# DuckDB from npm, for run.py's duckdb baseline only (bench/package.json and
# its lock; bench/node_modules is not tracked).
bench-setup:
	@command -v npm >/dev/null 2>&1 || { echo "bench-setup: npm is missing (apt-get install -y npm)" >&2; exit 1; }
	cd bench && npm ci --no-audit --no-fund

bench-lean: bench-tools $(BENCH_LEAN).csv $(BENCH_LEAN1M).csv
	$(BENCH_PYTHON) bench/run.py $(BENCH_LEAN).csv -r $(BENCH_LEAN).rules.toml \
	    --civic $(CLI) $(if $(LEAN_ONLY),--only "$(LEAN_ONLY)") \
	    --repeat $(BENCH_REPEAT) --pairs $(BENCH_PAIRS) \
	    --pinned $(BENCH_PINNED) --callgrind --callgrind-log $(BENCH_LEAN1M).csv \
	    --json $(BENCH_LEAN).results.json

bench-api-lean: bench-tools $(BENCH_LEAN).csv
	$(BENCH_API) -r $(BENCH_LEAN).rules.toml --sizes --busiest $(BENCH_LEAN).csv

# examples/dask -- score event logs on a Dask cluster (issue 8).
#
#   make test-dask     civic_dask.py against civic-score on sample.csv and a
#                      generated 200,000-event log (LocalCluster, 2 workers)
#   make dask-demo     the sample log, scored on a local Dask cluster
#
# Dask comes from Debian (python3-dask, python3-distributed, installed by
# `make deps` with every other test package) for /usr/bin/python3 -- not
# necessarily the python3 first on PATH, so the test runs with the first
# interpreter that has it.

DASK_PKGS := python3-dask python3-distributed

# The first interpreter that has dask.distributed, empty if none.
dask_python = for p in python3 /usr/bin/python3; do \
	  if $$p -c 'import dask.distributed' >/dev/null 2>&1; then echo $$p; break; fi; done

TEST_TARGETS += test-dask
.PHONY: test-dask dask-demo

test-dask: lib $(CLI) | deps
	@py=$$($(dask_python)); \
	if [ -z "$$py" ]; then \
	  echo "test-dask: dask is not installed (make deps, or sudo apt-get update && sudo apt-get install -y $(DASK_PKGS))" >&2; \
	  exit 1; \
	fi; \
	echo "$$py examples/dask/test_dask.py"; \
	CIVIC_LIBRARY=$(CURDIR)/$(B)/$(SONAME) $$py examples/dask/test_dask.py

dask-demo: lib $(CLI)
	@py=$$($(dask_python)); \
	if [ -z "$$py" ]; then echo "dask is not installed: sudo apt-get update && sudo apt-get install -y $(DASK_PKGS)"; exit 1; fi; \
	$$py examples/dask/civic_dask.py --workers 2 --groups 2 -o - examples/data/sample.csv

# A benchmark, not a test (never in TEST_TARGETS): civic_dask.py end to end
# on a 2-worker LocalCluster against civic-score alone, on bench/gen's lean
# log of DASK_N events (default 1,000,000): events/s per core, CPU per
# event, byte-identical output.  REPEAT=N rounds; DASK_AGAINST=OTHER.py also
# runs another civic_dask.py (an older version, kept two directories deep
# such as bench/out/civic_dask_before.py) in every round, in alternating
# order, and prints the medians of the paired ratios.  DASK_PROCESSES=1:
# civic_dask.py's workers in processes of their own instead of threads.
DASK_N := $(or $(DASK_N),1000000)
.PHONY: dask-bench
dask-bench: lib $(CLI) bench/out/lean-$(DASK_N)-42.csv
	@py=$$($(dask_python)); \
	if [ -z "$$py" ]; then echo "dask is not installed: sudo apt-get update && sudo apt-get install -y $(DASK_PKGS)"; exit 1; fi; \
	CIVIC_LIBRARY=$(CURDIR)/$(B)/$(SONAME) $$py examples/dask/bench_dask.py \
	    bench/out/lean-$(DASK_N)-42.csv -r bench/out/lean-$(DASK_N)-42.rules.toml \
	    --workers 2 --repeat $(or $(REPEAT),1) --json bench/out/dask-$(DASK_N).results.json \
	    $(if $(DASK_AGAINST),--against $(DASK_AGAINST)) $(if $(DASK_PROCESSES),--processes)

# examples/dask -- score event logs on a Dask cluster (issue 8).
#
#   make test-dask     civic_dask.py against civic-score on sample.csv and a
#                      generated 200,000-event log (LocalCluster, 2 workers)
#   make dask-demo     the sample log, scored on a local Dask cluster
#
# Dask is optional: it comes from Debian (python3-dask, python3-distributed),
# which installs it for /usr/bin/python3 -- not necessarily the python3 first
# on PATH.  When it is missing, test-dask installs it as root (apt-get) and
# otherwise prints that the test is skipped and succeeds.

DASK_PKGS := python3-dask python3-distributed

# The first interpreter that has dask.distributed, empty if none.
dask_python = for p in python3 /usr/bin/python3; do \
	  if $$p -c 'import dask.distributed' >/dev/null 2>&1; then echo $$p; break; fi; done

TEST_TARGETS += test-dask
.PHONY: test-dask dask-demo

test-dask: lib $(CLI)
	@py=$$($(dask_python)); \
	if [ -z "$$py" ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing missing test dependency: $(DASK_PKGS)"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y -q $(DASK_PKGS) >/dev/null 2>&1 || \
	    { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q $(DASK_PKGS) >/dev/null 2>&1; }; \
	  py=$$($(dask_python)); \
	fi; \
	if [ -z "$$py" ]; then \
	  echo "test-dask: SKIPPED -- dask is not installed (sudo apt-get install -y $(DASK_PKGS))"; \
	  exit 0; \
	fi; \
	echo "$$py examples/dask/test_dask.py"; \
	CIVIC_LIBRARY=$(CURDIR)/$(B)/$(SONAME) $$py examples/dask/test_dask.py

dask-demo: lib $(CLI)
	@py=$$($(dask_python)); \
	if [ -z "$$py" ]; then echo "dask is not installed: sudo apt-get install -y $(DASK_PKGS)"; exit 1; fi; \
	$$py examples/dask/civic_dask.py --workers 2 --groups 2 -o - examples/data/sample.csv

# Differential test of the C engine against the independent Python reference
# model (tests/model/civic_model.py).  Included by the top-level Makefile, which
# defines CLI and TEST_TARGETS.
#
#   make test-diff                  model unit tests, then 1000 random cases
#   make difftest-long SECONDS=3600 random cases until the time is up
#   make test-diff DIFFTEST_SEED=7  another sequence of cases

PYTHON        ?= python3
SECONDS       ?= 600
DIFFTEST_SEED ?= 1

TEST_TARGETS += test-diff

.PHONY: test-diff difftest-long
test-diff: $(CLI)
	$(PYTHON) tests/test_model.py
	$(PYTHON) tests/difftest.py --cli $(CLI) --seed $(DIFFTEST_SEED) --cases 1000

difftest-long: $(CLI)
	$(PYTHON) tests/test_model.py
	$(PYTHON) tests/difftest.py --cli $(CLI) --seed $(DIFFTEST_SEED) --long $(SECONDS)

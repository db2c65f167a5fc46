# bindings/python/python.mk -- the ctypes binding's tests, included by the
# top-level Makefile (which defines B, SHARED, CLI and TEST_TARGETS).
#
#   make test-python    run bindings/python/tests against build/libcivic.so.1
#                       and build/civic-score
#
# The binding finds build/libcivic.so.1 by itself (civic/_capi.py); the
# variables below only make the choice explicit.  Override PYTHON to test
# another interpreter.

PYTHON ?= python3

TEST_TARGETS += test-python
.PHONY: test-python

test-python: lib $(CLI)
	cd bindings/python && CIVIC_LIBRARY=$(CURDIR)/$(B)/libcivic.so.$(SOVERSION) \
	    CIVIC_SCORE=$(CURDIR)/$(CLI) $(PYTHON) -m unittest discover -s tests -v

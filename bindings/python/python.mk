# bindings/python/python.mk -- the ctypes binding's tests, included by the
# top-level Makefile (which defines B, SHARED, CLI and TEST_TARGETS).
#
#   make test-python          run bindings/python/tests against
#                             build/libcivic.so.1 and build/civic-score; the
#                             pandas test also runs under the first interpreter
#                             that has pandas (Debian's is /usr/bin/python3)
#   make test-python-install  pip install ./bindings/python into a venv in
#                             /tmp, offline, and use it from /tmp
#
# The binding finds build/libcivic.so.1 by itself (civic/_capi.py); the
# variables below only make the choice explicit.  Override PYTHON to test
# another interpreter.

PYTHON ?= python3

TEST_TARGETS += test-python test-python-install
.PHONY: test-python test-python-install

# The first interpreter that has pandas, empty if none.
pandas_python = for p in $(PYTHON) /usr/bin/python3; do \
	  if $$p -c 'import pandas' >/dev/null 2>&1; then echo $$p; break; fi; done

test-python: lib $(CLI) | deps
	cd bindings/python && CIVIC_LIBRARY=$(CURDIR)/$(B)/libcivic.so.$(SOVERSION) \
	    CIVIC_SCORE=$(CURDIR)/$(CLI) $(PYTHON) -m unittest discover -s tests -v
	@py=$$($(pandas_python)); \
	if [ -z "$$py" ]; then echo "test-python: no interpreter has pandas (make deps)" >&2; exit 1; fi; \
	echo "$$py: TestVocabulary (pandas)"; \
	cd bindings/python/tests && CIVIC_LIBRARY=$(CURDIR)/$(B)/libcivic.so.$(SOVERSION) \
	    CIVIC_SCORE=$(CURDIR)/$(CLI) $$py -m unittest -q test_civic.TestVocabulary

test-python-install: lib | deps
	sh bindings/python/test-install.sh $(PYTHON)

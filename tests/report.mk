# tests/report.mk -- the top-level Makefile includes tests/*.mk but not
# tests/*/*.mk: this one line brings in the browser test of the public
# notice page (make test-report), which lives with its files in tests/report/.
include tests/report/report.mk

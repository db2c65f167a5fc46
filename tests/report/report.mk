# tests/report/report.mk -- the public notice page (SPEC 11.5) in a browser.
# Included by the top-level Makefile (which defines B, CLI, SONAME, PYTHON
# and TEST_TARGETS).
#
#   make test-report    render `civic-score -f html` pages (the sample log at
#                       --groups 2, the same with --min-group 11, and a small
#                       hand-counted log) in headless Chromium; check the DOM
#                       (groups, bar counts, suppressed groups, hidden names,
#                       lists, nothing external, no script) and the screenshot.
#                       About two to three minutes; every Chromium run is bounded.
#
# Chromium comes from `make deps` (tests/deps.sh).  REPORT_KEEP=DIR keeps
# the pages and screenshots.

PYTHON   ?= python3
CHROMIUM ?= /usr/bin/chromium

TEST_TARGETS += test-report
.PHONY: test-report

test-report: lib $(CLI) | deps
	$(PYTHON) tests/report/test_report_page.py --cli $(CLI) --library $(B)/$(SONAME) \
	    --chromium $(CHROMIUM) $(if $(REPORT_KEEP),--keep $(REPORT_KEEP))

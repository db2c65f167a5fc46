# tests/tests.mk -- the C test suite (cmocka) and the CLI golden tests.
#
# Every tests/test_*.c is one cmocka executable linked against the static
# library (so internal symbols are reachable from white-box tests through
# lib/internal.h).  `make test-c` builds and runs them all; the CLI goldens
# run the real civic-score binary on files in tests/cli/.

TEST_SRC := $(sort $(wildcard tests/test_*.c))
TEST_BIN := $(patsubst tests/%.c,$(B)/tests/%,$(TEST_SRC))

TEST_TARGETS += test-c test-cli

.PHONY: test-c test-cli

$(B)/tests/%: tests/%.c tests/support.h $(STATIC) | deps $(B)/tests
	$(CC) -Ilib $(ALL_CFLAGS) -Wno-conversion $(LDFLAGS) -o $@ $< $(STATIC) -lcmocka $(LDLIBS)

test-c: $(TEST_BIN)
	@for t in $(TEST_BIN); do $$t || exit 1; done

test-cli: $(CLI)
	@sh tests/cli/run.sh $(CLI)

# One vocabulary (docs/answers.md): civic-score's JSON, the Python binding's
# to_dict() and, when `make` builds the service (SERVER=), its JSON, compared
# field by field on the same logs (tests/vocabulary/test_vocabulary.py).
TEST_TARGETS += test-vocabulary
.PHONY: test-vocabulary
VOCAB_SERVER := $(if $(SERVER_BUILT),$(SERVER_BIN))
test-vocabulary: lib $(CLI) $(VOCAB_SERVER)
	$(PYTHON) tests/vocabulary/test_vocabulary.py --cli $(CLI) --library $(B)/$(SONAME) \
	    $(if $(VOCAB_SERVER),--server $(VOCAB_SERVER))

# Every relative link of README.md and docs/*.md resolves inside the repository
# (file and #heading); nothing points at files outside it.
TEST_TARGETS += check-links check-man3
.PHONY: check-links check-man3
check-links:
	$(PYTHON) tests/check-links.py

# libcivic(3) names every function lib/civic.map exports (make install gives
# each a page that opens it), and names no function that is not exported.
check-man3: | deps
	@missing=; for f in $(MAN3_FUNCS); do grep -qw "$$f" $(MAN3) || missing="$$missing $$f"; done; \
	extra=$$(grep -o 'civic_[a-z0-9_]*' $(MAN3) | sort -u | grep -vxF "$$(echo $(MAN3_FUNCS) | \
	    tr ' ' '\n')" | grep -v '^civic_error$$' | tr '\n' ' '); \
	if [ -n "$$missing$$extra" ]; then echo "check-man3: $(MAN3) lacks:$$missing;" \
	    "names what is not exported: $$extra" >&2; exit 1; fi; \
	echo "check-man3: $(MAN3) names all $(words $(MAN3_FUNCS)) exported functions"
	@# Each page at 80 columns, as man shows it on a terminal that wide: no
	@# line too long to fit (groff's warning), and no word hyphenated at a line
	@# end (an option, a file name or a CSV header would be copied with U+2010).
	@for f in $(MAN1) $(MAN3) $(MAN8); do \
	    warn=$$(groff -man -Tutf8 -rLL=80n -ww -z $$f 2>&1); \
	    if [ -n "$$warn" ]; then echo "check-man3: $$f at 80 columns: $$warn" >&2; exit 1; fi; \
	    cut=$$(groff -man -Tutf8 -rLL=80n $$f 2>/dev/null | grep -n '‐$$' | head -3); \
	    if [ -n "$$cut" ]; then echo "check-man3: $$f hyphenates at a line end: $$cut" >&2; exit 1; fi; \
	    wide=$$(groff -man -Tutf8 -rLL=80n -P-cbou $$f 2>/dev/null | $(PYTHON) -c \
	        'import sys; [print(n, l) for n, l in enumerate(sys.stdin, 1) if len(l) > 81]' | \
	        head -3); \
	    if [ -n "$$wide" ]; then echo "check-man3: $$f has lines past 80 columns" \
	        "(an example not folded?): $$wide" >&2; exit 1; fi; \
	done; echo "check-man3: $(MAN1), $(MAN3) and $(MAN8) fit 80 columns, nothing hyphenated"

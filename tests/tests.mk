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
	$(CC) $(ALL_CFLAGS) -Wno-conversion -Ilib -o $@ $< $(STATIC) -lcmocka $(LDLIBS)

test-c: $(TEST_BIN)
	@for t in $(TEST_BIN); do $$t || exit 1; done

test-cli: $(CLI)
	@sh tests/cli/run.sh $(CLI)

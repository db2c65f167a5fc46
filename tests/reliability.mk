# tests/reliability.mk -- allocation failure, limits, threads, fuzzing,
# sanitizers and valgrind (issue 5).
#
#   make asan            the library and every tests/test_*.c with ASan+UBSan
#                        in $(B)/asan, then run them (part of `make test`)
#   make test-fuzz-replay  rerun every committed corpus file through each fuzz
#                        harness, built with gcc + ASan/UBSan (part of `make test`)
#   make tsan            the library, tests/test_threads.c and tests/test_cache.c
#                        with clang -fsanitize=thread in $(B)/tsan, run with
#                        halt_on_error=1 (part of `make test` as test-tsan: bulk
#                        loads run a pipeline of threads that read tables while
#                        one writes; queries share cached folds)
#   make valgrind        every test binary of the normal build, and the fuzz
#                        corpus replay, under valgrind (leak check, zero errors)
#   make helgrind        tests/test_threads.c under valgrind's helgrind, and
#   make drd             under drd, with the suppressions of lib/libcivic.supp
#                        (what they cannot know of __atomic), failing on any
#                        report; VALGRIND_SUPP= runs them without the file.  Not
#                        part of `make test`, which has ThreadSanitizer for the
#                        races themselves: they take minutes (helgrind about 7,
#                        drd about 5 on two cores)
#   make fuzz SECONDS=N  each libFuzzer harness (clang, fuzzer+ASan+UBSan) for N
#                        seconds (default 60); new inputs go to
#                        $(B)/libfuzzer/corpus/HARNESS, crashes to
#                        $(B)/libfuzzer/crashes/HARNESS; the committed corpus in
#                        tests/fuzz/corpus/HARNESS is read, never written
#   make fuzz-HARNESS    one harness (rules, csv, jsonl, api, api2, snapshot, parallel, every other
#                        tests/fuzz/fuzz_HARNESS.c), same variables
#
# The sanitizer builds are the ordinary rules run again by a sub-make with
# another build directory (B=...) and EXTRA_CFLAGS, which ALL_CFLAGS passes to
# both compiling and linking.  Only the static library, which the tests link,
# is built there.

CLANG      ?= clang
SAN_FLAGS  := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
ASAN_B     := $(B)/asan
TSAN_B     := $(B)/tsan
FUZZ_B     := $(B)/libfuzzer
SECONDS    ?= 60
FUZZ_FLAGS ?= -timeout=30 -rss_limit_mb=2048
# Longest input per harness: long enough for many lines or operations,
# short enough to keep thousands of runs a second possible.
FUZZ_MAX_LEN_rules := 8192
FUZZ_MAX_LEN_csv   := 4096
FUZZ_MAX_LEN_jsonl := 4096
FUZZ_MAX_LEN_api   := 1024
FUZZ_MAX_LEN_api2  := 1024
FUZZ_MAX_LEN_snapshot := 65536
# parallel: five control bytes and a payload it places in a large input
FUZZ_MAX_LEN_parallel := 2048
# Every tests/fuzz/fuzz_NAME.c is a harness with its corpus in tests/fuzz/corpus/NAME.
FUZZ_HARNESSES := $(patsubst tests/fuzz/fuzz_%.c,%,$(sort $(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_HDR   := tests/fuzz/fuzz_common.h tests/fuzz/fuzz_load.h
# ASan's leak checker runs at exit; UBSan stops at the first report.
SAN_ENV    := ASAN_OPTIONS=detect_leaks=1:strict_string_checks=1 \
              UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
VALGRIND   := valgrind -q --leak-check=full --errors-for-leak-kinds=all --error-exitcode=1
# The harnesses keep their rules in statics for the whole run (still
# reachable at exit, by design); every other kind of leak is an error.
VALGRIND_REPLAY := valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect,possible \
              --error-exitcode=1

TEST_TARGETS += test-asan test-fuzz-replay test-tsan

.PHONY: asan test-asan tsan test-tsan valgrind helgrind drd fuzz fuzz-lib fuzz-replay \
        test-fuzz-replay $(addprefix fuzz-,$(FUZZ_HARNESSES))

# tests.mk is read after this fragment, so name the binaries here too.
REL_TEST_BIN := $(patsubst tests/%.c,$(B)/tests/%,$(sort $(wildcard tests/test_*.c)))
$(filter %/test_oom %/test_limits %/test_threads,$(REL_TEST_BIN)): tests/alloc_fail.h
# pread and fstat fail on request there (a read error is not a torn write)
$(filter %/test_io_fail,$(REL_TEST_BIN)): LDLIBS += -Wl,--wrap=pread -Wl,--wrap=fstat -Wl,--wrap=fsync -Wl,--wrap=fcntl

# ------------------------------------------------------------ ASan + UBSan

asan: test-asan
test-asan:
	@$(SAN_ENV) $(MAKE) --no-print-directory B=$(ASAN_B) OPT=-O1 EXTRA_CFLAGS='$(SAN_FLAGS)' test-c
	@echo "test-asan: every C test passed under ASan+UBSan"

# ------------------------------------------------------------ fuzz replay

FUZZ_REPLAY_BIN := $(patsubst %,$(B)/fuzz-replay/replay_%,$(FUZZ_HARNESSES))

$(B)/fuzz-replay:
	mkdir -p $@

$(B)/fuzz-replay/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $(FUZZ_HDR) $(STATIC) | $(B)/fuzz-replay
	$(CC) $(ALL_CFLAGS) -Wno-conversion $(LDFLAGS) -o $@ tests/fuzz/fuzz_$*.c tests/fuzz/replay.c \
	    $(STATIC) $(LDLIBS)

# Replay with whatever build B and EXTRA_CFLAGS say (plain gcc by default).
fuzz-replay: $(FUZZ_REPLAY_BIN)
	@for h in $(FUZZ_HARNESSES); do mkdir -p tests/fuzz/corpus/$$h; \
	    $(B)/fuzz-replay/replay_$$h tests/fuzz/corpus/$$h || exit 1; done

test-fuzz-replay:
	@$(SAN_ENV) $(MAKE) --no-print-directory B=$(ASAN_B) OPT=-O1 EXTRA_CFLAGS='$(SAN_FLAGS)' fuzz-replay

# ------------------------------------------------------------ ThreadSanitizer

test-tsan: | deps
	@$(MAKE) --no-print-directory tsan
	@echo "test-tsan: the thread tests passed under ThreadSanitizer"

tsan:
	@$(MAKE) --no-print-directory B=$(TSAN_B) CC=$(CLANG) \
	    EXTRA_CFLAGS='-fsanitize=thread -fno-omit-frame-pointer' $(TSAN_B)/tests/test_threads \
	    $(TSAN_B)/tests/test_cache
	TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 CIVIC_TEST_THREADS_BIG=1 \
	    $(TSAN_B)/tests/test_threads
	TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 $(TSAN_B)/tests/test_cache

# ------------------------------------------------------------ valgrind

valgrind: $(REL_TEST_BIN) $(FUZZ_REPLAY_BIN) | deps
	@for t in $(REL_TEST_BIN); do echo "valgrind $$t"; \
	    CIVIC_TEST_UNDER_VALGRIND=1 $(VALGRIND) $$t >/dev/null || { echo "valgrind: $$t failed"; exit 1; }; done
	@for h in $(FUZZ_HARNESSES); do echo "valgrind replay_$$h"; \
	    $(VALGRIND_REPLAY) $(B)/fuzz-replay/replay_$$h tests/fuzz/corpus/$$h >/dev/null || exit 1; done
	@echo "valgrind: every test binary and the fuzz corpus replay ran clean"

# ------------------------------------------------------------ helgrind, drd

# The thread tests under each race detector, with the suppression file a
# host running its own program under them is told to use (libcivic(3)):
# every report fails, so a report the file does not cover, or a renamed
# function it names, is found here.
VALGRIND_SUPP ?= lib/libcivic.supp
RACE_CHECK = CIVIC_TEST_UNDER_VALGRIND=1 valgrind -q --tool=$(1) --error-exitcode=1 \
	    $(if $(VALGRIND_SUPP),--suppressions=$(VALGRIND_SUPP)) $(B)/tests/test_threads >/dev/null

helgrind drd: $(B)/tests/test_threads | deps
	$(call RACE_CHECK,$@)
	@echo "$@: the thread tests ran without a report ($(or $(VALGRIND_SUPP),no suppressions))"

# ------------------------------------------------------------ libFuzzer

fuzz-lib:
	@$(MAKE) --no-print-directory B=$(FUZZ_B) CC=$(CLANG) \
	    EXTRA_CFLAGS='-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer' \
	    $(FUZZ_B)/libcivic.a

$(FUZZ_B)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_HDR) fuzz-lib
	$(CLANG) -std=c11 -D_POSIX_C_SOURCE=200809L -O1 -g -Iinclude \
	    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer \
	    -o $@ $< $(FUZZ_B)/libcivic.a $(LDLIBS)

# Run one harness: new inputs into the scratch corpus (first directory).
define fuzz_run
@mkdir -p $(FUZZ_B)/corpus/$(1) $(FUZZ_B)/crashes/$(1)
$(FUZZ_B)/fuzz_$(1) -max_total_time=$(SECONDS) -dict=tests/fuzz/civic.dict \
	    -artifact_prefix=$(FUZZ_B)/crashes/$(1)/ -print_final_stats=1 -max_len=$(or $(FUZZ_MAX_LEN_$(1)),4096) $(FUZZ_FLAGS) \
	    $(FUZZ_B)/corpus/$(1) tests/fuzz/corpus/$(1)
endef

$(addprefix fuzz-,$(FUZZ_HARNESSES)): fuzz-%: $(FUZZ_B)/fuzz_%
	$(call fuzz_run,$*)

fuzz: $(addprefix fuzz-,$(FUZZ_HARNESSES))

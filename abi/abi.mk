# abi/abi.mk -- the ABI and build gates of libcivic (issue 4).  Included by the
# top-level Makefile, which defines VERSION, SOVERSION, REALNAME, SONAME,
# SHARED, STATIC, CLI, B, CC, ALL_CFLAGS, LDLIBS, TEST_TARGETS and the target
# deps (every package the checks use: tests/deps.sh).
#
#   make check-exports   header (CIVIC_API), lib/civic.map (global:) and the
#                        exported symbols of the .so (nm -D) name the same
#                        functions; every export is civic_* in a CIVIC_1.x node
#   make check-abi       abidiff of the built .so against the release baseline
#                        abi/libcivic.so.$(SOVERSION).abi (+ .macros, the header's
#                        constants): fails on a removed or changed function, a
#                        struct layout change other than a field appended to a
#                        versioned struct, a function added to a released map
#                        node, a changed constant; notes added functions
#   make abi-baseline    regenerate that baseline -- AT A RELEASE ONLY (abi/README.md)
#   make check-cxx       civic.h and every _INIT macro compile clean as C11/C99
#                        and C++11 (gcc and clang; clang with -Wdocumentation,
#                        C++ with -Wold-style-cast); a C++ program links
#                        libcivic.so and runs
#   make check-consumer  make install into a staging DESTDIR, build
#                        tests/consumer/consumer.c with pkg-config (shared and
#                        static), run both, check the files, make uninstall
#   make check-warnings  the library and examples with gcc and clang at -Werror,
#                        in build/gcc and build/clang
#   make check-build-flags  CPPFLAGS, CFLAGS, EXTRA_CFLAGS, LDFLAGS, AR and
#                        PKG_CONFIG reach every compile and link (make -n)
#   make check-32bit     without __int128 (32-bit targets) the library stops
#                        saying a 64-bit target is needed; civic.h compiles -m32
#
# All outputs go under $(B)/abi, $(B)/build-flags and $(B)/gcc, $(B)/clang; nothing in the source
# tree is written except by abi-baseline.

ABI_BASELINE := abi/libcivic.so.$(SOVERSION).abi
ABI_SUPPR    := abi/suppressions.txt
ABI_OUT      := $(B)/abi
ABI_CURRENT  := $(ABI_OUT)/libcivic.so.$(SOVERSION).abi
# The header's constants (status codes, kinds, states, flags, limits) are ABI
# too, but invisible to abidiff: they are frozen in a second baseline file.
ABI_MACROS   := abi/libcivic.so.$(SOVERSION).macros
ABI_MACROS_CURRENT := $(ABI_OUT)/libcivic.so.$(SOVERSION).macros
ABIDW        ?= abidw
ABIDIFF      ?= abidiff
# --headers-dir keeps types that are not in the public header out of the dump;
# --no-corpus-path and --no-comp-dir-path keep the build path out of the
# committed file.
ABIDW_FLAGS  := --no-corpus-path --no-comp-dir-path --headers-dir include --drop-private-types

CONSUMER_DIR := tests/consumer
HDR_CFLAGS   := -Wall -Wextra -Wpedantic -Werror -Iinclude
# C++ callers may refuse C casts; clang also reads the doc comments (below).
HDR_CXXFLAGS := $(HDR_CFLAGS) -Wold-style-cast
HDR_DOC      := -Wdocumentation -Wdocumentation-unknown-command
# Compilers for the header checks: $(CC)/$(CXX) plus gcc and clang when present.
HDR_CCS      := $(sort $(CC) $(shell command -v gcc >/dev/null 2>&1 && echo gcc) \
                  $(shell command -v clang >/dev/null 2>&1 && echo clang))
HDR_CXXS     := $(sort $(CXX) $(shell command -v g++ >/dev/null 2>&1 && echo g++) \
                  $(shell command -v clang++ >/dev/null 2>&1 && echo clang++))

# Goals that check-warnings builds in each compiler's directory.  `all` holds
# the library, civic-score and every example a fragment adds to it (the
# server); a program outside `all` is appended here by its fragment.
CHECK_WARNINGS_GOALS += all
CHECK_WARNINGS_CCS   ?= gcc clang

TEST_TARGETS += check-exports check-abi check-consumer check-cxx check-warnings

.PHONY: check-exports check-abi abi-baseline check-cxx check-consumer \
        check-warnings

$(ABI_OUT):
	mkdir -p $@

# ---------------------------------------------------------------- exports --

check-exports: $(SHARED) include/civic.h lib/civic.map
	@sh abi/check-exports.sh include/civic.h lib/civic.map $(SHARED)

# -------------------------------------------------------------------- abi --

# abidw needs DWARF: a library built without -g would give a symbols-only dump
# that hides every type change, so refuse it.
define abi_dump
	@if ! readelf -S $(SHARED) | grep -q '\.debug_info'; then \
	    echo "abi: $(SHARED) has no debug info; build it with -g (CFLAGS)"; exit 1; fi
	$(ABIDW) $(ABIDW_FLAGS) --out-file $(1) $(SHARED)
endef

# The CIVIC_* macros of the header, as the preprocessor sees them, minus those
# that move by design: the release version, the _INIT initializers (they grow
# with their struct), the guard and CIVIC_API.  Struct _VERSIONs are kept:
# check-abi.sh lets them grow, and requires it of a struct that grew.
define abi_macros
	$(CC) -dM -E -x c include/civic.h | grep '^#define CIVIC_[A-Z0-9_]*[ (]' | \
	    grep -Ev '^#define (CIVIC_H|CIVIC_API|CIVIC_VERSION(_MINOR|_PATCH|_NUMBER)?|CIVIC_[A-Z0-9_]*_INIT) ' | \
	    LC_ALL=C sort > $(1)
endef

# Regenerated only when a release is tagged (see abi/README.md), from the
# release build: make clean && make abi-baseline.
abi-baseline: $(SHARED) | deps
	$(call abi_dump,$(ABI_BASELINE))
	$(call abi_macros,$(ABI_MACROS))
	@echo "abi-baseline: wrote $(ABI_BASELINE) and $(ABI_MACROS) from $(SHARED) ($(VERSION));"
	@echo "  commit them with the release"

# abi/check-abi.sh reads abidiff's exit status (a bit set: 1 tool error, 2
# usage error, 4 ABI change, 8 incompatible change) and its summary: any
# removed or changed function fails, added functions pass with a note.
check-abi: $(SHARED) | deps $(ABI_OUT)
	@test -f $(ABI_BASELINE) || { echo "check-abi: no baseline $(ABI_BASELINE); run make abi-baseline at a release"; exit 1; }
	$(call abi_dump,$(ABI_CURRENT))
	@$(call abi_macros,$(ABI_MACROS_CURRENT))
	@ABIDIFF='$(ABIDIFF)' sh abi/check-abi.sh $(ABI_BASELINE) $(ABI_CURRENT) $(ABI_SUPPR) \
	    $(ABI_OUT)/abidiff.txt $(ABI_MACROS) $(ABI_MACROS_CURRENT)

# -------------------------------------------------------------------- C++ --

# Header hygiene: civic.h compiles with no warning as C11 and C99 and as C++11,
# and so does every versioned struct initialised with its _INIT macro (a unit
# generated from the header, so a new struct is covered at once and an _INIT
# that misses an appended field fails -Wmissing-field-initializers).  Then a
# C++ program links the shared library from the build tree and runs.
check-cxx: $(SHARED) $(B)/libcivic.so $(B)/$(SONAME) | $(ABI_OUT) deps
	@sh abi/gen-inits.sh include/civic.h > $(ABI_OUT)/inits.c
	@set -e; for cc in $(HDR_CCS); do for std in c11 c99; do \
	    doc=; if $$cc $(HDR_DOC) -Werror -x c -c -o /dev/null /dev/null 2>/dev/null; then \
	        doc='$(HDR_DOC)'; fi; \
	    for src in $(CONSUMER_DIR)/header_c.c $(ABI_OUT)/inits.c; do \
	        echo "  $$cc -std=$$std $$src"; \
	        $$cc -std=$$std $(HDR_CFLAGS) $$doc -c -o $(ABI_OUT)/header_c.o $$src; \
	done; done; done
	@set -e; for cxx in $(HDR_CXXS); do \
	    echo "  $$cxx -std=c++11 $(CONSUMER_DIR)/header_cpp.cpp"; \
	    $$cxx -std=c++11 $(HDR_CXXFLAGS) -c -o $(ABI_OUT)/header_cpp.o $(CONSUMER_DIR)/header_cpp.cpp; \
	    echo "  $$cxx -std=c++11 -x c++ $(ABI_OUT)/inits.c"; \
	    $$cxx -std=c++11 $(HDR_CXXFLAGS) -x c++ -c -o $(ABI_OUT)/header_cpp.o $(ABI_OUT)/inits.c; \
	done
	$(CXX) -std=c++11 $(HDR_CFLAGS) -o $(ABI_OUT)/consumer_cpp $(CONSUMER_DIR)/consumer_cpp.cpp \
	    -L$(B) -lcivic
	LD_LIBRARY_PATH=$(B) $(ABI_OUT)/consumer_cpp

# --------------------------------------------------------------- consumer --

check-consumer: all | deps
	+@MAKE='$(MAKE)' B='$(B)' CC='$(CC)' VERSION='$(VERSION)' REALNAME='$(REALNAME)' \
	    SONAME='$(SONAME)' SERVER_MODE='$(SERVER_MODE)' PKG_CONFIG='$(PKG_CONFIG)' \
	    sh abi/check-consumer.sh

# --------------------------------------------------------------- warnings --

# Each compiler in its own build directory, so objects never mix; without -g,
# which adds time and no warning.
check-warnings: | deps
	+@set -e; for cc in $(CHECK_WARNINGS_CCS); do \
	    if ! command -v $$cc >/dev/null 2>&1; then echo "check-warnings: $$cc not found"; exit 1; fi; \
	    echo "check-warnings: $$cc -Werror into $(B)/$$cc"; \
	    $(MAKE) --no-print-directory B=$(B)/$$cc CC=$$cc CFLAGS="$(OPT)" EXTRA_CFLAGS=-Werror \
	        $(CHECK_WARNINGS_GOALS); \
	done; echo "check-warnings: OK ($(CHECK_WARNINGS_CCS): $(CHECK_WARNINGS_GOALS))"

# A program compiled against libcivic 1.0.0's header (abi/1.0.0/civic.h,
# frozen) runs unchanged against today's shared library.
TEST_TARGETS += check-old-consumer
.PHONY: check-old-consumer
$(B)/abi/consumer_1_0: tests/consumer/consumer_1_0.c abi/1.0.0/civic.h | $(B)
	@mkdir -p $(B)/abi
	$(CC) -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Iabi/1.0.0 -o $@ $< \
	    -L$(B) -l:$(SONAME) $(LDLIBS)

check-old-consumer: $(B)/abi/consumer_1_0 lib
	LD_LIBRARY_PATH=$(CURDIR)/$(B) $(B)/abi/consumer_1_0

# ------------------------------------------------------------ build flags --

# A packager's flags reach every command of the build (dpkg-buildflags and
# the like): `make -n` of a rebuild, with a marker in each variable, of the
# library, the programs, the tests, the bench tools and the fuzz replays.
# Every compile has CPPFLAGS, CFLAGS and EXTRA_CFLAGS, every link CFLAGS,
# EXTRA_CFLAGS and LDFLAGS (the shared library's included), the archive is made by $(AR) and
# libmicrohttpd found by $(PKG_CONFIG); no -I of the tree comes after the
# caller's (an older civic.h in /usr/local/include must not win); check-consumer
# takes $(PKG_CONFIG) and reads make -n from MAKEFLAGS' flags only.  With
# -fsanitize= the shared library links without -z defs (clang does not put
# its sanitizer runtimes into shared objects); without it, with.
BF_B     := $(B)/build-flags
BF_GOALS  = all $(patsubst $(B)/%,$(BF_B)/%,$(SERVER_BIN) $(TEST_BIN) $(B)/tests/test_server_units \
            $(BENCH_GEN) $(BENCH_API) $(FUZZ_REPLAY_BIN))
BF_VARS  := DEPS_DONE=1 B=$(BF_B) CC=civic-mark-cc AR=civic-mark-ar \
            PKG_CONFIG=$(CURDIR)/$(BF_B)/pkg-config CPPFLAGS=-DCIVIC_MARK_CPPFLAGS \
            CFLAGS='-O2 -g -DCIVIC_MARK_CFLAGS -I/civic-mark-shadow' \
            LDFLAGS=-Wl,--civic-mark-ldflags
# The recipe as one line per command: continuation lines joined.
BF_JOIN  := sed -e ':a' -e '/\\$$/N' -e 's/\\\n//' -e 'ta'

TEST_TARGETS += check-build-flags
.PHONY: check-build-flags
check-build-flags:
	@set -e; mkdir -p $(BF_B); \
	printf '#!/bin/sh\necho -DCIVIC_MARK_PKG_CONFIG\n' > $(BF_B)/pkg-config; \
	chmod +x $(BF_B)/pkg-config; \
	$(MAKE) --no-print-directory -n -B $(BF_VARS) EXTRA_CFLAGS=-DCIVIC_MARK_EXTRA \
	    $(BF_GOALS) > $(BF_B)/plain.raw; \
	$(MAKE) --no-print-directory -n -B $(BF_VARS) EXTRA_CFLAGS=-fsanitize=thread \
	    $(BF_B)/$(REALNAME) > $(BF_B)/sanitized.raw; \
	$(BF_JOIN) $(BF_B)/plain.raw > $(BF_B)/plain.txt; \
	$(BF_JOIN) $(BF_B)/sanitized.raw > $(BF_B)/sanitized.txt
	@awk -v server=$(BF_B)/civic-server ' \
	    function bad(why, line) { if (!(why in n)) { first[why] = line; whys[++nwhy] = why } n[why]++ } \
	    /^ar / { bad("ar, not $$(AR)", $$0) } \
	    /^civic-mark-ar rcs / { ars++ } \
	    /^civic-mark-cc / { \
	        ccs++; \
	        if ($$0 ~ / -shared /) { shared++; \
	            if (index($$0, "-Wl,-z,defs") == 0) bad("no -z defs", $$0); } \
	        else if (index($$0, " -DCIVIC_MARK_CPPFLAGS") == 0) bad("no CPPFLAGS", $$0); \
	        if (index($$0, " -DCIVIC_MARK_CFLAGS") == 0) bad("no CFLAGS", $$0); \
	        if (index($$0, " -DCIVIC_MARK_EXTRA") == 0) bad("no EXTRA_CFLAGS", $$0); \
	        if ($$0 !~ / -c /) { links++; \
	            if (index($$0, " -Wl,--civic-mark-ldflags") == 0) bad("no LDFLAGS", $$0); } \
	        rest = substr($$0, index($$0, "-I/civic-mark-shadow") + 1); \
	        if (index($$0, "-I/civic-mark-shadow") == 0 || rest ~ / -I/) \
	            bad("a -I of the tree after the caller'\''s", $$0); \
	        if (index($$0, " -o " server " ") && index($$0, " -DCIVIC_MARK_PKG_CONFIG") == 0) \
	            bad("libmicrohttpd not found with $$(PKG_CONFIG)", $$0); \
	        if (index($$0, " -o " server " ")) servers++; \
	    } \
	    END { if (!ars) bad("no $$(AR) rcs", "(none)"); \
	          if (!shared || !servers || links < 10 || ccs < 40) \
	              bad("too few commands (" ccs " compiles and links, " links " links, " \
	                  shared " shared, " servers " servers)", "(none)"); \
	          for (i = 1; i <= nwhy; i++) \
	              print "check-build-flags: " whys[i] " (" n[whys[i]] " commands), the first:\n  " first[whys[i]]; \
	          if (nwhy) exit 1 }' $(BF_B)/plain.txt
	@grep '^civic-mark-cc .* -shared ' $(BF_B)/sanitized.txt | awk ' \
	    { n++; if (index($$0, " -fsanitize=thread") == 0 || index($$0, "-Wl,-z,defs")) { \
	        print "check-build-flags: sanitized shared link without -fsanitize or with -z defs:\n  " $$0; exit 1 } } \
	    END { if (n != 1) { print "check-build-flags: " n " shared links under -fsanitize"; exit 1 } }'
	@# check-consumer: its $$(PKG_CONFIG), and make -n seen in MAKEFLAGS' flags only
	@cc_env='VERSION=0 REALNAME=x SONAME=x PKG_CONFIG=/nonexistent/civic-mark-pkg-config'; \
	out=$$(env $$cc_env MAKEFLAGS='s -- CC=clang' sh abi/check-consumer.sh 2>&1) && rc=0 || rc=$$?; \
	case "$$rc $$out" in "1 check-consumer: /nonexistent/civic-mark-pkg-config not found"*) ;; \
	    *) echo "check-build-flags: check-consumer under make -s CC=clang: exit $$rc: $$out"; exit 1;; esac; \
	out=$$(env $$cc_env MAKEFLAGS='ns' sh abi/check-consumer.sh 2>&1) && rc=0 || rc=$$?; \
	case "$$rc $$out" in "0 sh abi/check-consumer.sh  #"*) ;; \
	    *) echo "check-build-flags: check-consumer under make -n: exit $$rc: $$out"; exit 1;; esac
	@echo "check-build-flags: CPPFLAGS, CFLAGS, EXTRA_CFLAGS, LDFLAGS, AR and PKG_CONFIG reach every command"

# ---------------------------------------------------------------- 32-bit --

# The library needs __int128, which gcc and clang have on 64-bit targets
# only: a 32-bit build stops at the #error of lib/internal.h (the first use
# in every file; lib/number.c has its own), which must say that a 64-bit
# target is needed (checked with __int128 hidden, so that any 64-bit
# compiler shows it).  The public header has no such need: it compiles for a
# 32-bit target (-m32, when the compiler has the 32-bit headers).
TEST_TARGETS += check-32bit
.PHONY: check-32bit
check-32bit:
	@out=$$($(CC) -std=c11 -D_POSIX_C_SOURCE=200809L -Iinclude -Ilib -U__SIZEOF_INT128__ \
	    -fsyntax-only lib/number.c 2>&1); \
	msg=$$(printf '%s\n' "$$out" | grep -m1 'error.*libcivic'); \
	case $$msg in *"a 64-bit target"*) echo "check-32bit: without __int128: $$msg";; \
	    *) printf 'check-32bit: without __int128, lib/number.c does not say that a 64-bit target is needed:\n%s\n' \
	           "$$out" | head -5 >&2; exit 1;; esac
	@if echo 'int main(void) { return 0; }' | $(CC) -m32 -x c -fsyntax-only -include stdint.h - 2>/dev/null; then \
	    $(CC) -m32 -std=c11 $(HDR_CFLAGS) -fsyntax-only $(CONSUMER_DIR)/header_c.c && \
	    echo "check-32bit: civic.h compiles with $(CC) -m32"; \
	else echo "check-32bit: $(CC) -m32 cannot compile here (no 32-bit headers); header check skipped"; fi

# ------------------------------------------------------------ SERVER= ----

# Whether `make` builds civic-server: SERVER=auto (the default) when
# libmicrohttpd is found, by $(PKG_CONFIG) or else its header in
# /usr/include (MHD_HEADER); SERVER=no never; SERVER=yes always, and without
# libmicrohttpd it fails saying so, before compiling anything of the service.
# make -n of `all` for each case (PKG_CONFIG=true finds it, false does not),
# then a real SERVER=yes build of the service without libmicrohttpd.
SW_B     := $(B)/server-switch
SW_MAKE   = $(MAKE) --no-print-directory DEPS_DONE=1 B=$(SW_B)
SW_NONE  := PKG_CONFIG=false MHD_HEADER=/nonexistent/microhttpd.h
TEST_TARGETS += check-server-switch
.PHONY: check-server-switch
check-server-switch:
	@set -e; mkdir -p $(SW_B); \
	has() { if grep -q -- " -o $(SW_B)/civic-server " $(SW_B)/n.txt; then echo yes; else echo no; fi; }; \
	for c in "auto PKG_CONFIG=true MHD_HEADER=/nonexistent/microhttpd.h:yes" \
	         "auto PKG_CONFIG=false MHD_HEADER=include/civic.h:yes" \
	         "auto $(SW_NONE):no" "no PKG_CONFIG=true:no" "yes $(SW_NONE):yes" "'':yes"; do \
	    vars=$${c%:*}; want=$${c##*:}; \
	    eval "$(SW_MAKE) -n -B SERVER=$$vars all" > $(SW_B)/n.txt; \
	    got=$$(has); [ "$$got" = "$$want" ] || { \
	        echo "check-server-switch: make SERVER=$$vars all: civic-server built: $$got, not $$want" >&2; \
	        exit 1; }; \
	done; \
	if $(SW_MAKE) SERVER=bogus -n all > $(SW_B)/bogus.txt 2>&1 || \
	    ! grep -q 'SERVER=bogus: give SERVER=yes, no or auto' $(SW_B)/bogus.txt; then \
	    echo "check-server-switch: SERVER=bogus was not refused:" >&2; cat $(SW_B)/bogus.txt >&2; exit 1; fi; \
	rm -f $(SW_B)/civic-server; \
	if $(SW_MAKE) SERVER=yes $(SW_NONE) -o $(SW_B)/libcivic.a $(SW_B)/civic-server \
	    > $(SW_B)/yes.txt 2>&1 || [ -e $(SW_B)/civic-server ] || \
	    ! grep -q 'civic-server needs libmicrohttpd.*SERVER=no' $(SW_B)/yes.txt || \
	    grep -q 'civic-server\.c' $(SW_B)/yes.txt; then \
	    echo "check-server-switch: SERVER=yes without libmicrohttpd did not stop at once, saying why:" >&2; \
	    cat $(SW_B)/yes.txt >&2; exit 1; fi; \
	echo "check-server-switch: SERVER=auto, no, yes and a bad value do what they say"

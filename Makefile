# libcivic -- plain GNU make, no configure step.
#
#   make            libcivic.a, libcivic.so.MAJOR.MINOR.PATCH, civic.pc, civic-score
#   make demo       score the bundled sample log with the built-in scheme (and
#                   write its public notice page to build/notice.html)
#   make deps       install every test dependency (apt-get as root), or say how
#   make test       `make deps`, then every test
#   make check-fresh   `make test` in a fresh clone inside a clean Debian root
#   make install    PREFIX=/usr/local DESTDIR= LIBDIR= INCLUDEDIR= BINDIR= MANDIR= DOCDIR=
#   SERVER=auto|yes|no  whether `make` builds (and `make install` installs) the
#                   service civic-server: by default when libmicrohttpd is found
#                   (examples/server/server.mk)
#
# The usual variables are honoured: CC, AR, PKG_CONFIG, CPPFLAGS, CFLAGS
# (default -O2 -g), LDFLAGS, and EXTRA_CFLAGS (added after CFLAGS), so that
# `eval "$(dpkg-buildflags --export=sh)"; make` builds with a distribution's
# hardening flags.
#
# Each area adds its own targets in a fragment (tests/tests.mk, bench/bench.mk,
# bindings/python/python.mk, ...); a fragment that has tests appends their
# target to TEST_TARGETS, which `make test` runs in order.

.SUFFIXES:
.DEFAULT_GOAL := all

# The version lives only in include/civic.h.
VERSION_MAJOR := $(shell sed -n 's/^\#define CIVIC_VERSION_MAJOR \([0-9]*\).*/\1/p' include/civic.h)
VERSION_MINOR := $(shell sed -n 's/^\#define CIVIC_VERSION_MINOR \([0-9]*\).*/\1/p' include/civic.h)
VERSION_PATCH := $(shell sed -n 's/^\#define CIVIC_VERSION_PATCH \([0-9]*\).*/\1/p' include/civic.h)
SOVERSION     := $(shell sed -n 's/^\#define CIVIC_SOVERSION \([0-9]*\).*/\1/p' include/civic.h)
VERSION       := $(VERSION_MAJOR).$(VERSION_MINOR).$(VERSION_PATCH)

CC      ?= cc
AR      ?= ar
PKG_CONFIG ?= pkg-config
B       := build
OPT     ?= -O2
WARN    := -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wstrict-prototypes \
           -Wmissing-prototypes -Wno-unused-parameter
CFLAGS  ?= $(OPT) -g
# Every compile gets ALL_CFLAGS, every link LDFLAGS too.  The tree's own -I
# come first (a rule adds its others in front of ALL_CFLAGS), so that a -I in
# CPPFLAGS or CFLAGS, such as -I/usr/local/include holding an older civic.h,
# cannot shadow them.
ALL_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -Iinclude $(CPPFLAGS) $(WARN) $(CFLAGS) $(EXTRA_CFLAGS)
LIB_CFLAGS := $(ALL_CFLAGS) -fPIC -fvisibility=hidden -DCIVIC_BUILDING
LDLIBS  := -lpthread

LIB_SRC := $(sort $(wildcard lib/*.c))
LIB_OBJ := $(patsubst lib/%.c,$(B)/lib/%.o,$(LIB_SRC))
LIB_HDR := include/civic.h $(wildcard lib/*.h)

SONAME   := libcivic.so.$(SOVERSION)
REALNAME := libcivic.so.$(VERSION)
STATIC   := $(B)/libcivic.a
SHARED   := $(B)/$(REALNAME)
CLI      := $(B)/civic-score

PREFIX     ?= /usr/local
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
BINDIR     ?= $(PREFIX)/bin
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
MANDIR     ?= $(PREFIX)/share/man
DOCDIR     ?= $(PREFIX)/share/doc/libcivic
DESTDIR    ?=

TEST_TARGETS :=

# Every package the tests use is installed in one place, before anything is
# compiled: `make deps` (tests/deps.sh).  As root with apt-get (CI) it installs
# what is missing; otherwise it stops with the one-line install command.
# `make test` runs it first, then every test group in a sub-make, so even
# `make -j` compiles nothing before the packages are there.  Targets that need
# a package also name `deps` as an order-only prerequisite, so `make test-c`
# alone works on a fresh machine too; DEPS_DONE=1 (set for the sub-makes of
# `make test`) skips the re-check.
.PHONY: deps
deps:
ifndef DEPS_DONE
	@sh tests/deps.sh
endif

.PHONY: all lib demo test clean install uninstall
all: lib $(CLI) $(B)/civic.pc
lib: $(STATIC) $(SHARED) $(B)/libcivic.so $(B)/$(SONAME)

$(B)/lib/%.o: lib/%.c $(LIB_HDR) | $(B)/lib
	$(CC) $(LIB_CFLAGS) -c -o $@ $<

$(B)/lib $(B)/tests $(B)/examples:
	mkdir -p $@

$(STATIC): $(LIB_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

# The compile flags go to the link too (a -fsanitize= or -flto needs them
# there).  -z defs refuses a library with an unresolved symbol, except under
# -fsanitize=: clang leaves its sanitizer runtimes out of shared objects.
ZDEFS := $(if $(findstring -fsanitize=,$(CFLAGS) $(EXTRA_CFLAGS) $(LDFLAGS)),,-Wl,-z,defs)
$(SHARED): $(LIB_OBJ) lib/civic.map
	$(CC) $(CFLAGS) $(EXTRA_CFLAGS) $(LDFLAGS) -shared -o $@ $(LIB_OBJ) -Wl,-soname,$(SONAME) \
	    -Wl,--version-script,lib/civic.map $(ZDEFS) -Wl,-z,relro -Wl,-z,now $(LDLIBS)

$(B)/$(SONAME): $(SHARED)
	ln -sf $(REALNAME) $@
$(B)/libcivic.so: $(SHARED)
	ln -sf $(REALNAME) $@

# The CLI links the static library: one self-contained binary to copy around.
# Its JSON comes from the answer writer it shares with the service
# (examples/common/answers.h), and the warnings about a scheme
# (examples/common/hints.h).
ANSWERS_SRC := examples/common/answers.c examples/common/objections.c examples/common/report.c \
               examples/common/hints.c
ANSWERS_HDR := examples/common/answers.h examples/common/objections.h examples/common/report.h \
               examples/common/shown.h examples/common/width.h examples/common/hints.h
$(CLI): examples/civic-score.c examples/common/width.h $(ANSWERS_SRC) $(ANSWERS_HDR) include/civic.h \
        $(STATIC) | $(B)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ examples/civic-score.c $(ANSWERS_SRC) $(STATIC) $(LDLIBS)

$(B):
	mkdir -p $@

# Rewritten on every run (FORCE): it holds PREFIX/LIBDIR/INCLUDEDIR, so a
# `make` then `make install PREFIX=/usr` must not install the /usr/local one.
$(B)/civic.pc: civic.pc.in include/civic.h FORCE | $(B)
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' $< > $@

.PHONY: FORCE
FORCE:

# The sample log (examples/data/gen_sample.py) under the built-in scheme:
# every subject with its tiers and measures, the streets, the record of a
# listed defaulter, two lists, the objections still to decide, what the 1.0
# scheme would make of the same log, and the public notice page.
demo: $(CLI)
	$(CLI) examples/data/sample.csv
	@echo
	$(CLI) --groups 2 examples/data/sample.csv
	@echo
	$(CLI) --explain r0007 examples/data/sample.csv
	@echo
	$(CLI) --list dishonest examples/data/sample.csv
	@echo
	$(CLI) --list no_subsidy examples/data/sample.csv
	@echo
	$(CLI) --objections examples/data/sample.csv
	@echo
	$(CLI) --compare examples/data/community-1.0.toml --changed examples/data/sample.csv
	@echo
	$(CLI) --format html --groups 2 examples/data/sample.csv > $(B)/notice.html
	@echo "the public notice page: $(B)/notice.html"

# The manual: man pages, and in DOCDIR the README, CHANGELOG and LICENSE with
# the docs/ folder beside them (so the README's links to docs/ still work),
# and the valgrind suppressions libcivic(3) points helgrind and drd users to.
MAN1 := docs/civic-score.1
MAN3 := docs/libcivic.3
MAN8 := docs/civic-server.8
# Every exported function has a man3 page: one line that sources libcivic(3).
MAN3_FUNCS := $(shell sed -n 's/^ *\(civic_[a-z0-9_]*\);$$/\1/p' lib/civic.map)
TOPDOCS := README.md CHANGELOG.md LICENSE
DOCS := $(sort $(wildcard docs/*.md)) docs/openapi.yaml docs/openapi.json docs/notice.png $(MAN1) $(MAN3) $(MAN8)

# The sample log and the 1.0 built-in scheme, which the manual's examples name
# (examples/data/... from DOCDIR, as from the source tree).
INSTALL_DATA := examples/data/sample.csv examples/data/community-1.0.toml
# The other files the manual links to, at the same paths below DOCDIR, so
# that every relative link of the installed manual resolves.
INSTALL_LINKED := include/civic.h abi/README.md bench/RESULTS.md bindings/python/README.md \
    examples/dask/README.md examples/server/README.md tests/deps.sh

install: all
	install -d -m 755 "$(DESTDIR)$(LIBDIR)" "$(DESTDIR)$(INCLUDEDIR)" \
	    "$(DESTDIR)$(BINDIR)" "$(DESTDIR)$(PKGCONFIGDIR)" "$(DESTDIR)$(MANDIR)/man1" \
	    "$(DESTDIR)$(MANDIR)/man3" "$(DESTDIR)$(DOCDIR)/docs" \
	    "$(DESTDIR)$(DOCDIR)/examples/data"
	install -m 644 include/civic.h "$(DESTDIR)$(INCLUDEDIR)/civic.h"
	install -m 644 $(STATIC) "$(DESTDIR)$(LIBDIR)/libcivic.a"
	install -m 755 $(SHARED) "$(DESTDIR)$(LIBDIR)/$(REALNAME)"
	ln -sf $(REALNAME) "$(DESTDIR)$(LIBDIR)/$(SONAME)"
	ln -sf $(REALNAME) "$(DESTDIR)$(LIBDIR)/libcivic.so"
	install -m 644 $(B)/civic.pc "$(DESTDIR)$(PKGCONFIGDIR)/civic.pc"
	install -m 755 $(CLI) "$(DESTDIR)$(BINDIR)/civic-score"
	@if [ "$(SERVER_MODE)" = no ]; then echo "(civic-server: SERVER=no; not installed)"; \
	elif [ -f $(B)/civic-server ]; then \
	    echo "install -m 755 $(B)/civic-server '$(DESTDIR)$(BINDIR)/civic-server'"; \
	    install -m 755 $(B)/civic-server "$(DESTDIR)$(BINDIR)/civic-server"; \
	else echo "(civic-server not built: libmicrohttpd-dev is missing; not installed)"; fi
	sed 's|/usr/local/share/doc/libcivic|$(DOCDIR)|' $(MAN1) > "$(DESTDIR)$(MANDIR)/man1/civic-score.1"
	chmod 644 "$(DESTDIR)$(MANDIR)/man1/civic-score.1"
	sed 's|/usr/local/share/doc/libcivic|$(DOCDIR)|' $(MAN3) > "$(DESTDIR)$(MANDIR)/man3/libcivic.3"
	chmod 644 "$(DESTDIR)$(MANDIR)/man3/libcivic.3"
	for f in $(MAN3_FUNCS); do \
	    echo '.so man3/libcivic.3' > "$(DESTDIR)$(MANDIR)/man3/$$f.3" && \
	    chmod 644 "$(DESTDIR)$(MANDIR)/man3/$$f.3" || exit 1; done
	@if [ "$(SERVER_MODE)" != no ] && [ -f $(B)/civic-server ]; then \
	    echo "install -m 644 $(MAN8) '$(DESTDIR)$(MANDIR)/man8/civic-server.8'"; \
	    install -d -m 755 "$(DESTDIR)$(MANDIR)/man8" && \
	    sed 's|/usr/local/share/doc/libcivic|$(DOCDIR)|' $(MAN8) \
	        > "$(DESTDIR)$(MANDIR)/man8/civic-server.8" && \
	    chmod 644 "$(DESTDIR)$(MANDIR)/man8/civic-server.8"; fi
	install -m 644 $(TOPDOCS) "$(DESTDIR)$(DOCDIR)/"
	install -m 644 lib/libcivic.supp "$(DESTDIR)$(DOCDIR)/libcivic.supp"
	install -m 644 $(DOCS) "$(DESTDIR)$(DOCDIR)/docs/"
	sed 's|/usr/local/share/doc/libcivic|$(DOCDIR)|' $(MAN1) > "$(DESTDIR)$(DOCDIR)/docs/civic-score.1"
	sed 's|/usr/local/share/doc/libcivic|$(DOCDIR)|' $(MAN3) > "$(DESTDIR)$(DOCDIR)/docs/libcivic.3"
	sed 's|/usr/local/share/doc/libcivic|$(DOCDIR)|' $(MAN8) > "$(DESTDIR)$(DOCDIR)/docs/civic-server.8"
	chmod 644 "$(DESTDIR)$(DOCDIR)/docs/civic-score.1" "$(DESTDIR)$(DOCDIR)/docs/libcivic.3" \
	    "$(DESTDIR)$(DOCDIR)/docs/civic-server.8"
	install -m 644 $(INSTALL_DATA) "$(DESTDIR)$(DOCDIR)/examples/data/"
	for f in $(INSTALL_LINKED); do \
	    install -d -m 755 "$(DESTDIR)$(DOCDIR)/$$(dirname $$f)" && \
	    install -m 644 $$f "$(DESTDIR)$(DOCDIR)/$$f" || exit 1; done
	@sh tests/ldconfig-hint.sh "$(DESTDIR)" "$(LIBDIR)"

uninstall:
	@set -e; d="$(DESTDIR)"; \
	for f in $(INCLUDEDIR)/civic.h $(LIBDIR)/libcivic.a $(LIBDIR)/$(REALNAME) \
	    $(LIBDIR)/$(SONAME) $(LIBDIR)/libcivic.so $(PKGCONFIGDIR)/civic.pc \
	    $(BINDIR)/civic-score $(BINDIR)/civic-server \
	    $(MANDIR)/man1/civic-score.1 $(MANDIR)/man8/civic-server.8 $(MANDIR)/man3/libcivic.3 \
	    $(addprefix $(MANDIR)/man3/,$(addsuffix .3,$(MAN3_FUNCS))) \
	    $(addprefix $(DOCDIR)/,$(TOPDOCS)) $(DOCDIR)/libcivic.supp \
	    $(addprefix $(DOCDIR)/docs/,$(notdir $(DOCS))) \
	    $(addprefix $(DOCDIR)/examples/data/,$(notdir $(INSTALL_DATA))) \
	    $(addprefix $(DOCDIR)/,$(INSTALL_LINKED)); do rm -f "$$d$$f"; done; \
	for f in $(DOCDIR)/docs $(DOCDIR)/examples/data $(DOCDIR)/examples/dask \
	    $(DOCDIR)/examples/server $(DOCDIR)/examples $(DOCDIR)/include $(DOCDIR)/abi \
	    $(DOCDIR)/bench $(DOCDIR)/bindings/python $(DOCDIR)/bindings $(DOCDIR)/tests \
	    $(DOCDIR); do rmdir "$$d$$f" 2>/dev/null || true; done

clean:
	rm -rf $(B)

# Area fragments (each optional so a partial tree still builds).
-include $(sort $(wildcard tests/*.mk bench/*.mk abi/*.mk bindings/python/*.mk examples/*.mk examples/*/*.mk))

.PHONY: test-groups
test: deps
	+@$(MAKE) --no-print-directory DEPS_DONE=1 test-groups
test-groups: $(TEST_TARGETS)
	@echo "make test: all test groups passed ($(TEST_TARGETS))"

.PHONY: regen-default
regen-default:
	sh lib/gen_default.sh lib/default_rules.toml

# The table's character widths (examples/common/width.h) from this machine's
# glibc wcwidth under C.UTF-8; run by hand after a glibc with a newer Unicode.
.PHONY: regen-width
regen-width:
	python3 examples/gen_width.py

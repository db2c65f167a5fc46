# examples/server/server.mk -- the example HTTP service and its tests (issue 7).
# Included by the top-level Makefile, which defines CC, ALL_CFLAGS, B, STATIC,
# LDLIBS, CLI and TEST_TARGETS.
#
#   make build/civic-server   the service (libmicrohttpd)
#   make test-durability      tests/test_durability.c (cmocka): snapshots, journal
#   make test-server          tests/server/test_server.py: HTTP answers against
#                             civic-score, restarts, kill -9 crash rounds
#   make loadtest             wrk on loopback, read-heavy and write-heavy mixes
#                             (LOADTEST_SECONDS=10 LOADTEST_THREADS=4 LOADTEST_CONNS=32)

SERVER     := $(B)/civic-server
PYTHON     ?= python3
MHD_CFLAGS := $(shell pkg-config --cflags libmicrohttpd 2>/dev/null)
MHD_LIBS   := $(shell pkg-config --libs libmicrohttpd 2>/dev/null || echo -lmicrohttpd)
LOADTEST_SECONDS ?= 10
LOADTEST_THREADS ?= 4
LOADTEST_CONNS   ?= 32

TEST_TARGETS += test-durability test-server

.PHONY: server test-durability test-server loadtest

# `make` builds the service when libmicrohttpd is there; `make server` insists.
ifneq ($(wildcard /usr/include/microhttpd.h),)
all: $(SERVER)
endif
server: | deps
	@$(MAKE) --no-print-directory DEPS_DONE=1 $(SERVER)

# libmicrohttpd-dev comes from `make deps` (tests/deps.sh), like every package.
$(SERVER): examples/server/civic-server.c include/civic.h $(STATIC) | $(B)
	$(CC) $(ALL_CFLAGS) $(MHD_CFLAGS) -o $@ examples/server/civic-server.c $(STATIC) \
	    $(MHD_LIBS) $(LDLIBS)

$(B)/tests/test_durability: tests/test_durability.c tests/support.h tests/alloc_fail.h $(STATIC) | deps $(B)/tests
	$(CC) $(ALL_CFLAGS) -Wno-conversion -Ilib -o $@ $< $(STATIC) -lcmocka $(LDLIBS)

test-durability: $(B)/tests/test_durability
	$(B)/tests/test_durability

test-server: $(SERVER) $(CLI) | deps
	$(PYTHON) tests/server/test_server.py --server $(SERVER) --cli $(CLI)

loadtest: $(SERVER)
	@command -v wrk >/dev/null || { echo "loadtest needs wrk: sudo apt-get install -y wrk" >&2; exit 1; }
	$(PYTHON) examples/server/loadtest.py --server $(SERVER) --seconds $(LOADTEST_SECONDS) \
	    --threads $(LOADTEST_THREADS) --connections $(LOADTEST_CONNS)

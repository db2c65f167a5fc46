# examples/server/server.mk -- the example HTTP service and its tests (issue 7).
# Included by the top-level Makefile, which defines CC, ALL_CFLAGS, B, STATIC,
# LDLIBS, CLI, TEST_TARGETS and ANSWERS_SRC/ANSWERS_HDR (the shared writers of
# examples/common, linked into the service as into civic-score).
#
#   make build/civic-server   the service (libmicrohttpd)
#   make test-durability      tests/test_durability.c (cmocka): snapshots, journal
#   make test-server          tests/server/test_server.py: HTTP answers against
#                             civic-score (lists and /report byte for byte), purge,
#                             source from the token, restarts, kill -9 crash rounds,
#                             out of memory at each allocation of a request in turn
#   make test-server-security tests/server/test_security.py: every route x role x
#                             missing/wrong token, the bind rule, the command line,
#                             keep-alive, 405/400/415, metrics, access log, TLS
#   make test-server-limits   tests/server/test_limits.py: slowloris, body bomb,
#                             request deadline, chunked bodies (RSS and latency asserted)
#   make test-server-units    tests/server/test_server_units.c (cmocka): SHA-256,
#                             tokens file, body rewriting (JSON arrays, source)
#   make loadtest             wrk on loopback, read-heavy and write-heavy mixes
#                             (LOADTEST_SECONDS=10 LOADTEST_THREADS=4 LOADTEST_CONNS=32
#                             LOADTEST_ARGS='--auth --tls' to run with tokens and HTTPS)
#
# The OpenAPI document: when docs/openapi.json exists at build time it is
# embedded (build/openapi_embed.h) and served at GET /openapi.json; without
# it the route answers 404 unless --openapi FILE is given.

SERVER     := $(B)/civic-server
PYTHON     ?= python3
MHD_CFLAGS := $(shell $(PKG_CONFIG) --cflags libmicrohttpd 2>/dev/null)
MHD_LIBS   := $(shell $(PKG_CONFIG) --libs libmicrohttpd 2>/dev/null || echo -lmicrohttpd)
LOADTEST_SECONDS ?= 10
LOADTEST_THREADS ?= 4
LOADTEST_CONNS   ?= 32

SERVER_SRC := $(filter-out examples/server/civic-server.c,$(wildcard examples/server/*.c)) \
              $(ANSWERS_SRC)
SERVER_HDR := $(wildcard examples/server/*.h) $(ANSWERS_HDR)
OPENAPI_DOC := $(wildcard docs/openapi.json)
OPENAPI_FLAGS := $(if $(OPENAPI_DOC),-DCIVIC_OPENAPI_EMBED -I$(B))

TEST_TARGETS += test-durability test-server-units test-server test-server-security test-server-limits

.PHONY: server test-durability test-server-units test-server test-server-security \
        test-server-limits loadtest

# `make` builds the service when libmicrohttpd is there; `make server` insists.
ifneq ($(wildcard /usr/include/microhttpd.h),)
all: $(SERVER)
endif
server: | deps
	@$(MAKE) --no-print-directory DEPS_DONE=1 $(SERVER)

# libmicrohttpd-dev comes from `make deps` (tests/deps.sh), like every package.
$(SERVER): examples/server/civic-server.c $(SERVER_SRC) $(SERVER_HDR) include/civic.h $(STATIC) \
          $(if $(OPENAPI_DOC),$(B)/openapi_embed.h) | $(B)
	$(CC) $(OPENAPI_FLAGS) -Iexamples/server -Iexamples/common $(ALL_CFLAGS) $(MHD_CFLAGS) $(LDFLAGS) -o $@ \
	    examples/server/civic-server.c $(SERVER_SRC) $(STATIC) $(MHD_LIBS) $(LDLIBS)

# docs/openapi.json as a C array (od and sed: no xxd needed).
$(B)/openapi_embed.h: $(OPENAPI_DOC) | $(B)
	{ echo 'static const unsigned char openapi_json[] = {'; \
	  od -An -v -tx1 $< | sed -e 's/ *\([0-9a-f][0-9a-f]\)/0x\1,/g'; \
	  echo '0 };'; \
	  echo 'static const size_t openapi_json_len = sizeof(openapi_json) - 1;'; } > $@

$(B)/tests/test_server_units: tests/server/test_server_units.c $(SERVER_SRC) $(SERVER_HDR) \
                              $(STATIC) | deps $(B)/tests
	$(CC) -Iexamples/server -Iexamples/common $(ALL_CFLAGS) $(MHD_CFLAGS) -Wno-conversion $(LDFLAGS) -o $@ $< \
	    $(SERVER_SRC) $(STATIC) -lcmocka $(MHD_LIBS) $(LDLIBS)

test-server-units: $(B)/tests/test_server_units
	$(B)/tests/test_server_units

$(B)/tests/test_durability: tests/test_durability.c tests/support.h tests/alloc_fail.h $(STATIC) | deps $(B)/tests
	$(CC) -Ilib $(ALL_CFLAGS) -Wno-conversion $(LDFLAGS) -o $@ $< $(STATIC) -lcmocka $(LDLIBS)

test-durability: $(B)/tests/test_durability
	$(B)/tests/test_durability

test-server: $(SERVER) $(CLI) | deps
	$(PYTHON) tests/server/test_server.py --server $(SERVER) --cli $(CLI)

# Needs the openssl CLI for the throw-away TLS certificate (make deps).
test-server-security: $(SERVER) | deps
	$(PYTHON) tests/server/test_security.py --server $(SERVER)

# About a minute: the slowloris probe waits for the 30 s request deadline.
test-server-limits: $(SERVER) | deps
	$(PYTHON) tests/server/test_limits.py --server $(SERVER)

loadtest: $(SERVER)
	@command -v wrk >/dev/null || { echo "loadtest needs wrk: sudo apt-get install -y wrk" >&2; exit 1; }
	$(PYTHON) examples/server/loadtest.py --server $(SERVER) --seconds $(LOADTEST_SECONDS) \
	    --threads $(LOADTEST_THREADS) --connections $(LOADTEST_CONNS) $(LOADTEST_ARGS)

# examples/server/server.mk -- the example HTTP service and its tests (issue 7).
# Included by the top-level Makefile, which defines CC, ALL_CFLAGS, B, STATIC,
# LDLIBS, CLI, TEST_TARGETS and ANSWERS_SRC/ANSWERS_HDR (the shared writers of
# examples/common, linked into the service as into civic-score).
#
#   make build/civic-server   the service (libmicrohttpd); `make server` the same,
#                             after `make deps`
#   make test-durability      tests/test_durability.c (cmocka): snapshots, journal
#   make test-server          tests/server/test_server.py: HTTP answers against
#                             civic-score (lists and /report byte for byte), purge,
#                             source from the token, restarts, kill -9 crash rounds,
#                             out of memory at each allocation of a request in turn,
#                             the audit recipe of docs/http-api.md (Python binding)
#   make test-server-security tests/server/test_security.py: every route x role x
#                             missing/wrong token, the bind rule, the command line,
#                             keep-alive, 405/400/415, metrics, access log, TLS
#   make test-server-limits   tests/server/test_limits.py: slowloris, body bomb,
#                             request deadline, chunked bodies (RSS and latency asserted)
#   make test-server-units    tests/server/test_server_units.c (cmocka): SHA-256,
#                             tokens file, body rewriting (JSON arrays, source),
#                             the --openapi JSON check, certificate dates
#   make loadtest             wrk on loopback, read-heavy and write-heavy mixes
#                             (LOADTEST_SECONDS=10 LOADTEST_THREADS=4 LOADTEST_CONNS=32
#                             LOADTEST_ARGS='--auth --tls' to run with tokens and HTTPS)
#
# The OpenAPI document: when docs/openapi.json exists at build time it is
# embedded (build/openapi_embed.h) and served at GET /openapi.json; without
# it the route answers 404 unless --openapi FILE is given.
#
# Whether `make` (and so `make install`) builds the service is up to SERVER:
#   SERVER=auto   (the default) when libmicrohttpd is found: $(PKG_CONFIG)
#                 knows it, or else its header MHD_HEADER is there
#                 (/usr/include/microhttpd.h)
#   SERVER=yes    always: without libmicrohttpd the build stops, saying so
#   SERVER=no     never (nor is it installed), whatever the machine has
# A SERVER in the environment that is none of these (the name is a common
# one) is not ours, and is ignored; on the command line it is an error.

SERVER_BIN := $(B)/civic-server
MHD_HEADER ?= /usr/include/microhttpd.h
# A shell test: is libmicrohttpd there?  Run when the makefiles are read, and
# again before the service is compiled (`make deps` may have installed it).
mhd_found   = { $(PKG_CONFIG) --exists libmicrohttpd 2>/dev/null || test -f $(MHD_HEADER); }
MHD_FOUND  := $(shell $(mhd_found) && echo yes)
ifeq ($(origin SERVER),environment)
  ifeq ($(filter yes no auto,$(SERVER)),)
    override SERVER := auto
  endif
endif
SERVER_MODE := $(or $(SERVER),auto)
ifeq ($(filter yes no auto,$(SERVER_MODE)),)
  $(error SERVER=$(SERVER): give SERVER=yes, no or auto (the default: when libmicrohttpd is found))
endif
# yes when `make` builds the service, else empty
SERVER_BUILT := $(filter yes,$(if $(filter auto,$(SERVER_MODE)),$(MHD_FOUND),$(SERVER_MODE)))
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

# `make` builds the service as SERVER says; `make server` insists.
ifneq ($(SERVER_BUILT),)
all: $(SERVER_BIN)
endif
server: | deps
	@$(MAKE) --no-print-directory DEPS_DONE=1 $(SERVER_BIN)

# libmicrohttpd-dev comes from `make deps` (tests/deps.sh), like every package.
$(SERVER_BIN): examples/server/civic-server.c $(SERVER_SRC) $(SERVER_HDR) include/civic.h $(STATIC) \
          $(if $(OPENAPI_DOC),$(B)/openapi_embed.h) | $(B)
	@$(mhd_found) || { echo "civic-server needs libmicrohttpd, which $(PKG_CONFIG) does not know" \
	    "and whose header $(MHD_HEADER) is missing: sudo apt-get update && sudo apt-get install -y libmicrohttpd-dev," \
	    "or make SERVER=no to build without the service" >&2; exit 1; }
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

# lib: the audit recipe of docs/http-api.md runs on the Python binding.
test-server: $(SERVER_BIN) $(CLI) lib | deps
	$(PYTHON) tests/server/test_server.py --server $(SERVER_BIN) --cli $(CLI)

# Needs the openssl CLI for the throw-away TLS certificate (make deps).
test-server-security: $(SERVER_BIN) | deps
	$(PYTHON) tests/server/test_security.py --server $(SERVER_BIN)

# About a minute: the slowloris probe waits for the 30 s request deadline.
test-server-limits: $(SERVER_BIN) | deps
	$(PYTHON) tests/server/test_limits.py --server $(SERVER_BIN)

loadtest: $(SERVER_BIN)
	@command -v wrk >/dev/null || { echo "loadtest needs wrk: sudo apt-get install -y wrk" >&2; exit 1; }
	$(PYTHON) examples/server/loadtest.py --server $(SERVER_BIN) --seconds $(LOADTEST_SECONDS) \
	    --threads $(LOADTEST_THREADS) --connections $(LOADTEST_CONNS) $(LOADTEST_ARGS)

/*
** civic-server.c -- an example HTTP service over libcivic.
**
** HTTP and TLS are libmicrohttpd's (no hand-written HTTP parsing here);
** scoring, storage, locking and durability are libcivic's.  This file routes
** requests, checks tokens, turns query strings into API calls, and writes
** the answers with civic-score's own writers: examples/common/answers.h (the
** JSON of docs/answers.md, through views.c) and examples/common/report.h
** (the public notice page).
**
**   route                              role   answer
**   POST /events                       write  CSV, JSON Lines or a JSON array: one
**                                             all-or-nothing batch
**   GET  /subjects/{id}?as_of=         read   one subject row (as civic-score's rows)
**   GET  /subjects/{id}/record?as_of=  read   the credit record
**   GET  /groups?depth=&as_of=         read   per-group statistics
**   GET  /rank?group=&top=&as_of=      read   ranking (everyone when group is absent)
**   GET  /lists/{name}?as_of=          read   SPEC 11.3: the subjects a flag or
**                                             measure applies to (404: no such name)
**   GET  /objections?as_of=            read   the objections still to decide, oldest
**                                             first (civic-score --objections)
**   GET  /report?as_of=&depth=&min_group=  read   SPEC 11.5: the public notice page
**                                             (text/html), without as_of of the
**                                             latest ts held (with --report-now
**                                             of the present moment); public with
**                                             --public-reports (depth, min_group
**                                             and as_of then the service's for the
**                                             public)
**   POST /compact                      admin  snapshot + fresh journal now
**   POST /purge?before=H[&future=yes]  admin  SPEC 10.4: remove what retention
**                                             archived at H; later questions about
**                                             T < H answer 410 Gone (an H later
**                                             than now only with future=yes)
**   GET  /metrics                      admin  Prometheus text format
**   GET  /healthz, GET /openapi.json   public liveness; the API document
**   OPTIONS any route, OPTIONS *       public 200 with Allow (the route's methods;
**                                             for *, every method the server takes)
**
** Roles include the lower ones (admin > write > read).  Without --tokens
** every route is open, and the server refuses a non-loopback --bind unless
** --insecure is given.  Modules: auth.c (tokens), guard.c (request deadline,
** body and answer budgets), metrics.c (counters, access log), body.c (JSON arrays,
** source), json.c (output), sha256.c.
**
** Threads: libmicrohttpd gives each connection a thread of its own (up to
** --max-connections), so that no request waits for another connection's;
** at most --threads queries work at once (query_gate: each holds its
** working memory), and /healthz, /metrics, the document and every refusal
** do not wait for them.  The engine's rwlock lets queries run in parallel
** and serializes writes.
** Durability (--data DIR): DIR/snapshot.civic and DIR/journal.civic; every
** POST is journaled before it is answered; a background thread compacts
** every --compact-every seconds when events or a purge were written, and at
** shutdown.  DIR/purge-owed, while it exists, says that a purge's
** compaction is owed (mark_owed).
*/
#define _GNU_SOURCE /* realpath, flock; accept4, pipe2 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "auth.h"
#include "body.h"
#include "certdate.h"
#include "civic.h"
#include "guard.h"
#include "hints.h"
#include "json.h"
#include "metrics.h"
#include "report.h"
#include "views.h"

#define SERVER_NAME "civic-server"
#define RETRY_AFTER_SECONDS "5"
#define PATH_BYTES_MAX 4096u
#define FILE_BYTES_MAX (1u << 20) /* TLS certificate, key, OpenAPI document */
/* Each connection's memory (libmicrohttpd's default, set so that the room
 * left for an answer is known): the request's header lines and a record of
 * at most HEADER_RECORD bytes for each header, query parameter and cookie
 * must leave HEADER_ROOM for the answer's headers, or are answered 431. */
#define CONNECTION_MEMORY (32u * 1024u)
/* A body sent to a route that takes none (every one but POST /events) is
 * read and dropped up to this (or --max-body when less), neither buffered
 * nor counted in the body budget; past it the request gets 413, before it
 * is read when Content-Length says so. */
#define STRAY_BODY_BYTES ((size_t)64 * 1024)
#define HEADER_RECORD 64u
#define HEADER_ROOM 4096u
#define HEADER_LIMIT_TEXT "28 KB"

/* The OpenAPI document, embedded at build time when docs/openapi.json
 * existed (server.mk generates build/openapi_embed.h); else empty. */
#ifdef CIVIC_OPENAPI_EMBED
#include "openapi_embed.h"
#else
static const unsigned char openapi_json[] = { 0 };
static const size_t openapi_json_len = 0;
#endif

/* ------------------------------------------------------------ options */

typedef struct options {
    const char *bind;
    unsigned port;
    const char *data_dir;
    const char *rules_path;
    uint32_t sync_policy;
    unsigned threads;
    size_t body_bytes_max;
    size_t body_budget_bytes;
    bool body_budget_given;  /* --body-budget given: else it grows to fit --max-body */
    size_t answer_budget_bytes;
    unsigned connections_max;
    unsigned per_ip_max;
    unsigned timeout_seconds;
    unsigned request_seconds;
    unsigned compact_seconds;
    const char *tokens_path;
    bool insecure;
    bool recover;            /* --recover: go on past a damaged or missing journal */
    bool rescore;            /* --rescore: read a data directory of other rules */
    const char *data_only;   /* the first option given that means nothing without --data */
    bool public_reports;
    bool report_now;         /* --report-now: GET /report's default as_of is the present
                                moment, not the latest ts held */
    unsigned min_group;      /* --min-group: /report's default, and the least a caller
                                without a read token may ask */
    unsigned report_depth;   /* --report-depth: /report's default, and the only depth a
                                caller without a read token may ask */
    const char *tls_cert;
    const char *tls_key;
    const char *access_log;
    const char *openapi_path;
} options;

/* libmicrohttpd's (and GnuTLS's) messages, through MHD_OPTION_EXTERNAL_LOGGER:
 * while the daemon starts, the first is kept for civic-server's own line
 * (which says it once); after, they are said with the prefix, at most one
 * a minute (per connection, a scanner could fill the log), the others
 * counted. */
typedef struct mhd_log {
    pthread_mutex_t mutex;
    bool starting;           /* MHD_start_daemon runs: kept, not said */
    char kept[320];          /* the first message of the start, else "" */
    int64_t said_us;         /* when the last one was said; 0: none yet */
    uint64_t unsaid;         /* messages not said since */
    /* queries the stop cut (dispatch: MHD_NO, the stop's lines count them),
     * whose "Application reported internal error" is not said */
    atomic_uint_fast64_t cut;
} mhd_log;

/* Writes the data directory refused (POST /events, POST /purge answered
 * 503: a full disk refuses every one), said on standard error as
 * libmicrohttpd's messages are: at most one a minute for each route, the
 * others counted and the count said with the next one shown, when writes go
 * through again, or at the stop.  The first refusal after writes were said
 * to go through again is shown at once, and so is that line (at most one a
 * minute of it, so that a disk on the edge, a write taken, the next
 * refused, cannot fill the log either).  (A full disk wrote one line per
 * refused POST: 47,712 in minutes.)  Failed compactions are said so too, in
 * a log of their own (one route), which a compaction that succeeds ends:
 * with --compact-every 1 on a full disk the timer wrote a line a second. */
enum { REFUSED_EVENTS, REFUSED_PURGE, REFUSED_ROUTES };
#define REFUSED_SLOTS 3 /* a route's (REFUSED_*) or a kind of date's (WARNED_*) */
_Static_assert((int)REFUSED_ROUTES <= REFUSED_SLOTS, "a refused_log holds a count per route");
typedef struct refused_log {
    pthread_mutex_t mutex;
    int64_t said_us[REFUSED_SLOTS];  /* when each route's last refusal was said; 0: none */
    uint64_t unsaid[REFUSED_SLOTS];  /* its refusals not said since */
    bool failing;                    /* a write refused since one last went through */
    bool told;                       /* ... and one of them was said */
    bool fresh;                      /* "writes go through again" said, no refusal since */
    int64_t over_us;                 /* when that was last said; 0: never */
} refused_log;

/* The words of a refused_log's lines: writes' or compactions'. */
typedef struct refused_words {
    const char *refused;  /* "refused", "failed" */
    const char *again;    /* the line of the first write (compaction) that goes through */
    const char *noun;     /* "refused write", "failed compaction" (an 's' is added) */
} refused_words;
static const refused_words WRITE_WORDS = {
    "refused", "writes reach the data directory again", "refused write"
};
static const refused_words COMPACT_WORDS = {
    "failed", "compactions succeed again", "failed compaction"
};
/* The warnings of a batch that moves the earliest ts held before 1973, or
 * the latest past the clock or to 5138 or later (early_warning,
 * future_warning, late_warning), said on standard error as failed
 * compactions are: at most one a minute of each kind, the others counted
 * and the count said with the next one shown, or at the stop.  The
 * answer's `warning` says it every time.  (A client
 * posting batches of Unix seconds 20251205, 20251206, ... wrote a line a
 * batch.) */
enum { WARNED_EARLY, WARNED_FUTURE, WARNED_LATE, WARNED_KINDS };
_Static_assert((int)WARNED_KINDS <= REFUSED_SLOTS, "a refused_log holds a count per kind");
static const refused_words DATE_WORDS = {
    "of this kind", NULL, "date warning"
};

/* The last pages GET /report made at its default as_of (the public page of
 * --public-reports), served again while nothing they were made of changed:
 * the engine (server.page_writes), the as_of, the depth and the min_group.
 * A page is one report_html of one moment, so the same key gives the same
 * bytes; under --report-now the default as_of is the present, and a page up
 * to REPORT_NOW_REUSE_SECONDS old is served again (it says its instant).
 * Without it every anonymous GET /report cost a page (seconds of CPU on a
 * big log) and held writes off while it was made.  Two are kept: the
 * service's own page (its depth and min_group) and the last other one, so
 * callers asking other min_groups do not put the public page out. */
#define REPORT_NOW_REUSE_SECONDS 60
typedef struct report_page {
    /* Held while a page of this slot at the default as_of is made (after
     * page_lock, never before it): the requests that missed the cache
     * together wait for the one page and are served it, instead of each
     * making its own (seconds of CPU each, after a write or under
     * --report-now).  One per slot: the public page never waits for
     * another key's. */
    pthread_mutex_t making;
    bool valid;
    uint64_t writes;
    int64_t as_of;
    uint64_t depth, min_group;
    char *page;
    size_t len;
} report_page;

/* A caller without a token (--public-reports with --tokens) may ask for a
 * stricter page than the service's (a min_group above --min-group), and
 * each new min_group missed the cache: four anonymous loops asking 6, 7,
 * 8, ... made page after page, and a one-event POST waited for them (0.3 to
 * 1 s, not a few ms).  So a page of other parameters than the service's
 * that is not kept is made for such callers at most once for each write
 * (other_writes: page_writes when the last one was made) or each
 * REPORT_OTHER_SECONDS (other_us: when), for all of them together; past
 * that they are answered 429 (report_other_allowed).  A stream of
 * anonymous requests then costs at most two pages a write (or a minute):
 * the service's own and one other.  Token holders are not counted. */
#define REPORT_OTHER_SECONDS 60
typedef struct report_cache {
    pthread_mutex_t mutex; /* the pages' keys and bytes, and the three below */
    report_page pages[2]; /* [0] the service's own, [1] the last other */
    bool other_made;      /* an anonymous caller had one other page made */
    uint64_t other_writes;
    int64_t other_us;
} report_cache;

/* --threads: at most `max` queries work at once, each holding its working
 * memory (a subject's events, a page's lists).  Taken around a query's
 * work alone: a request whose body is arriving, or whose answer is being
 * sent, holds no place, nor does one of the routes that do no work worth
 * bounding (route_gated).  Once the stop's wait is over (closed), a query
 * still waiting for a place runs nothing: the stop has said it cut. */
typedef struct query_gate {
    pthread_mutex_t mutex;
    pthread_cond_t freed;
    unsigned working, max;
    bool closed;
} query_gate;

/* The listening socket and the thread that accepts on it (accept_main). */
typedef struct acceptor {
    int fd;                  /* the listening socket; -1: none */
    int stop[2];             /* the stop pipe, written at the stop; -1: none */
    pthread_t thread;
    bool running;
    struct MHD_Daemon *daemon;
    guard *guard;
    unsigned max;            /* --max-connections */
    int64_t said_us;         /* a failed accept said; 0: none yet */
    uint64_t unsaid;         /* failed accepts not said since */
} acceptor;

typedef struct server {
    options opt;
    query_gate gate;
    mhd_log mhd_log;
    acceptor acceptor;
    refused_log refused_log;
    refused_log compact_log;   /* failed compactions (route 0): see refused_log */
    refused_log dates_log;     /* early, far-future and late dates (WARNED_*): see DATE_WORDS */
    civic_rules *rules;
    civic_engine *engine;
    char snapshot_path[PATH_BYTES_MAX];
    char journal_path[PATH_BYTES_MAX];
    char owed_path[PATH_BYTES_MAX]; /* DIR/purge-owed: see mark_owed */
    tokens tokens;
    bool auth;               /* a tokens file was given */
    guard guard;
    metrics metrics;
    int access_fd;           /* -1: no access log */
    atomic_bool access_cut;  /* a line was written in part: the next begins with '\n'
                              * (not in another file SIGHUP opens) */
    atomic_bool access_failing; /* said on standard error; said again once it writes */
    int data_fd;             /* the data directory, locked while we run; -1: none */
    char *openapi;           /* --openapi FILE, else NULL */
    size_t openapi_len;
    double start_unix;
    /* A notice page, and the objections to decide, are made of many
     * queries: they read under this lock and every write takes it, so one
     * answer is of one moment (a page's names are checked against its
     * figures).  Other queries are single calls. */
    pthread_rwlock_t page_lock;
    /* Writes that took page_lock to change the engine (a batch, a purge),
     * failed ones too: changed under the lock held for writing, read under
     * it held for reading, so a page made and a count read under one hold
     * belong together (the report cache's key). */
    uint64_t page_writes;
    report_cache report_cache;
    pthread_mutex_t compact_mutex; /* one compaction at a time */
    pthread_mutex_t stats_mutex;   /* the four below; never held during a compaction */
    uint64_t compactions, compaction_failures;
    double last_compaction_unix, last_compaction_seconds;
    /* The last write to the data directory (a batch that added events, a
     * purge, a compaction) failed with an I/O error: /healthz "writes". */
    atomic_bool writes_failing;
    /* purge_owed: DIR/purge-owed exists (read and changed under
     * compact_mutex: mark_owed); owed_failing: and the last compaction since
     * it was made failed, so /healthz says writes are failing whatever a
     * batch did since (SPEC 10.4: the purged events are still in the files). */
    bool purge_owed;
    atomic_bool owed_failing;
    /* A warning of that kind of a batch's log (hints_log_head: a CSV column
     * or a JSON Lines key the load ignores) was said on standard error (once
     * in the service's life for each: log_warning). */
    atomic_bool log_warned[HINT_LOG_KINDS];
    /* Writes that reached the data directory (batches that added events,
     * purges), and their number at the last compaction: the timer compacts
     * when they differ (the event count alone misses a purge). */
    atomic_uint_fast64_t writes, compacted_writes;
    pthread_t compactor;
    pthread_mutex_t stop_mutex;
    pthread_cond_t stop_cond;
    bool stopping;
} server;

typedef struct header {
    const char *name, *value;
} header;

/* A refusal decided from the headers, answered at once when a body would
 * follow (so it is not read; libmicrohttpd then closes the connection) or
 * after the request otherwise (so the connection is kept alive). */
typedef struct verdict {
    unsigned status;
    const char *error, *reason;
    header extra;
} verdict;

/* One HTTP request, from its request line (uri_logger) to completed(). */
typedef struct request {
    route_id route;
    guard *guard;            /* the server's: the answer budget */
    struct MHD_Connection *conn; /* its connection: the address's share of the body budget */
    size_t answer_reserved;  /* bytes of the answer budget held by the answer */
    char *uri;               /* the raw request target */
    const char *raw_at;      /* where libmicrohttpd held it when uri_logger saw it, */
    size_t raw_len;          /* and its length then (to a NUL byte, if one was sent) */
    char *path;              /* percent-decoded path, NUL-terminated; may hold NULs */
    size_t path_len;
    const char *id;          /* into path: the subject id or list name */
    bool bad_target;         /* the path holds a control character, or the path or query
                              * NUL or invalid UTF-8 (the query's parameters are checked
                              * decoded, by check_request) */
    bool record_suffix;      /* the raw path ends in "/record", not encoded */
    size_t bad_escape;       /* the byte (from 1) in the raw target of the first '%' not
                              * followed by two hex digits, in the path or the query; 0: none */
    char escape[4];          /* that '%' and what follows it, up to two printable characters */
    bool blank_target;       /* the raw target holds a space */
    bool userinfo;           /* an absolute-form target with "user:password@" */
    bool blanks_before;      /* more than one blank between the method and the target */
    bool asterisk;           /* the target is "*" (RFC 9112, 3.2.4): OPTIONS of the server */
    size_t fragment;         /* the byte (from 1) of the first '#' in the raw target; 0: none */
    char target_why[200];    /* a reason made for this request: a bad query parameter's
                              * (check_request), a content coding's (admit_body) */
    bool started, answered, arrived;
    bool too_big, over_budget;
    bool takes_body;         /* POST /events: the one request whose body is read */
    bool body_oom;           /* the body's buffer could not grow: 503 out of memory */
    bool late;               /* begun once the stop had begun: refused, never run */
    const token_entry *token; /* the known token it sent (sent_token), else NULL */
    char method[16];
    unsigned status;
    uint64_t bytes;
    int64_t start_us;
    size_t reserved;         /* bytes of the body budget held: body bytes, not the
                              * spare byte after them */
    uint64_t received;       /* body bytes read, the dropped ones included */
    verdict pending;         /* a refusal to answer once the request is in */
    char time_warning[HINTS_TIME_TEXT_BYTES]; /* parse_time_arg: "" when none */
    char *body;
    size_t len, cap;
} request;

static int64_t now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

static double unix_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* ------------------------------------------------------------ responses */

static enum MHD_Result send_error_h(struct MHD_Connection *c, request *rq, unsigned status,
                                    const char *error, const char *reason, header extra);

/* Queue b (taken over) as the answer.  HEAD gets the headers only (MHD).
 * libmicrohttpd holds the answer until its client has read it all, which a
 * client that asks and never reads never does: an answer bigger than
 * GUARD_ANSWER_FREE_BYTES holds its bytes of the answer budget until
 * completed(), and one that does not fit is refused (the refusal is small
 * enough to go out whatever the budget); one larger than the whole budget
 * goes out while no other is held, and one past the address's share (half the
 * budget) while its address holds no other (guard_reserve_answer_from). */
static enum MHD_Result send_body(struct MHD_Connection *c, request *rq, unsigned status,
                                 buf *b, const char *type, header extra)
{
    /* the answer to a write already applied (answer_again_in) may not
     * become a 503 that says it failed: without it, no answer at all */
    if (b->fixed && b->oom) return MHD_NO;
    if (b->oom) {
        free(b->p);
        *b = (buf){ 0 };
        status = MHD_HTTP_SERVICE_UNAVAILABLE;
        type = "application/json; charset=utf-8";
        buf_puts(b, "{\"error\":\"out of memory\"}\n");
        if (b->oom) return MHD_NO;
    }
    /* what an operator needs while the budget is spent: /metrics (which
     * counts the refusals) and the static document, not counted */
    bool counted = rq->route != ROUTE_METRICS && rq->route != ROUTE_OPENAPI;
    guard_take t = counted ? guard_reserve_answer_from(rq->guard, c, b->len) : GUARD_TAKEN;
    if (t != GUARD_TAKEN) {
        free(b->p);
        *b = (buf){ 0 };
        return send_error_h(c, rq, MHD_HTTP_SERVICE_UNAVAILABLE, "busy",
                            t == GUARD_SHARE_SPENT
                                ? "this client address holds its share of the server's budget "
                                  "for answers (answers it has not read); retry later"
                                : "the server's budget for answers is spent; retry later",
                            (header){ "Retry-After", RETRY_AFTER_SECONDS });
    }
    size_t held = counted ? guard_answer_bytes(b->len) : 0;
    struct MHD_Response *r = MHD_create_response_from_buffer(
        b->len, b->p, b->fixed ? MHD_RESPMEM_MUST_COPY : MHD_RESPMEM_MUST_FREE);
    if (!r) {
        guard_release_answer_from(rq->guard, c, held);
        if (!b->fixed) free(b->p);
        return MHD_NO;
    }
    /* released by completed(), which libmicrohttpd calls once for every
     * request it handed us, the answer read or the connection gone */
    rq->answer_reserved += held;
    if (type) MHD_add_response_header(r, "Content-Type", type); /* NULL: no body (OPTIONS) */
    MHD_add_response_header(r, "Cache-Control", "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    if (extra.name) MHD_add_response_header(r, extra.name, extra.value);
    if (rq->time_warning[0]) { /* RFC 7234, 5.5: 299, a persistent warning; ASCII, no '"' */
        char w[sizeof(rq->time_warning) + 32];
        snprintf(w, sizeof(w), "299 " SERVER_NAME " \"%s\"", rq->time_warning);
        MHD_add_response_header(r, "Warning", w);
    }
    rq->status = status;
    rq->bytes = b->len;
    rq->answered = true;
    enum MHD_Result rc = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return rc;
}

/* A JSON answer b as made: its `warning`, if any, holds the time's already
 * (post_purge: one key, not two). */
static enum MHD_Result send_json_made(struct MHD_Connection *c, request *rq, unsigned status,
                                      buf *b)
{
    if (!b->len || b->p[b->len - 1] != '\n') buf_put(b, "\n", 1);
    return send_body(c, rq, status, b, "application/json; charset=utf-8", (header){ 0 });
}

/* A JSON answer; a 200 to a question whose time parse_time_arg warned of
 * (as_of=20251205) carries the warning as its last key too. */
static enum MHD_Result send_json(struct MHD_Connection *c, request *rq, unsigned status, buf *b)
{
    if (status == MHD_HTTP_OK && rq->time_warning[0])
        json_last_key(b, "warning", rq->time_warning);
    return send_json_made(c, rq, status, b);
}

/* The answer to a write the engine applied and journaled (a batch, a purge,
 * a compaction) is b: when memory ran out while it was made, b is emptied
 * into `room`, on the caller's stack, to make it again there (true): its
 * counts are numbers (and a batch's warning at most BATCH_WARNING_BYTES,
 * escaped: its log's warnings quote the log, whose bytes json_str may
 * write as \u00XX, six for one), and COMMITTED_ANSWER_BYTES holds the
 * longest.  A 503 "out of memory" would say nothing was applied, and a
 * client would send again a batch that is on disk; if even libmicrohttpd
 * cannot make the answer, the connection is closed unanswered (send_body;
 * the manual says such a POST may have been applied). */
#define COMMITTED_ANSWER_BYTES (240u + BATCH_WARNING_BYTES + 5u * LOG_WARNING_BYTES)
static bool answer_again_in(buf *b, char *room, size_t n)
{
    if (!b->oom || b->fixed) return false; /* made, or made on the stack already */
    free(b->p);
    *b = buf_over(room, n);
    return true;
}

static enum MHD_Result send_error_h(struct MHD_Connection *c, request *rq, unsigned status,
                                    const char *error, const char *reason, header extra)
{
    buf b = { 0 };
    bool first = true;
    buf_puts(&b, "{");
    json_key(&b, "error", &first);
    json_str(&b, error);
    if (reason) {
        json_key(&b, "reason", &first);
        json_str(&b, reason);
    }
    buf_puts(&b, "}\n");
    return send_body(c, rq, status, &b, "application/json; charset=utf-8", extra);
}

static enum MHD_Result send_error(struct MHD_Connection *c, request *rq, unsigned status,
                                  const char *error, const char *reason)
{
    return send_error_h(c, rq, status, error, reason, (header){ 0 });
}

static unsigned status_of(int code)
{
    switch (code) {
    case CIVIC_E_CONFLICT: return MHD_HTTP_CONFLICT;
    case CIVIC_E_PURGED: return MHD_HTTP_GONE;
    case CIVIC_E_NOTFOUND: return MHD_HTTP_NOT_FOUND;
    case CIVIC_E_NOMEM:
    case CIVIC_E_IO: return MHD_HTTP_SERVICE_UNAVAILABLE;
    case CIVIC_E_SYNTAX:
    case CIVIC_E_EVENT:
    case CIVIC_E_LIMIT:
    case CIVIC_E_OVERFLOW:
    case CIVIC_E_INVALID: return MHD_HTTP_BAD_REQUEST;
    default: return MHD_HTTP_INTERNAL_SERVER_ERROR;
    }
}

/* ------------------------------------------------------------ query args */

static const char *arg(struct MHD_Connection *c, const char *name)
{
    const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
    return v && *v ? v : NULL;
}

/* How many bytes of s a reason shows: at most max, ending at a character's
 * end, since a UTF-8 sequence cut in two would come back as U+FFFD. */
static int shown_bytes(const char *s, size_t max)
{
    size_t len = strlen(s), n = 0;
    while (n < len) {
        size_t k = utf8_seq((const unsigned char *)s + n, len - n);
        if (k == 0) k = 1; /* not UTF-8: a byte at a time */
        if (n + k > max) break;
        n += k;
    }
    return (int)n;
}

/* The raw value of query parameter `name` (given once: params_ok) in the
 * target as sent, *len its bytes; NULL when none is found.  Names are
 * compared as libmicrohttpd does, decoded and in any case. */
static const char *raw_arg(const request *rq, const char *name, size_t *len)
{
    const char *q = rq && rq->uri ? strchr(rq->uri, '?') : NULL;
    size_t want = strlen(name);
    for (; q && *q; q += strcspn(q, "&")) {
        q++; /* past '?' or '&' */
        size_t seg = strcspn(q, "&"), key = strcspn(q, "&=");
        char dec[16];
        size_t k = 0;
        for (size_t i = 0; i < key && k < sizeof(dec); i++, k++) {
            int hi = q[i] == '%' ? hex_digit(q[i + 1]) : -1;
            int lo = hi >= 0 ? hex_digit(q[i + 2]) : -1;
            dec[k] = lo >= 0 ? (char)(hi << 4 | lo) : q[i] == '+' ? ' ' : q[i];
            if (lo >= 0) i += 2;
        }
        if (key < seg && k == want && strncasecmp(dec, name, want) == 0) {
            *len = seg - key - 1;
            return q + key + 1;
        }
    }
    return NULL;
}

/* v, the decoded value of `name`, as the client sent it, into shown (len
 * bytes and a NUL): libmicrohttpd decodes an unencoded '+' to a space, as
 * it does %20, and a reason that echoed every space as the '+' it is read
 * as pointed at a '+' never sent ("+now" for %20now).  So the raw value is
 * decoded again with each '+' left as it is; when it is not found, or not
 * v (a target copied otherwise), a space is shown as the '+' read. */
static void value_as_sent(const request *rq, const char *name, const char *v, size_t len,
                          char *shown)
{
    size_t rlen = 0, i = 0, k = 0;
    const char *raw = raw_arg(rq, name, &rlen);
    for (; raw && i < rlen && k < len; i++, k++) {
        int hi = raw[i] == '%' ? hex_digit(raw[i + 1]) : -1;
        int lo = hi >= 0 ? hex_digit(raw[i + 2]) : -1;
        char got = lo >= 0 ? (char)(hi << 4 | lo) : raw[i] == '+' ? ' ' : raw[i];
        if (v[k] != got) break;
        shown[k] = lo >= 0 ? got : raw[i];
        if (lo >= 0) i += 2;
    }
    if (!raw || i != rlen || k != len) /* not the value seen: as it is read */
        for (k = 0; k < len; k++) shown[k] = v[k] == ' ' ? '+' : v[k];
    shown[len] = '\0';
}

static void logged_params(buf *out, const char *p, size_t n, const char *seps,
                          bool first_named, bool named);

/* Bytes of a bad time's reason: the value shown (60 bytes at most), the
 * forms and the library's hint (about 60). */
#define TIME_WHY_BYTES 256

/* A time in any ts form.  A '+' sent unencoded arrives as a space, so a
 * space is read as '+', except the one that may stand for the 'T' between
 * date and time (YYYY-MM-DD HH:MM...).  A reason quotes the value as sent
 * (value_as_sent).  CIVIC_OK; CIVIC_E_INVALID with the reason in why
 * (TIME_WHY_BYTES hold any); CIVIC_E_NOMEM (send_time_error).  A time taken
 * that is a bare integer before 1973-03-03 (as_of=20251205: Unix seconds,
 * where a date without dashes was most likely meant) leaves civic-score's
 * warning of -t in rq->time_warning (hints_small_time), for the answer's
 * Warning header and `warning` (send_body, send_json): answered as the
 * contract reads it, as civic-score answers it. */
static int parse_time_arg(server *s, request *rq, const char *name, const char *v,
                          int64_t *out, char *why, size_t n)
{
    size_t len = strlen(v); /* within libmicrohttpd's memory for a request's target */
    char *text = malloc(2 * (len + 1));
    if (!text) return CIVIC_E_NOMEM; /* 503, as any route's: not the value's fault */
    for (size_t i = 0; i <= len; i++) text[i] = v[i] == ' ' ? '+' : v[i];
    if (len > 11 && v[10] == ' ' && v[4] == '-' && v[7] == '-' && v[11] >= '0' && v[11] <= '9')
        text[10] = ' ';
    civic_error err = CIVIC_ERROR_INIT;
    int rc = civic_rules_parse_time_ext(s->rules, text, len, out, &err);
    if (rc == CIVIC_E_EVENT && strchr(v, ' ') && !strstr(err.message, ") (")) {
        /* no hint for it with its blanks read as '+': the library's, if it
         * has one, for the value with its blanks (a blank before the 'Z' or
         * at an end, "2024-2-29 10:00:00"), as civic-score -t is told */
        civic_error raw = CIVIC_ERROR_INIT;
        int64_t t;
        if (civic_rules_parse_time_ext(s->rules, v, len, &t, &raw) == CIVIC_E_EVENT &&
            strstr(raw.message, ") ("))
            err = raw;
    }
    char *sent = text + len + 1;
    buf hidden = { 0 };
    if (rc != CIVIC_OK) {
        value_as_sent(rq, name, v, len, sent);
        /* "as_of=2025-12-31;password=x": a client that ends parameters with
         * ';' (as the access log reads them) sent a credential inside the
         * value; the reason hides it as the log does */
        logged_params(&hidden, sent, len, ";", false, true);
        buf_put(&hidden, "", 1);
        if (!hidden.oom) sent = hidden.p;
    }
    int shown = rc != CIVIC_OK ? shown_bytes(sent, 60) : 0; /* ending at a character's end */
    static const char range[] = "timestamp out of range";
    if (rc == CIVIC_E_LIMIT && strncmp(err.message, range, sizeof(range) - 1) == 0)
        /* well formed: the instant is outside the calendar; the library's
         * reason after "out of range", which for 13 digits says they look
         * like milliseconds, as a log's ts and civic-score -t are told */
        snprintf(why, n, "%s \"%.*s\" is out of range%.*s", name, shown, sent,
                 shown_bytes(err.message + sizeof(range) - 1, 160),
                 err.message + sizeof(range) - 1);
    else if (rc == CIVIC_E_LIMIT)
        snprintf(why, n, "%s \"%.*s\" is out of range (years 0001..9999 in UTC)", name, shown,
                 sent);
    else if (rc == CIVIC_E_EVENT && strncmp(err.message, "bad timestamp", 13) != 0)
        /* of the right form, but a day, an hour or an offset that does not exist */
        snprintf(why, n, "%s \"%.*s\": %.*s", name, shown, sent,
                 shown_bytes(err.message, 160), err.message);
    else if (rc != CIVIC_OK) /* only an as_of takes "now" (parse_as_of) */
        /* our list of forms in place of the library's (which its first ')'
         * ends), then what the value most likely is where the library says
         * it, as a log's ts and civic-score -t are told it ("(the seconds
         * are required: write 2025-11-28T19:04:00)") */
        snprintf(why, n, "%s \"%.*s\" is not a timestamp (YYYY-MM-DD, "
                 "YYYY-MM-DDTHH:MM:SS[Z|+HH:MM]%s)%s", name, shown, sent,
                 strcmp(name, "as_of") == 0 ? ", Unix seconds or now" : " or Unix seconds",
                 rc == CIVIC_E_EVENT && strchr(err.message, ')') ? strchr(err.message, ')') + 1
                                                                 : "");
    free(hidden.p);
    free(text);
    if (rc == CIVIC_OK && rq) {
        char what[16];
        snprintf(what, sizeof(what), "%s=", name);
        hints_small_time(s->rules, what, v, len, rq->time_warning, sizeof(rq->time_warning));
    }
    return rc == CIVIC_OK ? CIVIC_OK : CIVIC_E_INVALID;
}

/* The as_of of a question that gives none: the latest ts held (the present
 * when none), or with `present` the present moment; the purge horizon when
 * that is later (nothing before it can be answered). */
static int64_t default_as_of(const server *s, bool present)
{
    int64_t t;
    if (present || civic_engine_time_range(s->engine, NULL, &t) != CIVIC_OK)
        t = (int64_t)time(NULL);
    int64_t h = civic_engine_purge_horizon(s->engine);
    return h != CIVIC_NO_TIME && h > t ? h : t;
}

/* as_of in any ts form, or "now" (as civic-score -t now); absent: the latest
 * ts held (now when empty), as civic-score's -t defaults to the latest ts of
 * its input, or with `present` the present moment (GET /report under
 * --report-now: a page of the latest ts would go on naming, through a quiet
 * stretch, residents whose listing has ended or whose entry retention has
 * archived since); either way the purge horizon when that is later (nothing
 * before it can be answered). */
static int parse_as_of_or(server *s, struct MHD_Connection *c, request *rq, bool present,
                          int64_t *out, char *why, size_t n)
{
    const char *v = arg(c, "as_of");
    if (v && strcmp(v, "now") == 0) {
        *out = (int64_t)time(NULL);
        return CIVIC_OK;
    }
    if (!v) {
        *out = default_as_of(s, present);
        return CIVIC_OK;
    }
    return parse_time_arg(s, rq, "as_of", v, out, why, n);
}

/* as_of, absent: the latest ts held (1.0's default, kept by every route but
 * GET /report under --report-now). */
static int parse_as_of(server *s, struct MHD_Connection *c, request *rq, int64_t *out,
                       char *why, size_t n)
{
    return parse_as_of_or(s, c, rq, false, out, why, n);
}

/* A time parameter parse_time_arg did not read: 400 `error` with why, or
 * 503 out of memory. */
static enum MHD_Result send_time_error(struct MHD_Connection *c, request *rq, int rc,
                                       const char *error, const char *why)
{
    if (rc == CIVIC_E_NOMEM)
        return send_error(c, rq, MHD_HTTP_SERVICE_UNAVAILABLE, "out of memory", NULL);
    return send_error(c, rq, MHD_HTTP_BAD_REQUEST, error, why);
}

/* A question whose as_of was left to the service, overtaken by a purge
 * between the default and the question (the horizon moved past it: 410 of
 * an as_of the client never sent): true, with the new default, to ask
 * again (a few times: purges one after another could go on overtaking). */
static bool overtaken(server *s, struct MHD_Connection *c, int rc, int64_t *as_of, int *tries)
{
    char why[8];
    return rc == CIVIC_E_PURGED && !arg(c, "as_of") && ++*tries <= 8 &&
           parse_as_of(s, c, NULL, as_of, why, sizeof(why)) == CIVIC_OK;
}

static bool parse_uint(const char *v, uint64_t max, uint64_t *out)
{
    if (!v || !*v) return false;
    uint64_t x = 0;
    for (const char *p = v; *p; p++) {
        if (*p < '0' || *p > '9') return false;
        if (x > (max - (uint64_t)(*p - '0')) / 10) return false;
        x = x * 10 + (uint64_t)(*p - '0');
    }
    *out = x;
    return true;
}

/* ------------------------------------------------------------ answers */

/* A query that failed: 410 with the horizon for CIVIC_E_PURGED, else the
 * status of the code. */
static enum MHD_Result send_query_error(server *s, struct MHD_Connection *c, request *rq, int rc,
                                        int64_t as_of)
{
    if (rc == CIVIC_E_LIMIT && rq->id && strlen(rq->id) > CIVIC_ID_BYTES_MAX) {
        char why[96];
        snprintf(why, sizeof(why), "the id is %zu bytes long: at most %u", strlen(rq->id),
                 CIVIC_ID_BYTES_MAX);
        return send_error(c, rq, status_of(rc), civic_strerror(rc), why);
    }
    if (rc == CIVIC_E_OVERFLOW) /* of data accepted: the same request will fail again */
        return send_error(c, rq, status_of(rc), civic_strerror(rc),
                          "a subject's points, balance, dimension subtotal or tier quantity, or a "
                          "group's balance, summed at this as_of, pass what 64 bits hold (rules "
                          "with very large points or quantities; civic-score on the same events "
                          "names the subject, unless all its events lie at the instant its sum "
                          "overflows)");
    if (rc != CIVIC_E_PURGED) return send_error(c, rq, status_of(rc), civic_strerror(rc), NULL);
    char h[40], t[40], why[256];
    if (civic_rules_format_time(s->rules, civic_engine_purge_horizon(s->engine), h, sizeof(h)))
        snprintf(h, sizeof(h), "?");
    if (civic_rules_format_time(s->rules, as_of, t, sizeof(t))) snprintf(t, sizeof(t), "?");
    snprintf(why, sizeof(why), "as_of %s is before the purge horizon %s: that history was "
             "purged; ask about %s or later", t, h, h);
    return send_error(c, rq, MHD_HTTP_GONE, civic_strerror(rc), why);
}

static enum MHD_Result get_subject(server *s, struct MHD_Connection *c, request *rq)
{
    char why[TIME_WHY_BYTES];
    int64_t as_of;
    int trc = parse_as_of(s, c, rq, &as_of, why, sizeof(why));
    if (trc != CIVIC_OK) return send_time_error(c, rq, trc, "bad as_of", why);
    civic_result *res = NULL;
    int rc, tries = 0;
    do rc = civic_engine_subject(s->engine, rq->id, as_of, &res);
    while (overtaken(s, c, rc, &as_of, &tries));
    if (rc != CIVIC_OK) return send_query_error(s, c, rq, rc, as_of);
    buf b = { 0 };
    view_subject(&b, s->rules, res, as_of, view_flags(s->engine));
    civic_result_free(res);
    return send_json(c, rq, MHD_HTTP_OK, &b);
}

static enum MHD_Result get_record(server *s, struct MHD_Connection *c, request *rq)
{
    char why[TIME_WHY_BYTES];
    int64_t as_of;
    if (!rq->id[0]) /* /subjects//record: a client's empty id, no subject any event has */
        return send_error(c, rq, MHD_HTTP_BAD_REQUEST, "bad subject",
                          "an empty subject id (GET /subjects/{id}/record)");
    int trc = parse_as_of(s, c, rq, &as_of, why, sizeof(why));
    if (trc != CIVIC_OK) return send_time_error(c, rq, trc, "bad as_of", why);
    civic_record *rec = NULL;
    int rc, tries = 0;
    do rc = civic_engine_record(s->engine, rq->id, as_of, &rec);
    while (overtaken(s, c, rc, &as_of, &tries));
    if (rc != CIVIC_OK) return send_query_error(s, c, rq, rc, as_of);
    buf b = { 0 };
    view_record(&b, s->rules, rec, as_of, view_flags(s->engine));
    civic_record_free(rec);
    return send_json(c, rq, MHD_HTTP_OK, &b);
}

/* The 400 of a bad integer parameter: its range, and the value as sent
 * (value_as_sent), credentials after a ';' in it hidden as the access log
 * hides them ("top=abc;password=x"). */
static enum MHD_Result send_bad_uint(struct MHD_Connection *c, request *rq, const char *name,
                                     const char *range)
{
    const char *v = arg(c, name);
    size_t len = v ? strlen(v) : 0;
    char *sent = malloc(len + 1);
    buf hidden = { 0 };
    if (sent) {
        value_as_sent(rq, name, v ? v : "", len, sent);
        logged_params(&hidden, sent, len, ";", false, true);
        buf_put(&hidden, "", 1);
    }
    const char *shown = sent && !hidden.oom ? hidden.p : "";
    char error[32], why[200];
    snprintf(error, sizeof(error), "bad %s", name);
    snprintf(why, sizeof(why), "%s is an integer %s, not \"%.*s\"", name, range,
             shown_bytes(shown, 60), shown);
    free(hidden.p);
    free(sent);
    return send_error(c, rq, MHD_HTTP_BAD_REQUEST, error, why);
}

static enum MHD_Result get_groups(server *s, struct MHD_Connection *c, request *rq)
{
    char why[TIME_WHY_BYTES];
    int64_t as_of;
    uint64_t depth = 1;
    if (arg(c, "depth") && !parse_uint(arg(c, "depth"), CIVIC_GROUP_DEPTH_MAX, &depth))
        return send_bad_uint(c, rq, "depth", "0..64");
    int trc = parse_as_of(s, c, rq, &as_of, why, sizeof(why));
    if (trc != CIVIC_OK) return send_time_error(c, rq, trc, "bad as_of", why);
    civic_groups *g = NULL;
    int rc, tries = 0;
    do rc = civic_engine_groups(s->engine, (uint32_t)depth, as_of, &g);
    while (overtaken(s, c, rc, &as_of, &tries));
    if (rc != CIVIC_OK) return send_query_error(s, c, rq, rc, as_of);
    buf b = { 0 };
    view_groups(&b, s->rules, g, (uint32_t)depth, as_of);
    civic_groups_free(g);
    return send_json(c, rq, MHD_HTTP_OK, &b);
}

/* civic-score --top's answer; the service adds "group" (the ranking's
 * group, "" for everyone). */
static enum MHD_Result get_rank(server *s, struct MHD_Connection *c, request *rq)
{
    char why[TIME_WHY_BYTES];
    int64_t as_of;
    uint64_t top = 0;
    if (arg(c, "top") && !parse_uint(arg(c, "top"), UINT32_MAX, &top))
        return send_bad_uint(c, rq, "top", "0..4294967295");
    int trc = parse_as_of(s, c, rq, &as_of, why, sizeof(why));
    if (trc != CIVIC_OK) return send_time_error(c, rq, trc, "bad as_of", why);
    const char *group = arg(c, "group");
    /* a path no event can have (as a log's group is refused): not an empty
     * ranking */
    if (group) {
        size_t n = strlen(group), segments = 1;
        for (size_t i = 0; i < n; i++) segments += group[i] == '/';
        const char *bad = group[0] == '/' || group[n - 1] == '/' /* n > 0: arg() */
                              ? "a group path may not start or end with '/'"
                          : strstr(group, "//")              ? "empty segment in group path"
                          : n > CIVIC_GROUP_BYTES_MAX        ? "longer than 255 bytes"
                          : segments > CIVIC_GROUP_DEPTH_MAX ? "more than 64 segments"
                                                             : NULL;
        if (bad) return send_error(c, rq, MHD_HTTP_BAD_REQUEST, "bad group", bad);
    }
    civic_result *res = NULL;
    int rc, tries = 0;
    do rc = civic_engine_rank(s->engine, group, as_of, top, &res);
    while (overtaken(s, c, rc, &as_of, &tries));
    if (rc != CIVIC_OK) return send_query_error(s, c, rq, rc, as_of);
    buf b = { 0 };
    view_rank(&b, s->rules, res, group, as_of, view_flags(s->engine));
    civic_result_free(res);
    return send_json(c, rq, MHD_HTTP_OK, &b);
}

/* /healthz "writes" and civic_writes_failing: the last write failed, or a
 * purge's compaction is owed and the last try failed. */
static bool writes_failing(server *s)
{
    return atomic_load(&s->writes_failing) || atomic_load(&s->owed_failing);
}

/* /healthz "durable" and civic_durable: the events are kept in --data and
 * synced before (or within 50 ms of) their answer; not under --sync none,
 * which a power loss may undo. */
static bool durable(const server *s)
{
    return s->opt.data_dir && s->opt.sync_policy != CIVIC_SYNC_NONE;
}

/* Liveness for anyone; the counts only for a reader (or without --tokens). */
static enum MHD_Result get_health(server *s, struct MHD_Connection *c, request *rq)
{
    buf b = { 0 };
    buf_printf(&b, "{\"status\":\"ok\",\"version\":\"%s\",\"durable\":%s,\"writes\":\"%s\"",
               civic_version(), durable(s) ? "true" : "false",
               writes_failing(s) ? "failing" : "ok");
    if (!s->auth || (rq->token && rq->token->role >= ROLE_READ))
        buf_printf(&b, ",\"events\":%" PRIu64 ",\"subjects\":%" PRIu64,
                   civic_engine_event_count(s->engine), civic_engine_subject_count(s->engine));
    buf_puts(&b, "}");
    return send_json(c, rq, MHD_HTTP_OK, &b);
}

/* ------------------------------------------------------------ POST /events */

/* SPEC 10.5: events posted without a source get the token's name.  libcivic
 * reads `source` since 1.1 (version 2 of the contract); an older library
 * would ignore the column, and the rewrite would cost a copy for nothing. */
static bool lib_reads_source(void) { return civic_version_number() >= 1001000u; }

static bool ctype_is(const char *ct, const char *type)
{
    size_t n = strcspn(ct, "; \t");
    return n == strlen(type) && strncasecmp(ct, type, n) == 0;
}

/* CIVIC_FORMAT_* for the Content-Type; *json for application/json (a JSON
 * array or JSON Lines); *unsupported for types that cannot be an event log. */
static uint32_t format_of(struct MHD_Connection *c, bool *json, bool *unsupported)
{
    const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
    *json = *unsupported = false;
    if (!ct) return CIVIC_FORMAT_AUTO;
    if (ctype_is(ct, "text/csv")) return CIVIC_FORMAT_CSV;
    if (ctype_is(ct, "application/x-ndjson") || ctype_is(ct, "application/x-jsonl") ||
        ctype_is(ct, "application/jsonl") || ctype_is(ct, "application/jsonlines"))
        return CIVIC_FORMAT_JSONL;
    if (ctype_is(ct, "application/json")) {
        *json = true;
        return CIVIC_FORMAT_JSONL;
    }
    if (strncasecmp(ct, "multipart/", 10) == 0) *unsupported = true;
    return CIVIC_FORMAT_AUTO; /* sniffed by the library (curl -d sends form type) */
}

/* Whether the request's Content-Type is curl -d's (--data's) default, a
 * form's, whose body curl sends without its line breaks. */
static bool sent_as_form(struct MHD_Connection *c)
{
    const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
    return ct && ctype_is(ct, "application/x-www-form-urlencoded");
}

static bool tchar(unsigned char c) /* RFC 9110, 5.6.2: a token's */
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* The charset the request's Content-Type names (RFC 9110, 8.3.2:
 * "text/csv; charset=windows-1252", the value a token or a quoted string),
 * into out, when it is another than UTF-8 (utf-8, utf8) or ASCII (us-ascii,
 * ascii: a body that is not UTF-8 is no ASCII either, and the library's own
 * guess then stays).  False too for a value of n bytes or more, or of other
 * characters than a token's (not named back).  The body is read as UTF-8
 * whatever it says: the charset is named in the error of a body that is not
 * (charset_hint). */
static bool declared_charset(struct MHD_Connection *c, char *out, size_t n)
{
    const char *p = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
    while (p && (p = strchr(p, ';')) != NULL) {
        p += 1 + strspn(p + 1, " \t");
        size_t name = strcspn(p, "=; \t");
        if (name != 7 || strncasecmp(p, "charset", 7) != 0 || p[7] != '=') continue;
        const char *v = p + 8;
        bool quoted = *v == '"';
        size_t len = quoted ? strcspn(v + 1, "\"") : strcspn(v, "; \t");
        if (quoted) v++;
        if (len == 0 || len >= n) return false;
        for (size_t i = 0; i < len; i++)
            if (!tchar((unsigned char)v[i])) return false;
        memcpy(out, v, len);
        out[len] = '\0';
        return strcasecmp(out, "utf-8") != 0 && strcasecmp(out, "utf8") != 0 &&
               strcasecmp(out, "us-ascii") != 0 && strcasecmp(out, "ascii") != 0;
    }
    return false;
}

/* The text to load: the body itself, or a rewritten copy in *out (JSON
 * array to lines, source added).  -1 with the reason for a bad array.  When
 * a source went in, *sourced says whether the body was CSV and *lines_out
 * keeps the text it went into (an array's lines; else empty: the body), so
 * that an error can be told as the body was sent.  *array says whether the
 * body was a JSON array read as one (its elements are the lines). */
static int prepare_body(server *s, request *rq, uint32_t *format, bool json, buf *out,
                        buf *lines_out, int *sourced, bool *array, char *why, size_t n)
{
    const char *text = rq->body ? rq->body : "";
    size_t len = rq->len;
    buf lines = { 0 };
    *array = false; /* true: its lines, none for "[]", are the text */
    if ((json || *format == CIVIC_FORMAT_AUTO) && body_is_json_array(text, len)) {
        if (body_array_to_lines(text, len, &lines, why, n) != 0) {
            free(lines.p);
            return -1;
        }
        *array = true;
        *format = CIVIC_FORMAT_JSONL;
        text = lines.p ? lines.p : "";
        len = lines.len;
    }
    if (lib_reads_source() && s->auth && rq->token && !lines.oom) {
        uint32_t f = *format;
        if (f == CIVIC_FORMAT_AUTO) f = log_format_of(text, len);
        if (f == CIVIC_FORMAT_CSV) body_source_csv(text, len, rq->token->name, out);
        else body_source_jsonl(text, len, rq->token->name, out);
        *lines_out = lines;
        *sourced = f == CIVIC_FORMAT_CSV ? 2 : 1;
        return 1;
    }
    if (*array || lines.oom) {
        *out = lines;
        return 1;
    }
    return 0;
}

#define REFUSED_EVERY_US (60 * 1000000LL)

/* A write the data directory refused (route: REFUSED_*; l: the writes', or
 * the compactions' log): "civic-server: WHAT: REASON" on standard error,
 * unless this route said one less than a minute ago (refused_log) and the
 * line is not one to say `always` (a compaction at the start or the stop:
 * once, and the last word on it). */
static void say_limited(refused_log *l, const refused_words *w, int route, const char *what,
                        const char *reason, bool always)
{
    pthread_mutex_lock(&l->mutex);
    int64_t now = now_us();
    if (always || l->fresh || !l->said_us[route] || now - l->said_us[route] >= REFUSED_EVERY_US) {
        if (l->unsaid[route])
            fprintf(stderr, SERVER_NAME ": %s: %s (%" PRIu64 " more %s before it not shown: "
                    "at most one a minute is)\n", what, reason, l->unsaid[route], w->refused);
        else
            fprintf(stderr, SERVER_NAME ": %s: %s\n", what, reason);
        l->said_us[route] = now;
        l->unsaid[route] = 0;
        l->told = true;
    } else {
        l->unsaid[route]++;
    }
    l->failing = true;
    l->fresh = false;
    pthread_mutex_unlock(&l->mutex);
}

static void say_refused(server *s, int route, const char *what, const char *reason)
{
    say_limited(&s->refused_log, &WRITE_WORDS, route, what, reason, false);
}

/* A write (a compaction) went through after refusals: said, with how many
 * were not, when one of them was said (at most one a minute). */
static void say_again(refused_log *l, const refused_words *w)
{
    pthread_mutex_lock(&l->mutex);
    int64_t now = now_us();
    if (l->failing && l->told && (!l->over_us || now - l->over_us >= REFUSED_EVERY_US)) {
        uint64_t n = 0;
        for (int r = 0; r < REFUSED_SLOTS; r++) {
            n += l->unsaid[r];
            l->unsaid[r] = 0;
        }
        if (n)
            fprintf(stderr, SERVER_NAME ": %s (%" PRIu64 " %s%s since the last one shown, "
                    "not shown)\n", w->again, n, w->noun, n == 1 ? "" : "s");
        else
            fprintf(stderr, SERVER_NAME ": %s\n", w->again);
        l->over_us = now;
        l->fresh = true;
    }
    l->failing = l->told = false;
    pthread_mutex_unlock(&l->mutex);
}

/* At the stop: how many were not said since the last one. */
static void refused_flush(refused_log *l, const refused_words *w)
{
    pthread_mutex_lock(&l->mutex);
    uint64_t n = 0;
    for (int r = 0; r < REFUSED_SLOTS; r++) {
        n += l->unsaid[r];
        l->unsaid[r] = 0;
    }
    if (n)
        fprintf(stderr, SERVER_NAME ": %" PRIu64 " more %s%s since the last one shown, not "
                "shown (at most one a minute is)\n", n, w->noun, n == 1 ? "" : "s");
    pthread_mutex_unlock(&l->mutex);
}

/* A write's outcome for /healthz: an I/O error marks writes failing; a
 * write that reached the data directory (wrote: a batch that added events,
 * a purge, a compaction) marks them ok again. */
static void note_write(server *s, int rc, bool wrote)
{
    if (rc == CIVIC_E_IO) atomic_store(&s->writes_failing, true);
    else if (rc == CIVIC_OK && wrote) atomic_store(&s->writes_failing, false);
    if (rc == CIVIC_OK && wrote) say_again(&s->refused_log, &WRITE_WORDS);
}

/* A batch that added events, or a purge, reached the data directory. */
static void count_write(server *s, int rc, bool wrote)
{
    if (rc == CIVIC_OK && wrote) atomic_fetch_add(&s->writes, 1);
}

/* The library's hint that a body looks like the other format says "load it
 * as ...", which a client does by its Content-Type: say that instead (the
 * library's words stay when the service's would not fit).  Its hint for a
 * JSON array read as JSON Lines or CSV tells civic-score's user, who can
 * load no array, to drop the brackets; the service reads the very body
 * under application/json (docs/http-api.md), so it says that.  But when the
 * body was read as a JSON array (array), the line the library found to be
 * an array is an element that is one ([[{...}]]): that element is not an
 * object, as [1] is told, and the hint is dropped (it told a client who had
 * sent application/json to send application/json). */
#define ARRAY_SENT_HINT " (the body is a JSON array: send it with Content-Type: application/json)"

static void say_content_type(civic_error *err, bool array)
{
    static const char *const hints[][2] = {
        { " (the text looks like JSON Lines: load it as JSON Lines)",
          " (the body looks like JSON Lines: send it with Content-Type: application/x-ndjson)" },
        { " (the text looks like CSV: load it as CSV)",
          " (the body looks like CSV: send it with Content-Type: text/csv)" },
        { " (the text is a JSON array: JSON Lines is one object a line, without '[' and ']')",
          ARRAY_SENT_HINT },
    };
    size_t m = strlen(err->message);
    for (size_t k = 0; k < sizeof(hints) / sizeof(hints[0]); k++) {
        size_t n = strlen(hints[k][0]), w = strlen(hints[k][1]);
        if (array && k == 2 && m >= n && memcmp(err->message + m - n, hints[k][0], n) == 0) {
            err->message[m - n] = '\0';
            return;
        }
        if (m >= n && memcmp(err->message + m - n, hints[k][0], n) == 0 &&
            m - n + w < sizeof(err->message)) {
            memcpy(err->message + m - n, hints[k][1], w + 1);
            return;
        }
    }
}

/* An event dated more than FUTURE_SECONDS_MAX after the server's clock: a
 * mistyped year (2062 for 2026), most often.  It is taken (1.0 took it, and
 * a client may post ahead), but from then on every answer without as_of is
 * of its date, and a revoke of it does not help (the revoke is held too).
 * Its warning is at most FUTURE_WARNING_BYTES. */
#define FUTURE_SECONDS_MAX 86400
#define FUTURE_WARNING_BYTES 400u
/* A body sent as a form (curl -d) without a line break, where a log would
 * have more than one (body_lines_joined): what the answer says of it, after
 * the error's reason or as a warning (a CSV header alone is no error). */
#define CURL_DATA_HINT " (curl -d removes line breaks: use --data-binary)"
#define CURL_DATA_WARNING "the body is a single line, a CSV header without events" \
                          CURL_DATA_HINT

/* The warnings of a batch's log (log_warnings): at most HINT_FIELDS, a
 * CSV column for each of qty, group and ref, or a JSON Lines key. */
#define LOG_WARNING_BYTES (HINT_FIELDS * (2u + HINTS_LOG_TEXT_BYTES))
/* The answer's `warning`: a future date's, an early and a late one's
 * (early_warning, late_warning), the log's and a body sent by curl -d's
 * (CURL_DATA_WARNING), those that are, "; " between them. */
#define BATCH_WARNING_BYTES (FUTURE_WARNING_BYTES + 2u * (2u + HINTS_TIME_TEXT_BYTES) + \
                             LOG_WARNING_BYTES + 2u + sizeof(CURL_DATA_WARNING))

/* After a batch was applied: the warning of an event dated past the clock
 * that moved the default as_of (before, after: default_as_of, read under
 * the lock around the load), or "" when the batch did not (SPEC 3 bounds no
 * ts; the answer says it, and standard error at most once a minute:
 * DATE_WORDS).  A batch whose events lie
 * before a date already held, or before a purge horizon, moves no default
 * and is not warned of, nor is one sent again (its events are duplicates). */
static void future_warning(server *s, int64_t before, int64_t after, char *w, size_t n)
{
    w[0] = '\0';
    int64_t now = (int64_t)time(NULL);
    if (after <= now + FUTURE_SECONDS_MAX || after <= before) return;
    char t[40], clock[40];
    if (civic_rules_format_time(s->rules, after, t, sizeof(t)))
        snprintf(t, sizeof(t), "%" PRId64, after);
    if (civic_rules_format_time(s->rules, now, clock, sizeof(clock)))
        snprintf(clock, sizeof(clock), "%" PRId64, now);
    /* as_of=now is 410 while a purge's horizon is ahead of the clock
     * (future=yes): the warning names it instead of promising the present */
    char gone[128] = "as_of=now answers the present", h[40];
    int64_t horizon = civic_engine_purge_horizon(s->engine);
    if (horizon != CIVIC_NO_TIME && horizon > now) {
        if (civic_rules_format_time(s->rules, horizon, h, sizeof(h)))
            snprintf(h, sizeof(h), "%" PRId64, horizon);
        snprintf(gone, sizeof(gone), "as_of=now is before the purge horizon %s (410): ask "
                 "about it or later", h);
    }
    /* GET /report's default is of that date too, but under --report-now */
    snprintf(w, n, "an event of the batch is dated %s, more than a day after the server's "
             "clock (%s): answers without as_of%s are now of that date, and a revoke does not "
             "undo it; %s", t, clock,
             s->opt.report_now ? " (but GET /report's, under --report-now)" : "", gone);
    say_limited(&s->dates_log, &DATE_WORDS, WARNED_FUTURE, "warning: POST /events", w, false);
}

/* A date's warning `text` (kind: WARNED_*) appended to the answer's w after
 * "; " when it holds one already, and said on standard error (DATE_WORDS). */
static void date_warning(server *s, int kind, const char *text, char *w, size_t n)
{
    size_t used = strlen(w);
    snprintf(w + used, n - used, "%s%s", used ? "; " : "", text);
    say_limited(&s->dates_log, &DATE_WORDS, kind, "warning: POST /events", text, false);
}

/* After a batch was applied: the warning of an event dated before
 * 1973-03-03, a ts most likely written as a bare integer where a date
 * without dashes (20251205) or a spreadsheet's day number was meant
 * (hints_early_ts, civic-score's words), appended to w after "; " when w
 * holds a warning already; nothing when the batch did not move the
 * earliest ts held there (had: the service held events before it, the
 * earliest at `before`; after: the earliest once it was applied, both read
 * under the lock around the load).  A batch whose events all lie after one
 * already held, or sent again, is not warned of, as a future date is not. */
static void early_warning(server *s, bool had, int64_t before, int64_t after, char *w, size_t n)
{
    char text[HINTS_TIME_TEXT_BYTES];
    if ((had && after >= before) || !hints_early_ts(s->rules, after, text, sizeof(text)))
        return;
    date_warning(s, WARNED_EARLY, text, w, n);
}

/* Its mirror: the warning of an event dated from 5138-11-16 on, a ts of
 * twelve digits most likely written as a bare integer where a date and
 * time without separators (202612081200) was meant (hints_late_ts),
 * appended to w after "; " when w holds a warning already; nothing when
 * the batch did not move the latest ts held (had, before: the latest held
 * before it; after: once it was applied).  Such a date is past the clock
 * too: future_warning says what it does to the default as_of, this what
 * it most likely was. */
static void late_warning(server *s, bool had, int64_t before, int64_t after, char *w, size_t n)
{
    char text[HINTS_TIME_TEXT_BYTES];
    if ((had && after <= before) || !hints_late_ts(s->rules, after, text, sizeof(text)))
        return;
    date_warning(s, WARNED_LATE, text, w, n);
}

/* The `warning` of a batch being made (w, n bytes) and the service. */
typedef struct batch_warning {
    server *s;
    char *w;
    size_t n;
} batch_warning;

/* One warning of a batch's log (hints_log_head), appended to the answer's
 * after "; " when it holds one already; on standard error the first of
 * its kind in the service's life (a client that posts such a log every
 * minute would fill it). */
static void log_warning(void *payload, int kind, const char *text)
{
    batch_warning *b = payload;
    size_t used = strlen(b->w);
    snprintf(b->w + used, b->n - used, "%s%s", used ? "; " : "", text);
    if (!atomic_exchange(&b->s->log_warned[kind], true))
        fprintf(stderr, SERVER_NAME ": warning: POST /events: %s\n", text);
}

/* After a batch was applied: what in its log most likely means something
 * else than it says, though the load took it, in civic-score's words on the
 * same log (hints_log_head): a CSV column most likely meant for qty, group
 * or ref, which the load ignores ("hours"), or, under rules that use no
 * version-2 key, a JSON Lines key spelling a field's name in other letters
 * ("Qty"), which it ignores as 1.0 did.  The body as the client sent it is
 * looked at (a JSON array's element lines), its first line only. */
static void log_warnings(server *s, const char *body, size_t len, uint32_t format, char *w,
                         size_t n)
{
    batch_warning b = { s, w, n };
    hints_log_head(body, len, true, format, civic_rules_spec_version(s->rules) < 2, log_warning,
                   &b);
}

/* The hint appended to err's message when it fits (else the message stays
 * as it was). */
static void add_hint(civic_error *err, const char *hint)
{
    size_t m = strlen(err->message), h = strlen(hint);
    if (m + h < sizeof(err->message)) memcpy(err->message + m, hint, h + 1);
}

/* The error of a body that is a JSON array (body_array_line) sent as CSV
 * or JSON Lines, at the array's line: ARRAY_SENT_HINT after it, as
 * say_content_type gives it where the library saw an array ("[{"), for the
 * arrays it does not take for one too ("[]", "[1]", ["a"]: the CSV or JSON
 * Lines reader's error alone).  The library's hint that a CSV header is the
 * whole input (curl -d) goes: "[]" is no header, and its line break was not
 * removed. */
static void array_sent_hint(civic_error *err, const char *body, size_t len)
{
    static const char one_line[] = " (the header is the whole input";
    uint64_t line = body_array_line(body, len);
    if (!line || err->line != line) return;
    char *cut = strstr(err->message, one_line);
    if (cut) *cut = '\0'; /* with what followed it: ARRAY_SENT_HINT, if it did */
    size_t m = strlen(err->message), h = sizeof(ARRAY_SENT_HINT) - 1;
    if (m < h || memcmp(err->message + m - h, ARRAY_SENT_HINT, h) != 0)
        add_hint(err, ARRAY_SENT_HINT);
}

/* The error of a body sent as charset=X (declared_charset) that is not
 * UTF-8 (not its NUL or other control bytes: UTF-8 all the same), when the
 * error is of bytes that are not UTF-8: the
 * charset named instead of the library's guess of Latin-1, or after the
 * reason. */
static void charset_hint(civic_error *err, const char *body, size_t len, const char *charset)
{
    static const char latin1[] = " (Latin-1 text? convert it with iconv -f WINDOWS-1252 -t "
                                 "UTF-8)";
    const unsigned char *u = (const unsigned char *)body;
    size_t k = 1;
    for (size_t i = 0; i < len && k; i += k) k = u[i] < 0x80 ? 1 : utf8_seq(u + i, len - i);
    if (k) return; /* UTF-8: the error is another's */
    /* bytes that are not UTF-8 elsewhere in the body (an ignored column's),
     * the error being of another fault (an unknown type): not named */
    if (!strstr(err->message, "UTF-8")) return;
    char hint[sizeof(err->message)];
    snprintf(hint, sizeof(hint), " (the Content-Type says charset=%s: the service reads UTF-8 "
             "only; convert the body with iconv -f %s -t UTF-8)", charset, charset);
    char *at = strstr(err->message, latin1);
    if (at && strlen(err->message) - (sizeof(latin1) - 1) + strlen(hint) < sizeof(err->message))
        memmove(at, at + sizeof(latin1) - 1, strlen(at + sizeof(latin1) - 1) + 1);
    add_hint(err, hint);
}

/* A rules file sent as a form (curl -d @rules.toml), its line breaks
 * removed, whose first line was a table header: "[scheme]base = 1000 ...",
 * which is read as a JSON array and fails as one. */
static bool rules_joined(const char *p, size_t n)
{
    const char *close = memchr(p, ']', n);
    if (!close || memchr(p, '\n', n) || memchr(p, '\r', n)) return false;
    size_t end = (size_t)(close - p) + 1;
    if (end < n && p[end] == ']') end++; /* [[grade]] */
    return hints_rules_text(p, end);
}

static void report_error(const char *what, int rc, const civic_error *err, bool what_is_path);
static void server_words(civic_error *err);

/* The reason given for a body that is a rules file, not events (curl -d
 * @rules.toml), as civic-score names one given without -r: whatever the
 * Content-Type, its first line is no log's. */
#define RULES_BODY_WHY "not an event log: a rules file (TOML: a [table] or a key = value " \
                       "line): a scheme is given to civic-server with --rules FILE at " \
                       "start-up, not posted"

/* The error of a body that is a rules file: RULES_BODY_WHY, at the line
 * that shows it (its first that is not blank nor a comment), not where the
 * log's reader happened to stop in it. */
static void rules_body_error(const char *body, size_t len, civic_error *err)
{
    uint64_t line;
    uint32_t column;
    hints_rules_text_at(body, len, &line, &column);
    err->code = CIVIC_E_SYNTAX;
    err->line = line;
    err->column = column;
    err->offset = 0;
    snprintf(err->message, sizeof(err->message), "%s", RULES_BODY_WHY);
}

static enum MHD_Result post_events(server *s, struct MHD_Connection *c, request *rq)
{
    civic_load_options opts = CIVIC_LOAD_OPTIONS_INIT;
    bool json, unsupported, array;
    opts.format = format_of(c, &json, &unsupported);
    if (unsupported)
        return send_error(c, rq, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, "unsupported media type",
                          "send text/csv, application/x-ndjson, or application/json "
                          "(an array of event objects, or one object per line)");
    char why[200];
    buf text = { 0 }, lines = { 0 };
    int sourced = 0; /* 1: a source went into JSON, 2: into CSV */
    int prep = prepare_body(s, rq, &opts.format, json, &text, &lines, &sourced, &array, why,
                            sizeof(why));
    const char *body = rq->body ? rq->body : "";
    bool joined = sent_as_form(c) && body_lines_joined(body, rq->len);
    if (prep < 0) {
        atomic_fetch_add(&s->metrics.rejected_batches, 1);
        if (hints_rules_text(body, rq->len) || /* "[scheme]": no array */
            (sent_as_form(c) && rules_joined(body, rq->len))) {
            /* answered as the load answers one (below): one shape whatever
             * the body's first line */
            civic_load_report none = CIVIC_LOAD_REPORT_INIT;
            civic_error rules_err = CIVIC_ERROR_INIT;
            rules_body_error(body, rq->len, &rules_err);
            none.rejected = 1;
            none.lines = rules_err.line;
            buf b = { 0 };
            view_load_report(&b, CIVIC_E_SYNTAX, &none, &rules_err,
                             civic_engine_event_count(s->engine), NULL);
            return send_json(c, rq, MHD_HTTP_BAD_REQUEST, &b);
        }
        return send_error(c, rq, MHD_HTTP_BAD_REQUEST, "invalid JSON array", why);
    }
    if (text.oom) {
        free(text.p);
        free(lines.p);
        return send_error(c, rq, MHD_HTTP_SERVICE_UNAVAILABLE, "out of memory", NULL);
    }
    civic_load_report rep = CIVIC_LOAD_REPORT_INIT;
    civic_error err = CIVIC_ERROR_INIT;
    const char *data = prep ? (text.p ? text.p : "") : (rq->body ? rq->body : "");
    pthread_rwlock_wrlock(&s->page_lock);
    s->page_writes++;
    int64_t before = default_as_of(s, false), first_before = 0, first_after = 0;
    int64_t last_before = 0, last_after = 0;
    bool had = civic_engine_time_range(s->engine, &first_before, &last_before) == CIVIC_OK;
    int rc = civic_engine_load(s->engine, data, prep ? text.len : rq->len, &opts, &rep, &err);
    int64_t after = rc == CIVIC_OK ? default_as_of(s, false) : before;
    bool has = rc == CIVIC_OK &&
               civic_engine_time_range(s->engine, &first_after, &last_after) == CIVIC_OK;
    pthread_rwlock_unlock(&s->page_lock);
    if (rc != CIVIC_OK && sourced) { /* the error as the client sent the body, not as rewritten */
        /* the body read again holds memory as the load did: within the body
         * budget, or not read again (its column is then moved back only) */
        bool reread = guard_reserve(&s->guard, rq->len);
        const char *sent = lines.p ? lines.p : (rq->body ? rq->body : "");
        body_error_as_sent(reread ? s->rules : NULL, sent, lines.p ? lines.len : rq->len,
                           text.p ? text.p : "", text.len, sourced == 2, &err);
        if (reread) guard_release(&s->guard, rq->len);
    }
    if (rc != CIVIC_OK) say_content_type(&err, array);
    if (rc != CIVIC_OK && rc != CIVIC_E_IO && !array) array_sent_hint(&err, body, rq->len);
    /* the data directory refused the batch (a full disk): the operator's
     * business, as a failed compaction is, not only the client's */
    server_words(&err);
    if (rc == CIVIC_E_IO)
        say_refused(s, REFUSED_EVENTS, "POST /events",
                    err.message[0] ? err.message : civic_strerror(rc));
    char charset[48];
    if (rc != CIVIC_OK && rc != CIVIC_E_IO && declared_charset(c, charset, sizeof(charset)))
        charset_hint(&err, body, rq->len, charset);
    if (rc == CIVIC_E_SYNTAX && hints_rules_text(body, rq->len)) {
        rules_body_error(body, rq->len, &err);
        rep.lines = err.line; /* the lines read to tell it: through that one */
    }
    else if (rc != CIVIC_OK && rc != CIVIC_E_IO && joined &&
             !strstr(err.message, "--data-binary")) /* the library's own says it */
        add_hint(&err, CURL_DATA_HINT);
    char warning[BATCH_WARNING_BYTES];
    warning[0] = '\0';
    if (rc == CIVIC_OK) future_warning(s, before, after, warning, sizeof(warning));
    if (has) early_warning(s, had, first_before, first_after, warning, sizeof(warning));
    if (has) late_warning(s, had, last_before, last_after, warning, sizeof(warning));
    if (rc == CIVIC_OK) { /* as sent: a JSON array's lines, the body else (no source added) */
        const buf *elements = lines.p ? &lines : &text;
        log_warnings(s, array ? (elements->p ? elements->p : "") : body,
                     array ? elements->len : rq->len, opts.format, warning, sizeof(warning));
    }
    if (rc == CIVIC_OK && joined) {
        size_t used = strlen(warning);
        snprintf(warning + used, sizeof(warning) - used, "%s%s", used ? "; " : "",
                 CURL_DATA_WARNING);
    }
    free(text.p);
    free(lines.p);
    if (rc == CIVIC_OK) atomic_fetch_add(&s->metrics.events_accepted, rep.accepted);
    else atomic_fetch_add(&s->metrics.rejected_batches, 1);
    note_write(s, rc, rep.accepted > 0);
    count_write(s, rc, rep.accepted > 0);
    buf b = { 0 };
    char room[COMMITTED_ANSWER_BYTES];
    uint64_t held = civic_engine_event_count(s->engine);
    view_load_report(&b, rc, &rep, &err, held, warning);
    if (rc == CIVIC_OK && answer_again_in(&b, room, sizeof(room)))
        view_load_report(&b, rc, &rep, &err, held, warning);
    return send_json(c, rq, rc == CIVIC_OK ? MHD_HTTP_OK : status_of(rc), &b);
}

/* Buffer the body within --max-body and the global budget.  Past either,
 * the rest is read and dropped (so the connection stays in step) and the
 * final call answers 413 or 503; 413 whenever the body is past --max-body,
 * even if the budget ran out first (retrying it would never help).  The
 * budget counts body bytes only: the buffer's spare byte after them is not
 * counted, or a body of --max-body bytes would never fit a budget of
 * --max-body bytes, which start-up accepts. */
static void drop_body(server *s, request *rq)
{
    free(rq->body);
    rq->body = NULL;
    rq->len = rq->cap = 0;
    guard_release_from(&s->guard, rq->conn, rq->reserved);
    rq->reserved = 0;
}

/* Room for `need` body bytes (need <= --max-body) and the spare byte. */
static bool grow_body(server *s, request *rq, size_t need)
{
    size_t room = rq->cap ? rq->cap - 1 : 65536;
    while (room < need) room *= 2;
    if (room > s->opt.body_bytes_max) room = s->opt.body_bytes_max;
    if (rq->reserved >= need && room > rq->reserved) room = rq->reserved; /* Content-Length */
    if (room > rq->reserved &&
        guard_reserve_from(&s->guard, rq->conn, room - rq->reserved) != GUARD_TAKEN) {
        rq->over_budget = true;
        return false;
    }
    if (room > rq->reserved) rq->reserved = room;
    char *p = realloc(rq->body, room + 1);
    if (!p) { /* memory, not the budget: neither "busy" nor a budget refusal */
        rq->body_oom = true;
        return false;
    }
    rq->body = p;
    rq->cap = room + 1;
    return true;
}

/* The bytes of a body a route that takes none reads and drops. */
static size_t stray_body_max(const server *s)
{
    return s->opt.body_bytes_max < STRAY_BODY_BYTES ? s->opt.body_bytes_max : STRAY_BODY_BYTES;
}

static void collect_body(server *s, request *rq, const char *data, size_t *size)
{
    if (!rq->takes_body) { /* dropped as it comes: GET /healthz took 200 MB so */
        rq->received += *size;
        rq->too_big = rq->received > stray_body_max(s);
        *size = 0;
        return;
    }
    rq->received += *size;
    if (!rq->too_big && rq->received > s->opt.body_bytes_max) {
        rq->too_big = true;
        drop_body(s, rq);
    }
    if (!rq->too_big && !rq->over_budget && !rq->body_oom) {
        if (rq->len + *size + 1 > rq->cap && !grow_body(s, rq, rq->len + *size)) {
            drop_body(s, rq);
        } else {
            memcpy(rq->body + rq->len, data, *size);
            rq->len += *size;
        }
    }
    *size = 0;
}

/* ------------------------------------------------------------ durability */

/* The library's words for a journal whose file was removed speak of an
 * engine and its close ("before any close (a reopen starts an empty
 * journal)"), which an operator cannot act on: the service closes its
 * journal only at the stop, after the stop's compaction.  Said in the
 * service's terms: what keeps the batches (POST /compact; the timer and a
 * clean stop compact too) and what loses them (a kill or a crash first;
 * with another file at the name, every compaction refuses until it is
 * moved away, the stop's too).  Each replaces the library's tail whole,
 * the path before it cut from the front to fit. */
static const struct {
    const char *lib, *ours;
} removed_words[] = {
    /* (the library's words, whole: test_server.py's test of a removed
     * journal fails when they drift) */
    { " was removed while open (its file has no name left): every batch it held is only in "
      "this engine; compact (civic_engine_compact) to keep them, before any close (a reopen "
      "starts an empty journal)",
      " was removed while open: its batches are only in memory now; POST /compact to keep "
      "them (the --compact-every timer and a clean stop compact too; a kill or a crash "
      "before one loses them)" },
    { " was removed while open (its file has no name left, and another file has that name "
      "now): every batch it held is only in this engine; move that file away, then compact "
      "(civic_engine_compact) to keep them",
      " was removed while open, and another file took its name: its batches are only in "
      "memory now; move that file away, then POST /compact to keep them (until then every "
      "compaction fails, a clean stop's too)" },
    { " was moved or renamed while open: every batch it held is in this engine, not at its "
      "name; compact (civic_engine_compact) to keep them there, before any close (a reopen "
      "starts an empty journal)",
      " was moved or renamed while open: its batches are in memory, not at its name; POST "
      "/compact to keep them (the --compact-every timer and a clean stop compact too; a kill "
      "or a crash before one loses them)" },
    { " was moved or renamed while open and another file has its name: its batches are in "
      "this engine and the moved file; close the journal and open the moved file, or move it "
      "back (compaction will not replace the other)",
      " was moved or renamed while open, and another file took its name: move that file "
      "away, then POST /compact to keep the batches (every compaction fails until then)" },
    { " was moved or renamed while open, and its name leads to it again: every batch it held "
      "is in this engine and the file; compact (civic_engine_compact) to go on",
      " was moved or renamed while open, and its name leads to it again: POST /compact to go "
      "on (the --compact-every timer and a clean stop compact too)" },
    { " was truncated while open (as copytruncate does): its batches are in this engine, not "
      "all in the file; compact (civic_engine_compact) to keep them, before any close (a "
      "reopen loses them)",
      " was truncated while open (as copytruncate does): its batches are in memory, not all "
      "in the file; POST /compact to keep them (a clean stop compacts too; a kill or a crash "
      "before one loses them)" },
};


static bool removed_in_server_words(civic_error *err)
{
    size_t len = strlen(err->message);
    for (size_t i = 0; i < sizeof(removed_words) / sizeof(removed_words[0]); i++) {
        size_t tail = strlen(removed_words[i].lib), ours = strlen(removed_words[i].ours);
        if (len < tail + 8 || ours + 8 + 16 >= sizeof(err->message) ||
            strncmp(err->message, "journal ", 8) != 0 ||
            strcmp(err->message + len - tail, removed_words[i].lib) != 0)
            continue;
        /* "journal PATH" stays, its PATH cut to fit: its end kept (after
         * "..."), as the library cuts a path, never inside a character */
        char *path = err->message + 8;
        size_t path_len = len - tail - 8, room = sizeof(err->message) - 1 - 8 - ours;
        if (path_len > room) {
            size_t skip = path_len - (room - 3);
            while (skip < path_len && ((unsigned char)path[skip] & 0xC0) == 0x80) skip++;
            memmove(path + 3, path + skip, path_len - skip);
            memcpy(path, "...", 3);
            path_len = path_len - skip + 3;
        }
        memcpy(path + path_len, removed_words[i].ours, ours + 1);
        return true;
    }
    return false;
}

/* The library's way out of a journal that lost its file, or whose sync
 * failed, is a compaction, named by its C function; here it is POST /compact
 * (the --compact-every timer and a clean stop compact too).  In place: the
 * words are shorter. */
static void server_words(civic_error *err)
{
    static const char lib[] = "compact (civic_engine_compact)", ours[] = "POST /compact";
    char *at;
    if (removed_in_server_words(err)) return;
    while ((at = strstr(err->message, lib)) != NULL) {
        memcpy(at, ours, sizeof(ours) - 1);
        memmove(at + sizeof(ours) - 1, at + sizeof(lib) - 1, strlen(at + sizeof(lib) - 1) + 1);
    }
}

/* One line: `what`, then the library's message (or the status's words when
 * there is none).  The library's I/O messages name their file ("cannot open
 * PATH: ..."), so `what` is left out of them when it is that file and they
 * name it whole (a long path they shorten). */
static void report_error(const char *what, int rc, const civic_error *err, bool what_is_path)
{
    if (!err || !err->message[0])
        fprintf(stderr, SERVER_NAME ": %s: %s\n", what, civic_strerror(rc));
    else if (what_is_path && rc == CIVIC_E_IO && strstr(err->message, what))
        fprintf(stderr, SERVER_NAME ": %s\n", err->message);
    else
        fprintf(stderr, SERVER_NAME ": %s: %s\n", what, err->message);
}

/* Whether name is prefix and then mkstemp's six letters or digits. */
static bool temp_named(const char *name, const char *prefix)
{
    size_t n = strlen(prefix), k = 0;
    if (strncmp(name, prefix, n) != 0) return false;
    const char *x = name + n;
    while (k < 7 && ((x[k] >= 'a' && x[k] <= 'z') || (x[k] >= 'A' && x[k] <= 'Z') ||
                     (x[k] >= '0' && x[k] <= '9')))
        k++;
    return k == 6 && x[6] == '\0';
}

/* The temporary files "<name>.tmp.civic.XXXXXX" of the snapshot and the
 * journal that a process killed while saving, compacting or creating a
 * journal left in the data directory, and those of libcivic 1.0,
 * "<name>.tmp.XXXXXX".  With `sweep`, each one of the first form that no
 * live writer holds (the library's writers hold a lock on theirs until the
 * rename) is removed, and one of the 1.0 form only when it is empty too:
 * an operator may name a copy so ("cp snapshot.civic
 * snapshot.civic.tmp.backup"), and the library, which opens these files
 * (the journal at every start, the snapshot when there is one), removes
 * such a file only when it can tell a leftover from a copy (civic.h).
 * DIR/purge-owed is no temporary file: it stays (mark_owed).
 * Returns how many there are (were, before the sweep). */
static unsigned stale_files(const server *s, bool sweep)
{
    DIR *d = opendir(s->opt.data_dir);
    if (!d) return 0;
    unsigned n = 0;
    const struct dirent *ent;
    while ((ent = readdir(d)) != NULL) {
        const char *name = ent->d_name;
        bool ours = temp_named(name, "snapshot.civic.tmp.civic.") ||
                    temp_named(name, "journal.civic.tmp.civic.");
        if (!ours && !temp_named(name, "snapshot.civic.tmp.") &&
            !temp_named(name, "journal.civic.tmp."))
            continue;
        n++;
        if (!sweep) continue;
        char full[PATH_BYTES_MAX + 256];
        snprintf(full, sizeof(full), "%s/%s", s->opt.data_dir, name);
        int fd = open(full, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0) continue;
        /* a read lock, as the library's sweep takes: a write lock needs the
         * file open for writing, and failed (EBADF) on every file */
        struct flock lk = { .l_type = F_RDLCK, .l_whence = SEEK_SET };
#ifdef F_OFD_SETLK
        bool free_to_take = fcntl(fd, F_OFD_SETLK, &lk) == 0;
#else
        bool free_to_take = fcntl(fd, F_SETLK, &lk) == 0;
#endif
        struct stat st;
        if (free_to_take && (ours || (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
                                      st.st_size == 0)))
            unlink(full);
        close(fd);
    }
    closedir(d);
    return n;
}

static bool same_dir(const char *a, const char *b)
{
    struct stat x, y;
    return stat(a, &x) == 0 && stat(b, &y) == 0 && x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

/* How many copies of a damaged journal ("journal.civic.damaged.<time>[.n]",
 * beside the file a symbolic link journal.civic leads to, as the library
 * keeps them) there are: one more after the open means --recover cut one.
 * newest (optional, size bytes): the latest, by its time and then n (the
 * library adds .n when a copy of that second exists), named as in the data
 * directory, or by its path when it is elsewhere. */
static unsigned damaged_copies(const server *s, char *newest, size_t size)
{
    char real[PATH_MAX], prefix[PATH_MAX + 16];
    const char *dir = s->opt.data_dir;
    char *slash = realpath(s->journal_path, real) ? strrchr(real, '/') : NULL;
    bool elsewhere = false;
    if (slash) {
        *slash = '\0';
        dir = real[0] ? real : "/";
        elsewhere = strcmp(slash + 1, "journal.civic") != 0 || !same_dir(s->opt.data_dir, dir);
    }
    snprintf(prefix, sizeof(prefix), "%s.damaged.", slash ? slash + 1 : "journal.civic");
    size_t plen = strlen(prefix);
    DIR *d = opendir(dir);
    if (!d) return 0;
    unsigned n = 0;
    long long best_time = -1, best_n = -1;
    const struct dirent *ent;
    while ((ent = readdir(d)) != NULL) {
        if (strncmp(ent->d_name, prefix, plen) != 0) continue;
        n++;
        char *end;
        long long t = strtoll(ent->d_name + plen, &end, 10), k = *end == '.' ? atoll(end + 1) : 0;
        if (newest && (t > best_time || (t == best_time && k > best_n))) {
            best_time = t;
            best_n = k;
            int w = elsewhere ? snprintf(newest, size, "%s/%s", dir, ent->d_name)
                              : snprintf(newest, size, "%s", ent->d_name);
            if (w < 0) newest[0] = '\0';
        }
    }
    closedir(d);
    return n;
}

/* Startup report of the journal replay; `copy`: the open kept the whole
 * file under this name before it cut the journal (else NULL): --recover cut
 * it at damage, or, without it, the torn tail it cut held an intact record
 * after the damage, or began with a record whole in the file that failed
 * its checks (rep->cut_whole: said with or without a copy, as a batch of
 * one record, acknowledged, may be what was cut). */
static void report_journal(server *s, const civic_journal_report *rep, unsigned swept,
                           const char *copy)
{
    if (rep->cut_whole)
        fprintf(stderr, SERVER_NAME ": recovered %" PRIu64 " event%s (%" PRIu64 " batch%s from "
                "the journal, %" PRIu64 " bytes truncated: the record there was whole in the "
                "file but failed its checks, which a crash in a write does not leave: damage "
                "after it was written, or a power cut; the batch it held may have been "
                "acknowledged: post it again from the office's log; %s%s)\n",
                civic_engine_event_count(s->engine), civic_engine_event_count(s->engine) == 1 ? "" : "s",
                rep->batches, rep->batches == 1 ? "" : "es",
                rep->bytes_truncated,
                copy ? "the whole file is kept as " : "no copy of the file could be kept "
                                                      "(a read-only directory or a full disk)",
                copy ? copy : "");
    else if (copy && s->opt.recover)
        fprintf(stderr, SERVER_NAME ": recovered %" PRIu64 " event%s (%" PRIu64 " batch%s from "
                "the journal); the journal was cut at the damage: %" PRIu64 " bytes from there "
                "on are gone from it (the whole file, with any intact batches after the damage, "
                "is kept as %s)\n",
                civic_engine_event_count(s->engine), civic_engine_event_count(s->engine) == 1 ? "" : "s",
                rep->batches, rep->batches == 1 ? "" : "es",
                rep->bytes_truncated, copy);
    else if (copy)
        fprintf(stderr, SERVER_NAME ": recovered %" PRIu64 " event%s (%" PRIu64 " batch%s from "
                "the journal, %" PRIu64 " torn bytes truncated; the torn batch had an intact "
                "record after the damage, which a crash can leave but so can damage to a batch "
                "written whole: the whole file is kept as %s)\n",
                civic_engine_event_count(s->engine), civic_engine_event_count(s->engine) == 1 ? "" : "s",
                rep->batches, rep->batches == 1 ? "" : "es",
                rep->bytes_truncated, copy);
    else
        fprintf(stderr, SERVER_NAME ": recovered %" PRIu64 " event%s (%" PRIu64 " batch%s from "
                "the journal, %" PRIu64 " torn bytes truncated)\n",
                civic_engine_event_count(s->engine), civic_engine_event_count(s->engine) == 1 ? "" : "s",
                rep->batches, rep->batches == 1 ? "" : "es",
                rep->bytes_truncated);
    if (rep->created && s->opt.recover && access(s->snapshot_path, F_OK) == 0)
        fprintf(stderr, SERVER_NAME ": created an empty journal.civic beside snapshot.civic "
                "(--recover): the service goes on from the snapshot alone\n");
    if (swept)
        fprintf(stderr, SERVER_NAME ": removed %u stale temporary file%s left by a crash\n",
                swept, swept == 1 ? "" : "s");
}

/* A data directory written under other rules (the scheme was revised): what
 * to do about it.  Under libcivic 1.0's built-in scheme (a 1.0 service run
 * without --rules), which 1.1 revised, the way to keep its answers is that
 * scheme's file: a rescore would change them. */
static void rescore_hint(const server *s, const civic_error *err)
{
    if (strstr(err->message, "libcivic 1.0's built-in scheme"))
        fprintf(stderr, SERVER_NAME ": nothing was changed.  To keep the answers the 1.0 service "
                "gave, start with --rules community-1.0.toml (examples/data in the source; "
                "share/doc/libcivic/examples/data when installed).  --rescore would read the "
                "events under %s instead, which changes scores\n",
                s->opt.rules_path ? s->opt.rules_path : "the built-in rules of this release");
    else
        fprintf(stderr, SERVER_NAME ": the data directory was written under other rules; "
                "nothing was changed.  Most often --rules is missing or names another file: "
                "start with the rules file the directory was written under.  If the scheme "
                "was revised on purpose, start once with --rescore to read its events under %s "
                "(each validated anew; an event that does not fit them is named) and rewrite "
                "the directory under them: the answers change\n",
                s->opt.rules_path ? s->opt.rules_path : "the built-in rules");
}

/* --rescore met an event the revision has no place for (a rule removed or
 * renamed): the events are the record, so the rule stays. */
static void misfit_hint(const server *s, int rc, const civic_error *err)
{
    if (rc != CIVIC_E_MISMATCH || !s->opt.rescore || !strstr(err->message, "does not fit these rules"))
        return;
    fprintf(stderr, SERVER_NAME ": nothing was changed.  Events already accepted stay on the "
            "record: keep the rule they name in the revised scheme (to retire it, a "
            "[[rule.CODE.change]] from the revision's date can give its later events "
            "points = 0; to rename it, keep the old code beside the new one), then start "
            "with --rescore again\n");
}

/* A 1.0 file holding an event this version cannot hold (past the bound on
 * one event's points): the library says to load the events again; a
 * service does that through its own API, or under a revision that keeps
 * the event within the bound. */
static void bound_hint(int rc, const civic_error *err)
{
    if (rc != CIVIC_E_CORRUPT || !strstr(err->message, "load its events again without it")) return;
    fprintf(stderr, SERVER_NAME ": nothing was changed.  This version cannot hold that event.  "
            "Move the data directory away, start on an empty one and POST /events the log "
            "the events came from without it; or, if a revised scheme keeps that rule's "
            "points x qty x repeat_factor within the bound, start once with --rules naming "
            "it and --rescore\n");
}

/* A damaged snapshot.civic (the library's "snapshot PATH is damaged ..."):
 * what to do, as recovery_hint says it for the journal.  No option starts
 * past it: the journal beside it holds only what came after the last
 * compaction, and a start on it alone would compact a snapshot without the
 * rest.  A backup older than that compaction lacks what came between, and
 * nothing tells (civic-server(8), --data). */
static void snapshot_hint(int rc, const civic_error *err)
{
    if (rc != CIVIC_E_CORRUPT || (!strstr(err->message, " is damaged ") &&
                                  !strstr(err->message, " is empty (0 bytes") &&
                                  !strstr(err->message, "not a libcivic snapshot (bad magic)")))
        return;
    fprintf(stderr, SERVER_NAME ": nothing was changed.  Move snapshot.civic aside and restore it "
            "from a backup; leave journal.civic as it is (it holds what came after the last "
            "compaction).  A backup older than that compaction lacks the events acknowledged in "
            "between, which nothing detects: post them again from the office's log.  No option "
            "starts past a damaged snapshot: the events it holds are in no other file\n");
}

/* Start-up refusals name what the operator can do, and what --recover costs. */
static void recovery_hint(const char *what, const char *recover)
{
    fprintf(stderr, SERVER_NAME ": %s\n" SERVER_NAME ": nothing was changed.  Restore the "
            "file from a backup, or start once with --recover %s\n", what, recover);
}

static int compact_now(server *s, double *seconds, civic_error *why, bool always_said);

/* DIR/purge-owed says that a purge may have left removed events in the
 * data directory's files (SPEC 10.4: none once a compaction succeeds).  It
 * is made, durable (the file and the directory synced), before a purge is
 * journaled, under compact_mutex, so that no compaction runs between the two;
 * removed when the purge removed nothing, and otherwise only once a
 * compaction succeeds (compact_now).  A start that finds it compacts.  An
 * empty file: its existence is what counts.  0, or -1 with errno. */
static int mark_owed(server *s)
{
    if (s->purge_owed) return 0;
    int fd = open(s->owed_path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return -1;
    int rc = fsync(fd), e = errno;
    close(fd);
    if (rc == 0 && s->data_fd >= 0 && fsync(s->data_fd) != 0) rc = -1, e = errno;
    if (rc != 0) { /* not durable: no purge, and no debt left behind */
        (void)unlink(s->owed_path);
        errno = e;
        return -1;
    }
    s->purge_owed = true;
    return 0;
}

/* DIR/purge-owed removed (under compact_mutex): nothing is owed any more.
 * When it cannot be (said on standard error), it stays owed: the next
 * compaction tries again, and a start that finds it only compacts once more. */
static void clear_owed(server *s)
{
    if (unlink(s->owed_path) != 0 && errno != ENOENT) {
        fprintf(stderr, SERVER_NAME ": cannot remove %s: %s\n", s->owed_path, strerror(errno));
        return;
    }
    if (s->data_fd >= 0) (void)fsync(s->data_fd);
    s->purge_owed = false;
    atomic_store(&s->owed_failing, false);
}

/* A --rescore whose compaction failed (a full disk): what it left.  The
 * compaction replaces the snapshot first (a rename), then the journal,
 * which it leaves as it was until the snapshot is in place (the library
 * then sets its header to these rules, so that the pair opens under them),
 * so the snapshot's file tells (was: it before the compaction, NULL when
 * there was none). */
static void rescore_failed(const server *s, const struct stat *was)
{
    struct stat now;
    bool has = stat(s->snapshot_path, &now) == 0;
    if (was ? has && now.st_dev == was->st_dev && now.st_ino == was->st_ino : !has)
        fprintf(stderr, SERVER_NAME ": the rescore was not done, and nothing was changed: the "
                "data directory is as it was, under the rules it was written with.  Fix the "
                "cause (free some space) and start again with --rescore\n");
    else
        fprintf(stderr, SERVER_NAME ": the rescore was not completed: snapshot.civic holds "
                "every event under these rules, but the fresh journal beside it could not be "
                "made, and the rules the directory was written with no longer open it.  Fix the "
                "cause (free some space) and start again with these rules and --rescore\n");
}

/* path's components but "." and empty ones (repeated and trailing
 * slashes), each after a '/', appended to out[0..*used) (n bytes in all,
 * its NUL left out): false when they do not fit. */
static bool path_components(const char *path, char *out, size_t n, size_t *used)
{
    for (const char *p = path; *p;) {
        p += strspn(p, "/");
        size_t k = strcspn(p, "/");
        if (k == 0 || (k == 1 && p[0] == '.')) {
            p += k;
            continue;
        }
        if (*used + 1 + k >= n) return false;
        out[(*used)++] = '/';
        memcpy(out + *used, p, k);
        *used += k;
        p += k;
    }
    return true;
}

/* The directory --data names, made (mode 0700) unless it exists, under its
 * name with "." components and trailing slashes dropped, as names are
 * compared (lexical_path): mkdir("nd/.") fails, nd missing, where "nd/"
 * makes it.  A ".." stays, and a parent that is missing is still one. */
static int make_data_dir(const char *dir)
{
    char name[PATH_BYTES_MAX];
    size_t used = 0;
    if (!path_components(dir, name, sizeof(name), &used)) return mkdir(dir, 0700);
    name[used] = '\0';
    if (dir[0] == '/') return mkdir(used ? name : "/", 0700);
    return mkdir(used ? name + 1 : ".", 0700); /* relative: without the first '/' */
}

static int open_data(server *s)
{
    civic_error err = CIVIC_ERROR_INIT;
    if (make_data_dir(s->opt.data_dir) != 0 && errno != EEXIST) {
        /* the service makes the directory, not its parents: say which is missing */
        fprintf(stderr, SERVER_NAME ": cannot create %s: %s%s\n", s->opt.data_dir,
                strerror(errno), errno == ENOENT ? " (its parent directory does not exist: "
                                                   "--data creates the directory, not its "
                                                   "parents)" : "");
        return -1;
    }
    snprintf(s->snapshot_path, sizeof(s->snapshot_path), "%s/snapshot.civic", s->opt.data_dir);
    snprintf(s->journal_path, sizeof(s->journal_path), "%s/journal.civic", s->opt.data_dir);
    snprintf(s->owed_path, sizeof(s->owed_path), "%s/purge-owed", s->opt.data_dir);
    /* One server per directory, decided before anything is read: the
     * journal's lock alone comes after the snapshot is loaded, so a second
     * server could read the snapshot, wait out the first one's last
     * compaction and go on from a snapshot older than the journal. */
    s->data_fd = open(s->opt.data_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s->data_fd < 0) {
        int e = errno;
        char target[256], link[PATH_MAX];
        size_t len = strlen(s->opt.data_dir); /* "dir/link/": the link itself */
        while (len > 1 && s->opt.data_dir[len - 1] == '/') len--;
        snprintf(link, sizeof(link), "%.*s", (int)len, s->opt.data_dir);
        ssize_t n = e == ENOENT ? readlink(link, target, sizeof(target) - 1) : -1;
        if (n > 0) {            /* mkdir said EEXIST: a link to nowhere */
            target[n] = '\0';
            fprintf(stderr, SERVER_NAME ": %s is a symbolic link to %s%s, which does not exist: "
                    "create that directory, or name another with --data\n", s->opt.data_dir,
                    target, (size_t)n == sizeof(target) - 1 ? "..." : "");
        } else {
            fprintf(stderr, SERVER_NAME ": %s: %s\n", s->opt.data_dir, strerror(e));
        }
        return -1;
    }
    if (flock(s->data_fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK) {
            fprintf(stderr, SERVER_NAME ": %s is in use by another civic-server (it holds the "
                    "directory's lock); nothing was changed\n", s->opt.data_dir);
            return -1;
        }
        /* a file system without flock (some network ones): the journal's
         * lock still keeps a second server off, as before */
        fprintf(stderr, SERVER_NAME ": warning: cannot lock %s (%s): going on with the "
                "journal's lock alone\n", s->opt.data_dir, strerror(errno));
    }
    unsigned stale = stale_files(s, false);
    bool have_snapshot = access(s->snapshot_path, F_OK) == 0;
    struct stat st;
    if (have_snapshot && stat(s->snapshot_path, &st) == 0 && !S_ISREG(st.st_mode)) {
        /* a FIFO would have the start-up wait for a writer, silently */
        fprintf(stderr, SERVER_NAME ": %s is not a regular file\n", s->snapshot_path);
        return -1;
    }
    if (have_snapshot && access(s->journal_path, F_OK) != 0 && errno == ENOENT &&
        !s->opt.recover) {
        /* Every compaction leaves a journal beside its snapshot: without one,
         * batches acknowledged since the last compaction are gone. */
        recovery_hint("the data directory holds snapshot.civic but no journal.civic: "
                      "events acknowledged after the last compaction would be lost",
                      "to go on from the snapshot alone (an empty journal is created)");
        return -1;
    }
    if (have_snapshot && stat(s->journal_path, &st) == 0 && S_ISREG(st.st_mode) &&
        st.st_size == 0 && !s->opt.recover) {
        /* The library creates a journal whole (header first, then renamed
         * into place): an empty one was cut or restored wrong, and its
         * batches are as gone as a missing journal's. */
        recovery_hint("the data directory holds snapshot.civic, but journal.civic is empty "
                      "(cut, or restored without its contents): events acknowledged after "
                      "the last compaction would be lost",
                      "to go on from the snapshot alone");
        return -1;
    }
    /* --rescore: each file is read under its own rules' check first, and
     * under other rules only when it was written under them (other): a
     * directory written under these rules has nothing to rescore */
    bool other = false;
    if (have_snapshot) {
        int rc = civic_engine_load_snapshot_ext(s->engine, s->snapshot_path, 0u, &err);
        if (rc == CIVIC_E_MISMATCH && s->opt.rescore) {
            other = true;
            rc = civic_engine_load_snapshot_ext(s->engine, s->snapshot_path,
                                                CIVIC_SNAPSHOT_OTHER_RULES, &err);
        }
        if (rc != CIVIC_OK) {
            /* the library's way out names its flag; the service's is --rescore */
            char *flag = rc == CIVIC_E_MISMATCH ? strstr(err.message, "; rules changed on purpose: ")
                                                : NULL;
            if (flag) *flag = '\0';
            report_error("loading the snapshot", rc, &err, false);
            snapshot_hint(rc, &err);
            if (rc == CIVIC_E_MISMATCH && !s->opt.rescore) rescore_hint(s, &err);
            misfit_hint(s, rc, &err);
            bound_hint(rc, &err);
            return -1;
        }
    }
    civic_journal_report rep = CIVIC_JOURNAL_REPORT_INIT;
    uint32_t policy = s->opt.sync_policy | (s->opt.recover ? CIVIC_JOURNAL_RECOVER : 0u);
    unsigned copies = damaged_copies(s, NULL, 0);
    /* --sync group's thread is started here, and inherits this mask: with
     * SIGINT and SIGTERM open it would take their default action whenever
     * one came while the main thread was not in sigwait (serve), and end
     * the process without the stop.  One that comes meanwhile waits, and
     * ends the start-up as before once they are open again. */
    sigset_t stops, before_open;
    sigemptyset(&stops);
    sigaddset(&stops, SIGINT);
    sigaddset(&stops, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stops, &before_open);
    int rc = civic_engine_journal_open(s->engine, s->journal_path, policy, &rep, &err);
    if (rc == CIVIC_E_MISMATCH && s->opt.rescore) { /* refused at its header: nothing read */
        other = true;
        rep = (civic_journal_report)CIVIC_JOURNAL_REPORT_INIT;
        rc = civic_engine_journal_open(s->engine, s->journal_path,
                                       policy | CIVIC_JOURNAL_OTHER_RULES, &rep, &err);
    }
    pthread_sigmask(SIG_SETMASK, &before_open, NULL);
    if (rc != CIVIC_OK) {
        /* the library's way out names its flag; the service's is --recover
         * (--rescore) */
        char *flag = rc == CIVIC_E_CORRUPT ? strstr(err.message, "; open with CIVIC_JOURNAL_RECOVER")
                     : rc == CIVIC_E_MISMATCH ? strstr(err.message, "; rules changed on purpose: ")
                                              : NULL;
        if (flag) *flag = '\0';
        report_error("opening the journal", rc, &err, false);
        if (rc == CIVIC_E_MISMATCH && !s->opt.rescore) rescore_hint(s, &err);
        misfit_hint(s, rc, &err);
        bound_hint(rc, &err);
        if (rc == CIVIC_E_MISMATCH && s->opt.rescore && strstr(err.message, "a purge made under"))
            fprintf(stderr, SERVER_NAME ": nothing was changed.  Start once under the rules the "
                    "directory was written with (without --rescore) and stop the service "
                    "(SIGTERM: a clean stop writes the snapshot, which keeps what the purge "
                    "removed), then start with --rescore\n");
        if (rc == CIVIC_E_CORRUPT && strstr(err.message, "not a libcivic journal"))
            fprintf(stderr, SERVER_NAME ": nothing was changed.  Restore journal.civic from a "
                    "backup, or move the file away and start once with --recover to go on "
                    "from the snapshot alone\n");
        else if (rc == CIVIC_E_CORRUPT && !s->opt.recover && flag &&
                 (strstr(err.message, "header checksum mismatch (") ||
                  strstr(err.message, "bad magic (") || strstr(err.message, "truncated header (")))
            recovery_hint("the journal's header is damaged",
                          "to go on without the journal's batches (from the snapshot, if there "
                          "is one): the journal starts anew, and the intact batches in it are "
                          "left out (the whole file is kept as journal.civic.damaged.<time>)");
        else if (rc == CIVIC_E_CORRUPT && !s->opt.recover && flag)
            recovery_hint("the journal is damaged in the middle",
                          "to go on from what precedes the damage: the journal is cut there, "
                          "and what is intact after it is left out (the whole file is "
                          "kept as journal.civic.damaged.<time>)");
        return -1;
    }
    /* The journal's lock is held now: no other server uses this directory,
     * so what a killed compaction left can go (the library sweeps beside the
     * files it opens; this also covers a first snapshot that never landed). */
    stale_files(s, true);
    unsigned left = stale_files(s, false);
    char copy[PATH_MAX + 64];
    report_journal(s, &rep, stale > left ? stale - left : 0,
                   damaged_copies(s, copy, sizeof(copy)) > copies ? copy : NULL);
    /* A journal that a compaction started looks like a fresh directory's
     * first (nothing in it counts generations or events before it), so a
     * snapshot missing beside it cannot be refused as a journal missing
     * beside its snapshot is: said, for the operator who knows whether the
     * directory was ever compacted, before the next compaction (the timer,
     * the stop) writes a snapshot without what the lost one held. */
    if (!have_snapshot && !rep.created)
        fprintf(stderr, SERVER_NAME ": warning: there is no snapshot.civic beside journal.civic: "
                "starting from the journal alone (%" PRIu64 " event%s).  Nothing is wrong if "
                "this directory was never compacted (a first run stopped by a crash or a "
                "kill).  If it was (a clean stop, POST /compact and the --compact-every timer "
                "write snapshot.civic), the events before that compaction are missing: stop the "
                "service with SIGKILL, not a clean stop (its compaction would write a snapshot "
                "without them), restore snapshot.civic from a backup and start again\n",
                civic_engine_event_count(s->engine),
                civic_engine_event_count(s->engine) == 1 ? "" : "s");
    struct stat owed;
    s->purge_owed = lstat(s->owed_path, &owed) == 0;
    bool rescore = s->opt.rescore && other;
    if (s->opt.rescore && !other)
        fprintf(stderr, SERVER_NAME ": --rescore: %s: nothing to rescore\n",
                have_snapshot || !rep.created
                    ? "the data directory is already written under these rules"
                    : "the data directory holds no events yet");
    if (!rescore && s->purge_owed) {
        /* SPEC 10.4: a purge's events leave the files at the next
         * compaction; the one that failed before the stop is owed still.
         * Done now, or else left to the timer (a write counted: it compacts
         * when the counts differ), /healthz saying writes are failing. */
        atomic_fetch_add(&s->writes, 1);
        fprintf(stderr, SERVER_NAME ": a purge's compaction did not complete before the last "
                "stop: compacting now, so that no file holds purged events\n");
        if (compact_now(s, NULL, NULL, true) != CIVIC_OK)
            fprintf(stderr, SERVER_NAME ": starting all the same; the compaction is tried "
                    "again every --compact-every period (the purged events stay in %s "
                    "until one succeeds)\n", s->opt.data_dir);
    }
    if (rescore) {
        /* both files under the rules they were read under, before any write */
        struct stat was;
        bool had = stat(s->snapshot_path, &was) == 0;
        if (compact_now(s, NULL, NULL, true) != CIVIC_OK) {
            rescore_failed(s, had ? &was : NULL);
            return -1;
        }
        fprintf(stderr, SERVER_NAME ": rescored %" PRIu64 " event%s under %s; the data directory "
                "is written under these rules now\n", civic_engine_event_count(s->engine),
                civic_engine_event_count(s->engine) == 1 ? "" : "s",
                s->opt.rules_path ? s->opt.rules_path : "the built-in rules");
    }
    return 0;
}

/* One compaction at a time (the timer, POST /compact, shutdown); its time
 * and duration go to /metrics.  Returns the library's code; why: its
 * message when it failed (may be NULL).  A failure is said on standard
 * error, at most one a minute (compact_log), but with always_said (the
 * start's and the stop's, said once each). */
static int compact_now(server *s, double *seconds, civic_error *why, bool always_said)
{
    civic_error err = CIVIC_ERROR_INIT;
    pthread_mutex_lock(&s->compact_mutex);
    int64_t t0 = now_us();
    uint64_t writes = atomic_load(&s->writes); /* a write counted after this may not be in it */
    int rc = civic_engine_compact(s->engine, s->snapshot_path, &err);
    double took = (double)(now_us() - t0) / 1e6;
    server_words(&err);
    note_write(s, rc, true);
    if (rc == CIVIC_OK) atomic_store(&s->compacted_writes, writes);
    if (rc == CIVIC_OK && s->purge_owed) clear_owed(s);
    else if (rc != CIVIC_OK && s->purge_owed) atomic_store(&s->owed_failing, true);
    pthread_mutex_unlock(&s->compact_mutex);
    if (rc == CIVIC_OK) {
        pthread_mutex_lock(&s->stats_mutex);
        s->compactions++;
        s->last_compaction_unix = unix_now();
        s->last_compaction_seconds = took;
        pthread_mutex_unlock(&s->stats_mutex);
    } else {
        pthread_mutex_lock(&s->stats_mutex);
        s->compaction_failures++;
        pthread_mutex_unlock(&s->stats_mutex);
        say_limited(&s->compact_log, &COMPACT_WORDS, 0, "compaction",
                    err.message[0] ? err.message : civic_strerror(rc), always_said);
    }
    if (rc == CIVIC_OK) say_again(&s->compact_log, &COMPACT_WORDS);
    if (why) *why = err;
    if (seconds) *seconds = took;
    return rc;
}

static void *compactor_main(void *arg)
{
    server *s = arg;
    pthread_mutex_lock(&s->stop_mutex);
    while (!s->stopping) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += (time_t)s->opt.compact_seconds;
        while (!s->stopping && pthread_cond_timedwait(&s->stop_cond, &s->stop_mutex, &until) == 0) {
        }
        if (s->stopping) break;
        pthread_mutex_unlock(&s->stop_mutex);
        /* anything written since the last compaction (a failed one is
         * tried again at the next tick) */
        if (atomic_load(&s->writes) != atomic_load(&s->compacted_writes))
            compact_now(s, NULL, NULL, false);
        pthread_mutex_lock(&s->stop_mutex);
    }
    pthread_mutex_unlock(&s->stop_mutex);
    return NULL;
}

/* ------------------------------------------------------------ admin, docs, hooks */

static enum MHD_Result post_compact(server *s, struct MHD_Connection *c, request *rq)
{
    if (!s->opt.data_dir)
        return send_error(c, rq, MHD_HTTP_CONFLICT, "not durable",
                          "the server runs without --data: there is nothing to compact");
    double seconds = 0;
    civic_error why = CIVIC_ERROR_INIT;
    int rc = compact_now(s, &seconds, &why, false);
    if (rc != CIVIC_OK) /* the library's message names the file and the cause */
        return send_error(c, rq, status_of(rc), civic_strerror(rc),
                          why.message[0] ? why.message : "compaction");
    buf b = { 0 };
    char room[COMMITTED_ANSWER_BYTES];
    uint64_t held = civic_engine_event_count(s->engine);
    do buf_printf(&b, "{\"compacted\":true,\"seconds\":%.6f,\"events\":%" PRIu64 "}",
                  seconds, held);
    while (answer_again_in(&b, room, sizeof(room)));
    return send_json(c, rq, MHD_HTTP_OK, &b);
}

/* The `warning` of a purge whose compaction failed (compact_now). */
#define PURGE_OWED_WARNING                                                                     \
    "the purge is applied (it is journaled: a restart replays it), but its compaction "       \
    "failed: the data directory's files still hold the purged events until a compaction "    \
    "succeeds (POST /compact, or the --compact-every timer); /healthz says writes are "        \
    "failing until then"
/* the answer, made again in COMMITTED_ANSWER_BYTES when memory runs out:
 * its counts, the time's warning and this one (no byte of either escaped) */
_Static_assert(160u + HINTS_TIME_TEXT_BYTES + 2u + sizeof(PURGE_OWED_WARNING) + 16u <=
                   COMMITTED_ANSWER_BYTES, "a purge's answer fits COMMITTED_ANSWER_BYTES");

/* SPEC 10.4: POST /purge?before=H removes every event archived at H (with
 * what points at it) and answers the civic_purge_report.  From then on a
 * question about T < H answers 410 Gone (send_query_error).  The library
 * takes any H, but an H ahead of the clock (2205 typed for 2025) removes
 * entries in force and makes "now" answer 410 for good: it takes
 * future=yes, against the clock at the request. */
static enum MHD_Result post_purge(server *s, struct MHD_Connection *c, request *rq)
{
    char why[320];
    int64_t before;
    const char *v = arg(c, "before");
    const char *future = arg(c, "future");
    if (!v)
        return send_error(c, rq, MHD_HTTP_BAD_REQUEST, "bad before",
                          "before=H is required: every event archived at H is removed");
    int trc = parse_time_arg(s, rq, "before", v, &before, why, sizeof(why));
    if (trc != CIVIC_OK) return send_time_error(c, rq, trc, "bad before", why);
    if (future && strcmp(future, "yes") != 0)
        return send_error(c, rq, MHD_HTTP_BAD_REQUEST, "bad future",
                          "future takes yes alone: future=yes purges at a before later than now");
    int64_t now = (int64_t)time(NULL);
    if (before > now && !future) {
        char h[40], t[40];
        if (civic_rules_format_time(s->rules, before, h, sizeof(h))) snprintf(h, sizeof(h), "?");
        if (civic_rules_format_time(s->rules, now, t, sizeof(t))) snprintf(t, sizeof(t), "?");
        snprintf(why, sizeof(why), "before %s is later than now (%s): a purge removes every "
                 "event retention has archived by then and makes every question about an "
                 "earlier time unanswerable (410 Gone), now included; add &future=yes to "
                 "purge ahead of the present", h, t);
        return send_error(c, rq, MHD_HTTP_BAD_REQUEST, "bad before", why);
    }
    civic_purge_report rep = CIVIC_PURGE_REPORT_INIT;
    civic_error err = CIVIC_ERROR_INIT;
    /* the debt is on disk before the purge is (mark_owed); no compaction
     * runs between the two (a purge waits for one that is running) */
    pthread_mutex_lock(&s->compact_mutex);
    bool owed_before = s->purge_owed;
    if (s->opt.data_dir && mark_owed(s) != 0) {
        int e = errno;
        pthread_mutex_unlock(&s->compact_mutex);
        char reason[PATH_BYTES_MAX + 128];
        snprintf(reason, sizeof(reason), "cannot create %s: %s (nothing was purged)",
                 s->owed_path, strerror(e));
        note_write(s, CIVIC_E_IO, true);
        say_refused(s, REFUSED_PURGE, "POST /purge", reason);
        return send_error(c, rq, status_of(CIVIC_E_IO), civic_strerror(CIVIC_E_IO), reason);
    }
    pthread_rwlock_wrlock(&s->page_lock);
    s->page_writes++;
    int rc = civic_engine_purge(s->engine, before, &rep, &err);
    pthread_rwlock_unlock(&s->page_lock);
    /* a purge that removed nothing is followed by no compaction, and owes
     * none; nor does one refused before it was journaled (an I/O error may
     * have left it in the journal: then the marker stays) */
    if (s->opt.data_dir && !owed_before &&
        (rc == CIVIC_OK ? !rep.events && !rep.acts : rc != CIVIC_E_IO))
        clear_owed(s);
    pthread_mutex_unlock(&s->compact_mutex);
    note_write(s, rc, true);
    count_write(s, rc, true);
    server_words(&err);
    if (rc == CIVIC_E_IO)
        say_refused(s, REFUSED_PURGE, "POST /purge",
                    err.message[0] ? err.message : civic_strerror(rc));
    if (rc != CIVIC_OK)
        return send_error(c, rq, status_of(rc), civic_strerror(rc),
                          err.message[0] ? err.message : "purge");
    fprintf(stderr, SERVER_NAME ": purge before %s by %s: %" PRIu64 " event%s, %" PRIu64
            " act%s removed\n", v, rq->token ? rq->token->name : "-", rep.events,
            rep.events == 1 ? "" : "s", rep.acts, rep.acts == 1 ? "" : "s");
    /* Removed for good before the answer: the journal holds the removed
     * events until a compaction rewrites both files, and a purge is what a
     * law asks of an office, so it does not wait for --compact-every.  The
     * purge is journaled already: a failed compaction is logged (and
     * counted in /metrics), the timer tries again, and the answer's
     * `warning` says so (after the time's, "; " between them: one key). */
    bool owed = s->opt.data_dir && (rep.events || rep.acts) &&
                compact_now(s, NULL, NULL, false) != CIVIC_OK;
    char warning[sizeof(rq->time_warning) + 2 + sizeof(PURGE_OWED_WARNING)];
    snprintf(warning, sizeof(warning), "%s%s%s", rq->time_warning,
             rq->time_warning[0] && owed ? "; " : "", owed ? PURGE_OWED_WARNING : "");
    buf b = { 0 };
    char room[COMMITTED_ANSWER_BYTES];
    uint64_t held = civic_engine_event_count(s->engine);
    view_purge(&b, s->rules, &rep, held, warning);
    if (answer_again_in(&b, room, sizeof(room))) view_purge(&b, s->rules, &rep, held, warning);
    return send_json_made(c, rq, MHD_HTTP_OK, &b);
}

/* SPEC 11.3: GET /lists/{name}?as_of= -- civic-score --list NAME -f json. */
static enum MHD_Result get_list(server *s, struct MHD_Connection *c, request *rq)
{
    char why[TIME_WHY_BYTES];
    int64_t as_of;
    int trc = parse_as_of(s, c, rq, &as_of, why, sizeof(why));
    if (trc != CIVIC_OK) return send_time_error(c, rq, trc, "bad as_of", why);
    civic_list *list = NULL;
    int rc, tries = 0;
    do rc = civic_engine_list(s->engine, rq->id, as_of, &list);
    while (overtaken(s, c, rc, &as_of, &tries));
    if (rc == CIVIC_E_NOTFOUND) {
        char told[HINTS_NOT_A_LIST_BYTES], reason[HINTS_NOT_A_LIST_BYTES + 200];
        hints_not_a_list(s->rules, rq->id, '"', told, sizeof(told));
        /* "dishonest;password=x": hidden as the access log hides it */
        buf hidden = { 0 };
        logged_params(&hidden, rq->id, strlen(rq->id), ";", false, true);
        buf_put(&hidden, "", 1);
        const char *name = hidden.oom ? "" : hidden.p;
        snprintf(reason, sizeof(reason), "\"%.*s\"%s", shown_bytes(name, 128), name, told);
        free(hidden.p);
        return send_error(c, rq, MHD_HTTP_NOT_FOUND, "no such list", reason);
    }
    if (rc != CIVIC_OK) return send_query_error(s, c, rq, rc, as_of);
    buf b = { 0 };
    view_list(&b, s->rules, list, rq->id, as_of);
    civic_list_free(list);
    return send_json(c, rq, MHD_HTTP_OK, &b);
}

/* GET /objections?as_of= -- civic-score --objections -f json: the objections
 * still to decide (SPEC 10.2), gathered by examples/common/objections.c.
 * Made of one query per subject, so read under the page's lock, as the
 * notice page: a write waits, and the rows are of one moment (a purge
 * cannot overtake the default as_of either). */
static enum MHD_Result get_objections(server *s, struct MHD_Connection *c, request *rq)
{
    char why[TIME_WHY_BYTES];
    int64_t as_of;
    pthread_rwlock_rdlock(&s->page_lock);
    int trc = parse_as_of(s, c, rq, &as_of, why, sizeof(why));
    if (trc != CIVIC_OK) {
        pthread_rwlock_unlock(&s->page_lock);
        return send_time_error(c, rq, trc, "bad as_of", why);
    }
    objections o = OBJECTIONS_INIT;
    int rc = objections_collect(s->engine, as_of, &o, NULL);
    pthread_rwlock_unlock(&s->page_lock);
    if (rc != CIVIC_OK) {
        objections_free(&o);
        return send_query_error(s, c, rq, rc, as_of);
    }
    buf b = { 0 };
    view_objections(&b, s->rules, &o, as_of);
    objections_free(&o);
    return send_json(c, rq, MHD_HTTP_OK, &b);
}

/* The slot a page of this key is kept in. */
static report_page *report_cache_slot(server *s, uint64_t depth, uint64_t min_group)
{
    bool own = depth == s->opt.report_depth && min_group == s->opt.min_group;
    return &s->report_cache.pages[own ? 0 : 1];
}

/* The cached page for this key into *b (a copy): true when there is one.
 * Called with page_lock held for reading. */
static bool report_cache_get(server *s, int64_t as_of, uint64_t depth, uint64_t min_group,
                             buf *b)
{
    report_cache *rc = &s->report_cache;
    pthread_mutex_lock(&rc->mutex);
    const report_page *p = report_cache_slot(s, depth, min_group);
    bool same = p->valid && p->writes == s->page_writes && p->depth == depth &&
                p->min_group == min_group &&
                (p->as_of == as_of ||
                 (s->opt.report_now && p->as_of < as_of &&
                  as_of - p->as_of < REPORT_NOW_REUSE_SECONDS));
    if (same) buf_put(b, p->page, p->len);
    pthread_mutex_unlock(&rc->mutex);
    if (same && b->oom) { /* no copy: the page is made again */
        free(b->p);
        *b = (buf){ 0 };
        return false;
    }
    return same;
}

/* Keep a page just made for this key (no copy, no cache: the next is made). */
static void report_cache_put(server *s, int64_t as_of, uint64_t depth, uint64_t min_group,
                             const buf *b)
{
    char *copy = malloc(b->len ? b->len : 1);
    report_cache *rc = &s->report_cache;
    pthread_mutex_lock(&rc->mutex);
    report_page *p = report_cache_slot(s, depth, min_group);
    free(p->page);
    p->page = copy;
    p->valid = copy != NULL;
    if (copy) {
        memcpy(copy, b->p, b->len);
        p->len = b->len;
        p->writes = s->page_writes;
        p->as_of = as_of;
        p->depth = depth;
        p->min_group = min_group;
    }
    pthread_mutex_unlock(&rc->mutex);
}

/* Whether a caller without a token may have a page of other parameters
 * than the service's made now (report_cache): true, counted, when none was
 * made since the last write or within REPORT_OTHER_SECONDS; else false,
 * with the seconds until one may be in *retry (a write may allow one
 * sooner).  Called with page_lock held for reading. */
static bool report_other_allowed(server *s, unsigned *retry)
{
    report_cache *rc = &s->report_cache;
    int64_t now = now_us(), period = (int64_t)REPORT_OTHER_SECONDS * 1000000;
    pthread_mutex_lock(&rc->mutex);
    bool ok = !rc->other_made || rc->other_writes != s->page_writes ||
              now - rc->other_us >= period;
    if (ok) {
        rc->other_made = true;
        rc->other_writes = s->page_writes;
        rc->other_us = now;
    } else {
        *retry = (unsigned)((rc->other_us + period - now + 999999) / 1000000);
    }
    pthread_mutex_unlock(&rc->mutex);
    return ok;
}

/* SPEC 11.5: GET /report?as_of=&depth=&min_group= -- the page of
 * civic-score --format html --groups DEPTH --min-group K. */
static enum MHD_Result get_report(server *s, struct MHD_Connection *c, request *rq)
{
    char why[TIME_WHY_BYTES];
    int64_t as_of;
    uint64_t depth = s->opt.report_depth, min_group = s->opt.min_group;
    if (arg(c, "depth") && !parse_uint(arg(c, "depth"), CIVIC_GROUP_DEPTH_MAX, &depth))
        return send_bad_uint(c, rq, "depth", "0..64");
    if (arg(c, "min_group") &&
        (!parse_uint(arg(c, "min_group"), UINT32_MAX, &min_group) || min_group == 0)) {
        snprintf(why, sizeof(why), "1..4294967295 (default %u)", s->opt.min_group);
        return send_bad_uint(c, rq, "min_group", why);
    }
    /* The page public (--public-reports): its small-group protection is the
     * service's, not a caller's to lower: a min_group of 1 would name the one
     * resident of a group, and another depth pools other groups (at depth 0
     * everyone is one group, big enough to name the residents of the small
     * ones).  Nor is its time: at a past as_of the page names who was on each
     * list then, entries revoked since (SPEC 3: as if they never existed) and
     * entries retention has archived (SPEC 10.4) among them, which
     * /lists?as_of= keeps to readers.  Any as_of is refused, whatever its
     * value: none is the public's to give, so none is parsed. */
    bool reader = rq->token && rq->token->role >= ROLE_READ;
    bool weaker = min_group < s->opt.min_group || depth != s->opt.report_depth ||
                  arg(c, "as_of");
    if (s->auth && weaker && !reader) { /* no credentials: others got 401 (check_auth) */
        if (min_group < s->opt.min_group)
            snprintf(why, sizeof(why), "a min_group below the service's %u needs a token with "
                     "the read role", s->opt.min_group);
        else if (depth != s->opt.report_depth)
            snprintf(why, sizeof(why), "a depth other than the service's %u needs a token with "
                     "the read role", s->opt.report_depth);
        else
            snprintf(why, sizeof(why), "an as_of needs a token with the read role (the public "
                     "page is %s)", s->opt.report_now ? "of the present moment"
                                                       : "at the service's default as_of");
        return send_error(c, rq, MHD_HTTP_FORBIDDEN, "forbidden", why);
    }
    /* The default as_of, the latest ts held as civic-score -f html's on the
     * same events (SPEC 11.5: the same page), or with --report-now the
     * present moment (the page an office posts today), is taken under the
     * page's lock: a purge, which moves the horizon, waits for the page. */
    pthread_rwlock_rdlock(&s->page_lock);
    int trc = parse_as_of_or(s, c, rq, s->opt.report_now, &as_of, why, sizeof(why));
    if (trc != CIVIC_OK) {
        pthread_rwlock_unlock(&s->page_lock);
        return send_time_error(c, rq, trc, "bad as_of", why);
    }
    /* a page at the default as_of (the public one) is served again while
     * its key holds: a stream of them costs no more than one */
    bool cacheable = !arg(c, "as_of");
    buf b = { 0 };
    int rc = CIVIC_OK;
    bool hit = cacheable && report_cache_get(s, as_of, depth, min_group, &b);
    pthread_mutex_t *making = cacheable && !hit
                                  ? &report_cache_slot(s, depth, min_group)->making : NULL;
    if (making) { /* one maker: the others wait, then are served its page */
        pthread_mutex_lock(making);
        hit = report_cache_get(s, as_of, depth, min_group, &b);
    }
    /* a page another anonymous caller's request is making was waited for
     * above, and is served: only a page not kept nor being made counts */
    unsigned retry = 0;
    bool own = depth == s->opt.report_depth && min_group == s->opt.min_group;
    if (!hit && s->auth && !reader && !own && !report_other_allowed(s, &retry)) {
        if (making) pthread_mutex_unlock(making);
        pthread_rwlock_unlock(&s->page_lock);
        atomic_fetch_add(&s->metrics.report_refusals, 1);
        char after[24], busy[320];
        snprintf(after, sizeof(after), "%u", retry);
        snprintf(busy, sizeof(busy), "a page at another min_group than the service's %u is made "
                 "for callers without a token at most once a write or a minute, and one was "
                 "made since: ask again in %u s or after a write, ask the service's page (no "
                 "min_group), or send a token with the read role", s->opt.min_group, retry);
        return send_error_h(c, rq, MHD_HTTP_TOO_MANY_REQUESTS, "too many requests", busy,
                            (header){ "Retry-After", after });
    }
    if (hit) {
        atomic_fetch_add(&s->metrics.report_cache_hits, 1);
    } else {
        report_options o = { (uint32_t)depth, min_group, NULL };
        answers_sink out = view_sink(&b);
        rc = report_html(&out, s->engine, as_of, &o);
        if (rc == CIVIC_OK && cacheable && !b.oom)
            report_cache_put(s, as_of, depth, min_group, &b);
    }
    if (making) pthread_mutex_unlock(making);
    pthread_rwlock_unlock(&s->page_lock);
    if (rc != CIVIC_OK) {
        free(b.p);
        return send_query_error(s, c, rq, rc, as_of);
    }
    /* The page loads nothing and runs nothing: say so to the browser too. */
    return send_body(c, rq, MHD_HTTP_OK, &b, "text/html; charset=utf-8",
                     (header){ "Content-Security-Policy",
                               "default-src 'none'; style-src 'unsafe-inline'; "
                               "img-src data:; base-uri 'none'; form-action 'none'" });
}

static enum MHD_Result get_openapi(server *s, struct MHD_Connection *c, request *rq)
{
    const char *doc = s->openapi ? s->openapi : (const char *)openapi_json;
    size_t len = s->openapi ? s->openapi_len : openapi_json_len;
    if (len == 0)
        return send_error(c, rq, MHD_HTTP_NOT_FOUND, "no OpenAPI document",
                          "built without docs/openapi.json; see --openapi FILE");
    buf b = { 0 };
    buf_put(&b, doc, len);
    return send_body(c, rq, MHD_HTTP_OK, &b, "application/json; charset=utf-8", (header){ 0 });
}

static uint64_t file_bytes(const char *path)
{
    struct stat st;
    return path[0] && stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

static enum MHD_Result get_metrics(server *s, struct MHD_Connection *c, request *rq)
{
    metrics_sample m = { 0 };
    m.events = civic_engine_event_count(s->engine);
    m.subjects = civic_engine_subject_count(s->engine);
    m.durable = durable(s);
    m.writes_failing = writes_failing(s);
    m.journal_bytes = file_bytes(s->journal_path);
    m.snapshot_bytes = file_bytes(s->snapshot_path);
    pthread_mutex_lock(&s->stats_mutex);
    m.compactions = s->compactions;
    m.compaction_failures = s->compaction_failures;
    m.last_compaction_unix = s->last_compaction_unix;
    m.last_compaction_seconds = s->last_compaction_seconds;
    pthread_mutex_unlock(&s->stats_mutex);
    m.connections_open = atomic_load(&s->guard.connections_open);
    m.body_bytes_reserved = atomic_load(&s->guard.reserved_bytes);
    m.body_budget_bytes = s->opt.body_budget_bytes;
    m.deadline_closes = atomic_load(&s->guard.deadline_closes);
    m.budget_refusals = atomic_load(&s->guard.budget_refusals);
    m.answer_bytes_reserved = atomic_load(&s->guard.answer_reserved_bytes);
    m.answer_budget_bytes = s->opt.answer_budget_bytes;
    m.answer_refusals = atomic_load(&s->guard.answer_refusals);
    m.address_refusals = atomic_load(&s->guard.address_refusals);
    m.start_unix = s->start_unix;
    buf b = { 0 };
    metrics_render(&s->metrics, &m, &b);
    return send_body(c, rq, MHD_HTTP_OK, &b, "text/plain; version=0.0.4; charset=utf-8",
                     (header){ 0 });
}

/* ------------------------------------------------------------ routing */


static const struct {
    const char *path;
    route_id route;
} EXACT_ROUTES[] = {
    { "/events", ROUTE_EVENTS },   { "/groups", ROUTE_GROUPS },
    { "/rank", ROUTE_RANK },       { "/healthz", ROUTE_HEALTHZ },
    { "/metrics", ROUTE_METRICS }, { "/openapi.json", ROUTE_OPENAPI },
    { "/compact", ROUTE_COMPACT }, { "/purge", ROUTE_PURGE },
    { "/report", ROUTE_REPORT },   { "/objections", ROUTE_OBJECTIONS },
};

/* The route of rq->path; sets rq->id for the routes that carry one.  An id
 * may contain '/': only a trailing "/record" selects the record, and only
 * as written (a subject "a/record" is /subjects/a%2Frecord). */
static route_id match_route(request *rq)
{
    char *p = rq->path;
    size_t n = rq->path_len;
    for (size_t i = 0; i < sizeof(EXACT_ROUTES) / sizeof(EXACT_ROUTES[0]); i++)
        if (strlen(EXACT_ROUTES[i].path) == n && memcmp(p, EXACT_ROUTES[i].path, n) == 0)
            return EXACT_ROUTES[i].route;
    if (n > 10 && memcmp(p, "/subjects/", 10) == 0) {
        rq->id = p + 10;
        if (rq->record_suffix && n >= 17 && memcmp(p + n - 7, "/record", 7) == 0) {
            p[n - 7] = '\0';
            return ROUTE_RECORD;
        }
        return ROUTE_SUBJECT;
    }
    if (n > 7 && memcmp(p, "/lists/", 7) == 0) {
        rq->id = p + 7;
        return ROUTE_LISTS;
    }
    return ROUTE_NONE;
}

static bool route_is_post(route_id r)
{
    return r == ROUTE_EVENTS || r == ROUTE_COMPACT || r == ROUTE_PURGE;
}

/* The methods a request's target takes (its 405's and OPTIONS' Allow):
 * the target * (OPTIONS of the server as a whole) every method the server
 * takes on some path (RFC 9110, 9.3.7). */
static const char *route_allow(const request *rq)
{
    return rq->asterisk ? "GET, HEAD, POST, OPTIONS"
           : route_is_post(rq->route) ? "POST, OPTIONS"
                                      : "GET, HEAD, OPTIONS";
}

static unsigned route_role(const server *s, route_id r)
{
    switch (r) {
    case ROUTE_EVENTS: return ROLE_WRITE;
    case ROUTE_METRICS:
    case ROUTE_COMPACT:
    case ROUTE_PURGE: return ROLE_ADMIN;
    case ROUTE_HEALTHZ:
    case ROUTE_OPENAPI:
    case ROUTE_NONE: return ROLE_NONE;
    case ROUTE_REPORT: return s->opt.public_reports ? ROLE_NONE : ROLE_READ;
    default: return ROLE_READ;
    }
}

#define REALM "Bearer realm=\"" SERVER_NAME "\""

static enum MHD_Result count_authorization(void *cls, enum MHD_ValueKind kind, const char *key,
                                           const char *value)
{
    (void)kind;
    (void)value;
    if (strcasecmp(key, "Authorization") == 0) ++*(unsigned *)cls;
    return MHD_YES;
}

/* The entry of the known token a request sent in its one Authorization
 * header, else NULL (none, another scheme, an unknown token, or two
 * headers: ambiguous, and refused by check_auth).  Looked up by first_call
 * before any check, so that the access log names the token of a request
 * refused before check_auth (a 404, a bad target, its framing) as it names
 * the token of one refused 403; nothing else of the request is run. */
static const token_entry *sent_token(server *s, struct MHD_Connection *c)
{
    if (!s->auth) return NULL;
    unsigned authorizations = 0;
    MHD_get_connection_values(c, MHD_HEADER_KIND, count_authorization, &authorizations);
    if (authorizations != 1) return NULL;
    size_t len = 0;
    const char *token =
        bearer_token(MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization"), &len);
    return token ? tokens_find(&s->tokens, token, len) : NULL;
}

/* rq->token: sent_token's, looked up by first_call (the token hashed once). */
static verdict check_auth(server *s, struct MHD_Connection *c, request *rq, unsigned need)
{
    if (!s->auth) return (verdict){ 0 };
    /* Two Authorization headers (one added on the way, say) are ambiguous
     * credentials: refused rather than the first taken. */
    unsigned authorizations = 0;
    MHD_get_connection_values(c, MHD_HEADER_KIND, count_authorization, &authorizations);
    if (authorizations > 1)
        return (verdict){ MHD_HTTP_BAD_REQUEST, "bad request",
                          "more than one Authorization header: the credentials are ambiguous",
                          { 0 } };
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    size_t len = 0;
    const char *token = bearer_token(h, &len);
    /* A route open to all looks at no credentials, but for the public page
     * (--public-reports): it is the public's to a caller who sends none, and
     * credentials sent must be a known token there as on every route that
     * reads them ("a missing or unknown token gets 401"), or a caller whose
     * token is wrong would take the public page for its own. */
    if (need == ROLE_NONE && !(rq->route == ROUTE_REPORT && h)) return (verdict){ 0 };
    if (!token)
        return (verdict){ MHD_HTTP_UNAUTHORIZED, "authentication required",
                          "send Authorization: Bearer <token>", { "WWW-Authenticate", REALM } };
    if (!rq->token)
        return (verdict){ MHD_HTTP_UNAUTHORIZED, "invalid token", "the token is not known",
                          { "WWW-Authenticate", REALM ", error=\"invalid_token\"" } };
    if (rq->token->role < need)
        return (verdict){ MHD_HTTP_FORBIDDEN, "forbidden",
                          need == ROLE_ADMIN ? "this route needs a token with the admin role"
                          : need == ROLE_WRITE ? "this route needs a token with the write role"
                                               : "this route needs a token with the read role",
                          { 0 } };
    return (verdict){ 0 };
}

/* Whether s[0..n) holds a control character: C0, DEL, or C1 (U+0080..U+009F,
 * as UTF-8) -- none is in a subject id, list name or group, as in events. */
static bool has_control(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char b = (unsigned char)s[i];
        if (b < 0x20 || b == 0x7f ||
            (b == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] >= 0x80 &&
             (unsigned char)s[i + 1] <= 0x9f))
            return true;
    }
    return false;
}

typedef struct {
    bool ok;
    char *why; /* "" unless a parameter holds a control character */
    size_t n;
} arg_check;

/* Query parameters, decoded, as the path: UTF-8 without control characters
 * (a CR LF in ?group= would otherwise be echoed back in the answer). */
static enum MHD_Result arg_is_text(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    (void)kind;
    arg_check *ac = cls;
    if (!utf8_valid(key, strlen(key))) {
        ac->ok = false;
        snprintf(ac->why, ac->n, "a query parameter's name holds bytes that are not UTF-8");
    } else if (value && !utf8_valid(value, strlen(value)) && !has_control(key, strlen(key))) {
        ac->ok = false; /* named as for a control character (group=%ff as group=%1b) */
        snprintf(ac->why, ac->n, "parameter \"%.*s\" holds bytes that are not UTF-8 (send "
                 "text as UTF-8, percent-encoded)", shown_bytes(key, 40), key);
    } else if (has_control(key, strlen(key))) {
        ac->ok = false;
        snprintf(ac->why, ac->n, "a query parameter's name holds a control character");
    } else if (value && has_control(value, strlen(value))) {
        ac->ok = false;
        snprintf(ac->why, ac->n, "parameter \"%.*s\" holds a control character",
                 shown_bytes(key, 40), key);
    }
    return ac->ok ? MHD_YES : MHD_NO;
}

/* 400, 404, 405, 401, 403 in that order, for rq->route (matched by
 * first_call); {0} when the request may go on. */
static verdict check_request(server *s, struct MHD_Connection *c, request *rq, const char *method)
{
    rq->target_why[0] = '\0';
    if (rq->blank_target) /* RFC 9112, 3.2: an invalid request line */
        return (verdict){ MHD_HTTP_BAD_REQUEST, "bad request target",
                          "a blank in the request target: send a space in a path or a query "
                          "as %20", { 0 } };
    if (rq->userinfo) /* RFC 9110, 4.2.4: to be treated as an error; never logged */
        return (verdict){ MHD_HTTP_BAD_REQUEST, "bad request target",
                          "credentials (user:password@) in the request target: send them in "
                          "the Authorization header",
                          { 0 } };
    if (rq->blanks_before) /* RFC 9112, 3: one SP between the method and the target */
        return (verdict){ MHD_HTTP_BAD_REQUEST, "bad request target",
                          "more than one blank between the method and the request target",
                          { 0 } };
    /* RFC 9112, 3.2: a target holds no fragment, and a client strips it
     * before sending; libmicrohttpd kept it in the path or the last value
     * ("?top=1#frag" was a bad top, "/rank#?top=zz" no route), where a
     * proxy in front may have cut it off: refused rather than guessed at */
    if (rq->fragment) {
        snprintf(rq->target_why, sizeof(rq->target_why),
                 "a '#' at byte %zu of the request target: a fragment (#...) is not part of a "
                 "request target (RFC 9112, 3.2), and a client sends none; send a '#' inside a "
                 "path or a value as %%23", rq->fragment);
        return (verdict){ MHD_HTTP_BAD_REQUEST, "bad request target", rq->target_why, { 0 } };
    }
    if (rq->bad_escape) { /* read as text, it would name another subject or group */
        snprintf(rq->target_why, sizeof(rq->target_why),
                 "a malformed percent-escape \"%s\" at byte %zu of the request target: a '%%' "
                 "must be followed by two hex digits (send a '%%' itself as %%25)",
                 rq->escape, rq->bad_escape);
        return (verdict){ MHD_HTTP_BAD_REQUEST, "bad request target", rq->target_why, { 0 } };
    }
    arg_check ac = { !rq->bad_target, rq->target_why, sizeof(rq->target_why) };
    if (ac.ok) MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, arg_is_text, &ac);
    if (!ac.ok)
        return (verdict){ MHD_HTTP_BAD_REQUEST, "bad request target",
                          rq->target_why[0] ? rq->target_why
                          : "the path or query holds a control character, a NUL byte or bytes "
                            "that are not UTF-8",
                          { 0 } };
    bool asks_options = strcmp(method, "OPTIONS") == 0;
    if (rq->asterisk) /* the server as a whole, which only OPTIONS asks about */
        return asks_options ? (verdict){ 0 }
                            : (verdict){ MHD_HTTP_BAD_REQUEST, "bad request target",
                                         "the target * (the server as a whole) is for OPTIONS "
                                         "alone (RFC 9112, 3.2.4)", { 0 } };
    if (rq->route == ROUTE_NONE)
        return (verdict){ MHD_HTTP_NOT_FOUND, "not found", "no such route", { 0 } };
    bool post = route_is_post(rq->route);
    bool allowed = asks_options ||
                   (post ? strcmp(method, "POST") == 0
                         : strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0);
    if (!allowed)
        return (verdict){ MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed",
                          post ? "use POST" : "use GET or HEAD",
                          { "Allow", route_allow(rq) } };
    /* what a path takes is no secret (GET /openapi.json says it to anyone) */
    return asks_options ? (verdict){ 0 } : check_auth(s, c, rq, route_role(s, rq->route));
}

static bool expects_body(struct MHD_Connection *c)
{
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
    const char *te = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Transfer-Encoding");
    return te || (cl && strcmp(cl, "0") != 0);
}

/* Whether the request says how long its body is (an empty one included). */
static bool has_length(struct MHD_Connection *c)
{
    return MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length") ||
           MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Transfer-Encoding");
}

/* The first Content-Encoding header that names a coding other than
 * identity, else NULL. */
static enum MHD_Result find_coding(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    (void)kind;
    const char **coding = cls;
    if (strcasecmp(key, "Content-Encoding") != 0 || !value) return MHD_YES;
    for (const char *p = value; *p;) {
        p += strspn(p, " \t,");
        size_t n = strcspn(p, " \t,");
        if (n && !(n == 8 && strncasecmp(p, "identity", 8) == 0)) {
            *coding = value;
            return MHD_NO;
        }
        p += n;
    }
    return MHD_YES;
}

/* Why a body is too large: the limit, and what to do. */
static const char *too_big_why(const server *s, char *why, size_t n)
{
    snprintf(why, n, "the body is over --max-body, %zu bytes: send the events in smaller "
             "batches, or start the service with a larger --max-body", s->opt.body_bytes_max);
    return why;
}

/* POST /events: refuse a content coding (a gzip body was read as CSV and
 * refused with the C API's words about strlen), and a declared size over
 * --max-body or the budget, before reading it; reserve what it declared. */
static verdict admit_body(server *s, struct MHD_Connection *c, request *rq)
{
    const char *coding = NULL;
    MHD_get_connection_values(c, MHD_HEADER_KIND, find_coding, &coding);
    if (coding) {
        snprintf(rq->target_why, sizeof(rq->target_why), "Content-Encoding: %.*s: a body is "
                 "read as sent; send it without a content coding",
                 shown_bytes(coding, 60), coding);
        return (verdict){ MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, "unsupported content coding",
                          rq->target_why, { "Accept-Encoding", "identity" } };
    }
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
    uint64_t n;
    if (!cl || !parse_uint(cl, UINT64_MAX, &n) || n == 0) return (verdict){ 0 };
    if (n > s->opt.body_bytes_max)
        return (verdict){ MHD_HTTP_CONTENT_TOO_LARGE, "request body too large",
                          too_big_why(s, rq->target_why, sizeof(rq->target_why)), { 0 } };
    guard_take t = guard_reserve_from(&s->guard, c, (size_t)n); /* the body's bytes; the spare
                                                                   byte is not counted */
    if (t != GUARD_TAKEN)
        return (verdict){ MHD_HTTP_SERVICE_UNAVAILABLE, "busy",
                          t == GUARD_SHARE_SPENT
                              ? "this client address holds its share of the server's budget "
                                "for request bodies (half of it, or one --max-body); retry later"
                              : "the server's budget for request bodies is spent; retry later",
                          { "Retry-After", RETRY_AFTER_SECONDS } };
    rq->reserved = (size_t)n;
    return (verdict){ 0 };
}

/* Why a body sent to a route that takes none is refused. */
static const char *stray_why(const server *s, char *why, size_t n)
{
    snprintf(why, n, "this route takes no body: at most %zu bytes of one are read, and "
             "dropped; send none", stray_body_max(s));
    return why;
}

/* A route that takes no body: one declared past stray_body_max is refused
 * before it is read (POST /compact and GET /healthz read 100 MB so). */
static verdict admit_stray_body(server *s, struct MHD_Connection *c, request *rq)
{
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
    uint64_t n;
    if (!cl || !parse_uint(cl, UINT64_MAX, &n) || n <= stray_body_max(s)) return (verdict){ 0 };
    return (verdict){ MHD_HTTP_CONTENT_TOO_LARGE, "request body too large",
                      stray_why(s, rq->target_why, sizeof(rq->target_why)), { 0 } };
}

static enum MHD_Result send_verdict(struct MHD_Connection *c, request *rq, const verdict *v)
{
    return send_error_h(c, rq, v->status, v->error, v->reason, v->extra);
}

/* The query parameters a route reads, space-separated; NULL for the routes
 * that read none and ignore any (a probe or a scraper may add its own, and
 * a batch's 400 answer is its load report). */
static const char *route_params(route_id r)
{
    switch (r) {
    case ROUTE_SUBJECT:
    case ROUTE_RECORD:
    case ROUTE_LISTS:
    case ROUTE_OBJECTIONS: return "as_of";
    case ROUTE_GROUPS: return "as_of depth";
    case ROUTE_RANK: return "as_of group top";
    case ROUTE_REPORT: return "as_of depth min_group";
    case ROUTE_PURGE: return "before future";
    default: return NULL;
    }
}

typedef struct {
    const char *allowed; /* route_params() */
    const char *seen[3]; /* a route reads at most three */
    size_t n_seen;
    char why[200]; /* "" while every parameter is known and given once */
} param_check;

static bool word_in(const char *words, const char *w)
{
    size_t n = strlen(w);
    for (const char *p = words; *p;) {
        size_t k = strcspn(p, " ");
        if (k == n && strncasecmp(p, w, n) == 0) return true; /* as_of is AS_OF to MHD */
        p += k + (p[k] == ' ');
    }
    return false;
}

static enum MHD_Result param_known_once(void *cls, enum MHD_ValueKind kind, const char *key,
                                        const char *value)
{
    (void)kind;
    (void)value;
    param_check *pc = cls;
    if (!*key && value && *value) { /* "?=5": a value meant for a parameter whose name is lost */
        snprintf(pc->why, sizeof(pc->why), "a value with no parameter name (\"=%.*s\"): this "
                 "route takes %s", shown_bytes(value, 40), value, pc->allowed);
        return MHD_NO;
    }
    if (!*key) return MHD_YES; /* "?&depth=1", "a=1&&b=2": an empty segment names nothing */
    if (!word_in(pc->allowed, key)) {
        /* "authorization:Bearer x", "x;password=y": a name may carry a
         * credential, hidden as the access log hides it */
        buf hidden = { 0 };
        logged_params(&hidden, key, strlen(key), ";", true, true);
        buf_put(&hidden, "", 1);
        const char *name = hidden.oom ? "" : hidden.p;
        snprintf(pc->why, sizeof(pc->why), "unknown parameter \"%.*s\": this route takes %s",
                 shown_bytes(name, 40), name, pc->allowed);
        free(hidden.p);
        return MHD_NO;
    }
    for (size_t i = 0; i < pc->n_seen; i++)
        if (strcasecmp(pc->seen[i], key) == 0) {
            snprintf(pc->why, sizeof(pc->why), "parameter \"%s\" is given twice", key);
            return MHD_NO;
        }
    if (pc->n_seen < sizeof(pc->seen) / sizeof(pc->seen[0])) pc->seen[pc->n_seen++] = key;
    return MHD_YES;
}

/* A misspelt parameter would otherwise be ignored and the default answered
 * (as_of, most of all), and of two values one would be dropped. */
static bool params_ok(struct MHD_Connection *c, const request *rq, char *why, size_t n)
{
    param_check pc = { .allowed = route_params(rq->route) };
    if (!pc.allowed) return true;
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, param_known_once, &pc);
    if (!pc.why[0]) return true;
    snprintf(why, n, "%s", pc.why);
    return false;
}

/* The routes whose work query_gate bounds: the queries, each of which
 * holds working memory while it works out subjects.  Not /healthz, /metrics
 * and the document (counters and static bytes: an operator's probe must not
 * wait behind slow pages), nor the writes, which the engine runs one at a
 * time (a batch waits for the queries running, not for those queued). */
static bool route_gated(route_id r)
{
    switch (r) {
    case ROUTE_SUBJECT:
    case ROUTE_RECORD:
    case ROUTE_GROUPS:
    case ROUTE_RANK:
    case ROUTE_LISTS:
    case ROUTE_REPORT:
    case ROUTE_OBJECTIONS: return true;
    default: return false;
    }
}

/* A place for a query: false once the stop's wait is over (gate_close). */
static bool gate_enter(query_gate *g)
{
    pthread_mutex_lock(&g->mutex);
    while (!g->closed && g->working >= g->max) pthread_cond_wait(&g->freed, &g->mutex);
    bool in = !g->closed;
    if (in) g->working++;
    pthread_mutex_unlock(&g->mutex);
    return in;
}

static void gate_leave(query_gate *g)
{
    pthread_mutex_lock(&g->mutex);
    g->working--;
    pthread_cond_signal(&g->freed);
    pthread_mutex_unlock(&g->mutex);
}

/* The stop's wait is over: the queries still waiting for a place give up. */
static void gate_close(query_gate *g)
{
    pthread_mutex_lock(&g->mutex);
    g->closed = true;
    pthread_cond_broadcast(&g->freed);
    pthread_mutex_unlock(&g->mutex);
}

static enum MHD_Result answer_route(server *s, struct MHD_Connection *c, request *rq);

/* A query works once it has its place (query_gate); the other routes at
 * once. */
static enum MHD_Result dispatch(server *s, struct MHD_Connection *c, request *rq)
{
    char why[200];
    if (strcmp(rq->method, "OPTIONS") == 0) { /* its parameters and body are ignored */
        buf none = { 0 };
        return send_body(c, rq, MHD_HTTP_OK, &none, NULL, (header){ "Allow", route_allow(rq) });
    }
    if (!params_ok(c, rq, why, sizeof(why)))
        return send_error(c, rq, MHD_HTTP_BAD_REQUEST, "bad parameter", why);
    if (!route_gated(rq->route)) return answer_route(s, c, rq);
    if (!gate_enter(&s->gate)) { /* cut by the stop: closed unanswered, not run */
        atomic_fetch_add(&s->mhd_log.cut, 1); /* said by the stop, not by libmicrohttpd */
        return MHD_NO;
    }
    enum MHD_Result rc = answer_route(s, c, rq); /* its answer queued, not yet sent */
    gate_leave(&s->gate);
    return rc;
}

/* The route's answer (dispatch has checked its parameters). */
static enum MHD_Result answer_route(server *s, struct MHD_Connection *c, request *rq)
{
    char why[200];
    switch (rq->route) {
    case ROUTE_EVENTS:
        if (rq->too_big)
            return send_error(c, rq, MHD_HTTP_CONTENT_TOO_LARGE, "request body too large",
                              too_big_why(s, why, sizeof(why)));
        if (rq->over_budget)
            return send_error_h(c, rq, MHD_HTTP_SERVICE_UNAVAILABLE, "busy",
                                "the server's budget for request bodies is spent; retry later",
                                (header){ "Retry-After", RETRY_AFTER_SECONDS });
        if (rq->body_oom)
            return send_error(c, rq, MHD_HTTP_SERVICE_UNAVAILABLE, "out of memory", NULL);
        return post_events(s, c, rq);
    case ROUTE_SUBJECT: return get_subject(s, c, rq);
    case ROUTE_RECORD: return get_record(s, c, rq);
    case ROUTE_GROUPS: return get_groups(s, c, rq);
    case ROUTE_RANK: return get_rank(s, c, rq);
    case ROUTE_HEALTHZ: return get_health(s, c, rq);
    case ROUTE_METRICS: return get_metrics(s, c, rq);
    case ROUTE_OPENAPI: return get_openapi(s, c, rq);
    case ROUTE_COMPACT: return post_compact(s, c, rq);
    case ROUTE_PURGE: return post_purge(s, c, rq);
    case ROUTE_LISTS: return get_list(s, c, rq);
    case ROUTE_REPORT: return get_report(s, c, rq);
    case ROUTE_OBJECTIONS: return get_objections(s, c, rq);
    default: return send_error(c, rq, MHD_HTTP_NOT_FOUND, "not found", "no such route");
    }
}

/* ------------------------------------------------------------ request life */

/* The first '%' in uri that is not followed by two hex digits (RFC 3986,
 * 2.1), as a 1-based byte with the escape as sent in esc; 0 when none.
 * libmicrohttpd and decode_target leave such a '%' as text: "/subjects/a%ZZ"
 * was answered as the subject "a%ZZ" at the base score, where a client
 * meant some other id or sent "%" unencoded. */
static size_t malformed_escape(const char *uri, char esc[4])
{
    for (size_t i = 0; uri[i]; i++) {
        if (uri[i] != '%') continue;
        if (hex_digit(uri[i + 1]) >= 0 && hex_digit(uri[i + 2]) >= 0) {
            i += 2;
            continue;
        }
        /* shown: the '%' and the characters after it that a reader would
         * take as its digits, printable ASCII short of a delimiter */
        size_t k = 0;
        esc[k++] = '%';
        for (size_t j = i + 1; k < 3 && uri[j] > ' ' && uri[j] < 0x7f &&
                               !strchr("%?&=#", uri[j]); j++)
            esc[k++] = uri[j];
        esc[k] = '\0';
        return i + 1;
    }
    return 0;
}

/* Percent-decode the path of the raw target into rq->path (invalid escapes
 * stay as they are, like libmicrohttpd's, but are flagged: rq->bad_escape,
 * the byte counted from the target's start as sent, `skipped` bytes before
 * uri); flag NUL and invalid UTF-8, in the path or as "%00" in the query. */
static bool decode_target(request *rq, const char *uri, size_t skipped)
{
    size_t n = strcspn(uri, "?");
    rq->path = malloc(n + 1);
    if (!rq->path) return false;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        int hi = i + 2 < n && uri[i] == '%' ? hex_digit(uri[i + 1]) : -1;
        int lo = hi >= 0 ? hex_digit(uri[i + 2]) : -1;
        if (lo >= 0) {
            rq->path[k++] = (char)(hi << 4 | lo);
            i += 2;
        } else {
            rq->path[k++] = uri[i];
        }
    }
    rq->path[k] = '\0';
    rq->path_len = k;
    rq->record_suffix = n >= 7 && memcmp(uri + n - 7, "/record", 7) == 0;
    const char *q = uri + n;
    rq->bad_target = has_control(rq->path, k) || !utf8_valid(rq->path, k) ||
                     strstr(q, "%00") != NULL;
    rq->bad_escape = malformed_escape(uri, rq->escape);
    if (rq->bad_escape) rq->bad_escape += skipped;
    return true;
}

/* The origin form of a request target: an absolute-form one
 * ("http://host:port/path?query", which RFC 9112, 3.2.2 says a server must
 * accept) without its scheme and authority, the scheme http or https in any
 * case; any other target as it is.  The authority is not checked, as the
 * Host header is not. */
static const char *origin_form(const char *uri)
{
    size_t s = strncasecmp(uri, "http://", 7) == 0    ? 7
               : strncasecmp(uri, "https://", 8) == 0 ? 8
                                                      : 0;
    return s ? uri + s + strcspn(uri + s, "/?") : uri;
}

/* In an absolute-form target, the '@' that ends its userinfo
 * ("http://user:password@host/..."), else NULL. */
static const char *userinfo_at(const char *uri)
{
    const char *origin = origin_form(uri);
    if (origin == uri) return NULL;
    const char *at = NULL;
    for (const char *p = strchr(uri, ':') + 3; p < origin; p++)
        if (*p == '@') at = p; /* the last: a password may hold one */
    return at;
}

/* MHD_OPTION_URI_LOG_CALLBACK: called with the raw target as soon as the
 * request line is read; what it returns becomes the request's *con_cls. */
static void *uri_logger(void *cls, const char *uri, struct MHD_Connection *c)
{
    server *s = cls;
    /* a request begun before the stop is waited for, one begun after it is
     * refused (the stop may close its connection before the answer is sent:
     * it must not have run); the guard says which, and counts it so */
    bool late = guard_request_begun(&s->guard, c);
    request *rq = calloc(1, sizeof(*rq));
    if (!rq) return NULL;
    rq->late = late;
    rq->guard = &s->guard;
    rq->conn = c;
    rq->start_us = now_us();
    rq->route = ROUTE_NONE;
    size_t n = strlen(uri);
    rq->uri = malloc(n + 1);
    const char *origin = origin_form(uri);
    if (!rq->uri || !decode_target(rq, origin, (size_t)(origin - uri))) {
        free(rq->uri);
        free(rq);
        return NULL;
    }
    memcpy(rq->uri, uri, n + 1);
    rq->raw_at = uri;
    rq->raw_len = n;
    /* libmicrohttpd takes the request line's last blank as the one before
     * the version: "GET /subjects/a b HTTP/1.1" has the target
     * "/subjects/a b" */
    rq->blank_target = memchr(uri, ' ', n) != NULL;
    rq->userinfo = userinfo_at(uri) != NULL;
    rq->asterisk = strcmp(uri, "*") == 0;
    const char *hash = memchr(uri, '#', n);
    rq->fragment = hash ? (size_t)(hash - uri) + 1 : 0;
    return rq;
}

typedef struct {
    unsigned lengths, codings, hosts;
    const char *length, *coding;
    bool lengths_differ;
    const char *bad_line;    /* why a header line is refused, else NULL */
    uintptr_t block, block_end; /* the request's header bytes in libmicrohttpd's buffer */
    unsigned keys_in, keys_out; /* header names held in them, and elsewhere */
    bool folded;             /* a value held in them without its name before it */
    const char *value_end;   /* the end of the last value held in them, else NULL */
    bool hidden;             /* bytes other than a line end after a value: a NUL in it */
    const char *copied_why;  /* why the first header line is refused, its name copied out
                              * of the block before any name was seen in it: a fold's
                              * when names follow in the block (framing_check) */
} framing;

/* The buffer layout read below is libmicrohttpd 0.9's (0.9.75 to 0.9.77
 * read header lines alike); 1.0 parses them otherwise (it leaves a line's
 * CR, and blanks after a value, in place), and nothing is concluded. */
static bool layout_known(void)
{
    return strncmp(MHD_get_version(), "0.9.", 4) == 0;
}

static bool in_block(const framing *f, const char *p)
{
    return (uintptr_t)p >= f->block && (uintptr_t)p < f->block_end;
}

/* Whether what lies between the end of a value and the next name (or the
 * end of the headers), both in libmicrohttpd's buffer, is only the line
 * ends it wrote over with NULs: least to most NULs (CR LF is two, a bare LF
 * one).  Anything else, blanks or NULs included, followed a NUL byte the
 * client sent in the value, which ended it for libmicrohttpd and which a
 * proxy may keep ("chunked\0" is then another coding). */
static bool only_line_ends(const char *from, const char *to, ptrdiff_t least, ptrdiff_t most)
{
    if (to - from < least || to - from > most) return false;
    for (const char *p = from; p < to; p++)
        if (*p) return false;
    return true;
}

static const char empty_name[] = "a header line with an empty name (RFC 9110, 5.1)";
static const char nul_in_value[] = "a NUL byte inside a header value (RFC 9110, 5.5)";
static const char blank_in_name[] = "whitespace between a header's name and its colon "
                                    "(RFC 9112, 5.1)";
static const char bad_name_byte[] = "a header name with a character a name cannot have "
                                    "(RFC 9110, 5.1)";
static const char obs_fold[] = "a header line folded onto the next (obs-fold, RFC 9112, 5.2)";
static const char framing_fold[] = "a Content-Length or Transfer-Encoding header folded onto "
                                   "the next line, or under a longer name (RFC 9112, 5.2)";

/* Why the headers are refused for what lies between the end of the last
 * value held in libmicrohttpd's buffer and the end of the headers, or NULL.
 * Normally that is the value's line end and the empty line after it, CR LF
 * or LF each, written over with NULs: 2 to 4 NULs.  A line with an empty
 * name (": v") after the first header also ends the headers for
 * libmicrohttpd 0.9.75 -- the NUL it writes over the colon reads as the
 * empty line -- and the lines after it were taken for the body or the next
 * request.  It leaves the line end before it and that NUL (2 or 3 NULs),
 * its text, and its own line end (1 or 2, no empty line after it); a NUL
 * byte in a value leaves one NUL or more, the rest of the value, a line end
 * and the empty line (2 to 4).  That tells them apart, but for a line with
 * no text (only NULs then: either) and odd mixes of CR LF and LF.  Sent
 * with LF alone, ":" or ": " cannot be told from the empty line (3 NULs, as
 * "\r\n" then "\n" leave) and is let through. */
static const char *after_last_value(const char *from, const char *to)
{
    size_t nuls = 0;
    for (const char *p = from; p < to; p++) nuls += *p == '\0';
    if (only_line_ends(from, to, 2, 4)) return NULL;
    const char *text = from, *text_end = to;
    while (text < to && *text == '\0') text++;
    if (text == to)
        return "a header line with an empty name, or a NUL byte at the end of a header value "
               "(RFC 9110, 5.1 and 5.5)";
    while (text_end[-1] == '\0') text_end--;
    size_t lead = (size_t)(text - from), trail = (size_t)(to - text_end);
    bool one_line = lead + trail == nuls; /* no NUL inside the text */
    if (one_line && (lead == 2 || lead == 3) && (trail == 1 || (trail == 2 && lead == 3)))
        return empty_name;
    return nul_in_value;
}

/* RFC 9110, 5.6.2: a header name is a token. */
static bool is_tchar(unsigned char b)
{
    return (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') ||
           (b && strchr("!#$%&'*+-.^_`|~", b));
}

/* Whether name begins with the framing header h but is longer: what
 * libmicrohttpd 0.9.75 makes of "Content-Length :" (the blank kept in the
 * name) and of a folded "Content-Length:\r\n 58" (the next line's text
 * appended to the name). */
static bool framing_prefix(const char *name, const char *h)
{
    size_t n = strlen(h);
    return strncasecmp(name, h, n) == 0 && name[n] != '\0';
}

/* Whether value, held in the buffer, follows its name there as libmicrohttpd
 * 0.9 leaves a line: the name, the NUL it wrote over the colon, blanks.  A
 * folded line's name is copied elsewhere (after the buffer, even once the
 * buffer has moved to grow) and the line's own zeroed, so the value stays
 * without its name: a sign of the fold that does not depend on where the
 * block ends, nor on other names being held in place. */
static bool value_after_name(const framing *f, const char *key, const char *value)
{
    if (!in_block(f, key) || (uintptr_t)key >= (uintptr_t)value) return false;
    const char *p = key + strlen(key);
    if (p >= value || *p) return false;
    for (p++; p < value; p++)
        if (*p != ' ' && *p != '\t') return false;
    return true;
}

static enum MHD_Result framing_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                      const char *value)
{
    (void)kind;
    framing *f = cls;
    if (value && in_block(f, value) && !value_after_name(f, key, value)) f->folded = true;
    if (in_block(f, key)) {
        f->keys_in++;
        /* the previous line's value ends where its line ended, one or two
         * bytes before this name */
        if (f->value_end && f->value_end <= key && !only_line_ends(f->value_end, key, 1, 2))
            f->hidden = true;
    } else {
        f->keys_out++;
    }
    f->value_end = value && in_block(f, value) ? value + strlen(value) : NULL;
    if (!f->bad_line) {
        size_t n = strlen(key), t = 0;
        while (t < n && is_tchar((unsigned char)key[t])) t++;
        const char *why = NULL;
        if (n == 0)
            why = empty_name;
        else if (key[0] == ' ' || key[0] == '\t') /* only the first line can: a later
                                                 * one is a fold, appended to a name */
            why = "a header line that begins with a blank, as if folded onto the request "
                  "line (RFC 9112, 2.2)";
        else if (strpbrk(key, " \t"))
            why = blank_in_name;
        else if (t < n)
            why = bad_name_byte;
        else if (framing_prefix(key, "Content-Length") || framing_prefix(key, "Transfer-Encoding"))
            why = framing_fold;
        else if (value && strpbrk(value, "\r\n"))
            why = "a CR or LF inside a header value (RFC 9110, 5.5)";
        /* A name held out of the block is a folded line's, the next line's
         * text appended to it ("Authorization:" then " Bearer tok" is the
         * name "AuthorizationBearer tok"): a blank or a byte no name has in
         * it is the fold's, and named so, once a name held in place shows
         * that the library keeps names there (for the first line, once one
         * follows: framing_check). */
        bool copied = (why == blank_in_name || why == bad_name_byte) && f->block &&
                      !in_block(f, key);
        if (copied) {
            why = framing_prefix(key, "Content-Length") || framing_prefix(key, "Transfer-Encoding")
                      ? framing_fold : why;
            if (f->keys_in) f->bad_line = why == framing_fold ? why : obs_fold;
            else if (!f->copied_why) f->copied_why = why;
        } else if (why) {
            f->bad_line = why;
        }
    }
    if (strcasecmp(key, "Content-Length") == 0) {
        if (f->lengths++ && strcmp(f->length, value) != 0) f->lengths_differ = true;
        f->length = value;
    } else if (strcasecmp(key, "Transfer-Encoding") == 0) {
        f->codings++;
        f->coding = value;
    } else if (strcasecmp(key, "Host") == 0) {
        f->hosts++;
    }
    return MHD_YES;
}

/* Where a request's body ends must be beyond doubt (RFC 9112, 6.3): two
 * Content-Length values that differ, or a length beside a transfer coding,
 * would let a proxy in front and this server cut the stream apart
 * differently (request smuggling); a coding other than chunked cannot be
 * read.  So must which headers a request has: a line that parsers read in
 * different ways (a blank before the colon, a line folded onto the next, a
 * bare CR) may hold a length or a coding that libmicrohttpd does not see
 * and a proxy does -- the body is then left unread and taken for the next
 * request.  Such a request is answered at once, and the connection closed.
 * An HTTP/1.1 request has one Host header, no more, no fewer (RFC 9112, 3.2).
 *
 * libmicrohttpd 0.9.75 keeps header names where it read them, after the
 * method, except a folded line's, which it copies elsewhere to append the
 * next line to it: a name held elsewhere, beside names held in place, is
 * the sign of a fold whatever the header (a library that copies every name
 * shows none in place, and nothing is concluded).  A NUL byte ends a value
 * there: what followed it is found between the value and the next name. */
static verdict framing_check(struct MHD_Connection *c, const char *method, const char *version)
{
    framing f = { 0 };
    const union MHD_ConnectionInfo *hs =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
    if (hs && method && layout_known()) {
        f.block = (uintptr_t)method;
        f.block_end = f.block + hs->header_size;
    }
    MHD_get_connection_values(c, MHD_HEADER_KIND, framing_header, &f);
    static const header close = { "Connection", "close" };
    if (!f.bad_line && f.copied_why == framing_fold) f.bad_line = framing_fold;
    if (!f.bad_line && (f.folded || (f.keys_in && f.keys_out))) f.bad_line = obs_fold;
    if (!f.bad_line && f.copied_why) f.bad_line = f.copied_why;
    if (!f.bad_line && f.hidden) f.bad_line = nul_in_value;
    if (!f.bad_line && f.value_end)
        f.bad_line = after_last_value(f.value_end, (const char *)f.block_end);
    if (f.bad_line) return (verdict){ MHD_HTTP_BAD_REQUEST, "bad request framing", f.bad_line, close };
    if (f.hosts > 1 || (f.hosts == 0 && version && strcmp(version, "HTTP/1.1") == 0))
        return (verdict){ MHD_HTTP_BAD_REQUEST, "bad request",
                          f.hosts ? "more than one Host header"
                                  : "an HTTP/1.1 request needs a Host header", close };
    if (f.lengths_differ)
        return (verdict){ MHD_HTTP_BAD_REQUEST, "bad request framing",
                          "two Content-Length headers that differ", close };
    if (f.codings && f.lengths)
        return (verdict){ MHD_HTTP_BAD_REQUEST, "bad request framing",
                          "Content-Length beside Transfer-Encoding", close };
    /* RFC 9112, 6.1: HTTP/1.0 has no transfer codings, so a proxy of that
     * version may pass the chunks on as the body of no known length; the
     * framing is faulty, and the connection is closed after the answer */
    if (f.codings && version && strcmp(version, "HTTP/1.0") == 0)
        return (verdict){ MHD_HTTP_BAD_REQUEST, "bad request framing",
                          "Transfer-Encoding in an HTTP/1.0 request (RFC 9112, 6.1): send "
                          "Content-Length, or HTTP/1.1", close };
    /* "chunked " (a blank after it): RFC 9110, 5.5 does not count the
     * blank, but libmicrohttpd 0.9 compares the value whole, reads no
     * chunks, and waits for the connection's end as the body's; so it is
     * refused, the blank named (the reason told the client to send the
     * very header it had sent).  Letters in any case are chunked to both. */
    size_t bare = f.codings == 1 ? strlen(f.coding) : 0;
    while (bare && (f.coding[bare - 1] == ' ' || f.coding[bare - 1] == '\t')) bare--;
    if (f.codings == 1 && bare == 7 && f.coding[bare] && strncasecmp(f.coding, "chunked", 7) == 0)
        return (verdict){ MHD_HTTP_NOT_IMPLEMENTED, "transfer coding not implemented",
                          f.coding[bare] == ' '
                              ? "Transfer-Encoding: chunked is followed by a space, and the HTTP "
                                "library under this service (libmicrohttpd) then reads no chunks "
                                "(RFC 9110, 5.5 does not count the blank): send the value "
                                "without it"
                              : "Transfer-Encoding: chunked is followed by a tab, and the HTTP "
                                "library under this service (libmicrohttpd) then reads no chunks "
                                "(RFC 9110, 5.5 does not count the blank): send the value "
                                "without it", close };
    if (f.codings > 1 || (f.codings && strcasecmp(f.coding, "chunked") != 0))
        return (verdict){ MHD_HTTP_NOT_IMPLEMENTED, "transfer coding not implemented",
                          "a body is read as sent or chunked (Transfer-Encoding: chunked)", close };
    return (verdict){ 0 };
}

/* libmicrohttpd 0.9.75 hands uri_logger the target where the request line
 * holds it, ended by the NUL it wrote over the blank before the version; a
 * NUL byte sent in the target ends it sooner, the rest unseen: the service
 * answered "/subjects/al\0ice" as the subject "al", and a proxy in front
 * may have read it otherwise.  So the target seen must reach the version.
 * Only the addresses are compared (the bytes between were rewritten since:
 * the query split off, escapes decoded in place); if they do not lie in the
 * request's header bytes in that order -- a copy -- or the library is not
 * 0.9 (layout_known), nothing is concluded. */
static verdict target_check(struct MHD_Connection *c, const request *rq, const char *method,
                            const char *version)
{
    const union MHD_ConnectionInfo *hs =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
    if (!hs || !method || !version || !rq->raw_at || !layout_known()) return (verdict){ 0 };
    uintptr_t line = (uintptr_t)method, end = line + hs->header_size;
    uintptr_t target = (uintptr_t)rq->raw_at, v = (uintptr_t)version;
    if (!(line < target && target < v && v < end) || target + rq->raw_len + 1 >= v)
        return (verdict){ 0 };
    /* a bad request line: where the target ends is in doubt, as a body's
     * would be, so the connection is closed */
    return (verdict){ MHD_HTTP_BAD_REQUEST, "bad request target",
                      "a NUL byte in the request target (RFC 9112, 3.2)",
                      { "Connection", "close" } };
}

/* The method is a token (RFC 9110, 9.1: letters, digits and
 * !#$%&'*+-.^_`|~), all of it: libmicrohttpd 0.9 takes the bytes before
 * the first blank, and a NUL among them ends the method the service sees
 * ("POST\0X /events" ran as POST, and "HEAD\0" answered with a body as a
 * GET), where a proxy in front may have read the line otherwise; a byte
 * that is no token's (a control, a bidi override) is no method to answer
 * 405 to.  Either is a bad request line: the connection is closed.  A NUL
 * is seen as a target_check sees one, by where the target begins: after
 * the method, the NUL written over the blank, and blanks only. */
static verdict method_check(struct MHD_Connection *c, const request *rq, const char *method)
{
    static const char extra[] = "!#$%&'*+-.^_`|~";
    const char *why = NULL;
    if (method && method[0] == '\0') why = "an empty method";
    for (const unsigned char *m = (const unsigned char *)method; !why && m && *m; m++)
        if (!((*m >= 'A' && *m <= 'Z') || (*m >= 'a' && *m <= 'z') || (*m >= '0' && *m <= '9') ||
              strchr(extra, *m)))
            why = "a byte in the method that no method has (a method is a token, RFC 9110, 9.1)";
    const union MHD_ConnectionInfo *hs =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
    if (!why && hs && method && rq->raw_at && layout_known()) {
        const char *first = method + strlen(method) + 1;
        uintptr_t end = (uintptr_t)method + hs->header_size, t = (uintptr_t)rq->raw_at;
        if ((uintptr_t)first <= t && t < end)
            for (const char *p = first; !why && p < rq->raw_at; p++)
                if (*p != ' ') why = "a NUL byte in the method (RFC 9112, 3.1)";
    }
    if (!why) return (verdict){ 0 };
    return (verdict){ MHD_HTTP_BAD_REQUEST, "bad request", why, { "Connection", "close" } };
}

/* Whether more than one blank came between the method and the target:
 * libmicrohttpd 0.9 skips them ("GET  /healthz" is /healthz), where a blank
 * after the target is refused as one inside it; a proxy may read either
 * otherwise.  Seen where the target begins in the buffer, after the method
 * and the NUL written over the first blank; nothing is concluded when the
 * target is not found there. */
static bool blanks_after_method(struct MHD_Connection *c, const char *method, const char *target)
{
    const union MHD_ConnectionInfo *hs =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
    if (!hs || !method || !target || !layout_known()) return false;
    uintptr_t m = (uintptr_t)method, t = (uintptr_t)target;
    const char *first = method + strlen(method) + 1;
    if (t <= (uintptr_t)first || t >= m + hs->header_size) return false;
    for (const char *p = first; p < target; p++)
        if (*p != ' ') return false;
    return true;
}

/* The last guard on where a body ended: bytes received other than the
 * Content-Length declared (a length libmicrohttpd read otherwise than the
 * service) are never taken for a request's body. */
static verdict body_check(struct MHD_Connection *c, const request *rq)
{
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
    uint64_t n;
    if (!cl || !parse_uint(cl, UINT64_MAX, &n) || n == rq->received) return (verdict){ 0 };
    return (verdict){ MHD_HTTP_BAD_REQUEST, "bad request framing",
                      "the body received is not as long as its Content-Length",
                      { "Connection", "close" } };
}

/* What a request's head takes of its connection's memory: the request line
 * and header lines, and a record of HEADER_RECORD bytes for each header,
 * query parameter and cookie. */
typedef struct head_use {
    size_t text, used;
    size_t records[3]; /* HEAD_HEADERS, HEAD_PARAMS, HEAD_COOKIES */
} head_use;

enum { HEAD_HEADERS, HEAD_PARAMS, HEAD_COOKIES };

static size_t values_of(struct MHD_Connection *c, enum MHD_ValueKind kind)
{
    int n = MHD_get_connection_values(c, kind, NULL, NULL);
    return n > 0 ? (size_t)n : 0;
}

/* Whether the request's headers leave its connection too little memory to
 * answer, what they take in *u.  libmicrohttpd keeps a request's header
 * lines, and a record for each header, query parameter and cookie, in the
 * connection's memory pool (CONNECTION_MEMORY), and builds the answer's
 * headers in what is left: with about 30.5 KB of headers the route ran (a
 * batch was applied) and the connection was then closed without an
 * answer.  A request that leaves less than HEADER_ROOM is answered 431
 * before any route runs (head_too_large_why says which rule it broke). */
static bool headers_too_large(struct MHD_Connection *c, head_use *u)
{
    const union MHD_ConnectionInfo *hs =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
    if (!hs) return false;
    u->text = hs->header_size;
    u->records[HEAD_HEADERS] = values_of(c, MHD_HEADER_KIND | MHD_FOOTER_KIND);
    u->records[HEAD_PARAMS] = values_of(c, MHD_GET_ARGUMENT_KIND);
    u->records[HEAD_COOKIES] = values_of(c, MHD_COOKIE_KIND);
    size_t n = u->records[HEAD_HEADERS] + u->records[HEAD_PARAMS] + u->records[HEAD_COOKIES];
    u->used = u->text + n * HEADER_RECORD;
    return u->used > CONNECTION_MEMORY - HEADER_ROOM;
}

/* The reason of the 431 for a head that takes u: the rule as it was
 * broken.  When the records take more than the text, the kind with the
 * most of them is named ("too many query parameters"), with how many would
 * fit beside the rest (the text counted as it is: fewer parameters shorten
 * it too, so that many fit at least); else the size of the text. */
static void head_too_large_why(const head_use *u, char *why, size_t n)
{
    static const char *const kinds[] = { "headers", "query parameters", "cookies" };
    const size_t limit = CONNECTION_MEMORY - HEADER_ROOM;
    size_t all = u->records[HEAD_HEADERS] + u->records[HEAD_PARAMS] + u->records[HEAD_COOKIES];
    int most = HEAD_HEADERS;
    for (int k = HEAD_PARAMS; k <= HEAD_COOKIES; k++)
        if (u->records[k] > u->records[most]) most = k;
    size_t others = (all - u->records[most]) * HEADER_RECORD;
    char rule[256];
    snprintf(rule, sizeof(rule), "the request line and headers must stay under "
             HEADER_LIMIT_TEXT " (%zu bytes), counting %u bytes for each header, query "
             "parameter and cookie, and this request's %zu bytes and %zu of those come to %zu "
             "bytes", limit, HEADER_RECORD, u->text, all, u->used);
    if (all * HEADER_RECORD > u->text && u->text + others < limit)
        snprintf(why, n, "too many %s (%zu): %s: send at most %zu %s; nothing of this request "
                 "was run", kinds[most], u->records[most], rule,
                 (limit - u->text - others) / HEADER_RECORD, kinds[most]);
    else
        snprintf(why, n, "%s; nothing of this request was run", rule);
}

/* libmicrohttpd's idle timeout for a connection, in seconds.  While it
 * waits for a request the guard's reaper closes it at --timeout (guard.h):
 * libmicrohttpd's is then IDLE_FALLBACK_SECONDS later, so that its thread
 * never reaches the last second of it, where it spins; while an answer is
 * made and sent (answering), which the reaper does not time, it is
 * --timeout itself.  0 is no timeout. */
#define IDLE_FALLBACK_SECONDS 2
static unsigned idle_timeout(const server *s, bool answering)
{
    unsigned t = s->opt.timeout_seconds;
    return t && !answering && s->guard.idle_seconds ? t + IDLE_FALLBACK_SECONDS : t;
}

static enum MHD_Result first_call(server *s, struct MHD_Connection *c, request *rq,
                                  const char *method, const char *version)
{
    rq->started = true;
    snprintf(rq->method, sizeof(rq->method), "%s", method);
    /* first, so that a request refused for its headers or its framing is
     * counted in /metrics under its route, not under "other" */
    rq->route = match_route(rq);
    rq->token = sent_token(s, c);
    head_use use;
    if (headers_too_large(c, &use)) {
        char why[400];
        head_too_large_why(&use, why, sizeof(why));
        verdict big = { MHD_HTTP_REQUEST_HEADER_FIELDS_TOO_LARGE, "request headers too large",
                        why, { "Connection", "close" } };
        return send_verdict(c, rq, &big);
    }
    verdict v = method_check(c, rq, method);
    if (!v.status) v = target_check(c, rq, method, version);
    if (!v.status) v = framing_check(c, method, version);
    if (v.status) return send_verdict(c, rq, &v);
    rq->blanks_before = blanks_after_method(c, method, rq->raw_at);
    if (rq->late) {
        v = (verdict){ MHD_HTTP_SERVICE_UNAVAILABLE, "shutting down",
                       "the service is stopping and ran nothing of this request: send it "
                       "again once it is back", { "Connection", "close" } };
        if (expects_body(c)) return send_verdict(c, rq, &v);
        rq->pending = v;
        return MHD_YES;
    }
    v = check_request(s, c, rq, method);
    bool batch = rq->route == ROUTE_EVENTS && strcmp(method, "POST") == 0; /* not OPTIONS */
    rq->takes_body = batch;
    if (!v.status && !batch) v = admit_stray_body(s, c, rq);
    if (!v.status && batch && !has_length(c))
        /* RFC 9112, 6.3: without either, a request has no body; a batch
         * sent so (HTTP/1.0, then a half-close) was answered "accepted 0"
         * and its bytes read as the next request */
        v = (verdict){ MHD_HTTP_LENGTH_REQUIRED, "length required",
                       "POST /events needs Content-Length or Transfer-Encoding: chunked "
                       "(where a body without either ends is not known)",
                       { "Connection", "close" } };
    if (!v.status && batch) v = admit_body(s, c, rq);
    if (v.status && expects_body(c)) return send_verdict(c, rq, &v);
    rq->pending = v;
    return MHD_YES;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
    server *s = cls;
    request *rq = *con_cls;
    (void)url; /* routed from the raw target (uri_logger), which keeps %00 visible */
    if (!rq) return MHD_NO;
    if (rq->answered) {
        *upload_size = 0;
        return MHD_YES;
    }
    if (!rq->started) return first_call(s, c, rq, method, version);
    if (*upload_size) {
        if (rq->pending.status) *upload_size = 0;
        else collect_body(s, rq, upload, upload_size);
        return MHD_YES;
    }
    guard_request_arrived(&s->guard, c);
    if (s->guard.idle_seconds) /* the reaper no longer times it: libmicrohttpd does */
        (void)MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT, idle_timeout(s, true));
    if (rq->pending.status) return send_verdict(c, rq, &rq->pending);
    if (rq->too_big && !rq->takes_body) {
        char why[200];
        return send_error(c, rq, MHD_HTTP_CONTENT_TOO_LARGE, "request body too large",
                          stray_why(s, why, sizeof(why)));
    }
    verdict v = body_check(c, rq);
    if (v.status) return send_verdict(c, rq, &v);
    return dispatch(s, c, rq);
}

static void remote_of(struct MHD_Connection *c, char *out, size_t n)
{
    const union MHD_ConnectionInfo *i = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf(out, n, "-");
    if (!i || !i->client_addr) return;
    const struct sockaddr *a = i->client_addr;
    if (a->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)a)->sin_addr, out, (socklen_t)n);
    else if (a->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)a)->sin6_addr, out, (socklen_t)n);
}

/* Parts of query parameter names whose values are credentials (the name
 * compared decoded, in any case, anywhere in it: accessToken, bearer_token,
 * private_key, token[] too): logged as REDACTED.  No parameter the service
 * reads (as_of, before, depth, group, min_group, top) holds one. */
static const char *const SECRET_PARTS[] = {
    "token", "key", "secret", "pass", "pwd", "auth", "sig", "session", "cred", "bearer",
};

static bool secret_param(const char *name, size_t n)
{
    char d[128];
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (k + 1 >= sizeof(d)) return true; /* too long to look at: not written */
        int hi = name[i] == '%' && i + 2 < n ? hex_digit(name[i + 1]) : -1;
        int lo = hi >= 0 ? hex_digit(name[i + 2]) : -1;
        char c = name[i];
        if (lo >= 0) {
            c = (char)(hi << 4 | lo);
            i += 2;
        }
        d[k++] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c ? c : ' '; /* %00: a blank */
    }
    d[k] = '\0';
    for (size_t j = 0; j < sizeof(SECRET_PARTS) / sizeof(SECRET_PARTS[0]); j++)
        if (strstr(d, SECRET_PARTS[j])) return true;
    return false;
}

/* The offset in s[0..n) of the first '=' (or "%3D") after which s holds a
 * credential: the text before it names one (secret_param), else n.  A
 * parameter's own name is such text ("password=x"), and so is a value that
 * carries a credential's name=value inside it, after a separator a client
 * meant as one ("as_of=2025-12-31%3Bpassword%3Dx", "...%26password=x",
 * "...,password=x", "...|password=x", "...%23password=x": a fragment's
 * '#').  A ':' after such a name is its '=' too, as in a header a client
 * pasted ("...%3Bauthorization%3ABearer%20x"); one after another name
 * ends nothing ("x:token=y" names a credential). */
static size_t secret_from(const char *s, size_t n, bool named)
{
    size_t start = named ? 0 : SIZE_MAX; /* where a name begins; SIZE_MAX: none */
    for (size_t i = 0; i < n; i++) {
        bool pct = s[i] == '%' && i + 2 < n && s[i + 1] >= '2' && s[i + 1] <= '7';
        int code = pct ? (s[i + 1] - '0') << 4 | hex_digit(s[i + 2]) : s[i];
        size_t width = pct && hex_digit(s[i + 2]) >= 0 ? 3 : 1;
        if (width == 1 && s[i] == '%') code = '%';
        if (code == ';' || code == '&' || code == ',' || code == '|' || code == '#') {
            start = i + width; /* a name may follow a separator a client meant as one */
        } else if (code == '=' || code == ':') {
            if (start != SIZE_MAX && secret_param(s + start, i - start)) return i + width;
            if (code == '=')
                start = SIZE_MAX; /* a value: "group=keyboard%3Dx" names no credential */
        } else {
            continue;
        }
        i += width - 1;
    }
    return n;
}

/* The parameters of p[0..n), each ended by one of seps (kept as sent):
 * each with what follows a credential's name and '=' REDACTED
 * (secret_from), the others as sent.  Reasons that quote a value hide
 * credentials in it so too, the log and the answer alike. */
static void logged_params(buf *out, const char *p, size_t n, const char *seps, bool first_named,
                          bool named)
{
    for (size_t i = 0; i <= n;) {
        size_t len = 0;
        while (i + len < n && !strchr(seps, p[i + len])) len++;
        /* a piece begins with a parameter's name (first_named for the first,
         * named for the others); a value, or a path's segment, names a
         * credential only after a separator inside it ("a%3Bpassword%3Dx",
         * not "author=bob") */
        size_t shown = secret_from(p + i, len, i == 0 ? first_named : named);
        buf_put(out, p + i, shown);
        if (shown < len) buf_puts(out, "REDACTED");
        if (i + len < n) buf_put(out, p + i + len, 1);
        i += len + 1;
    }
}

/* The target as logged: a userinfo ("user:password@", refused) and the
 * values of credential parameters made REDACTED; the rest as sent.  Some
 * clients end a query's parameters with ';' where most send '&'
 * ("?a=1;password=x" was logged whole), a path's too (";jsessionid=..."),
 * and a fragment, which no client should send but a link pasted whole
 * does, may hold them ("#access_token=..."): each is taken as a separator
 * of parameters, so that the credentials among them are redacted. */
static void logged_target(buf *out, const char *uri)
{
    const char *at = userinfo_at(uri);
    if (at) {
        const char *host = strchr(uri, ':') + 3;
        buf_put(out, uri, (size_t)(host - uri));
        buf_puts(out, "REDACTED");
        uri = at;
    }
    size_t path = strcspn(uri, "?#"), bare = strcspn(uri, ";?#");
    logged_params(out, uri, bare, "/", false, false); /* "/lists/a%3Bpassword%3Dx" */
    if (bare < path) logged_params(out, uri + bare, path - bare, ";/", true, true);
    if (uri[path]) {
        buf_put(out, uri + path, 1);
        logged_params(out, uri + path + 1, strlen(uri + path + 1), "&;#", true, true);
    }
}

static void log_access(server *s, struct MHD_Connection *c, const request *rq, uint64_t micros)
{
    char remote[INET6_ADDRSTRLEN + 1];
    remote_of(c, remote, sizeof(remote));
    buf target = { 0 };
    logged_target(&target, rq->uri);
    buf_put(&target, "", 1); /* its NUL */
    if (target.oom) {
        free(target.p);
        return;
    }
    access_entry e = { unix_now(), remote, rq->method[0] ? rq->method : "-", target.p,
                       rq->status, rq->bytes, micros, rq->token ? rq->token->name : NULL };
    buf b = { 0 };
    /* after a line cut short (a full disk), a line feed first: the cut line
     * ends there, and this one is whole on its own line */
    bool cut = atomic_exchange(&s->access_cut, false);
    if (cut) buf_put(&b, "\n", 1);
    access_line(&b, &e);
    if (b.oom) {
        free(b.p);
        free(target.p);
        return;
    }
    /* One write(2) per line on an O_APPEND descriptor: lines never interleave. */
    ssize_t n = write(s->access_fd, b.p, b.len);
    if (n == (ssize_t)b.len) {
        if (atomic_exchange(&s->access_failing, false))
            fprintf(stderr, SERVER_NAME ": --access-log: writing again\n");
    } else {
        /* a short write sets no errno: the device, or the file-size limit, is full */
        const char *why = n < 0 ? strerror(errno) : "a line written in part (no room left)";
        if (n > 0 || cut) atomic_store(&s->access_cut, true); /* no line feed, or a cut line */
        /* the answer is already sent: say so once a failing spell, not once per request */
        if (!atomic_exchange(&s->access_failing, true))
            fprintf(stderr, SERVER_NAME ": --access-log: cannot write: %s (lines that cannot "
                    "be written are lost; said again when it writes again)\n", why);
    }
    free(b.p);
    free(target.p);
}

/* The status libmicrohttpd queued itself for a request it refused after its
 * request line (a header line without a colon, a bad Content-Length or chunk
 * size): the service queued nothing, and it was logged as if the client had
 * left.  0 when nothing was queued (the client left, a time limit, the stop).
 * A refusal at the request line itself (the version, the line's length or
 * blanks) never reaches the service: no request, no line, no count. */
static unsigned refused_status(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *i = MHD_get_connection_info(c, MHD_CONNECTION_INFO_HTTP_STATUS);
    return i ? i->http_status : 0;
}

/* How a request libmicrohttpd ended other than answered ended, for the
 * stop's account (guard_request_ended): its idle timeout (--timeout),
 * its client gone (closed or reset), or an error. */
static guard_end end_of(enum MHD_RequestTerminationCode toe)
{
    switch (toe) {
    case MHD_REQUEST_TERMINATED_TIMEOUT_REACHED: return GUARD_END_IDLE;
    case MHD_REQUEST_TERMINATED_CLIENT_ABORT:
    case MHD_REQUEST_TERMINATED_READ_ERROR: return GUARD_END_CLIENT;
    default: return GUARD_END_ERROR;
    }
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    server *s = cls;
    request *rq = *con_cls;
    if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK) guard_request_ended(&s->guard, c, end_of(toe));
    if (!rq) return;
    uint64_t micros = (uint64_t)(now_us() - rq->start_us);
    /* The service's own 431 (headers_too_large; the connection closed
     * after it) whose connection ended in an error was not sent: the
     * records of the query parameters left libmicrohttpd no memory to build
     * it ("failed to create response header"), and the client got no
     * answer.  Logged and counted as no answer, not as a 431. */
    if (rq->status == MHD_HTTP_REQUEST_HEADER_FIELDS_TOO_LARGE &&
        toe == MHD_REQUEST_TERMINATED_WITH_ERROR) {
        rq->status = 0;
        rq->bytes = 0;
    } else if (!rq->status) {
        rq->status = refused_status(c);
    }
    metrics_observe(&s->metrics, rq->route, rq->status, micros);
    if (s->access_fd >= 0) log_access(s, c, rq, micros);
    guard_release_from(&s->guard, c, rq->reserved);
    guard_release_answer_from(&s->guard, c, rq->answer_reserved);
    if (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK) {
        guard_request_done(&s->guard, c);
        if (s->guard.idle_seconds) /* the reaper times it again */
            (void)MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT,
                                            idle_timeout(s, false));
    }
    free(rq->body);
    free(rq->path);
    free(rq->uri);
    free(rq);
    *con_cls = NULL;
}

/* ------------------------------------------------------------ options */

static void usage(FILE *f)
{
    fputs("usage: civic-server [OPTIONS]\n"
          "  --bind ADDR             listen address (default 127.0.0.1; IPv4 or IPv6 in digits)\n"
          "  --port N                TCP port (default 8080; 0 picks a free one)\n"
          "  --rules FILE            rules file (default: the built-in community scheme)\n"
          "  --data DIR              durable: DIR/snapshot.civic + DIR/journal.civic\n"
          "  --sync POLICY           always (default) | group | none, with --data\n"
          "  --compact-every SECONDS snapshot + fresh journal period (default 300)\n"
          "  --recover               start past a journal damaged in the middle (a copy is\n"
          "                          kept) or missing (or empty) beside its snapshot\n"
          "  --rescore               --data was written under other rules (a revised scheme):\n"
          "                          read its events under --rules and rewrite it so\n"
          "  --threads N             queries worked at once (default 4)\n"
          "access:\n"
          "  --tokens FILE           API tokens (name role sha256 per line); without it every\n"
          "                          route is open and only a loopback --bind is allowed\n"
          "  --insecure              allow a non-loopback --bind without --tokens\n"
          "  --public-reports        GET /report without a token (the notice page at\n"
          "                          the default as_of only; see --report-now)\n"
          "  --report-now            GET /report's default as_of is the present moment\n"
          "                          (the other routes': the latest ts held); for a\n"
          "                          page posted with --public-reports\n"
          "  --min-group K           /report's min_group: its default, and the least a\n"
          "                          caller without a read token may ask (default 5)\n"
          "  --report-depth D        /report's depth: its default, and the only one a\n"
          "                          caller without a read token may ask (default 1)\n"
          "  --tls-cert FILE         serve HTTPS with this PEM certificate (chain) ...\n"
          "  --tls-key FILE          ... and this PEM private key\n"
          "limits:\n"
          "  --max-body BYTES        largest POST body, K/M/G suffixes (default 64M)\n"
          "  --body-budget BYTES     all request bodies buffered at once (default 256M;\n"
          "                          one client address: half of it); past it: 503 with\n"
          "                          Retry-After\n"
          "  --answer-budget BYTES   all answers held for their clients at once (default\n"
          "                          256M; answers of 16K or less are not counted); past\n"
          "                          it: 503 with Retry-After\n"
          "  --max-connections N     open connections (default 256)\n"
          "  --max-per-ip N          connections per client address waiting for a request\n"
          "                          (default 32; all of them: 4N; 0: no limit)\n"
          "  --timeout SECONDS       idle connection timeout (default 30)\n"
          "  --request-timeout SECONDS  a whole request (headers and body) must arrive\n"
          "                          within this (default 30; 0: no deadline)\n"
          "observability:\n"
          "  --access-log FILE       one JSON line per request\n"
          "  --openapi FILE          serve this document at GET /openapi.json\n"
          "other:\n"
          "  --hash-token NAME ROLE  read a token on stdin, print its --tokens line, exit\n"
          "  --version               print the versions and exit\n"
          "  -h, --help              print this and exit\n", f);
}

typedef enum { OPT_STR, OPT_UINT, OPT_SIZE, OPT_FLAG, OPT_SYNC } opt_kind;

typedef struct opt_def {
    const char *name;
    opt_kind kind;
    size_t offset;
    uint64_t min, max;
    bool once; /* given again with another value: refused (parse_options) */
} opt_def;

#define OPT(name, kind, field, min, max) { name, kind, offsetof(options, field), min, max, false }
/* What the service holds and serves (its data, its rules, its tokens): an
 * option given twice took the last value, so that a unit file's --data and
 * an override's left a service on an empty directory, unnoticed. */
#define OPT_ONCE(name, field) { name, OPT_STR, offsetof(options, field), 0, 0, true }
static const opt_def OPTIONS[] = {
    OPT("--bind", OPT_STR, bind, 0, 0),
    OPT("--port", OPT_UINT, port, 0, 65535),
    OPT_ONCE("--rules", rules_path),
    OPT_ONCE("--data", data_dir),
    OPT("--sync", OPT_SYNC, sync_policy, 0, 0),
    OPT("--compact-every", OPT_UINT, compact_seconds, 1, 86400u * 365),
    OPT("--threads", OPT_UINT, threads, 1, 1024),
    OPT_ONCE("--tokens", tokens_path),
    OPT("--insecure", OPT_FLAG, insecure, 0, 0),
    OPT("--recover", OPT_FLAG, recover, 0, 0),
    OPT("--rescore", OPT_FLAG, rescore, 0, 0),
    OPT("--public-reports", OPT_FLAG, public_reports, 0, 0),
    OPT("--report-now", OPT_FLAG, report_now, 0, 0),
    OPT("--min-group", OPT_UINT, min_group, 1, UINT32_MAX),
    OPT("--report-depth", OPT_UINT, report_depth, 0, CIVIC_GROUP_DEPTH_MAX),
    OPT("--tls-cert", OPT_STR, tls_cert, 0, 0),
    OPT("--tls-key", OPT_STR, tls_key, 0, 0),
    OPT("--max-body", OPT_SIZE, body_bytes_max, 1, (uint64_t)1 << 40),
    OPT("--body-budget", OPT_SIZE, body_budget_bytes, 1, (uint64_t)1 << 42),
    OPT("--answer-budget", OPT_SIZE, answer_budget_bytes, 1, (uint64_t)1 << 42),
    OPT("--max-connections", OPT_UINT, connections_max, 1, 1000000),
    OPT("--max-per-ip", OPT_UINT, per_ip_max, 0, 1000000),
    OPT("--timeout", OPT_UINT, timeout_seconds, 0, 86400),
    OPT("--request-timeout", OPT_UINT, request_seconds, 0, 86400),
    OPT("--access-log", OPT_STR, access_log, 0, 0),
    OPT("--openapi", OPT_STR, openapi_path, 0, 0),
};

static bool parse_size(const char *v, uint64_t *out)
{
    char *end;
    errno = 0;
    if (*v < '0' || *v > '9') return false;
    unsigned long long n = strtoull(v, &end, 10);
    if (errno || end == v) return false;
    unsigned long long mul = 1;
    if (*end == 'K' || *end == 'k') mul = 1ull << 10;
    else if (*end == 'M' || *end == 'm') mul = 1ull << 20;
    else if (*end == 'G' || *end == 'g') mul = 1ull << 30;
    else if (*end) return false;
    if (mul != 1 && end[1]) return false;
    if (n > UINT64_MAX / mul) return false;
    *out = (uint64_t)(n * mul);
    return true;
}

static int usage_error(const char *fmt, const char *a, const char *b)
{
    fputs(SERVER_NAME ": ", stderr);
    fprintf(stderr, fmt, a, b);
    fputs("\n", stderr);
    usage(stderr);
    return -1;
}

/* Store v into the option d describes; false when v is not a valid value. */
static bool set_option(options *o, const opt_def *d, const char *v)
{
    char *field = (char *)o + d->offset;
    uint64_t n = 0;
    switch (d->kind) {
    case OPT_STR: memcpy(field, &v, sizeof(v)); return *v != '\0';
    case OPT_FLAG: *(bool *)(void *)field = true; return true;
    case OPT_SYNC: {
        uint32_t p = strcmp(v, "always") == 0 ? CIVIC_SYNC_ALWAYS
                   : strcmp(v, "group") == 0  ? CIVIC_SYNC_GROUP
                   : strcmp(v, "none") == 0   ? CIVIC_SYNC_NONE : 0;
        memcpy(field, &p, sizeof(p));
        return p != 0;
    }
    case OPT_UINT: {
        if (!parse_uint(v, d->max, &n) || n < d->min) return false;
        unsigned u = (unsigned)n;
        memcpy(field, &u, sizeof(u));
        return true;
    }
    case OPT_SIZE: {
        if (!parse_size(v, &n) || n < d->min || n > d->max || n > SIZE_MAX / 2) return false;
        size_t z = (size_t)n;
        memcpy(field, &z, sizeof(z));
        return true;
    }
    }
    return false;
}

static void defaults(options *o)
{
    memset(o, 0, sizeof(*o));
    o->bind = "127.0.0.1";
    o->port = 8080;
    o->sync_policy = CIVIC_SYNC_ALWAYS;
    o->threads = 4;
    o->body_bytes_max = (size_t)64 << 20;
    o->body_budget_bytes = (size_t)256 << 20;
    o->answer_budget_bytes = (size_t)256 << 20;
    o->connections_max = 256;
    o->per_ip_max = 32;
    o->timeout_seconds = 30;
    o->request_seconds = 30;
    o->compact_seconds = 300;
    o->min_group = REPORT_MIN_GROUP_DEFAULT;
    o->report_depth = 1;
}

/* What --help, --version and --hash-token printed, written out: 0, or 1
 * said on standard error when it could not be (a full disk, a closed
 * standard output: a token line appended to the tokens file by a shell
 * redirection would be missing, and the client refused with 401). */
static int stdout_written(void)
{
    if (fflush(stdout) == 0 && !ferror(stdout)) return 0;
    fprintf(stderr, SERVER_NAME ": cannot write output: %s\n",
            errno ? strerror(errno) : "write error");
    return 1;
}

static int hash_token_main(const char *name, const char *role)
{
    char token[TOKEN_BYTES_MAX + 3];
    size_t len = fread(token, 1, sizeof(token), stdin);
    char line[TOKEN_NAME_BYTES_MAX + SHA256_HEX_BYTES + 16], why[320];
    if (token_line(name, role, token, len, line, sizeof(line), why, sizeof(why)) != 0) {
        fprintf(stderr, SERVER_NAME ": --hash-token: %s\n", why);
        return 1;
    }
    fputs(line, stdout);
    return stdout_written();
}

/* What a value of d must be, for its refusal. */
static void option_wants(const opt_def *d, char *out, size_t n)
{
    switch (d->kind) {
    case OPT_UINT:
        snprintf(out, n, "an integer from %llu to %llu", (unsigned long long)d->min,
                 (unsigned long long)d->max);
        return;
    case OPT_SIZE:
        snprintf(out, n, "a size from %llu to %llu bytes, in digits with an optional K, M or G",
                 (unsigned long long)d->min, (unsigned long long)d->max);
        return;
    case OPT_SYNC: snprintf(out, n, "always, group or none"); return;
    case OPT_STR: snprintf(out, n, "a value that is not empty"); return;
    case OPT_FLAG: snprintf(out, n, "no value"); return;
    }
}

/* path as its text names it, into out (n bytes): made absolute against the
 * working directory when relative, its "." components and repeated and
 * trailing slashes dropped ("./data/" -> "/srv/data").  A ".." stays as it
 * is: past a symbolic link it leads elsewhere than the text says.  False
 * when the working directory is unknown or the result does not fit. */
static bool lexical_path(const char *path, char *out, size_t n)
{
    size_t used = 0;
    if (path[0] != '/') {
        if (!getcwd(out, n)) return false;
        used = strlen(out);
        if (used == 1) used = 0; /* "/": its components follow */
    }
    if (!path_components(path, out, n, &used)) return false;
    if (used == 0) out[used++] = '/';
    out[used] = '\0';
    return true;
}

/* Whether a and b are two names of one file or directory: both found and
 * the same (a symbolic link and its target too), or, when either cannot be
 * looked up (a data directory a first start makes), the same path once
 * both are read as their text names them (lexical_path): "data", "data/",
 * "./data" and /srv/data run from /srv. */
static bool same_path(const char *a, const char *b)
{
    struct stat x, y;
    if (stat(a, &x) == 0 && stat(b, &y) == 0)
        return x.st_dev == y.st_dev && x.st_ino == y.st_ino;
    char la[PATH_BYTES_MAX], lb[PATH_BYTES_MAX];
    return lexical_path(a, la, sizeof(la)) && lexical_path(b, lb, sizeof(lb)) &&
           strcmp(la, lb) == 0;
}

/* An option of OPT_ONCE given before (its value, NULL: not given) and now
 * with v: -1 (usage error) when the two differ, else 0.  The same value
 * twice is one directory, file or scheme: taken. */
static int given_once(const opt_def *d, const char *was, const char *v)
{
    if (!d->once || !was || strcmp(was, v) == 0) return 0;
    /* two spellings of one file or directory ("data", "data/"): one value */
    if (same_path(was, v)) return 0;
    /* each value at most 200 bytes, cut before a character, never inside one */
    size_t n[2] = { strlen(was), strlen(v) };
    const char *t[2] = { was, v };
    for (int k = 0; k < 2; k++) {
        if (n[k] <= 200) continue;
        n[k] = 197;
        while (n[k] > 0 && ((unsigned char)t[k][n[k]] & 0xC0) == 0x80) n[k]--;
    }
    char what[600];
    snprintf(what, sizeof(what), "%s was given twice, '%.*s%s' and '%.*s%s': give it once (one "
             "is used, not both)", d->name, (int)n[0], was, n[0] < strlen(was) ? "..." : "",
             (int)n[1], v, n[1] < strlen(v) ? "..." : "");
    return usage_error("%s%s", what, "");
}

/* 0: go on; 1: done (exit 0, *status set); -1: usage error (exit 1).
 * An option's value is the next argument, or follows `=` in the same one
 * (--port=8080), as civic-score takes it.  Given twice, an option takes the
 * last value, but one of OPT_ONCE (given_once). */
static int parse_options(int argc, char **argv, options *o, int *status)
{
    defaults(o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *eq = strncmp(a, "--", 2) == 0 ? strchr(a, '=') : NULL;
        char name[32];
        if (eq) {
            size_t len = (size_t)(eq - a);
            if (len >= sizeof(name)) return usage_error("unknown option '%s'%s", a, "");
            memcpy(name, a, len);
            name[len] = '\0';
            a = name;
        }
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0 || strcmp(a, "--version") == 0) {
            if (eq) return usage_error("%s takes no value%s", a, "");
            if (a[1] == 'h' || a[2] == 'h') return usage(stdout), *status = stdout_written(), 1;
            printf(SERVER_NAME " (libcivic %s, libmicrohttpd %s)\n", civic_version(),
                   MHD_get_version());
            return *status = stdout_written(), 1;
        }
        if (strcmp(a, "--hash-token") == 0) {
            if (eq) return usage_error("%s takes NAME and ROLE as two arguments%s", a, "");
            if (i + 2 >= argc) return usage_error("%s needs NAME and ROLE%s", a, "");
            /* what follows was ignored, exit 0: a bad option is exit 1 */
            if (i + 3 < argc)
                return usage_error("%s takes NAME and ROLE only: '%s' is one argument too many",
                                   a, argv[i + 3]);
            return *status = hash_token_main(argv[i + 1], argv[i + 2]), 1;
        }
        const opt_def *d = NULL;
        for (size_t k = 0; k < sizeof(OPTIONS) / sizeof(OPTIONS[0]) && !d; k++)
            if (strcmp(a, OPTIONS[k].name) == 0) d = &OPTIONS[k];
        if (!d) return usage_error("unknown option '%s'%s", argv[i], "");
        if (!o->data_only && (d->offset == offsetof(options, sync_policy) ||
                              d->offset == offsetof(options, compact_seconds) ||
                              d->offset == offsetof(options, recover) ||
                              d->offset == offsetof(options, rescore)))
            o->data_only = d->name;
        if (d->kind == OPT_FLAG) {
            if (eq) return usage_error("%s takes no value%s", d->name, "");
            set_option(o, d, "");
            continue;
        }
        if (!eq && i + 1 >= argc) return usage_error("option %s needs a value%s", a, "");
        const char *v = eq ? eq + 1 : argv[++i];
        const char *was = NULL; /* an OPT_ONCE's defaults are NULL: not given */
        if (d->once) memcpy(&was, (char *)o + d->offset, sizeof(was));
        if (*v && given_once(d, was, v) != 0) return -1;
        if (d->offset == offsetof(options, body_budget_bytes)) o->body_budget_given = true;
        if (!set_option(o, d, v)) {
            char what[160], wants[96];
            option_wants(d, wants, sizeof(wants));
            snprintf(what, sizeof(what), "'%s' (%s)", v, wants);
            return usage_error("bad value for %s: %s", d->name, what);
        }
    }
    /* libcivic 1.0's service had no budget: its command lines with a
     * --max-body above the default budget (--max-body 1G) still start, the
     * budget grown to two such bodies (the size the manual advises) */
    if (!o->body_budget_given && o->body_bytes_max > o->body_budget_bytes)
        o->body_budget_bytes = o->body_bytes_max <= SIZE_MAX / 2 ? 2 * o->body_bytes_max
                                                                 : o->body_bytes_max;
    return 0;
}

/* ------------------------------------------------------------ startup */

static bool is_loopback(const char *addr)
{
    struct in_addr v4;
    struct in6_addr v6;
    if (inet_pton(AF_INET, addr, &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, addr, &v6) == 1) {
        if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
        return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
    }
    return false;
}

/* The whole of a small file (certificate, key, document), NUL-terminated;
 * NULL, reported with the option that named it, when it cannot be read. */
static char *read_small_file(const char *option, const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, SERVER_NAME ": %s %s: %s\n", option, path, strerror(errno));
        return NULL;
    }
    char *p = malloc(FILE_BYTES_MAX + 1);
    errno = 0;
    size_t n = p ? fread(p, 1, FILE_BYTES_MAX + 1, f) : 0;
    int err = p && ferror(f) ? errno : 0; /* a directory: EISDIR */
    bool bad = !p || err || n > FILE_BYTES_MAX;
    fclose(f);
    if (bad) {
        if (err)
            fprintf(stderr, SERVER_NAME ": %s %s: %s\n", option, path, strerror(err));
        else
            fprintf(stderr, SERVER_NAME ": %s %s: unreadable or larger than %u bytes\n", option,
                    path, FILE_BYTES_MAX);
        free(p);
        return NULL;
    }
    p[n] = '\0';
    if (len) *len = n;
    return p;
}

/* Whether a PEM key is encrypted: PKCS #8 ("ENCRYPTED PRIVATE KEY") or the
 * traditional form's "Proc-Type: 4,ENCRYPTED" header. */
static bool encrypted_key(const char *pem)
{
    return pem && (strstr(pem, "-----BEGIN ENCRYPTED PRIVATE KEY-----") ||
                   strstr(pem, "Proc-Type: 4,ENCRYPTED"));
}

/* A certificate out of its dates is served all the same (GnuTLS does not
 * look on the server's side), and clients refuse it: say so at start-up.
 * Dates that cannot be read say nothing (GnuTLS judges the file). */
static void warn_cert_dates(const char *path, const char *pem)
{
    int64_t not_before, not_after, now = (int64_t)time(NULL);
    if (cert_validity(pem, strlen(pem), &not_before, &not_after) != 0) return;
    bool expired = now > not_after;
    if (!expired && now >= not_before) return;
    time_t t = (time_t)(expired ? not_after : not_before);
    struct tm tm;
    char when[40];
    if (!gmtime_r(&t, &tm) || !strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm))
        snprintf(when, sizeof(when), "%lld (Unix time)", (long long)t);
    fprintf(stderr, SERVER_NAME ": warning: --tls-cert %s: the certificate %s %s: clients will "
            "refuse it\n", path, expired ? "expired on" : "is not valid until", when);
}

/* Checks that need no resources: option combinations and the bind rule. */
static int check_options(const options *o)
{
    if (o->data_only && !o->data_dir) { /* the operator believes in a durability not there */
        fprintf(stderr, SERVER_NAME ": %s works on a data directory: give --data DIR with it\n",
                o->data_only);
        return -1;
    }
    if (!o->tls_cert != !o->tls_key) {
        fprintf(stderr, SERVER_NAME ": --tls-cert and --tls-key go together\n");
        return -1;
    }
    if (o->connections_max < o->threads) { /* a query runs on a connection: never that many */
        fprintf(stderr, SERVER_NAME ": --max-connections %u is less than --threads %u: each "
                "query runs on a connection of its own, so no more than %u would ever run at "
                "once; lower --threads\n", o->connections_max, o->threads, o->connections_max);
        return -1;
    }
    if (o->body_bytes_max > o->body_budget_bytes) {
        /* both given (a budget not given grew above): both in bytes, what
         * they must be, as for every other bad value */
        fprintf(stderr, SERVER_NAME ": --max-body (%zu bytes) is larger than --body-budget "
                "(%zu bytes): such a body could never be accepted; give --max-body at most "
                "that, or a larger --body-budget\n", o->body_bytes_max, o->body_budget_bytes);
        return -1;
    }
    struct in6_addr any;
    if (inet_pton(AF_INET, o->bind, &any) != 1 && inet_pton(AF_INET6, o->bind, &any) != 1) {
        /* before the bind rule, whose advice (--tokens) would not help */
        fprintf(stderr, SERVER_NAME ": --bind %s is not an IPv4 or IPv6 address: give one "
                "in digits (127.0.0.1 or ::1 for this machine alone; no name is looked up)\n",
                o->bind);
        return -1;
    }
    if (!o->tokens_path && !o->insecure && !is_loopback(o->bind)) {
        fprintf(stderr, SERVER_NAME ": refusing to listen on %s without --tokens: anyone who "
                "reaches it could read and write every record.  Give --tokens FILE, or "
                "--insecure if a proxy in front authenticates.\n", o->bind);
        return -1;
    }
    return 0;
}

/* Fit --max-connections to the descriptors the process may open (ulimit
 * -n), raising the soft limit towards the hard one first: at too few,
 * libmicrohttpd never accepts a connection and logs that it cannot, in a
 * loop, gigabytes of it.  The server's own need: the journal, snapshots
 * and their directory, compaction's new files, the access log, the
 * listening socket and its stop pipe (accept_main), libmicrohttpd's
 * wake-up channel; 3 for each of
 * --threads are kept as the manual says, from when the threads were a pool
 * of pollers with a wake-up pipe each (a thread per connection polls its
 * socket alone: room to spare).  0, or -1 (reported) when fewer
 * connections than --threads fit. */
static int fit_descriptors(options *o)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return 0;
    rlim_t own = 16 + 3 * (rlim_t)o->threads, want = own + o->connections_max;
    if (rl.rlim_cur < want && (rl.rlim_max == RLIM_INFINITY || rl.rlim_max > rl.rlim_cur)) {
        struct rlimit raised = rl;
        raised.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &raised) == 0) rl = raised;
    }
    if (rl.rlim_cur >= want) return 0;
    if (rl.rlim_cur < own + o->threads) { /* a connection per thread at least: see check_options */
        fprintf(stderr, SERVER_NAME ": ulimit -n is %llu: with --threads %u the server needs "
                "%llu descriptors of its own and one per connection, at least one connection "
                "per thread; raise the limit or lower --threads\n",
                (unsigned long long)rl.rlim_cur, o->threads, (unsigned long long)own);
        return -1;
    }
    o->connections_max = (unsigned)(rl.rlim_cur - own);
    fprintf(stderr, SERVER_NAME ": ulimit -n is %llu: --max-connections lowered to %u\n",
            (unsigned long long)rl.rlim_cur, o->connections_max);
    return 0;
}

/* The --access-log file, appended to (one write per line: lines never
 * interleave), at start and at each SIGHUP. */
static int open_access_log(const server *s)
{
    return open(s->opt.access_log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
}

/* Tokens, access log, OpenAPI document.  The exit status (reported): 0,
 * 1 for an access log or a document that cannot be opened, or a document
 * that is not JSON (a bad option),
 * 2 for a tokens file that cannot be read or holds a bad line. */
static int open_resources(server *s)
{
    char why[600]; /* a path, a line, its reason */
    s->access_fd = -1;
    s->data_fd = -1;
    if (s->opt.tokens_path) {
        if (tokens_load(&s->tokens, s->opt.tokens_path, why, sizeof(why)) != 0) {
            fprintf(stderr, SERVER_NAME ": --tokens %s\n", why);
            return 2;
        }
        s->auth = true;
        /* the hashes are no secret, but whoever may write the file may add
         * an admin, and a leak helps a guess: warn, as ssh does for a key */
        if (s->tokens.mode & 077)
            fprintf(stderr, SERVER_NAME ": warning: --tokens %s has mode %04o: others than its "
                    "owner may read%s it (chmod 600 %s)\n", s->opt.tokens_path, s->tokens.mode,
                    s->tokens.mode & 022 ? " or change" : "", s->opt.tokens_path);
    }
    if (s->opt.access_log) {
        s->access_fd = open_access_log(s);
        if (s->access_fd < 0) {
            fprintf(stderr, SERVER_NAME ": --access-log %s: %s\n", s->opt.access_log,
                    strerror(errno));
            return 1;
        }
    }
    if (s->opt.openapi_path &&
        !(s->openapi = read_small_file("--openapi", s->opt.openapi_path, &s->openapi_len)))
        return 1;
    size_t at = 0; /* served as application/json: JSON it must be */
    if (s->openapi && !json_valid(s->openapi, s->openapi_len, &at)) {
        bool bom = s->openapi_len >= 3 && memcmp(s->openapi, "\xEF\xBB\xBF", 3) == 0;
        /* counted from 1, as the target's bytes are (at: the offset) */
        char where[64];
        if (!s->openapi_len) snprintf(where, sizeof(where), "an empty file");
        else if (at >= s->openapi_len) snprintf(where, sizeof(where), "it ends before it is whole");
        else snprintf(where, sizeof(where), "at byte %zu", at + 1);
        fprintf(stderr, SERVER_NAME ": --openapi %s: not JSON (%s%s)\n",
                s->opt.openapi_path, where, bom ? ": a byte-order mark, which JSON sent over "
                "HTTP may not start with; remove it" : "");
        return 1;
    }
    return 0;
}

static void warn_scheme_hint(void *path, int kind, const char *text)
{
    (void)kind;
    fprintf(stderr, SERVER_NAME ": warning: %s: %s\n", (const char *)path, text);
}

static int open_engine(server *s)
{
    civic_error err = CIVIC_ERROR_INIT;
    int rc = s->opt.rules_path ? civic_rules_load_file(&s->rules, s->opt.rules_path, NULL, &err)
                               : civic_rules_default(&s->rules, NULL);
    if (rc != CIVIC_OK) {
        report_error(s->opt.rules_path ? s->opt.rules_path : "built-in rules", rc, &err,
                     s->opt.rules_path != NULL);
        return -1;
    }
    /* What in the rules most likely does not do what was meant, as
     * civic-score warns (examples/common/hints.h; the API gives no line). */
    hints_scheme(s->rules, warn_scheme_hint, (void *)(s->opt.rules_path ? s->opt.rules_path
                                                                          : "rules"));
    if ((rc = civic_engine_new(&s->engine, s->rules, NULL)) != CIVIC_OK) {
        report_error("engine", rc, NULL, false);
        return -1;
    }
    return s->opt.data_dir ? open_data(s) : 0;
}

static bool fill_address(const char *bind, unsigned port, struct sockaddr_storage *ss,
                         unsigned *flags)
{
    memset(ss, 0, sizeof(*ss));
    struct sockaddr_in *v4 = (struct sockaddr_in *)(void *)ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)(void *)ss;
    if (inet_pton(AF_INET, bind, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        return true;
    }
    if (inet_pton(AF_INET6, bind, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        *flags |= MHD_USE_IPv6;
        return true;
    }
    fprintf(stderr, SERVER_NAME ": --bind %s is not an IPv4 or IPv6 address\n", bind);
    return false;
}

/* ------------------------------------------------------------ libmicrohttpd's messages */

#define MHD_LOG_EVERY_US (60 * 1000000LL)

static void mhd_log_init(mhd_log *l)
{
    pthread_mutex_init(&l->mutex, NULL);
    l->starting = false;
    l->kept[0] = '\0';
    l->said_us = 0;
    l->unsaid = 0;
    atomic_init(&l->cut, 0);
}

/* libmicrohttpd's words when the service returns MHD_NO (connection.c,
 * 0.9.x), its period dropped as mhd_logger drops it */
#define MHD_APP_ERROR "Application reported internal error, closing connection"

/* MHD_OPTION_EXTERNAL_LOGGER: one line, its line ends and other control
 * characters (a client's bytes may be quoted) made blanks. */
static void mhd_logger(void *cls, const char *fm, va_list ap)
{
    mhd_log *l = cls;
    char m[sizeof(l->kept)];
    int n = vsnprintf(m, sizeof(m), fm, ap);
    if (n < 0) return;
    size_t len = strlen(m);
    while (len > 0 && (m[len - 1] == '\n' || m[len - 1] == '\r' || m[len - 1] == ' '))
        m[--len] = '\0';
    if (len > 0 && m[len - 1] == '.') m[--len] = '\0';
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)m[i] < 0x20 || m[i] == 0x7f) m[i] = ' ';
    pthread_mutex_lock(&l->mutex);
    if (l->starting) {
        if (!l->kept[0]) memcpy(l->kept, m, len + 1);
    } else if (strcmp(m, MHD_APP_ERROR) == 0 && atomic_load(&l->cut) > 0) {
        /* a query the stop cut at the drain deadline (dispatch), counted
         * in its lines already: the connection's thread says this right
         * after the cut (counted first); taken from under the mutex only */
        atomic_fetch_sub(&l->cut, 1);
    } else {
        int64_t now = now_us();
        if (l->said_us && now - l->said_us < MHD_LOG_EVERY_US) {
            l->unsaid++;
        } else {
            if (l->unsaid)
                fprintf(stderr, SERVER_NAME ": libmicrohttpd: %s (%" PRIu64 " more message%s of "
                        "libmicrohttpd before it not shown: at most one a minute is)\n", m,
                        l->unsaid, l->unsaid == 1 ? "" : "s");
            else
                fprintf(stderr, SERVER_NAME ": libmicrohttpd: %s\n", m);
            l->said_us = now;
            l->unsaid = 0;
        }
    }
    pthread_mutex_unlock(&l->mutex);
}

/* At the stop: how many were not said since the last one. */
static void mhd_log_flush(mhd_log *l)
{
    pthread_mutex_lock(&l->mutex);
    if (l->unsaid)
        fprintf(stderr, SERVER_NAME ": %" PRIu64 " more message%s of libmicrohttpd since the last "
                "one shown, not shown (at most one a minute is)\n", l->unsaid,
                l->unsaid == 1 ? "" : "s");
    l->unsaid = 0;
    pthread_mutex_unlock(&l->mutex);
}

/* ------------------------------------------------------------ accepting */

/* libmicrohttpd 0.9.75, in the mode start_daemon asks for (poll, a thread
 * per connection), polls its listening socket whatever its count of
 * connections (MHD_poll_listen_socket; its select and epoll loops leave
 * the socket out at the limit), so it accepted the client past its limit
 * and closed it at once: a reset, and "Server reached connection limit"
 * on standard error, where the manual says such a client waits in the
 * kernel's queue.  So the daemon has no listening socket
 * (MHD_USE_NO_LISTEN_SOCKET): this thread accepts on one of its own,
 * while fewer than --max-connections are open (guard_wait_room), and hands
 * each connection to libmicrohttpd (MHD_add_connection, which asks
 * guard_accept, --max-per-ip, and starts the connection's thread, where
 * TLS's handshake is made).  At the limit it does not look at the socket
 * until a connection closes: a new client waits in the kernel's queue.
 * The stop (stop_accepting) ends it where MHD_stop_daemon closed
 * libmicrohttpd's socket; until then a connection made during the drain is
 * accepted and closed unanswered (guard_accept), as before. */

/* A failed accept (or poll) that a wait may mend: no descriptor left (ulimit
 * -n, the system's), no memory.  Said at most once a minute, as
 * libmicrohttpd's messages, the others counted (it said "Hit process or
 * system resource limit"). */
static void accept_failed(acceptor *a, int err)
{
    int64_t now = now_us();
    if (a->said_us && now - a->said_us < MHD_LOG_EVERY_US) {
        a->unsaid++;
        return;
    }
    char more[96] = "";
    if (a->unsaid)
        snprintf(more, sizeof(more), " (%" PRIu64 " more before it not shown: at most one a "
                 "minute is)", a->unsaid);
    bool limit = err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM;
    fprintf(stderr, SERVER_NAME ": cannot accept a connection: %s (%sat %" PRIu64 " connections "
            "open; trying again in 0.1 s)%s\n", strerror(err),
            limit ? "a process or system resource limit, " : "",
            (uint64_t)atomic_load(&a->guard->connections_open), more);
    a->said_us = now;
    a->unsaid = 0;
}

/* An accept that failed for the connection alone (its client gone, a
 * network error pending on it: Linux's accept(2) says to retry), or for
 * nothing (a signal, none queued after all). */
static bool accept_again(int err)
{
    switch (err) {
    case EAGAIN:
#if EWOULDBLOCK != EAGAIN
    case EWOULDBLOCK:
#endif
    case EINTR: case ECONNABORTED: case EPROTO: case ENETDOWN: case ENOPROTOOPT:
    case EHOSTDOWN: case EHOSTUNREACH: case EOPNOTSUPP: case ENETUNREACH:
#ifdef ENONET
    case ENONET:
#endif
        return true;
    default:
        return false;
    }
}

static void *accept_main(void *arg)
{
    acceptor *a = arg;
    while (guard_wait_room(a->guard, a->max)) {
        struct pollfd p[2] = { { a->fd, POLLIN, 0 }, { a->stop[0], POLLIN, 0 } };
        int fd = -1, err = 0;
        struct sockaddr_storage from;
        socklen_t len = sizeof(from);
        if (poll(p, 2, -1) < 0) {
            err = errno;
        } else if (p[1].revents) {
            break;
        } else if (p[0].revents) {
            fd = accept4(a->fd, (struct sockaddr *)&from, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd < 0) err = errno;
        }
        if (fd < 0) {
            if (!err || accept_again(err)) continue;
            accept_failed(a, err); /* EMFILE, ENFILE, ENOBUFS, ENOMEM: wait, then again */
            struct pollfd stop = { a->stop[0], POLLIN, 0 };
            if (poll(&stop, 1, 100) > 0) break;
            continue;
        }
        guard_handing(a->guard); /* the next accept waits until it has started */
        if (MHD_add_connection(a->daemon, fd, (const struct sockaddr *)&from, len) != MHD_YES)
            guard_hand_failed(a->guard); /* refused (guard_accept) and closed */
    }
    return NULL;
}

/* The listening socket, made as libmicrohttpd made its own: SO_REUSEADDR;
 * on an IPv6 address IPv6 only (libmicrohttpd without dual stack);
 * nonblocking; a backlog of SOMAXCONN.  The socket, or -1 with errno set
 * and *bind_err the errno of bind or listen (the address's fault) or 0
 * (a socket that cannot be made: no descriptor, no memory). */
static int open_listener(const server *s, int *bind_err)
{
    struct sockaddr_storage ss;
    unsigned flags = 0;
    *bind_err = 0;
    if (!fill_address(s->opt.bind, s->opt.port, &ss, &flags)) { /* checked before: said */
        errno = EINVAL;
        return -1;
    }
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return -1;
    int one = 1;
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (ss.ss_family == AF_INET6)
        (void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    socklen_t len = ss.ss_family == AF_INET6 ? (socklen_t)sizeof(struct sockaddr_in6)
                                             : (socklen_t)sizeof(struct sockaddr_in);
    if (bind(fd, (const struct sockaddr *)&ss, len) != 0 || listen(fd, SOMAXCONN) != 0) {
        int err = errno;
        *bind_err = err;
        close(fd);
        errno = err;
        return -1;
    }
    return fd;
}

/* The port the listening socket has (--port 0: the one the kernel chose). */
static unsigned listener_port(const acceptor *a, unsigned given)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    if (getsockname(a->fd, (struct sockaddr *)&ss, &len) != 0) return given;
    if (ss.ss_family == AF_INET) return ntohs(((const struct sockaddr_in *)(void *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6)
        return ntohs(((const struct sockaddr_in6 *)(void *)&ss)->sin6_port);
    return given;
}

/* The accepting thread on the listening socket a->fd: 0, or errno (the
 * stop pipe) or pthread_create's error; a->fd is then still open. */
static int start_accepting(acceptor *a, struct MHD_Daemon *d, guard *g, unsigned max)
{
    a->daemon = d;
    a->guard = g;
    a->max = max;
    a->said_us = 0;
    a->unsaid = 0;
    if (pipe2(a->stop, O_CLOEXEC) != 0) {
        a->stop[0] = a->stop[1] = -1;
        return errno;
    }
    int rc = pthread_create(&a->thread, NULL, accept_main, a);
    if (rc != 0) {
        close(a->stop[0]);
        close(a->stop[1]);
        a->stop[0] = a->stop[1] = -1;
        return rc;
    }
    a->running = true;
    return 0;
}

/* The thread stopped, and the listening socket closed: a client in the
 * kernel's queue is reset, and one arriving is refused. */
static void stop_accepting(acceptor *a)
{
    if (a->running) {
        guard_stop_accepting(a->guard);
        ssize_t w;
        do w = write(a->stop[1], "s", 1); while (w < 0 && errno == EINTR);
        pthread_join(a->thread, NULL);
        a->running = false;
        if (a->unsaid)
            fprintf(stderr, SERVER_NAME ": %" PRIu64 " more failed accept%s since the last one "
                    "shown, not shown (at most one a minute is)\n", a->unsaid,
                    a->unsaid == 1 ? "" : "s");
    }
    for (int i = 0; i < 2; i++)
        if (a->stop[i] >= 0) close(a->stop[i]);
    a->stop[0] = a->stop[1] = -1;
    if (a->fd >= 0) close(a->fd);
    a->fd = -1;
}

/* libmicrohttpd's own connection limit is this much above --max-connections
 * (which the accepting thread keeps): its count falls only once it has
 * cleaned up a closed connection's thread, after telling the guard, and it
 * must never refuse the one handed to it next (a reset, as before
 * accept_main). */
#define MHD_LIMIT_SLACK 64u

/* The daemon, accepting on its listening socket (accept_main); NULL with
 * errno set, and *bind_err the errno of bind or listen when the address is
 * what failed (else 0). */
static struct MHD_Daemon *start_daemon(server *s, const char *cert, const char *key,
                                       int *bind_err)
{
    struct sockaddr_storage ss;
    /* poll(2), not MHD_USE_AUTO's epoll: libmicrohttpd 0.9.75 registers
     * its connections edge-triggered and, after a read shorter than its
     * buffer, reads again only on the next edge.  A client that sends part
     * of a request and closes has its bytes and its FIN in one edge: the
     * close was never read, and the connection held its slot (--max-per-ip,
     * --max-connections) and its body's budget until --request-timeout or
     * --timeout, for ever with both 0.  poll is level-triggered: the close
     * is read on the next turn.
     * A thread per connection (its own poll on its own socket), not a pool:
     * a pool's thread serves the connections it accepted, and a request on
     * one of them waited for the slow page another was making (seconds),
     * while another thread was idle, its --request-timeout running.
     * --threads bounds the queries instead (query_gate).  The threads' stack
     * is the system's default: no page nor record has been measured against
     * a smaller one.  libmicrohttpd 0.9.75 gives a connection's poll its
     * timeout in whole seconds (thread_main_handle_connection), so in the
     * last second before its idle timeout closes a connection its thread
     * polls without waiting: up to a second of CPU for each one closed so.
     * The guard's reaper closes a connection waiting for a request at
     * --timeout instead, and libmicrohttpd's own timeout is set past it
     * (idle_timeout), a fallback never reached. */
    unsigned flags = MHD_USE_POLL | MHD_USE_INTERNAL_POLLING_THREAD |
                     MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG |
                     MHD_USE_ITC | /* a wake-up channel: MHD_add_connection, MHD_stop_daemon */
                     MHD_USE_NO_LISTEN_SOCKET; /* accept_main accepts */
    acceptor *a = &s->acceptor;
    a->fd = a->stop[0] = a->stop[1] = -1;
    a->running = false;
    *bind_err = 0;
    if (!fill_address(s->opt.bind, s->opt.port, &ss, &flags)) return NULL;
    if ((a->fd = open_listener(s, bind_err)) < 0) return NULL;
    if (cert) flags |= MHD_USE_TLS;
    struct MHD_OptionItem tls[] = {
        { cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, (void *)(uintptr_t)cert },
        { MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)(uintptr_t)key },
        { MHD_OPTION_END, 0, NULL },
    };
    pthread_mutex_lock(&s->mhd_log.mutex);
    s->mhd_log.starting = true;
    pthread_mutex_unlock(&s->mhd_log.mutex);
    /* the logger first: the options after it are reported through it */
    struct MHD_Daemon *d =
        MHD_start_daemon(flags, (uint16_t)s->opt.port, guard_accept, &s->guard, handle, s,
                            MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, &s->mhd_log,
                            MHD_OPTION_CONNECTION_LIMIT,
                            (unsigned)s->opt.connections_max + MHD_LIMIT_SLACK,
                            MHD_OPTION_CONNECTION_TIMEOUT, idle_timeout(s, false),
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY,
                            MHD_OPTION_URI_LOG_CALLBACK, uri_logger, s,
                            MHD_OPTION_NOTIFY_COMPLETED, completed, s,
                            MHD_OPTION_NOTIFY_CONNECTION, guard_notify, &s->guard,
                            MHD_OPTION_ARRAY, tls,
                            MHD_OPTION_END);
    int err = errno;
    pthread_mutex_lock(&s->mhd_log.mutex);
    s->mhd_log.starting = false;
    if (d && s->mhd_log.kept[0]) /* said by no line of civic-server's */
        fprintf(stderr, SERVER_NAME ": libmicrohttpd: %s\n", s->mhd_log.kept);
    pthread_mutex_unlock(&s->mhd_log.mutex);
    if (d && (err = start_accepting(a, d, &s->guard, s->opt.connections_max)) != 0) {
        MHD_stop_daemon(d);
        d = NULL;
    }
    if (!d) stop_accepting(a); /* the listening socket closed */
    errno = err;
    return d;
}

/* Whether the address can be bound, by a probe socket bound to it and
 * closed (libmicrohttpd sets SO_REUSEADDR, and so does the probe): 0, or
 * the errno of bind; *err gets the errno of a socket that cannot be made
 * (no descriptor, no memory: not the address). */
static int bind_probe(const server *s, int *err)
{
    struct sockaddr_storage ss;
    unsigned flags = 0;
    int bind_err = 0;
    if (fill_address(s->opt.bind, s->opt.port, &ss, &flags)) {
        int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            *err = errno;
        } else {
            int one = 1;
            (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
            if (ss.ss_family == AF_INET6) /* as libmicrohttpd without dual stack */
                (void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
            socklen_t len = ss.ss_family == AF_INET6 ? (socklen_t)sizeof(struct sockaddr_in6)
                                                     : (socklen_t)sizeof(struct sockaddr_in);
            if (bind(fd, (const struct sockaddr *)&ss, len) != 0) bind_err = errno;
            close(fd);
        }
    }
    return bind_err;
}

/* The address cannot be bound (bind_err): said, exit status 1. */
static int cannot_listen(const server *s, int bind_err)
{
    struct sockaddr_storage ss;
    unsigned flags = 0;
    /* ::ffff:a.b.c.d under IPV6_V6ONLY: EINVAL, which says nothing */
    char v4[INET_ADDRSTRLEN] = "";
    if (fill_address(s->opt.bind, s->opt.port, &ss, &flags)) {
        const struct in6_addr *a6 = &((const struct sockaddr_in6 *)&ss)->sin6_addr;
        if (ss.ss_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(a6))
            (void)inet_ntop(AF_INET, a6->s6_addr + 12, v4, sizeof(v4));
    }
    fprintf(stderr, SERVER_NAME ": cannot listen on %s port %u: %s%s%s%s\n", s->opt.bind,
            s->opt.port, strerror(bind_err),
            v4[0] ? " (an IPv4-mapped IPv6 address: give the IPv4 address itself, --bind "
                  : "", v4, v4[0] ? ")" : "");
    return 1;
}

/* MHD_start_daemon failed (err: errno just after): the address is blamed
 * only when it cannot be bound, which bind_probe tells.  Otherwise it is
 * memory or threads (exit 2, as out of memory anywhere in the start-up),
 * or what libmicrohttpd printed above it: a certificate or key GnuTLS
 * cannot read (exit 1, a bad option).  Returns the exit status. */
static int daemon_failed(const server *s, int err)
{
    int bind_err = bind_probe(s, &err);
    if (bind_err) return cannot_listen(s, bind_err);
    if (err == ENOMEM || err == EAGAIN || err == ENOBUFS || err == EMFILE || err == ENFILE) {
        fprintf(stderr, SERVER_NAME ": cannot start the HTTP service on %s port %u: %s\n",
                s->opt.bind, s->opt.port,
                err == ENOMEM  ? "out of memory"
                : err == EAGAIN ? "a thread cannot be started (a limit on threads, or out of memory)"
                                : strerror(err));
        return 2;
    }
    /* libmicrohttpd's reason, kept from its start (a line of its own came
     * first, without the prefix, and this one pointed "above") */
    const char *why = s->mhd_log.kept[0] ? s->mhd_log.kept : "libmicrohttpd gave no reason";
    fprintf(stderr, SERVER_NAME ": cannot start the HTTP service on %s port %u: %s%s\n",
            s->opt.bind, s->opt.port, why,
            s->opt.tls_cert && !strstr(why, "do not match")
                ? " (with --tls-cert, most often a certificate or key it cannot read)" : "");
    return 1;
}

static void stop_compactor(server *s, bool running)
{
    pthread_mutex_lock(&s->stop_mutex);
    s->stopping = true;
    pthread_cond_broadcast(&s->stop_cond);
    pthread_mutex_unlock(&s->stop_mutex);
    if (running) pthread_join(s->compactor, NULL);
}

/* SIGHUP: the access log is opened again by its name, for a log rotation
 * (logrotate renames the file, then signals).  The new descriptor takes
 * the old one's number (dup2, atomic): a line being written goes whole to
 * the old file or the new one.  Nothing else changes: a hang-up of the
 * terminal the server was started from does not stop it. */
static void reopen_access_log(server *s)
{
    if (s->access_fd < 0) {
        fprintf(stderr, SERVER_NAME ": SIGHUP: no --access-log to reopen\n");
        return;
    }
    int fd = open_access_log(s);
    struct stat was, now;
    /* a line cut short (a full disk) is ended by the next line's leading
     * line feed in the file that holds it: a new file (renamed away, then
     * signalled) has none to end, and would begin with an empty line */
    bool other = fd >= 0 && fstat(s->access_fd, &was) == 0 && fstat(fd, &now) == 0 &&
                 (was.st_dev != now.st_dev || was.st_ino != now.st_ino);
    /* cleared before the new file takes the lines, as a writer exchanges it
     * before its write: a line feed taken after it lands in the old file */
    if (other) atomic_store(&s->access_cut, false); /* the old file keeps its cut line */
    if (fd < 0 || dup2(fd, s->access_fd) < 0) {
        /* the old file goes on receiving the lines */
        fprintf(stderr, SERVER_NAME ": SIGHUP: cannot reopen --access-log %s: %s (still "
                "writing to the file it had open)\n", s->opt.access_log, strerror(errno));
        if (fd >= 0) close(fd);
        return;
    }
    close(fd);
    (void)fcntl(s->access_fd, F_SETFD, FD_CLOEXEC); /* dup2 clears it; nothing is exec'd */
    fprintf(stderr, SERVER_NAME ": SIGHUP: reopened --access-log %s\n", s->opt.access_log);
}

/* The guard's cut_notice: begun requests the reaper cuts during the drain. */
static void drain_cut_said(void *ctx, size_t requests, unsigned request_seconds)
{
    (void)ctx;
    fprintf(stderr, SERVER_NAME ": %zu request%s cut at the drain deadline: not arrived whole "
            "within --request-timeout %u s\n", requests, requests == 1 ? "" : "s",
            request_seconds);
}

/* Appends ", N WHAT" to the line at *used of `line` (n bytes) when n_of
 * is not 0; one and many: the words for 1 and for more. */
static void drain_count(char *line, size_t n, size_t *used, uint64_t n_of, const char *one,
                        const char *many)
{
    if (!n_of || *used >= n) return;
    int w = snprintf(line + *used, n - *used, ", %" PRIu64 " %s", n_of, n_of == 1 ? one : many);
    if (w > 0) *used += (size_t)w;
}

/* After SIGINT or SIGTERM (the guard draining, `begun` requests begun and
 * not yet answered then): wait for the requests that began, at most
 * --request-timeout + 1 s (31 s with 0), saying how many at the signal and
 * how it ended: the reaper says the ones it cuts (drain_cut_said), this the
 * ones still unanswered at the end, which MHD_stop_daemon cuts next.  The
 * others end answered, or unanswered by libmicrohttpd's idle timeout
 * (--timeout), their client giving up, or an error, each counted
 * (guard_request_ended): the `begun` said at the signal, every one of them
 * (the idle timeout ended one in silence: "0 requests answered").  A
 * request begun after the signal (late: answered 503, nothing of it run,
 * or cut) is counted apart as refused.  A few lines, as the manual's stop
 * section says. */
static void drain(server *s, int sig, size_t begun)
{
    unsigned wait_s = (s->opt.request_seconds ? s->opt.request_seconds : 30) + 1;
    if (begun)
        fprintf(stderr, SERVER_NAME ": signal %d, shutting down: finishing %zu request%s "
                "(at most %u s)\n", sig, begun, begun == 1 ? "" : "s", wait_s);
    else
        fprintf(stderr, SERVER_NAME ": signal %d, shutting down: no request to finish\n", sig);
    int64_t t0 = now_us(), until = t0 + (int64_t)wait_s * 1000000;
    size_t left, late;
    /* A SIGINT or SIGTERM during the wait (an operator's second Ctrl-C, a
     * supervisor's second TERM) stayed blocked, in silence: said once for
     * each of the two, with what goes on and how to stop at once. */
    sigset_t stops;
    sigemptyset(&stops);
    sigaddset(&stops, SIGINT);
    sigaddset(&stops, SIGTERM);
    bool told_int = false, told_term = false;
    while ((left = guard_requests_begun(&s->guard, &late)) > 0 && now_us() < until) {
        struct timespec nap = { 0, 20 * 1000000L };
        int again = sigtimedwait(&stops, NULL, &nap);
        bool *told = again == SIGINT ? &told_int : again == SIGTERM ? &told_term : NULL;
        if (!told || *told) continue;
        *told = true;
        int64_t rest = until - now_us();
        unsigned more = rest > 0 ? (unsigned)((rest + 999999) / 1000000) : 0;
        fprintf(stderr, SERVER_NAME ": signal %d during the stop: it goes on, finishing the "
                "requests begun (at most %u s more)%s; SIGKILL stops at once and loses %s\n",
                again, more, s->opt.data_dir ? ", then writing the snapshot" : "",
                s->opt.data_dir ? "no acknowledged batch (the journal holds each one, and the "
                                  "next start replays it)"
                                : "nothing a clean stop keeps (without --data nothing is kept)");
    }
    left -= late;
    if (left)
        fprintf(stderr, SERVER_NAME ": %zu request%s cut at the drain deadline: not answered "
                "within %u s of the signal\n", left, left == 1 ? "" : "s", wait_s);
    const guard *g = &s->guard;
    uint64_t answered = atomic_load(&g->drain_answered);
    uint64_t cut = atomic_load(&g->drain_cuts) + left;
    uint64_t idle = atomic_load(&g->drain_idle), gone = atomic_load(&g->drain_gone);
    uint64_t failed = atomic_load(&g->drain_failed);
    uint64_t refused = atomic_load(&g->drain_refused) + late;
    if (begun || answered || cut || idle || gone || failed || refused) {
        char line[320], idled[64];
        size_t used = 0;
        int w = snprintf(line, sizeof(line), "drained in %.1f s: %" PRIu64 " request%s answered",
                         (double)(now_us() - t0) / 1e6, answered, answered == 1 ? "" : "s");
        if (w > 0) used = (size_t)w;
        snprintf(idled, sizeof(idled), "closed by the idle timeout (--timeout %u s)",
                 s->opt.timeout_seconds);
        drain_count(line, sizeof(line), &used, cut, "cut", "cut");
        drain_count(line, sizeof(line), &used, idle, idled, idled);
        drain_count(line, sizeof(line), &used, gone, "given up by its client",
                    "given up by their clients");
        drain_count(line, sizeof(line), &used, failed, "ended in an error", "ended in an error");
        drain_count(line, sizeof(line), &used, refused, "refused (begun after the signal)",
                    "refused (begun after the signal)");
        fprintf(stderr, SERVER_NAME ": %s\n", line);
    }
}

/* The stop's last snapshot, said, then "stopped"; the exit status: 3 when
 * the snapshot could not be written (a full disk), for a supervisor to
 * see: nothing is lost, the journal holds every acknowledged batch. */
static int last_snapshot(server *s)
{
    int status = 0;
    uint64_t held = civic_engine_event_count(s->engine);
    if (!s->opt.data_dir) {
        fprintf(stderr, SERVER_NAME ": no snapshot: no --data (the %" PRIu64 " event%s held "
                "in memory %s not kept)\n", held, held == 1 ? "" : "s", held == 1 ? "is" : "are");
    } else if (compact_now(s, NULL, NULL, true) != CIVIC_OK) { /* it said why */
        /* whether journal.civic still holds every batch: it is there, and
         * the library finds its name leading to it (a journal that lost
         * its name and has it back holds them all: "leads to it again") */
        struct stat st;
        civic_error err = CIVIC_ERROR_INIT;
        bool gone = stat(s->journal_path, &st) != 0; /* removed, or its directory moved */
        bool lost = civic_engine_journal_sync(s->engine, &err) == CIVIC_E_IO &&
                    strstr(err.message, " while open") && !strstr(err.message, "to it again");
        if (gone || lost)
            fprintf(stderr, SERVER_NAME ": no snapshot written, and %s %s while the service "
                    "ran: the batches since the last compaction are not there; put the journal "
                    "moved away back there before the next start, if it was moved, or they are "
                    "lost\n", s->journal_path, gone ? "is gone" : "lost its name");
        else
            fprintf(stderr, SERVER_NAME ": no snapshot written: nothing is lost, the journal "
                    "holds every acknowledged batch and the next start replays it\n");
        status = 3;
    } else {
        fprintf(stderr, SERVER_NAME ": snapshot written: %" PRIu64 " event%s\n", held,
                held == 1 ? "" : "s");
    }
    refused_flush(&s->compact_log, &COMPACT_WORDS); /* after the last one */
    fprintf(stderr, SERVER_NAME ": stopped%s\n", status ? " (exit status 3)" : "");
    return status;
}

/* Listen until SIGINT or SIGTERM (SIGHUP reopens the access log); then
 * stop, compact, and free. */
static int serve(server *s, const char *cert, const char *key)
{
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL); /* before any thread starts */
    signal(SIGPIPE, SIG_IGN);
    /* The threads the server needs, before it listens: one that cannot be
     * started (a limit on threads, no memory for its stack) stops the
     * start-up, as the --sync group thread does in the library.  Without
     * the compaction thread the journal would grow until the disk is full,
     * without the reaper a slow client would hold a connection for ever. */
    bool compacting = false;
    if (s->opt.data_dir) {
        int rc = pthread_create(&s->compactor, NULL, compactor_main, s);
        if (rc != 0) {
            fprintf(stderr, SERVER_NAME ": cannot start the compaction thread: %s\n", strerror(rc));
            return 2;
        }
        compacting = true;
    }
    /* one address's share of the body budget: half of it, or one --max-body
     * body when that is more (else such a body could never be taken) */
    size_t share = s->opt.body_budget_bytes / 2 > s->opt.body_bytes_max
                       ? s->opt.body_budget_bytes / 2 : s->opt.body_bytes_max;
    if (guard_init(&s->guard, s->opt.request_seconds, s->opt.timeout_seconds,
                   s->opt.body_budget_bytes, share,
                   s->opt.answer_budget_bytes, s->opt.per_ip_max) != 0) {
        stop_compactor(s, compacting);
        return 1;
    }
    guard_set_cut_notice(&s->guard, drain_cut_said, s);
    int reaper = guard_start(&s->guard);
    if (reaper != 0) {
        fprintf(stderr, SERVER_NAME ": cannot start the request deadline thread "
                "(--request-timeout, --timeout): %s\n", strerror(reaper));
        guard_destroy(&s->guard);
        stop_compactor(s, compacting);
        return 2;
    }
    errno = 0;
    int bind_err = 0;
    struct MHD_Daemon *d = start_daemon(s, cert, key, &bind_err);
    if (!d) {
        int status = bind_err ? cannot_listen(s, bind_err) : daemon_failed(s, errno);
        guard_destroy(&s->guard);
        stop_compactor(s, compacting);
        return status;
    }
    printf(SERVER_NAME " listening on %s port %u (%" PRIu64 " events%s%s%s)\n", s->opt.bind,
           listener_port(&s->acceptor, s->opt.port), civic_engine_event_count(s->engine),
           !s->opt.data_dir ? "" : s->opt.sync_policy == CIVIC_SYNC_NONE
                                 ? ", kept on disk, --sync none: not durable across a power loss"
                                 : ", durable", cert ? ", https" : "",
           s->auth ? ", tokens" : ", no tokens");
    fflush(stdout);
    int sig = 0;
    while (sigwait(&sigs, &sig) == 0 && sig == SIGHUP) reopen_access_log(s);
    /* Take no new connection, then let the requests that began be answered:
     * each arrives whole within --request-timeout or the guard cuts it.  Not
     * MHD_quiesce_daemon: with epoll (which start_daemon no longer
     * asks for) and a thread pool it races each worker's
     * own removal of the listening socket from its epoll set, and the loser's
     * EPOLL_CTL_DEL (ENOENT) is an MHD_PANIC -- abort() before the compaction
     * below ("Failed to remove listen FD from epoll set", libmicrohttpd 0.9.75). */
    size_t begun = guard_drain(&s->guard);
    drain(s, sig, begun);
    gate_close(&s->gate); /* the queries still waiting were said cut: none runs */
    stop_accepting(&s->acceptor); /* where MHD_stop_daemon closed its own listening socket */
    MHD_stop_daemon(d);
    mhd_log_flush(&s->mhd_log);
    refused_flush(&s->refused_log, &WRITE_WORDS);
    refused_flush(&s->dates_log, &DATE_WORDS);
    guard_destroy(&s->guard);
    stop_compactor(s, compacting);
    return last_snapshot(s);
}

int main(int argc, char **argv)
{
    static server s; /* large (paths, counters): not on the stack */
    int status = 1;
    int parsed = parse_options(argc, argv, &s.opt, &status);
    if (parsed != 0) return parsed > 0 ? status : 1;
    if (check_options(&s.opt) != 0 || fit_descriptors(&s.opt) != 0) return 1;
    /* a closed stdin, stdout or stderr is held on /dev/null: nothing opened
     * later takes its place and receives what the server prints */
    for (int fd = 0; fd <= 2; fd++)
        if (fcntl(fd, F_GETFD) == -1 && errno == EBADF) (void)open("/dev/null", O_RDWR);
    signal(SIGXFSZ, SIG_IGN); /* past ulimit -f a write fails (EFBIG) and is answered */
    /* SIGHUP from the start: one that comes while the data directory is
     * read (seconds, for a big one) waits, and serve() takes it as a reopen
     * of the access log, instead of ending the process unexplained */
    sigset_t hup;
    sigemptyset(&hup);
    sigaddset(&hup, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &hup, NULL);
    s.start_unix = unix_now();
    s.access_fd = s.data_fd = -1; /* none yet (s is all zeros: fd 0) */
    metrics_init(&s.metrics);
    pthread_rwlockattr_t page_attr;
    pthread_rwlockattr_init(&page_attr);
#ifdef __GLIBC__ /* writers first: a stream of pages must not hold POSTs off */
    pthread_rwlockattr_setkind_np(&page_attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
#endif
    pthread_rwlock_init(&s.page_lock, &page_attr);
    pthread_rwlockattr_destroy(&page_attr);
    pthread_mutex_init(&s.compact_mutex, NULL);
    pthread_mutex_init(&s.report_cache.mutex, NULL);
    pthread_mutex_init(&s.report_cache.pages[0].making, NULL);
    pthread_mutex_init(&s.report_cache.pages[1].making, NULL);
    pthread_mutex_init(&s.stats_mutex, NULL);
    pthread_mutex_init(&s.stop_mutex, NULL);
    mhd_log_init(&s.mhd_log);
    pthread_mutex_init(&s.refused_log.mutex, NULL);
    pthread_mutex_init(&s.compact_log.mutex, NULL);
    pthread_mutex_init(&s.dates_log.mutex, NULL);
    pthread_cond_init(&s.stop_cond, NULL);
    pthread_mutex_init(&s.gate.mutex, NULL);
    pthread_cond_init(&s.gate.freed, NULL);
    s.gate.max = s.opt.threads;
    char *cert = NULL, *key = NULL;
    /* a file an option names that cannot be read is a bad option (1) */
    if (s.opt.tls_cert && (!(cert = read_small_file("--tls-cert", s.opt.tls_cert, NULL)) ||
                           !(key = read_small_file("--tls-key", s.opt.tls_key, NULL)))) {
        status = 1;
    } else if (encrypted_key(key)) {
        /* GnuTLS, given no passphrase, says only "Decryption has failed" */
        fprintf(stderr, SERVER_NAME ": --tls-key %s: an encrypted (passphrase-protected) key is "
                "not supported: write the key without a passphrase (openssl pkey -in KEY -out "
                "PLAIN), readable by this user only\n", s.opt.tls_key);
        status = 1;
    } else {
        if (cert) warn_cert_dates(s.opt.tls_cert, cert);
        /* an address another process holds (a second start of the
         * quick start) is said before the data directory is made or read,
         * and before "recovered ..." says a start that does not happen */
        int probe_err = 0, bind_err = s.opt.data_dir ? bind_probe(&s, &probe_err) : 0;
        if (bind_err == EADDRINUSE || bind_err == EACCES || bind_err == EADDRNOTAVAIL)
            status = cannot_listen(&s, bind_err);
        else if ((status = open_resources(&s)) == 0)
            status = open_engine(&s) != 0 ? 2 : serve(&s, cert, key);
    }
    civic_engine_free(s.engine);
    civic_rules_free(s.rules);
    tokens_free(&s.tokens);
    if (s.access_fd >= 0) close(s.access_fd);
    if (s.data_fd >= 0) close(s.data_fd);
    free(s.openapi);
    free(s.report_cache.pages[0].page);
    free(s.report_cache.pages[1].page);
    free(cert);
    free(key);
    return status;
}

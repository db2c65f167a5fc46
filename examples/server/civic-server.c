/*
** civic-server.c -- an example HTTP service over libcivic.
**
** HTTP is libmicrohttpd's (no hand-written parsing here); scoring, storage,
** locking and durability are libcivic's.  The server only routes requests,
** turns query strings into API calls and answers into JSON.
**
**   POST /events                       CSV or JSON Lines body, one all-or-nothing
**                                      batch: {accepted, duplicates, rejected, lines}
**   GET  /subjects/{id}?as_of=         score, grade, balance, flags, group, dimensions
**   GET  /subjects/{id}/record?as_of=  the credit record
**   GET  /groups?depth=&as_of=         per-group statistics
**   GET  /rank?group=&top=&as_of=      ranking (everyone when group is absent)
**   GET  /healthz                      liveness and counts
**
** as_of takes any timestamp form of the rules (a '+' sent unencoded in a
** query string arrives as a space and is read as '+'); absent, it is the
** latest ts held.  Every answer is JSON; every error is JSON with "error"
** and, for bad input, "line", "column" and "reason".
**
** Threads: libmicrohttpd's thread pool serves requests concurrently; the
** engine's rwlock lets queries run in parallel and serializes writes.
**
** Durability (--data DIR): DIR/snapshot.civic and DIR/journal.civic.  At
** start the snapshot is loaded and the journal replayed (a torn tail is cut
** off and reported); every POST is journaled before it is answered, so with
** --sync always (the default) a 2xx answer means the batch survives kill -9
** and power loss.  A background thread compacts (snapshot + fresh journal)
** every --compact-every seconds when events arrived, and at shutdown.
*/
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "civic.h"

/* ------------------------------------------------------------ options */

typedef struct options {
    const char *bind;
    unsigned port;
    const char *data_dir;
    const char *rules_path;
    uint32_t sync_policy;
    unsigned threads;
    size_t body_bytes_max;
    unsigned connections_max;
    unsigned per_ip_max;
    unsigned timeout_seconds;
    unsigned compact_seconds;
} options;

typedef struct server {
    options opt;
    civic_rules *rules;
    civic_engine *engine;
    char snapshot_path[4096];
    char journal_path[4096];
    pthread_t compactor;
    pthread_mutex_t stop_mutex;
    pthread_cond_t stop_cond;
    bool stopping;
} server;

/* ------------------------------------------------------------ JSON buffer */

typedef struct buf {
    char *p;
    size_t len, cap;
    bool oom;
} buf;

static void buf_put(buf *b, const char *s, size_t n)
{
    if (b->oom) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + n + 1) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void buf_puts(buf *b, const char *s) { buf_put(b, s, strlen(s)); }

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void buf_printf(buf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n > 0) buf_put(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* A JSON string.  Input is UTF-8 (the library guarantees it for ids,
 * subjects and groups); control characters and quotes are escaped. */
static void json_str(buf *b, const char *s)
{
    buf_put(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == '"' || *p == '\\') {
            char esc[2] = { '\\', (char)*p };
            buf_put(b, esc, 2);
        } else if (*p < 0x20 || *p == 0x7f) {
            buf_printf(b, "\\u%04x", *p);
        } else {
            buf_put(b, (const char *)p, 1);
        }
    }
    buf_put(b, "\"", 1);
}

/* "name": "value" with a leading comma unless first. */
static void json_key(buf *b, const char *key, bool *first)
{
    if (first && !*first) buf_put(b, ",", 1);
    if (first) *first = false;
    json_str(b, key);
    buf_put(b, ":", 1);
}

/* Fixed point as a JSON number with `places` decimals. */
static void json_fixed(buf *b, int64_t v, unsigned places)
{
    char tmp[32];
    civic_format_fixed(v, places, tmp, sizeof(tmp));
    buf_puts(b, tmp);
}

static void json_time(buf *b, const civic_rules *r, int64_t t)
{
    char tmp[40];
    if (t == CIVIC_FOREVER || civic_rules_format_time(r, t, tmp, sizeof(tmp)) != CIVIC_OK)
        buf_puts(b, "null");
    else
        json_str(b, tmp);
}

/* ------------------------------------------------------------ responses */

typedef struct request {
    bool is_post;
    bool too_big;
    bool responded;
    char *body;
    size_t len, cap;
} request;

static enum MHD_Result send_buf(struct MHD_Connection *c, unsigned status, buf *b)
{
    if (b->oom) {
        free(b->p);
        b->p = NULL;
        b->len = 0;
        status = MHD_HTTP_SERVICE_UNAVAILABLE;
        buf_puts(b, "{\"error\":\"out of memory\"}");
        if (b->oom) return MHD_NO;
    }
    buf_put(b, "\n", 1);
    struct MHD_Response *r =
        MHD_create_response_from_buffer(b->len, b->p, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(b->p);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", "application/json; charset=utf-8");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    enum MHD_Result rc = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result send_error(struct MHD_Connection *c, unsigned status, const char *error,
                                  const char *reason)
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
    buf_puts(&b, "}");
    return send_buf(c, status, &b);
}

static unsigned status_of(int code)
{
    switch (code) {
    case CIVIC_E_CONFLICT: return MHD_HTTP_CONFLICT;
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

/* as_of in any ts form; absent: the latest ts held (now when empty). */
static bool parse_as_of(server *s, struct MHD_Connection *c, int64_t *out, char *why, size_t n)
{
    const char *v = arg(c, "as_of");
    if (!v) {
        if (civic_engine_time_range(s->engine, NULL, out) != CIVIC_OK) *out = (int64_t)time(NULL);
        return true;
    }
    char text[80];
    size_t len = strlen(v);
    if (len >= sizeof(text)) {
        snprintf(why, n, "as_of is longer than %zu bytes", sizeof(text) - 1);
        return false;
    }
    for (size_t i = 0; i <= len; i++) text[i] = v[i] == ' ' ? '+' : v[i];
    if (civic_rules_parse_time(s->rules, text, len, out) != CIVIC_OK) {
        snprintf(why, n, "as_of \"%.60s\" is not a timestamp (YYYY-MM-DD, "
                 "YYYY-MM-DDTHH:MM:SS[Z|+HH:MM] or Unix seconds)", text);
        return false;
    }
    return true;
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

static void score_fields(buf *b, server *s, const civic_result *res, size_t i,
                         const civic_score *sc, bool dims, bool *first)
{
    json_key(b, "subject", first);
    json_str(b, sc->subject);
    json_key(b, "score", first);
    json_fixed(b, sc->score, 2);
    json_key(b, "grade", first);
    json_str(b, sc->grade);
    json_key(b, "balance", first);
    json_fixed(b, sc->balance, 2);
    json_key(b, "flags", first);
    buf_puts(b, "[");
    const char *f = sc->flags;
    while (f && *f) {
        const char *end = strchr(f, ';');
        size_t n = end ? (size_t)(end - f) : strlen(f);
        char one[CIVIC_CODE_BYTES_MAX + 1];
        snprintf(one, sizeof(one), "%.*s", (int)n, f);
        if (f != sc->flags) buf_puts(b, ",");
        json_str(b, one);
        f = end ? end + 1 : NULL;
    }
    buf_puts(b, "]");
    json_key(b, "group", first);
    json_str(b, sc->group);
    json_key(b, "ceiling", first);
    if (sc->ceiling == CIVIC_FOREVER) buf_puts(b, "null");
    else json_fixed(b, sc->ceiling, 2);
    json_key(b, "events", first);
    buf_printf(b, "%" PRIu64, sc->events);
    if (sc->rank) {
        json_key(b, "rank", first);
        buf_printf(b, "%" PRIu64, sc->rank);
    }
    if (!dims || !res) return;
    json_key(b, "dimensions", first);
    buf_puts(b, "{");
    bool dfirst = true;
    for (size_t d = 0; d < civic_result_dimension_count(res); d++) {
        int64_t v = 0;
        civic_result_dimension(res, i, d, &v);
        json_key(b, civic_result_dimension_name(res, d), &dfirst);
        json_fixed(b, v, 2);
    }
    buf_puts(b, "}");
    (void)s;
}

static enum MHD_Result get_subject(server *s, struct MHD_Connection *c, const char *id)
{
    char why[160];
    int64_t as_of;
    if (!parse_as_of(s, c, &as_of, why, sizeof(why)))
        return send_error(c, MHD_HTTP_BAD_REQUEST, "bad as_of", why);
    civic_result *res = NULL;
    int rc = civic_engine_subject(s->engine, id, as_of, &res);
    if (rc != CIVIC_OK) return send_error(c, status_of(rc), civic_strerror(rc), NULL);
    civic_score sc = CIVIC_SCORE_INIT; /* no events yet: the base score (SPEC) */
    civic_result_get(res, 0, &sc);
    buf b = { 0 };
    bool first = true;
    buf_puts(&b, "{");
    json_key(&b, "as_of", &first);
    json_time(&b, s->rules, as_of);
    score_fields(&b, s, res, 0, &sc, true, &first);
    buf_puts(&b, "}");
    civic_result_free(res);
    return send_buf(c, MHD_HTTP_OK, &b);
}

static void entry_json(buf *b, const civic_rules *r, const civic_entry *en)
{
    bool first = true;
    buf_puts(b, "{");
    json_key(b, "id", &first);
    json_str(b, en->id);
    json_key(b, "type", &first);
    json_str(b, en->type);
    json_key(b, "kind", &first);
    json_str(b, civic_kind_name(en->kind));
    json_key(b, "state", &first);
    json_str(b, civic_state_name(en->state));
    json_key(b, "ts", &first);
    json_time(b, r, en->ts);
    if (en->kind == CIVIC_KIND_RULE) {
        json_key(b, "end", &first);
        json_time(b, r, en->end);
        json_key(b, "qty", &first);
        json_fixed(b, en->qty, 3);
        json_key(b, "dimension", &first);
        json_str(b, en->dimension);
        json_key(b, "affects_score", &first);
        buf_puts(b, en->affects & CIVIC_AFFECTS_SCORE ? "true" : "false");
        json_key(b, "affects_balance", &first);
        buf_puts(b, en->affects & CIVIC_AFFECTS_BALANCE ? "true" : "false");
        json_key(b, "capped", &first);
        buf_puts(b, en->marks & CIVIC_MARK_CAPPED ? "true" : "false");
        json_key(b, "escalated", &first);
        buf_puts(b, en->marks & CIVIC_MARK_ESCALATED ? "true" : "false");
        if (en->flag && *en->flag) {
            json_key(b, "flag", &first);
            json_str(b, en->flag);
        }
        if (en->ceiling != CIVIC_FOREVER) {
            json_key(b, "ceiling", &first);
            json_fixed(b, en->ceiling, 2);
        }
    }
    if (en->kind == CIVIC_KIND_RULE || en->kind == CIVIC_KIND_REDEEM) {
        json_key(b, "raw", &first);
        json_fixed(b, en->raw, 2);
        json_key(b, "counted", &first);
        json_fixed(b, en->counted, 2);
    }
    if (en->ref && *en->ref) {
        json_key(b, "ref", &first);
        json_str(b, en->ref);
    }
    json_key(b, "group", &first);
    json_str(b, en->group);
    buf_puts(b, "}");
}

static enum MHD_Result get_record(server *s, struct MHD_Connection *c, const char *id)
{
    char why[160];
    int64_t as_of;
    if (!parse_as_of(s, c, &as_of, why, sizeof(why)))
        return send_error(c, MHD_HTTP_BAD_REQUEST, "bad as_of", why);
    civic_record *rec = NULL;
    int rc = civic_engine_record(s->engine, id, as_of, &rec);
    if (rc != CIVIC_OK) return send_error(c, status_of(rc), civic_strerror(rc), NULL);
    civic_score sc = CIVIC_SCORE_INIT; /* no events yet: the base score, no entries */
    civic_record_summary(rec, &sc);
    buf b = { 0 };
    bool first = true;
    buf_puts(&b, "{");
    json_key(&b, "as_of", &first);
    json_time(&b, s->rules, as_of);
    score_fields(&b, s, NULL, 0, &sc, false, &first);
    json_key(&b, "entries", &first);
    buf_puts(&b, "[");
    for (size_t i = 0; i < civic_record_count(rec); i++) {
        civic_entry en = CIVIC_ENTRY_INIT;
        civic_record_entry(rec, i, &en);
        if (i) buf_puts(&b, ",");
        entry_json(&b, s->rules, &en);
    }
    buf_puts(&b, "]}");
    civic_record_free(rec);
    return send_buf(c, MHD_HTTP_OK, &b);
}

static enum MHD_Result get_groups(server *s, struct MHD_Connection *c)
{
    char why[160];
    int64_t as_of;
    uint64_t depth = 1;
    if (arg(c, "depth") && !parse_uint(arg(c, "depth"), CIVIC_GROUP_DEPTH_MAX, &depth))
        return send_error(c, MHD_HTTP_BAD_REQUEST, "bad depth", "depth is an integer 0..64");
    if (!parse_as_of(s, c, &as_of, why, sizeof(why)))
        return send_error(c, MHD_HTTP_BAD_REQUEST, "bad as_of", why);
    civic_groups *g = NULL;
    int rc = civic_engine_groups(s->engine, (uint32_t)depth, as_of, &g);
    if (rc != CIVIC_OK) return send_error(c, status_of(rc), civic_strerror(rc), NULL);
    buf b = { 0 };
    bool first = true;
    buf_puts(&b, "{");
    json_key(&b, "as_of", &first);
    json_time(&b, s->rules, as_of);
    json_key(&b, "depth", &first);
    buf_printf(&b, "%" PRIu64, depth);
    json_key(&b, "groups", &first);
    buf_puts(&b, "[");
    size_t grades = civic_groups_grade_count(g);
    for (size_t i = 0; i < civic_groups_count(g); i++) {
        civic_group_stats st = CIVIC_GROUP_STATS_INIT;
        civic_groups_get(g, i, &st);
        bool f = true;
        buf_puts(&b, i ? ",{" : "{");
        json_key(&b, "path", &f);
        json_str(&b, st.path);
        json_key(&b, "subjects", &f);
        buf_printf(&b, "%" PRIu64, st.subjects);
        json_key(&b, "mean", &f);
        json_fixed(&b, st.mean, 2);
        json_key(&b, "median", &f);
        json_fixed(&b, st.median, 2);
        json_key(&b, "min", &f);
        json_fixed(&b, st.min, 2);
        json_key(&b, "max", &f);
        json_fixed(&b, st.max, 2);
        json_key(&b, "balance", &f);
        json_fixed(&b, st.balance, 2);
        json_key(&b, "grades", &f);
        buf_puts(&b, "{");
        bool gf = true;
        for (size_t k = 0; k < grades; k++) {
            json_key(&b, civic_groups_grade_name(g, k), &gf);
            buf_printf(&b, "%" PRIu64, st.grade_counts[k]);
        }
        buf_puts(&b, "}}");
    }
    buf_puts(&b, "]}");
    civic_groups_free(g);
    return send_buf(c, MHD_HTTP_OK, &b);
}

static enum MHD_Result get_rank(server *s, struct MHD_Connection *c)
{
    char why[160];
    int64_t as_of;
    uint64_t top = 0;
    if (arg(c, "top") && !parse_uint(arg(c, "top"), UINT32_MAX, &top))
        return send_error(c, MHD_HTTP_BAD_REQUEST, "bad top", "top is a non-negative integer");
    if (!parse_as_of(s, c, &as_of, why, sizeof(why)))
        return send_error(c, MHD_HTTP_BAD_REQUEST, "bad as_of", why);
    const char *group = arg(c, "group");
    civic_result *res = NULL;
    int rc = civic_engine_rank(s->engine, group, as_of, top, &res);
    if (rc != CIVIC_OK) return send_error(c, status_of(rc), civic_strerror(rc), NULL);
    buf b = { 0 };
    bool first = true;
    buf_puts(&b, "{");
    json_key(&b, "as_of", &first);
    json_time(&b, s->rules, as_of);
    json_key(&b, "group", &first);
    json_str(&b, group ? group : "");
    json_key(&b, "rows", &first);
    buf_puts(&b, "[");
    for (size_t i = 0; i < civic_result_count(res); i++) {
        civic_score sc = CIVIC_SCORE_INIT;
        civic_result_get(res, i, &sc);
        bool f = true;
        buf_puts(&b, i ? ",{" : "{");
        score_fields(&b, s, res, i, &sc, false, &f);
        buf_puts(&b, "}");
    }
    buf_puts(&b, "]}");
    civic_result_free(res);
    return send_buf(c, MHD_HTTP_OK, &b);
}

static enum MHD_Result get_health(server *s, struct MHD_Connection *c)
{
    buf b = { 0 };
    buf_printf(&b, "{\"status\":\"ok\",\"version\":\"%s\",\"events\":%" PRIu64
               ",\"subjects\":%" PRIu64 ",\"durable\":%s}",
               civic_version(), civic_engine_event_count(s->engine),
               civic_engine_subject_count(s->engine), s->opt.data_dir ? "true" : "false");
    return send_buf(c, MHD_HTTP_OK, &b);
}

/* ------------------------------------------------------------ POST /events */

static uint32_t format_of(struct MHD_Connection *c)
{
    const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
    if (!ct) return CIVIC_FORMAT_AUTO;
    size_t n = strcspn(ct, "; ");
    if ((n == 8 && strncasecmp(ct, "text/csv", 8) == 0)) return CIVIC_FORMAT_CSV;
    if ((n == 20 && strncasecmp(ct, "application/x-ndjson", 20) == 0) ||
        (n == 18 && strncasecmp(ct, "application/x-jsonl", 18) == 0) ||
        (n == 17 && strncasecmp(ct, "application/jsonl", 17) == 0) ||
        (n == 21 && strncasecmp(ct, "application/jsonlines", 21) == 0))
        return CIVIC_FORMAT_JSONL;
    return CIVIC_FORMAT_AUTO;
}

static void report_fields(buf *b, const civic_load_report *rep, bool *first)
{
    json_key(b, "accepted", first);
    buf_printf(b, "%" PRIu64, rep->accepted);
    json_key(b, "duplicates", first);
    buf_printf(b, "%" PRIu64, rep->duplicates);
    json_key(b, "rejected", first);
    buf_printf(b, "%" PRIu64, rep->rejected);
    json_key(b, "lines", first);
    buf_printf(b, "%" PRIu64, rep->lines);
}

static enum MHD_Result post_events(server *s, struct MHD_Connection *c, request *rq)
{
    civic_load_options opts = CIVIC_LOAD_OPTIONS_INIT;
    opts.format = format_of(c);
    civic_load_report rep = CIVIC_LOAD_REPORT_INIT;
    civic_error err = CIVIC_ERROR_INIT;
    int rc = civic_engine_load(s->engine, rq->body ? rq->body : "", rq->len, &opts, &rep, &err);
    buf b = { 0 };
    bool first = true;
    buf_puts(&b, "{");
    if (rc != CIVIC_OK) {
        json_key(&b, "error", &first);
        json_str(&b, civic_strerror(rc));
        json_key(&b, "line", &first);
        buf_printf(&b, "%" PRIu64, err.line);
        json_key(&b, "column", &first);
        buf_printf(&b, "%u", err.column);
        json_key(&b, "reason", &first);
        json_str(&b, err.message);
    }
    report_fields(&b, &rep, &first);
    json_key(&b, "events", &first);
    buf_printf(&b, "%" PRIu64, civic_engine_event_count(s->engine));
    buf_puts(&b, "}");
    return send_buf(c, rc == CIVIC_OK ? MHD_HTTP_OK : status_of(rc), &b);
}

/* Collect the body; answer 413 once it passes the limit (the rest is read
 * and dropped so the connection stays in step). */
static enum MHD_Result collect_body(server *s, request *rq, const char *data, size_t *size)
{
    if (!rq->too_big && rq->len + *size > s->opt.body_bytes_max) {
        rq->too_big = true;
        free(rq->body);
        rq->body = NULL;
        rq->len = rq->cap = 0;
    }
    if (!rq->too_big) {
        if (rq->len + *size + 1 > rq->cap) {
            size_t cap = rq->cap ? rq->cap : 65536;
            while (cap < rq->len + *size + 1) cap *= 2;
            char *p = realloc(rq->body, cap);
            if (!p) return MHD_NO;
            rq->body = p;
            rq->cap = cap;
        }
        memcpy(rq->body + rq->len, data, *size);
        rq->len += *size;
    }
    *size = 0;
    return MHD_YES;
}

/* ------------------------------------------------------------ routing */

static enum MHD_Result route_get(server *s, struct MHD_Connection *c, const char *url)
{
    if (strcmp(url, "/healthz") == 0) return get_health(s, c);
    if (strcmp(url, "/groups") == 0) return get_groups(s, c);
    if (strcmp(url, "/rank") == 0) return get_rank(s, c);
    if (strncmp(url, "/subjects/", 10) == 0 && url[10]) {
        char id[CIVIC_ID_BYTES_MAX + 16];
        size_t n = strlen(url + 10);
        if (n >= sizeof(id))
            return send_error(c, MHD_HTTP_NOT_FOUND, "unknown subject", "subject id too long");
        memcpy(id, url + 10, n + 1);
        /* An id may contain '/': only a trailing "/record" selects the record. */
        if (n > 7 && strcmp(id + n - 7, "/record") == 0) {
            id[n - 7] = '\0';
            return get_record(s, c, id);
        }
        return get_subject(s, c, id);
    }
    return send_error(c, MHD_HTTP_NOT_FOUND, "not found", url);
}

static bool known_path(const char *url)
{
    return strcmp(url, "/events") == 0 || strcmp(url, "/healthz") == 0 ||
           strcmp(url, "/groups") == 0 || strcmp(url, "/rank") == 0 ||
           (strncmp(url, "/subjects/", 10) == 0 && url[10]);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
    server *s = cls;
    (void)version;
    request *rq = *con_cls;
    if (!rq) {
        rq = calloc(1, sizeof(*rq));
        if (!rq) return MHD_NO;
        *con_cls = rq;
        rq->is_post = strcmp(method, "POST") == 0;
        if (rq->is_post && strcmp(url, "/events") == 0) {
            const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
            uint64_t n;
            if (cl && parse_uint(cl, UINT64_MAX, &n) && n > s->opt.body_bytes_max) {
                rq->responded = true;
                return send_error(c, MHD_HTTP_CONTENT_TOO_LARGE, "request body too large",
                                  "see --max-body");
            }
            return MHD_YES; /* wait for the body */
        }
    }
    if (rq->responded) {
        *upload_size = 0;
        return MHD_YES;
    }
    if (rq->is_post && strcmp(url, "/events") == 0) {
        if (*upload_size) return collect_body(s, rq, upload, upload_size);
        rq->responded = true;
        if (rq->too_big)
            return send_error(c, MHD_HTTP_CONTENT_TOO_LARGE, "request body too large",
                              "see --max-body");
        return post_events(s, c, rq);
    }
    rq->responded = true;
    if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0) return route_get(s, c, url);
    if (known_path(url)) {
        rq->responded = true;
        buf b = { 0 };
        buf_puts(&b, "{\"error\":\"method not allowed\",\"reason\":");
        json_str(&b, strcmp(url, "/events") == 0 ? "use POST" : "use GET");
        buf_puts(&b, "}\n");
        struct MHD_Response *r = MHD_create_response_from_buffer(b.len, b.p, MHD_RESPMEM_MUST_FREE);
        if (!r) {
            free(b.p);
            return MHD_NO;
        }
        MHD_add_response_header(r, "Content-Type", "application/json; charset=utf-8");
        MHD_add_response_header(r, "Allow", strcmp(url, "/events") == 0 ? "POST" : "GET, HEAD");
        enum MHD_Result rc = MHD_queue_response(c, MHD_HTTP_METHOD_NOT_ALLOWED, r);
        MHD_destroy_response(r);
        return rc;
    }
    return send_error(c, MHD_HTTP_NOT_FOUND, "not found", url);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    request *rq = *con_cls;
    if (!rq) return;
    free(rq->body);
    free(rq);
    *con_cls = NULL;
}

/* ------------------------------------------------------------ durability */

static void report_error(const char *what, int rc, const civic_error *err)
{
    fprintf(stderr, "civic-server: %s: %s (%s)\n", what,
            err && err->message[0] ? err->message : "", civic_strerror(rc));
}

static int open_data(server *s)
{
    civic_error err = CIVIC_ERROR_INIT;
    if (mkdir(s->opt.data_dir, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "civic-server: cannot create %s: %s\n", s->opt.data_dir, strerror(errno));
        return -1;
    }
    snprintf(s->snapshot_path, sizeof(s->snapshot_path), "%s/snapshot.civic", s->opt.data_dir);
    snprintf(s->journal_path, sizeof(s->journal_path), "%s/journal.civic", s->opt.data_dir);
    if (access(s->snapshot_path, F_OK) == 0) {
        int rc = civic_engine_load_snapshot(s->engine, s->snapshot_path, &err);
        if (rc != CIVIC_OK) {
            report_error("loading the snapshot", rc, &err);
            return -1;
        }
    }
    civic_journal_report rep = CIVIC_JOURNAL_REPORT_INIT;
    int rc = civic_engine_journal_open(s->engine, s->journal_path, s->opt.sync_policy, &rep, &err);
    if (rc != CIVIC_OK) {
        report_error("opening the journal", rc, &err);
        return -1;
    }
    fprintf(stderr, "civic-server: recovered %" PRIu64 " events (%" PRIu64 " batches from the "
            "journal, %" PRIu64 " torn bytes truncated)\n",
            civic_engine_event_count(s->engine), rep.batches, rep.bytes_truncated);
    return 0;
}

static void compact_now(server *s)
{
    civic_error err = CIVIC_ERROR_INIT;
    int rc = civic_engine_compact(s->engine, s->snapshot_path, &err);
    if (rc != CIVIC_OK) report_error("compaction", rc, &err);
}

static void *compactor_main(void *arg)
{
    server *s = arg;
    uint64_t last = civic_engine_event_count(s->engine);
    pthread_mutex_lock(&s->stop_mutex);
    while (!s->stopping) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += (time_t)s->opt.compact_seconds;
        while (!s->stopping && pthread_cond_timedwait(&s->stop_cond, &s->stop_mutex, &until) == 0) {
        }
        if (s->stopping) break;
        pthread_mutex_unlock(&s->stop_mutex);
        uint64_t now = civic_engine_event_count(s->engine);
        if (now != last) {
            compact_now(s);
            last = now;
        }
        pthread_mutex_lock(&s->stop_mutex);
    }
    pthread_mutex_unlock(&s->stop_mutex);
    return NULL;
}

/* ------------------------------------------------------------ main */

static void usage(FILE *f)
{
    fputs("usage: civic-server [OPTIONS]\n"
          "  --bind ADDR          listen address (default 127.0.0.1; IPv4 or IPv6)\n"
          "  --port N             TCP port (default 8080; 0 picks a free one)\n"
          "  --rules FILE         rules file (default: the built-in community scheme)\n"
          "  --data DIR           durable: DIR/snapshot.civic + DIR/journal.civic\n"
          "  --sync POLICY        always (default) | group | none, with --data\n"
          "  --threads N          request threads (default 4)\n"
          "  --max-body BYTES     largest POST body, K/M/G suffixes (default 64M)\n"
          "  --max-connections N  open connections (default 256)\n"
          "  --max-per-ip N       open connections per client address (default 0: no limit)\n"
          "  --timeout SECONDS    idle connection timeout (default 30)\n"
          "  --compact-every SECONDS  snapshot + fresh journal period (default 300)\n"
          "  -h, --help\n", f);
}

static bool parse_size(const char *v, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (errno || end == v) return false;
    unsigned long long mul = 1;
    if (*end == 'K' || *end == 'k') mul = 1ull << 10;
    else if (*end == 'M' || *end == 'm') mul = 1ull << 20;
    else if (*end == 'G' || *end == 'g') mul = 1ull << 30;
    else if (*end) return false;
    if (mul != 1 && end[1]) return false;
    if (n > SIZE_MAX / mul) return false;
    *out = (size_t)(n * mul);
    return true;
}

static int parse_options(int argc, char **argv, options *o)
{
    memset(o, 0, sizeof(*o));
    o->bind = "127.0.0.1";
    o->port = 8080;
    o->sync_policy = CIVIC_SYNC_ALWAYS;
    o->threads = 4;
    o->body_bytes_max = (size_t)64 << 20;
    o->connections_max = 256;
    o->timeout_seconds = 30;
    o->compact_seconds = 300;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            exit(0);
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "civic-server: %s needs a value (or is unknown)\n", a);
            return -1;
        }
        const char *v = argv[++i];
        uint64_t n = 0;
        bool ok = true;
        if (strcmp(a, "--bind") == 0) o->bind = v;
        else if (strcmp(a, "--port") == 0) ok = parse_uint(v, 65535, &n), o->port = (unsigned)n;
        else if (strcmp(a, "--rules") == 0) o->rules_path = v;
        else if (strcmp(a, "--data") == 0) o->data_dir = v;
        else if (strcmp(a, "--threads") == 0) ok = parse_uint(v, 1024, &n) && n > 0, o->threads = (unsigned)n;
        else if (strcmp(a, "--max-body") == 0) ok = parse_size(v, &o->body_bytes_max);
        else if (strcmp(a, "--max-connections") == 0) ok = parse_uint(v, 1000000, &n) && n > 0, o->connections_max = (unsigned)n;
        else if (strcmp(a, "--max-per-ip") == 0) ok = parse_uint(v, 1000000, &n), o->per_ip_max = (unsigned)n;
        else if (strcmp(a, "--timeout") == 0) ok = parse_uint(v, 86400, &n), o->timeout_seconds = (unsigned)n;
        else if (strcmp(a, "--compact-every") == 0) ok = parse_uint(v, 86400 * 365, &n) && n > 0, o->compact_seconds = (unsigned)n;
        else if (strcmp(a, "--sync") == 0) {
            if (strcmp(v, "always") == 0) o->sync_policy = CIVIC_SYNC_ALWAYS;
            else if (strcmp(v, "group") == 0) o->sync_policy = CIVIC_SYNC_GROUP;
            else if (strcmp(v, "none") == 0) o->sync_policy = CIVIC_SYNC_NONE;
            else ok = false;
        } else {
            fprintf(stderr, "civic-server: unknown option %s\n", a);
            usage(stderr);
            return -1;
        }
        if (!ok) {
            fprintf(stderr, "civic-server: bad value for %s: %s\n", a, v);
            return -1;
        }
    }
    return 0;
}

static struct MHD_Daemon *start_daemon(server *s)
{
    struct sockaddr_in v4;
    struct sockaddr_in6 v6;
    const struct sockaddr *addr;
    memset(&v4, 0, sizeof(v4));
    memset(&v6, 0, sizeof(v6));
    unsigned flags = MHD_USE_AUTO | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
    if (inet_pton(AF_INET, s->opt.bind, &v4.sin_addr) == 1) {
        v4.sin_family = AF_INET;
        v4.sin_port = htons((uint16_t)s->opt.port);
        addr = (const struct sockaddr *)&v4;
    } else if (inet_pton(AF_INET6, s->opt.bind, &v6.sin6_addr) == 1) {
        v6.sin6_family = AF_INET6;
        v6.sin6_port = htons((uint16_t)s->opt.port);
        addr = (const struct sockaddr *)&v6;
        flags |= MHD_USE_IPv6;
    } else {
        fprintf(stderr, "civic-server: --bind %s is not an IPv4 or IPv6 address\n", s->opt.bind);
        return NULL;
    }
    return MHD_start_daemon(flags, (uint16_t)s->opt.port, NULL, NULL, handle, s,
                            MHD_OPTION_SOCK_ADDR, addr,
                            MHD_OPTION_THREAD_POOL_SIZE, (unsigned)s->opt.threads,
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned)s->opt.connections_max,
                            MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)s->opt.per_ip_max,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)s->opt.timeout_seconds,
                            MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1,
                            MHD_OPTION_NOTIFY_COMPLETED, completed, s,
                            MHD_OPTION_END);
}

int main(int argc, char **argv)
{
    server s;
    memset(&s, 0, sizeof(s));
    if (parse_options(argc, argv, &s.opt) != 0) return 1;
    civic_error err = CIVIC_ERROR_INIT;
    int rc = s.opt.rules_path ? civic_rules_load_file(&s.rules, s.opt.rules_path, NULL, &err)
                              : civic_rules_default(&s.rules, NULL);
    if (rc != CIVIC_OK) {
        report_error(s.opt.rules_path ? s.opt.rules_path : "built-in rules", rc, &err);
        return 2;
    }
    if ((rc = civic_engine_new(&s.engine, s.rules, NULL)) != CIVIC_OK) {
        report_error("engine", rc, NULL);
        return 2;
    }
    if (s.opt.data_dir && open_data(&s) != 0) return 2;
    /* Signals go to main's sigwait only: block them before any thread starts. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
    pthread_mutex_init(&s.stop_mutex, NULL);
    pthread_cond_init(&s.stop_cond, NULL);
    struct MHD_Daemon *d = start_daemon(&s);
    if (!d) {
        fprintf(stderr, "civic-server: cannot listen on %s port %u\n", s.opt.bind, s.opt.port);
        return 1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    unsigned port = info ? info->port : s.opt.port;
    bool compacting = s.opt.data_dir &&
                      pthread_create(&s.compactor, NULL, compactor_main, &s) == 0;
    printf("civic-server listening on %s port %u (%" PRIu64 " events%s)\n", s.opt.bind, port,
           civic_engine_event_count(s.engine), s.opt.data_dir ? ", durable" : "");
    fflush(stdout);
    int sig = 0;
    sigwait(&sigs, &sig);
    fprintf(stderr, "civic-server: signal %d, shutting down\n", sig);
    MHD_stop_daemon(d);
    pthread_mutex_lock(&s.stop_mutex);
    s.stopping = true;
    pthread_cond_broadcast(&s.stop_cond);
    pthread_mutex_unlock(&s.stop_mutex);
    if (compacting) pthread_join(s.compactor, NULL);
    if (s.opt.data_dir) compact_now(&s);
    civic_engine_free(s.engine);
    civic_rules_free(s.rules);
    return 0;
}

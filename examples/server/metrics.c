/*
** metrics.c -- see metrics.h.
*/
#include "metrics.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *const ROUTE_LABELS[ROUTE_COUNT] = {
    "/events", "/subjects/{id}", "/subjects/{id}/record", "/groups", "/rank", "/healthz",
    "/metrics", "/openapi.json", "/compact", "/purge", "/lists/{name}", "/report", "/objections",
    "other",
};

static const unsigned STATUSES[METRICS_STATUS_COUNT - 1] = {
    200, 400, 401, 403, 404, 405, 409, 410, 411, 413, 415, 429, 431, 500, 501, 503, 0,
};

/* Upper bounds in microseconds (Prometheus le, in seconds, below). */
static const uint64_t BUCKET_MICROS[METRICS_BUCKET_COUNT] = {
    500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
    1000000, 2500000, 5000000, 10000000,
};

const char *route_label(route_id r) { return r < ROUTE_COUNT ? ROUTE_LABELS[r] : "other"; }

void metrics_init(metrics *m)
{
    for (size_t r = 0; r < ROUTE_COUNT; r++) {
        for (size_t k = 0; k < METRICS_STATUS_COUNT; k++) atomic_init(&m->requests[r][k], 0);
        for (size_t k = 0; k <= METRICS_BUCKET_COUNT; k++) atomic_init(&m->buckets[r][k], 0);
        atomic_init(&m->micros_sum[r], 0);
    }
    atomic_init(&m->rejected_batches, 0);
    atomic_init(&m->events_accepted, 0);
    atomic_init(&m->report_cache_hits, 0);
    atomic_init(&m->report_refusals, 0);
}

/* Index of a status in STATUSES; the last slot counts every other status. */
static size_t status_slot(unsigned status)
{
    for (size_t k = 0; k + 1 < METRICS_STATUS_COUNT; k++)
        if (STATUSES[k] == status) return k;
    return METRICS_STATUS_COUNT - 1;
}

void metrics_observe(metrics *m, route_id r, unsigned status, uint64_t micros)
{
    if (r >= ROUTE_COUNT) r = ROUTE_NONE;
    atomic_fetch_add(&m->requests[r][status_slot(status)], 1);
    size_t b = 0;
    while (b < METRICS_BUCKET_COUNT && micros > BUCKET_MICROS[b]) b++;
    atomic_fetch_add(&m->buckets[r][b], 1);
    atomic_fetch_add(&m->micros_sum[r], micros);
}

static void render_requests(const metrics *m, buf *out)
{
    buf_puts(out, "# HELP civic_http_requests_total Requests answered, by route and status.\n"
                  "# TYPE civic_http_requests_total counter\n");
    for (size_t r = 0; r < ROUTE_COUNT; r++)
        for (size_t k = 0; k < METRICS_STATUS_COUNT; k++) {
            uint64_t n = atomic_load(&m->requests[r][k]);
            if (!n) continue;
            if (k + 1 < METRICS_STATUS_COUNT && STATUSES[k])
                buf_printf(out, "civic_http_requests_total{route=\"%s\",status=\"%u\"} %" PRIu64 "\n",
                           ROUTE_LABELS[r], STATUSES[k], n);
            else
                buf_printf(out, "civic_http_requests_total{route=\"%s\",status=\"%s\"} %" PRIu64 "\n",
                           ROUTE_LABELS[r], k + 1 < METRICS_STATUS_COUNT ? "none" : "other", n);
        }
}

static void render_latency(const metrics *m, buf *out)
{
    buf_puts(out, "# HELP civic_http_request_duration_seconds Time from a request's arrival "
                  "to the end of its answer.\n"
                  "# TYPE civic_http_request_duration_seconds histogram\n");
    for (size_t r = 0; r < ROUTE_COUNT; r++) {
        uint64_t cum = 0;
        for (size_t b = 0; b <= METRICS_BUCKET_COUNT; b++) cum += atomic_load(&m->buckets[r][b]);
        if (!cum) continue;
        uint64_t total = cum;
        cum = 0;
        for (size_t b = 0; b < METRICS_BUCKET_COUNT; b++) {
            cum += atomic_load(&m->buckets[r][b]);
            buf_printf(out, "civic_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %"
                       PRIu64 "\n", ROUTE_LABELS[r], (double)BUCKET_MICROS[b] / 1e6, cum);
        }
        buf_printf(out, "civic_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %"
                   PRIu64 "\n", ROUTE_LABELS[r], total);
        buf_printf(out, "civic_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n",
                   ROUTE_LABELS[r], (double)atomic_load(&m->micros_sum[r]) / 1e6);
        buf_printf(out, "civic_http_request_duration_seconds_count{route=\"%s\"} %" PRIu64 "\n",
                   ROUTE_LABELS[r], total);
    }
}

static void metric(buf *out, const char *name, const char *type, const char *help, double v)
{
    buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n%s %.17g\n", name, help, name, type, name, v);
}

/* A metric in seconds: to the microsecond, as the latency histogram's sums
 * are (%.17g wrote a compaction of 74.858 ms as 0.074857999999999994). */
static void metric_seconds(buf *out, const char *name, const char *help, double v)
{
    buf_printf(out, "# HELP %s %s\n# TYPE %s gauge\n%s %.6f\n", name, help, name, name, v);
}

static void render_sample(const metrics *m, const metrics_sample *s, buf *out)
{
    metric(out, "civic_events", "gauge", "Events held by the engine.", (double)s->events);
    metric(out, "civic_subjects", "gauge", "Subjects held by the engine.", (double)s->subjects);
    metric(out, "civic_events_accepted_total", "counter", "New events accepted by POST /events.",
           (double)atomic_load(&m->events_accepted));
    metric(out, "civic_rejected_batches_total", "counter",
           "POST /events batches read and refused (bad input, conflict, I/O), nothing "
           "applied; a body refused unread (411, 413, 415, 503 for the body budget or "
           "memory) is counted by "
           "civic_http_requests_total only.",
           (double)atomic_load(&m->rejected_batches));
    metric(out, "civic_report_cache_hits_total", "counter",
           "GET /report pages at the default as_of served again, not made again: nothing "
           "they were made of had changed.", (double)atomic_load(&m->report_cache_hits));
    metric(out, "civic_report_refusals_total", "counter",
           "GET /report answered 429 to a caller without a token: a page at another min_group "
           "than the service's, not kept, asked before a write or a minute had passed since "
           "the last such page was made.", (double)atomic_load(&m->report_refusals));
    metric(out, "civic_durable", "gauge",
           "1 when the server keeps --data under --sync always or group, as /healthz "
           "\"durable\": true; 0 without --data or under --sync none.", s->durable ? 1 : 0);
    metric(out, "civic_writes_failing", "gauge",
           "1 while the last write (a batch, a purge, a compaction) failed with an I/O error, "
           "or while a purge's compaction is owed and the last compaction failed, as /healthz "
           "\"writes\": \"failing\".", s->writes_failing ? 1 : 0);
    metric(out, "civic_journal_bytes", "gauge", "Size of the journal file.", (double)s->journal_bytes);
    metric(out, "civic_snapshot_bytes", "gauge", "Size of the snapshot file.", (double)s->snapshot_bytes);
    metric(out, "civic_compactions_total", "counter", "Compactions that succeeded.",
           (double)s->compactions);
    metric(out, "civic_compaction_failures_total", "counter",
           "Compactions that failed (a full disk); the journal kept every batch.",
           (double)s->compaction_failures);
    metric_seconds(out, "civic_last_compaction_timestamp_seconds",
                   "Unix time at the end of the last compaction (0: none yet).",
                   s->last_compaction_unix);
    metric_seconds(out, "civic_last_compaction_duration_seconds",
                   "How long the last compaction took.", s->last_compaction_seconds);
    metric(out, "civic_connections_open", "gauge", "Open HTTP connections.", (double)s->connections_open);
    metric(out, "civic_body_bytes_reserved", "gauge", "Bytes reserved for request bodies.",
           (double)s->body_bytes_reserved);
    metric(out, "civic_body_budget_bytes", "gauge", "--body-budget.", (double)s->body_budget_bytes);
    metric(out, "civic_body_budget_refusals_total", "counter",
           "Requests answered 503 because the body budget, or the client address's share of "
           "it, was spent.", (double)s->budget_refusals);
    metric(out, "civic_answer_bytes_reserved", "gauge",
           "Bytes of answers held for their clients (answers over 16 KiB).",
           (double)s->answer_bytes_reserved);
    metric(out, "civic_answer_budget_bytes", "gauge", "--answer-budget.",
           (double)s->answer_budget_bytes);
    metric(out, "civic_answer_budget_refusals_total", "counter",
           "Requests answered 503 because the answer budget was spent (the answer was made, "
           "then dropped).", (double)s->answer_refusals);
    metric(out, "civic_address_refusals_total", "counter",
           "Connections closed at once by --max-per-ip.", (double)s->address_refusals);
    metric(out, "civic_request_deadline_closes_total", "counter",
           "Connections closed for not delivering a request within --request-timeout.",
           (double)s->deadline_closes);
    metric_seconds(out, "civic_start_timestamp_seconds", "Unix time the server started.",
                   s->start_unix);
}

void metrics_render(const metrics *m, const metrics_sample *s, buf *out)
{
    render_requests(m, out);
    render_latency(m, out);
    render_sample(m, s, out);
}

void access_line(buf *b, const access_entry *e)
{
    char when[40];
    time_t secs = (time_t)e->unix_time;
    struct tm tm;
    gmtime_r(&secs, &tm);
    size_t n = strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(when + n, sizeof(when) - n, ".%03dZ",
             (int)((e->unix_time - (double)secs) * 1000) % 1000);
    bool first = true;
    buf_puts(b, "{");
    json_key(b, "time", &first);
    json_str(b, when);
    json_key(b, "remote", &first);
    json_str(b, e->remote);
    json_key(b, "method", &first);
    json_str_shown(b, e->method);
    json_key(b, "path", &first);
    json_str_shown(b, e->path);
    json_key(b, "status", &first);
    json_u64(b, e->status);
    json_key(b, "bytes", &first);
    json_u64(b, e->bytes);
    json_key(b, "duration_ms", &first);
    buf_printf(b, "%.3f", (double)e->micros / 1000.0);
    json_key(b, "token", &first);
    if (e->token) json_str_shown(b, e->token);
    else buf_puts(b, "null");
    buf_puts(b, "}\n");
}

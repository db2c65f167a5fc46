/*
** metrics.h -- request counters, latency histograms and the access log.
**
** Counters are C11 atomics, updated once per finished request with no lock;
** GET /metrics renders them in the Prometheus text format (0.0.4) together
** with the gauges the server passes in (events, journal bytes, ...).
*/
#ifndef CIVIC_SERVER_METRICS_H
#define CIVIC_SERVER_METRICS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "json.h"

/* Every route of the service, for labels and the permission table. */
typedef enum route_id {
    ROUTE_EVENTS, ROUTE_SUBJECT, ROUTE_RECORD, ROUTE_GROUPS, ROUTE_RANK, ROUTE_HEALTHZ,
    ROUTE_METRICS, ROUTE_OPENAPI, ROUTE_COMPACT, ROUTE_PURGE, ROUTE_LISTS, ROUTE_REPORT,
    ROUTE_OBJECTIONS,
    ROUTE_NONE, /* no such path */
    ROUTE_COUNT
} route_id;

const char *route_label(route_id r);

#define METRICS_STATUS_COUNT 18u
#define METRICS_BUCKET_COUNT 14u

typedef struct metrics {
    atomic_uint_fast64_t requests[ROUTE_COUNT][METRICS_STATUS_COUNT];
    atomic_uint_fast64_t buckets[ROUTE_COUNT][METRICS_BUCKET_COUNT + 1]; /* last: +Inf */
    atomic_uint_fast64_t micros_sum[ROUTE_COUNT];
    atomic_uint_fast64_t rejected_batches;
    atomic_uint_fast64_t events_accepted;
    atomic_uint_fast64_t report_cache_hits; /* GET /report pages served again */
    atomic_uint_fast64_t report_refusals;   /* GET /report answered 429 (get_report) */
} metrics;

/* Gauges and counters owned elsewhere, sampled at render time. */
typedef struct metrics_sample {
    uint64_t events, subjects;
    bool durable, writes_failing;
    uint64_t journal_bytes, snapshot_bytes;
    uint64_t compactions, compaction_failures;
    double last_compaction_unix, last_compaction_seconds; /* 0 until one ran */
    uint64_t connections_open, body_bytes_reserved, body_budget_bytes;
    uint64_t deadline_closes, budget_refusals, address_refusals;
    uint64_t answer_bytes_reserved, answer_budget_bytes, answer_refusals;
    double start_unix;
} metrics_sample;

void metrics_init(metrics *m);
void metrics_observe(metrics *m, route_id r, unsigned status, uint64_t micros);
void metrics_render(const metrics *m, const metrics_sample *s, buf *out);

/* One access-log record as a JSON line (with its newline); the strings a
 * client chose (method, target, token name) with Unicode's format
 * characters escaped as well (json_str_shown). */
typedef struct access_entry {
    double unix_time;
    const char *remote;
    const char *method;
    const char *path;       /* raw request target, escaped as JSON */
    unsigned status;        /* 0: no answer was sent */
    uint64_t bytes;         /* answer body bytes */
    uint64_t micros;
    const char *token;      /* token name, NULL when none */
} access_entry;

void access_line(buf *b, const access_entry *e);

#endif

/*
** views.c -- see views.h.
*/
#include "views.h"

#include <inttypes.h>

static void buf_write(void *ctx, const char *data, size_t len) { buf_put(ctx, data, len); }

answers_sink view_sink(buf *b)
{
    answers_sink s = { buf_write, b };
    return s;
}

uint32_t view_flags(const civic_engine *e) { return civic_engine_spec_version(e) >= 2 ? ANSWERS_V2 : 0; }

/* Drops the first byte written (the '{' of an object whose keys follow an
 * envelope's). */
typedef struct skip_one {
    buf *b;
    bool skipped;
} skip_one;

static void skip_write(void *ctx, const char *data, size_t len)
{
    skip_one *s = ctx;
    if (!s->skipped && len) {
        s->skipped = true;
        data++;
        len--;
    }
    buf_put(s->b, data, len);
}

void view_subject(buf *b, const civic_rules *r, const civic_result *res, int64_t as_of,
                  uint32_t flags)
{
    answers_sink out = view_sink(b);
    buf_puts(b, "{\"as_of\":");
    answers_time(&out, r, as_of);
    buf_puts(b, ",");
    skip_one s = { b, false };
    answers_sink rest = { skip_write, &s };
    answers_score(&rest, res, 0, flags & ~ANSWERS_RANKED);
    buf_puts(b, "\n");
}

void view_rank(buf *b, const civic_rules *r, const civic_result *res, const char *group,
               int64_t as_of, uint32_t flags)
{
    answers_sink out = view_sink(b);
    buf_puts(b, "{\"as_of\":");
    answers_time(&out, r, as_of);
    buf_puts(b, ",\"scheme\":");
    answers_string(&out, civic_rules_name(r));
    buf_puts(b, ",\"group\":");
    answers_string(&out, group ? group : "");
    buf_puts(b, ",\"subjects\":[");
    for (size_t i = 0; i < civic_result_count(res); i++) {
        buf_puts(b, i ? ",\n" : "\n");
        answers_score(&out, res, i, flags | ANSWERS_RANKED);
    }
    buf_puts(b, "\n]}\n");
}

void view_record(buf *b, const civic_rules *r, const civic_record *rec, int64_t as_of,
                 uint32_t flags)
{
    answers_sink out = view_sink(b);
    answers_record(&out, r, rec, as_of, flags | ANSWERS_DETAIL | ANSWERS_CEILING);
}

void view_groups(buf *b, const civic_rules *r, const civic_groups *g, uint32_t depth,
                 int64_t as_of)
{
    answers_sink out = view_sink(b);
    buf_puts(b, "{\"as_of\":");
    answers_time(&out, r, as_of);
    buf_printf(b, ",\"depth\":%" PRIu32 ",\"groups\":[", depth);
    for (size_t i = 0; i < civic_groups_count(g); i++) {
        buf_puts(b, i ? ",\n" : "\n");
        answers_group(&out, g, i);
    }
    buf_puts(b, "\n]}\n");
}

void view_list(buf *b, const civic_rules *r, const civic_list *list, const char *name,
               int64_t as_of)
{
    answers_sink out = view_sink(b);
    answers_list(&out, r, list, name, as_of);
}

void view_objections(buf *b, const civic_rules *r, const objections *o, int64_t as_of)
{
    answers_sink out = view_sink(b);
    answers_objections(&out, r, o->row, o->count, as_of);
}

void view_purge(buf *b, const civic_rules *r, const civic_purge_report *rep, uint64_t held,
                const char *warning)
{
    answers_sink out = view_sink(b);
    buf_puts(b, "{\"horizon\":");
    if (rep->horizon == CIVIC_NO_TIME) buf_puts(b, "null");
    else answers_time(&out, r, rep->horizon);
    buf_printf(b, ",\"events\":%" PRIu64 ",\"acts\":%" PRIu64 ",\"held\":%" PRIu64, rep->events,
               rep->acts, held);
    if (warning && warning[0]) {
        buf_puts(b, ",\"warning\":");
        json_str(b, warning);
    }
    buf_puts(b, "}\n");
}

void view_load_report(buf *b, int rc, const civic_load_report *rep,
                             const civic_error *err, uint64_t events, const char *warning)
{
    bool first = true;
    buf_puts(b, "{");
    if (rc != CIVIC_OK) {
        json_key(b, "error", &first);
        json_str(b, civic_strerror(rc));
        if (rc != CIVIC_E_IO) { /* the data directory's fault, not a line's of the body */
            json_key(b, "line", &first);
            json_u64(b, err->line);
            json_key(b, "column", &first);
            json_u64(b, err->column);
        }
        json_key(b, "reason", &first);
        json_str(b, err->message[0] ? err->message : civic_strerror(rc)); /* never "" */
    }
    json_key(b, "accepted", &first);
    json_u64(b, rep->accepted);
    json_key(b, "duplicates", &first);
    json_u64(b, rep->duplicates);
    json_key(b, "rejected", &first);
    json_u64(b, rep->rejected);
    json_key(b, "lines", &first);
    json_u64(b, rep->lines);
    json_key(b, "events", &first);
    json_u64(b, events);
    if (warning && warning[0]) {
        json_key(b, "warning", &first);
        json_str(b, warning);
    }
    buf_puts(b, "}");
}

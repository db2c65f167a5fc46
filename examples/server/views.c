/*
** views.c -- see views.h.
*/
#include "views.h"

/* A subject row, field for field as civic-score --format json prints it:
 * rank (rankings only), subject, group, score, grade, balance, flags,
 * ceiling, events, dimensions. */
void view_score(buf *b, const civic_result *res, size_t i, const civic_score *sc,
                         bool *first)
{
    if (sc->rank) {
        json_key(b, "rank", first);
        json_u64(b, sc->rank);
    }
    json_key(b, "subject", first);
    json_str(b, sc->subject);
    json_key(b, "group", first);
    json_str(b, sc->group);
    json_key(b, "score", first);
    json_fixed(b, sc->score, 2);
    json_key(b, "grade", first);
    json_str(b, sc->grade);
    json_key(b, "balance", first);
    json_fixed(b, sc->balance, 2);
    json_key(b, "flags", first);
    json_flags(b, sc->flags);
    json_key(b, "ceiling", first);
    if (sc->ceiling == CIVIC_FOREVER) buf_puts(b, "null");
    else json_fixed(b, sc->ceiling, 2);
    json_key(b, "events", first);
    json_u64(b, sc->events);
    json_key(b, "dimensions", first);
    buf_puts(b, "{");
    bool dfirst = true;
    for (size_t d = 0; res && d < civic_result_dimension_count(res); d++) {
        int64_t v = 0;
        civic_result_dimension(res, i, d, &v);
        json_key(b, civic_result_dimension_name(res, d), &dfirst);
        json_fixed(b, v, 2);
    }
    buf_puts(b, "}");
}

/* The fields civic-score prints for every entry, in its order and forms. */
static void entry_cli_fields(buf *b, const civic_rules *r, const civic_entry *en, bool *first)
{
    json_key(b, "id", first);
    json_str(b, en->id);
    json_key(b, "ts", first);
    json_time(b, r, en->ts);
    json_key(b, "type", first);
    json_str(b, en->type);
    json_key(b, "kind", first);
    json_str(b, civic_kind_name(en->kind));
    json_key(b, "state", first);
    json_str(b, civic_state_name(en->state));
    json_key(b, "raw", first);
    json_fixed(b, en->raw, 2);
    json_key(b, "counted", first);
    json_fixed(b, en->counted, 2);
    json_key(b, "dimension", first);
    json_str(b, en->dimension);
    json_key(b, "capped", first);
    json_bool(b, en->marks & CIVIC_MARK_CAPPED);
    json_key(b, "escalated", first);
    json_bool(b, en->marks & CIVIC_MARK_ESCALATED);
    json_key(b, "end", first);
    if (en->kind == CIVIC_KIND_RULE) json_time(b, r, en->end);
    else buf_puts(b, "null");
    json_key(b, "ref", first);
    json_str(b, en->ref);
    json_key(b, "group", first);
    json_str(b, en->group);
    /* TODO(libcivic 2): "source" after "group", as civic-score will print it
     * (SPEC 10.5: the record shows it for every entry); test_security.py's
     * test_source checks it once the library reports version 2. */
}

/* What the service adds to civic-score's entry: qty, affects, flag, ceiling. */
static void entry_json(buf *b, const civic_rules *r, const civic_entry *en)
{
    bool first = true;
    buf_puts(b, "{");
    entry_cli_fields(b, r, en, &first);
    if (en->kind == CIVIC_KIND_RULE || en->kind == CIVIC_KIND_REDEEM) {
        json_key(b, "qty", &first);
        json_fixed(b, en->qty, 3);
    }
    if (en->kind == CIVIC_KIND_RULE) {
        json_key(b, "affects_score", &first);
        json_bool(b, en->affects & CIVIC_AFFECTS_SCORE);
        json_key(b, "affects_balance", &first);
        json_bool(b, en->affects & CIVIC_AFFECTS_BALANCE);
    }
    if (en->flag && *en->flag) {
        json_key(b, "flag", &first);
        json_str(b, en->flag);
    }
    if (en->ceiling != CIVIC_FOREVER) {
        json_key(b, "ceiling", &first);
        json_fixed(b, en->ceiling, 2);
    }
    buf_puts(b, "}");
}

/* civic-score --explain --format json: subject, as_of, score, grade,
 * balance, flags, group, entries; the service adds ceiling and events. */
void view_record(buf *b, const civic_rules *r, const civic_record *rec, int64_t as_of)
{
    civic_score sc = CIVIC_SCORE_INIT; /* no events yet: the base score, no entries */
    civic_record_summary(rec, &sc);
    bool first = true;
    buf_puts(b, "{");
    json_key(b, "subject", &first);
    json_str(b, sc.subject);
    json_key(b, "as_of", &first);
    json_time(b, r, as_of);
    json_key(b, "score", &first);
    json_fixed(b, sc.score, 2);
    json_key(b, "grade", &first);
    json_str(b, sc.grade);
    json_key(b, "balance", &first);
    json_fixed(b, sc.balance, 2);
    json_key(b, "flags", &first);
    json_flags(b, sc.flags);
    json_key(b, "group", &first);
    json_str(b, sc.group);
    json_key(b, "ceiling", &first);
    if (sc.ceiling == CIVIC_FOREVER) buf_puts(b, "null");
    else json_fixed(b, sc.ceiling, 2);
    json_key(b, "events", &first);
    json_u64(b, sc.events);
    json_key(b, "entries", &first);
    buf_puts(b, "[");
    for (size_t i = 0; i < civic_record_count(rec); i++) {
        civic_entry en = CIVIC_ENTRY_INIT;
        civic_record_entry(rec, i, &en);
        if (i) buf_puts(b, ",");
        entry_json(b, r, &en);
    }
    buf_puts(b, "]}");
}

/* One group as civic-score --groups --format json prints it. */
void view_group(buf *b, const civic_groups *g, const civic_group_stats *st)
{
    bool f = true;
    buf_puts(b, "{");
    json_key(b, "group", &f);
    json_str(b, st->path);
    json_key(b, "depth", &f);
    json_u64(b, st->depth);
    json_key(b, "subjects", &f);
    json_u64(b, st->subjects);
    json_key(b, "mean", &f);
    json_fixed(b, st->mean, 2);
    json_key(b, "median", &f);
    json_fixed(b, st->median, 2);
    json_key(b, "min", &f);
    json_fixed(b, st->min, 2);
    json_key(b, "max", &f);
    json_fixed(b, st->max, 2);
    json_key(b, "balance", &f);
    json_fixed(b, st->balance, 2);
    json_key(b, "grades", &f);
    buf_puts(b, "{");
    bool gf = true;
    for (size_t k = 0; k < civic_groups_grade_count(g); k++) {
        json_key(b, civic_groups_grade_name(g, k), &gf);
        json_u64(b, st->grade_counts[k]);
    }
    buf_puts(b, "}}");
}

void view_load_report(buf *b, int rc, const civic_load_report *rep,
                             const civic_error *err, uint64_t events)
{
    bool first = true;
    buf_puts(b, "{");
    if (rc != CIVIC_OK) {
        json_key(b, "error", &first);
        json_str(b, civic_strerror(rc));
        json_key(b, "line", &first);
        json_u64(b, err->line);
        json_key(b, "column", &first);
        json_u64(b, err->column);
        json_key(b, "reason", &first);
        json_str(b, err->message);
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
    buf_puts(b, "}");
}


/*
** sink.c -- where the format readers hand over what they read: text fields
** become parsed events, parsed events become inserted ones, bad lines
** become rejections, and the load report counts each.
**
** It does not read bytes (csv.c, jsonl.c do), run threads (pipeline.c does)
** or take locks (the load runs inside one write, see load.c).
**
** Invariants: every line a reader hands over is counted exactly once, as
** accepted, duplicate or rejected; running out of memory is never a "bad
** line" that lenient mode skips; a part runner's sink functions write only
** the part they are given, so runners never share memory.
*/
#include "pipeline.h"

#include <string.h>

/* ------------------------------------------------------------ serial sink */

/* bad, with the offset of the record being read when it has none, and
 * what the format notes of that record (a part's event: insert_failed). */
static civic_error at_record(const civic_loader *ld, const civic_error *bad)
{
    civic_error at = *bad;
    if (!at.offset) at.offset = ld->offset;
    if (!ld->part_data && ld->format->note && at.code != CIVIC_E_NOMEM) ld->format->note(ld, &at);
    return at;
}

int civic__loader_reject(civic_loader *ld, const civic_error *bad)
{
    civic_error at = at_record(ld, bad);
    const civic_error *e = &at;
    if (ld->text && civic__error_names_nul_alone(&at)) { /* a line of one NUL byte */
        if (!ld->nul_checked) ld->nul_only_last = civic__nul_only_last(ld->text, ld->text_len);
        ld->nul_checked = true;
        if (ld->nul_only_last) civic__error_append(&at, " (" NUL_WHY ")");
    }
    if (e->code == CIVIC_E_NOMEM || !ld->lenient) {
        civic__error_copy(ld->err, e);
        if (ld->report) ld->report->rejected++;
        return e->code ? e->code : CIVIC_E_EVENT;
    }
    if (ld->report) ld->report->rejected++;
    if (ld->opts && ld->opts->on_reject && ld->opts->on_reject(ld->opts->payload, e) != 0) {
        civic__error_set(ld->err, CIVIC_E_USER, e->line, 0, 0,
                         "line %llu: the reject callback stopped the load",
                         (unsigned long long)e->line);
        return CIVIC_E_USER;
    }
    return CIVIC_OK;
}

void civic__loader_nul_tail(const civic_loader *ld, civic_error *e, const char *p, size_t n,
                            bool json)
{
    if (n == 0 || p[n - 1] != '\0') return; /* the common case: no scan of the text */
    if (ld->text && civic__nul_only_last(ld->text, ld->text_len)) return;
    civic__error_nul_tail_hint(e, p, n, json);
}

int civic__loader_fatal(civic_loader *ld, const civic_error *bad)
{
    civic_error at = at_record(ld, bad);
    const civic_error *e = &at;
    civic__error_copy(ld->err, e);
    if (ld->report) ld->report->rejected++;
    return e->code;
}

/* An insert refused: say where, and reject.  Out of line, so that the
 * insert every event takes stays as lean as it was. */
__attribute__((noinline, cold)) static int insert_failed(civic_loader *ld, civic_error *e,
                                                         uint64_t line)
{
    if (e->line == 0) e->line = line;
    if (ld->part_data && line > ld->part_line) {
        /* a part's event (one line each): count its line's start */
        const char *q = ld->part_data, *end = ld->part_data + ld->part_len;
        for (uint64_t k = line - 1 - ld->part_line; k > 0 && q < end; k--) {
            q = memchr(q, '\n', (size_t)(end - q));
            q = q ? q + 1 : end;
        }
        e->offset = ld->part_offset + (uint64_t)(q - ld->part_data);
        /* a part holds no quote: of the format's notes, only this one,
         * as the serial reader would add it */
        if (end - q >= 3 && memcmp(q, "\xEF\xBB\xBF", 3) == 0)
            civic__error_append(e, " (" CIVIC__BOM_LINE ")");
    }
    return civic__loader_reject(ld, e);
}

int civic__loader_insert(civic_loader *ld, const civic_parsed *p, uint64_t line, uint32_t column,
                         bool reserved)
{
    civic_error e; /* filled only on failure: no 300-byte clear per event */
    e.version = CIVIC_ERROR_VERSION;
    e.code = 0;
    e.line = 0;
    e.column = 0;
    e.reserved = 0;
    e.offset = 0;
    e.message[0] = '\0';
    int rc = reserved ? civic__event_insert_reserved(ld->engine, p, line, column, &e)
                      : civic__event_insert(ld->engine, p, line, column, &e);
    if (rc == CIVIC_OK) {
        if (ld->report) ld->report->accepted++;
        return CIVIC_OK;
    }
    if (rc == CIVIC_DUPLICATE) {
        if (ld->report) ld->report->duplicates++;
        return CIVIC_OK;
    }
    return insert_failed(ld, &e, line);
}

int civic__loader_event(civic_loader *ld, const civic_fields *f, uint64_t line)
{
    civic_error e = CIVIC_ERROR_INIT;
    civic_parsed p;
    int rc = civic__event_parse(ld->engine, f, &p, line, &e);
    if (rc == CIVIC_OK) return civic__loader_insert(ld, &p, line, f->column[CIVIC_F_ID], false);
    if (e.line == 0) e.line = line;
    return civic__loader_reject(ld, &e);
}

/* ------------------------------------------------------------ part sink */

void civic__part_reread(civic_part *part, const char *line, size_t len, uint64_t lineno)
{
    CIVIC_ASSERT(part->count < part->cap);
    civic_part_event *o = &part->out[part->count++];
    memset(&o->p, 0, sizeof(o->p));
    o->p.id = line;
    o->p.id_len = len;
    o->line = lineno;
    o->column = 0;
    o->reread = 1;
}

bool civic__part_event(civic_part *part, const civic_fields *f, const char *text, size_t len,
                       uint64_t lineno)
{
    CIVIC_ASSERT(part->count < part->cap);
    civic_part_event *o = &part->out[part->count];
    if (civic__event_parse(part->ld->engine, f, &o->p, 0, NULL) != CIVIC_OK) {
        civic__part_reread(part, text, len, lineno);
        return false;
    }
    o->line = lineno;
    o->column = f->column[CIVIC_F_ID];
    o->reread = 0;
    part->count++;
    return true;
}

bool civic__part_grow(civic_part *part)
{
    size_t cap = part->cap;
    return civic__grow(&part->ld->engine->alc, (void **)&part->out, &part->cap, cap + 1,
                       sizeof(civic_part_event)) == CIVIC_OK;
}

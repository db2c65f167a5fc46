/*
** views.h -- the JSON bodies of civic-server's answers.
**
** The answers themselves (a subject row, a ranking, the credit record, the
** groups, a list) are written by the shared writer examples/common/answers.h,
** the one civic-score uses: same field names, order, value forms and bytes
** for the same thing.  Only the envelopes are the service's own, and each
** adds keys, never renames one (docs/answers.md, docs/http-api.md):
**
**   GET /subjects/{id}          "as_of" first, then the row's keys
**   GET /rank                   "group" (the ranking's group, "" for everyone)
**                               after "scheme"
**   GET /groups                 "depth" after "as_of"
**   GET /subjects/{id}/record   the record with ANSWERS_DETAIL (qty, flag,
**                               ceiling, affects on rule entries) and
**                               ANSWERS_CEILING (the record's own ceiling):
**                               civic-score --explain --detail's bytes
**   POST /purge                 {"horizon","events","acts","held"}: the
**                               civic_purge_report, and the events held after
**
** `flags` is ANSWERS_V2 when civic_engine_spec_version() is 2, so that a
** version-1 scheme and log keep their 1.0 answers, as in civic-score.
** Errors and the POST /events report are the service's own (json.h), which
** replaces bytes that are not UTF-8 when it echoes input.
*/
#ifndef CIVIC_SERVER_VIEWS_H
#define CIVIC_SERVER_VIEWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "answers.h"
#include "civic.h"
#include "json.h"
#include "objections.h"

/* A sink that appends to b (an allocation failure sets b->oom). */
answers_sink view_sink(buf *b);

/* ANSWERS_V2 when the engine's answers carry the version-2 keys, else 0. */
uint32_t view_flags(const civic_engine *e);

/* {"as_of":T, ...row 0 of res} */
void view_subject(buf *b, const civic_rules *r, const civic_result *res, int64_t as_of,
                  uint32_t flags);
/* {"as_of","scheme","group","subjects":[ranked rows]} */
void view_rank(buf *b, const civic_rules *r, const civic_result *res, const char *group,
               int64_t as_of, uint32_t flags);
/* The record with the detail keys. */
void view_record(buf *b, const civic_rules *r, const civic_record *rec, int64_t as_of,
                 uint32_t flags);
/* {"as_of","depth","groups":[...]} */
void view_groups(buf *b, const civic_rules *r, const civic_groups *g, uint32_t depth,
                 int64_t as_of);
/* {"as_of","list","kind","subjects":[...]} */
void view_list(buf *b, const civic_rules *r, const civic_list *list, const char *name,
               int64_t as_of);
/* {"as_of","objections":[...]}: civic-score --objections -f json */
void view_objections(buf *b, const civic_rules *r, const objections *o, int64_t as_of);
/* {"horizon","events","acts","held"}, then `warning` when warning is
 * neither NULL nor "". */
void view_purge(buf *b, const civic_rules *r, const civic_purge_report *rep, uint64_t held,
                const char *warning);
/* The answer to POST /events: error fields when rc fails (no line and column
 * for CIVIC_E_IO, which no line of the body caused), then the counts,
 * then `warning` when warning is neither NULL nor "". */
void view_load_report(buf *b, int rc, const civic_load_report *rep, const civic_error *err,
                      uint64_t events, const char *warning);

#endif

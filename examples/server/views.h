/*
** views.h -- the JSON bodies of civic-server's answers.
**
** Field names, order and value forms are civic-score --format json's (a
** subject row; --explain's record and its entries; --groups' groups); the
** service adds fields after the CLI's, never renames them.  When the shared
** writer examples/common/answers.{c,h} lands, these become calls to it.
*/
#ifndef CIVIC_SERVER_VIEWS_H
#define CIVIC_SERVER_VIEWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "civic.h"
#include "json.h"

/* The fields of one subject row (rank first when ranked), into an open object. */
void view_score(buf *b, const civic_result *res, size_t i, const civic_score *sc, bool *first);
/* A whole record object: summary, then "entries". */
void view_record(buf *b, const civic_rules *r, const civic_record *rec, int64_t as_of);
/* One group object. */
void view_group(buf *b, const civic_groups *g, const civic_group_stats *st);
/* The answer to POST /events: error fields when rc fails, then the counts. */
void view_load_report(buf *b, int rc, const civic_load_report *rep, const civic_error *err,
                      uint64_t events);

#endif

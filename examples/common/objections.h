/*
** objections.h -- the objections still to decide at an as-of time, shared
** by civic-score (--objections) and civic-server (GET /objections), so that
** both find the same rows in the same order; answers_objections (answers.h)
** writes them as JSON.
**
** A row is an `object` entry in state applied (accepted: in time, with a
** target) whose target is still contested at the as-of time -- marked so
** under contested = "mark", in state contested under "suspend" -- that is,
** neither dismissed nor upheld by a revoke (a revoked entry is neither
** marked nor contested).  Rows are oldest first: by filed (the objection's
** ts), then subject, then objection id, bytewise.
**
** Made through the public answers only (civic_engine_subjects, then each
** subject's civic_engine_record): no library support is needed.  That is
** one query per subject: while other threads write to the engine, hold
** their writes off for the gathering (civic-server does, as for its notice
** page) so that the rows are of one moment.
*/
#ifndef CIVIC_OBJECTIONS_H
#define CIVIC_OBJECTIONS_H

#include "answers.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct objections {
    answers_objection *row; /* count rows, oldest first */
    size_t count;
    /* private: */
    size_t cap;
    civic_result *subjects; /* holds every row's subject and group */
} objections;

#define OBJECTIONS_INIT { NULL, 0, 0, NULL }

/* Gather into *out (OBJECTIONS_INIT) the objections still to decide in e at
 * as_of, sorted.  Returns CIVIC_OK or the status of the query that failed
 * (CIVIC_E_PURGED, CIVIC_E_OVERFLOW, CIVIC_E_NOMEM ...); then out->count is
 * 0 and *failed (when failed is not NULL) is the subject whose record
 * failed, or NULL when the subjects' query did.  Either way release *out
 * with objections_free, which *failed does not outlive. */
int objections_collect(const civic_engine *e, int64_t as_of, objections *out,
                       const char **failed);

/* Releases what objections_collect gathered; accepts OBJECTIONS_INIT. */
void objections_free(objections *o);

#ifdef __cplusplus
}
#endif
#endif /* CIVIC_OBJECTIONS_H */

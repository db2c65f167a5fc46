/*
** pipeline.h -- parallel parsing of a bulk load (pipeline.c): what a part
** runner sees, and the three calls load.c makes.
*/
#ifndef CIVIC_PIPELINE_H
#define CIVIC_PIPELINE_H

#include "load.h"

/* One line of a part: the event a runner parsed from it, or a line left for
 * the serial reader. */
typedef struct civic_part_event {
    civic_parsed p;    /* reread: zero but p.id, p.id_len (the line's bytes) */
    uint64_t line;     /* 0-based line within the part */
    uint32_t column;   /* column of the id field */
    uint32_t reread;   /* 1: a line the runner could not convert */
} civic_part_event;

/* A run of whole lines that one thread parses into memory of its own. */
struct civic_part {
    const civic_loader *ld;
    bool nomem;        /* its memory could not be allocated */
    const char *data;
    size_t len;
    civic_part_event *out;
    size_t cap, count;
    char *scratch;     /* decoded strings, for formats that need them */
    size_t scratch_cap;
    size_t id_bytes;   /* arena bytes of the parsed events' ids and refs */
    size_t name_bytes; /* arena bytes their unknown subjects and groups may take */
    size_t stop;       /* set by the runner: offset of the first line it left */
    uint64_t lines;    /* set by the runner: lines before stop */
};

/* Parse [data, data + len) (whole lines) on helper threads and insert what
 * was submitted before it, in order: errors, line numbers and callbacks are
 * those of the serial reader.  The bytes must stay untouched until the next
 * submit, civic__pipe_drain or civic__pipe_finish. */
int civic__pipe_submit(civic_loader *ld, const char *data, size_t len);
/* Insert everything submitted: call before any serial insert. */
int civic__pipe_drain(civic_loader *ld);
/* End of a load: drain (rc == CIVIC_OK) or drop what is pending, stop the
 * threads.  Returns the load's code.  Must run before a rollback. */
int civic__pipe_finish(civic_loader *ld, int rc);

#endif /* CIVIC_PIPELINE_H */

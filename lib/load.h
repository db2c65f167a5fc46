/*
** load.h -- what a format reader sees of a bulk load: the loader, the
** format interface load.c drives, and the sink that turns fields into
** inserted events (sink.c).
**
** Layering (no module calls back up): load.c chooses the format and, for
** each stretch of input, serial reading or the pipeline; csv.c and jsonl.c
** only read records and hand them to the sink; pipeline.c runs part
** runners on helper threads and commits their events through the sink;
** sink.c counts, rejects and inserts.
*/
#ifndef CIVIC_LOAD_H
#define CIVIC_LOAD_H

#include "internal.h"

typedef struct civic_loader civic_loader;
typedef struct civic_part civic_part; /* pipeline.h */

/* A format reader.  load.c calls serial and parallel_bytes; pipeline.c
 * calls run_part on helper threads and serial for the lines a runner left. */
typedef struct civic_format {
    /* Read the records of [data, data + len) in order on the caller's
     * thread, starting none at or past `until`, and hand each to the sink.
     * A partial last record waits for more input unless final.  *used gets
     * the bytes consumed.  Advances ld->line and ld->offset. */
    int (*serial)(civic_loader *ld, const char *data, size_t len, bool final, size_t until,
                  size_t *used);
    /* Of [data, data + len) (whole lines), how many bytes from the front part
     * runners may parse (whole lines).  When that is too little to be worth
     * it, *serial_until says how far the serial reader may go before asking
     * again (SIZE_MAX: no limit).  Reads the loader only. */
    size_t (*parallel_bytes)(const civic_loader *ld, const char *data, size_t len,
                             size_t *serial_until);
    /* Parse one part (whole lines) on a helper thread through the part sink,
     * reading the loader and the engine only. */
    void (*run_part)(civic_part *part);
    size_t scratch_per_line; /* bytes of scratch a runner needs per line beyond its length */
    size_t state_bytes;      /* the format's own state kept across calls (zeroed) */
    /* Add to e, an error of the record the serial reader is at, what the
     * record's bytes tell besides it: a quoted field holding line breaks
     * (a stray quote joined the lines after it), a byte-order mark that
     * opens a line (files joined).  Every error of the record, so strict
     * and lenient loads and every front end say it; NULL: nothing. */
    void (*note)(const civic_loader *ld, civic_error *e);
} civic_format;

extern const civic_format civic__csv_format;
extern const civic_format civic__jsonl_format;

/* A lenient load of a file skipping a record too long to hold in memory,
 * across reads: it is rejected when seen, then its bytes are consumed until
 * its end, where the next record starts. */
typedef struct civic_skip {
    bool on;
    bool in;            /* CSV: inside a quoted field */
    bool field_start;   /* CSV: at the start of a field */
    bool quote_pending; /* CSV: a quote inside a quoted field ended the last read */
    bool last_nl;       /* the last byte consumed was a line break */
} civic_skip;

struct civic_loader {
    civic_engine *engine;
    const civic_format *format;
    void *format_state;        /* format->state_bytes, owned by load.c */
    const civic_load_options *opts;
    civic_load_report *report;
    civic_error *err;
    bool lenient;
    uint64_t line;             /* physical lines consumed so far */
    uint64_t offset;           /* bytes consumed so far: while a reader handles a
                                  record, the offset of its first byte */
    /* While pipeline.c inserts what a part runner parsed: the part's bytes
     * and their offset, so that a rejection can say where its line starts
     * (NULL otherwise: ld->offset says it). */
    const char *part_data;
    size_t part_len;
    uint64_t part_offset, part_line; /* lines before the part */
    bool bom_checked;
    struct civic_pipe *pipe;   /* helper threads, or NULL (pipeline.c) */
    uint64_t size_hint;        /* bytes of the whole input, 0 when unknown */
    civic_skip skip;
    /* The whole text of a load from memory (NULL for a stream): a line of
     * one NUL byte gets NUL_WHY where that NUL is the text's last byte and
     * only NUL (civic__nul_only_last, looked at once: nul_checked). */
    const char *text;
    size_t text_len;
    bool nul_checked, nul_only_last;
    civic_meant_memo meant;    /* the serial reader's civic_fields.meant */
};

/* ------------------------------------------------------------ the sink (sink.c) */

/* Handle one bad line: strict -> return the code; lenient -> report, go on.
 * An error without an offset gets ld->offset, its record's first byte. */
int civic__loader_reject(civic_loader *ld, const civic_error *e);
/* A problem no mode can skip (no usable header): counted as one rejected
 * line and returned. */
int civic__loader_fatal(civic_loader *ld, const civic_error *e);
/* For a format's note: e, an error of p[0..n), the input's last line, with
 * civic__error_nul_tail_hint's hint where it holds, unless the load is of a
 * caller's text whose only NUL is its last byte (a length of strlen + 1:
 * civic__error_nul_hint says that, after the load). */
void civic__loader_nul_tail(const civic_loader *ld, civic_error *e, const char *p, size_t n,
                            bool json);
/* Convert fields, insert, count; routes bad lines through civic__loader_reject. */
int civic__loader_event(civic_loader *ld, const civic_fields *f, uint64_t line);
/* Insert an event parsed earlier, count it, route a conflict the same way.
 * reserved: room was made with civic__engine_reserve_batch. */
int civic__loader_insert(civic_loader *ld, const civic_parsed *p, uint64_t line, uint32_t column,
                         bool reserved);

/* Convert the fields of one line (text, len: the line with its break) into
 * the next event of the part; a line that does not convert is noted for
 * re-reading (civic__part_reread) and false returned.  part->count < cap. */
bool civic__part_event(civic_part *part, const civic_fields *f, const char *text, size_t len,
                       uint64_t lineno);
/* Note a line the runner could not convert (with its line break, if any):
 * the serial reader reads it again, in order, when the part is committed,
 * for the exact error.  part->count < part->cap. */
void civic__part_reread(civic_part *part, const char *line, size_t len, uint64_t lineno);
/* Room for more events in the part (a runner calls it when full); false
 * when memory ran out: the runner stops and the serial reader goes on. */
bool civic__part_grow(civic_part *part);

#endif /* CIVIC_LOAD_H */

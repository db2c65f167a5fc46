/*
** report.h -- the public notice page (公示): one self-contained HTML page
** that a community office can print or post, shared by civic-score
** (--format html) and civic-server (GET /report).
**
** The page holds the scheme as published (every rule with its points,
** validity, caps, publicity and repair periods, its changes, tiers and
** measures), the grade distribution of each group at a depth as an inline
** SVG bar chart, the entries in their publicity period (when a rule has
** one), and the list of every flag and every measure.  It has no
** script and loads nothing: styles are inline, charts are SVG.  It reads on
** a phone and prints on A4.
**
** One page is made of several queries.  While other threads write to the
** engine, hold their writes off for the page (civic-server does) so that
** its figures and names are of one moment: a name is checked against the
** figures, and a resident who came after them is not named, but a count
** of residents in no group could mix two moments.
**
** Small cells: a group with fewer than min_group subjects shows no
** statistics and none of its subjects is named on any list (counts of such
** subjects are given instead), because small groups would identify people.
** Subjects without a group at the page's depth form one group of their own
** for that purpose.
**
** Elements carry data- attributes for checks that read the DOM: every chart
** bar has data-group, data-grade and data-count; every list table has
** data-list and every named row data-subject (the id its first cell shows); a
** mark (contested, corrected) has data-mark.  No event id is on the page, in
** an attribute or not: an office's ids are often case or ticket numbers.
*/
#ifndef CIVIC_REPORT_H
#define CIVIC_REPORT_H

#include "answers.h"

#ifdef __cplusplus
extern "C" {
#endif

#define REPORT_MIN_GROUP_DEFAULT 5u

typedef struct report_options {
    uint32_t depth;      /* group depth of the statistics (civic-score: --groups, default 1) */
    uint64_t min_group;  /* groups under this many subjects stay anonymous (default 5) */
    const char *title;   /* optional heading; NULL: "Public notice: <scheme name>", or
                            "Public notice: unnamed scheme" for a scheme without one */
} report_options;

/* Write the page for engine e at as_of.  Returns CIVIC_OK or the status of
 * the query that failed (nothing useful has been written then). */
int report_html(const answers_sink *out, const civic_engine *e, int64_t as_of,
                const report_options *opt);

#ifdef __cplusplus
}
#endif
#endif /* CIVIC_REPORT_H */

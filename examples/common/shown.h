/*
** shown.h -- which characters of a name are shown as an escape rather than
** as themselves.  One predicate for civic-score's table, its titles and its
** messages, and for the names on the public notice page (report.c, which
** the service serves too), so that the page is exactly as strict as the
** table: two residents whose ids differ never read alike on either.
**
** Escaped: a character that shows nothing, or reads as another one --
**   - C1 controls (U+0080..U+009F), which a terminal acts on;
**   - the default-ignorable characters of Unicode (DerivedCoreProperties:
**     U+00AD, U+034F, U+061C, U+115F, U+1160, U+17B4, U+17B5, U+180B..U+180F,
**     U+200B..U+200F, U+202A..U+202E, U+2060..U+206F, U+3164, U+FE00..U+FE0F,
**     U+FEFF, U+FFA0, U+FFF0..U+FFF8, U+1BCA0..U+1BCA3, U+1D173..U+1D17A,
**     U+E0000..U+E0FFF): joiners, direction marks and controls, variation
**     selectors, tags, fillers, which a renderer may draw as nothing;
**   - every space but U+0020 (U+00A0, U+1680, U+2000..U+200A, U+202F,
**     U+205F, U+3000), which reads as a space, the Braille pattern blank
**     U+2800, which is drawn as one (a name "of nothing" is written with it),
**     and the line and paragraph separators U+2028, U+2029;
**   - the interlinear annotation characters U+FFF9..U+FFFB;
**   - noncharacters (U+FDD0..U+FDEF and the last two code points of every
**     plane, U+FFFE, U+1FFFF ... U+10FFFF), which a page may not hold.
** A joiner or a variation selector is part of how some names are written
** (an emoji sequence, a Persian word): it is escaped all the same, since the
** name then shows what tells it apart.  Not here: C0 controls and DEL
** (civic-score shows them as \xNN; an id, a subject or a group holds none)
** and the backslash (each caller doubles it).
*/
#ifndef CIVIC_SHOWN_H
#define CIVIC_SHOWN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The bytes shown_escape writes at most, its NUL included: \U0010ffff. */
#define SHOWN_ESCAPE_BYTES 12

typedef struct shown_range {
    uint32_t first, last;
} shown_range;

/* Sorted and disjoint (adjacent ranges of the list above merged). */
static const shown_range shown_escaped_ranges[] = {
    {0x0080, 0x00a0},   {0x00ad, 0x00ad},   {0x034f, 0x034f},   {0x061c, 0x061c},
    {0x115f, 0x1160},   {0x1680, 0x1680},   {0x17b4, 0x17b5},   {0x180b, 0x180f},
    {0x2000, 0x200f},   {0x2028, 0x202f},   {0x205f, 0x206f},   {0x2800, 0x2800},
    {0x3000, 0x3000},
    {0x3164, 0x3164},   {0xfdd0, 0xfdef},   {0xfe00, 0xfe0f},   {0xfeff, 0xfeff},
    {0xffa0, 0xffa0},   {0xfff0, 0xfffb},   {0x1bca0, 0x1bca3}, {0x1d173, 0x1d17a},
    {0xe0000, 0xe0fff},
};

/* Whether cp lies in one of the n sorted, disjoint ranges r (also the
 * character widths' tables, width.h). */
static inline bool shown_in_ranges(const shown_range *r, size_t n, uint32_t cp)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cp < r[mid].first) hi = mid;
        else if (cp > r[mid].last) lo = mid + 1;
        else return true;
    }
    return false;
}

/* Whether the code point cp is shown as its escape (see the list above). */
static inline bool shown_escaped(uint32_t cp)
{
    return (cp & 0xfffeu) == 0xfffeu || /* U+xFFFE, U+xFFFF of every plane */
           shown_in_ranges(shown_escaped_ranges,
                           sizeof(shown_escaped_ranges) / sizeof(shown_escaped_ranges[0]), cp);
}

/* The escape of cp into esc: \u200d, or \U000e0041 beyond U+FFFF (eight
 * digits: \ue0041 would read as U+E004 and a 1). */
static inline void shown_escape(uint32_t cp, char esc[SHOWN_ESCAPE_BYTES])
{
    if (cp > 0xffff) snprintf(esc, SHOWN_ESCAPE_BYTES, "\\U%08x", (unsigned)cp);
    else snprintf(esc, SHOWN_ESCAPE_BYTES, "\\u%04x", (unsigned)cp);
}

#endif

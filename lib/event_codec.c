/*
** event_codec.c -- the stored form of one event, shared by the snapshot
** and the journal: encode an event of the engine into a record, decode a
** record, re-validate it as input and insert it.
**
** Record layout (integers little-endian): i64 ts, i64 qty (thousandths; 0
** for types with a ref), then strings each as u8 length + bytes: type (the
** rule code or a built-in type name, so a record names its rule rather than
** an index), id, subject, group, ref -- format 1, the only one of 1.0 --
** and in format 2 also act and source (version 2).  The framing says which
** format its records are in.
**
** It does not frame records (snapshot.c and journal.c do, each with its own
** checksums) and never trusts a record: every one is bounds-checked and
** re-validated through civic__event_parse, like a line of input.
*/
#include "internal.h"

#include <stdio.h>
#include <string.h>

static unsigned char *put_str(unsigned char *p, const char *s, size_t n)
{
    *p++ = (unsigned char)n;
    if (n) memcpy(p, s, n);
    return p + n;
}

size_t civic__event_encode(const civic_engine *e, uint32_t index, unsigned format,
                           unsigned char *out)
{
    const civic_ev *ev = &e->events[index];
    bool has_ref = civic__type_has_ref(ev->type);
    size_t tn;
    const char *t = civic__type_name(e->rules, ev->type, &tn);
    const char *subject = e->subjects[ev->subject].id;
    const char *group = ev->group == CIVIC_NONE ? NULL : e->groups[ev->group].text;
    unsigned char *p = out;
    civic__put64(p, (uint64_t)ev->ts);
    civic_id_buf buf;
    const char *id = civic__ev_id(e, ev, &buf), *ref = has_ref ? civic__ev_ref(e, ev) : NULL;
    civic__put64(p + 8, (uint64_t)civic__ev_qty(e, ev)); /* 0 for a pointer event */
    p += 16;
    p = put_str(p, t, tn);
    p = put_str(p, id, civic__lp_len(id));
    p = put_str(p, subject, civic__lp_len(subject));
    p = put_str(p, group, group ? civic__lp_len(group) : 0);
    p = put_str(p, ref, ref ? civic__lp_len(ref) : 0);
    if (format >= 2) {
        uint32_t act = civic__event_act(e, index);
        const char *a = act == CIVIC_NONE ? NULL : civic__act_text(e, act);
        const char *src = civic__event_source(e, index);
        p = put_str(p, a, a ? civic__lp_len(a) : 0);
        p = put_str(p, src, src ? civic__lp_len(src) : 0);
    }
    CIVIC_ASSERT((size_t)(p - out) <= CIVIC_EVENT_RECORD_BYTES_MAX);
    return (size_t)(p - out);
}

int civic__event_decode_insert(civic_engine *e, const unsigned char *p, size_t n,
                               unsigned format, size_t file_first, bool other_rules, size_t *used,
                               civic_error *err)
{
    *used = 0;
    if (n < CIVIC_EVENT_RECORD_BYTES_MIN)
        return civic__error_set(err, CIVIC_E_CORRUPT, 0, 0, 0, "truncated event record");
    int64_t ts = (int64_t)civic__get64(p);
    int64_t qty = (int64_t)civic__get64(p + 8);
    size_t at = 16;
    const char *s[7] = { NULL };
    size_t len[7] = { 0 };
    int strings = format >= 2 ? 7 : 5;
    for (int i = 0; i < strings; i++) {
        if (at >= n) return civic__error_set(err, CIVIC_E_CORRUPT, 0, 0, 0, "truncated event record");
        len[i] = p[at++];
        if (len[i] > n - at)
            return civic__error_set(err, CIVIC_E_CORRUPT, 0, 0, 0, "truncated event record");
        s[i] = (const char *)p + at;
        at += len[i];
    }
    /* Re-validate through the ordinary parser: a record is only as
     * trustworthy as an input line.  ts as Unix seconds, qty as a decimal. */
    char ts_text[32], qty_text[32];
    snprintf(ts_text, sizeof(ts_text), "%lld", (long long)ts);
    uint16_t builtin;
    bool known = civic__builtin_type(s[0], len[0], &builtin);
    bool has_ref = known && civic__type_has_ref(builtin);
    if (known && builtin >= CIVIC_TYPE_OBJECT && builtin <= CIVIC_TYPE_CORRECT &&
        (qty != 0 || len[4] == 0)) {
        /* a quantity, or no ref: in a record of format 1, an event of a
         * rule 1.0 let be named object, dismiss or correct, codes this
         * version reserves.  A sound record that cannot be read as this
         * version's type, even under other rules (renaming the rule leaves
         * the record's code as it was); the caller frames it as a refusal,
         * not damage.  Format 2 is this version's alone (1.0 never wrote
         * it, and an event of those types makes a file's records format 2):
         * there the record is damaged, whatever its checksum says. */
        char shown_id[64];
        civic__excerpt(shown_id, sizeof(shown_id), s[1], len[1]);
        if (format >= 2)
            return civic__error_set(err, CIVIC_E_CORRUPT, 0, 0, 0,
                                    "invalid event record: event \"%s\" has type \"%.*s\" and %s, "
                                    "which a record of format 2 never holds (libcivic 1.0 wrote "
                                    "none): the record is damaged",
                                    shown_id, (int)len[0], s[0],
                                    qty != 0 ? "a quantity" : "no ref");
        return civic__error_set(err, CIVIC_E_VERSION, 0, 0, 0,
                                "event \"%s\" has type \"%.*s\": a 1.0 rule code this version "
                                "reserves for objections/corrections",
                                shown_id, (int)len[0], s[0]);
    }
    if (qty < 0 || (has_ref && qty != 0))
        return civic__error_set(err, CIVIC_E_CORRUPT, 0, 0, 0, "event record with a bad qty");
    civic__format_fixed(qty, 3, qty_text);
    civic_fields f;
    const char *v[CIVIC_F_COUNT] = { s[1], s[2], s[0], ts_text, has_ref ? NULL : qty_text,
                                     s[3], s[4], s[5], s[6] };
    size_t vn[CIVIC_F_COUNT] = { len[1], len[2], len[0], strlen(ts_text),
                                 has_ref ? 0 : strlen(qty_text), len[3], len[4], len[5], len[6] };
    civic__fields_of(&f, v, vn);
    civic_parsed parsed;
    civic_error why = CIVIC_ERROR_INIT;
    int rc = civic__event_parse(e, &f, &parsed, 0, &why);
    if (rc == CIVIC_OK && parsed.ts != ts)
        rc = civic__error_set(&why, CIVIC_E_EVENT, 0, 0, 0, "timestamp does not round-trip");
    if (rc == CIVIC_E_OVERFLOW && !other_rules) {
        /* past the bound on one event's points: a sound record, which an
         * earlier version took (1.0 let a repeat_factor below 1 lower the
         * bound), not damage; the caller frames it as such */
        char shown_id[64], shown_subject[64];
        civic__excerpt(shown_id, sizeof(shown_id), s[1], len[1]);
        civic__excerpt(shown_subject, sizeof(shown_subject), s[2], len[2]);
        return civic__error_set(err, CIVIC_E_OVERFLOW, 0, 0, 0,
                                "event \"%s\" of subject \"%s\": points x qty x repeat_factor "
                                "(1 when the rule has none or one below 1) pass 2^60 hundredths",
                                shown_id, shown_subject);
    }
    if (rc != CIVIC_OK && other_rules && rc != CIVIC_E_NOMEM) {
        /* written under other rules: the record is sound, the event does
         * not fit these (a rule removed, a type renamed) */
        char shown[64];
        civic__excerpt(shown, sizeof(shown), s[1], len[1]);
        return civic__error_set(err, CIVIC_E_MISMATCH, 0, 0, 0,
                                "event \"%s\" does not fit these rules: %s", shown, why.message);
    }
    if (rc != CIVIC_OK)
        return civic__error_set(err, CIVIC_E_CORRUPT, 0, 0, 0, "invalid event record: %s",
                                why.message);
    if (!has_ref && parsed.qty != qty)
        return civic__error_set(err, CIVIC_E_CORRUPT, 0, 0, 0,
                                "invalid event record: qty does not round-trip");
    *used = at;
    rc = civic__event_insert(e, &parsed, 0, 0, err);
    if (rc == CIVIC_E_CONFLICT && civic__event_find(e, parsed.id, parsed.id_len) >= file_first) {
        /* A writer never stores one id twice with different fields. */
        char shown[64];
        civic__excerpt(shown, sizeof(shown), parsed.id, parsed.id_len);
        return civic__error_set(err, CIVIC_E_CORRUPT, 0, 0, 0,
                                "event id \"%s\" appears twice with different fields", shown);
    }
    return rc;
}

/*
** consumer_1_0.c -- a program written and compiled against libcivic 1.0.0's
** header (abi/1.0.0/civic.h, frozen), run against today's libcivic.so.1:
** `make check-old-consumer` builds it with that header and runs it with the
** freshly built shared library.  Every struct it passes has its 1.0 size
** and is followed by a canary the library must not touch.  Exit 0 and one
** "ok" line on success.
*/
#include <civic.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (!(cond)) {                                                               \
            fprintf(stderr, "consumer-1.0: %s:%d: check failed: %s\n", __FILE__,     \
                    __LINE__, #cond);                                                \
            exit(1);                                                                 \
        }                                                                            \
    } while (0)

#define CANARY 0x5A5A5A5A5A5A5A5AULL

static const char rules_text[] =
    "[scheme]\nbase = 1000\nutc_offset = \"+08:00\"\n"
    "[[grade]]\nname = \"A\"\nmin = 960\n[[grade]]\nname = \"B\"\n"
    "[rule.help]\npoints = 5\nvalid = \"1y\"\n[rule.fine]\npoints = -10\nflag = \"watch\"\n";

int main(void)
{
    civic_rules *rules = NULL;
    civic_engine *e = NULL;
    civic_error err = CIVIC_ERROR_INIT;
    char dir[] = "/tmp/civic-consumer-1.0-XXXXXX", snap[96], jnl[96];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(snap, sizeof(snap), "%s/s", dir);
    snprintf(jnl, sizeof(jnl), "%s/j", dir);

    /* A newer library than the header: the version number says so. */
    CHECK(civic_version_number() >= CIVIC_VERSION_NUMBER);
    CHECK(civic_rules_parse(&rules, rules_text, strlen(rules_text), NULL, &err) == CIVIC_OK);
    CHECK(civic_engine_new(&e, rules, NULL) == CIVIC_OK);
    CHECK(civic_engine_journal_open(e, jnl, CIVIC_SYNC_ALWAYS, NULL, &err) == CIVIC_OK);

    /* a 1.0 civic_event: version 1, no act or source fields */
    struct { civic_event ev; unsigned long long canary; } in = { CIVIC_EVENT_INIT, CANARY };
    in.ev.id = "e1";
    in.ev.subject = "alice";
    in.ev.type = "help";
    in.ev.ts = "2024-01-10";
    CHECK(in.ev.version == 1);
    CHECK(civic_engine_add(e, &in.ev, &err) == CIVIC_OK);
    const char *log = "id,subject,type,ts,ref\ne2,alice,fine,2024-02-01,\ne3,bob,help,2024-03-01,\n"
                      "r1,bob,revoke,2024-04-01,e3\n";
    CHECK(civic_engine_load(e, log, strlen(log), NULL, NULL, &err) == CIVIC_OK);

    int64_t t = 0;
    CHECK(civic_rules_parse_time(rules, "2024-06-01", 10, &t) == CIVIC_OK);
    civic_result *res = NULL;
    CHECK(civic_engine_subjects(e, t, &res) == CIVIC_OK);
    CHECK(civic_result_count(res) == 2);
    struct { civic_score s; unsigned long long canary; } sc = { CIVIC_SCORE_INIT, CANARY };
    CHECK(civic_result_get(res, 0, &sc.s) == CIVIC_OK);
    CHECK(sc.canary == CANARY);
    CHECK(strcmp(sc.s.subject, "alice") == 0 && sc.s.score == 99500 && strcmp(sc.s.flags, "watch") == 0);
    civic_result_free(res);

    civic_record *rec = NULL;
    CHECK(civic_engine_record(e, "bob", t, &rec) == CIVIC_OK);
    CHECK(civic_record_count(rec) == 2);
    struct { civic_entry x; unsigned long long canary; } en = { CIVIC_ENTRY_INIT, CANARY };
    CHECK(civic_record_entry(rec, 0, &en.x) == CIVIC_OK);
    CHECK(en.canary == CANARY);
    CHECK(strcmp(en.x.id, "e3") == 0 && en.x.state == CIVIC_STATE_REVOKED);
    struct { civic_score s; unsigned long long canary; } sum = { CIVIC_SCORE_INIT, CANARY };
    CHECK(civic_record_summary(rec, &sum.s) == CIVIC_OK);
    CHECK(sum.canary == CANARY && sum.s.score == 100000);
    civic_record_free(rec);

    /* a 1.0 snapshot round trip, and the journal that continues it */
    CHECK(civic_engine_compact(e, snap, &err) == CIVIC_OK);
    civic_engine_free(e);
    e = NULL;
    CHECK(civic_engine_open_snapshot(&e, rules, NULL, snap, &err) == CIVIC_OK);
    CHECK(civic_engine_journal_open(e, jnl, CIVIC_SYNC_ALWAYS, NULL, &err) == CIVIC_OK);
    CHECK(civic_engine_event_count(e) == 4);
    printf("consumer-1.0: ok: built against libcivic 1.0.0, ran against %s\n", civic_version());
    civic_engine_free(e);
    civic_rules_free(rules);
    unlink(snap);
    unlink(jnl);
    rmdir(dir);
    return 0;
}

/*
** consumer.c -- a program that uses libcivic the way an outside project does:
** only <civic.h> and the flags from `pkg-config --cflags --libs civic`.
** make check-consumer builds it against a staged `make install`, once linked
** to libcivic.so and once to libcivic.a, and runs both.
**
** It checks that header and library agree on the version, then scores one
** event under the built-in scheme.  Exit 0 and one "ok" line on success.
*/
#include <civic.h>

#include <stdio.h>
#include <string.h>

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "consumer: %s:%d: check failed: %s\n", __FILE__, \
                    __LINE__, #cond);                                        \
            goto done;                                                       \
        }                                                                    \
    } while (0)

int main(void)
{
    civic_rules *rules = NULL;
    civic_engine *engine = NULL;
    civic_result *result = NULL;
    civic_error err = CIVIC_ERROR_INIT;
    civic_event ev = CIVIC_EVENT_INIT;
    civic_score score = CIVIC_SCORE_INIT;
    const char *text;
    const char *as_of_text = "2024-06-01";
    int64_t as_of = 0;
    int status = 1;

    /* The header we compiled against and the library we run with agree. */
    CHECK(civic_version_number() == CIVIC_VERSION_NUMBER);
    CHECK(strcmp(civic_version(), CIVIC_VERSION) == 0);
    CHECK(strcmp(civic_strerror(CIVIC_E_NOMEM), civic_strerror(CIVIC_OK)) != 0);

    text = civic_rules_default_text();
    CHECK(text != NULL);
    CHECK(civic_rules_parse(&rules, text, strlen(text), NULL, &err) == CIVIC_OK);
    CHECK(strcmp(civic_rules_name(rules), "community") == 0);
    CHECK(civic_engine_new(&engine, rules, NULL) == CIVIC_OK);
    civic_rules_free(rules); /* the engine keeps its own reference */
    rules = NULL;

    ev.id = "e1";
    ev.subject = "alice";
    ev.type = "residents_meeting"; /* 1 point in the built-in scheme */
    ev.ts = "2024-01-10T19:00:00+08:00";
    CHECK(civic_engine_add(engine, &ev, &err) == CIVIC_OK);
    CHECK(civic_engine_add(engine, &ev, &err) == CIVIC_DUPLICATE);
    CHECK(civic_engine_event_count(engine) == 1);

    CHECK(civic_rules_parse_time(civic_engine_rules(engine), as_of_text,
                                 strlen(as_of_text), &as_of) == CIVIC_OK);
    CHECK(civic_engine_subject(engine, "alice", as_of, &result) == CIVIC_OK);
    CHECK(civic_result_count(result) == 1);
    CHECK(civic_result_get(result, 0, &score) == CIVIC_OK);
    CHECK(strcmp(score.subject, "alice") == 0);
    CHECK(score.score == 100100); /* base 1000.00 + 1.00, in hundredths */
    CHECK(strcmp(score.grade, "A") == 0);
    CHECK(score.events == 1);

    printf("consumer: ok: libcivic %s, alice %lld.%02lld grade %s\n", civic_version(),
           (long long)(score.score / 100), (long long)(score.score % 100), score.grade);
    status = 0;
done:
    if (status != 0 && err.code != 0)
        fprintf(stderr, "consumer: last error %d at line %llu: %s\n", (int)err.code,
                (unsigned long long)err.line, err.message);
    civic_result_free(result);
    civic_engine_free(engine);
    civic_rules_free(rules);
    return status;
}

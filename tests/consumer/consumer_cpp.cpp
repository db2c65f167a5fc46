/*
** consumer_cpp.cpp -- libcivic used from C++11: the declarations link with C
** linkage, the _INIT macros initialise, and the handles fit std::unique_ptr.
** make check-cxx builds it against build/libcivic.so and runs it: it parses
** the built-in rules, adds one event and checks the score it gets.
*/
#include "civic.h"

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

namespace {

struct rules_free { void operator()(civic_rules *r) const { civic_rules_free(r); } };
struct engine_free { void operator()(civic_engine *e) const { civic_engine_free(e); } };
struct result_free { void operator()(civic_result *r) const { civic_result_free(r); } };

int failures = 0;

void check(bool ok, const char *what, int line)
{
    if (!ok) {
        std::fprintf(stderr, "consumer_cpp: line %d: check failed: %s\n", line, what);
        ++failures;
    }
}
#define CHECK(cond) check((cond), #cond, __LINE__)

} // namespace

int main()
{
    CHECK(civic_version_number() == CIVIC_VERSION_NUMBER);
    CHECK(std::string(civic_version()) == CIVIC_VERSION);

    const std::string text = civic_rules_default_text();
    civic_error err = CIVIC_ERROR_INIT;
    civic_rules *raw_rules = nullptr;
    CHECK(civic_rules_parse(&raw_rules, text.data(), text.size(), nullptr, &err) == CIVIC_OK);
    std::unique_ptr<civic_rules, rules_free> rules(raw_rules);
    if (!rules) {
        std::fprintf(stderr, "consumer_cpp: rules: %s\n", err.message);
        return 1;
    }

    civic_engine_options opts = CIVIC_ENGINE_OPTIONS_INIT;
    civic_engine *raw_engine = nullptr;
    CHECK(civic_engine_new(&raw_engine, rules.get(), &opts) == CIVIC_OK);
    std::unique_ptr<civic_engine, engine_free> engine(raw_engine);
    if (!engine)
        return 1;

    civic_event ev = CIVIC_EVENT_INIT;
    ev.id = "e1";
    ev.subject = "bob";
    ev.type = "residents_meeting"; // 1 point in the built-in scheme
    ev.ts = "2024-01-10";
    CHECK(civic_engine_add(engine.get(), &ev, &err) == CIVIC_OK);

    const std::string as_of_text = "2024-06-01";
    int64_t as_of = 0;
    CHECK(civic_rules_parse_time(rules.get(), as_of_text.data(), as_of_text.size(), &as_of) ==
          CIVIC_OK);

    civic_result *raw_result = nullptr;
    CHECK(civic_engine_subject(engine.get(), "bob", as_of, &raw_result) == CIVIC_OK);
    std::unique_ptr<civic_result, result_free> result(raw_result);
    if (!result)
        return 1;

    civic_score score = CIVIC_SCORE_INIT;
    CHECK(civic_result_count(result.get()) == 1);
    CHECK(civic_result_get(result.get(), 0, &score) == CIVIC_OK);
    CHECK(score.score == 100100); // base 1000.00 + 1.00, in hundredths
    CHECK(std::strcmp(score.grade, "A") == 0);
    CHECK(std::strcmp(score.subject, "bob") == 0);

    if (failures != 0)
        return 1;
    std::printf("consumer_cpp: ok: libcivic %s from C++, bob %lld grade %s\n", civic_version(),
                static_cast<long long>(score.score), score.grade);
    return 0;
}

/*
** header_cpp.cpp -- header hygiene: civic.h compiles with no warning in a C++
** translation unit (make check-cxx builds this as C++11 with -Wall -Wextra
** -Wpedantic -Wold-style-cast -Werror under g++ and clang++).  Compiled, not run: the
** declarations must come out with C linkage (extern "C") and every _INIT
** macro must be a valid C++ initializer.
*/
#include "civic.h"
#include "civic.h"

#include <type_traits>

static_assert(CIVIC_VERSION_CHECK(1, 0, 0), "a 1.x header");
static_assert(std::is_standard_layout<civic_error>::value, "C layout");
static_assert(std::is_trivial<civic_score>::value, "plain C struct");
static_assert(std::is_same<decltype(&civic_version_number), uint32_t (*)()>::value,
              "prototype seen by C++");

/* A C-linkage function type; that the names link unmangled is checked at run
** time by consumer_cpp.cpp. */
extern "C" typedef const char *civic_text_fn(int);

int header_cpp_uses_inits();

int header_cpp_uses_inits()
{
    civic_error err = CIVIC_ERROR_INIT;
    civic_engine_options eo = CIVIC_ENGINE_OPTIONS_INIT;
    civic_event ev = CIVIC_EVENT_INIT;
    civic_load_options lo = CIVIC_LOAD_OPTIONS_INIT;
    civic_load_report lr = CIVIC_LOAD_REPORT_INIT;
    civic_score sc = CIVIC_SCORE_INIT;
    civic_entry en = CIVIC_ENTRY_INIT;
    civic_group_stats gs = CIVIC_GROUP_STATS_INIT;
    civic_text_fn *strerror_fn = civic_strerror;
    uint32_t policy = CIVIC_SYNC_GROUP | CIVIC_SYNC_INTERVAL_MS(10);
    uint32_t sum = err.version + eo.version + ev.version + lo.version + lr.version +
                   sc.version + en.version + gs.version + policy;
    return static_cast<int>(sum) + (strerror_fn != nullptr ? 1 : 0);
}

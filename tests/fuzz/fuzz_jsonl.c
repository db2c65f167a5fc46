/*
** fuzz_jsonl.c -- libFuzzer harness for the JSON Lines event loader.
**
** Input: one mode byte, then JSON Lines (one object per line; strings,
** numbers, escapes, surrogates, nesting in ignored keys, blank lines, BOM).
** Mode bit 0: lenient; bit 1: on_reject stops the load at the third reject.
** Loaded into an engine under the built-in rules that already holds three
** events; the checks are those of fuzz_load.h (all-or-nothing, what the
** engine held survives, report consistency, reloading is idempotent, every
** query answers, the record invariant holds, groups and rankings agree with
** the subject list).  Not covered: CSV (fuzz_csv.c), streamed file reading.
*/
#include "fuzz_load.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_load_one(data, size, CIVIC_FORMAT_JSONL);
    return 0;
}

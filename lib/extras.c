/*
** extras.c -- placeholder: act and source storage arrive with the engine
** changes for version 2.
*/
#include "internal.h"

uint32_t civic__event_act(const civic_engine *e, uint32_t index)
{
    CIVIC_UNUSED(e);
    CIVIC_UNUSED(index);
    return CIVIC_NONE;
}

const char *civic__event_source(const civic_engine *e, uint32_t index)
{
    CIVIC_UNUSED(e);
    CIVIC_UNUSED(index);
    return NULL;
}

const char *civic__act_text(const civic_engine *e, uint32_t act)
{
    CIVIC_UNUSED(e);
    CIVIC_UNUSED(act);
    return NULL;
}

uint32_t civic_engine_spec_version(const civic_engine *e)
{
    if (!e) return 0;
    civic__engine_read_begin(e);
    uint32_t v = e->rules->spec_version >= 2 || e->extras.v2_events ||
                         e->purge_horizon != CIVIC_NO_TIME
                     ? 2
                     : 1;
    civic__engine_read_end(e);
    return v;
}

int64_t civic_engine_purge_horizon(const civic_engine *e)
{
    if (!e) return CIVIC_NO_TIME;
    civic__engine_read_begin(e);
    int64_t h = e->purge_horizon;
    civic__engine_read_end(e);
    return h;
}

int civic_engine_purge(civic_engine *e, int64_t before, civic_purge_report *report,
                       civic_error *err)
{
    CIVIC_UNUSED(e);
    CIVIC_UNUSED(before);
    CIVIC_UNUSED(report);
    return civic__error_set(err, CIVIC_E_INVALID, 0, 0, 0, "purge is not implemented yet");
}

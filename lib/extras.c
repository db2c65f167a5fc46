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

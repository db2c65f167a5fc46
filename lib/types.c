/*
** types.c -- the built-in event types: their names, in one table.
**
** Rule events carry the rule index as their type (below
** CIVIC_TYPE_BUILTIN_MIN); the built-in types have fixed codes above it.
*/
#include "internal.h"

#include <string.h>

static const struct { const char *name; uint16_t type; } builtins[] = {
    { "revoke", CIVIC_TYPE_REVOKE }, { "repair", CIVIC_TYPE_REPAIR },
    { "redeem", CIVIC_TYPE_REDEEM }, { "object", CIVIC_TYPE_OBJECT },
    { "dismiss", CIVIC_TYPE_DISMISS }, { "correct", CIVIC_TYPE_CORRECT },
};

uint32_t civic__type_builtin(const char *name, size_t n)
{
    for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++)
        if (strlen(builtins[i].name) == n && memcmp(builtins[i].name, name, n) == 0)
            return builtins[i].type;
    return CIVIC_NONE;
}

const char *civic__type_name(uint16_t type)
{
    for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++)
        if (builtins[i].type == type) return builtins[i].name;
    return NULL;
}

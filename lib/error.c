/*
** error.c -- status texts, the civic_error filler, and the field-by-field
** copy into versioned caller structs.
**
** Reporting an error never allocates: messages are formatted into the
** caller's fixed buffer.  Invariant: nothing is written into a caller's
** struct past the fields of the version the caller set.
*/
#include "internal.h"

#include <stdio.h>
#include <string.h>

const char *civic_strerror(int code)
{
    switch (code) {
    case CIVIC_OK: return "ok";
    case CIVIC_DUPLICATE: return "duplicate event ignored";
    case CIVIC_E_INVALID: return "invalid argument";
    case CIVIC_E_NOMEM: return "out of memory";
    case CIVIC_E_SYNTAX: return "syntax error";
    case CIVIC_E_RULES: return "invalid rules";
    case CIVIC_E_EVENT: return "invalid event";
    case CIVIC_E_CONFLICT: return "conflicting event id";
    case CIVIC_E_OVERFLOW: return "arithmetic overflow";
    case CIVIC_E_LIMIT: return "limit exceeded";
    case CIVIC_E_IO: return "input/output error";
    case CIVIC_E_VERSION: return "unsupported struct version";
    case CIVIC_E_CORRUPT: return "corrupt file";
    case CIVIC_E_MISMATCH: return "file belongs to other rules";
    case CIVIC_E_USER: return "stopped by callback";
    case CIVIC_E_PURGED: return "history before the purge horizon is gone";
    case CIVIC_E_NOTFOUND: return "no such name in the scheme";
    default: return "unknown error";
    }
}

void civic__error_clear(civic_error *err)
{
    if (!err || err->version < 1) return;
    err->code = 0;
    err->line = 0;
    err->column = 0;
    err->offset = 0;
    err->message[0] = '\0';
}

int civic__error_set(civic_error *err, int code, uint64_t line, uint32_t column,
                     uint64_t offset, const char *fmt, ...)
{
    if (!err || err->version < 1) return code;
    err->code = code;
    err->line = line;
    err->column = column;
    err->offset = offset;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof(err->message), fmt, ap);
        va_end(ap);
    } else {
        snprintf(err->message, sizeof(err->message), "%s", civic_strerror(code));
    }
    return code;
}

void civic__excerpt(char *dst, size_t dst_size, const char *s, size_t n)
{
    size_t j = 0;
    const size_t shown_max = 40;
    CIVIC_ASSERT(dst_size >= 8);
    for (size_t i = 0; i < n && i < shown_max && j + 5 < dst_size; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f) {
            j += (size_t)snprintf(dst + j, dst_size - j, "\\x%02x", c);
        } else {
            dst[j++] = (char)c;
        }
    }
    if (n > shown_max && j + 4 < dst_size) {
        memcpy(dst + j, "...", 3);
        j += 3;
    }
    dst[j < dst_size ? j : dst_size - 1] = '\0';
}

void civic__copy_fields(void *dst, const void *src, const civic_field *fields, size_t n,
                        uint32_t version)
{
    for (size_t i = 0; i < n; i++)
        if (fields[i].since <= version)
            memcpy((char *)dst + fields[i].offset, (const char *)src + fields[i].offset,
                   fields[i].size);
}

static const civic_field error_fields[] = {
    CIVIC_FIELD(civic_error, code, 1),   CIVIC_FIELD(civic_error, line, 1),
    CIVIC_FIELD(civic_error, column, 1), CIVIC_FIELD(civic_error, offset, 1),
    CIVIC_FIELD(civic_error, message, 1),
};

void civic__error_copy(civic_error *dst, const civic_error *src)
{
    /* Field by field: dst may be an older, smaller civic_error. */
    if (!dst || dst == src || dst->version < 1) return;
    civic__copy_fields(dst, src, error_fields, CIVIC_FIELD_COUNT(error_fields), dst->version);
}

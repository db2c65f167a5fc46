/*
** auth.c -- tokens file, token lookup in constant time per entry.
** See auth.h for the file format.
*/
#include "auth.h"
#include "answers.h"
#include "json.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

const char *role_name(unsigned role)
{
    switch (role) {
    case ROLE_READ: return "read";
    case ROLE_WRITE: return "write";
    case ROLE_ADMIN: return "admin";
    default: return "none";
    }
}

unsigned role_parse(const char *s)
{
    if (strcmp(s, "read") == 0) return ROLE_READ;
    if (strcmp(s, "write") == 0) return ROLE_WRITE;
    if (strcmp(s, "admin") == 0) return ROLE_ADMIN;
    return ROLE_NONE;
}

bool token_name_valid(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > TOKEN_NAME_BYTES_MAX) return false;
    for (const char *p = name; *p; p++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '.' || c == '-' || c == '@';
        if (!ok) return false;
    }
    return true;
}

static bool parse_hash(const char *hex, uint8_t out[SHA256_BYTES])
{
    if (strlen(hex) != SHA256_HEX_BYTES) return false;
    for (unsigned i = 0; i < SHA256_BYTES; i++) {
        int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) return false;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

/* A code point range, first and last, and what it is called. */
typedef struct {
    uint32_t first, last;
    const char *name;
} named_range;

/* The invisible format characters (Unicode's Cf) a paste or an editor
 * leaves in a token or a line without a trace on the screen: a byte-order
 * mark (an editor's, at a file's start, or a Windows tool's), zero-width
 * spaces and joiners, direction marks, a soft hyphen, a word joiner.  A
 * token holding one hashes to a line no client's token matches (every
 * client 401), and a tokens-file line holding one is refused with words
 * that show nothing wrong. */
static const named_range INVISIBLE[] = {
    { 0x00AD, 0x00AD, "a soft hyphen" },
    { 0x061C, 0x061C, "an Arabic letter mark" },
    { 0x180E, 0x180E, "a Mongolian vowel separator" },
    { 0x200B, 0x200B, "a zero-width space" },
    { 0x200C, 0x200C, "a zero-width non-joiner" },
    { 0x200D, 0x200D, "a zero-width joiner" },
    { 0x200E, 0x200F, "a direction mark" },
    { 0x202A, 0x202E, "a direction embedding or override" },
    { 0x2060, 0x2060, "a word joiner" },
    { 0x2061, 0x2064, "an invisible operator" },
    { 0x2066, 0x2069, "a direction isolate" },
    { 0x206A, 0x206F, "a deprecated format character" },
    { 0xFEFF, 0xFEFF, "a byte-order mark, or zero-width no-break space" },
    { 0xFFF9, 0xFFFB, "an interlinear annotation character" },
    { 0xE0001, 0xE007F, "a tag character" },
};

/* The spaces other than the ASCII one (Unicode's Zs, but the Ogham space
 * mark, a visible stroke, and the line and paragraph separators, Zl and
 * Zp): on a tokens-file line they look like the blanks that part its
 * fields, and are none.  A no-break space that a web page or a word
 * processor pastes at a line's end was a fourth field ("expected: NAME
 * ROLE SHA256-HEX", which shows nothing wrong).  In a token (--hash-token)
 * they were hashed in, and no client's token matched the line: a client
 * copies the token without them, or cannot send them in its header. */
static const named_range SPACES[] = {
    { 0x00A0, 0x00A0, "a no-break space" },
    { 0x2000, 0x200A, "an en, em, thin, hair or other fixed-width space" },
    { 0x2028, 0x2028, "a line separator" },
    { 0x2029, 0x2029, "a paragraph separator" },
    { 0x202F, 0x202F, "a narrow no-break space" },
    { 0x205F, 0x205F, "a medium mathematical space" },
    { 0x3000, 0x3000, "an ideographic space" },
};

/* The length of the character of table (count ranges) that text (n bytes)
 * begins with, "U+XXXX (its name)" in what; 0 when it begins with none. */
static size_t named_char(const named_range *table, size_t count, const char *text, size_t n,
                         char *what, size_t what_bytes)
{
    const unsigned char *u = (const unsigned char *)text;
    size_t k = n && u[0] >= 0x80 ? utf8_seq(u, n) : 0;
    if (k < 2) return 0;
    uint32_t cp = u[0] & (0x7F >> k);
    for (size_t i = 1; i < k; i++) cp = cp << 6 | (u[i] & 0x3F);
    for (size_t i = 0; i < count; i++)
        if (cp >= table[i].first && cp <= table[i].last) {
            snprintf(what, what_bytes, "U+%04X (%s)", (unsigned)cp, table[i].name);
            return k;
        }
    return 0;
}

size_t invisible_char(const char *text, size_t n, char *what, size_t what_bytes)
{
    return named_char(INVISIBLE, sizeof(INVISIBLE) / sizeof(INVISIBLE[0]), text, n, what,
                      what_bytes);
}

/* As invisible_char, for the spaces of SPACES. */
static size_t space_char(const char *text, size_t n, char *what, size_t what_bytes)
{
    return named_char(SPACES, sizeof(SPACES) / sizeof(SPACES[0]), text, n, what, what_bytes);
}

/* One "name role hash" line into e; the reason in why when it is not one. */
static bool parse_line(char *line, token_entry *e, char *why, size_t n)
{
    char *save = NULL;
    char *name = strtok_r(line, " \t", &save);
    char *role = strtok_r(NULL, " \t", &save);
    char *hash = strtok_r(NULL, " \t", &save);
    char *more = hash ? strtok_r(NULL, " \t", &save) : NULL;
    uint8_t h[SHA256_BYTES];
    /* "alice read HASH # note" or "alice read HASH revoked-2026": a note
     * after the hash (not a name with a blank in it: its third field is
     * no hash) */
    if (more && (more[0] == '#' || parse_hash(hash, h))) {
        snprintf(why, n, "expected: NAME ROLE SHA256-HEX, then nothing: a comment must be on "
                 "its own line, beginning with '#'");
        return false;
    }
    if (!name || !role || !hash || more) {
        snprintf(why, n, "expected: NAME ROLE SHA256-HEX");
        return false;
    }
    if (!token_name_valid(name)) {
        snprintf(why, n, "name '%.80s' is not 1..64 bytes of [A-Za-z0-9_.@-]", name);
        return false;
    }
    if ((e->role = role_parse(role)) == ROLE_NONE) {
        snprintf(why, n, "role '%.40s' is not read, write or admin", role);
        return false;
    }
    if (!parse_hash(hash, e->hash)) {
        /* a vertical tab or a form feed at the end of a line (an editor's)
         * is no blank here: named, not blamed on the hash's digits */
        size_t at = 0;
        while (hash[at] && (unsigned char)hash[at] >= 0x20 && hash[at] != 0x7F) at++;
        unsigned char c = (unsigned char)hash[at];
        if (c)
            snprintf(why, n, "the hash holds %s (byte 0x%02X) at byte %zu of it: remove it "
                     "(a hash is 64 hex digits)", c == 0x0B ? "a vertical tab"
                     : c == 0x0C ? "a form feed" : c == 0x0D ? "a carriage return"
                     : "a control character", c, at + 1);
        else
            snprintf(why, n, "the hash is not 64 hex digits (make one with --hash-token)");
        return false;
    }
    snprintf(e->name, sizeof(e->name), "%s", name);
    return true;
}

/* Whether e (of line e->line) repeats an earlier entry's name or token,
 * both lines named: the token's two names, which one is the source of the
 * events it posts and the access log's is then in doubt. */
static bool duplicate(const tokens *t, const token_entry *e, char *why, size_t n)
{
    for (size_t i = 0; i < t->count; i++) {
        const token_entry *was = &t->entries[i];
        if (strcmp(was->name, e->name) == 0) {
            snprintf(why, n, "name '%s' appears twice (lines %lu and %lu)", e->name, was->line,
                     e->line);
            return true;
        }
        if (memcmp(was->hash, e->hash, SHA256_BYTES) == 0) {
            snprintf(why, n, "the same token is listed twice: line %lu ('%s') lists the token of "
                     "line %lu ('%s')", e->line, e->name, was->line, was->name);
            return true;
        }
    }
    return false;
}

static int add_line(tokens *t, char *line, unsigned long no, char *why, size_t n)
{
    token_entry e;
    memset(&e, 0, sizeof(e));
    e.line = no;
    if (!parse_line(line, &e, why, n) || duplicate(t, &e, why, n)) return -1;
    if (t->count == TOKEN_COUNT_MAX) {
        snprintf(why, n, "more than %u tokens", TOKEN_COUNT_MAX);
        return -1;
    }
    token_entry *p = realloc(t->entries, (t->count + 1) * sizeof(*p));
    if (!p) {
        snprintf(why, n, "out of memory");
        return -1;
    }
    t->entries = p;
    t->entries[t->count++] = e;
    return 0;
}

/* The file opened for reading if it is a regular one: a FIFO's open would
 * wait for a writer (O_NONBLOCK: it does not), a directory's read fails
 * with no more than "read error".  NULL with the reason in why. */
static FILE *open_regular(const char *path, unsigned *mode, char *why, size_t why_bytes)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        snprintf(why, why_bytes, "%s: %s", path, strerror(errno));
        if (fd >= 0) close(fd);
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(why, why_bytes, "%s: %s", path, S_ISDIR(st.st_mode) ? strerror(EISDIR)
                 : "not a regular file (a FIFO, a socket or a device): give a file");
        close(fd);
        return NULL;
    }
    *mode = (unsigned)(st.st_mode & 07777);
    int flags = fcntl(fd, F_GETFL);
    if (flags >= 0) (void)fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    FILE *f = fdopen(fd, "r");
    if (!f) {
        snprintf(why, why_bytes, "%s: %s", path, strerror(errno));
        close(fd);
    }
    return f;
}

/* Whether line (len bytes) holds an invisible format character, or a
 * space other than the ASCII one (SPACES), it being a token line (comments
 * are let be): true with "PATH:N: line N holds ... at column C", C counted
 * in characters from the line's start, as an editor counts them (after the
 * file's own byte-order mark, skipped). */
static bool invisible_in_line(const char *line, size_t len, char *why, size_t why_bytes,
                              const char *path, unsigned long no)
{
    char what[96];
    size_t column = 1;
    for (size_t i = 0; i < len; column++) {
        size_t k = invisible_char(line + i, len - i, what, sizeof(what));
        if (!k) k = space_char(line + i, len - i, what, sizeof(what));
        if (k) {
            snprintf(why, why_bytes, "%s:%lu: line %lu holds an invisible character at column "
                     "%zu, %s: remove it (a token line is NAME ROLE SHA256-HEX, in ASCII, "
                     "parted by spaces or tabs)", path, no, no, column, what);
            return true;
        }
        k = utf8_seq((const unsigned char *)line + i, len - i);
        i += k ? k : 1;
    }
    return false;
}

/* Whole lines, whatever their length (getline): a line read in pieces had
 * each later piece parsed as a line of its own, so a long comment could end
 * in a live token line, and the line numbers after it were wrong.  A '#'
 * line is a comment however long; any other line over TOKEN_LINE_BYTES_MAX
 * bytes (blanks at its ends not counted), or with a NUL byte in it (which
 * would end it early), is refused. */
int tokens_load(tokens *t, const char *path, char *why, size_t why_bytes)
{
    memset(t, 0, sizeof(*t));
    unsigned mode = 0;
    FILE *f = open_regular(path, &mode, why, why_bytes);
    if (!f) return -1;
    char *text = NULL, reason[320];
    size_t cap = 0;
    ssize_t got;
    int rc = 0;
    unsigned long no = 1;
    for (; rc == 0 && (got = getline(&text, &cap, f)) >= 0; no++) {
        char *line = text;
        size_t len = (size_t)got;
        /* an editor's byte-order mark, before the first line only */
        if (no == 1 && len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) {
            line += 3;
            len -= 3;
        }
        if (len && line[len - 1] == '\n') line[--len] = '\0';
        if (len && line[len - 1] == '\r') line[--len] = '\0';
        size_t lead = strspn(line, " \t");
        if (lead < len && line[lead] == '#') continue;
        /* blanks at either end are not the line's: an editor's trailing
         * spaces do not make a token line too long */
        while (len > lead && (line[len - 1] == ' ' || line[len - 1] == '\t')) line[--len] = '\0';
        if (memchr(line, '\0', len)) {
            snprintf(why, why_bytes, "%s:%lu: line %lu holds a NUL byte (at byte %zu)", path,
                     no, no, (size_t)((char *)memchr(line, '\0', len) - line) + 1);
            rc = -1;
        } else if (lead == len) {
            continue;
        } else if (invisible_in_line(line, len, why, why_bytes, path, no)) {
            rc = -1;
        } else if (len - lead > TOKEN_LINE_BYTES_MAX) {
            snprintf(why, why_bytes, "%s:%lu: line %lu is longer than %u bytes (%zu): a token "
                     "line is NAME ROLE SHA256-HEX, a comment line begins with '#'", path, no,
                     no, TOKEN_LINE_BYTES_MAX, len - lead);
            rc = -1;
        } else if ((rc = add_line(t, line + lead, no, reason, sizeof(reason))) != 0) {
            snprintf(why, why_bytes, "%s:%lu: %s", path, no, reason);
        }
    }
    if (rc == 0 && (ferror(f) || !feof(f))) {
        /* getline fails without the error flag when it runs out of memory */
        snprintf(why, why_bytes, "%s:%lu: %s", path, no,
                 ferror(f) ? "read error" : strerror(errno));
        rc = -1;
    }
    free(text);
    if (rc == 0 && t->count == 0) {
        snprintf(why, why_bytes, "%s: no tokens (make one with --hash-token NAME ROLE)", path);
        rc = -1;
    }
    fclose(f);
    if (rc != 0) tokens_free(t);
    else t->mode = mode;
    return rc;
}

void tokens_free(tokens *t)
{
    free(t->entries);
    t->entries = NULL;
    t->count = 0;
}

/* Every entry is compared in full whatever the earlier ones gave: the time
 * depends on the number of entries only. */
const token_entry *tokens_find(const tokens *t, const char *token, size_t len)
{
    uint8_t h[SHA256_BYTES];
    sha256(token, len, h);
    const token_entry *found = NULL;
    for (size_t i = 0; i < t->count; i++) {
        volatile uint8_t diff = 0;
        for (unsigned k = 0; k < SHA256_BYTES; k++) diff |= (uint8_t)(h[k] ^ t->entries[i].hash[k]);
        if (diff == 0) found = &t->entries[i];
    }
    return found;
}

const char *bearer_token(const char *header, size_t *len)
{
    if (!header || strncasecmp(header, "Bearer", 6) != 0) return NULL;
    const char *p = header + 6;
    if (*p != ' ' && *p != '\t') return NULL;
    p += strspn(p, " \t");
    size_t n = strcspn(p, " \t");
    if (n == 0 || n > TOKEN_BYTES_MAX || p[n + strspn(p + n, " \t")] != '\0') return NULL;
    *len = n;
    return p;
}

int token_line(const char *name, const char *role, const char *token, size_t len,
               char *out, size_t out_bytes, char *why, size_t why_bytes)
{
    if (len && token[len - 1] == '\n') len--;
    if (len && token[len - 1] == '\r') len--;
    if (!token_name_valid(name)) {
        snprintf(why, why_bytes, "name '%.80s' is not 1..64 bytes of [A-Za-z0-9_.@-]", name);
        return -1;
    }
    if (role_parse(role) == ROLE_NONE) {
        snprintf(why, why_bytes, "role '%.40s' is not read, write or admin", role);
        return -1;
    }
    if (len < TOKEN_BYTES_MIN || len > TOKEN_BYTES_MAX) {
        snprintf(why, why_bytes, "a token is %u..%u bytes (got %zu); e.g. openssl rand -hex 32",
                 TOKEN_BYTES_MIN, TOKEN_BYTES_MAX, len);
        return -1;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)token[i];
        /* C1 controls, U+0080..U+009F in UTF-8, too (as in paths) */
        bool c1 = c == 0xc2 && i + 1 < len && (unsigned char)token[i + 1] >= 0x80 &&
                  (unsigned char)token[i + 1] <= 0x9f;
        if (c == '\n' || (c == '\r' && i + 1 < len && token[i + 1] == '\n')) {
            /* a line break inside: more than the one line the token is */
            snprintf(why, why_bytes, "the token is one line, and standard input held more (a "
                     "line break at byte %zu)", i + 1);
            return -1;
        }
        if (c <= 0x20 || c == 0x7f || c1) {
            snprintf(why, why_bytes, "a token has no spaces or control characters");
            return -1;
        }
        char what[96];
        if (space_char(token + i, len - i, what, sizeof(what))) {
            snprintf(why, why_bytes, "a token has no spaces or control characters: byte %zu is "
                     "%s", i + 1, what);
            return -1;
        }
        if (invisible_char(token + i, len - i, what, sizeof(what))) {
            snprintf(why, why_bytes, "the token holds an invisible character at byte %zu, %s: "
                     "a token has no spaces, control characters or invisible characters (a "
                     "client would send it without, and get 401): give it without", i + 1,
                     what);
            return -1;
        }
    }
    uint8_t h[SHA256_BYTES];
    char hex[SHA256_HEX_BYTES + 1];
    sha256(token, len, h);
    sha256_hex(h, hex);
    snprintf(out, out_bytes, "%s %s %s\n", name, role, hex);
    return 0;
}

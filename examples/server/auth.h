/*
** auth.h -- API tokens with roles, for civic-server.
**
** A tokens file holds one token per line, never the token itself:
**
**     # name   role   sha256 of the token, hex
**     ingest   write  9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
**
** name: 1..64 bytes of [A-Za-z0-9_.@-], unique (it becomes the source of the
** events the token posts and appears in the access log); role: read | write
** | admin, each including the ones before it.  Blank lines and lines starting
** with '#' (after blanks) are ignored, whatever their length; any other line
** is at most TOKEN_LINE_BYTES_MAX bytes (blanks at its ends not counted), with no NUL byte.  `civic-server --hash-token NAME ROLE` reads a token
** on standard input and prints its line.
**
** A presented token is hashed and compared with every entry's hash by a loop
** that does not stop at the first differing byte, nor at the first match.
*/
#ifndef CIVIC_SERVER_AUTH_H
#define CIVIC_SERVER_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sha256.h"

enum { ROLE_NONE = 0, ROLE_READ = 1, ROLE_WRITE = 2, ROLE_ADMIN = 3 };

#define TOKEN_NAME_BYTES_MAX 64u
#define TOKEN_BYTES_MIN 16u    /* shorter tokens are refused by --hash-token */
#define TOKEN_BYTES_MAX 4096u
#define TOKEN_COUNT_MAX 4096u
#define TOKEN_LINE_BYTES_MAX 511u  /* a token line's bytes, its line end not counted */

typedef struct token_entry {
    char name[TOKEN_NAME_BYTES_MAX + 1];
    unsigned role;
    uint8_t hash[SHA256_BYTES];
    unsigned long line;      /* its line in the tokens file, from 1 */
} token_entry;

typedef struct tokens {
    token_entry *entries;
    size_t count;
    unsigned mode;           /* the file's permission bits (tokens_load) */
} tokens;

/* Read a tokens file.  Returns 0, or -1 with the reason (file:line: ...) in why. */
int tokens_load(tokens *t, const char *path, char *why, size_t why_bytes);
void tokens_free(tokens *t);

/* The entry whose hash is sha256(token), or NULL. */
const token_entry *tokens_find(const tokens *t, const char *token, size_t len);

/* "Authorization: Bearer TOKEN" -> the token (not NUL-terminated), or NULL
 * when the header is absent or uses another scheme. */
const char *bearer_token(const char *header, size_t *len);

const char *role_name(unsigned role);
unsigned role_parse(const char *s);
bool token_name_valid(const char *name);

/* The length of the invisible format character (a byte-order mark, a
 * zero-width space, ...: auth.c) that text (n bytes) begins with, with its
 * code point and name in what ("U+FEFF (a byte-order mark, ...)"); 0 when
 * it begins with none. */
size_t invisible_char(const char *text, size_t n, char *what, size_t what_bytes);

/* The tokens-file line (with its newline) for the token's `len` bytes, a
 * trailing newline dropped.  Returns 0, or -1 with the reason in why. */
int token_line(const char *name, const char *role, const char *token, size_t len,
               char *out, size_t out_bytes, char *why, size_t why_bytes);

#endif

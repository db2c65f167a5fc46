/*
** test_server_units.c -- cmocka tests of civic-server's own modules:
** SHA-256 against the FIPS 180-4 examples, the tokens file and bearer
** parsing, JSON output that stays valid UTF-8, and the rewriting of POST
** bodies (JSON arrays to lines, the `source` of events posted by a token);
** the JSON check of an --openapi document, a certificate's dates; the
** accepting thread's wait for room (guard.c).
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "civic.h"
#include "auth.h"
#include "body.h"
#include "certdate.h"
#include "guard.h"
#include "json.h"
#include "sha256.h"

static void hex_of(const char *text, size_t len, char *hex)
{
    uint8_t d[SHA256_BYTES];
    sha256(text, len, d);
    sha256_hex(d, hex);
}

static void sha256_matches_the_fips_examples(void **state)
{
    (void)state;
    char hex[SHA256_HEX_BYTES + 1];
    hex_of("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    hex_of("", 0, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    hex_of(two, strlen(two), hex);
    assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    char *million = malloc(1000000);
    assert_non_null(million);
    memset(million, 'a', 1000000);
    hex_of(million, 1000000, hex);
    free(million);
    assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void sha256_pads_every_length_around_a_block(void **state)
{
    (void)state;
    /* 55, 56, 63, 64, 65 bytes: the padding edge cases (known digests of 'a' x n). */
    static const struct { size_t n; const char *hex; } cases[] = {
        { 55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318" },
        { 56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a" },
        { 64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb" },
    };
    char text[128], hex[SHA256_HEX_BYTES + 1];
    memset(text, 'a', sizeof(text));
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        hex_of(text, cases[i].n, hex);
        assert_string_equal(hex, cases[i].hex);
    }
}

/* Loads TEXT as a tokens file from a temporary file, which it removes. */
static int load_text(tokens *t, const char *text, char *why, size_t cap)
{
    char path[64];
    snprintf(path, sizeof(path), "/tmp/civic-tokens-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    int rc = tokens_load(t, path, why, cap);
    assert_int_equal(unlink(path), 0);
    return rc;
}

static void token_line_hashes_and_checks_its_input(void **state)
{
    (void)state;
    char line[200], why[200];
    const char *tok = "0123456789abcdef0123\n";
    assert_int_equal(token_line("ingest", "write", tok, strlen(tok), line, sizeof(line), why,
                                sizeof(why)), 0);
    char hex[SHA256_HEX_BYTES + 1];
    hex_of("0123456789abcdef0123", 20, hex);
    char want[200];
    snprintf(want, sizeof(want), "ingest write %s\n", hex);
    assert_string_equal(line, want);
    assert_int_equal(token_line("ingest", "write", "short", 5, line, sizeof(line), why, sizeof(why)), -1);
    assert_non_null(strstr(why, "16.."));
    assert_int_equal(token_line("bad name", "write", tok, strlen(tok), line, sizeof(line), why,
                                sizeof(why)), -1);
    assert_int_equal(token_line("ok", "root", tok, strlen(tok), line, sizeof(line), why,
                                sizeof(why)), -1);
    assert_int_equal(token_line("ok", "read", "0123456789 abcdef0", 18, line, sizeof(line), why,
                                sizeof(why)), -1);
    /* C1 controls (U+0080..U+009F) too, as in paths; U+0100 is none */
    const char *c1[] = { "0123456789\xc2\x85" "abcdef", "\xc2\x80" "0123456789abcdef",
                         "0123456789abcdef\xc2\x9f" };
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(token_line("ok", "read", c1[i], strlen(c1[i]), line, sizeof(line), why,
                                    sizeof(why)), -1);
        assert_non_null(strstr(why, "control"));
    }
    const char *fine[] = { "0123456789\xc4\x80" "abcdef", "0123456789abcdef\xc2",
                           "0123456789abcdef\xe2\x80\xb0", "0123456789abcdef\xe3\x80\x81" };
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(token_line("ok", "read", fine[i], strlen(fine[i]), line, sizeof(line),
                                    why, sizeof(why)), 0);
    /* the spaces the tokens file refuses on a token line (a no-break space
     * a paste leaves at the end above all) were hashed in, and no client's
     * token matched: refused as the ASCII space is, the code point named */
    static const struct {
        const char *token, *said;
    } spaces[] = {
        { "abcdefghijklmnop\xc2\xa0", "byte 17 is U+00A0 (a no-break space)" },
        { "abcdefgh\xe2\x80\xafijklmnop", "byte 9 is U+202F (a narrow no-break space)" },
        { "\xe2\x80\x87" "abcdefghijklmnop", "byte 1 is U+2007 (an en, em, thin, hair or "
                                               "other fixed-width space)" },
        { "abcdefghijklmnop\xe2\x80\x80", "byte 17 is U+2000" },
        { "abcdefghijklmnop\xe2\x80\x8a", "byte 17 is U+200A" },
        { "abcdefghijklmnop\xe2\x81\x9f", "byte 17 is U+205F (a medium mathematical space)" },
        { "abcdefghijklmnop\xe3\x80\x80", "byte 17 is U+3000 (an ideographic space)" },
        { "abcdefghijklmnop\xe2\x80\xa8", "byte 17 is U+2028 (a line separator)" },
        { "abcdefghijklmnop\xe2\x80\xa9\n", "byte 17 is U+2029 (a paragraph separator)" },
    };
    for (size_t i = 0; i < sizeof(spaces) / sizeof(spaces[0]); i++) {
        assert_int_equal(token_line("nb", "read", spaces[i].token, strlen(spaces[i].token),
                                    line, sizeof(line), why, sizeof(why)), -1);
        assert_non_null(strstr(why, "a token has no spaces or control characters: "));
        assert_non_null(strstr(why, spaces[i].said));
    }
    /* invisible format characters (a leading byte-order mark, a zero-width
     * space, a word joiner, a soft hyphen, a direction mark, a tag) were
     * hashed in, and every client got 401: refused, named, at their byte */
    static const struct {
        const char *token, *said;
    } invisible[] = {
        { "\xef\xbb\xbf" "0123456789abcdef\n", "at byte 1, U+FEFF (a byte-order mark" },
        { "0123456789\xe2\x80\x8b" "abcdef", "at byte 11, U+200B (a zero-width space)" },
        { "0123456789abcdef\xe2\x81\xa0", "at byte 17, U+2060 (a word joiner)" },
        { "0123\xc2\xad" "456789abcdef", "at byte 5, U+00AD (a soft hyphen)" },
        { "0123456789abcdef\xe2\x80\x8f", "at byte 17, U+200F (a direction mark)" },
        { "0123456789abcdef\xf3\xa0\x80\x81", "at byte 17, U+E0001 (a tag character)" },
    };
    for (size_t i = 0; i < sizeof(invisible) / sizeof(invisible[0]); i++) {
        assert_int_equal(token_line("ok", "read", invisible[i].token, strlen(invisible[i].token),
                                    line, sizeof(line), why, sizeof(why)), -1);
        assert_non_null(strstr(why, "the token holds an invisible character"));
        assert_non_null(strstr(why, invisible[i].said));
    }
}

static void tokens_file_loads_and_finds_by_token(void **state)
{
    (void)state;
    char hr[SHA256_HEX_BYTES + 1], ha[SHA256_HEX_BYTES + 1], text[400];
    hex_of("reader-token-000000", 19, hr);
    hex_of("admin-token-0000000", 19, ha);
    snprintf(text, sizeof(text), "# tokens\n\n  reader read %s\r\nboss\tadmin\t%s\n", hr, ha);
    tokens t;
    char why[300];
    assert_int_equal(load_text(&t, text, why, sizeof(why)), 0);
    assert_int_equal(t.count, 2);
    const token_entry *e = tokens_find(&t, "admin-token-0000000", 19);
    assert_non_null(e);
    assert_string_equal(e->name, "boss");
    assert_int_equal(e->role, ROLE_ADMIN);
    assert_int_equal(tokens_find(&t, "reader-token-000000", 19)->role, ROLE_READ);
    assert_null(tokens_find(&t, "reader-token-000001", 19));
    assert_null(tokens_find(&t, "", 0));
    tokens_free(&t);
}

static void tokens_file_errors_name_the_line(void **state)
{
    (void)state;
    char h[SHA256_HEX_BYTES + 1], text[400], why[300];
    tokens t;
    hex_of("x", 1, h);
    snprintf(text, sizeof(text), "a read %s\nb superuser %s\n", h, h);
    assert_int_equal(load_text(&t, text, why, sizeof(why)), -1);
    assert_non_null(strstr(why, ":2: role 'superuser'"));
    snprintf(text, sizeof(text), "a read %s\na write %s\n", h, h);
    assert_int_equal(load_text(&t, text, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "appears twice"));
    assert_non_null(strstr(why, ":2: name 'a' appears twice (lines 1 and 2)"));
    /* both lines and both names: it named line 1's name for line 2 */
    snprintf(text, sizeof(text), "a read %s\n# b\n\nb write %s\n", h, h);
    assert_int_equal(load_text(&t, text, why, sizeof(why)), -1);
    assert_non_null(strstr(why, ":4: the same token is listed twice: line 4 ('b') lists the "
                                "token of line 1 ('a')"));
    assert_int_equal(load_text(&t, "a read abc\n", why, sizeof(why)), -1);
    assert_non_null(strstr(why, "64 hex"));
    assert_int_equal(load_text(&t, "# nothing\n", why, sizeof(why)), -1);
    assert_non_null(strstr(why, "no tokens"));
    assert_int_equal(tokens_load(&t, "/nonexistent/tokens", why, sizeof(why)), -1);
}

/* A byte-order mark before the first line (an editor's) is skipped: it
 * made the first name "\xEF\xBB\xBFa", refused as bad bytes the message
 * did not show. */
static void tokens_file_skips_a_byte_order_mark(void **state)
{
    (void)state;
    char h[SHA256_HEX_BYTES + 1], text[400], why[300];
    tokens t;
    hex_of("bom-token-000000000", 19, h);
    snprintf(text, sizeof(text), "\xEF\xBB\xBF" "a read %s\n", h);
    assert_int_equal(load_text(&t, text, why, sizeof(why)), 0);
    assert_int_equal(t.count, 1);
    assert_string_equal(t.entries[0].name, "a");
    tokens_free(&t);
    /* only at the start of the file: elsewhere it is named, with its line
     * and column, as any invisible format character (a zero-width space
     * after a role said "role 'read\u200b' is not read, write or admin") */
    snprintf(text, sizeof(text), "a read %s\n\xEF\xBB\xBF" "b read %s\n", h, h);
    assert_int_equal(load_text(&t, text, why, sizeof(why)), -1);
    assert_non_null(strstr(why, ":2: line 2 holds an invisible character at column 1, U+FEFF "
                                "(a byte-order mark"));
    snprintf(text, sizeof(text), "a r\xc3\xa9" "ad\xe2\x80\x8b %s\n", h);
    assert_int_equal(load_text(&t, text, why, sizeof(why)), -1);
    assert_non_null(strstr(why, ":1: line 1 holds an invisible character at column 7, U+200B "
                                "(a zero-width space): remove it"));
    /* columns after the file's own mark, which an editor does not show */
    snprintf(text, sizeof(text), "\xEF\xBB\xBF  a\xe2\x81\xa0 read %s\n", h);
    assert_int_equal(load_text(&t, text, why, sizeof(why)), -1);
    assert_non_null(strstr(why, ":1: line 1 holds an invisible character at column 4, U+2060"));
    /* a comment may hold one */
    snprintf(text, sizeof(text), "# \xe2\x80\x8b\n\xEF\xBB\xBF\na read %s\n", h);
    assert_int_equal(load_text(&t, text, why, sizeof(why)), -1);
    assert_non_null(strstr(why, ":2: line 2 holds an invisible character at column 1, U+FEFF"));
    snprintf(text, sizeof(text), "# \xe2\x80\x8b\na read %s\n", h);
    assert_int_equal(load_text(&t, text, why, sizeof(why)), 0);
    tokens_free(&t);
    /* a space other than the ASCII one, a paste's no-break space at the
     * line's end above all, was a fourth field: "expected: NAME ROLE
     * SHA256-HEX", which shows nothing wrong */
    snprintf(text, sizeof(text), "a admin %s \xc2\xa0\n", h);
    assert_int_equal(load_text(&t, text, why, sizeof(why)), -1);
    assert_non_null(strstr(why, ":1: line 1 holds an invisible character at column 74, U+00A0 "
                                "(a no-break space): remove it"));
    snprintf(text, sizeof(text), "a\xe3\x80\x80read %s\n", h);
    assert_int_equal(load_text(&t, text, why, sizeof(why)), -1);
    assert_non_null(strstr(why, ":1: line 1 holds an invisible character at column 2, U+3000 "
                                "(an ideographic space)"));
    snprintf(text, sizeof(text), "a read\xe2\x80\xaf%s\n", h);
    assert_int_equal(load_text(&t, text, why, sizeof(why)), -1);
    assert_non_null(strstr(why, ":1: line 1 holds an invisible character at column 7, U+202F"));
    snprintf(text, sizeof(text), "a\xe2\x80\x83read %s\n", h);
    assert_int_equal(load_text(&t, text, why, sizeof(why)), -1);
    assert_non_null(strstr(why, ":1: line 1 holds an invisible character at column 2, U+2003 "
                                "(an en, em, thin, hair or other fixed-width space)"));
    snprintf(text, sizeof(text), "\xe2\x81\x9f" "a read %s\n", h);
    assert_int_equal(load_text(&t, text, why, sizeof(why)), -1);
    assert_non_null(strstr(why, ":1: line 1 holds an invisible character at column 1, U+205F"));
    /* a line separator was "the hash is not 64 hex digits" */
    snprintf(text, sizeof(text), "a read %s\xe2\x80\xa8\n", h);
    assert_int_equal(load_text(&t, text, why, sizeof(why)), -1);
    assert_non_null(strstr(why, ":1: line 1 holds an invisible character at column 72, U+2028 "
                                "(a line separator)"));
    /* a vertical tab (or a form feed) ending the line said "the hash is not
     * 64 hex digits", of a hash that was fine: the character is named */
    snprintf(text, sizeof(text), "a read %s\v\n", h);
    assert_int_equal(load_text(&t, text, why, sizeof(why)), -1);
    assert_non_null(strstr(why, ":1: the hash holds a vertical tab (byte 0x0B) at byte 65 of "
                                "it: remove it"));
    snprintf(text, sizeof(text), "a read %s\f\n", h);
    assert_int_equal(load_text(&t, text, why, sizeof(why)), -1);
    assert_non_null(strstr(why, ":1: the hash holds a form feed (byte 0x0C) at byte 65"));
    snprintf(text, sizeof(text), "a read nothex\n");
    assert_int_equal(load_text(&t, text, why, sizeof(why)), -1);
    assert_non_null(strstr(why, ":1: the hash is not 64 hex digits"));
    /* a note after the hash got "expected: NAME ROLE SHA256-HEX" alone */
    snprintf(text, sizeof(text), "a read %s # the ops laptop\n", h);
    assert_int_equal(load_text(&t, text, why, sizeof(why)), -1);
    assert_non_null(strstr(why, ":1: expected: NAME ROLE SHA256-HEX, then nothing: a comment "
                                "must be on its own line, beginning with '#'"));
    /* so is one without '#' (it got the short words alone) */
    snprintf(text, sizeof(text), "a read %s revoked-2026\n", h);
    assert_int_equal(load_text(&t, text, why, sizeof(why)), -1);
    assert_non_null(strstr(why, ":1: expected: NAME ROLE SHA256-HEX, then nothing: a comment "
                                "must be on its own line, beginning with '#'"));
    snprintf(text, sizeof(text), "a read %s\tthe ops laptop\n", h);
    assert_int_equal(load_text(&t, text, why, sizeof(why)), -1);
    assert_non_null(strstr(why, ":1: expected: NAME ROLE SHA256-HEX, then nothing: a comment "
                                "must be on its own line, beginning with '#'"));
    /* a name with a blank in it: no hash third, no note after one */
    snprintf(text, sizeof(text), "al ice read %s\n", h);
    assert_int_equal(load_text(&t, text, why, sizeof(why)), -1);
    assert_non_null(strstr(why, ":1: expected: NAME ROLE SHA256-HEX"));
    assert_null(strstr(why, "comment"));
    /* not in a comment, as the others; U+2030 is no space */
    snprintf(text, sizeof(text), "# \xc2\xa0\na read %s\n", h);
    assert_int_equal(load_text(&t, text, why, sizeof(why)), 0);
    tokens_free(&t);
    snprintf(text, sizeof(text), "a\xe2\x80\xb0 read %s\n", h);
    assert_int_equal(load_text(&t, text, why, sizeof(why)), -1);
    assert_non_null(strstr(why, ":1: name 'a\xe2\x80\xb0' is not"));
}

/* Only a regular file: a directory was "read error", a FIFO blocked the
 * start-up for ever (the open waits for a writer).  Its mode is kept for
 * the caller's warning. */
static void tokens_file_is_a_regular_file(void **state)
{
    (void)state;
    char why[300], dir[64], fifo[80];
    tokens t;
    snprintf(dir, sizeof(dir), "/tmp/civic-tokdir-XXXXXX");
    assert_non_null(mkdtemp(dir));
    assert_int_equal(tokens_load(&t, dir, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "Is a directory"));
    snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_int_equal(tokens_load(&t, fifo, why, sizeof(why)), -1); /* at once */
    assert_non_null(strstr(why, "not a regular file"));
    assert_int_equal(unlink(fifo), 0);
    assert_int_equal(rmdir(dir), 0);
    char h[SHA256_HEX_BYTES + 1], text[400];
    hex_of("mode-token-00000000", 19, h);
    snprintf(text, sizeof(text), "a read %s\n", h);
    assert_int_equal(load_text(&t, text, why, sizeof(why)), 0);
    assert_int_equal(t.mode, 0600); /* mkstemp's */
    tokens_free(&t);
}

static void bearer_header_gives_the_token(void **state)
{
    (void)state;
    size_t n = 0;
    const char *t = bearer_token("Bearer abc.def", &n);
    assert_non_null(t);
    assert_int_equal(n, 7);
    assert_memory_equal(t, "abc.def", 7);
    assert_non_null(bearer_token("bearer   tok  ", &n));
    assert_int_equal(n, 3);
    assert_null(bearer_token("Basic dXNlcjpwYXNz", &n));
    assert_null(bearer_token("Bearer", &n));
    assert_null(bearer_token("Bearer a b", &n));
    assert_null(bearer_token("Bearertok", &n));
    assert_null(bearer_token(NULL, &n));
}

static void json_strings_are_valid_utf8_whatever_the_input(void **state)
{
    (void)state;
    buf b = { 0 };
    json_strn(&b, "a\xff\xfe" "b\"\n\x01\xc3\xa9", 9);
    assert_string_equal(b.p, "\"a\xef\xbf\xbd\xef\xbf\xbd" "b\\\"\\n\\u0001\xc3\xa9\"");
    assert_true(utf8_valid(b.p, b.len));
    free(b.p);
    /* C1 controls escaped as C0 are (a log is read on a terminal); U+00A0 is text */
    buf c = { 0 };
    json_strn(&c, "\xc2\x9b" "1m\xc2\x80\xc2\xa0", 8);
    assert_string_equal(c.p, "\"\\u009b1m\\u0080\xc2\xa0\"");
    free(c.p);
    /* the access log's strings: format characters and the line and
     * paragraph separators escaped too (one past U+FFFF as a surrogate
     * pair); an answer's strings keep them as sent */
    const char *format = "\xe2\x80\xae" "a\xe2\x80\x8b\xe2\x81\xa6\xe2\x80\xa8\xe2\x80\xa9"
                         "\xef\xbb\xbf\xc2\xad\xd8\x80\xf3\xa0\x80\x81\xf0\x93\x90\xbf"
                         "\xc3\xa9\xc2\xa0\xe2\x80\xb0\n";
    buf d = { 0 };
    json_str_shown(&d, format);
    assert_string_equal(d.p, "\"\\u202ea\\u200b\\u2066\\u2028\\u2029\\ufeff\\u00ad\\u0600"
                             "\\udb40\\udc01\\ud80d\\udc3f\xc3\xa9\xc2\xa0\xe2\x80\xb0\\n\"");
    free(d.p);
    buf e = { 0 };
    json_str(&e, format);
    assert_non_null(strstr(e.p, "\xe2\x80\xae" "a\xe2\x80\x8b"));
    free(e.p);
    assert_false(utf8_valid("a\0b", 3));
    assert_false(utf8_valid("\xed\xa0\x80", 3));   /* a surrogate */
    assert_false(utf8_valid("\xc0\xaf", 2));       /* overlong */
    assert_false(utf8_valid("\xf4\x90\x80\x80", 4)); /* past U+10FFFF */
    assert_true(utf8_valid("\xe4\xb8\xad\xf0\x9f\x98\x80", 7));
}

static void expect_lines(const char *in, const char *want)
{
    buf out = { 0 };
    char why[200] = "";
    assert_int_equal(body_array_to_lines(in, strlen(in), &out, why, sizeof(why)), 0);
    assert_string_equal(out.p ? out.p : "", want);
    free(out.p);
}

static void json_arrays_become_one_element_per_line(void **state)
{
    (void)state;
    assert_true(body_is_json_array("\xef\xbb\xbf \n [", 7));
    assert_false(body_is_json_array(" {\"a\":1}", 8));
    expect_lines("[{\"id\":\"a\"},{\"id\":\"b\"}]", "{\"id\":\"a\"}\n{\"id\":\"b\"}\n");
    expect_lines("[\n  {\"id\": \"a,b]\",\n   \"x\": [1, 2]},\n  {\"id\": \"c\\\"]\"}\n]\n",
                 "{\"id\": \"a,b]\",    \"x\": [1, 2]}\n{\"id\": \"c\\\"]\"} \n");
    expect_lines("[]", ""); /* no element, no line: the answer's "lines" is 0 */
    expect_lines(" [ \n\t]\n", "");
    expect_lines("[{}]", "{}\n");
    buf out = { 0 };
    char why[200];
    assert_int_equal(body_array_to_lines("[{\"a\":1}", 8, &out, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "no closing"));
    assert_int_equal(body_array_to_lines("[{\"a\":1}] x", 11, &out, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "after the closing"));
    assert_int_equal(body_array_to_lines("[\"abc", 5, &out, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "unterminated"));
    free(out.p);
}

/* body_array_line: the line a whole JSON array opens on, for the hint to
 * send it as application/json (civic-server's post_events); 0 for a body
 * that is none, a CSV header beginning with '[' among them. */
static void json_arrays_are_found_on_their_line(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        uint64_t line;
    } cases[] = {
        { "[]", 1 },           { "[]\n", 1 },       { "[\"a\"]", 1 },
        { "[1]", 1 },          { " [ ]", 1 },        { "\xEF\xBB\xBF[{}]", 1 },
        { "\n\r\n [\n]\n", 3 }, { "[\"a\",\n\"b\"]", 1 },
        { "", 0 },             { "a", 0 },           { "[x,id,subject\n", 0 },
        { "[] x", 0 },         { "[\"a", 0 },       { "[,]", 0 },
        { "id,subject,type,ts\n", 0 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint64_t got = body_array_line(cases[i].in, strlen(cases[i].in));
        if (got != cases[i].line)
            fail_msg("\"%s\": line %llu, not %llu", cases[i].in, (unsigned long long)got,
                     (unsigned long long)cases[i].line);
    }
}

static void expect_array_error(const char *in, const char *what)
{
    buf out = { 0 };
    char why[200] = "";
    assert_int_equal(body_array_to_lines(in, strlen(in), &out, why, sizeof(why)), -1);
    if (!strstr(why, what)) fail_msg("%s: \"%s\" lacks \"%s\"", in, why, what);
    free(out.p);
}

/* curl -d removes a body's line breaks: a CSV log becomes one line, a
 * header at most; JSON Lines becomes objects one after another. */
static void lines_joined_by_curl_data_are_told(void **state)
{
    (void)state;
    static const char *const joined[] = {
        "id,subject,type,ts,qtyx1,s,volunteer_hour,2025-03-04,4",
        "id,subject,type,ts",                       /* a header alone: no event */
        "\xef\xbb\xbf  id,subject,type,ts",
        "# civic rules[scheme]base = 1000",           /* a rules file, comment first */
        "{\"id\":\"a\"}{\"id\":\"b\"}",
        " {\"id\":\"a\",\"x\":{\"y\":\"}\"}}  {\"id\":\"b\"}", /* a '}' in a string, nested */
    };
    static const char *const not_joined[] = {
        "",
        "   ",
        "{\"id\":\"a\",\"subject\":\"s\"}",    /* one event needs no line break */
        "{\"id\":\"a\"} ",
        "{\"id\":\"a\"} x",                        /* an error of its own */
        "{\"id\":\"a\"",                           /* never closed: one object */
        "[{\"id\":\"a\"},{\"id\":\"b\"}]",     /* an array needs no line break */
        "qty=5&id=x1",                                  /* a form's fields */
        "events=[{\"id\":\"a\"},{\"id\":\"b\"}]",
        "id,subject,type,ts\nx1,s,recycling,2025-03-04",
        "id,subject,type,ts\rx1,s,recycling,2025-03-04",
        "{\"id\":\"a\"}\n{\"id\":\"b\"}",
    };
    for (size_t i = 0; i < sizeof(joined) / sizeof(joined[0]); i++)
        if (!body_lines_joined(joined[i], strlen(joined[i]))) fail_msg("not told: %s", joined[i]);
    for (size_t i = 0; i < sizeof(not_joined) / sizeof(not_joined[0]); i++)
        if (body_lines_joined(not_joined[i], strlen(not_joined[i])))
            fail_msg("told: %s", not_joined[i]);
}

static void json_arrays_that_are_not_valid_json_are_refused(void **state)
{
    (void)state;
    expect_array_error("[{\"id\":\"a\"}}", "'}' without its '{' in element 1");
    expect_array_error("[,{\"id\":\"a\"}]", "element 1 of the JSON array is empty");
    expect_array_error("[{\"id\":\"a\"},,{\"id\":\"b\"}]", "element 2 of the JSON array is empty");
    expect_array_error("[{\"id\":\"a\"},]", "element 2 of the JSON array is empty");
    expect_array_error("[{\"id\":\"a\"},{\"x\":[1}]", "'}' closes a '[' in element 2");
    expect_array_error("[{\"x\":{]}]", "']' closes a '{' in element 1");
    char deep[200];
    memset(deep, '[', sizeof(deep) - 1);
    deep[sizeof(deep) - 1] = '\0';
    expect_array_error(deep, "nested too deeply");
    /* the element's object and 64 levels inside it, as a JSON line may hold */
    char nest[300];
    for (int extra = 0; extra <= 1; extra++) {
        size_t n = (size_t)snprintf(nest, sizeof(nest), "[{\"x\":");
        for (int i = 0; i < 64 + extra; i++) nest[n++] = '[';
        for (int i = 0; i < 64 + extra; i++) nest[n++] = ']';
        memcpy(nest + n, "}]", 3);
        if (extra) {
            expect_array_error(nest, "element 1 of the JSON array is nested too deeply");
        } else {
            buf out = { 0 };
            char why[200] = "";
            assert_int_equal(body_array_to_lines(nest, strlen(nest), &out, why, sizeof(why)), 0);
            free(out.p);
        }
    }
    /* brackets and commas inside strings are text */
    expect_lines("[{\"id\":\"}]\"},{\"id\":\",,\"}]", "{\"id\":\"}]\"}\n{\"id\":\",,\"}\n");
}

static void expect_source(bool csv, const char *in, const char *want)
{
    buf out = { 0 };
    if (csv) body_source_csv(in, strlen(in), "ingest", &out);
    else body_source_jsonl(in, strlen(in), "ingest", &out);
    assert_string_equal(out.p ? out.p : "", want);
    free(out.p);
}

static void csv_without_source_gains_the_column(void **state)
{
    (void)state;
    expect_source(true, "id,subject,type,ts\ne1,s,x,1\ne2,s,x,2\n",
                  "id,subject,type,ts,source\ne1,s,x,1,ingest\ne2,s,x,2,ingest\n");
    expect_source(true, "id,subject\r\ne1,s\r\n\r\ne2,\"a\nb\"",
                  "id,subject,source\r\ne1,s,ingest\r\n\r\ne2,\"a\nb\",ingest");
    expect_source(true, "id,subject", "id,subject,source");
}

static void csv_with_source_fills_only_empty_cells(void **state)
{
    (void)state;
    expect_source(true, "id,source,ts\ne1,,1\ne2,dept,2\ne3,\"\",3\n",
                  "id,source,ts\ne1,ingest,1\ne2,dept,2\ne3,\"\",3\n");
    expect_source(true, "id,ts,\"source\"\ne1,1,\ne2,2,x\ne3,3,",
                  "id,ts,\"source\"\ne1,1,ingest\ne2,2,x\ne3,3,ingest");
    /* header names in any case, blanks around them ignored, as the load reads them */
    expect_source(true, "id,Source\ne1,\n", "id,Source\ne1,ingest\n");
    expect_source(true, "id, SOURCE \r\ne1,\r\n", "id, SOURCE \r\ne1,ingest\r\n");
    expect_source(true, "id,\" Source\"\ne1,\n", "id,\" Source\"\ne1,ingest\n");
    expect_source(true, "id,sources\ne1,x\n", "id,sources,source\ne1,x,ingest\n");
}

static void json_objects_without_source_gain_the_key(void **state)
{
    (void)state;
    /* an empty object stays as it is: refused for its missing id all the same */
    expect_source(false, "{\"id\":\"a\"}\n\n{\"id\":\"b\",\"source\":\"dept\"}\n{}\n{ }x\n",
                  "{\"source\":\"ingest\",\"id\":\"a\"}\n\n{\"id\":\"b\",\"source\":\"dept\"}\n"
                  "{}\n{ }x\n");
    /* a nested "source" key is not the event's */
    expect_source(false, "{\"x\":{\"source\":1},\"id\":\"a\"}",
                  "{\"source\":\"ingest\",\"x\":{\"source\":1},\"id\":\"a\"}");
    expect_source(false, "not json\n", "not json\n");
    /* the key as an encoder may escape it is the same key; one that only
     * starts like it is another */
    expect_source(false, "{\"id\":\"a\",\"sour\\u0063e\":\"dept\"}\n",
                  "{\"id\":\"a\",\"sour\\u0063e\":\"dept\"}\n");
    expect_source(false, "{\"\\u0073ource\":null}\n", "{\"\\u0073ource\":\"ingest\"}\n");
    /* null is no source; "" is one given as empty and stays, as a CSV cell
     * written "" does: the event is the same whichever way it is sent */
    expect_source(false, "{\"id\":\"a\",\"source\":null}\n{\"id\":\"b\",\"source\": \"\"}\n",
                  "{\"id\":\"a\",\"source\":\"ingest\"}\n{\"id\":\"b\",\"source\": \"\"}\n");
    expect_source(false, "{\"sources\":\"x\",\"sour\\u0063\":1}\n",
                  "{\"source\":\"ingest\",\"sources\":\"x\",\"sour\\u0063\":1}\n");
    /* a byte-order mark before the first object, as the load skips it */
    expect_source(false, "\xef\xbb\xbf{\"id\":\"a\"}\n{\"id\":\"b\"}\n",
                  "\xef\xbb\xbf{\"source\":\"ingest\",\"id\":\"a\"}\n"
                  "{\"source\":\"ingest\",\"id\":\"b\"}\n");
}

/* An error in a body the server gave a source is told as the body was sent:
 * the load of the rewritten text, its error told again by
 * body_error_as_sent, says what a load of the text as sent says (line,
 * column, message), as civic-score would print it. */
static const char *const SOURCE_RULES =
    "[[grade]]\nname = \"A\"\nmin = 0\n[[grade]]\nname = \"D\"\n[rule.fine]\npoints = -10\n";

/* The error of loading text[0..len) after `before` (NULL: nothing). */
static void load_error_after(const char *before, const char *text, size_t len, uint32_t format,
                             civic_error *err)
{
    civic_rules *r = NULL;
    assert_int_equal(civic_rules_parse(&r, SOURCE_RULES, strlen(SOURCE_RULES), NULL, NULL),
                     CIVIC_OK);
    civic_engine *e = NULL;
    assert_int_equal(civic_engine_new(&e, r, NULL), CIVIC_OK);
    civic_load_options opts = CIVIC_LOAD_OPTIONS_INIT;
    opts.format = format;
    if (before)
        assert_int_equal(civic_engine_load(e, before, strlen(before), &opts, NULL, NULL), CIVIC_OK);
    assert_int_not_equal(civic_engine_load(e, text, len, &opts, NULL, err), CIVIC_OK);
    civic_engine_free(e);
    civic_rules_free(r);
}

static void load_error(const char *text, size_t len, uint32_t format, civic_error *err)
{
    load_error_after(NULL, text, len, format, err);
}

/* body_error_as_sent under SOURCE_RULES. */
static void error_as_sent(const char *in, const buf *out, bool csv, civic_error *err)
{
    civic_rules *r = NULL;
    assert_int_equal(civic_rules_parse(&r, SOURCE_RULES, strlen(SOURCE_RULES), NULL, NULL),
                     CIVIC_OK);
    body_error_as_sent(r, in, strlen(in), out->p, out->len, csv, err);
    civic_rules_free(r);
}

static void expect_error_as_sent(bool csv, const char *in)
{
    uint32_t format = csv ? CIVIC_FORMAT_CSV : CIVIC_FORMAT_JSONL;
    civic_error want = CIVIC_ERROR_INIT, got = CIVIC_ERROR_INIT;
    load_error(in, strlen(in), format, &want);
    buf out = { 0 };
    if (csv) body_source_csv(in, strlen(in), "ingest", &out);
    else body_source_jsonl(in, strlen(in), "ingest", &out);
    load_error(out.p, out.len, format, &got);
    error_as_sent(in, &out, csv, &got);
    free(out.p);
    if (got.line != want.line || got.column != want.column || strcmp(got.message, want.message))
        fprintf(stderr, "sent: %s\nwant %llu:%u %s\n got %llu:%u %s\n", in,
                (unsigned long long)want.line, want.column, want.message,
                (unsigned long long)got.line, got.column, got.message);
    assert_int_equal(got.code, want.code);
    assert_int_equal(got.line, want.line);
    assert_int_equal(got.column, want.column);
    assert_string_equal(got.message, want.message);
}

static void errors_in_a_sourced_body_name_the_body_as_sent(void **state)
{
    (void)state;
    /* JSON: the key went in after '{', or in place of "" or null */
    expect_error_as_sent(false, "{\"id\":\"t1\",\"subject\":\"u\",\"type\":\"bogus\",\"ts\":\"2025-01-06\"}\n");
    expect_error_as_sent(false, "{\"id\":\"t1\",\"subject\":\"u\",\"type\":\"fine\",\"ts\":\"2025-01-06\"}\n"
                                "  { \"id\":\"t2\",\"subject\":\"u\",\"type\":\"fine\",\"ts\":\"2025-13-06\"}\n");
    expect_error_as_sent(false, "{\"source\":null,\"id\":\"t1\",\"subject\":\"u\",\"type\":\"fine\",\"ts\":\"x\"}\n");
    expect_error_as_sent(false, "{\"id\":\"t1\",\"source\":\"\",\"subject\":\"u\",\"type\":\"fine\",\"ts\":\"2025-01-01\",}\n");
    expect_error_as_sent(false, "\xef\xbb\xbf{\"id\":\"t1\",\"subject\":\"u\",\"type\":\"fine\",\"ts\":1e50}\n");
    expect_error_as_sent(false, "{\"id\":\"t1\",\"subject\":\"u\",\"type\":\"fine\"}\n"); /* no column */
    /* CSV: a column more in the header and each record, or a cell filled */
    expect_error_as_sent(true, "id,subject,type,ts\nt1,u,fine,2025-01-01,extra\n");
    expect_error_as_sent(true, "id,subject,type,ts\r\nt1,u,fine\r\n");
    expect_error_as_sent(true, "id,subject,type,ts\nt1,u,fine,2025-01-01\nt2,u,bogus,2025-01-01\n");
    expect_error_as_sent(true, "id,source,subject,type,ts\nt1,,u,fine,2025-02-30\n");
    expect_error_as_sent(true, "id,subject,type,ts,source\nt1,u,fine,2025-01-01,\nt2,u,fine,\"2025-01-0\"x,\n");
    /* found by a review: the first key's quote right after '{'; a byte-order
     * mark (the load counts line 1 after it); a record of carriage returns
     * (given no field); a lone CR's column in a filled row; a header over two
     * lines; more than 1,024 fields */
    expect_error_as_sent(false, "{\"ID\":1}\n");
    expect_error_as_sent(false, "{\"Source\":\"\"}\n");
    expect_error_as_sent(false, "\xef\xbb\xbf{1:2}\n");
    expect_error_as_sent(false, "\xef\xbb\xbf{\"ID\":1}");
    expect_error_as_sent(false, "\xef\xbb\xbf{\"id\":\"a\",\"subject\":\"u\",\"type\":\"fine\",\"ts\":\"2025-01-01\",\"source\":null\n");
    expect_error_as_sent(false, "\xef\xbb\xbf{\"id\":\"a\",\"subject\":\"u\",\"type\":\"fine\",\"ts\":\"2025-01-01\",\"source\":\"\"x}\n");
    expect_error_as_sent(true, "id,subject,type,ts\n\r\r\n");
    expect_error_as_sent(true, "id,source,subject,type,ts\nc1,,u,fine,2025-01-01\rc2,,u,fine,2025-01-01\n");
    expect_error_as_sent(true, "id,subject,type,ts\nc1,u,fine,2025-01-01\rc2,u,fine,2025-01-01\n");
    expect_error_as_sent(true, "id,subject,type,ts,\"a\nb\"\nd1,u,fine,2025-01-01,x,y\n");
    expect_error_as_sent(true, "\xef\xbb\xbfid,subject,type,\"t\"s\n");
    /* an empty object followed by text (refused for the text after it, at
     * the column of the body as sent); records joined by a lone CR after a
     * closing quote (the hint counts the fields of the records as sent) */
    expect_error_as_sent(false, "{}{\"id\":\"e1\",\"subject\":\"s\",\"type\":\"fine\",\"ts\":\"2025-01-01\"}\n");
    expect_error_as_sent(false, "{\"id\":\"e0\",\"subject\":\"s\",\"type\":\"fine\",\"ts\":\"2025-01-01\"}\n { }x\n");
    expect_error_as_sent(true, "id,subject,type,ts,group\nc1,s,fine,2025-01-01,\"a,b\"\rc2,s,fine,2025-01-01,\n");
    expect_error_as_sent(true, "id,subject,type,ts,group\nc0,s,fine,2025-01-01,\"a\nb\"\rc2,s,fine,2025-01-01,\n");
    expect_error_as_sent(true, "id,subject,type,ts\nc1,s,fine,\"2025-01-01\"\rc2,s,fine,2025-01-01\rc3,s,fine,2025-01-01\n");
    expect_error_as_sent(true, "id,subject,type,ts,group\nc1,s,fine,2025-01-01,x\rc2,s,fine,2025-01-01,\"a\nb\"x\n");
    expect_error_as_sent(true, "id,subject,type,ts,group\r\nc1,s,fine,2025-01-01,\"a\"\rc2,s,fine,2025-01-01,\r\n");
    /* a stray quote in an unquoted field opens no quoted field, so the
     * record ends at its line feed, and a CR before a line feed is CRLF's:
     * no carriage-return hint for a CRLF file */
    expect_error_as_sent(true, "id,subject,type,ts\r\nq2,r1,neighbour_help,2024-01-01T00:00:00Z\"\r\n"
                               "q3,r1,neighbour_help,2024-01-01T00:00:00Z\r\n");
    expect_error_as_sent(true, "id,subject,type,ts\nq2,r1,neighbour_help,20\"24\r\n"
                               "q3,r1,neighbour_help,2024\r\nq4,r\"1,x,y\n");
    /* a header whose quote never closes: the body is left as sent, since
     * a column added after its last line feed counts one line more */
    expect_error_as_sent(true, "id,subject,type,ts,\"qty\n");
    expect_error_as_sent(true, "id,subject,\"type,ts,qty,group,ref\ne1,r1,neighbour_help,"
                               "2024-01-01T00:00:00Z,,g,\n");
    expect_error_as_sent(true, "id,subject,\"type,ts\r\ne1,r1,x,y\r\n");
    /* where a quoted field over two lines opened, in a row whose empty
     * source cell before it was filled, or which gained the column (the
     * opening line is not the error's) */
    expect_error_as_sent(true, "id,source,subject,type,ts\nq1,,\"r\n1\"x,neighbour_help,"
                               "2024-01-01T00:00:00Z\n");
    expect_error_as_sent(true, "id,source,subject,type,ts\nq1,,\"r\n1\",\"x\ny\"z,neighbour_help,"
                               "2024-01-01T00:00:00Z\n");
    expect_error_as_sent(true, "id,subject,type,ts\nq1,\"r\n1\"x,neighbour_help,2024-01-01T00:00:00Z\n");
    char wide[4200] = "id,subject,type,ts\nw1,u,fine,2025-01-01";
    for (int k = 0; k < 1100; k++) strcat(wide, ",x");
    strcat(wide, "\n");
    expect_error_as_sent(true, wide);
}

/* An error that comes of what the engine holds, which a load of the body
 * as sent in an engine of its own does not give: an id held with another
 * source.  Its column is moved back to the body as sent, checked against a
 * load of the body as sent after the event held with the token's source
 * (the same conflict, "a different source", on the line as sent). */
static void expect_conflict_as_sent(bool csv, const char *held_other, const char *held_ingest,
                                    const char *in)
{
    uint32_t format = csv ? CIVIC_FORMAT_CSV : CIVIC_FORMAT_JSONL;
    civic_error want = CIVIC_ERROR_INIT, got = CIVIC_ERROR_INIT;
    load_error_after(held_ingest, in, strlen(in), format, &want);
    assert_int_equal(want.code, CIVIC_E_CONFLICT);
    buf out = { 0 };
    if (csv) body_source_csv(in, strlen(in), "ingest", &out);
    else body_source_jsonl(in, strlen(in), "ingest", &out);
    load_error_after(held_other, out.p, out.len, format, &got);
    assert_int_equal(got.code, CIVIC_E_CONFLICT);
    error_as_sent(in, &out, csv, &got);
    free(out.p);
    assert_int_equal(got.line, want.line);
    assert_int_equal(got.column, want.column);
    /* the same words up to the two values, which are the engine's: the
     * source held and the one the token put in */
    const char *field = strstr(want.message, "different source");
    assert_non_null(field);
    size_t same = (size_t)(field - want.message) + strlen("different source");
    assert_memory_equal(got.message, want.message, same);
    assert_string_equal(got.message + same, ": \"other\" before, \"ingest\" here");
}

static void errors_of_the_engine_state_name_the_body_as_sent(void **state)
{
    (void)state;
    expect_conflict_as_sent(false,
                            "{\"id\":\"t1\",\"subject\":\"u\",\"type\":\"fine\",\"ts\":\"2025-01-06\",\"source\":\"other\"}\n",
                            "{\"id\":\"t1\",\"subject\":\"u\",\"type\":\"fine\",\"ts\":\"2025-01-06\",\"source\":\"ingest\"}\n",
                            "{\"id\":\"t0\",\"subject\":\"u\",\"type\":\"fine\",\"ts\":\"2025-01-05\"}\n"
                            "  {\"id\":\"t1\",\"subject\":\"u\",\"type\":\"fine\",\"ts\":\"2025-01-06\"}\n");
    expect_conflict_as_sent(true, "id,subject,type,ts,source\nt1,u,fine,2025-01-06,other\n",
                            "id,subject,type,ts,source\nt1,u,fine,2025-01-06,ingest\n",
                            "source,subject,id,type,ts\n,u,t0,fine,2025-01-05\n,u,t1,fine,2025-01-06\n");
}

/* A record within 1 MiB as sent that the source put in takes past it: the
 * load of the rewrite is refused, that of the body as sent is not, so the
 * message says what passed the limit (it said only "record longer than
 * 1 MiB", of bytes civic-score takes). */
/* A load of the rewritten body that ran out of memory is not told again
 * (it has no line, and loading the body as sent would want memory too):
 * its reason stays, not the empty one of a load never made. */
static void out_of_memory_in_a_sourced_body_keeps_its_reason(void **state)
{
    (void)state;
    const char *in = "id,subject,type,ts\nf1,a,fine,2025-01-01\n";
    buf out = { 0 };
    body_source_csv(in, strlen(in), "ingest", &out);
    civic_error err = CIVIC_ERROR_INIT;
    err.code = CIVIC_E_NOMEM;
    snprintf(err.message, sizeof(err.message), "out of memory");
    error_as_sent(in, &out, true, &err);
    free(out.p);
    assert_int_equal(err.code, CIVIC_E_NOMEM);
    assert_string_equal(err.message, "out of memory");
    /* with no rules to load it again either (the body budget was spent) */
    civic_error bare = CIVIC_ERROR_INIT;
    bare.code = CIVIC_E_NOMEM;
    snprintf(bare.message, sizeof(bare.message), "out of memory");
    body_error_as_sent(NULL, in, strlen(in), in, strlen(in), true, &bare);
    assert_string_equal(bare.message, "out of memory");
}

static void a_limit_passed_by_the_source_says_so(void **state)
{
    (void)state;
    for (int k = 0; k < 4; k++) {
        int csv = k & 1, later_error = k >> 1; /* and a bad record after it (a review: the
                                                  text was missing then) */
        size_t room = ((size_t)1 << 20) - 2; /* the line as sent, within 1 MiB */
        buf in = { 0 };
        if (csv) buf_puts(&in, "id,subject,type,ts,note\ne1,u,fine,2025-01-01,");
        else buf_puts(&in, "{\"id\":\"e1\",\"subject\":\"u\",\"type\":\"fine\",\"ts\":\"2025-01-01\",\"x\":\"");
        size_t line_start = csv ? strlen("id,subject,type,ts,note\n") : 0;
        while (in.len - line_start < room - (csv ? 0 : 2)) buf_put(&in, "g", 1);
        if (!csv) buf_puts(&in, "\"}");
        buf_puts(&in, "\n");
        if (later_error && csv) buf_puts(&in, "e2,u,fine,2025-13-01,\n");
        if (later_error && !csv)
            buf_puts(&in, "{\"id\":\"e2\",\"subject\":\"u\",\"type\":\"fine\",\"ts\":\"2025-13-01\"}\n");
        civic_error err = CIVIC_ERROR_INIT;
        char *text = malloc(in.len + 1);
        assert_non_null(text);
        memcpy(text, in.p, in.len);
        text[in.len] = '\0';
        /* as sent it loads, or fails only later (the long field is one no
         * event field takes) */
        uint32_t format = csv ? CIVIC_FORMAT_CSV : CIVIC_FORMAT_JSONL;
        buf out = { 0 };
        if (csv) body_source_csv(text, in.len, "ingest", &out);
        else body_source_jsonl(text, in.len, "ingest", &out);
        load_error(out.p, out.len, format, &err);
        assert_int_equal(err.code, CIVIC_E_LIMIT);
        error_as_sent(text, &out, csv, &err);
        assert_int_equal(err.line, csv ? 2 : 1);
        assert_non_null(strstr(err.message, "1 MiB (with the source the service adds for the "
                                            "token)"));
        free(out.p);
        free(text);
        free(in.p);
    }
}

/* Bodies the rewrite must pass as the load reads them: a quote never closed
 * in the header (it looped for ever: one request held a thread), blank lines
 * before the header, an empty body (each was refused). */
static void the_source_rewrite_reads_csv_as_the_load_does(void **state)
{
    (void)state;
    expect_source(true, "\"", "\"");
    expect_source(true, "id,\"subject", "id,\"subject");
    expect_source(true, "id,\"subject\ne1,s\n", "id,\"subject\ne1,s\n");
    expect_source(true, "a\"b,\"c\n", "a\"b,\"c\n"); /* the stray quote opens nothing */
    /* nor in a record: the lines after it still gain the source (the load
     * refuses the stray quote on its own line); "" inside quotes stays in */
    expect_source(true, "id,subject\ne1,s\"x\ne2,s\n", "id,subject,source\ne1,s\"x,ingest\n"
                  "e2,s,ingest\n");
    expect_source(true, "id,subject\ne1,\"a\"\"b\nc\"\ne2,s\n",
                  "id,subject,source\ne1,\"a\"\"b\nc\",ingest\ne2,s,ingest\n");
    expect_source(true, "id,subject\ne1,\"a\"\"\"\ne2,s\n",
                  "id,subject,source\ne1,\"a\"\"\",ingest\ne2,s,ingest\n");
    expect_source(true, "", "");
    expect_source(true, "\n\r\n", "\n\r\n");
    expect_source(true, "\nid,subject\ne1,s\n", "\nid,subject,source\ne1,s,ingest\n");
    expect_source(true, "\r\n\xef\xbb\xbfid\ne1\n", "\r\n\xef\xbb\xbfid,source\ne1,ingest\n");
    assert_int_equal(log_format_of("\xef\xbb\xbf {\"id\":1}", 12), CIVIC_FORMAT_JSONL);
    assert_int_equal(log_format_of("\n\n", 2), CIVIC_FORMAT_CSV); /* not read past its end */
    assert_int_equal(log_format_of("id,x", 4), CIVIC_FORMAT_CSV);
}


static addr_key key_of_text(const char *text)
{
    struct sockaddr_in a4;
    struct sockaddr_in6 a6;
    memset(&a4, 0, sizeof(a4));
    memset(&a6, 0, sizeof(a6));
    if (inet_pton(AF_INET, text, &a4.sin_addr) == 1) {
        a4.sin_family = AF_INET;
        return guard_address_key((const struct sockaddr *)&a4);
    }
    assert_int_equal(inet_pton(AF_INET6, text, &a6.sin6_addr), 1);
    a6.sin6_family = AF_INET6;
    return guard_address_key((const struct sockaddr *)&a6);
}

static bool same_address(const char *a, const char *b)
{
    addr_key x = key_of_text(a), y = key_of_text(b);
    return x.family == y.family && memcmp(x.bytes, y.bytes, sizeof(x.bytes)) == 0;
}

/* One client holds a whole IPv6 /64 (a host picks any address in it at
 * will): keyed by its full 128 bits, the per-address limits and shares of
 * the budgets were each one client's to multiply.  An IPv4-mapped address
 * (::ffff:a.b.c.d) is that IPv4 address. */
static void an_ipv6_client_address_is_its_64_prefix(void **state)
{
    (void)state;
    assert_true(same_address("2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:fffe"));
    assert_false(same_address("2001:db8:1:2::1", "2001:db8:1:3::1"));
    assert_true(same_address("::ffff:192.0.2.7", "192.0.2.7"));
    assert_false(same_address("::ffff:192.0.2.7", "::ffff:192.0.2.8"));
    assert_false(same_address("192.0.2.7", "192.0.2.8"));
    assert_false(same_address("::1", "192.0.2.7"));
}

/* One document: valid or not, and where the first bad byte is. */
static void expect_json(const char *doc, size_t len, bool valid, size_t at)
{
    size_t got = (size_t)-1;
    bool ok = json_valid(doc, len, &got);
    if (ok != valid || (!valid && got != at))
        fail_msg("json_valid(\"%.*s\"): %s at %zu, wanted %s at %zu", (int)(len > 60 ? 60 : len),
                 doc, ok ? "valid" : "invalid", got, valid ? "valid" : "invalid", at);
}
#define JSON_OK(doc) expect_json(doc, sizeof(doc) - 1, true, 0)
#define JSON_BAD(doc, at) expect_json(doc, sizeof(doc) - 1, false, at)

static void json_valid_takes_every_kind_of_value(void **state)
{
    (void)state;
    JSON_OK("{}");
    JSON_OK(" [ ] ");
    JSON_OK("\t\r\n{\"openapi\": \"3.1.0\", \"a\": [1, -0, 2.5, -2.5e+3, 1E-2, 0.0e0, true, "
            "false, null, {\"\": {}}, \"\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9 \\uD83D\\uDE00\"]}\n");
    JSON_OK("\"h\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");
    JSON_OK("0");
    JSON_OK("-12345678901234567890123");
    JSON_OK("null");
}

static void json_valid_names_the_first_bad_byte(void **state)
{
    (void)state;
    JSON_BAD("", 0);
    JSON_BAD("   ", 3);
    JSON_BAD("{", 1);
    JSON_BAD("{\"a\"}", 4);
    JSON_BAD("{\"a\":1,}", 7);
    JSON_BAD("[1,]", 3);
    JSON_BAD("[1 2]", 3);
    JSON_BAD("{a:1}", 1);
    JSON_BAD("01", 1);
    JSON_BAD("1.", 2);
    JSON_BAD(".5", 0);
    JSON_BAD("-", 1);
    JSON_BAD("1e", 2);
    JSON_BAD("+1", 0);
    JSON_BAD("tru", 0);
    JSON_BAD("nul", 0);
    JSON_BAD("NaN", 0);
    JSON_BAD("\"a\x01\"", 2);
    JSON_BAD("\"\\q\"", 1);
    JSON_BAD("\"\\u12\"", 1);
    JSON_BAD("\"\xff\"", 1);
    JSON_BAD("\"\xc3\"", 1);
    JSON_BAD("\"abc", 4);
    JSON_BAD("[1] x", 4);
    JSON_BAD("{} {}", 3);
    JSON_BAD("openapi: 3.1.0", 0);
    JSON_BAD("{\"a\":1}\0", 7);
}

/* Nesting at the bound, and one past it (the checker recurses). */
static void json_valid_bounds_the_nesting(void **state)
{
    (void)state;
    char doc[2 * (JSON_DEPTH_MAX + 1) + 1];
    for (size_t depth = JSON_DEPTH_MAX - 1; depth <= JSON_DEPTH_MAX + 1; depth++) {
        memset(doc, '[', depth);
        memset(doc + depth, ']', depth);
        size_t at = 0;
        bool ok = json_valid(doc, 2 * depth, &at);
        assert_int_equal(ok, depth <= JSON_DEPTH_MAX);
        if (!ok) assert_int_equal(at, JSON_DEPTH_MAX);
    }
}

/* A key made the last of an object (a warning after an answer's keys):
 * before its '}', with or without the line feed after it, in an empty
 * object too; nothing happens to what holds no object's end. */
static void json_last_key_goes_before_the_brace(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        { "{\"a\":1}\n", "{\"a\":1,\"w\":\"x \\\"y\\\"\"}\n" },
        { "{\"a\":[\n]}", "{\"a\":[\n],\"w\":\"x \\\"y\\\"\"}" },
        { "{}\n", "{\"w\":\"x \\\"y\\\"\"}\n" },
        { "[1]\n", "[1]\n" },
        { "}", "}" },
        { "", "" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        buf b = { 0 };
        buf_puts(&b, cases[i][0]);
        json_last_key(&b, "w", "x \"y\"");
        buf_put(&b, "", 1);
        assert_false(b.oom);
        assert_string_equal(b.p, cases[i][1]);
        free(b.p);
    }
    char room[12]; /* an answer made on the stack: what does not fit is oom */
    buf b = buf_over(room, sizeof(room));
    buf_puts(&b, "{\"a\":1}");
    json_last_key(&b, "w", "x");
    assert_true(b.oom);
}

/* Made for these tests (python cryptography): notBefore 2020-01-01, notAfter
 * 2021-01-01T12:30:15Z, both UTCTime; and notBefore 2049-01-01 (UTCTime),
 * notAfter 2051-06-30T23:59:59Z (GeneralizedTime, as from 2050 on). */
static const char expired_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBFjCBvKADAgECAgIwOTAKBggqhkjOPQQDAjAUMRIwEAYDVQQDDAkxMjcuMC4w\n"
    "LjEwHhcNMjAwMTAxMDAwMDAwWhcNMjEwMTAxMTIzMDE1WjAUMRIwEAYDVQQDDAkx\n"
    "MjcuMC4wLjEwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAQwGOS6Pm3wVkTH0rw7\n"
    "qMu0mVNd+uB+lUoOe4quyh+etnln6EE6/iU0tD91sQmsZuGRphEApYIuNepDIOsL\n"
    "7QRfMAoGCCqGSM49BAMCA0kAMEYCIQCgwJa/GtGMSs84tymLQ8vM9QcgyRL0q3W/\n"
    "0bkbffFKogIhAJnxa4rdKj/yqVVEDMYRFAYwM8LDTk9wlea4Ha1PlRQ2\n"
    "-----END CERTIFICATE-----\n";
static const char future_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBGDCBvqADAgECAgIwOTAKBggqhkjOPQQDAjAUMRIwEAYDVQQDDAkxMjcuMC4w\n"
    "LjEwIBcNNDkwMTAxMDAwMDAwWhgPMjA1MTA2MzAyMzU5NTlaMBQxEjAQBgNVBAMM\n"
    "CTEyNy4wLjAuMTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABOmqhD011G/7duVi\n"
    "NdC7B8CIn/VVThcwgswwHd+bvdjBag1oLak73HvCGmr1ztde9WA29AXyNx8ViWiL\n"
    "9bQqXf8wCgYIKoZIzj0EAwIDSQAwRgIhAN5sxH343S3fCtwLlmG5jBMztmmlYT/v\n"
    "UvrvXnq46KhQAiEAgE26Eenae0TNzfwbQgywTpj6IKh+GGSMa1tC5K4ikA0=\n"
    "-----END CERTIFICATE-----\n";

static void cert_validity_reads_both_time_forms(void **state)
{
    (void)state;
    int64_t nb = 0, na = 0;
    assert_int_equal(cert_validity(expired_pem, strlen(expired_pem), &nb, &na), 0);
    assert_int_equal(nb, 1577836800); /* 2020-01-01T00:00:00Z */
    assert_int_equal(na, 1609504215); /* 2021-01-01T12:30:15Z */
    assert_int_equal(cert_validity(future_pem, strlen(future_pem), &nb, &na), 0);
    assert_int_equal(nb, 2493072000); /* 2049-01-01T00:00:00Z */
    assert_int_equal(na, 2571782399); /* 2051-06-30T23:59:59Z */
    /* a chain: the first certificate's; text before the block is skipped */
    char two[sizeof(expired_pem) + sizeof(future_pem) + 16];
    snprintf(two, sizeof(two), "# leaf\n%s%s", future_pem, expired_pem);
    assert_int_equal(cert_validity(two, strlen(two), &nb, &na), 0);
    assert_int_equal(na, 2571782399);
}

/* Whatever it cannot read is "cannot tell" (-1), every cut of the file
 * included, without reading past it (valgrind, ASan). */
static void cert_validity_gives_up_on_what_it_cannot_read(void **state)
{
    (void)state;
    int64_t nb, na;
    assert_int_equal(cert_validity("", 0, &nb, &na), -1);
    assert_int_equal(cert_validity("hello", 5, &nb, &na), -1);
    const char *key = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0w\n"
                      "-----END PRIVATE KEY-----\n";
    assert_int_equal(cert_validity(key, strlen(key), &nb, &na), -1);
    const char *bad64 = "-----BEGIN CERTIFICATE-----\nMIIB*FjCB\n-----END CERTIFICATE-----\n";
    assert_int_equal(cert_validity(bad64, strlen(bad64), &nb, &na), -1);
    size_t n = strlen(expired_pem);
    for (size_t cut = 0; cut < n - strlen("-----END CERTIFICATE-----\n"); cut++) {
        char *p = malloc(cut ? cut : 1);
        assert_non_null(p);
        memcpy(p, expired_pem, cut);
        assert_int_equal(cert_validity(p, cut, &nb, &na), -1);
        free(p);
    }
    /* a byte of the DER changed: the first tag is no SEQUENCE ("MI" -> "NI") */
    char *p = strdup(expired_pem);
    assert_non_null(p);
    p[28] = 'N';
    assert_int_equal(cert_validity(p, n, &nb, &na), -1);
    free(p);
}

static double seconds_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void *stop_accepting_soon(void *arg)
{
    struct timespec nap = { 0, 200 * 1000000L };
    nanosleep(&nap, NULL);
    guard_stop_accepting(arg);
    return NULL;
}

/* The accepting thread (civic-server.c) waits while the connection it
 * handed last has not started, and while --max-connections are open: a
 * connection libmicrohttpd dropped without starting it (no memory) holds
 * it up a second, not for ever; the stop ends any wait. */
static void the_accepting_thread_waits_for_room(void **state)
{
    (void)state;
    guard g;
    assert_int_equal(guard_init(&g, 0, 0, 1024, 512, 1024, 0), 0);
    double t0 = seconds_now();
    assert_true(guard_wait_room(&g, 2)); /* room, nothing handed */
    guard_handing(&g);
    guard_hand_failed(&g);               /* refused: not waited for */
    assert_true(guard_wait_room(&g, 2));
    assert_true(seconds_now() - t0 < 0.5);
    guard_handing(&g);                   /* never started: forgotten after a second */
    t0 = seconds_now();
    assert_true(guard_wait_room(&g, 2));
    double waited = seconds_now() - t0;
    assert_true(waited > 0.9 && waited < 3.0);
    atomic_store(&g.connections_open, 2); /* full: waits until the stop */
    pthread_t stopper;
    assert_int_equal(pthread_create(&stopper, NULL, stop_accepting_soon, &g), 0);
    t0 = seconds_now();
    assert_false(guard_wait_room(&g, 2));
    waited = seconds_now() - t0;
    assert_true(waited > 0.1 && waited < 3.0);
    pthread_join(stopper, NULL);
    assert_false(guard_wait_room(&g, 3)); /* stopped for good */
    guard_destroy(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sha256_matches_the_fips_examples),
        cmocka_unit_test(sha256_pads_every_length_around_a_block),
        cmocka_unit_test(token_line_hashes_and_checks_its_input),
        cmocka_unit_test(tokens_file_loads_and_finds_by_token),
        cmocka_unit_test(tokens_file_errors_name_the_line),
        cmocka_unit_test(tokens_file_skips_a_byte_order_mark),
        cmocka_unit_test(tokens_file_is_a_regular_file),
        cmocka_unit_test(bearer_header_gives_the_token),
        cmocka_unit_test(json_strings_are_valid_utf8_whatever_the_input),
        cmocka_unit_test(json_arrays_become_one_element_per_line),
        cmocka_unit_test(json_arrays_that_are_not_valid_json_are_refused),
        cmocka_unit_test(json_arrays_are_found_on_their_line),
        cmocka_unit_test(lines_joined_by_curl_data_are_told),
        cmocka_unit_test(csv_without_source_gains_the_column),
        cmocka_unit_test(csv_with_source_fills_only_empty_cells),
        cmocka_unit_test(json_objects_without_source_gain_the_key),
        cmocka_unit_test(errors_in_a_sourced_body_name_the_body_as_sent),
        cmocka_unit_test(errors_of_the_engine_state_name_the_body_as_sent),
        cmocka_unit_test(a_limit_passed_by_the_source_says_so),
        cmocka_unit_test(out_of_memory_in_a_sourced_body_keeps_its_reason),
        cmocka_unit_test(the_source_rewrite_reads_csv_as_the_load_does),
        cmocka_unit_test(an_ipv6_client_address_is_its_64_prefix),
        cmocka_unit_test(the_accepting_thread_waits_for_room),
        cmocka_unit_test(json_valid_takes_every_kind_of_value),
        cmocka_unit_test(json_valid_names_the_first_bad_byte),
        cmocka_unit_test(json_valid_bounds_the_nesting),
        cmocka_unit_test(json_last_key_goes_before_the_brace),
        cmocka_unit_test(cert_validity_reads_both_time_forms),
        cmocka_unit_test(cert_validity_gives_up_on_what_it_cannot_read),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

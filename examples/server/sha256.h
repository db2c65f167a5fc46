/*
** sha256.h -- SHA-256 (FIPS 180-4) for hashing API tokens.
**
** One call over a whole buffer; tokens are short, so no streaming API.  No
** dependency beyond libc.  Not constant time in the length of the input
** (only the lengths of presented tokens could leak, not their contents).
*/
#ifndef CIVIC_SERVER_SHA256_H
#define CIVIC_SERVER_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_BYTES 32u
#define SHA256_HEX_BYTES 64u

void sha256(const void *data, size_t len, uint8_t out[SHA256_BYTES]);

/* Lower-case hex of a digest; hex must hold SHA256_HEX_BYTES + 1 bytes. */
void sha256_hex(const uint8_t digest[SHA256_BYTES], char *hex);

#endif

/*
** certdate.h -- the validity dates of a PEM certificate, without GnuTLS.
**
** civic-server serves the certificate --tls-cert names through
** libmicrohttpd and GnuTLS, which never look at its dates on the server
** side: an expired certificate was served without a word, and clients
** refused every connection.  This reads notBefore and notAfter of the
** file's first certificate (RFC 5280, 4.1: Certificate, tbsCertificate,
** [0] version, serialNumber, signature, issuer, validity) so that the
** start-up can warn.  It reads only that far, every length bounded by the
** bytes there; anything else -- no PEM block, bad base64, DER it does not
** expect -- is "cannot tell", and no warning is given.
*/
#ifndef CIVIC_SERVER_CERTDATE_H
#define CIVIC_SERVER_CERTDATE_H

#include <stddef.h>
#include <stdint.h>

/* notBefore and notAfter (Unix seconds, UTC) of the first
 * "-----BEGIN CERTIFICATE-----" block of pem[0..len); 0, or -1 when they
 * cannot be read. */
int cert_validity(const char *pem, size_t len, int64_t *not_before, int64_t *not_after);

#endif

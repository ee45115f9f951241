/* SPDX-License-Identifier: MIT */
/* cmssign: the detached CMS SignedData that sign-file appends to a module. */
#ifndef MODSIGN_CMSSIGN_H
#define MODSIGN_CMSSIGN_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

/*
 * Sign data as the kernel's scripts/sign-file does: CMS SignedData,
 * detached id-data content, no certificates, no signed attributes, no
 * S/MIME capabilities; signer by issuer+serial, or by subjectKeyIdentifier
 * when use_keyid.  On success *der is a malloc'ed DER blob.
 * Errors are printed, naming `what` (the module), and -1 is returned.
 */
int cmssign_sign(EVP_PKEY *key, X509 *cert, const EVP_MD *md, bool use_keyid,
		 const unsigned char *data, size_t len, const char *what,
		 unsigned char **der, size_t *der_len);

/*
 * The same signature over data given piece by piece (a module streamed
 * through a small buffer): cmssign_begin(), cmssign_update() any number of
 * times, cmssign_finish() (which frees the stream, on success or error).
 * cmssign_stream_free() drops an unfinished stream.  Same errors as above.
 */
struct cmssign_stream;

int cmssign_begin(EVP_PKEY *key, X509 *cert, const EVP_MD *md, bool use_keyid,
		  const char *what, struct cmssign_stream **out);
int cmssign_update(struct cmssign_stream *s, const void *data, size_t len);
int cmssign_finish(struct cmssign_stream *s, unsigned char **der, size_t *der_len);
void cmssign_stream_free(struct cmssign_stream *s);

#endif

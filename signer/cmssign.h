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

#endif

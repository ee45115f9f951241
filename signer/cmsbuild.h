/* SPDX-License-Identifier: MIT */
/*
 * cmsbuild: the CMS SignedData of a module signature, assembled around a
 * signature value made elsewhere (a signing service or HSM that signs a
 * digest: `openssl pkeyutl -sign -pkeyopt digest:HASH`).
 *
 * The message is the one sign-file makes (cmssign.h): detached id-data, no
 * certificates, no signed attributes, one SignerInfo naming the signer by
 * issuer and serial number (version 1) or by subjectKeyIdentifier
 * (version 3); digest AlgorithmIdentifier as OpenSSL's CMS code writes it;
 * signature algorithm rsaEncryption (NULL parameters) for RSA keys,
 * ecdsa-with-HASH for EC keys.  For the same signature value the bytes are
 * those cmssign_sign() produces.  The signature itself is not checked
 * here: verify_cms() does that.
 */
#ifndef MODSIGN_CMSBUILD_H
#define MODSIGN_CMSBUILD_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/x509.h>

#include "hashalg.h"

/*
 * On success *der is a malloc'ed DER blob of *der_len bytes and 0 is
 * returned; on error (a key type other than RSA or EC, no
 * subjectKeyIdentifier with use_keyid, out of memory) one line naming
 * `what` is printed and -1 is returned.
 */
int cmsbuild_wrap(X509 *cert, const struct hashalg *hash, bool use_keyid,
		  const unsigned char *sig, size_t sig_len, const char *what,
		  unsigned char **der, size_t *der_len);

#endif

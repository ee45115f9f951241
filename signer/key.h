/* SPDX-License-Identifier: MIT */
/* key: loading private keys and X.509 certificates from files. */
#ifndef MODSIGN_KEY_H
#define MODSIGN_KEY_H

#include <openssl/evp.h>
#include <openssl/x509.h>

/*
 * Load a PEM private key (RSA or EC, possibly encrypted).  The passphrase
 * comes from KBUILD_SIGN_PIN; there is never a terminal prompt.  Errors are
 * printed ("PROG: PATH: reason") and -1 is returned.
 */
int key_load_private(const char *path, EVP_PKEY **out);

/*
 * Like ssh, distrust a private key file that its group or others may read or
 * write (mode & 077).  key_load_private() warns, once per file:
 *   "PROG: warning: PATH: private key is accessible by others (mode 0644); chmod 600 it"
 * key_check_private_mode(path, 1), for the managed key, refuses it (error
 * printed, -1) unless the environment has MODSIGN_ALLOW_OPEN_KEY=1, in which
 * case it only warns.  strict = 0 only warns.  -1 also when path cannot be
 * examined (error printed).
 */
#define KEY_ALLOW_OPEN_ENV "MODSIGN_ALLOW_OPEN_KEY"
int key_check_private_mode(const char *path, int strict);

/* Load the first certificate of a file: DER when it starts 0x30, else PEM. */
int key_load_cert(const char *path, X509 **out);

/* Append every certificate of a PEM or DER file to sk; -1 if none or error. */
int key_load_certs(const char *path, STACK_OF(X509) *sk);

/* -1 (error printed, naming both files) if key is not cert's private key. */
int key_check_pair(EVP_PKEY *key, X509 *cert, const char *key_path, const char *cert_path);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * keystore: modsign's managed signing key.
 *
 * The directory is $MODSIGN_KEY_DIR, else `key_dir` in the config file
 * ($MODSIGN_CONFIG, default /etc/modsign.conf), else /var/lib/modsign.
 * It holds signing_key.pem (key and certificate, 0600) and
 * signing_key.x509 (the certificate in DER, for mokutil --import).
 * The config file may instead name a key kept elsewhere, on a token:
 *   key = pkcs11:token=...;object=...      cert = /path/signing_key.x509
 */
#ifndef MODSIGN_KEYSTORE_H
#define MODSIGN_KEYSTORE_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#define KEYSTORE_DEFAULT_DIR "/var/lib/modsign"
#define KEYSTORE_DEFAULT_CONFIG "/etc/modsign.conf"

/* The managed key directory (malloc'ed); NULL on error (printed). */
char *keystore_dir(void);

/*
 * The managed key's certificate (malloc'ed): dir/signing_key.x509, or, when
 * the config file sets `key =` and MODSIGN_KEY_DIR is not set, its `cert =`,
 * else the key itself (a PEM file holding the certificate, or a pkcs11: URI
 * whose certificate is on the token).  NULL on error (printed).
 */
char *keystore_cert_path(void);

/*
 * When the config file sets `key = KEY` (a pkcs11: URI or a PEM file) and
 * MODSIGN_KEY_DIR is not set, load that key and `cert = X509` (default:
 * KEY itself, a certificate on the token for a URI), checked to match, and
 * leave dir alone.  Otherwise:
 * make sure the managed key exists in dir, creating it from the default
 * template when neither file exists.  Concurrent callers serialise on
 * dir/.lock, so exactly one key is ever created.  A half-present key (one
 * file missing) is an error: it is never regenerated or overwritten.
 * Then load the key and certificate (checked to match).
 */
int keystore_open(const char *dir, EVP_PKEY **key, X509 **cert);

#endif

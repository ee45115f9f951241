/* SPDX-License-Identifier: MIT */
/*
 * p11mod: talking to a PKCS#11 module directly (dlopen of the module named
 * by the URI, $PKCS11_MODULE_PATH or p11-kit-proxy.so; <p11-kit/pkcs11.h>
 * for the interface, nothing linked).
 *
 * Used for what OpenSSL's engine cannot do, or cannot say clearly:
 *   - before a key is loaded through OpenSSL, find the token, log in and
 *     find the object, so that a missing token, a wrong PIN and a missing
 *     object each get their own one-line error (and a wrong PIN is tried
 *     once only: OpenSSL is not reached);
 *   - `modsign keygen --pkcs11`: generate the key pair on the token and
 *     store the certificate beside it.
 * Every error is printed ("PROG: URI: reason", the PIN redacted).
 */
#ifndef MODSIGN_P11MOD_H
#define MODSIGN_P11MOD_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/x509.h>

#include "p11uri.h"

struct p11mod;

enum p11mod_class { P11MOD_PRIVATE_KEY, P11MOD_CERTIFICATE };

/*
 * Load the module, initialise it, find the one token the URI matches, open
 * a session (read-write when rw) and log in with the URI's PIN
 * (p11uri_pin()).  Without a PIN, a token that needs a login is an error
 * when login is true.  The module stays loaded and initialised until exit
 * (p11mod_close closes the session only): the engine shares it.
 */
int p11mod_open(const struct p11uri *u, bool rw, bool login, struct p11mod **out);
void p11mod_close(struct p11mod *m);

/*
 * Name the token p11mod_open() found in u (p11uri_add: token= and serial=,
 * where u has none), so that another reader of u->plain (the engine, which
 * knows no slot-id and would take the first token) finds the same one.
 */
int p11mod_name_token(struct p11mod *m, struct p11uri *u);

/* *found: is there an object of class cls matching the URI's object/id? */
int p11mod_find(struct p11mod *m, const struct p11uri *u, enum p11mod_class cls, bool *found);

/*
 * Generate a key pair on the token, labelled with the URI's object and
 * given the CKA_ID id: RSA of rsa_bits bits when ec_nid is 0, else EC on
 * the curve ec_nid.  The private key is sensitive and not extractable.
 */
int p11mod_generate(struct p11mod *m, const struct p11uri *u, const unsigned char *id, size_t id_len,
		    int rsa_bits, int ec_nid);

/* Store cert on the token as a certificate object with the same label and id. */
int p11mod_store_cert(struct p11mod *m, const struct p11uri *u, const unsigned char *id, size_t id_len,
		      X509 *cert);

#endif

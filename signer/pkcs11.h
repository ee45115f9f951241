/* SPDX-License-Identifier: MIT */
/*
 * pkcs11: private keys and certificates named by pkcs11: URIs, through
 * OpenSSL.
 *
 * First OpenSSL's store API (OSSL_STORE_open), which works when a provider
 * (pkcs11-provider) handles the pkcs11: scheme; else, as on Debian 12's
 * OpenSSL 3.0 which has none, the libp11 engine ("pkcs11", Debian
 * libengine-pkcs11-openssl), loaded by id from OpenSSL's engines directory
 * at run time (nothing is linked), with the module from the URI's
 * module-path, $PKCS11_MODULE_PATH, else p11-kit-proxy.so.
 *
 * Before the engine is asked, the token, the PIN and the object are checked
 * directly (p11mod), so that each failure has a one-line error of its own.
 * The PIN (p11uri_pin: pin-value, pin-source, KBUILD_SIGN_PIN) is never
 * printed, nor passed inside a URI that could be.
 */
#ifndef MODSIGN_PKCS11_H
#define MODSIGN_PKCS11_H

#include <openssl/evp.h>
#include <openssl/x509.h>

/* The private key at uri. */
int pkcs11_load_key(const char *uri, EVP_PKEY **out);

/* The certificate at uri (its type= is ignored: the certificate object). */
int pkcs11_load_cert(const char *uri, X509 **out);

#endif

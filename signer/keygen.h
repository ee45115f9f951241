/* SPDX-License-Identifier: MIT */
/*
 * keygen: new module signing keys from x509.genkey templates.
 *
 * A template is an OpenSSL configuration file in the format of the kernel's
 * certs/default_x509.genkey, read with OpenSSL's NCONF library.  From
 * [ req ] modsign uses default_bits, distinguished_name (prompt = no),
 * string_mask, x509_extensions and default_md like `openssl req -x509`
 * does, plus two keys of its own that openssl ignores:
 *   modsign_key_type = rsa | ec          (default rsa)
 *   modsign_ec_curve = secp384r1 | prime256v1   (default secp384r1)
 *
 * A key directory holds KEYGEN_PEM (PKCS#8 private key, then the
 * certificate, mode 0600) and KEYGEN_DER (the certificate in DER, 0644).
 * The DER is written first and the PEM last, each created atomically and
 * never over an existing file: a PEM therefore always has its DER beside
 * it, and a DER without a PEM is the trace of an interrupted keygen.
 */
#ifndef MODSIGN_KEYGEN_H
#define MODSIGN_KEYGEN_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "hashalg.h"

#define KEYGEN_PEM "signing_key.pem"
#define KEYGEN_DER "signing_key.x509"
#define KEYGEN_TEMPLATE "x509.genkey"
#define KEYGEN_DEFAULT_HASH "sha512"
#define KEYGEN_DEFAULT_DAYS 36500
#define KEYGEN_MAX_DAYS 1000000

/* A loaded, checked template (opaque). */
struct keygen_template;

/*
 * The default template, in this order: $MODSIGN_TEMPLATE_DIR/x509.genkey
 * when that variable is set (then nothing else is tried); x509/x509.genkey
 * in the source tree the running binary was built in (one or two levels
 * above it: build/modsign, build/asan/modsign); MODSIGN_DATADIR/x509.genkey.
 * *out is a malloc'ed path.  Returns 0, or -1 with an error printed.
 */
int keygen_template_find(char **out);

/*
 * Parse and check a template: syntax (errors name FILE:LINE), the [ req ]
 * section, key type and size or curve, subject, string_mask, the
 * extensions section and default_md.  Returns 0, or -1 with a one-line
 * error naming the file.
 */
int keygen_template_load(const char *path, struct keygen_template **out);
void keygen_template_free(struct keygen_template *t);
static inline void keygen_template_freep(struct keygen_template **t) { keygen_template_free(*t); }

/* The template's default_md, or NULL when it has none. */
const struct hashalg *keygen_template_hash(const struct keygen_template *t);

/*
 * Generate a key and its self-signed v3 certificate in memory: random
 * 159-bit serial, valid from now for `days` days, subject == issuer from
 * the template, the template's extensions (subjectKeyIdentifier and
 * authorityKeyIdentifier computed as openssl req does), signed with hash.
 */
int keygen_make(const struct keygen_template *t, const struct hashalg *hash, int days,
		EVP_PKEY **key_out, X509 **cert_out);

struct keygen_opts {
	const char *template_path;  /* NULL: keygen_template_find() */
	const struct hashalg *hash; /* NULL: the template's default_md, else sha512 */
	int days;                   /* 0: KEYGEN_DEFAULT_DAYS */
	int quiet;                  /* do not print "wrote PATH" lines on stdout */
	const char *pkcs11;         /* a pkcs11: URI: the key pair is made on that
				     * token, and only the certificate is written:
				     * KEYGEN_PEM (certificate only, 0644) and KEYGEN_DER */
};

/*
 * Create dir (mode 0700) if it is missing, and write dir/KEYGEN_DER then
 * dir/KEYGEN_PEM.  Never overwrites: an existing PEM, or a DER left
 * without its PEM, is an error.  On any error nothing is left behind (no
 * key file, no temporary file, no directory it created) and -1 is
 * returned with a one-line error printed.
 */
int keygen_create(const struct keygen_opts *opts, const char *dir);

enum keygen_state {
	KEYGEN_NONE,     /* neither file */
	KEYGEN_COMPLETE, /* the PEM and the DER */
	KEYGEN_NO_PEM,   /* a DER only: an interrupted (or running) keygen */
	KEYGEN_NO_DER,   /* a PEM only: the DER was removed after keygen */
};

/* What dir holds; -1 (error printed) when it cannot be examined. */
int keygen_state(const char *dir, enum keygen_state *out);

#endif

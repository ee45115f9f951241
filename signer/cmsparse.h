/* SPDX-License-Identifier: MIT */
/*
 * cmsparse: a module signature's CMS blob read the way the kernel's PKCS#7
 * parser reads it (crypto/asymmetric_keys/pkcs7.asn1, pkcs7_parser.c,
 * lib/asn1_decoder.c), with the same limits and the same error numbers:
 *
 *   - at most 65535 bytes (EMSGSIZE); one-byte tags, lengths of at most two
 *     bytes, indefinite lengths only on constructed elements (EBADMSG);
 *   - ContentInfo of type signedData (EINVAL), SignedData version 1 or 3
 *     (EINVAL), SignerInfo version 1 only in SignedData v1 and 3 only in v3
 *     (EBADMSG), encapsulated content type id-data or Authenticode (EINVAL);
 *   - digest algorithms md4, md5, sha1, sha224, sha256, sha384, sha512, sm3,
 *     streebog256/512, else ENOPKG; signature algorithms rsaEncryption,
 *     ecdsa-with-SHA*, SM2-with-SM3, GOST 2012, else ENOPKG;
 *   - signed attributes: the per-attribute rules (EKEYREJECTED, EBADMSG);
 *     at least one SignerInfo and signed attributes on all or none (EINVAL);
 *   - embedded certificates must be X.509 with a key type the kernel knows.
 *
 * Only what the parser decides is decided here; verify.c applies what
 * pkcs7_verify() and pkcs7_validate_trust() decide afterwards.
 */
#ifndef MODSIGN_CMSPARSE_H
#define MODSIGN_CMSPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

/* The kernel's ASN.1 decoder refuses larger messages (-EMSGSIZE). */
#define CMSPARSE_MAX_LEN 65535

/* A kernel key identifier (struct asymmetric_key_id): compared byte for byte. */
struct cms_kid {
	unsigned char *data; /* NULL when absent */
	size_t len;
};

/*
 * The identifiers the kernel derives from an X.509 certificate:
 * id = serial || issuer (raw DER contents), skid = subjectKeyIdentifier,
 * aid0/aid1 = the authorityKeyIdentifier's issuer+serial and keyIdentifier.
 */
struct cms_cert_ids {
	struct cms_kid id, skid, aid0, aid1;
};

int cmsparse_cert_ids(X509 *x, struct cms_cert_ids *ids);
void cmsparse_cert_ids_free(struct cms_cert_ids *ids);
bool cmsparse_kid_same(const struct cms_kid *a, const struct cms_kid *b);

/* Why the kernel would refuse a key type for its keyrings; NULL if it takes it. */
const char *cmsparse_key_unloadable(EVP_PKEY *pk);

enum cms_data_type { CMS_DATA_PLAIN, CMS_DATA_AUTHENTICODE };

/* An X.509 certificate carried inside the message. */
struct cms_cert {
	X509 *x;
	struct cms_cert_ids ids;
	bool self_signed;
	struct cms_cert *signer; /* issuer found in the message (chain) */
	bool seen, verified;     /* chain and trust walk state */
};

struct cms_signer {
	int version;               /* 1: issuer+serial, 3: subjectKeyIdentifier */
	struct cms_kid kid;        /* serial||issuer or skid, as the kernel forms it */
	const unsigned char *issuer_der; /* whole Name TLV (v1), for messages */
	size_t issuer_der_len;
	const unsigned char *serial; /* INTEGER contents (v1) */
	size_t serial_len;
	const char *hash;          /* kernel name: "sha256" */
	const char *pkey_algo;     /* "rsa", "ecdsa", "sm2", "ecrdsa" */
	bool authattrs;            /* [0] IMPLICIT signed attributes present */
	const unsigned char *sig;  /* encryptedDigest contents */
	size_t sig_len;
	struct cms_cert *cert;     /* embedded certificate naming the signer */
};

struct cms_msg {
	int version;
	enum cms_data_type data_type;
	bool has_data;        /* encapsulated content present (not detached) */
	bool have_authattrs;
	struct cms_signer *signers;
	size_t nsigners;
	struct cms_cert *certs;
	size_t ncerts;
};

struct cms_error {
	int err;         /* the kernel's errno */
	char why[200];   /* its words, with a detail */
};

/*
 * Parse der as the kernel would.  Returns 0 (msg filled), 1 when the kernel
 * would refuse it (err filled), or -1 on an internal failure (out of memory;
 * printed, naming `what`).
 */
int cmsparse(const unsigned char *der, size_t len, const char *what,
	     struct cms_msg *msg, struct cms_error *err);
void cmsparse_free(struct cms_msg *msg);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * sigparse: read what a module signature says about itself, without
 * checking it cryptographically.
 *
 * Two readings of the same bytes:
 *  - sigparse_cms(): the CMS SignedData as the kernel sees it (signer by
 *    issuer+serial or by subjectKeyIdentifier, digest, signature bytes);
 *  - sigparse_modinfo(): exactly the sig_* fields kmod's modinfo (Debian
 *    kmod 30) prints for a module, including the cases where it prints none.
 */
#ifndef MODSIGN_SIGPARSE_H
#define MODSIGN_SIGPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

enum sigparse_signer_id {
	SIGPARSE_ISSUER_SERIAL, /* SignerInfo v1: issuerAndSerialNumber */
	SIGPARSE_SKID,          /* SignerInfo v3: subjectKeyIdentifier (sign-file -k) */
};

struct sigparse {
	enum sigparse_signer_id signer_id;
	X509_NAME *issuer;        /* owned; NULL for SKID */
	ASN1_INTEGER *serial;     /* owned; NULL for SKID */
	unsigned char *key_id;    /* serial magnitude (big-endian, no leading zeros) or SKID */
	size_t key_id_len;
	char *issuer_cn;          /* issuer's CN as modinfo prints it; NULL if none/SKID */
	int digest_nid;
	char digest_name[64];     /* "sha256"; OpenSSL's name (or OID) for digests the kernel lacks */
	bool digest_known;        /* the kernel knows the digest (hashalg table) */
	unsigned char *sig;       /* the signature value */
	size_t sig_len;
	int nsigners;             /* SignerInfos in the message (sign-file makes one) */
	bool has_signed_attrs;    /* of the first signer */
	bool detached;            /* no encapsulated content */
};

/*
 * Parse a DER CMS SignedData and describe its first signer.  Returns 0, or
 * -1 with a short reason (no program name, no file name) in why.
 */
int sigparse_cms(const unsigned char *der, size_t der_len, struct sigparse *out,
		 char *why, size_t why_size);
void sigparse_free(struct sigparse *sp);
static inline void sigparse_freep(struct sigparse *sp) { sigparse_free(sp); }

/* The five fields kmod's modinfo prints for a signed module. */
struct sigparse_modinfo {
	bool shown;               /* false: modinfo prints no sig_* field at all */
	const char *sig_id;       /* "PKCS#7", or "PGP"/"X509" for pre-PKCS#7 signatures */
	char *signer;             /* as printed: raw bytes up to the first NUL; may be "" */
	unsigned char *key_id;    /* sig_key bytes (may be empty) */
	size_t key_id_len;
	const char *hash_algo;
	unsigned char *sig;       /* signature bytes */
	size_t sig_len;
};

/*
 * What modinfo prints for the module bytes data[0..len): its own reading of
 * the trailer, then of the PKCS#7 message through OpenSSL's PKCS#7 API, with
 * its quirks (no CN: the issuer's last attribute; serial printed as the
 * magnitude of the integer; only the digests kmod 30 names).  Returns 0 (mi
 * filled, possibly with shown = false) or -1 on allocation failure.
 */
int sigparse_modinfo(const uint8_t *data, size_t len, struct sigparse_modinfo *mi);
void sigparse_modinfo_free(struct sigparse_modinfo *mi);
/* Whether modinfo names a PKCS#7 digest (md4 ... sha512, sm3; not SHA-3). */
bool sigparse_modinfo_knows_digest(int nid);
static inline void sigparse_modinfo_freep(struct sigparse_modinfo *mi) { sigparse_modinfo_free(mi); }

/*
 * modinfo's hex: "AB:CD:..." with, after every 20th byte's colon, a line
 * break and two tabs.  The caller frees the string.
 */
char *sigparse_hex_wrapped(const unsigned char *p, size_t n);

#endif

/* SPDX-License-Identifier: MIT */
/* verify: judge a module signature offline by the kernel's acceptance rules. */
#ifndef MODSIGN_VERIFY_H
#define MODSIGN_VERIFY_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/x509.h>

#include "module.h"

enum verify_verdict {
	VERIFY_OK,          /* the kernel would load it */
	VERIFY_UNSIGNED,    /* ENODATA: no signature */
	VERIFY_MALFORMED,   /* EBADMSG: trailer or CMS malformed */
	VERIFY_UNSUPPORTED, /* ENOPKG: crypto the kernel lacks */
	VERIFY_NOKEY,       /* ENOKEY: signer not among the trusted certificates */
	VERIFY_REJECTED,    /* EKEYREJECTED: bad signature, or a form the kernel refuses */
};

/* What a particular kernel build can check (from its .config). */
struct verify_kernel {
	const char *tree;    /* for messages */
	bool sha1, sha256, sha512; /* CONFIG_CRYPTO_SHA1/SHA256 (+sha224)/SHA512 (+sha384) */
	bool rsa, ecdsa;     /* CONFIG_CRYPTO_RSA, CONFIG_CRYPTO_ECDSA */
};

/* Read TREE's include/config/auto.conf or .config; -1 (error printed) if neither. */
int verify_kernel_load(const char *tree, struct verify_kernel *k);

struct verify_opts {
	STACK_OF(X509) *trusted; /* the certificates the kernel would trust */
	const struct verify_kernel *kernel; /* NULL: a kernel with every algorithm */
};

struct verify_result {
	enum verify_verdict verdict;
	int kernel_errno;  /* 0, ENODATA, EBADMSG, ENOPKG, ENOKEY, EKEYREJECTED,
			      or EINVAL / EMSGSIZE (both VERIFY_MALFORMED) */
	char reason[256];  /* why, in the kernel's words where it has some */
	X509 *signer;      /* borrowed from opts->trusted when found */
	char signer_name[192]; /* OK: CN of the certificate that signed;
				  NOKEY: how the signature names its signer */
	const char *hash;  /* digest of the (first accepted) signature, or NULL */
	char note[128];    /* OK: remark, e.g. an expired certificate; else "" */
};

/*
 * Judge a detached CMS signature (der) over body, as the kernel's PKCS#7
 * code would.  Returns 0 with res filled, or -1 (error printed, naming
 * `what`) when the check itself could not be done.
 */
int verify_cms(const struct verify_opts *opts, const unsigned char *body, size_t body_len,
	       const unsigned char *der, size_t der_len, const char *what,
	       struct verify_result *res);

/* Judge a loaded module: trailer rules, then verify_cms. */
int verify_module(const struct verify_opts *opts, const struct module *m,
		  struct verify_result *res);

/*
 * Add the certificates of a PEM (one or more) or DER file, or of every file
 * of a directory (files without a certificate are skipped with a warning),
 * to sk, as `verify --cert` and `--keyring` do: a certificate whose key the
 * kernel could not load is dropped with a warning.  -1 (error printed) when
 * a file cannot be read or holds no usable certificate.
 */
int verify_load_certs(const char *path, STACK_OF(X509) *sk);
int verify_load_keyring(const char *dir, STACK_OF(X509) *sk);

/* "ok", "unsigned", "malformed", "unsupported", "no-key", "bad-signature" */
const char *verify_verdict_name(enum verify_verdict v);

/* "ENOKEY" for an errno the kernel's module loader returns; "" for 0. */
const char *verify_errno_name(int err);

#endif

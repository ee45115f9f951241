/* SPDX-License-Identifier: MIT */
/*
 * verify: would the kernel load this module?  The decision follows kernel
 * 6.1 step by step:
 *
 *   module_sig_check / mod_check_sig   trailer_parse()         ENODATA EBADMSG ENOPKG
 *   pkcs7_parse_message                cmsparse()              EMSGSIZE EBADMSG EINVAL ENOPKG EKEYREJECTED
 *   verify_pkcs7_message_sig           detached content only   EBADMSG
 *   pkcs7_verify                       id-data, no authattrs,  EKEYREJECTED
 *                                      signers with embedded certificates
 *   pkcs7_validate_trust               signer among the trusted keys   ENOKEY EKEYREJECTED
 *   public_key_verify_signature        key type, hash, RSA size, the signature  EKEYREJECTED
 *
 * The kernel checks no validity dates for module signing keys (only a
 * signingTime attribute against the signer's certificate, and module
 * signatures cannot carry attributes), so neither does this: an expired
 * certificate is accepted, with a note.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>

#include "cmsparse.h"
#include "commands.h"
#include "compress.h"
#include "fileio.h"
#include "kconfig.h"
#include "key.h"
#include "module.h"
#include "util.h"
#include "verify.h"

/* ---- errors and verdicts -------------------------------------------------- */

static const struct verify_errno {
	int err;
	const char *name;
	const char *text; /* strerror(), as insmod prints it */
	enum verify_verdict verdict;
	bool unenforced_loads; /* only fatal when signatures are enforced */
} errnos[] = {
	{ ENODATA, "ENODATA", "No data available", VERIFY_UNSIGNED, true },
	{ EBADMSG, "EBADMSG", "Bad message", VERIFY_MALFORMED, false },
	{ EINVAL, "EINVAL", "Invalid argument", VERIFY_MALFORMED, false },
	{ EMSGSIZE, "EMSGSIZE", "Message too long", VERIFY_MALFORMED, false },
	{ ENOPKG, "ENOPKG", "Package not installed", VERIFY_UNSUPPORTED, true },
	{ ENOKEY, "ENOKEY", "Required key not available", VERIFY_NOKEY, true },
	{ EKEYREJECTED, "EKEYREJECTED", "Key was rejected by service", VERIFY_REJECTED, false },
};

static const struct verify_errno *errno_info(int err)
{
	for (size_t i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
		if (errnos[i].err == err)
			return &errnos[i];
	return &errnos[1]; /* any other failure is fatal, like EBADMSG */
}

const char *verify_errno_name(int err)
{
	return err ? errno_info(err)->name : "";
}

static const struct {
	const char *name;  /* JSON, stable */
	const char *words; /* the one-line output */
} verdicts[] = {
	[VERIFY_OK] = { "ok", "ok" },
	[VERIFY_UNSIGNED] = { "unsigned", "unsigned" },
	[VERIFY_MALFORMED] = { "malformed", "malformed" },
	[VERIFY_UNSUPPORTED] = { "unsupported", "unsupported crypto" },
	[VERIFY_NOKEY] = { "no-key", "key not available" },
	[VERIFY_REJECTED] = { "bad-signature", "bad signature" },
};

const char *verify_verdict_name(enum verify_verdict v)
{
	return (size_t)v < sizeof(verdicts) / sizeof(verdicts[0]) ? verdicts[v].name : "unknown";
}

static void reject(struct verify_result *res, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void reject(struct verify_result *res, int err, const char *fmt, ...)
{
	va_list ap;

	res->verdict = errno_info(err)->verdict;
	res->kernel_errno = err;
	va_start(ap, fmt);
	vsnprintf(res->reason, sizeof(res->reason), fmt, ap);
	va_end(ap);
}

/* ---- names for messages --------------------------------------------------- */

/* The commonName of a name, else its RFC 2253 form. */
static void name_text(const X509_NAME *n, char *buf, size_t size)
{
	int i = X509_NAME_get_index_by_NID(n, NID_commonName, -1);

	buf[0] = '\0';
	if (i >= 0) {
		unsigned char *utf8 = NULL;
		int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(n, i)));

		if (len >= 0) {
			snprintf(buf, size, "%.*s", len, (const char *)utf8);
			OPENSSL_free(utf8);
			return;
		}
	}
	_cleanup_bio_ BIO *b = BIO_new(BIO_s_mem());
	char *p;
	long len;

	if (b && X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253) >= 0 && (len = BIO_get_mem_data(b, &p)) >= 0)
		snprintf(buf, size, "%.*s", (int)len, p);
	ERR_clear_error();
}

static void signer_text(const struct cms_signer *s, char *buf, size_t size)
{
	if (s->version == 1 && s->serial) {
		const unsigned char *p = s->issuer_der;
		X509_NAME *n = d2i_X509_NAME(NULL, &p, (long)s->issuer_der_len);
		_cleanup_free_ char *serial = util_hex_colon(s->serial, s->serial_len);
		char issuer[64] = "?";

		if (n)
			name_text(n, issuer, sizeof(issuer));
		X509_NAME_free(n);
		ERR_clear_error();
		snprintf(buf, size, "issuer \"%s\" serial %s", issuer, serial ? serial : "?");
	} else if (s->version == 3 && s->kid.data) {
		_cleanup_free_ char *skid = util_hex_colon(s->kid.data, s->kid.len);

		snprintf(buf, size, "subjectKeyIdentifier %s", skid ? skid : "?");
	} else {
		snprintf(buf, size, "no identifier usable with SignerInfo v%d", s->version);
	}
}

/* ---- the trusted keys ----------------------------------------------------- */

struct trust {
	X509 *x;
	EVP_PKEY *pk;
	struct cms_cert_ids ids;
};

struct trustset {
	struct trust *v;
	size_t n;
};

static void trustset_free(struct trustset *t)
{
	for (size_t i = 0; i < t->n; i++)
		cmsparse_cert_ids_free(&t->v[i].ids);
	free(t->v);
	t->v = NULL;
	t->n = 0;
}

/* The keys the kernel could hold: certificates of a type it cannot load are left out. */
static int trustset_build(STACK_OF(X509) *sk, const struct verify_kernel *k, struct trustset *t,
			  const char *what)
{
	int n = sk ? sk_X509_num(sk) : 0;

	t->v = calloc(n > 0 ? (size_t)n : 1, sizeof(*t->v));
	t->n = 0;
	if (!t->v)
		goto oom;
	for (int i = 0; i < n; i++) {
		X509 *x = sk_X509_value(sk, i);
		EVP_PKEY *pk = X509_get0_pubkey(x);
		struct trust *e = &t->v[t->n];

		ERR_clear_error();
		if (!pk || cmsparse_key_unloadable(pk))
			continue;
		/* A kernel without the key type's crypto cannot load the certificate. */
		if (k && ((EVP_PKEY_get_base_id(pk) == EVP_PKEY_RSA && !k->rsa) ||
			  (EVP_PKEY_get_base_id(pk) == EVP_PKEY_EC && !k->ecdsa)))
			continue;
		if (cmsparse_cert_ids(x, &e->ids) < 0)
			goto oom;
		e->x = x;
		e->pk = pk;
		t->n++;
	}
	return 0;
oom:
	util_err("%s: out of memory", what);
	trustset_free(t);
	return -1;
}

enum { FIND_FOUND, FIND_NONE, FIND_REJECTED };

/*
 * find_asymmetric_key(): look up by id0 (else id1) among each key's
 * issuer+serial id and subjectKeyIdentifier; when both ids are given, the
 * key found must also carry id1 as its subjectKeyIdentifier.
 */
static int trust_find(const struct trustset *t, const struct cms_kid *id0, const struct cms_kid *id1,
		      struct trust **out)
{
	const struct cms_kid *want = id0 && id0->data ? id0 : id1;

	if (!want || !want->data)
		return FIND_NONE;
	for (size_t i = 0; i < t->n; i++) {
		struct trust *e = &t->v[i];

		if (!cmsparse_kid_same(&e->ids.id, want) && !cmsparse_kid_same(&e->ids.skid, want))
			continue;
		if (id0 && id0->data && id1 && id1->data && !cmsparse_kid_same(&e->ids.skid, id1))
			return FIND_REJECTED;
		*out = e;
		return FIND_FOUND;
	}
	return FIND_NONE;
}

/* ---- public_key_verify_signature ------------------------------------------ */

struct check {
	int err;        /* 0, or EKEYREJECTED */
	char why[200];
};

#define CHECK_FAIL(c, ...) \
	({ (c)->err = EKEYREJECTED; snprintf((c)->why, sizeof((c)->why), __VA_ARGS__); 1; })

/* The hashes the kernel's rsa-pkcs1pad has a DigestInfo for, and ecdsa takes. */
static const char *const kernel_sig_hashes[] = { "sha1", "sha224", "sha256", "sha384", "sha512" };
/* The RSA modulus sizes the kernel's rsa accepts (rsa_check_key_length). */
static const int kernel_rsa_bits[] = { 512, 1024, 1536, 2048, 3072, 4096 };

static bool in_list(const char *const *list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], s) == 0)
			return true;
	return false;
}

/*
 * Check a signature made with `pkey_algo` over `hash` with key pk, as the
 * kernel would.  Returns 0 (valid), 1 (rejected, c filled) or -1 (modsign
 * cannot check it; error printed).
 */
static int check_params(EVP_PKEY *pk, const char *pkey_algo, const char *hash, struct check *c,
			const char *what)
{
	int type = EVP_PKEY_get_base_id(pk);

	if (strcmp(pkey_algo, "sm2") == 0 || strcmp(pkey_algo, "ecrdsa") == 0) {
		if (type == EVP_PKEY_SM2 && strcmp(pkey_algo, "sm2") == 0) {
			util_err("%s: cannot check: SM2 signatures are not supported by modsign", what);
			return -1;
		}
		return CHECK_FAIL(c, "%s signature does not fit the certificate's key", pkey_algo);
	}
	if (strcmp(pkey_algo, "rsa") == 0) {
		int bits = EVP_PKEY_get_size(pk) * 8;
		bool size_ok = false;

		if (type != EVP_PKEY_RSA)
			return CHECK_FAIL(c, "rsa signature does not fit the certificate's key");
		if (!in_list(kernel_sig_hashes, sizeof(kernel_sig_hashes) / sizeof(kernel_sig_hashes[0]), hash))
			return CHECK_FAIL(c, "the kernel has no RSA PKCS#1 v1.5 encoding for %s", hash);
		for (size_t i = 0; i < sizeof(kernel_rsa_bits) / sizeof(kernel_rsa_bits[0]); i++)
			size_ok |= kernel_rsa_bits[i] == bits;
		if (!size_ok)
			return CHECK_FAIL(c, "the kernel does not take %d-bit RSA keys", bits);
		return 0;
	}
	/* ecdsa */
	if (type != EVP_PKEY_EC)
		return CHECK_FAIL(c, "ecdsa signature does not fit the certificate's key");
	if (!in_list(kernel_sig_hashes, sizeof(kernel_sig_hashes) / sizeof(kernel_sig_hashes[0]), hash))
		return CHECK_FAIL(c, "the kernel takes no ECDSA signature over %s", hash);
	return 0;
}

/* The SignerInfo's signature over body (detached, no attributes). */
static int check_sinfo(EVP_PKEY *pk, const struct cms_signer *s, const unsigned char *body,
		       size_t body_len, struct check *c, const char *what)
{
	EVP_MD_CTX *ctx;
	const EVP_MD *md;
	int rc;

	rc = check_params(pk, s->pkey_algo, s->hash, c, what);
	if (rc)
		return rc;
	md = EVP_get_digestbyname(s->hash);
	ctx = EVP_MD_CTX_new();
	if (!md || !ctx) {
		EVP_MD_CTX_free(ctx);
		util_ossl_err("%s: cannot set up %s", what, s->hash);
		return -1;
	}
	ERR_clear_error();
	rc = EVP_DigestVerifyInit(ctx, NULL, md, NULL, pk);
	if (rc == 1)
		rc = EVP_DigestVerify(ctx, s->sig, s->sig_len, body, body_len);
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	if (rc != 1)
		return CHECK_FAIL(c, "bad signature: it does not match the signed data");
	return 0;
}

/* A certificate's signature, checked with its issuer's key. */
static int check_cert(X509 *child, EVP_PKEY *pk, struct check *c)
{
	int ok;

	ERR_clear_error();
	ok = X509_verify(child, pk);
	ERR_clear_error();
	if (ok != 1) {
		char name[128];

		name_text(X509_get_subject_name(child), name, sizeof(name));
		return CHECK_FAIL(c, "certificate \"%s\" does not verify with its issuer's key", name);
	}
	return 0;
}

/* ---- pkcs7_verify --------------------------------------------------------- */

/*
 * A signer named by a certificate inside the message: its signature must
 * verify with that certificate, and the chain of certificates in the
 * message above it is checked as far as it goes (pkcs7_verify_one,
 * pkcs7_verify_sig_chain).
 */
static int verify_one(struct cms_msg *m, struct cms_signer *s, const unsigned char *body,
		      size_t body_len, struct check *c, const char *what)
{
	struct cms_cert *x = s->cert, *p;
	int rc;

	if (!x)
		return 0;
	rc = check_sinfo(X509_get0_pubkey(x->x), s, body, body_len, c, what);
	if (rc)
		return rc;
	for (size_t i = 0; i < m->ncerts; i++)
		m->certs[i].seen = false;
	for (;;) {
		x->seen = true;
		if (x->self_signed) {
			x->signer = x;
			return 0;
		}
		p = NULL;
		if (x->ids.aid0.data) {
			for (size_t i = 0; i < m->ncerts && !p; i++)
				if (cmsparse_kid_same(&m->certs[i].ids.id, &x->ids.aid0))
					p = &m->certs[i];
			if (p && x->ids.aid1.data && !cmsparse_kid_same(&p->ids.skid, &x->ids.aid1))
				return CHECK_FAIL(c, "X.509 chain contains auth-skid nonmatch");
		} else if (x->ids.aid1.data) {
			for (size_t i = 0; i < m->ncerts && !p; i++)
				if (cmsparse_kid_same(&m->certs[i].ids.skid, &x->ids.aid1))
					p = &m->certs[i];
		}
		if (!p || p->seen)
			return 0; /* the top of what the message carries, or a loop */
		rc = check_cert(x->x, X509_get0_pubkey(p->x), c);
		if (rc)
			return rc;
		x->signer = p;
		if (x == p)
			return 0;
		x = p;
	}
}

/* ---- pkcs7_validate_trust ------------------------------------------------- */

struct accepted {
	struct trust *anchor;   /* the trusted key that vouched */
	X509 *signed_by;        /* the certificate whose key made the signature */
	const struct cms_signer *s;
};

/* Returns 0 (trusted), ENOKEY, EKEYREJECTED (c filled) or -1. */
static int trust_one(struct cms_signer *s, const struct trustset *t, const unsigned char *body,
		     size_t body_len, struct check *c, struct accepted *acc, const char *what)
{
	struct cms_cert *x, *last = NULL, *done = NULL;
	struct trust *key = NULL;
	int rc, f;

	for (x = s->cert; x; x = x->signer) {
		if (x->seen) {
			if (!x->verified)
				return ENOKEY;
			done = x;
			goto verified;
		}
		x->seen = true;
		f = trust_find(t, &x->ids.id, &x->ids.skid, &key);
		if (f == FIND_FOUND) {
			/* the trusted copy must verify what x vouches for */
			rc = last ? check_cert(last->x, key->pk, c)
				  : check_sinfo(key->pk, s, body, body_len, c, what);
			if (rc)
				return rc < 0 ? -1 : EKEYREJECTED;
			done = x;
			acc->signed_by = last ? s->cert->x : key->x;
			goto matched;
		}
		if (x->signer == x)
			return ENOKEY; /* an unknown self-signed root */
		last = x;
	}

	if (last && (last->ids.aid0.data || last->ids.aid1.data)) {
		f = trust_find(t, &last->ids.aid0, &last->ids.aid1, &key);
		if (f == FIND_REJECTED) {
			CHECK_FAIL(c, "trusted key matches the issuer but not its key identifier");
			return EKEYREJECTED;
		}
		if (f == FIND_FOUND) {
			rc = check_cert(last->x, key->pk, c);
			if (rc)
				return EKEYREJECTED;
			done = last;
			acc->signed_by = s->cert->x;
			goto matched;
		}
	}

	/* the signer itself among the trusted keys */
	if (trust_find(t, &s->kid, NULL, &key) == FIND_FOUND) {
		rc = check_sinfo(key->pk, s, body, body_len, c, what);
		if (rc)
			return rc < 0 ? -1 : EKEYREJECTED;
		acc->signed_by = key->x;
		goto matched;
	}
	return ENOKEY;

matched:
	acc->anchor = key;
verified:
	if (done) {
		done->verified = true;
		for (x = s->cert; x && x != done; x = x->signer)
			x->verified = true;
	}
	if (!acc->signed_by)
		acc->signed_by = s->cert ? s->cert->x : NULL;
	acc->s = s;
	return 0;
}

/* ---- what a kernel build can check ---------------------------------------- */

int verify_kernel_load(const char *tree, struct verify_kernel *k)
{
	static const struct {
		const char *sym;
		size_t flag;
	} syms[] = {
		{ "CONFIG_CRYPTO_SHA1", offsetof(struct verify_kernel, sha1) },
		{ "CONFIG_CRYPTO_SHA256", offsetof(struct verify_kernel, sha256) },
		{ "CONFIG_CRYPTO_SHA512", offsetof(struct verify_kernel, sha512) },
		{ "CONFIG_CRYPTO_RSA", offsetof(struct verify_kernel, rsa) },
		{ "CONFIG_CRYPTO_ECDSA", offsetof(struct verify_kernel, ecdsa) },
	};
	const char *from = NULL;
	bool any = false;

	memset(k, 0, sizeof(*k));
	k->tree = tree;
	for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		_cleanup_free_ char *v = NULL;
		int r = kconfig_get(tree, syms[i].sym, &v, &from);

		if (r < 0)
			return -1;
		if (from)
			any = true;
		*(bool *)((char *)k + syms[i].flag) = r > 0 && (strcmp(v, "y") == 0 || strcmp(v, "m") == 0);
	}
	if (!any) {
		util_err("%s: no include/config/auto.conf or .config: not a configured kernel tree", tree);
		return -1;
	}
	return 0;
}

/* ---- the verdict ---------------------------------------------------------- */

static void accept_note(X509 *x, char *note, size_t size)
{
	const ASN1_TIME *nb = X509_get0_notBefore(x), *na = X509_get0_notAfter(x);

	note[0] = '\0';
	if (na && X509_cmp_current_time(na) < 0)
		snprintf(note, size, "certificate expired; the kernel does not check validity dates");
	else if (nb && X509_cmp_current_time(nb) > 0)
		snprintf(note, size, "certificate not yet valid; the kernel does not check validity dates");
	ERR_clear_error();
}

/* pkcs7_digest: a hash the kernel was built without is ENOPKG (-ENOENT from crypto). */
static bool kernel_has_hash(const struct verify_kernel *k, const char *hash)
{
	static const struct {
		const char *name;
		size_t flag; /* offset of the bool in struct verify_kernel */
	} needs[] = {
		{ "sha1", offsetof(struct verify_kernel, sha1) },
		{ "sha224", offsetof(struct verify_kernel, sha256) },
		{ "sha256", offsetof(struct verify_kernel, sha256) },
		{ "sha384", offsetof(struct verify_kernel, sha512) },
		{ "sha512", offsetof(struct verify_kernel, sha512) },
	};

	if (!k || !hash)
		return true;
	for (size_t i = 0; i < sizeof(needs) / sizeof(needs[0]); i++)
		if (strcmp(needs[i].name, hash) == 0)
			return *(const bool *)((const char *)k + needs[i].flag);
	return true; /* other digests are judged by the parser rules */
}

static int judge(struct cms_msg *m, const struct trustset *t, const struct verify_kernel *k,
		 const unsigned char *body, size_t body_len, const char *what,
		 struct verify_result *res)
{
	struct accepted acc = { 0 };
	struct check c = { 0 };
	bool trusted = false;
	int rc;

	res->hash = m->signers[0].hash;
	/* verify_pkcs7_message_sig: the data is supplied, so it must be detached */
	if (m->has_data) {
		reject(res, EBADMSG, "PKCS#7 signature with non-detached data");
		return 0;
	}
	/* pkcs7_verify(VERIFYING_MODULE_SIGNATURE) */
	if (m->data_type != CMS_DATA_PLAIN) {
		reject(res, EKEYREJECTED, "Invalid module sig (not pkcs7-data)");
		return 0;
	}
	if (m->have_authattrs) {
		reject(res, EKEYREJECTED, "Invalid module sig (has authattrs)");
		return 0;
	}
	for (size_t i = 0; i < m->nsigners; i++) {
		if (!kernel_has_hash(k, m->signers[i].hash)) {
			res->hash = m->signers[i].hash;
			reject(res, ENOPKG, "%s has no %s (its CONFIG_CRYPTO_SHA* is not set)",
			       k->tree, m->signers[i].hash);
			return 0;
		}
		rc = verify_one(m, &m->signers[i], body, body_len, &c, what);
		if (rc < 0)
			return -1;
		if (rc) {
			res->hash = m->signers[i].hash;
			reject(res, c.err, "signer %zu: %s", i + 1, c.why);
			return 0;
		}
	}

	/* pkcs7_validate_trust: one trusted signer suffices; a trusted one that fails rejects */
	for (size_t i = 0; i < m->ncerts; i++)
		m->certs[i].seen = false;
	for (size_t i = 0; i < m->nsigners; i++) {
		struct accepted one = { 0 };

		rc = trust_one(&m->signers[i], t, body, body_len, &c, &one, what);
		if (rc < 0)
			return -1;
		if (rc == ENOKEY)
			continue;
		if (rc) {
			res->hash = m->signers[i].hash;
			if (m->nsigners > 1)
				reject(res, rc, "signer %zu: %s", i + 1, c.why);
			else
				reject(res, rc, "%s", c.why);
			return 0;
		}
		if (!trusted)
			acc = one;
		trusted = true;
	}
	if (!trusted) {
		const char *who = res->signer_name;

		signer_text(&m->signers[0], res->signer_name, sizeof(res->signer_name));
		if (m->nsigners > 1)
			reject(res, ENOKEY, "no trusted key for any of %zu signers; first: %s", m->nsigners, who);
		else
			reject(res, ENOKEY, "no trusted key for signer %s", who);
		return 0;
	}

	res->verdict = VERIFY_OK;
	res->kernel_errno = 0;
	res->signer = acc.anchor ? acc.anchor->x : NULL;
	res->hash = acc.s->hash;
	if (acc.signed_by) {
		name_text(X509_get_subject_name(acc.signed_by), res->signer_name, sizeof(res->signer_name));
		accept_note(acc.signed_by, res->note, sizeof(res->note));
	}
	snprintf(res->reason, sizeof(res->reason), "signed by \"%s\", %s", res->signer_name, res->hash);
	return 0;
}

int verify_cms(const struct verify_opts *opts, const unsigned char *body, size_t body_len,
	       const unsigned char *der, size_t der_len, const char *what,
	       struct verify_result *res)
{
	_cleanup_(trustset_free) struct trustset t = { 0 };
	struct cms_msg m;
	struct cms_error e;
	int rc;

	memset(res, 0, sizeof(*res));
	rc = cmsparse(der, der_len, what, &m, &e);
	if (rc < 0)
		return -1;
	if (rc > 0) {
		reject(res, e.err, "%s", e.why);
		return 0;
	}
	if (trustset_build(opts->trusted, opts->kernel, &t, what) < 0) {
		cmsparse_free(&m);
		return -1;
	}
	rc = judge(&m, &t, opts->kernel, body, body_len, what, res);
	cmsparse_free(&m);
	return rc;
}

int verify_module(const struct verify_opts *opts, const struct module *m,
		  struct verify_result *res)
{
	const struct trailer *t = &m->tr;

	memset(res, 0, sizeof(*res));
	switch (m->sig) {
	case TRAILER_NONE:
		reject(res, ENODATA, "unsigned module: no \"~Module signature appended~\" marker");
		return 0;
	case TRAILER_BAD:
		reject(res, t->kernel_errno, "%s", t->why);
		return 0;
	case TRAILER_OK:
		break;
	}
	return verify_cms(opts, m->file.data, t->body_len, m->file.data + t->body_len, t->sig_len,
			  m->path, res);
}

/*
 * A compressed module the kernel's own decompressor would refuse (an xz
 * check other than CRC32, a gzip header with more than a name): a warning,
 * not a verdict, since kmod before 31 decompresses it in user space and the
 * kernel loads it; with CONFIG_MODULE_DECOMPRESS and a newer kmod it fails.
 * Only the header is read again (the loaded module is decompressed).
 */
static void warn_kernel_decompress(const char *path, enum compress_format fmt)
{
	unsigned char head[16];
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : pread(fd, head, sizeof(head), 0);
	const char *why = n > 0 ? compress_kernel_refuses(fmt, head, (size_t)n) : NULL;

	if (why)
		util_warn("%s: %s; the kernel cannot decompress it itself (CONFIG_MODULE_DECOMPRESS)",
			  path, why);
}

/* ---- the command ---------------------------------------------------------- */

static const char verify_usage[] =
	"Usage: modsign verify [--cert FILE]... [--keyring DIR]... [--kernel-dir DIR] [--json] [-q] MODULE...\n"
	"Say whether the kernel would load each MODULE, judging its appended signature\n"
	"by kernel 6.1's rules against the certificates it would trust.  A compressed\n"
	"module (.ko.gz, .ko.xz, .ko.zst) is judged by its decompressed bytes.\n"
	"\n"
	"  -c, --cert FILE     trust the certificates in FILE (PEM, one or more; or DER)\n"
	"  -K, --keyring DIR   trust the certificates in every file of DIR\n"
	"                      (files without a certificate are skipped with a warning)\n"
	"      --kernel-dir DIR  judge as the kernel built in DIR would: a hash or key\n"
	"                      type whose CONFIG_CRYPTO_* is unset there is refused\n"
	"      --json          print a JSON array, one object per module\n"
	"  -q, --quiet         print nothing on stdout; the exit status tells\n"
	"  -h, --help          show this help\n"
	"\n"
	"One line per module:\n"
	"  MODULE: ok (signed by \"SIGNER\", HASH)\n"
	"  MODULE: ok (signed by \"SIGNER\", HASH; note: NOTE)\n"
	"  MODULE: rejected: WHAT (ERRNO: kernel message; detail)\n"
	"  MODULE: unchecked (reason on stderr)\n"
	"WHAT is one of: unsigned (ENODATA), malformed (EBADMSG, EINVAL, EMSGSIZE),\n"
	"unsupported crypto (ENOPKG), key not available (ENOKEY), bad signature\n"
	"(EKEYREJECTED).  Without module.sig_enforce=1 or lockdown the kernel loads\n"
	"ENODATA, ENOPKG and ENOKEY modules anyway and taints itself.\n"
	"\n"
	"Exit status: 0 every module would be loaded; 3 at least one would be rejected;\n"
	"4 at least one could not be checked (unreadable, not ELF, unusable certificate\n"
	"file) - 4 wins over 3; 2 usage error.\n";

enum { OPT_JSON = 0x100, OPT_KERNEL_DIR };

static const struct option verify_options[] = {
	{ "cert", required_argument, NULL, 'c' },
	{ "keyring", required_argument, NULL, 'K' },
	{ "kernel-dir", required_argument, NULL, OPT_KERNEL_DIR },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* A usage error: one line naming the problem and where help is. */
static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	util_err("verify: %s (see 'modsign verify --help')", msg);
	return EXIT_USAGE;
}

/* Drop, with a warning, certificates whose key the kernel could not load. */
static void drop_unloadable(const char *path, STACK_OF(X509) *sk, int from)
{
	for (int i = sk_X509_num(sk) - 1; i >= from; i--) {
		X509 *x = sk_X509_value(sk, i);
		EVP_PKEY *pk = X509_get0_pubkey(x);
		const char *why = pk ? cmsparse_key_unloadable(pk) : "no usable public key";
		char name[128];

		ERR_clear_error();
		if (!why)
			continue;
		name_text(X509_get_subject_name(x), name, sizeof(name));
		util_warn("%s: certificate \"%s\" ignored: %s", path, name, why);
		X509_free(sk_X509_delete(sk, i));
	}
}

int verify_load_certs(const char *path, STACK_OF(X509) *sk)
{
	int before = sk_X509_num(sk);

	if (key_load_certs(path, sk) < 0)
		return -1;
	drop_unloadable(path, sk, before);
	return 0;
}

/* Does a keyring file hold a certificate at all (else it is skipped)? */
static bool looks_like_cert(const struct fileio_buf *f)
{
	static const char *const pem[] = { "-----BEGIN CERTIFICATE-----", "-----BEGIN X509 CERTIFICATE-----" };

	if (f->len >= 2 && f->data[0] == 0x30) {
		const unsigned char *p = f->data;
		X509 *x = d2i_X509(NULL, &p, (long)f->len);

		ERR_clear_error();
		X509_free(x);
		return x != NULL;
	}
	for (size_t i = 0; i < sizeof(pem) / sizeof(pem[0]); i++)
		if (memmem(f->data, f->len, pem[i], strlen(pem[i])))
			return true;
	return false;
}

static int keyring_filter(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

int verify_load_keyring(const char *dir, STACK_OF(X509) *sk)
{
	struct dirent **names = NULL;
	int n, rc = 0, before = sk_X509_num(sk);

	n = scandir(dir, &names, keyring_filter, alphasort);
	if (n < 0) {
		util_err("%s: %s", dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		_cleanup_(fileio_buf_freep) struct fileio_buf f = { 0 };
		_cleanup_free_ char *path = NULL;
		struct stat st;

		if (rc == 0 && asprintf(&path, "%s/%s", dir, names[i]->d_name) < 0) {
			path = NULL;
			util_err("%s: out of memory", dir);
			rc = -1;
		}
		if (rc == 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			if (fileio_read(path, &f) < 0)
				rc = -1;
			else if (!looks_like_cert(&f))
				util_warn("%s: no certificate in it, skipped", path);
			else if (verify_load_certs(path, sk) < 0)
				rc = -1;
		}
		free(names[i]);
	}
	free(names);
	if (rc == 0 && sk_X509_num(sk) == before) {
		util_err("%s: no certificates found in the keyring directory", dir);
		rc = -1;
	}
	return rc;
}

/* Text for the one-line output: control characters escaped. */
static void put_text(FILE *out, const char *s)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch < 0x20 || ch == 0x7f)
			fprintf(out, "\\x%02x", ch);
		else
			fputc(ch, out);
	}
}

static void put_json_str(FILE *out, const char *s)
{
	util_json_string(out, s);
}

static void print_text(const char *path, const struct verify_result *r, bool checked)
{
	put_text(stdout, path);
	if (!checked) {
		fputs(": unchecked (reason on stderr)\n", stdout);
		return;
	}
	if (r->verdict == VERIFY_OK) {
		fputs(": ok (signed by \"", stdout);
		put_text(stdout, r->signer_name);
		printf("\", %s", r->hash);
		if (r->note[0]) {
			fputs("; note: ", stdout);
			put_text(stdout, r->note);
		}
		fputs(")\n", stdout);
		return;
	}
	const struct verify_errno *e = errno_info(r->kernel_errno);

	printf(": rejected: %s (%s: %s; ", verdicts[r->verdict].words, e->name, e->text);
	put_text(stdout, r->reason);
	fputs(")\n", stdout);
}

static void print_json(const char *path, const struct verify_result *r, bool checked, bool first)
{
	const struct verify_errno *e = checked && r->verdict != VERIFY_OK ? errno_info(r->kernel_errno) : NULL;

	fputs(first ? "[\n  {" : ",\n  {", stdout);
	fputs("\"file\": ", stdout);
	put_json_str(stdout, path);
	fputs(", \"verdict\": ", stdout);
	put_json_str(stdout, checked ? verify_verdict_name(r->verdict) : "unchecked");
	fputs(", \"errno\": ", stdout);
	put_json_str(stdout, e ? e->name : NULL);
	fputs(", \"reason\": ", stdout);
	put_json_str(stdout, !checked ? "could not be checked (see stderr)"
				      : r->verdict == VERIFY_OK ? NULL : r->reason);
	fputs(", \"signer\": ", stdout);
	put_json_str(stdout, checked && r->signer_name[0] ? r->signer_name : NULL);
	fputs(", \"hash\": ", stdout);
	put_json_str(stdout, checked ? r->hash : NULL);
	fputs(", \"note\": ", stdout);
	put_json_str(stdout, checked && r->note[0] ? r->note : NULL);
	fputs(", \"loads_without_enforcement\": ", stdout);
	fputs(!checked ? "null" : (r->verdict == VERIFY_OK || e->unenforced_loads) ? "true" : "false", stdout);
	fputc('}', stdout);
}

int cmd_verify(int argc, char **argv)
{
	_cleanup_x509_stack_ STACK_OF(X509) *trusted = sk_X509_new_null();
	bool json = false, quiet = false, have_source = false, any_rejected = false, any_unchecked = false;
	bool have_kernel = false;
	struct verify_kernel kernel;
	int opt, rc = 0;

	if (!trusted) {
		util_err("verify: out of memory");
		return EXIT_ERR;
	}
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:K:qh", verify_options, NULL)) != -1) {
		switch (opt) {
		case 'c':
			have_source = true;
			if (rc == 0 && verify_load_certs(optarg, trusted) < 0)
				rc = -1;
			break;
		case 'K':
			have_source = true;
			if (rc == 0 && verify_load_keyring(optarg, trusted) < 0)
				rc = -1;
			break;
		case OPT_JSON:
			json = true;
			break;
		case OPT_KERNEL_DIR:
			if (rc == 0 && verify_kernel_load(optarg, &kernel) < 0)
				rc = -1;
			have_kernel = true;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			fputs(verify_usage, stdout);
			return EXIT_OK;
		default:
			if (optopt && optopt < 0x100 && strchr("cK", optopt))
				return usage_error("option '-%c' needs an argument", optopt);
			if (optopt && optopt < 0x100)
				return usage_error("unknown option '-%c'", optopt);
			return usage_error("unknown option or missing argument '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return usage_error("no MODULE given");
	if (!have_source)
		return usage_error("no trusted certificates: give --cert FILE or --keyring DIR");
	if (rc < 0)
		return EXIT_UNCHECKED;

	struct verify_opts opts = { .trusted = trusted, .kernel = have_kernel ? &kernel : NULL };

	for (int i = optind; i < argc; i++) {
		_cleanup_(module_freep) struct module m = { 0 };
		struct verify_result r = { 0 };
		bool checked = module_load(argv[i], &m, MODULE_DECOMPRESS) == 0 && verify_module(&opts, &m, &r) == 0;

		if (checked && m.format != COMPRESS_NONE)
			warn_kernel_decompress(argv[i], m.format);

		if (!checked)
			any_unchecked = true;
		else if (r.verdict != VERIFY_OK)
			any_rejected = true;
		if (quiet)
			continue;
		if (json)
			print_json(argv[i], &r, checked, i == optind);
		else
			print_text(argv[i], &r, checked);
		fflush(stdout);
	}
	if (json && !quiet)
		fputs("\n]\n", stdout);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		util_err("verify: cannot write the results: %s", strerror(errno));
		return EXIT_ERR;
	}
	return any_unchecked ? EXIT_UNCHECKED : any_rejected ? EXIT_REJECTED : EXIT_OK;
}

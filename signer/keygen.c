/* SPDX-License-Identifier: MIT */
/*
 * keygen: `modsign keygen [--template FILE] [--hash H] [--days N] [--pkcs11 URI] DIR`.
 *
 * Makes the key pair the kernel's certs/Makefile makes with
 *   openssl req -new -nodes -utf8 -<hash> -days 36500 -batch -x509 \
 *       -config x509.genkey -outform PEM -out signing_key.pem -keyout signing_key.pem
 * from the same template, plus the DER copy of the certificate that
 * `mokutil --import` wants, and never overwrites an existing key.
 * With --pkcs11 URI the key pair is generated on a PKCS#11 token instead,
 * and only the certificate is written (and stored on the token too).
 */
#include "keygen.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/conf.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "commands.h"
#include "fileio.h"
#include "p11mod.h"
#include "p11uri.h"
#include "pkcs11.h"
#include "util.h"

#ifndef MODSIGN_DATADIR
#define MODSIGN_DATADIR "/usr/local/share/modsign"
#endif

#define REQ "req"          /* the section openssl req reads */
#define SERIAL_BITS 159    /* a positive 20-byte serial, as openssl req makes */
#define RSA_MIN_BITS 2048
#define RSA_MAX_BITS 16384
#define RSA_DEFAULT_BITS 2048 /* openssl req's default_bits */
#define TEMPLATE_MAX (1024 * 1024)

/* ---- key types and curves ---------------------------------------------- */

enum keykind { KEY_RSA, KEY_EC };

struct keytype {
	const char *name; /* modsign_key_type = NAME */
	enum keykind kind;
};

static const struct keytype keytypes[] = {
	{ "rsa", KEY_RSA },
	{ "ec", KEY_EC },
};

/* The curves the kernel's ecdsa verifier takes for module signatures. */
struct curve {
	const char *group;    /* OpenSSL group name */
	const char *alias[2]; /* other spellings accepted */
};

static const struct curve curves[] = {
	{ "secp384r1", { "P-384", NULL } },
	{ "prime256v1", { "P-256", "secp256r1" } },
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const struct keytype *keytype_by_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(keytypes); i++)
		if (strcasecmp(keytypes[i].name, name) == 0)
			return &keytypes[i];
	return NULL;
}

static const struct curve *curve_by_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(curves); i++) {
		if (strcasecmp(curves[i].group, name) == 0)
			return &curves[i];
		for (size_t j = 0; j < ARRAY_SIZE(curves[i].alias); j++)
			if (curves[i].alias[j] && strcasecmp(curves[i].alias[j], name) == 0)
				return &curves[i];
	}
	return NULL;
}

/* ---- templates --------------------------------------------------------- */

struct keygen_template {
	char *path;
	CONF *conf;
	const struct keytype *type;
	size_t bits;                /* RSA */
	const struct curve *curve;  /* EC */
	X509_NAME *subject;
	const char *extensions;     /* section name (owned by conf), or NULL */
	const struct hashalg *md;   /* default_md, or NULL */
};

void keygen_template_free(struct keygen_template *t)
{
	if (!t)
		return;
	X509_NAME_free(t->subject);
	NCONF_free(t->conf);
	free(t->path);
	free(t);
}

const struct hashalg *keygen_template_hash(const struct keygen_template *t)
{
	return t->md;
}

/* A value, or NULL when absent (without leaving an error on the queue). */
static const char *conf_str(const CONF *conf, const char *section, const char *name)
{
	const char *v;

	ERR_set_mark();
	v = NCONF_get_string(conf, section, name);
	ERR_pop_to_mark();
	return v;
}

static STACK_OF(CONF_VALUE) *conf_section(const CONF *conf, const char *section)
{
	STACK_OF(CONF_VALUE) *sk;

	ERR_set_mark();
	sk = NCONF_get_section(conf, section);
	ERR_pop_to_mark();
	return sk;
}

static int parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int load_keytype(struct keygen_template *t)
{
	const char *v = conf_str(t->conf, REQ, "modsign_key_type");
	long bits = RSA_DEFAULT_BITS;

	t->type = keytype_by_name(v ? v : "rsa");
	if (!t->type) {
		util_err("%s: [ req ] modsign_key_type = %s: unknown key type (rsa, ec)", t->path, v);
		return -1;
	}
	if (t->type->kind == KEY_EC) {
		v = conf_str(t->conf, REQ, "modsign_ec_curve");
		t->curve = curve_by_name(v ? v : "secp384r1");
		if (!t->curve) {
			util_err("%s: [ req ] modsign_ec_curve = %s: unknown curve "
				 "(the kernel verifies secp384r1, prime256v1)", t->path, v);
			return -1;
		}
		return 0;
	}
	v = conf_str(t->conf, REQ, "default_bits");
	if (v && parse_long(v, RSA_MIN_BITS, RSA_MAX_BITS, &bits) < 0) {
		util_err("%s: [ req ] default_bits = %s: expected a number of bits from %d to %d",
			 t->path, v, RSA_MIN_BITS, RSA_MAX_BITS);
		return -1;
	}
	t->bits = (size_t)bits;
	return 0;
}

/*
 * The field type of a distinguished_name entry: like openssl req, anything
 * up to the first '.', ':' or ',' is a prefix that lets a field repeat
 * ("0.OU", "1.OU"), and a leading '+' joins the previous RDN.
 */
static const char *dn_field(const char *name, int *mval)
{
	const char *sep = strpbrk(name, ".:,");
	const char *type = sep && sep[1] ? sep + 1 : name;

	*mval = 0;
	if (*type == '+') {
		*mval = -1;
		type++;
	}
	return type;
}

static int build_subject(struct keygen_template *t, const char *section)
{
	STACK_OF(CONF_VALUE) *sk = conf_section(t->conf, section);

	if (!sk) {
		util_err("%s: no [ %s ] section (named by distinguished_name)", t->path, section);
		return -1;
	}
	t->subject = X509_NAME_new();
	if (!t->subject) {
		util_ossl_err("%s: out of memory", t->path);
		return -1;
	}
	for (int i = 0; i < sk_CONF_VALUE_num(sk); i++) {
		const CONF_VALUE *cv = sk_CONF_VALUE_value(sk, i);
		int mval;
		const char *type = dn_field(cv->name, &mval);

		ERR_clear_error();
		if (!X509_NAME_add_entry_by_txt(t->subject, type, MBSTRING_UTF8,
						(const unsigned char *)cv->value, -1, -1, mval)) {
			util_ossl_err("%s: [ %s ] %s = %s", t->path, section, cv->name, cv->value);
			return -1;
		}
	}
	if (X509_NAME_entry_count(t->subject) == 0) {
		util_err("%s: [ %s ] has no subject fields", t->path, section);
		return -1;
	}
	return 0;
}

/* The subject, encoded under the template's string_mask. */
static int load_subject(struct keygen_template *t)
{
	const char *prompt = conf_str(t->conf, REQ, "prompt");
	const char *dn = conf_str(t->conf, REQ, "distinguished_name");
	const char *mask = conf_str(t->conf, REQ, "string_mask");
	unsigned long saved = ASN1_STRING_get_default_mask();
	int r;

	if (!prompt || strcmp(prompt, "no") != 0) {
		util_err("%s: [ req ] needs prompt = no (modsign never prompts)", t->path);
		return -1;
	}
	if (!dn) {
		util_err("%s: [ req ] has no distinguished_name", t->path);
		return -1;
	}
	if (mask && !ASN1_STRING_set_default_mask_asc(mask)) {
		ERR_clear_error();
		util_err("%s: [ req ] string_mask = %s: invalid (utf8only, pkix, nombstr, default)",
			 t->path, mask);
		return -1;
	}
	/* The mask is process-wide: set it only while the name is built. */
	r = build_subject(t, dn);
	ASN1_STRING_set_default_mask(saved);
	return r;
}

static int load_extensions(struct keygen_template *t)
{
	const char *sec = conf_str(t->conf, REQ, "x509_extensions");
	X509V3_CTX ctx;

	if (!sec)
		return 0;
	if (!conf_section(t->conf, sec)) {
		util_err("%s: no [ %s ] section (named by x509_extensions)", t->path, sec);
		return -1;
	}
	/* A dry run, as openssl req does, so a bad extension fails before keygen. */
	X509V3_set_ctx_test(&ctx);
	X509V3_set_nconf(&ctx, t->conf);
	ERR_clear_error();
	if (!X509V3_EXT_add_nconf(t->conf, &ctx, sec, NULL)) {
		util_ossl_err("%s: [ %s ]: bad extension", t->path, sec);
		return -1;
	}
	t->extensions = sec;
	return 0;
}

static int load_md(struct keygen_template *t)
{
	const char *v = conf_str(t->conf, REQ, "default_md");

	if (!v || strcmp(v, "default") == 0)
		return 0;
	t->md = hashalg_by_name(v);
	if (!t->md) {
		util_err("%s: [ req ] default_md = %s: not a hash the kernel accepts (%s)",
			 t->path, v, hashalg_list());
		return -1;
	}
	return 0;
}

/* NCONF's reason, with the line it names: "FILE:LINE: reason". */
static void conf_syntax_error(const char *path, long line)
{
	unsigned long e = ERR_peek_last_error();
	const char *reason = e ? ERR_reason_error_string(e) : NULL;

	if (line > 0 && reason) {
		ERR_clear_error();
		util_err("%s:%ld: %s", path, line, reason);
	} else {
		util_ossl_err("%s: cannot parse", path);
	}
}

int keygen_template_load(const char *path, struct keygen_template **out)
{
	_cleanup_(fileio_buf_freep) struct fileio_buf f = { 0 };
	_cleanup_(keygen_template_freep) struct keygen_template *t = NULL;
	_cleanup_bio_ BIO *b = NULL;
	long line = 0;

	if (fileio_read(path, &f) < 0)
		return -1;
	if (f.len > TEMPLATE_MAX) {
		util_err("%s: too large for a template", path);
		return -1;
	}
	t = calloc(1, sizeof(*t));
	if (!t || !(t->path = strdup(path))) {
		util_err("%s: out of memory", path);
		return -1;
	}
	ERR_clear_error();
	t->conf = NCONF_new(NULL);
	b = BIO_new_mem_buf(f.data, (int)f.len);
	if (!t->conf || !b) {
		util_ossl_err("%s: out of memory", path);
		return -1;
	}
	if (NCONF_load_bio(t->conf, b, &line) <= 0) {
		conf_syntax_error(path, line);
		return -1;
	}
	if (!conf_section(t->conf, REQ)) {
		util_err("%s: no [ req ] section", path);
		return -1;
	}
	if (load_keytype(t) < 0 || load_subject(t) < 0 || load_extensions(t) < 0 ||
	    load_md(t) < 0)
		return -1;
	*out = TAKE_PTR(t);
	return 0;
}

/* "<dir of /proc/self/exe>/<up>x509/x509.genkey", or NULL. */
static char *exe_relative(const char *up)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash, *p = NULL;

	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return NULL;
	*slash = '\0';
	if (asprintf(&p, "%s/%sx509/" KEYGEN_TEMPLATE, exe, up) < 0)
		return NULL;
	return p;
}

int keygen_template_find(char **out)
{
	const char *env = getenv("MODSIGN_TEMPLATE_DIR");
	static const char *const ups[] = { "../", "../../" };
	char *p = NULL;

	if (env && *env) {
		if (asprintf(&p, "%s/" KEYGEN_TEMPLATE, env) < 0) {
			util_err("out of memory");
			return -1;
		}
		if (access(p, F_OK) < 0) {
			util_err("%s: %s (from MODSIGN_TEMPLATE_DIR)", p, strerror(errno));
			free(p);
			return -1;
		}
		*out = p;
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(ups); i++) {
		p = exe_relative(ups[i]);
		/* only in modsign's own source tree, never e.g. /x509 above /usr/bin */
		if (p && access(p, F_OK) == 0) {
			char *src = strdup(p);
			char *cut = src ? strstr(src, "x509/" KEYGEN_TEMPLATE) : NULL;

			if (cut)
				strcpy(cut, "signer/main.c");
			if (cut && access(src, F_OK) == 0) {
				free(src);
				*out = p;
				return 0;
			}
			free(src);
		}
		free(p);
	}
	p = strdup(MODSIGN_DATADIR "/" KEYGEN_TEMPLATE);
	if (!p) {
		util_err("out of memory");
		return -1;
	}
	if (access(p, F_OK) < 0) {
		util_err("%s: %s (no template found: give --template FILE or set "
			 "MODSIGN_TEMPLATE_DIR)", p, strerror(errno));
		free(p);
		return -1;
	}
	*out = p;
	return 0;
}

/* ---- key and certificate ----------------------------------------------- */

static EVP_PKEY *generate_key(const struct keygen_template *t)
{
	if (t->type->kind == KEY_RSA)
		return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", t->bits);
	return EVP_PKEY_Q_keygen(NULL, NULL, "EC", t->curve->group);
}

static int set_serial(X509 *x)
{
	BIGNUM *bn = BN_new();
	int ok = 0;

	if (!bn)
		return 0;
	do {
		if (!BN_rand(bn, SERIAL_BITS, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY))
			goto out;
	} while (BN_is_zero(bn));
	ok = BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
out:
	BN_free(bn);
	return ok;
}

/*
 * authorityKeyIdentifier=keyid (without "always") names no key on a
 * self-signed certificate, and OpenSSL leaves an empty extension behind;
 * openssl req drops it, and so do we.
 */
static int drop_empty_akid(X509 *x)
{
	int i = X509_get_ext_by_NID(x, NID_authority_key_identifier, -1);
	AUTHORITY_KEYID *akid;
	bool empty;

	if (i < 0)
		return 0;
	akid = X509_get_ext_d2i(x, NID_authority_key_identifier, NULL, NULL);
	if (!akid)
		return -1;
	empty = !akid->keyid && !akid->issuer && !akid->serial;
	AUTHORITY_KEYID_free(akid);
	if (empty)
		X509_EXTENSION_free(X509_delete_ext(x, i));
	return 0;
}

/* The self-signed certificate of key (which may live on a token). */
static int make_cert(const struct keygen_template *t, const struct hashalg *hash, int days,
		     EVP_PKEY *key, X509 **cert_out)
{
	_cleanup_x509_ X509 *x = NULL;
	X509V3_CTX ctx;

	ERR_clear_error();
	x = X509_new();
	if (!x || !X509_set_version(x, X509_VERSION_3) || !set_serial(x) ||
	    !X509_set_subject_name(x, t->subject) || !X509_set_issuer_name(x, t->subject) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), 0) ||
	    !X509_time_adj_ex(X509_getm_notAfter(x), days, 0, NULL) ||
	    !X509_set_pubkey(x, key)) {
		util_ossl_err("%s: cannot make the certificate", t->path);
		return -1;
	}
	if (t->extensions) {
		/* Self-signed: the issuer is the certificate itself, with our key. */
		X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
		X509V3_set_nconf(&ctx, t->conf);
		if (!X509V3_set_issuer_pkey(&ctx, key) ||
		    !X509V3_EXT_add_nconf(t->conf, &ctx, t->extensions, x) ||
		    drop_empty_akid(x) < 0) {
			util_ossl_err("%s: [ %s ]: cannot add the extensions", t->path, t->extensions);
			return -1;
		}
	}
	if (X509_sign(x, key, hashalg_md(hash)) <= 0 || X509_verify(x, key) != 1) {
		util_ossl_err("%s: cannot sign the certificate with %s", t->path, hash->name);
		return -1;
	}
	*cert_out = TAKE_PTR(x);
	return 0;
}

int keygen_make(const struct keygen_template *t, const struct hashalg *hash, int days,
		EVP_PKEY **key_out, X509 **cert_out)
{
	_cleanup_pkey_ EVP_PKEY *key = NULL;

	ERR_clear_error();
	key = generate_key(t);
	if (!key) {
		util_ossl_err("%s: cannot generate the key", t->path);
		return -1;
	}
	if (make_cert(t, hash, days, key, cert_out) < 0)
		return -1;
	*key_out = TAKE_PTR(key);
	return 0;
}

/* ---- the key directory ------------------------------------------------- */

/* dir/name, without doubling a trailing slash. */
static char *join(const char *dir, const char *name)
{
	size_t n = strlen(dir);
	char *p = NULL;

	while (n > 1 && dir[n - 1] == '/')
		n--;
	if (n == 1 && dir[0] == '/')
		n = 0;
	if (asprintf(&p, "%.*s/%s", (int)n, dir, name) < 0)
		return NULL;
	return p;
}

static int exists(const char *path, bool *out)
{
	struct stat st;

	if (lstat(path, &st) == 0) {
		*out = true;
		return 0;
	}
	if (errno == ENOENT) {
		*out = false;
		return 0;
	}
	util_err("%s: %s", path, strerror(errno));
	return -1;
}

int keygen_state(const char *dir, enum keygen_state *out)
{
	_cleanup_free_ char *pem = join(dir, KEYGEN_PEM);
	_cleanup_free_ char *der = join(dir, KEYGEN_DER);
	bool has_pem, has_der;

	if (!pem || !der) {
		util_err("%s: out of memory", dir);
		return -1;
	}
	if (exists(pem, &has_pem) < 0 || exists(der, &has_der) < 0)
		return -1;
	*out = has_pem ? (has_der ? KEYGEN_COMPLETE : KEYGEN_NO_DER)
		       : (has_der ? KEYGEN_NO_PEM : KEYGEN_NONE);
	return 0;
}

/* Refuse when a key, or the trace of an interrupted keygen, is there. */
static int check_free(const char *dir, const char *pem, const char *der)
{
	enum keygen_state st;

	if (keygen_state(dir, &st) < 0)
		return -1;
	switch (st) {
	case KEYGEN_NONE:
		break;
	case KEYGEN_COMPLETE:
	case KEYGEN_NO_DER:
		util_err("%s: already exists, not overwriting", pem);
		return -1;
	case KEYGEN_NO_PEM:
		util_err("%s: already exists, not overwriting (without %s: an interrupted "
			 "keygen? remove it to make a new key)", der, pem);
		return -1;
	}
	if (access(dir, W_OK | X_OK) < 0) {
		util_err("%s: cannot write: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

/* Key (PKCS#8, unencrypted) then certificate, in a cleansing memory BIO. */
static BIO *pem_encode(EVP_PKEY *key, X509 *cert)
{
	BIO *b = BIO_new(BIO_s_secmem());

	if (!b)
		return NULL;
	if (!PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL) ||
	    !PEM_write_bio_X509(b, cert)) {
		BIO_free(b);
		return NULL;
	}
	return b;
}

static int write_key(const struct keygen_template *t, const struct hashalg *hash, int days,
		     const char *pem, const char *der)
{
	_cleanup_pkey_ EVP_PKEY *key = NULL;
	_cleanup_x509_ X509 *cert = NULL;
	_cleanup_bio_ BIO *pem_bio = NULL;
	unsigned char *der_buf = NULL;
	char *pem_data = NULL;
	struct iovec dv, pv;
	int der_len, r = -1;

	if (keygen_make(t, hash, days, &key, &cert) < 0)
		return -1;
	pem_bio = pem_encode(key, cert);
	der_len = i2d_X509(cert, &der_buf);
	if (!pem_bio || der_len <= 0) {
		util_ossl_err("%s: cannot encode the key", pem);
		goto out;
	}
	pv.iov_len = (size_t)BIO_get_mem_data(pem_bio, &pem_data);
	pv.iov_base = pem_data;
	dv.iov_base = der_buf;
	dv.iov_len = (size_t)der_len;

	/* DER first, PEM last: a PEM always has its DER; see keygen.h. */
	if (fileio_create_new(der, &dv, 1, 0644) < 0)
		goto out;
	if (fileio_create_new(pem, &pv, 1, 0600) < 0) {
		unlink(der);
		goto out;
	}
	r = 0;
out:
	OPENSSL_free(der_buf);
	return r;
}

/* ---- a key pair on a PKCS#11 token ------------------------------------ */

#define TOKEN_ID_LEN 20 /* CKA_ID of a new key when the URI names none */

/* Refuse when the token already holds a key or certificate the URI names. */
static int token_check_free(struct p11mod *m, const struct p11uri *u)
{
	bool key = false, cert = false;

	if (p11mod_find(m, u, P11MOD_PRIVATE_KEY, &key) < 0 || p11mod_find(m, u, P11MOD_CERTIFICATE, &cert) < 0)
		return -1;
	if (key || cert) {
		util_err("%s: the token already holds a %s with this label/id, not overwriting", u->shown,
			 key ? "private key" : "certificate");
		return -1;
	}
	return 0;
}

static int write_token_key(const struct keygen_template *t, const struct hashalg *hash, int days,
			   const char *uri, const char *pem, const char *der)
{
	_cleanup_(p11uri_freep) struct p11uri u = { 0 };
	_cleanup_pkey_ EVP_PKEY *key = NULL;
	_cleanup_x509_ X509 *cert = NULL;
	unsigned char idbuf[TOKEN_ID_LEN], *der_buf = NULL, *id;
	char *pem_data = NULL;
	_cleanup_bio_ BIO *pem_bio = NULL;
	struct p11mod *m = NULL;
	size_t id_len;
	int der_len, r = -1;

	if (p11uri_parse(uri, &u) < 0)
		return -1;
	if (!u.object) {
		util_err("%s: name the new key with object=LABEL in the URI", u.shown);
		return -1;
	}
	if (u.id) {
		id = u.id;
		id_len = u.id_len;
	} else if (RAND_bytes(idbuf, sizeof(idbuf)) == 1) {
		id = idbuf;
		id_len = sizeof(idbuf);
	} else {
		util_ossl_err("%s: cannot make a key id", u.shown);
		return -1;
	}
	int nid = t->type->kind == KEY_EC ? OBJ_txt2nid(t->curve->group) : 0;

	if (p11mod_open(&u, true, true, &m) < 0)
		return -1;
	if (token_check_free(m, &u) < 0 ||
	    p11mod_generate(m, &u, id, id_len, t->type->kind == KEY_RSA ? (int)t->bits : 0, nid) < 0) {
		p11mod_close(m);
		return -1;
	}
	p11mod_close(m);
	m = NULL;

	/* The new key through OpenSSL (the label is unique: checked above). */
	if (pkcs11_load_key(uri, &key) < 0 || make_cert(t, hash, days, key, &cert) < 0)
		goto out;
	if (p11mod_open(&u, true, true, &m) < 0 || p11mod_store_cert(m, &u, id, id_len, cert) < 0)
		goto out;

	pem_bio = BIO_new(BIO_s_mem());
	der_len = i2d_X509(cert, &der_buf);
	if (!pem_bio || !PEM_write_bio_X509(pem_bio, cert) || der_len <= 0) {
		util_ossl_err("%s: cannot encode the certificate", pem);
		goto out;
	}
	struct iovec dv = { der_buf, (size_t)der_len }, pv;

	pv.iov_len = (size_t)BIO_get_mem_data(pem_bio, &pem_data);
	pv.iov_base = pem_data;
	if (fileio_create_new(der, &dv, 1, 0644) < 0)
		goto out;
	if (fileio_create_new(pem, &pv, 1, 0644) < 0) {
		unlink(der);
		goto out;
	}
	r = 0;
out:
	if (r < 0)
		util_err("%s: the new key pair stays on the token", u.shown);
	p11mod_close(m);
	OPENSSL_free(der_buf);
	return r;
}

int keygen_create(const struct keygen_opts *opts, const char *dir)
{
	_cleanup_(keygen_template_freep) struct keygen_template *t = NULL;
	_cleanup_free_ char *found = NULL, *pem = NULL, *der = NULL;
	const char *tpl = opts->template_path;
	const struct hashalg *hash;
	int days = opts->days ? opts->days : KEYGEN_DEFAULT_DAYS;
	bool created;

	if (days < 1 || days > KEYGEN_MAX_DAYS) {
		util_err("%s: %d days: expected 1 to %d", dir, days, KEYGEN_MAX_DAYS);
		return -1;
	}
	if (!tpl) {
		if (keygen_template_find(&found) < 0)
			return -1;
		tpl = found;
	}
	if (keygen_template_load(tpl, &t) < 0)
		return -1;
	hash = opts->hash ? opts->hash : t->md ? t->md : hashalg_by_name(KEYGEN_DEFAULT_HASH);
	pem = join(dir, KEYGEN_PEM);
	der = join(dir, KEYGEN_DER);
	if (!pem || !der) {
		util_err("%s: out of memory", dir);
		return -1;
	}
	if (fileio_mkdir_private(dir, false, &created) < 0)
		return -1;
	if (check_free(dir, pem, der) < 0 ||
	    (opts->pkcs11 ? write_token_key(t, hash, days, opts->pkcs11, pem, der)
			  : write_key(t, hash, days, pem, der)) < 0) {
		if (created)
			rmdir(dir); /* fails, as it should, if another keygen wrote there */
		return -1;
	}
	if (!opts->quiet && opts->pkcs11) {
		_cleanup_free_ char *shown = p11uri_redact(opts->pkcs11);

		printf("created the key pair and stored the certificate on the token: %s\n",
		       shown ? shown : "pkcs11:");
	}
	if (!opts->quiet)
		printf("wrote %s\nwrote %s\n", pem, der);
	return 0;
}

/* ---- command line ------------------------------------------------------ */

#define KEYGEN_USAGE "Usage: modsign keygen [--template FILE] [--hash H] [--days N] [--pkcs11 URI] DIR\n"

static void help(void)
{
	printf(KEYGEN_USAGE
	       "\n"
	       "Create DIR/" KEYGEN_PEM " (private key and certificate, mode 0600) and\n"
	       "DIR/" KEYGEN_DER " (the certificate in DER, for mokutil --import) from an\n"
	       "x509.genkey template, as the kernel's certs/Makefile does with openssl req.\n"
	       "DIR is created (mode 0700) if missing.  An existing key is never overwritten.\n"
	       "\n"
	       "  --template FILE  the template; default: $MODSIGN_TEMPLATE_DIR/" KEYGEN_TEMPLATE "\n"
	       "                   if that is set, else x509/" KEYGEN_TEMPLATE " of the source\n"
	       "                   tree modsign was built in, else\n"
	       "                   " MODSIGN_DATADIR "/" KEYGEN_TEMPLATE "\n"
	       "  --hash H         signature hash; default: the template's default_md, else\n"
	       "                   " KEYGEN_DEFAULT_HASH "\n"
	       "  --days N         validity in days, 1 to %d (default %d)\n"
	       "  --pkcs11 URI     generate the key pair on the PKCS#11 token the URI names\n"
	       "                   (object=LABEL required; PIN from KBUILD_SIGN_PIN,\n"
	       "                   pin-value or pin-source; module from PKCS11_MODULE_PATH),\n"
	       "                   store the certificate there too, and write only the\n"
	       "                   certificate: DIR/" KEYGEN_PEM " (PEM, 0644) and DIR/" KEYGEN_DER "\n"
	       "  -h, --help       show this help\n"
	       "\n"
	       "Hashes: %s\n"
	       "\n"
	       "Exit status: 0 key created; 1 error (key exists, bad template, cannot write);\n"
	       "2 usage.\n",
	       KEYGEN_MAX_DAYS, KEYGEN_DEFAULT_DAYS, hashalg_list());
}

static int usage_error(const char *fmt, const char *arg)
{
	return util_usage_error("keygen", fmt, arg);
}

enum { OPT_TEMPLATE = 256, OPT_HASH, OPT_DAYS, OPT_PKCS11 };

static const struct option keygen_options[] = {
	{ "template", required_argument, NULL, OPT_TEMPLATE },
	{ "hash", required_argument, NULL, OPT_HASH },
	{ "days", required_argument, NULL, OPT_DAYS },
	{ "pkcs11", required_argument, NULL, OPT_PKCS11 },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int cmd_keygen(int argc, char **argv)
{
	struct keygen_opts opts = { 0 };
	long days;
	int opt;

	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":h", keygen_options, NULL)) != -1) {
		switch (opt) {
		case OPT_TEMPLATE:
			opts.template_path = optarg;
			break;
		case OPT_HASH:
			opts.hash = hashalg_by_name(optarg);
			if (!opts.hash) {
				util_err("--hash %s: unknown hash algorithm (expected one of: %s)",
					 optarg, hashalg_list());
				return EXIT_USAGE;
			}
			break;
		case OPT_DAYS:
			if (parse_long(optarg, 1, KEYGEN_MAX_DAYS, &days) < 0) {
				util_err("--days %s: expected a number of days from 1 to %d",
					 optarg, KEYGEN_MAX_DAYS);
				return EXIT_USAGE;
			}
			opts.days = (int)days;
			break;
		case OPT_PKCS11:
			if (!p11uri_is(optarg))
				return usage_error("--pkcs11 %s: expected a pkcs11: URI", optarg);
			opts.pkcs11 = optarg;
			break;
		case 'h':
			help();
			return EXIT_OK;
		default: /* ':' or '?' */
			return util_getopt_error("keygen", opt, argv);
		}
	}
	if (argc - optind != 1)
		return usage_error("%s", argc - optind ? "expected one DIR, got more"
						     : "missing DIR");
	if (opts.template_path && !*opts.template_path)
		return usage_error("%s", "--template needs a file name");
	return keygen_create(&opts, argv[optind]) < 0 ? EXIT_ERR : EXIT_OK;
}

/* SPDX-License-Identifier: MIT */
#include "key.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "fileio.h"
#include "p11uri.h"
#include "pkcs11.h"
#include "util.h"

struct pin_state {
	const char *pin;
	int asked;
};

/* Passphrase callback: KBUILD_SIGN_PIN once, never a prompt. */
static int pin_cb(char *buf, int size, int rwflag, void *u)
{
	struct pin_state *st = u;
	size_t n;

	(void)rwflag;
	st->asked = 1;
	if (!st->pin)
		return -1;
	n = strlen(st->pin);
	if (n >= (size_t)size)
		return -1;
	memcpy(buf, st->pin, n);
	st->pin = NULL; /* a wrong PIN is not tried twice */
	return (int)n;
}

/* The last key warned about: a key checked (strict) then loaded warns once. */
static char mode_warned[4096];

/* Judge a private key file's mode bits (st of the file read). */
static int check_mode(const char *path, const struct stat *st, int strict)
{
	const char *allow = getenv(KEY_ALLOW_OPEN_ENV);
	unsigned mode = st->st_mode & 07777;

	if (!S_ISREG(st->st_mode) || !(mode & 077))
		return 0;
	if (strict && !(allow && strcmp(allow, "1") == 0)) {
		util_err("%s: private key is accessible by others (mode %04o); chmod 600 it "
			 "(or set " KEY_ALLOW_OPEN_ENV "=1 to use it anyway)", path, mode);
		return -1;
	}
	if (strcmp(mode_warned, path) == 0)
		return 0;
	snprintf(mode_warned, sizeof(mode_warned), "%s", path);
	util_warn("%s: private key is accessible by others (mode %04o); chmod 600 it", path, mode);
	return 0;
}

int key_check_private_mode(const char *path, int strict)
{
	struct stat st;

	if (p11uri_is(path))
		return 0; /* on a token: no file mode to judge */
	if (stat(path, &st) < 0) {
		util_err("%s: %s", path, strerror(errno));
		return -1;
	}
	return check_mode(path, &st, strict);
}

/* Frees an OSSL_PARAM array after wiping the values it holds. */
static void params_clear_free(OSSL_PARAM *params)
{
	for (OSSL_PARAM *p = params; p && p->key; p++)
		if (p->data)
			OPENSSL_cleanse(p->data, p->data_size);
	OSSL_PARAM_free(params);
}

/* Frees a SEQUENCE OF ANY after wiping the INTEGERs in it. */
static void seq_clear_free(ASN1_SEQUENCE_ANY *seq)
{
	for (int i = 0; i < sk_ASN1_TYPE_num(seq); i++) {
		ASN1_TYPE *t = sk_ASN1_TYPE_value(seq, i);

		if ((t->type == V_ASN1_INTEGER || t->type == V_ASN1_NEG_INTEGER) && t->value.integer->data)
			OPENSSL_cleanse(t->value.integer->data, (size_t)t->value.integer->length);
	}
	sk_ASN1_TYPE_pop_free(seq, ASN1_TYPE_free);
}

/*
 * A two-prime RSAPrivateKey (RFC 8017, A.1.2: version 0 and eight positive
 * INTEGERs, nothing after them), the inside of an RSA PKCS#8 key, given to
 * OpenSSL as its eight numbers (EVP_PKEY_fromdata): the key a decoder
 * would make, without building one, about 0.1 ms less of a one-module
 * sign-file call than even a decoder made for RSA alone.  NULL for
 * anything else (multi-prime, a negative or zero number, extra bytes):
 * the decoder then decides.
 */
static EVP_PKEY *rsa_fromdata(const unsigned char *der, int len)
{
	static const char *const names[] = {
		NULL, /* version */
		OSSL_PKEY_PARAM_RSA_N,
		OSSL_PKEY_PARAM_RSA_E,
		OSSL_PKEY_PARAM_RSA_D,
		OSSL_PKEY_PARAM_RSA_FACTOR1,
		OSSL_PKEY_PARAM_RSA_FACTOR2,
		OSSL_PKEY_PARAM_RSA_EXPONENT1,
		OSSL_PKEY_PARAM_RSA_EXPONENT2,
		OSSL_PKEY_PARAM_RSA_COEFFICIENT1,
	};
	const int n = (int)(sizeof(names) / sizeof(names[0]));
	const unsigned char *p = der;
	ASN1_SEQUENCE_ANY *seq = d2i_ASN1_SEQUENCE_ANY(NULL, &p, len);
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	BIGNUM *bn[sizeof(names) / sizeof(names[0])] = { NULL };
	EVP_PKEY *k = NULL;
	int i;

	if (!seq || p != der + len || sk_ASN1_TYPE_num(seq) != n)
		goto out;
	for (i = 0; i < n; i++)
		if (sk_ASN1_TYPE_value(seq, i)->type != V_ASN1_INTEGER)
			goto out;
	if (ASN1_INTEGER_get(sk_ASN1_TYPE_value(seq, 0)->value.integer) != 0 || !(bld = OSSL_PARAM_BLD_new()))
		goto out;
	for (i = 1; i < n; i++) {
		bn[i] = ASN1_INTEGER_to_BN(sk_ASN1_TYPE_value(seq, i)->value.integer, NULL);
		if (!bn[i] || BN_is_zero(bn[i]) || !OSSL_PARAM_BLD_push_BN(bld, names[i], bn[i]))
			goto out;
	}
	if (!(params = OSSL_PARAM_BLD_to_param(bld)) || !(ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) ||
	    EVP_PKEY_fromdata_init(ctx) <= 0 || EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_KEYPAIR, params) <= 0) {
		EVP_PKEY_free(k);
		k = NULL;
	}
out:
	EVP_PKEY_CTX_free(ctx);
	params_clear_free(params);
	OSSL_PARAM_BLD_free(bld);
	for (i = 0; i < n; i++)
		BN_clear_free(bn[i]);
	seq_clear_free(seq);
	return k;
}

/*
 * The common case, an unencrypted PKCS#8 key ("BEGIN PRIVATE KEY", as
 * keygen and the kernel's certs/ write it): an RSA key by rsa_fromdata(),
 * any other by a decoder made for its one key type (OpenSSL 3.0 otherwise
 * builds decoder chains for every key type and structure, about 0.3 ms of
 * a one-module sign-file call).  NULL when the file starts with anything
 * else or this fails; the general path then decides, and gives the error
 * messages.
 */
static EVP_PKEY *load_pkcs8_plain(const unsigned char *data, size_t len)
{
	_cleanup_bio_ BIO *b = BIO_new_mem_buf(data, (int)len);
	char *name = NULL, *header = NULL, oid[128];
	unsigned char *der = NULL;
	long der_len = 0;
	const unsigned char *p, *pk;
	const ASN1_OBJECT *alg;
	int pk_len;
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	OSSL_DECODER_CTX *dctx = NULL;
	EVP_PKEY *k = NULL;

	if (!b || !PEM_read_bio(b, &name, &header, &der, &der_len) ||
	    strcmp(name, "PRIVATE KEY") != 0 || header[0] != '\0')
		goto out;
	p = der;
	p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, der_len);
	if (!p8 || !PKCS8_pkey_get0(&alg, &pk, &pk_len, NULL, p8))
		goto out;
	if (OBJ_obj2nid(alg) == NID_rsaEncryption && (k = rsa_fromdata(pk, pk_len)))
		goto out;
	/* Decoders know key types by OID too ("1.2.840.113549.1.1.1" is RSA). */
	if (OBJ_obj2txt(oid, sizeof(oid), alg, 1) <= 0 || strlen(oid) >= sizeof(oid) - 1)
		goto out;
	dctx = OSSL_DECODER_CTX_new_for_pkey(&k, "DER", "PrivateKeyInfo", oid, EVP_PKEY_KEYPAIR, NULL, NULL);
	p = der;
	size_t left = (size_t)der_len;

	if (!dctx || !OSSL_DECODER_from_data(dctx, &p, &left) || left != 0) {
		EVP_PKEY_free(k);
		k = NULL;
	}
out:
	OSSL_DECODER_CTX_free(dctx);
	PKCS8_PRIV_KEY_INFO_free(p8);
	if (der)
		OPENSSL_clear_free(der, (size_t)der_len);
	OPENSSL_free(name);
	OPENSSL_free(header);
	ERR_clear_error();
	return k;
}

int key_load_private(const char *path, EVP_PKEY **out)
{
	_cleanup_(fileio_buf_freep) struct fileio_buf f = { 0 };
	_cleanup_bio_ BIO *b = NULL;
	struct pin_state st = { getenv("KBUILD_SIGN_PIN"), 0 };
	const char *pin = st.pin;
	EVP_PKEY *k;

	if (p11uri_is(path))
		return pkcs11_load_key(path, out);
	if (fileio_read(path, &f) < 0)
		return -1;
	if (f.len == 0) {
		util_err("%s: empty file, expected a PEM private key", path);
		return -1;
	}
	b = BIO_new_mem_buf(f.data, (int)f.len);
	if (!b) {
		util_ossl_err("%s: BIO_new_mem_buf", path);
		return -1;
	}
	k = load_pkcs8_plain(f.data, f.len);
	ERR_clear_error();
	if (!k)
		k = PEM_read_bio_PrivateKey(b, NULL, pin_cb, &st);
	OPENSSL_cleanse(f.data, f.len);
	if (!k) {
		if (st.asked && !pin) {
			ERR_clear_error();
			util_err("%s: private key is encrypted; set KBUILD_SIGN_PIN to its passphrase", path);
		} else if (st.asked) {
			ERR_clear_error();
			util_err("%s: cannot decrypt private key: wrong KBUILD_SIGN_PIN", path);
		} else {
			util_ossl_err("%s: no PEM private key found", path);
		}
		return -1;
	}
	check_mode(path, &f.st, 0); /* about a file that does hold a private key */
	*out = k;
	return 0;
}

/* Parse certificates from memory; DER if it starts with a SEQUENCE tag. */
static int parse_certs(const char *path, const unsigned char *data, size_t len,
		       STACK_OF(X509) *sk, int first_only)
{
	int before = sk_X509_num(sk);

	ERR_clear_error();
	if (len >= 2 && data[0] == 0x30) {
		const unsigned char *p = data;
		X509 *x = d2i_X509(NULL, &p, (long)len);

		if (!x) {
			util_ossl_err("%s: not a DER X.509 certificate", path);
			return -1;
		}
		if (!sk_X509_push(sk, x)) {
			X509_free(x);
			util_ossl_err("%s: out of memory", path);
			return -1;
		}
		return 0;
	}

	_cleanup_bio_ BIO *b = BIO_new_mem_buf(data, (int)len);
	X509 *x;

	if (!b) {
		util_ossl_err("%s: BIO_new_mem_buf", path);
		return -1;
	}
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		if (!sk_X509_push(sk, x)) {
			X509_free(x);
			util_ossl_err("%s: out of memory", path);
			return -1;
		}
		if (first_only)
			break;
	}
	if (sk_X509_num(sk) == before) {
		util_ossl_err("%s: no X.509 certificate found (expected PEM or DER)", path);
		return -1;
	}
	ERR_clear_error(); /* the PEM loop ends on "no start line" */
	return 0;
}

static int load(const char *path, STACK_OF(X509) *sk, int first_only)
{
	_cleanup_(fileio_buf_freep) struct fileio_buf f = { 0 };

	if (fileio_read(path, &f) < 0)
		return -1;
	if (f.len == 0) {
		util_err("%s: empty file, expected an X.509 certificate", path);
		return -1;
	}
	return parse_certs(path, f.data, f.len, sk, first_only);
}

int key_load_cert(const char *path, X509 **out)
{
	_cleanup_x509_stack_ STACK_OF(X509) *sk = NULL;

	if (p11uri_is(path))
		return pkcs11_load_cert(path, out);
	if (!(sk = sk_X509_new_null())) {
		util_ossl_err("%s: out of memory", path);
		return -1;
	}
	if (load(path, sk, 1) < 0)
		return -1;
	*out = sk_X509_shift(sk);
	return 0;
}

int key_load_certs(const char *path, STACK_OF(X509) *sk)
{
	X509 *x = NULL;

	if (!p11uri_is(path))
		return load(path, sk, 0);
	if (pkcs11_load_cert(path, &x) < 0)
		return -1;
	if (!sk_X509_push(sk, x)) {
		X509_free(x);
		util_ossl_err("out of memory");
		return -1;
	}
	return 0;
}

int key_check_pair(EVP_PKEY *key, X509 *cert, const char *key_path, const char *cert_path)
{
	ERR_clear_error();
	if (X509_check_private_key(cert, key) != 1) {
		/* Names shown with any pin-value of a pkcs11: URI redacted. */
		_cleanup_free_ char *k = p11uri_redact(key_path), *c = p11uri_redact(cert_path);

		ERR_clear_error();
		util_err("%s: private key does not match the certificate %s", k ? k : "key", c ? c : "");
		return -1;
	}
	return 0;
}

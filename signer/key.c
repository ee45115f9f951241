/* SPDX-License-Identifier: MIT */
#include "key.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/decoder.h>
#include <openssl/err.h>
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

/*
 * The common case, an unencrypted PKCS#8 key ("BEGIN PRIVATE KEY", as
 * keygen and the kernel's certs/ write it), decoded by a decoder made for
 * its one key type: OpenSSL 3.0 otherwise builds decoder chains for every
 * key type and structure, about 0.3 ms of a one-module sign-file call.
 * NULL when the file starts with anything else or this fails; the general
 * path then decides, and gives the error messages.
 */
static EVP_PKEY *load_pkcs8_plain(const unsigned char *data, size_t len)
{
	_cleanup_bio_ BIO *b = BIO_new_mem_buf(data, (int)len);
	char *name = NULL, *header = NULL, oid[128];
	unsigned char *der = NULL;
	long der_len = 0;
	const unsigned char *p;
	const ASN1_OBJECT *alg;
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	OSSL_DECODER_CTX *dctx = NULL;
	EVP_PKEY *k = NULL;

	if (!b || !PEM_read_bio(b, &name, &header, &der, &der_len) ||
	    strcmp(name, "PRIVATE KEY") != 0 || header[0] != '\0')
		goto out;
	p = der;
	p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, der_len);
	if (!p8 || !PKCS8_pkey_get0(&alg, NULL, NULL, NULL, p8))
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

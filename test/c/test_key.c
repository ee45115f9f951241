/* SPDX-License-Identifier: MIT */
/*
 * test-key: unit tests of key_load_private() (signer/key.c).  For each PEM
 * file given, and for variants of each RSA PKCS#8 key among them made here
 * (a wrong version, a number too many or too few, a negative or zero
 * number, bytes after the key, two numbers swapped), the key modsign loads
 * must hold exactly the numbers that OpenSSL's own PEM reader finds in the
 * same file, or both must refuse the file.  RSA keys in PKCS#8 take
 * modsign's own path (rsa_fromdata), the others OpenSSL's decoders.
 *
 *   test-key DIR KEY.pem...      DIR: where the variants are written
 *
 * Output is TAP.  Exit status: 0 all passed, 1 a test failed, 2 usage.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "key.h"
#include "tap.h"
#include "util.h"

/* OpenSSL's own reading of the file: the first private key in it. */
static EVP_PKEY *reference_load(const char *path)
{
	FILE *f = fopen(path, "r");
	EVP_PKEY *k;

	if (!f)
		return NULL;
	k = PEM_read_PrivateKey(f, NULL, NULL, (void *)getenv("KBUILD_SIGN_PIN"));
	fclose(f);
	ERR_clear_error();
	return k;
}

/*
 * Whether a and b hold the same numbers and names (EVP_PKEY_todata of the
 * whole key pair); why not, in why.
 */
static bool same_key(EVP_PKEY *a, EVP_PKEY *b, char *why, size_t why_len)
{
	OSSL_PARAM *pa = NULL, *pb = NULL;
	bool ok = false;
	int n = 0;

	if (!EVP_PKEY_todata(a, EVP_PKEY_KEYPAIR, &pa) || !EVP_PKEY_todata(b, EVP_PKEY_KEYPAIR, &pb)) {
		snprintf(why, why_len, "EVP_PKEY_todata failed");
		goto out;
	}
	for (const OSSL_PARAM *p = pa; p->key; p++, n++) {
		const OSSL_PARAM *q = OSSL_PARAM_locate_const(pb, p->key);

		if (!q || q->data_type != p->data_type || q->data_size != p->data_size ||
		    memcmp(q->data, p->data, p->data_size) != 0) {
			snprintf(why, why_len, "'%s' differs", p->key);
			goto out;
		}
	}
	for (const OSSL_PARAM *q = pb; q->key; q++)
		n--;
	if (n != 0) {
		snprintf(why, why_len, "the keys hold different sets of values");
		goto out;
	}
	ok = true;
out:
	OSSL_PARAM_free(pa);
	OSSL_PARAM_free(pb);
	return ok;
}

/* One file: modsign's key and OpenSSL's are the same, or neither loads. */
static void check_file(const char *path, const char *what, bool must_load)
{
	EVP_PKEY *ref = reference_load(path), *ours = NULL;
	int devnull = open("/dev/null", O_WRONLY), saved = dup(STDERR_FILENO);
	char why[128] = "";
	int rc;

	/* key_load_private's error lines are expected for refused files. */
	fflush(stderr);
	dup2(devnull, STDERR_FILENO);
	rc = key_load_private(path, &ours);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(devnull);
	ERR_clear_error();

	if (!ref || rc < 0)
		tap(!ref && rc < 0 && !must_load, "%s: %s", what,
		    !ref && rc < 0 ? "refused by both" : ref ? "only OpenSSL's reader loads it" : "only modsign loads it");
	else {
		bool same = same_key(ours, ref, why, sizeof(why));

		tap(same, "%s: the same numbers as OpenSSL's reader%s%s", what, same ? "" : ": ", why);
	}
	EVP_PKEY_free(ref);
	EVP_PKEY_free(ours);
}

/* ---- RSA PKCS#8 variants ---- */

enum variant {
	V_VERSION_1,
	V_EXTRA_NUMBER,
	V_MISSING_NUMBER,
	V_NEGATIVE_N,
	V_ZERO_D,
	V_TRAILING_BYTES,
	V_SWAPPED_EXPONENTS,
	V_COUNT
};

static const char *const variant_names[V_COUNT] = {
	"version 1 (multi-prime) without other primes",
	"a tenth INTEGER",
	"the coefficient missing",
	"a negative modulus",
	"a zero private exponent",
	"bytes after the RSAPrivateKey",
	"exponent1 and exponent2 swapped",
};

/* Whether these variants must still load (OpenSSL does not check them). */
static const bool variant_loads[V_COUNT] = { [V_SWAPPED_EXPONENTS] = true };

static ASN1_TYPE *integer_type(long v)
{
	ASN1_TYPE *t = ASN1_TYPE_new();
	ASN1_INTEGER *i = ASN1_INTEGER_new();

	if (!t || !i || !ASN1_INTEGER_set(i, v)) {
		ASN1_TYPE_free(t);
		ASN1_INTEGER_free(i);
		return NULL;
	}
	ASN1_TYPE_set(t, V_ASN1_INTEGER, i);
	return t;
}

/*
 * Write the variant v of the RSAPrivateKey `inner` into a PKCS#8 PEM file
 * at path; false on failure (a setup error, not a test result).
 */
static bool write_variant(const unsigned char *inner, int inner_len, enum variant v, const char *path)
{
	const unsigned char *p = inner;
	ASN1_SEQUENCE_ANY *seq = d2i_ASN1_SEQUENCE_ANY(NULL, &p, inner_len);
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	unsigned char *der = NULL;
	bool ok = false;
	int len, fd;
	FILE *f = NULL;

	if (!seq || sk_ASN1_TYPE_num(seq) != 9)
		goto out;
	switch (v) {
	case V_VERSION_1:
		ASN1_INTEGER_set(sk_ASN1_TYPE_value(seq, 0)->value.integer, 1);
		break;
	case V_EXTRA_NUMBER:
		sk_ASN1_TYPE_push(seq, integer_type(7));
		break;
	case V_MISSING_NUMBER:
		ASN1_TYPE_free(sk_ASN1_TYPE_pop(seq));
		break;
	case V_NEGATIVE_N:
		sk_ASN1_TYPE_value(seq, 1)->value.integer->type = V_ASN1_NEG_INTEGER;
		break;
	case V_ZERO_D: {
		ASN1_TYPE *d = sk_ASN1_TYPE_value(seq, 3);

		sk_ASN1_TYPE_set(seq, 3, integer_type(0)); /* returns the new element */
		ASN1_TYPE_free(d);
		break;
	}
	case V_SWAPPED_EXPONENTS: {
		ASN1_TYPE *e1 = sk_ASN1_TYPE_value(seq, 6), *e2 = sk_ASN1_TYPE_value(seq, 7);

		sk_ASN1_TYPE_set(seq, 6, e2);
		sk_ASN1_TYPE_set(seq, 7, e1);
		break;
	}
	case V_TRAILING_BYTES:
	case V_COUNT:
		break;
	}
	if ((len = i2d_ASN1_SEQUENCE_ANY(seq, &der)) <= 0)
		goto out;
	if (v == V_TRAILING_BYTES) {
		unsigned char *longer = OPENSSL_realloc(der, (size_t)len + 2);

		if (!longer)
			goto out;
		der = longer;
		der[len++] = 0x05; /* a NULL after the SEQUENCE */
		der[len++] = 0x00;
	}
	if (!(p8 = PKCS8_PRIV_KEY_INFO_new()) ||
	    !PKCS8_pkey_set0(p8, OBJ_nid2obj(NID_rsaEncryption), 0, V_ASN1_NULL, NULL, der, len))
		goto out;
	der = NULL; /* p8 owns it */
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0 || !(f = fdopen(fd, "w")))
		goto out;
	ok = PEM_write_PKCS8_PRIV_KEY_INFO(f, p8) == 1;
out:
	if (f && fclose(f) != 0)
		ok = false;
	OPENSSL_free(der);
	PKCS8_PRIV_KEY_INFO_free(p8);
	sk_ASN1_TYPE_pop_free(seq, ASN1_TYPE_free);
	return ok;
}

/* The two-prime RSAPrivateKey inside the file's unencrypted RSA PKCS#8
 * key, if it has one. */
static PKCS8_PRIV_KEY_INFO *rsa_pkcs8(const char *path)
{
	FILE *f = fopen(path, "r");
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	const ASN1_OBJECT *alg;

	if (!f)
		return NULL;
	p8 = PEM_read_PKCS8_PRIV_KEY_INFO(f, NULL, NULL, NULL);
	fclose(f);
	ERR_clear_error();
	if (p8) {
		const unsigned char *inner, *p;
		int inner_len;
		ASN1_SEQUENCE_ANY *seq = NULL;

		if (PKCS8_pkey_get0(&alg, &inner, &inner_len, NULL, p8) && OBJ_obj2nid(alg) == NID_rsaEncryption) {
			p = inner;
			seq = d2i_ASN1_SEQUENCE_ANY(NULL, &p, inner_len);
		}
		if (!seq || sk_ASN1_TYPE_num(seq) != 9) {
			PKCS8_PRIV_KEY_INFO_free(p8);
			p8 = NULL;
		}
		sk_ASN1_TYPE_pop_free(seq, ASN1_TYPE_free);
	}
	return p8;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: test-key DIR KEY.pem...\n");
		return 2;
	}
	util_prog = "test-key";
	for (int i = 2; i < argc; i++) {
		PKCS8_PRIV_KEY_INFO *p8 = rsa_pkcs8(argv[i]);
		const unsigned char *inner;
		int inner_len;

		check_file(argv[i], argv[i], true);
		if (!p8)
			continue;
		PKCS8_pkey_get0(NULL, &inner, &inner_len, NULL, p8);
		for (int v = 0; v < V_COUNT; v++) {
			char path[4096], what[4096 + 128];

			snprintf(path, sizeof(path), "%s/variant-%d-%d.pem", argv[1], i, v);
			snprintf(what, sizeof(what), "%s, %s", argv[i], variant_names[v]);
			if (!write_variant(inner, inner_len, (enum variant)v, path)) {
				tap(false, "%s: could not write the variant", what);
				continue;
			}
			check_file(path, what, variant_loads[v]);
			unlink(path);
		}
		PKCS8_PRIV_KEY_INFO_free(p8);
	}
	return tap_finish();
}

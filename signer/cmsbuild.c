/* SPDX-License-Identifier: MIT */
#include "cmsbuild.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "util.h"

/* DER tags used here. */
enum {
	TAG_INTEGER = 0x02,
	TAG_OCTET_STRING = 0x04,
	TAG_SEQUENCE = 0x30,
	TAG_SET = 0x31,
	TAG_CTX0_PRIM = 0x80,  /* [0] IMPLICIT, primitive: SubjectKeyIdentifier */
	TAG_CTX0_CONS = 0xa0,  /* [0] EXPLICIT: ContentInfo.content */
};

/* A growing DER buffer; `bad` records the first failure. */
struct der {
	unsigned char *p;
	size_t len, cap;
	bool bad;
};

static void der_free(struct der *d)
{
	free(d->p);
}

static void der_put(struct der *d, const void *src, size_t n)
{
	if (d->bad)
		return;
	if (d->len + n > d->cap) {
		size_t cap = d->cap ? d->cap : 256;
		unsigned char *p;

		while (cap < d->len + n)
			cap *= 2;
		if (!(p = realloc(d->p, cap))) {
			d->bad = true;
			return;
		}
		d->p = p;
		d->cap = cap;
	}
	memcpy(d->p + d->len, src, n);
	d->len += n;
}

/* Tag, definite length (short or long form), contents. */
static void der_tlv(struct der *d, unsigned char tag, const void *content, size_t n)
{
	unsigned char hdr[6];
	size_t h = 0;

	if (n > UINT32_MAX) {
		d->bad = true;
		return;
	}
	hdr[h++] = tag;
	if (n < 0x80) {
		hdr[h++] = (unsigned char)n;
	} else {
		unsigned bytes = n > 0xffffff ? 4 : n > 0xffff ? 3 : n > 0xff ? 2 : 1;

		hdr[h++] = (unsigned char)(0x80 | bytes);
		for (unsigned i = bytes; i-- > 0;)
			hdr[h++] = (unsigned char)(n >> (8 * i));
	}
	der_put(d, hdr, h);
	der_put(d, content, n);
}

/* Wrap a finished inner buffer as one element of d. */
static void der_wrap(struct der *d, unsigned char tag, const struct der *inner)
{
	if (inner->bad)
		d->bad = true;
	else
		der_tlv(d, tag, inner->p, inner->len);
}

static void der_small_int(struct der *d, unsigned char v)
{
	der_tlv(d, TAG_INTEGER, &v, 1);
}

/* An OpenSSL object, encoded by OpenSSL's own i2d. */
#define der_i2d(d, i2d, obj)                                     \
	do {                                                     \
		unsigned char *b_ = NULL;                        \
		int n_ = i2d(obj, &b_);                          \
                                                                 \
		if (n_ <= 0)                                     \
			(d)->bad = true;                         \
		else                                             \
			der_put(d, b_, (size_t)n_);              \
		OPENSSL_free(b_);                                \
	} while (0)

static void der_oid(struct der *d, int nid)
{
	ASN1_OBJECT *o = OBJ_nid2obj(nid);

	if (!o)
		d->bad = true;
	else
		der_i2d(d, i2d_ASN1_OBJECT, o);
}

/* An AlgorithmIdentifier: the digest as CMS_add1_signer() writes it
 * (X509_ALGOR_set_md), or a signature algorithm with the given parameter. */
static void der_algor(struct der *d, int nid, const EVP_MD *md, int ptype)
{
	X509_ALGOR *a = X509_ALGOR_new();

	if (!a) {
		d->bad = true;
		return;
	}
	if (md)
		X509_ALGOR_set_md(a, md);
	else if (!X509_ALGOR_set0(a, OBJ_nid2obj(nid), ptype, NULL))
		d->bad = true;
	der_i2d(d, i2d_X509_ALGOR, a);
	X509_ALGOR_free(a);
}

int cmsbuild_wrap(X509 *cert, const struct hashalg *hash, bool use_keyid,
		  const unsigned char *sig, size_t sig_len, const char *what,
		  unsigned char **der, size_t *der_len)
{
	const EVP_MD *md = hashalg_md(hash);
	EVP_PKEY *pk = X509_get0_pubkey(cert);
	_cleanup_(der_free) struct der sid = { 0 }, si = { 0 }, sis = { 0 }, algs = { 0 }, encap = { 0 };
	_cleanup_(der_free) struct der sd = { 0 }, sdw = { 0 }, ci = { 0 }, out = { 0 };
	int sig_nid = NID_undef, sig_ptype = V_ASN1_UNDEF;

	if (!md || !pk) {
		util_ossl_err("%s: %s", what, !md ? "unknown digest" : "certificate without a usable public key");
		return -1;
	}
	switch (EVP_PKEY_get_base_id(pk)) {
	case EVP_PKEY_RSA:
		sig_nid = NID_rsaEncryption;
		sig_ptype = V_ASN1_NULL;
		break;
	case EVP_PKEY_EC:
		if (!OBJ_find_sigid_by_algs(&sig_nid, hash->nid, NID_X9_62_id_ecPublicKey)) {
			util_err("%s: no ECDSA signature algorithm with %s", what, hash->name);
			return -1;
		}
		break;
	default:
		util_err("%s: the certificate's key is neither RSA nor EC", what);
		return -1;
	}

	/* SignerIdentifier */
	if (use_keyid) {
		const ASN1_OCTET_STRING *skid = X509_get0_subject_key_id(cert);

		ERR_clear_error();
		if (!skid) {
			util_err("%s: the certificate has no subjectKeyIdentifier to name the signer by", what);
			return -1;
		}
		der_tlv(&sid, TAG_CTX0_PRIM, ASN1_STRING_get0_data(skid), (size_t)ASN1_STRING_length(skid));
	} else {
		_cleanup_(der_free) struct der ias = { 0 };

		der_i2d(&ias, i2d_X509_NAME, X509_get_issuer_name(cert));
		der_i2d(&ias, i2d_ASN1_INTEGER, X509_get0_serialNumber(cert));
		der_wrap(&sid, TAG_SEQUENCE, &ias);
	}

	/* SignerInfo ::= SEQUENCE { version, sid, digestAlgorithm, signatureAlgorithm, signature } */
	der_small_int(&si, use_keyid ? 3 : 1);
	der_put(&si, sid.p, sid.len);
	si.bad |= sid.bad;
	der_algor(&si, hash->nid, md, 0);
	der_algor(&si, sig_nid, NULL, sig_ptype);
	der_tlv(&si, TAG_OCTET_STRING, sig, sig_len);
	der_wrap(&sis, TAG_SEQUENCE, &si);

	/* SignedData ::= SEQUENCE { version, digestAlgorithms SET, encapContentInfo, signerInfos SET } */
	der_small_int(&sd, use_keyid ? 3 : 1);
	der_algor(&algs, hash->nid, md, 0);
	der_wrap(&sd, TAG_SET, &algs);
	der_oid(&encap, NID_pkcs7_data);
	der_wrap(&sd, TAG_SEQUENCE, &encap);
	der_wrap(&sd, TAG_SET, &sis);

	/* ContentInfo ::= SEQUENCE { contentType signedData, [0] EXPLICIT SignedData } */
	der_oid(&ci, NID_pkcs7_signed);
	der_wrap(&sdw, TAG_SEQUENCE, &sd);
	der_wrap(&ci, TAG_CTX0_CONS, &sdw);
	der_wrap(&out, TAG_SEQUENCE, &ci);

	if (out.bad) {
		util_ossl_err("%s: cannot encode the CMS message", what);
		return -1;
	}
	*der_len = out.len;
	*der = TAKE_PTR(out.p);
	return 0;
}

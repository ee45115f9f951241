/* SPDX-License-Identifier: MIT */
#include "cmsparse.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "util.h"

/* ---- BER elements, with the kernel decoder's limits ---------------------- */

#define TAG_INTEGER 0x02
#define TAG_OCTET_STRING 0x04
#define TAG_OID 0x06
#define TAG_UTCTIME 0x17
#define TAG_GENTIME 0x18
#define TAG_SEQUENCE 0x30
#define TAG_SET 0x31
#define TAG_CONS 0x20
#define CTX(n) (0x80 | (n))
#define CTX_CONS(n) (0xa0 | (n))
#define MAX_DEPTH 32

struct ber_el {
	uint8_t tag;
	const uint8_t *start; /* first header byte */
	const uint8_t *val;   /* contents */
	size_t len;           /* contents length, without an EOC */
	size_t total;         /* header + contents (+ EOC) */
};

/* A window over the contents of a constructed element. */
struct ber_it {
	const uint8_t *p;
	size_t end, pos;
};

struct parser {
	struct cms_msg *msg;
	struct cms_error *err;
	int oom;
};

static int fail(struct parser *ps, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct parser *ps, int err, const char *fmt, ...)
{
	va_list ap;

	ps->err->err = err;
	va_start(ap, fmt);
	vsnprintf(ps->err->why, sizeof(ps->err->why), fmt, ap);
	va_end(ap);
	return -1;
}

static int ber_read(struct parser *ps, struct ber_it *it, struct ber_el *el, int depth);

/* Contents of an indefinite-length element end at an EOC (00 00). */
static int ber_indefinite(struct parser *ps, struct ber_it *it, size_t start, size_t *len, int depth)
{
	struct ber_it in = { it->p, it->end, start };
	struct ber_el child;

	for (;;) {
		if (in.end - in.pos < 2)
			return fail(ps, EBADMSG, "Missing EOC in indefinite len cons");
		if (in.p[in.pos] == 0) {
			if (in.p[in.pos + 1] != 0)
				return fail(ps, EBADMSG, "Invalid length EOC");
			*len = in.pos - start;
			return 0;
		}
		if (ber_read(ps, &in, &child, depth + 1) < 0)
			return -1;
	}
}

/* Read the next element of it. */
static int ber_read(struct parser *ps, struct ber_it *it, struct ber_el *el, int depth)
{
	size_t room = it->end - it->pos, hdr = 2, len;
	const uint8_t *p = it->p + it->pos;
	bool indefinite = false;

	if (depth > MAX_DEPTH)
		return fail(ps, EBADMSG, "Cons stack overflow");
	if (room < 2)
		return fail(ps, EBADMSG, "Data overrun error");
	if ((p[0] & 0x1f) == 0x1f)
		return fail(ps, EBADMSG, "Long tag not supported");
	len = p[1];
	if (len == 0x80) {
		if (!(p[0] & TAG_CONS))
			return fail(ps, EBADMSG, "Indefinite len primitive not permitted");
		indefinite = true;
	} else if (len > 0x80) {
		size_t n = len - 0x80;

		if (n > 2)
			return fail(ps, EBADMSG, "Unsupported length");
		if (n > room - 2)
			return fail(ps, EBADMSG, "Data overrun error");
		len = 0;
		for (size_t i = 0; i < n; i++)
			len = len << 8 | p[2 + i];
		hdr += n;
	}
	el->tag = p[0];
	el->start = p;
	el->val = p + hdr;
	if (indefinite) {
		if (ber_indefinite(ps, it, it->pos + hdr, &len, depth) < 0)
			return -1;
		el->len = len;
		el->total = hdr + len + 2;
	} else {
		if (len > room - hdr)
			return fail(ps, EBADMSG, "Data overrun error");
		el->len = len;
		el->total = hdr + len;
	}
	it->pos += el->total;
	return 0;
}

static struct ber_it ber_inside(const struct ber_el *el)
{
	return (struct ber_it){ el->val, el->len, 0 };
}

static bool ber_more(const struct ber_it *it)
{
	return it->pos < it->end;
}

/* The tag at the current position, or -1 at the end. */
static int ber_peek(const struct ber_it *it)
{
	return ber_more(it) ? it->p[it->pos] : -1;
}

/*
 * The kernel decoder's tag match (lib/asn1_decoder.c): class and number must
 * be equal; when the grammar expects a constructed element, the constructed
 * bit of the data is not compared.
 */
static bool tag_is(int tag, uint8_t want)
{
	if (tag < 0)
		return false;
	return ((tag ^ want) & ~(want & TAG_CONS)) == 0;
}

/* Read an element that must carry `want`. */
static int ber_expect(struct parser *ps, struct ber_it *it, uint8_t want, struct ber_el *el)
{
	if (!ber_more(it))
		return fail(ps, EBADMSG, "Data overrun error");
	if (!tag_is(ber_peek(it), want))
		return fail(ps, EBADMSG, "Unexpected tag %02x, expected %02x", ber_peek(it), want);
	return ber_read(ps, it, el, 0);
}

/* The end of a SEQUENCE: nothing may follow its last element. */
static int ber_end(struct parser *ps, const struct ber_it *it)
{
	return ber_more(it) ? fail(ps, EBADMSG, "Cons length error") : 0;
}

/* ---- object identifiers -------------------------------------------------- */

/* Dotted text of OID contents; false when they are not a valid OID. */
static bool oid_text(const uint8_t *p, size_t len, char *buf, size_t size)
{
	size_t used = 0;
	uint64_t v = 0;
	bool first = true;

	if (len == 0 || size == 0)
		return false;
	buf[0] = '\0';
	for (size_t i = 0; i < len; i++) {
		if (v > (UINT64_MAX >> 7))
			return false;
		v = v << 7 | (p[i] & 0x7f);
		if (p[i] & 0x80)
			continue;
		int n;

		if (first) {
			unsigned a = v < 40 ? 0 : v < 80 ? 1 : 2;

			n = snprintf(buf + used, size - used, "%u.%llu", a,
				     (unsigned long long)(v - 40 * a));
			first = false;
		} else {
			n = snprintf(buf + used, size - used, ".%llu", (unsigned long long)v);
		}
		if (n < 0 || (size_t)n >= size - used)
			return false;
		used += (size_t)n;
		v = 0;
	}
	return (p[len - 1] & 0x80) == 0;
}

/* "1.2.3 (name)" for messages about an OID the kernel does not know. */
static const char *oid_describe(const struct ber_el *el, char *buf, size_t size)
{
	char dotted[128];
	int nid;

	if (!oid_text(el->val, el->len, dotted, sizeof(dotted)))
		return "(invalid OID)";
	nid = OBJ_txt2nid(dotted);
	if (nid != NID_undef)
		snprintf(buf, size, "%s (%s)", dotted, OBJ_nid2ln(nid));
	else
		snprintf(buf, size, "%s", dotted);
	return buf;
}

enum oid_id {
	OID_UNKNOWN,
	OID_SIGNED_DATA,
	OID_DATA,
	OID_MS_INDIRECT_DATA,
	OID_CONTENT_TYPE,
	OID_MESSAGE_DIGEST,
	OID_SIGNING_TIME,
	OID_SMIME_CAPS,
	OID_MS_SP_OPUS_INFO,
	OID_MS_STATEMENT_TYPE,
	OID_DIGEST,
	OID_PKEY,
};

/* The OIDs the kernel's PKCS#7 parser acts on (include/linux/oid_registry.h). */
static const struct oid_entry {
	const char *dotted;
	enum oid_id id;
	const char *name; /* digest name, or pkey_algo */
} oid_table[] = {
	{ "1.2.840.113549.1.7.2", OID_SIGNED_DATA, NULL },
	{ "1.2.840.113549.1.7.1", OID_DATA, NULL },
	{ "1.3.6.1.4.1.311.2.1.4", OID_MS_INDIRECT_DATA, NULL },
	{ "1.2.840.113549.1.9.3", OID_CONTENT_TYPE, NULL },
	{ "1.2.840.113549.1.9.4", OID_MESSAGE_DIGEST, NULL },
	{ "1.2.840.113549.1.9.5", OID_SIGNING_TIME, NULL },
	{ "1.2.840.113549.1.9.15", OID_SMIME_CAPS, NULL },
	{ "1.3.6.1.4.1.311.2.1.12", OID_MS_SP_OPUS_INFO, NULL },
	{ "1.3.6.1.4.1.311.2.1.11", OID_MS_STATEMENT_TYPE, NULL },
	/* pkcs7_sig_note_digest_algo */
	{ "1.2.840.113549.2.4", OID_DIGEST, "md4" },
	{ "1.2.840.113549.2.5", OID_DIGEST, "md5" },
	{ "1.3.14.3.2.26", OID_DIGEST, "sha1" },
	{ "2.16.840.1.101.3.4.2.1", OID_DIGEST, "sha256" },
	{ "2.16.840.1.101.3.4.2.2", OID_DIGEST, "sha384" },
	{ "2.16.840.1.101.3.4.2.3", OID_DIGEST, "sha512" },
	{ "2.16.840.1.101.3.4.2.4", OID_DIGEST, "sha224" },
	{ "1.2.156.10197.1.401", OID_DIGEST, "sm3" },
	{ "1.2.643.7.1.1.2.2", OID_DIGEST, "streebog256" },
	{ "1.2.643.7.1.1.2.3", OID_DIGEST, "streebog512" },
	/* pkcs7_sig_note_pkey_algo */
	{ "1.2.840.113549.1.1.1", OID_PKEY, "rsa" },
	{ "1.2.840.10045.4.1", OID_PKEY, "ecdsa" },
	{ "1.2.840.10045.4.3.1", OID_PKEY, "ecdsa" },
	{ "1.2.840.10045.4.3.2", OID_PKEY, "ecdsa" },
	{ "1.2.840.10045.4.3.3", OID_PKEY, "ecdsa" },
	{ "1.2.840.10045.4.3.4", OID_PKEY, "ecdsa" },
	{ "1.2.156.10197.1.501", OID_PKEY, "sm2" },
	{ "1.2.643.7.1.1.1.1", OID_PKEY, "ecrdsa" },
	{ "1.2.643.7.1.1.1.2", OID_PKEY, "ecrdsa" },
};

static const struct oid_entry *oid_lookup(const uint8_t *p, size_t len)
{
	char dotted[128];

	if (!oid_text(p, len, dotted, sizeof(dotted)))
		return NULL;
	for (size_t i = 0; i < sizeof(oid_table) / sizeof(oid_table[0]); i++)
		if (strcmp(oid_table[i].dotted, dotted) == 0)
			return &oid_table[i];
	return NULL;
}

static enum oid_id oid_id_of(const struct ber_el *el)
{
	const struct oid_entry *e = oid_lookup(el->val, el->len);

	return e ? e->id : OID_UNKNOWN;
}

/* ---- kernel key identifiers ---------------------------------------------- */

static int kid_set(struct cms_kid *k, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	k->data = malloc(alen + blen ? alen + blen : 1);
	if (!k->data)
		return -1;
	if (alen)
		memcpy(k->data, a, alen);
	if (blen)
		memcpy(k->data + alen, b, blen);
	k->len = alen + blen;
	return 0;
}

bool cmsparse_kid_same(const struct cms_kid *a, const struct cms_kid *b)
{
	return a->data && b->data && a->len == b->len && memcmp(a->data, b->data, a->len) == 0;
}

/* Skip the header of a DER element: its contents. */
static bool der_contents(const uint8_t *p, size_t len, const uint8_t **val, size_t *vlen)
{
	size_t hdr = 2, l;

	if (len < 2)
		return false;
	l = p[1];
	if (l & 0x80) {
		size_t n = l & 0x7f;

		if (n == 0 || n > sizeof(size_t) || len < 2 + n)
			return false;
		l = 0;
		for (size_t i = 0; i < n; i++)
			l = l << 8 | p[2 + i];
		hdr += n;
	}
	if (l > len - hdr)
		return false;
	*val = p + hdr;
	*vlen = l;
	return true;
}

/* serial || issuer, both as raw DER contents (asymmetric_key_generate_id). */
static int kid_serial_issuer(struct cms_kid *k, const ASN1_INTEGER *serial, const X509_NAME *issuer)
{
	_cleanup_free_ unsigned char *ser = NULL;
	const unsigned char *name, *sv, *nv;
	size_t nlen, svlen, nvlen;
	int slen;

	slen = i2d_ASN1_INTEGER(serial, &ser);
	if (slen <= 0 || !X509_NAME_get0_der(issuer, &name, &nlen))
		return -1;
	if (!der_contents(ser, (size_t)slen, &sv, &svlen) || !der_contents(name, nlen, &nv, &nvlen))
		return -1;
	return kid_set(k, sv, svlen, nv, nvlen);
}

int cmsparse_cert_ids(X509 *x, struct cms_cert_ids *ids)
{
	const ASN1_OCTET_STRING *skid, *akid;
	const GENERAL_NAMES *aiss;
	const ASN1_INTEGER *aser;

	memset(ids, 0, sizeof(*ids));
	if (kid_serial_issuer(&ids->id, X509_get0_serialNumber(x), X509_get_issuer_name(x)) < 0)
		goto fail;
	skid = X509_get0_subject_key_id(x);
	if (skid && kid_set(&ids->skid, skid->data, (size_t)skid->length, NULL, 0) < 0)
		goto fail;
	akid = X509_get0_authority_key_id(x);
	if (akid && kid_set(&ids->aid1, akid->data, (size_t)akid->length, NULL, 0) < 0)
		goto fail;
	aiss = X509_get0_authority_issuer(x);
	aser = X509_get0_authority_serial(x);
	if (aiss && aser) {
		for (int i = 0; i < sk_GENERAL_NAME_num(aiss); i++) {
			const GENERAL_NAME *gn = sk_GENERAL_NAME_value(aiss, i);

			if (gn->type != GEN_DIRNAME)
				continue;
			if (kid_serial_issuer(&ids->aid0, aser, gn->d.directoryName) < 0)
				goto fail;
			break;
		}
	}
	return 0;
fail:
	cmsparse_cert_ids_free(ids);
	return -1;
}

void cmsparse_cert_ids_free(struct cms_cert_ids *ids)
{
	free(ids->id.data);
	free(ids->skid.data);
	free(ids->aid0.data);
	free(ids->aid1.data);
	memset(ids, 0, sizeof(*ids));
}

/* The key types x509_cert_parser.c accepts. */
static const struct {
	int nid;
	const char *name;
} kernel_curves[] = {
	{ NID_X9_62_prime192v1, "P-192" },
	{ NID_X9_62_prime256v1, "P-256" },
	{ NID_secp384r1, "P-384" },
};

const char *cmsparse_key_unloadable(EVP_PKEY *pk)
{
	char group[64];
	int nid;

	switch (EVP_PKEY_get_base_id(pk)) {
	case EVP_PKEY_RSA:
		return NULL;
	case EVP_PKEY_SM2:
		return NULL;
	case EVP_PKEY_EC:
		if (!EVP_PKEY_get_group_name(pk, group, sizeof(group), NULL))
			return "EC key without a named curve";
		nid = OBJ_sn2nid(group);
		if (nid == NID_undef)
			nid = EC_curve_nist2nid(group);
		for (size_t i = 0; i < sizeof(kernel_curves) / sizeof(kernel_curves[0]); i++)
			if (kernel_curves[i].nid == nid)
				return NULL;
		return "EC curve not supported by the kernel (only P-192, P-256, P-384)";
	default:
		return "key type not supported by the kernel (only RSA and ECDSA P-192/P-256/P-384)";
	}
}

/* ---- the PKCS#7 grammar (pkcs7.asn1) -------------------------------------- */

static void *grow(struct parser *ps, void *arr, size_t n, size_t size)
{
	void *p = reallocarray(arr, n + 1, size);

	if (!p) {
		ps->oom = 1;
		return NULL;
	}
	memset((char *)p + n * size, 0, size);
	return p;
}

/* AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL } */
static int parse_algid(struct parser *ps, struct ber_it *it, struct ber_el *oid)
{
	struct ber_el seq, any;

	if (ber_expect(ps, it, TAG_SEQUENCE, &seq) < 0)
		return -1;
	struct ber_it in = ber_inside(&seq);

	if (ber_expect(ps, &in, TAG_OID, oid) < 0)
		return -1;
	if (ber_more(&in) && ber_read(ps, &in, &any, 0) < 0)
		return -1;
	return ber_end(ps, &in);
}

/* A version INTEGER: one content byte, else the kernel calls it unsupported. */
static int parse_version(struct parser *ps, struct ber_it *it, const char *what, int *v)
{
	struct ber_el el;

	if (ber_expect(ps, it, TAG_INTEGER, &el) < 0)
		return -1;
	if (el.len != 1 || (el.val[0] != 1 && el.val[0] != 3))
		return fail(ps, EINVAL, "Unsupported %s version", what);
	*v = el.val[0];
	return 0;
}

/* One embedded certificate (pkcs7_extract_cert, x509_cert_parse). */
static int parse_cert(struct parser *ps, const struct ber_el *el)
{
	struct cms_msg *m = ps->msg;
	const unsigned char *p = el->start;
	struct cms_cert *c;
	const char *bad;
	X509 *x;

	if (el->tag != TAG_SEQUENCE)
		return fail(ps, EBADMSG, "Cert began with tag %02x", el->tag);
	x = d2i_X509(NULL, &p, (long)el->total);
	ERR_clear_error();
	if (!x)
		return fail(ps, EBADMSG, "embedded X.509 certificate %zu cannot be parsed",
			    m->ncerts + 1);
	bad = X509_get0_pubkey(x) ? cmsparse_key_unloadable(X509_get0_pubkey(x)) : "no public key";
	if (bad) {
		X509_free(x);
		return fail(ps, ENOPKG, "embedded X.509 certificate %zu: %s", m->ncerts + 1, bad);
	}
	c = grow(ps, m->certs, m->ncerts, sizeof(*c));
	if (!c) {
		X509_free(x);
		return -1;
	}
	m->certs = c;
	c = &m->certs[m->ncerts++];
	c->x = x;
	if (cmsparse_cert_ids(x, &c->ids) < 0) {
		ps->oom = 1;
		return -1;
	}

	/* x509_check_for_self_signed */
	const X509_NAME *subj = X509_get_subject_name(x), *iss = X509_get_issuer_name(x);
	const unsigned char *sd, *id;
	size_t sl, il;

	if (!X509_NAME_get0_der(subj, &sd, &sl) || !X509_NAME_get0_der(iss, &id, &il) ||
	    sl != il || memcmp(sd, id, sl) != 0)
		return 0;
	if (c->ids.aid0.data || c->ids.aid1.data) {
		bool a = cmsparse_kid_same(&c->ids.skid, &c->ids.aid1);
		bool b = cmsparse_kid_same(&c->ids.id, &c->ids.aid0);

		if (!a && !b)
			return 0;
		if (a != b && c->ids.aid0.data && c->ids.aid1.data)
			return fail(ps, EKEYREJECTED,
				    "embedded X.509 certificate %zu: authorityKeyIdentifier half matches itself",
				    m->ncerts);
	}
	if (X509_verify(x, X509_get0_pubkey(x)) != 1) {
		ERR_clear_error();
		return fail(ps, EKEYREJECTED, "embedded X.509 certificate %zu: bad self-signature",
			    m->ncerts);
	}
	c->self_signed = true;
	return 0;
}

/*
 * certificates [0] IMPLICIT SET OF Certificate | [2] IMPLICIT SEQUENCE OF,
 * crls [1] IMPLICIT SET OF (SEQUENCE OF Certificate) | [3] ... -- the kernel
 * parses every element of a "CRL" as a certificate too.
 */
static int parse_cert_list(struct parser *ps, const struct ber_el *list, bool crl)
{
	struct ber_it in = ber_inside(list);
	struct ber_el el;

	while (ber_more(&in)) {
		if (ber_read(ps, &in, &el, 0) < 0)
			return -1;
		if (!crl) {
			if (parse_cert(ps, &el) < 0)
				return -1;
			continue;
		}
		if (!tag_is(el.tag, TAG_SEQUENCE))
			return fail(ps, EBADMSG, "Unexpected tag %02x in CRL list", el.tag);
		struct ber_it cl = ber_inside(&el);
		struct ber_el cert;

		while (ber_more(&cl)) {
			if (ber_read(ps, &cl, &cert, 0) < 0 || parse_cert(ps, &cert) < 0)
				return -1;
		}
	}
	return 0;
}

/* The kernel's check of a signingTime value (x509_decode_time). */
static bool time_ok(const struct ber_el *v)
{
	static const unsigned char mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	unsigned f[7] = { 0 }, year, leap;
	const unsigned *t; /* month, day, hour, minute, second */
	size_t digits = v->tag == TAG_UTCTIME ? 12 : 14;

	if ((v->tag != TAG_UTCTIME && v->tag != TAG_GENTIME) || v->len != digits + 1 ||
	    v->val[digits] != 'Z')
		return false;
	for (size_t i = 0; i < digits; i++) {
		if (v->val[i] < '0' || v->val[i] > '9')
			return false;
		f[i / 2] = f[i / 2] * 10 + (unsigned)(v->val[i] - '0');
	}
	if (v->tag == TAG_UTCTIME) {
		year = f[0] + (f[0] >= 50 ? 1900 : 2000);
		t = f + 1;
	} else {
		year = f[0] * 100 + f[1];
		if (year >= 1950 && year <= 2049)
			return false;
		t = f + 2;
	}
	if (year < 1970 || t[0] < 1 || t[0] > 12)
		return false;
	leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
	return t[1] >= 1 && t[1] <= mdays[t[0] - 1] + (t[0] == 2 ? leap : 0) &&
	       t[2] <= 24 && t[3] <= 59 && t[4] <= 60;
}

enum { HAS_CONTENT_TYPE = 1, HAS_SIGNING_TIME = 2, HAS_MESSAGE_DIGEST = 4,
       HAS_SMIME_CAPS = 8, HAS_OPUS_INFO = 16, HAS_STATEMENT_TYPE = 32 };

/* pkcs7_sig_note_authenticated_attr, once per value. */
static int note_attr(struct parser *ps, enum oid_id type, const struct ber_el *v, unsigned *seen)
{
	static const struct {
		enum oid_id type;
		unsigned bit;
	} once[] = {
		{ OID_CONTENT_TYPE, HAS_CONTENT_TYPE },
		{ OID_SIGNING_TIME, HAS_SIGNING_TIME },
		{ OID_MESSAGE_DIGEST, HAS_MESSAGE_DIGEST },
		{ OID_SMIME_CAPS, HAS_SMIME_CAPS },
		{ OID_MS_SP_OPUS_INFO, HAS_OPUS_INFO },
		{ OID_MS_STATEMENT_TYPE, HAS_STATEMENT_TYPE },
	};
	bool authenticode = ps->msg->data_type == CMS_DATA_AUTHENTICODE;

	for (size_t i = 0; i < sizeof(once) / sizeof(once[0]); i++) {
		if (once[i].type != type)
			continue;
		if (*seen & once[i].bit)
			return fail(ps, EKEYREJECTED, "Repeated/multivalue AuthAttrs not permitted");
		*seen |= once[i].bit;
	}
	switch (type) {
	case OID_CONTENT_TYPE: {
		enum oid_id ct = oid_id_of(v);
		enum oid_id want = authenticode ? OID_MS_INDIRECT_DATA : OID_DATA;

		if (ct != want)
			return fail(ps, EBADMSG, "Mismatch between global data type and sinfo content type");
		return 0;
	}
	case OID_SIGNING_TIME:
		return time_ok(v) ? 0 : fail(ps, EBADMSG, "signingTime attribute is not a valid time");
	case OID_MESSAGE_DIGEST:
		return v->tag == TAG_OCTET_STRING ? 0
			: fail(ps, EBADMSG, "messageDigest attribute is not an OCTET STRING");
	case OID_SMIME_CAPS:
		return authenticode ? 0 : fail(ps, EKEYREJECTED, "S/MIME Caps only allowed with Authenticode");
	case OID_MS_SP_OPUS_INFO:
	case OID_MS_STATEMENT_TYPE:
		return authenticode ? 0
			: fail(ps, EKEYREJECTED, "Authenticode AuthAttrs only allowed with Authenticode");
	default:
		return 0;
	}
}

/* SET OF / SEQUENCE OF AuthenticatedAttribute ::= SEQUENCE { type OID, values SET OF ANY } */
static int parse_authattrs(struct parser *ps, const struct ber_el *set, unsigned *seen)
{
	struct ber_it in = ber_inside(set);
	struct ber_el attr, type, values, v;

	while (ber_more(&in)) {
		if (ber_expect(ps, &in, TAG_SEQUENCE, &attr) < 0)
			return -1;
		struct ber_it a = ber_inside(&attr);

		if (ber_expect(ps, &a, TAG_OID, &type) < 0 || ber_expect(ps, &a, TAG_SET, &values) < 0 ||
		    ber_end(ps, &a) < 0)
			return -1;
		struct ber_it vs = ber_inside(&values);

		while (ber_more(&vs)) {
			if (ber_read(ps, &vs, &v, 0) < 0 || note_attr(ps, oid_id_of(&type), &v, seen) < 0)
				return -1;
		}
	}
	return 0;
}

/* UnauthenticatedAttribute ::= SEQUENCE { type OID, values SET OF ANY } */
static int parse_unauthattrs(struct parser *ps, const struct ber_el *set)
{
	struct ber_it in = ber_inside(set);
	struct ber_el attr, type, values;

	while (ber_more(&in)) {
		if (ber_expect(ps, &in, TAG_SEQUENCE, &attr) < 0)
			return -1;
		struct ber_it a = ber_inside(&attr);

		if (ber_expect(ps, &a, TAG_OID, &type) < 0 || ber_expect(ps, &a, TAG_SET, &values) < 0 ||
		    ber_end(ps, &a) < 0)
			return -1;
	}
	return 0;
}

static int parse_signer(struct parser *ps, const struct ber_el *seq)
{
	struct cms_msg *m = ps->msg;
	struct ber_it in = ber_inside(seq);
	struct ber_el sid, oid, aa, sig, ua;
	const struct oid_entry *e;
	struct cms_signer si = { 0 };
	const uint8_t *skid = NULL, *issuer = NULL;
	size_t skid_len = 0, issuer_len = 0;
	unsigned seen = 0;
	char desc[160];
	int tag;

	/* pkcs7_note_signerinfo_version */
	{
		struct ber_el v;

		if (ber_expect(ps, &in, TAG_INTEGER, &v) < 0)
			return -1;
		if (v.len != 1 || (v.val[0] != 1 && v.val[0] != 3))
			return fail(ps, EINVAL, "Unsupported SignerInfo version");
		si.version = v.val[0];
		if ((si.version == 1) != (m->version == 1))
			return fail(ps, EBADMSG,
				    "SignedData-SignerInfo version mismatch (SignedData v%d, SignerInfo v%d)",
				    m->version, si.version);
	}

	/* SignerIdentifier: IssuerAndSerialNumber | [0] IMPLICIT SubjectKeyIdentifier */
	tag = ber_peek(&in);
	if (tag_is(tag, TAG_SEQUENCE)) {
		struct ber_el name, serial;

		if (ber_read(ps, &in, &sid, 0) < 0)
			return -1;
		struct ber_it s = ber_inside(&sid);

		if (ber_expect(ps, &s, TAG_SEQUENCE, &name) < 0 ||
		    ber_expect(ps, &s, TAG_INTEGER, &serial) < 0 || ber_end(ps, &s) < 0)
			return -1;
		si.issuer_der = name.start;
		si.issuer_der_len = name.total;
		issuer = name.val;
		issuer_len = name.len;
		si.serial = serial.val;
		si.serial_len = serial.len;
	} else if (tag_is(tag, CTX(0))) {
		if (ber_read(ps, &in, &sid, 0) < 0)
			return -1;
		skid = sid.val;
		skid_len = sid.len;
	} else {
		return fail(ps, EBADMSG, "Unexpected tag %02x in SignerIdentifier", tag < 0 ? 0 : tag);
	}

	/* pkcs7_sig_note_digest_algo */
	if (parse_algid(ps, &in, &oid) < 0)
		return -1;
	e = oid_lookup(oid.val, oid.len);
	if (!e || e->id != OID_DIGEST)
		return fail(ps, ENOPKG, "Unsupported digest algo %s", oid_describe(&oid, desc, sizeof(desc)));
	si.hash = e->name;

	/* authenticatedAttributes [0] IMPLICIT SET OF | [2] EXPLICIT SEQUENCE OF */
	tag = ber_peek(&in);
	if (tag_is(tag, CTX_CONS(0))) {
		if (ber_read(ps, &in, &aa, 0) < 0 || parse_authattrs(ps, &aa, &seen) < 0)
			return -1;
		/* pkcs7_sig_note_set_of_authattrs */
		if (!(seen & HAS_CONTENT_TYPE) || !(seen & HAS_MESSAGE_DIGEST))
			return fail(ps, EBADMSG, "Missing required AuthAttr");
		if (m->data_type != CMS_DATA_AUTHENTICODE && (seen & HAS_OPUS_INFO))
			return fail(ps, EBADMSG, "Unexpected Authenticode AuthAttr");
		si.authattrs = true;
	} else if (tag_is(tag, CTX_CONS(2))) {
		struct ber_el inner;

		if (ber_read(ps, &in, &aa, 0) < 0)
			return -1;
		struct ber_it x = ber_inside(&aa);

		if (ber_expect(ps, &x, TAG_SEQUENCE, &inner) < 0 || ber_end(ps, &x) < 0 ||
		    parse_authattrs(ps, &inner, &seen) < 0)
			return -1;
	}

	/* pkcs7_sig_note_pkey_algo */
	if (parse_algid(ps, &in, &oid) < 0)
		return -1;
	e = oid_lookup(oid.val, oid.len);
	if (!e || e->id != OID_PKEY)
		return fail(ps, ENOPKG, "Unsupported pkey algo %s", oid_describe(&oid, desc, sizeof(desc)));
	si.pkey_algo = e->name;

	/* pkcs7_sig_note_signature */
	if (ber_expect(ps, &in, TAG_OCTET_STRING, &sig) < 0)
		return -1;
	si.sig = sig.val;
	si.sig_len = sig.len;

	tag = ber_peek(&in);
	if (tag_is(tag, CTX_CONS(1)) || tag_is(tag, CTX_CONS(3))) {
		if (ber_read(ps, &in, &ua, 0) < 0 || parse_unauthattrs(ps, &ua) < 0)
			return -1;
	}
	if (ber_end(ps, &in) < 0)
		return -1;

	/* pkcs7_note_signed_info */
	if (m->data_type == CMS_DATA_AUTHENTICODE && !si.authattrs)
		return fail(ps, EBADMSG, "Authenticode requires AuthAttrs");
	if (si.version == 1 && si.serial) {
		if (kid_set(&si.kid, si.serial, si.serial_len, issuer, issuer_len) < 0)
			goto oom;
	} else if (si.version == 3 && skid) {
		if (kid_set(&si.kid, skid, skid_len, NULL, 0) < 0)
			goto oom;
	}
	/* A SignerInfo whose identifier does not fit its version names no key:
	 * the kernel looks up an empty identifier, which nothing matches. */

	struct cms_signer *arr = grow(ps, m->signers, m->nsigners, sizeof(*arr));

	if (!arr) {
		free(si.kid.data);
		return -1;
	}
	m->signers = arr;
	m->signers[m->nsigners++] = si;
	return 0;
oom:
	ps->oom = 1;
	free(si.kid.data);
	return -1;
}

static int parse_signed_data(struct parser *ps, const struct ber_el *seq)
{
	struct cms_msg *m = ps->msg;
	struct ber_it in = ber_inside(seq);
	struct ber_el algs, ci, oid, data, list, infos, si;
	int tag;

	if (parse_version(ps, &in, "SignedData", &m->version) < 0)
		return -1;

	/* digestAlgorithms: SET OF | SEQUENCE OF AlgorithmIdentifier */
	tag = ber_peek(&in);
	if (!tag_is(tag, TAG_SET) && !tag_is(tag, TAG_SEQUENCE))
		return fail(ps, EBADMSG, "Unexpected tag %02x in digestAlgorithms", tag < 0 ? 0 : tag);
	if (ber_read(ps, &in, &algs, 0) < 0)
		return -1;
	{
		struct ber_it a = ber_inside(&algs);
		struct ber_el o;

		while (ber_more(&a))
			if (parse_algid(ps, &a, &o) < 0)
				return -1;
	}

	/* contentInfo: SEQUENCE { contentType OID, content [0] EXPLICIT ANY OPTIONAL } */
	if (ber_expect(ps, &in, TAG_SEQUENCE, &ci) < 0)
		return -1;
	{
		struct ber_it c = ber_inside(&ci);

		if (ber_expect(ps, &c, TAG_OID, &oid) < 0)
			return -1;
		if (tag_is(ber_peek(&c), CTX_CONS(0))) {
			struct ber_el any;

			if (ber_read(ps, &c, &data, 0) < 0)
				return -1;
			struct ber_it d = ber_inside(&data);

			if (ber_read(ps, &d, &any, 0) < 0 || ber_end(ps, &d) < 0)
				return -1;
			m->has_data = true;
		}
		if (ber_end(ps, &c) < 0)
			return -1;
		/* pkcs7_note_content */
		switch (oid_id_of(&oid)) {
		case OID_DATA:
			m->data_type = CMS_DATA_PLAIN;
			break;
		case OID_MS_INDIRECT_DATA:
			m->data_type = CMS_DATA_AUTHENTICODE;
			break;
		default: {
			char desc[160];

			return fail(ps, EINVAL, "Unsupported data type %s",
				    oid_describe(&oid, desc, sizeof(desc)));
		}
		}
	}

	tag = ber_peek(&in);
	if (tag_is(tag, CTX_CONS(0)) || tag_is(tag, CTX_CONS(2))) {
		if (ber_read(ps, &in, &list, 0) < 0 || parse_cert_list(ps, &list, false) < 0)
			return -1;
	}
	tag = ber_peek(&in);
	if (tag_is(tag, CTX_CONS(1)) || tag_is(tag, CTX_CONS(3))) {
		if (ber_read(ps, &in, &list, 0) < 0 || parse_cert_list(ps, &list, true) < 0)
			return -1;
	}

	/* signerInfos: SET OF | SEQUENCE OF SignerInfo */
	tag = ber_peek(&in);
	if (!tag_is(tag, TAG_SET) && !tag_is(tag, TAG_SEQUENCE))
		return fail(ps, EBADMSG, tag < 0 ? "Data overrun error: no signerInfos"
					 : "Unexpected tag in signerInfos");
	if (ber_read(ps, &in, &infos, 0) < 0)
		return -1;
	{
		struct ber_it s = ber_inside(&infos);

		while (ber_more(&s))
			if (ber_expect(ps, &s, TAG_SEQUENCE, &si) < 0 || parse_signer(ps, &si) < 0)
				return -1;
	}
	return ber_end(ps, &in);
}

/* Which embedded certificate names each signer (pkcs7_find_key). */
static void find_signer_certs(struct cms_msg *m)
{
	for (size_t s = 0; s < m->nsigners; s++)
		for (size_t c = 0; c < m->ncerts; c++)
			if (cmsparse_kid_same(&m->certs[c].ids.id, &m->signers[s].kid)) {
				m->signers[s].cert = &m->certs[c];
				break;
			}
}

int cmsparse(const unsigned char *der, size_t len, const char *what,
	     struct cms_msg *msg, struct cms_error *err)
{
	struct parser ps = { msg, err, 0 };
	struct ber_it top = { der, len, 0 };
	struct ber_el ci, oid, sd;
	int rc = -1;

	memset(msg, 0, sizeof(*msg));
	memset(err, 0, sizeof(*err));
	if (len > CMSPARSE_MAX_LEN) {
		fail(&ps, EMSGSIZE, "PKCS#7 message of %zu bytes exceeds the kernel's ASN.1 decoder limit of %d",
		     len, CMSPARSE_MAX_LEN);
		return 1;
	}

	/* ContentInfo ::= SEQUENCE { contentType OID, content [0] EXPLICIT SignedData OPTIONAL } */
	if (ber_expect(&ps, &top, TAG_SEQUENCE, &ci) < 0)
		goto out;
	/* The kernel ignores anything after the ContentInfo. */
	struct ber_it in = ber_inside(&ci);

	if (ber_expect(&ps, &in, TAG_OID, &oid) < 0)
		goto out;
	if (oid_id_of(&oid) != OID_SIGNED_DATA) {
		char desc[160];

		fail(&ps, EINVAL, "Only support pkcs7_signedData type, not %s",
		     oid_describe(&oid, desc, sizeof(desc)));
		goto out;
	}
	if (tag_is(ber_peek(&in), CTX_CONS(0))) {
		struct ber_el seq;

		if (ber_read(&ps, &in, &sd, 0) < 0)
			goto out;
		struct ber_it s = ber_inside(&sd);

		if (ber_expect(&ps, &s, TAG_SEQUENCE, &seq) < 0 || parse_signed_data(&ps, &seq) < 0 ||
		    ber_end(&ps, &s) < 0)
			goto out;
	}
	if (ber_end(&ps, &in) < 0)
		goto out;

	/* pkcs7_check_authattrs */
	if (msg->nsigners == 0) {
		fail(&ps, EINVAL, "Inconsistently supplied authAttrs: no SignerInfo");
		goto out;
	}
	for (size_t i = 1; i < msg->nsigners; i++)
		if (msg->signers[i].authattrs != msg->signers[0].authattrs) {
			fail(&ps, EINVAL, "Inconsistently supplied authAttrs");
			goto out;
		}
	msg->have_authattrs = msg->signers[0].authattrs;
	find_signer_certs(msg);
	rc = 0;
out:
	if (ps.oom) {
		util_err("%s: out of memory", what);
		cmsparse_free(msg);
		return -1;
	}
	if (rc < 0) {
		cmsparse_free(msg);
		return 1;
	}
	return 0;
}

void cmsparse_free(struct cms_msg *msg)
{
	for (size_t i = 0; i < msg->nsigners; i++)
		free(msg->signers[i].kid.data);
	for (size_t i = 0; i < msg->ncerts; i++) {
		X509_free(msg->certs[i].x);
		cmsparse_cert_ids_free(&msg->certs[i].ids);
	}
	free(msg->signers);
	free(msg->certs);
	memset(msg, 0, sizeof(*msg));
}

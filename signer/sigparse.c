/* SPDX-License-Identifier: MIT */
#include "sigparse.h"

#include <string.h>

#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>

#include "hashalg.h"
#include "trailer.h"
#include "util.h"

static void pkcs7_freep(PKCS7 **p) { PKCS7_free(*p); }
static void bn_freep(BIGNUM **p) { BN_free(*p); }

static void why_set(char *why, size_t size, const char *msg)
{
	if (size)
		snprintf(why, size, "%s", msg);
}

/*
 * The issuer name as modinfo shows it: the first commonName; without one,
 * the value of the name's last attribute (kmod's loop leaves it there);
 * NULL for an empty name.  The value's raw bytes, up to the first NUL.
 */
static char *name_as_modinfo(const X509_NAME *name)
{
	const X509_NAME_ENTRY *e = NULL;
	const ASN1_STRING *d;
	int n = X509_NAME_entry_count(name);

	for (int i = 0; i < n; i++) {
		e = X509_NAME_get_entry(name, i);
		if (OBJ_obj2nid(X509_NAME_ENTRY_get_object(e)) == NID_commonName)
			break;
	}
	if (!e)
		return NULL;
	d = X509_NAME_ENTRY_get_data(e);
	return strndup((const char *)ASN1_STRING_get0_data(d), (size_t)ASN1_STRING_length(d));
}

/* The magnitude of an integer, big-endian without leading zeros (0: empty). */
static int integer_magnitude(const ASN1_INTEGER *ai, unsigned char **out, size_t *out_len)
{
	_cleanup_(bn_freep) BIGNUM *bn = ASN1_INTEGER_to_BN(ai, NULL);
	unsigned char *p;
	int n;

	if (!bn)
		return -1;
	n = BN_num_bytes(bn);
	p = malloc(n > 0 ? (size_t)n : 1);
	if (!p)
		return -1;
	BN_bn2bin(bn, p);
	*out = p;
	*out_len = (size_t)n;
	return 0;
}

static unsigned char *memdup(const void *p, size_t n)
{
	unsigned char *q = malloc(n ? n : 1);

	if (q && n)
		memcpy(q, p, n);
	return q;
}

int sigparse_cms(const unsigned char *der, size_t der_len, struct sigparse *out,
		 char *why, size_t why_size)
{
	_cleanup_cms_ CMS_ContentInfo *cms = NULL;
	const unsigned char *p = der;
	STACK_OF(CMS_SignerInfo) *sis;
	CMS_SignerInfo *si;
	ASN1_OCTET_STRING *keyid = NULL, *sig;
	X509_NAME *issuer = NULL;
	ASN1_INTEGER *sno = NULL;
	X509_ALGOR *dig = NULL, *sigalg = NULL;
	const ASN1_OBJECT *obj = NULL;
	const struct hashalg *h;

	memset(out, 0, sizeof(*out));
	if (der_len > (size_t)LONG_MAX) {
		why_set(why, why_size, "signature too large");
		return -1;
	}
	cms = d2i_CMS_ContentInfo(NULL, &p, (long)der_len);
	if (!cms) {
		ERR_clear_error();
		why_set(why, why_size, "not a DER CMS message");
		return -1;
	}
	if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed) {
		why_set(why, why_size, "CMS message is not SignedData");
		return -1;
	}
	sis = CMS_get0_SignerInfos(cms);
	if (!sis || sk_CMS_SignerInfo_num(sis) < 1) {
		why_set(why, why_size, "CMS SignedData has no signer");
		return -1;
	}
	out->nsigners = sk_CMS_SignerInfo_num(sis);
	si = sk_CMS_SignerInfo_value(sis, 0);
	if (CMS_SignerInfo_get0_signer_id(si, &keyid, &issuer, &sno) != 1) {
		ERR_clear_error();
		why_set(why, why_size, "CMS signer has no usable identifier");
		return -1;
	}
	if (keyid) {
		out->signer_id = SIGPARSE_SKID;
		out->key_id = memdup(ASN1_STRING_get0_data(keyid), (size_t)ASN1_STRING_length(keyid));
		out->key_id_len = (size_t)ASN1_STRING_length(keyid);
		if (!out->key_id)
			goto oom;
	} else {
		out->signer_id = SIGPARSE_ISSUER_SERIAL;
		out->issuer = X509_NAME_dup(issuer);
		out->serial = ASN1_INTEGER_dup(sno);
		if (!out->issuer || !out->serial ||
		    integer_magnitude(sno, &out->key_id, &out->key_id_len) < 0)
			goto oom;
		out->issuer_cn = name_as_modinfo(issuer);
	}

	CMS_SignerInfo_get0_algs(si, NULL, NULL, &dig, &sigalg);
	if (dig)
		X509_ALGOR_get0(&obj, NULL, NULL, dig);
	out->digest_nid = obj ? OBJ_obj2nid(obj) : NID_undef;
	h = hashalg_by_nid(out->digest_nid);
	out->digest_known = h != NULL;
	if (h)
		snprintf(out->digest_name, sizeof(out->digest_name), "%s", h->name);
	else if (out->digest_nid != NID_undef && OBJ_nid2ln(out->digest_nid))
		snprintf(out->digest_name, sizeof(out->digest_name), "%s", OBJ_nid2ln(out->digest_nid));
	else if (!obj || OBJ_obj2txt(out->digest_name, sizeof(out->digest_name), obj, 1) <= 0)
		snprintf(out->digest_name, sizeof(out->digest_name), "unknown");

	sig = CMS_SignerInfo_get0_signature(si);
	if (!sig) {
		why_set(why, why_size, "CMS signer has no signature value");
		sigparse_free(out);
		return -1;
	}
	out->sig_len = (size_t)ASN1_STRING_length(sig);
	out->sig = memdup(ASN1_STRING_get0_data(sig), out->sig_len);
	if (!out->sig)
		goto oom;
	out->has_signed_attrs = CMS_signed_get_attr_count(si) > 0;
	out->detached = CMS_is_detached(cms) == 1;
	return 0;
oom:
	sigparse_free(out);
	why_set(why, why_size, "out of memory");
	return -1;
}

void sigparse_free(struct sigparse *sp)
{
	X509_NAME_free(sp->issuer);
	ASN1_INTEGER_free(sp->serial);
	free(sp->key_id);
	free(sp->issuer_cn);
	free(sp->sig);
	memset(sp, 0, sizeof(*sp));
}

/*
 * The module_signature fields as kmod numbers them (the kernel 3.7 enums
 * that describe the format): algo, hash and id_type index these names.
 */
/* only its size is used */
static const char *const modinfo_algo[] __attribute__((unused)) = { "DSA", "RSA" };
static const char *const modinfo_hash[] = {
	"md4", "md5", "sha1", "rmd160", "sha256", "sha384", "sha512", "sha224", "sm3",
};
static const char *const modinfo_id_type[] = { "PGP", "X509", "PKCS#7" };
#define MODINFO_ID_PKCS7 2
#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* The PKCS#7 digests kmod 30 names; any other one makes it show nothing. */
static const struct {
	int nid;
	const char *name;
} modinfo_digests[] = {
	{ NID_md4, "md4" },
	{ NID_md5, "md5" },
	{ NID_sha1, "sha1" },
	{ NID_ripemd160, "rmd160" },
	{ NID_sha256, "sha256" },
	{ NID_sha384, "sha384" },
	{ NID_sha512, "sha512" },
	{ NID_sha224, "sha224" },
	{ NID_sm3, "sm3" },
};

static const char *modinfo_digest_name(int nid)
{
	for (size_t i = 0; i < N_OF(modinfo_digests); i++)
		if (modinfo_digests[i].nid == nid)
			return modinfo_digests[i].name;
	return NULL;
}

bool sigparse_modinfo_knows_digest(int nid)
{
	return modinfo_digest_name(nid) != NULL;
}

/* A PKCS#7 signature as kmod reads it: via OpenSSL's PKCS#7 (not CMS) API. */
static int modinfo_pkcs7(const uint8_t *der, size_t der_len, struct sigparse_modinfo *mi)
{
	_cleanup_bio_ BIO *in = NULL;
	_cleanup_(pkcs7_freep) PKCS7 *p7 = NULL;
	STACK_OF(PKCS7_SIGNER_INFO) *sis;
	PKCS7_SIGNER_INFO *si;
	X509_ALGOR *dig = NULL;
	const ASN1_OBJECT *obj = NULL;
	const char *hash;

	if (der_len > (size_t)INT_MAX)
		return 0;
	in = BIO_new_mem_buf(der, (int)der_len);
	if (!in)
		return -1;
	p7 = d2i_PKCS7_bio(in, NULL);
	ERR_clear_error();
	if (!p7)
		return 0;
	sis = PKCS7_get_signer_info(p7);
	si = sis ? sk_PKCS7_SIGNER_INFO_value(sis, 0) : NULL;
	if (!si || !si->issuer_and_serial || !si->enc_digest)
		return 0;
	PKCS7_SIGNER_INFO_get0_algs(si, NULL, &dig, NULL);
	if (dig)
		X509_ALGOR_get0(&obj, NULL, NULL, dig);
	hash = obj ? modinfo_digest_name(OBJ_obj2nid(obj)) : NULL;
	if (!hash)
		return 0;
	if (integer_magnitude(si->issuer_and_serial->serial, &mi->key_id, &mi->key_id_len) < 0) {
		ERR_clear_error();
		return 0;
	}
	mi->sig_len = (size_t)ASN1_STRING_length(si->enc_digest);
	mi->sig = memdup(ASN1_STRING_get0_data(si->enc_digest), mi->sig_len);
	mi->signer = name_as_modinfo(si->issuer_and_serial->issuer);
	if (!mi->signer)
		mi->signer = strdup("");
	if (!mi->sig || !mi->signer)
		return -1;
	mi->sig_id = modinfo_id_type[MODINFO_ID_PKCS7];
	mi->hash_algo = hash;
	mi->shown = true;
	return 0;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int sigparse_modinfo(const uint8_t *data, size_t len, struct sigparse_modinfo *mi)
{
	const uint8_t *info;
	uint64_t size, sig_len, signer_len, key_id_len;
	int r;

	memset(mi, 0, sizeof(*mi));
	if (len < TRAILER_MAGIC_LEN ||
	    memcmp(data + len - TRAILER_MAGIC_LEN, TRAILER_MAGIC, TRAILER_MAGIC_LEN) != 0)
		return 0;
	size = len - TRAILER_MAGIC_LEN;
	if (size < TRAILER_INFO_LEN)
		return 0;
	size -= TRAILER_INFO_LEN;
	info = data + size;
	if (info[0] >= N_OF(modinfo_algo) || info[1] >= N_OF(modinfo_hash) ||
	    info[2] >= N_OF(modinfo_id_type))
		return 0;
	sig_len = be32(info + 8);
	signer_len = info[3];
	key_id_len = info[4];
	if (sig_len == 0 || size < sig_len + signer_len + key_id_len)
		return 0;

	if (info[2] == MODINFO_ID_PKCS7) {
		r = modinfo_pkcs7(data + size - sig_len, (size_t)sig_len, mi);
		if (r < 0 || !mi->shown)
			sigparse_modinfo_free(mi);
		return r;
	}

	/* Pre-PKCS#7 layout: [signer][key id][signature][info][magic]. */
	size -= sig_len;
	mi->sig = memdup(data + size, (size_t)sig_len);
	mi->sig_len = (size_t)sig_len;
	size -= key_id_len;
	mi->key_id = memdup(data + size, (size_t)key_id_len);
	mi->key_id_len = (size_t)key_id_len;
	size -= signer_len;
	mi->signer = strndup((const char *)data + size, (size_t)signer_len);
	if (!mi->sig || !mi->key_id || !mi->signer) {
		sigparse_modinfo_free(mi);
		return -1;
	}
	mi->sig_id = modinfo_id_type[info[2]];
	mi->hash_algo = modinfo_hash[info[1]];
	mi->shown = true;
	return 0;
}

void sigparse_modinfo_free(struct sigparse_modinfo *mi)
{
	free(mi->signer);
	free(mi->key_id);
	free(mi->sig);
	memset(mi, 0, sizeof(*mi));
}

char *sigparse_hex_wrapped(const unsigned char *p, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t size = n ? 3 * n + 3 * ((n - 1) / 20) : 1;
	char *s = malloc(size), *q = s;

	if (!s)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		*q++ = hex[p[i] >> 4];
		*q++ = hex[p[i] & 15];
		if (i + 1 == n)
			break;
		*q++ = ':';
		if ((i + 1) % 20 == 0) {
			*q++ = '\n';
			*q++ = '\t';
			*q++ = '\t';
		}
	}
	*q = '\0';
	return s;
}

/* SPDX-License-Identifier: MIT */
#include "hashalg.h"

#include <strings.h>

#include <openssl/obj_mac.h>

/* The digests the kernel's PKCS#7 parser knows (pkcs7_sig_note_digest_algo). */
static const struct hashalg table[] = {
	{ "sha1", NID_sha1 },
	{ "sha224", NID_sha224 },
	{ "sha256", NID_sha256 },
	{ "sha384", NID_sha384 },
	{ "sha512", NID_sha512 },
	{ "sha3-256", NID_sha3_256 },
	{ "sha3-384", NID_sha3_384 },
	{ "sha3-512", NID_sha3_512 },
};

#define N_HASHES (sizeof(table) / sizeof(table[0]))

const struct hashalg *hashalg_by_name(const char *name)
{
	for (size_t i = 0; i < N_HASHES; i++)
		if (strcasecmp(table[i].name, name) == 0)
			return &table[i];
	return NULL;
}

const struct hashalg *hashalg_by_nid(int nid)
{
	for (size_t i = 0; i < N_HASHES; i++)
		if (table[i].nid == nid)
			return &table[i];
	return NULL;
}

const char *hashalg_list(void)
{
	return "sha1, sha224, sha256, sha384, sha512, sha3-256, sha3-384, sha3-512";
}

const EVP_MD *hashalg_md(const struct hashalg *h)
{
	return EVP_get_digestbynid(h->nid);
}

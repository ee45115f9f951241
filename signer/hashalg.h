/* SPDX-License-Identifier: MIT */
/* hashalg: the digest algorithms module signatures may use, by name and NID. */
#ifndef MODSIGN_HASHALG_H
#define MODSIGN_HASHALG_H

#include <openssl/evp.h>

struct hashalg {
	const char *name; /* as CONFIG_MODULE_SIG_HASH and modinfo spell it */
	int nid;
};

/* By name ("sha256", case-insensitive); NULL when the kernel cannot use it. */
const struct hashalg *hashalg_by_name(const char *name);
/* By digest NID; NULL when unknown to the kernel. */
const struct hashalg *hashalg_by_nid(int nid);
/* "sha1, sha224, ..." for error messages. */
const char *hashalg_list(void);
/* The EVP_MD for an entry (fetched once). */
const EVP_MD *hashalg_md(const struct hashalg *h);

#endif

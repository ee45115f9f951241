/* SPDX-License-Identifier: MIT */
#include "cmssign.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/cms.h>
#include <openssl/err.h>

#include "util.h"

int cmssign_sign(EVP_PKEY *key, X509 *cert, const EVP_MD *md, bool use_keyid,
		 const unsigned char *data, size_t len, const char *what,
		 unsigned char **der, size_t *der_len)
{
	const unsigned int common = CMS_NOCERTS | CMS_BINARY;
	_cleanup_cms_ CMS_ContentInfo *cms = NULL;
	_cleanup_bio_ BIO *in = NULL;
	unsigned char *out = NULL, *p;
	int n;

	ERR_clear_error();
	/* An empty SignedData to which the one signer is added. */
	cms = CMS_sign(NULL, NULL, NULL, NULL,
		       common | CMS_PARTIAL | CMS_DETACHED | CMS_STREAM);
	if (!cms) {
		util_ossl_err("%s: CMS_sign", what);
		return -1;
	}
	if (!CMS_add1_signer(cms, cert, key, md,
			     common | CMS_NOSMIMECAP | CMS_NOATTR |
			     (use_keyid ? CMS_USE_KEYID : 0))) {
		util_ossl_err("%s: CMS_add1_signer", what);
		return -1;
	}
	if (len > 0x7fffffff) {
		util_err("%s: module too large to sign", what);
		return -1;
	}
	in = BIO_new_mem_buf(data, (int)len);
	if (!in) {
		util_ossl_err("%s: BIO_new_mem_buf", what);
		return -1;
	}
	if (CMS_final(cms, in, NULL, common) != 1) {
		util_ossl_err("%s: CMS_final", what);
		return -1;
	}
	n = i2d_CMS_ContentInfo(cms, NULL);
	if (n <= 0 || !(out = malloc((size_t)n))) {
		util_ossl_err("%s: i2d_CMS_ContentInfo", what);
		return -1;
	}
	p = out;
	if (i2d_CMS_ContentInfo(cms, &p) != n) {
		free(out);
		util_ossl_err("%s: i2d_CMS_ContentInfo", what);
		return -1;
	}
	*der = out;
	*der_len = (size_t)n;
	return 0;
}

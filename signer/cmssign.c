/* SPDX-License-Identifier: MIT */
#include "cmssign.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/cms.h>
#include <openssl/err.h>

#include "util.h"

/*
 * CMS_final() is CMS_dataInit(), a copy of the content into the BIO chain
 * it returns (digest BIOs over a null sink, the content being detached) and
 * CMS_dataFinal(); doing those steps ourselves lets the content arrive in
 * pieces, with the same bytes out.
 */
struct cmssign_stream {
	CMS_ContentInfo *cms;
	BIO *chain;
	const char *what;
};

void cmssign_stream_free(struct cmssign_stream *s)
{
	if (!s)
		return;
	BIO_free_all(s->chain);
	CMS_ContentInfo_free(s->cms);
	free(s);
}

int cmssign_begin(EVP_PKEY *key, X509 *cert, const EVP_MD *md, bool use_keyid,
		  const char *what, struct cmssign_stream **out)
{
	const unsigned int common = CMS_NOCERTS | CMS_BINARY;
	struct cmssign_stream *s = calloc(1, sizeof(*s));

	if (!s) {
		util_err("%s: out of memory", what);
		return -1;
	}
	s->what = what;
	ERR_clear_error();
	/* An empty SignedData to which the one signer is added. */
	s->cms = CMS_sign(NULL, NULL, NULL, NULL, common | CMS_PARTIAL | CMS_DETACHED | CMS_STREAM);
	if (!s->cms) {
		util_ossl_err("%s: CMS_sign", what);
		goto fail;
	}
	if (!CMS_add1_signer(s->cms, cert, key, md,
			     common | CMS_NOSMIMECAP | CMS_NOATTR | (use_keyid ? CMS_USE_KEYID : 0))) {
		util_ossl_err("%s: CMS_add1_signer", what);
		goto fail;
	}
	s->chain = CMS_dataInit(s->cms, NULL);
	if (!s->chain) {
		util_ossl_err("%s: CMS_dataInit", what);
		goto fail;
	}
	*out = s;
	return 0;
fail:
	cmssign_stream_free(s);
	return -1;
}

int cmssign_update(struct cmssign_stream *s, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len) {
		int n = len > 1 << 30 ? 1 << 30 : (int)len;

		if (BIO_write(s->chain, p, n) != n) {
			util_ossl_err("%s: BIO_write", s->what);
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int cmssign_finish(struct cmssign_stream *s, unsigned char **der, size_t *der_len)
{
	unsigned char *out = NULL, *p;
	int n, ret = -1;

	(void)BIO_flush(s->chain);
	if (CMS_dataFinal(s->cms, s->chain) != 1) {
		util_ossl_err("%s: CMS_final", s->what);
		goto out;
	}
	n = i2d_CMS_ContentInfo(s->cms, NULL);
	if (n <= 0 || !(out = malloc((size_t)n))) {
		util_ossl_err("%s: i2d_CMS_ContentInfo", s->what);
		goto out;
	}
	p = out;
	if (i2d_CMS_ContentInfo(s->cms, &p) != n) {
		free(out);
		util_ossl_err("%s: i2d_CMS_ContentInfo", s->what);
		goto out;
	}
	*der = out;
	*der_len = (size_t)n;
	ret = 0;
out:
	cmssign_stream_free(s);
	return ret;
}

int cmssign_sign(EVP_PKEY *key, X509 *cert, const EVP_MD *md, bool use_keyid,
		 const unsigned char *data, size_t len, const char *what,
		 unsigned char **der, size_t *der_len)
{
	struct cmssign_stream *s;

	if (cmssign_begin(key, cert, md, use_keyid, what, &s) < 0)
		return -1;
	if (cmssign_update(s, data, len) < 0) {
		cmssign_stream_free(s);
		return -1;
	}
	return cmssign_finish(s, der, der_len);
}

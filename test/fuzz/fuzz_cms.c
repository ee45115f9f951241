/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer: a module signature's CMS blob through cmsparse() and the whole
 * verification path, verify_cms(), against one fixed trusted certificate.
 *
 * The input is a (small) signed module: when its trailer is well formed, the
 * CMS blob is judged over the bytes before it; otherwise the whole input is
 * taken as a CMS blob over empty content.  The certificate is
 * $MODSIGN_FUZZ_CERT, default test/fuzz/trusted.pem (the key make-seeds
 * signed the seeds with, so seeds reach the signature check).
 */
#include <stdio.h>
#include <stdlib.h>

#include <openssl/pem.h>

#include "cmsparse.h"
#include "fuzz_common.h"
#include "trailer.h"
#include "verify.h"

static STACK_OF(X509) *trusted;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *path = getenv("MODSIGN_FUZZ_CERT");
	FILE *f;
	X509 *x;

	(void)argc;
	(void)argv;
	if (!path)
		path = "test/fuzz/trusted.pem";
	f = fopen(path, "r");
	if (!f) {
		perror(path);
		exit(1);
	}
	trusted = sk_X509_new_null();
	while ((x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL)
		sk_X509_push(trusted, x);
	fclose(f);
	if (sk_X509_num(trusted) == 0) {
		fprintf(stderr, "%s: no certificate\n", path);
		exit(1);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct verify_opts opts = { .trusted = trusted, .kernel = NULL };
	struct verify_result res;
	struct cms_msg msg;
	struct cms_error err;
	struct trailer t;
	const uint8_t *body = data, *der = data;
	size_t body_len = 0, der_len = size;

	if (trailer_parse(data, size, &t) == TRAILER_OK) {
		body_len = t.body_len;
		der = data + t.body_len;
		der_len = t.sig_len;
	}
	if (cmsparse(der, der_len, "fuzz", &msg, &err) == 0)
		cmsparse_free(&msg);
	if (verify_cms(&opts, body, body_len, der, der_len, "fuzz", &res) == 0) {
		if (res.verdict == VERIFY_OK && !res.hash)
			abort();
	}
	return 0;
}

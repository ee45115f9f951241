/* SPDX-License-Identifier: MIT */
/*
 * sign-only KEY COUNT THREADS: COUNT signatures of a SHA-512 digest with
 * the private key in KEY (PEM), on THREADS threads that share the key and
 * take the next signature from one counter, as modsign sign's workers do;
 * nothing else: no files, no hashing, no CMS.  bench/run times it in each
 * round beside modsign sign, to show what the signatures alone cost when
 * all CPUs sign at once (the floor assumes THREADS times one core's rate).
 *
 * Exit status: 0 ok, 1 error, 2 usage.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

static EVP_PKEY *key;
static long count;
static atomic_long next;
static atomic_int failed;

static void *worker(void *arg)
{
	unsigned char md[64] = { 1 }, sig[1024];
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key, NULL);

	(void)arg;
	if (!ctx || EVP_PKEY_sign_init(ctx) <= 0 || EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha512()) <= 0) {
		atomic_store(&failed, 1);
		EVP_PKEY_CTX_free(ctx);
		return NULL;
	}
	while (atomic_fetch_add(&next, 1) < count) {
		size_t len = sizeof(sig);

		if (EVP_PKEY_sign(ctx, sig, &len, md, sizeof(md)) <= 0) {
			atomic_store(&failed, 1);
			break;
		}
	}
	EVP_PKEY_CTX_free(ctx);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t tids[256];
	long threads;
	FILE *f;

	if (argc != 4 || (count = atol(argv[2])) < 1 || (threads = atol(argv[3])) < 1 || threads > 256) {
		fprintf(stderr, "usage: sign-only KEY COUNT THREADS (1 to 256)\n");
		return 2;
	}
	if (!(f = fopen(argv[1], "r"))) {
		perror(argv[1]);
		return 1;
	}
	key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (!key) {
		fprintf(stderr, "sign-only: %s: no private key\n", argv[1]);
		ERR_print_errors_fp(stderr);
		return 1;
	}
	for (long i = 0; i < threads; i++)
		if (pthread_create(&tids[i], NULL, worker, NULL) != 0) {
			fprintf(stderr, "sign-only: cannot start a thread\n");
			return 1;
		}
	for (long i = 0; i < threads; i++)
		pthread_join(tids[i], NULL);
	EVP_PKEY_free(key);
	if (atomic_load(&failed)) {
		fprintf(stderr, "sign-only: signing failed\n");
		ERR_print_errors_fp(stderr);
		return 1;
	}
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * rand-log.so: an LD_PRELOAD shim that records which random generators a
 * process asks OpenSSL for.  Each EVP_RAND_fetch() call appends the
 * algorithm's name, one per line, to the file named by RAND_LOG, then goes
 * on to the real function.  (libcrypto fetches its DRBGs through the
 * exported EVP_RAND_fetch, so its own calls are seen too.)  Used by
 * test/signfile.bats to see the generator sign-file mode uses.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

typedef void *(*fetch_fn)(void *ctx, const char *algorithm, const char *properties);

void *EVP_RAND_fetch(void *ctx, const char *algorithm, const char *properties);

void *EVP_RAND_fetch(void *ctx, const char *algorithm, const char *properties)
{
	fetch_fn real = (fetch_fn)dlsym(RTLD_NEXT, "EVP_RAND_fetch");
	const char *log = getenv("RAND_LOG");
	FILE *f;

	if (log && (f = fopen(log, "a"))) {
		fprintf(f, "%s\n", algorithm ? algorithm : "(null)");
		fclose(f);
	}
	if (!real)
		abort();
	return real(ctx, algorithm, properties);
}

/* SPDX-License-Identifier: MIT */
/*
 * sign-time.so: an LD_PRELOAD shim for bench/run that measures the time a
 * process spends inside EVP_PKEY_sign(), the private-key operation of each
 * signature: the calling thread's CPU time and the wall time, summed over
 * every call that produces a signature (calls that only ask for its size
 * are passed through and not counted).  At exit it appends one line,
 * "CALLS CPU-SECONDS WALL-SECONDS", to the file named by
 * $MODSIGN_BENCH_SIGN_TIME, or prints it on stderr when that is unset.
 *
 * bench/run preloads it into one extra run of modsign sign and of
 * bench/sign-only.c in the first round, to tell how much of modsign's CPU
 * time is the signatures themselves and how much is everything around
 * them.  It works because libcrypto's own callers (CMS) reach
 * EVP_PKEY_sign() through the dynamic linker.  Not part of modsign.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef struct evp_pkey_ctx_st EVP_PKEY_CTX;
typedef int sign_fn(EVP_PKEY_CTX *, unsigned char *, size_t *, const unsigned char *, size_t);

static atomic_llong cpu_ns, wall_ns, calls;

static long long now_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int EVP_PKEY_sign(EVP_PKEY_CTX *ctx, unsigned char *sig, size_t *siglen, const unsigned char *tbs, size_t tbslen)
{
	static sign_fn *real;
	long long cpu, wall;
	int r;

	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "EVP_PKEY_sign");
	if (!real)
		abort();
	if (!sig) /* asks for the size only */
		return real(ctx, sig, siglen, tbs, tbslen);
	cpu = now_ns(CLOCK_THREAD_CPUTIME_ID);
	wall = now_ns(CLOCK_MONOTONIC);
	r = real(ctx, sig, siglen, tbs, tbslen);
	atomic_fetch_add(&wall_ns, now_ns(CLOCK_MONOTONIC) - wall);
	atomic_fetch_add(&cpu_ns, now_ns(CLOCK_THREAD_CPUTIME_ID) - cpu);
	atomic_fetch_add(&calls, 1);
	return r;
}

__attribute__((destructor)) static void sign_time_report(void)
{
	const char *path = getenv("MODSIGN_BENCH_SIGN_TIME");
	FILE *f = path && *path ? fopen(path, "a") : stderr;

	if (!f)
		return;
	fprintf(f, "%lld %.3f %.3f\n", (long long)atomic_load(&calls), atomic_load(&cpu_ns) / 1e9,
		atomic_load(&wall_ns) / 1e9);
	if (f != stderr)
		fclose(f);
}

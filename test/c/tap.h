/* SPDX-License-Identifier: MIT */
/* tap: the TAP output of the C unit tests (test_compress.c, test_key.c). */
#ifndef MODSIGN_TEST_TAP_H
#define MODSIGN_TEST_TAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

static unsigned tap_n, tap_failed;

/* "ok N - WHAT" or "not ok N - WHAT"; returns cond. */
static inline bool tap(bool cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline bool tap(bool cond, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %u - ", cond ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (!cond)
		tap_failed++;
	return cond;
}

/* "# MESSAGE": a diagnostic line. */
static inline void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* The plan line ("1..N") after the tests, and the exit status: 0 when all passed, else 1. */
static inline int tap_finish(void)
{
	printf("1..%u\n", tap_n);
	if (tap_failed)
		diag("%u of %u tests failed", tap_failed, tap_n);
	return tap_failed ? 1 : 0;
}

#endif

/* SPDX-License-Identifier: MIT */
#include "util.h"

#include <string.h>

#include <openssl/err.h>

const char *util_prog = "modsign";

static void vmsg(const char *kind, const char *fmt, va_list ap)
{
	flockfile(stderr); /* one whole line, even from parallel workers */
	fprintf(stderr, "%s: %s", util_prog, kind);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	funlockfile(stderr);
}

void util_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
}

void util_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("warning: ", fmt, ap);
	va_end(ap);
}

void util_ossl_drain(char *buf, size_t size)
{
	unsigned long e;
	const char *data;
	int flags;
	size_t used = 0;

	if (size)
		buf[0] = '\0';
	while ((e = ERR_get_error_all(NULL, NULL, NULL, &data, &flags)) != 0) {
		char one[256];
		int n;

		ERR_error_string_n(e, one, sizeof(one));
		n = snprintf(buf + used, size - used, "%s%s%s%s",
			     used ? "; " : "", one,
			     (flags & ERR_TXT_STRING) && data && *data ? ": " : "",
			     (flags & ERR_TXT_STRING) && data ? data : "");
		if (n < 0 || (size_t)n >= size - used) {
			used = size - 1;
			continue; /* keep draining */
		}
		used += (size_t)n;
	}
}

void util_ossl_err(const char *fmt, ...)
{
	char reasons[1024];
	va_list ap;

	util_ossl_drain(reasons, sizeof(reasons));
	flockfile(stderr);
	fprintf(stderr, "%s: ", util_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (reasons[0])
		fprintf(stderr, ": %s", reasons);
	fputc('\n', stderr);
	funlockfile(stderr);
}

void util_secret_free(char *s)
{
	if (s) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

char *util_hex_colon(const unsigned char *p, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	char *s = malloc(n ? n * 3 : 1);

	if (!s)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		s[3 * i] = hex[p[i] >> 4];
		s[3 * i + 1] = hex[p[i] & 15];
		s[3 * i + 2] = ':';
	}
	s[n ? 3 * n - 1 : 0] = '\0';
	return s;
}

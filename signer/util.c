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

int util_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	flockfile(stderr);
	fprintf(stderr, "%s: %s: ", util_prog, cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see 'modsign %s --help')\n", cmd);
	funlockfile(stderr);
	return EXIT_USAGE;
}

int util_getopt_error(const char *cmd, int opt, char **argv)
{
	if (opt == ':')
		return util_usage_error(cmd, "option '%s' needs an argument", argv[optind - 1]);
	if (optopt)
		return util_usage_error(cmd, "unknown option '-%c'", optopt);
	return util_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
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

/* Length of the valid UTF-8 sequence at s (1..4), or 0. */
size_t util_utf8_len(const unsigned char *s)
{
	size_t n;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

/* A JSON string (RFC 8259); bytes that are not UTF-8 become U+FFFD. */
void util_json_string(FILE *out, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	if (!str) {
		fputs("null", out);
		return;
	}
	fputc('"', out);
	while (*s) {
		size_t n = util_utf8_len(s);

		if (*s == '"' || *s == '\\') {
			fprintf(out, "\\%c", *s);
		} else if (*s == '\n') {
			fputs("\\n", out);
		} else if (*s == '\t') {
			fputs("\\t", out);
		} else if (*s < 0x20 || *s == 0x7f) {
			fprintf(out, "\\u%04x", *s);
		} else if (n == 0) {
			fputs("\\ufffd", out);
			n = 1;
		} else {
			fwrite(s, 1, n, out);
		}
		s += n ? n : 1;
	}
	fputc('"', out);
}

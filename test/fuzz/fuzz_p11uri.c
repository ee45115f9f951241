/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer: the PKCS#11 URI parser, p11uri_parse(), and p11uri_redact(),
 * on the input as a string (up to its first NUL).  Beyond memory safety it
 * checks that the PIN never shows: in what messages print (p11uri.shown)
 * every pin-value is REDACTED, and what libp11 is given (p11uri.plain) has
 * no PIN attribute at all.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "p11uri.h"

/* The first attribute of s at or after `from` that starts with `key`
 * (attributes start after "pkcs11:", ';', '&' or '?'). */
static const char *attr_at(const char *s, const char *key, const char *from)
{
	size_t scheme = p11uri_is(s) ? strlen(P11URI_SCHEME) : 0;

	for (const char *p = strstr(from, key); p; p = strstr(p + 1, key))
		if ((size_t)(p - s) == scheme || (p != s && strchr(";&?", p[-1])))
			return p;
	return NULL;
}

/* Every pin-value attribute of s is exactly "pin-value=REDACTED". */
static void check_redacted(const char *s)
{
	static const char key[] = "pin-value=", red[] = "REDACTED";

	for (const char *p = attr_at(s, key, s); p; p = attr_at(s, key, p + 1)) {
		const char *v = p + strlen(key);

		if (strncmp(v, red, strlen(red)) != 0 || (v[strlen(red)] && !strchr(";&?", v[strlen(red)])))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *r;
	struct p11uri u;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if ((r = p11uri_redact(s)) != NULL) {
		check_redacted(r);
		free(r);
	}
	if (p11uri_parse(s, &u) == 0) {
		if (!u.shown || !u.plain || !p11uri_is(u.plain))
			abort();
		check_redacted(u.shown);
		if (u.pin_value && !strstr(u.shown, "pin-value=REDACTED"))
			abort();
		if (attr_at(u.plain, "pin-value=", u.plain) || attr_at(u.plain, "pin-source=", u.plain))
			abort();
		if (u.id_len && !u.id)
			abort();
		(void)p11uri_module(&u);
		p11uri_free(&u);
	}
	free(s);
	return 0;
}

/* SPDX-License-Identifier: MIT */
#include "p11uri.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define REDACTED "REDACTED"

enum attr_kind { A_STR, A_ID, A_SLOT };

struct attr {
	const char *name;
	size_t off;     /* offsetof the char * (A_STR) in struct p11uri */
	enum attr_kind kind;
	bool plain;     /* kept in p11uri.plain: libp11 takes it */
};

#define STR(field, plain) { #field, offsetof(struct p11uri, field), A_STR, plain }

static const struct attr attrs[] = {
	STR(token, true),
	STR(manufacturer, true),
	STR(serial, true),
	STR(model, true),
	STR(object, true),
	{ "id", 0, A_ID, true },
	{ "slot-id", 0, A_SLOT, false },
	STR(type, false),
	{ "pin-value", offsetof(struct p11uri, pin_value), A_STR, false },
	{ "pin-source", offsetof(struct p11uri, pin_source), A_STR, false },
	{ "module-path", offsetof(struct p11uri, module_path), A_STR, false },
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

bool p11uri_is(const char *s)
{
	return s && strncmp(s, P11URI_SCHEME, strlen(P11URI_SCHEME)) == 0;
}

/* Length of the attribute ending at ';', '&', '?' or the end. */
static size_t attr_len(const char *s)
{
	return strcspn(s, ";&?");
}

char *p11uri_redact(const char *s)
{
	static const char key[] = "pin-value=";
	size_t n = strlen(s), attrs_n = 1, used = 0;
	const char *p = s;
	char *out;

	/* Each attribute grows by at most REDACTED: room for the worst case. */
	for (const char *q = s; *q; q++)
		attrs_n += strchr(";&?", *q) != NULL;
	out = malloc(n + attrs_n * sizeof(REDACTED) + 1);
	if (!out)
		return NULL;
	if (p11uri_is(s)) {
		used = strlen(P11URI_SCHEME);
		memcpy(out, s, used);
		p += used;
	}
	while (*p) {
		size_t len = attr_len(p);

		if (len >= sizeof(key) - 1 && strncmp(p, key, sizeof(key) - 1) == 0) {
			used += (size_t)sprintf(out + used, "%s%s", key, REDACTED);
		} else {
			memcpy(out + used, p, len);
			used += len;
		}
		p += len;
		if (*p)
			out[used++] = *p++;
	}
	out[used] = '\0';
	return out;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decode s[0..len) into a malloc'ed buffer (NUL-terminated too). */
static int decode(const char *s, size_t len, char **out, size_t *out_len)
{
	char *d = malloc(len + 1);
	size_t n = 0;

	if (!d)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '%') {
			int hi = i + 1 < len ? hexval((unsigned char)s[i + 1]) : -1;
			int lo = hi >= 0 && i + 2 < len ? hexval((unsigned char)s[i + 2]) : -1;

			if (lo < 0) {
				OPENSSL_cleanse(d, len + 1);
				free(d);
				return -2;
			}
			d[n++] = (char)(hi << 4 | lo);
			i += 2;
		} else {
			d[n++] = s[i];
		}
	}
	d[n] = '\0';
	*out = d;
	if (out_len)
		*out_len = n;
	return 0;
}

static int set_attr(struct p11uri *u, const struct attr *a, const char *v, size_t vlen)
{
	char *val = NULL, *end;
	size_t n;
	int r = decode(v, vlen, &val, &n);

	if (r < 0)
		return r;
	switch (a->kind) {
	case A_STR: {
		char **f = (char **)((char *)u + a->off);

		if (*f)
			util_secret_free(*f);
		*f = val;
		return 0;
	}
	case A_ID:
		free(u->id);
		u->id = (unsigned char *)val;
		u->id_len = n;
		return 0;
	case A_SLOT:
		errno = 0;
		u->slot_id = strtoul(val, &end, 10);
		r = (!*val || *end || errno) ? -2 : 0;
		u->has_slot_id = true;
		free(val);
		return r;
	}
	free(val);
	return -2;
}

static int append(char **buf, size_t *used, size_t *cap, const char *s, size_t n)
{
	if (*used + n + 1 > *cap) {
		size_t c = (*used + n + 1) * 2;
		char *b = realloc(*buf, c);

		if (!b)
			return -1;
		*buf = b;
		*cap = c;
	}
	memcpy(*buf + *used, s, n);
	*used += n;
	(*buf)[*used] = '\0';
	return 0;
}

int p11uri_parse(const char *s, struct p11uri *u)
{
	size_t used = 0, cap = 0;
	const char *p;

	memset(u, 0, sizeof(*u));
	if (!(u->shown = p11uri_redact(s)))
		goto oom;
	if (!p11uri_is(s)) {
		util_err("%s: not a PKCS#11 URI", u->shown);
		p11uri_free(u);
		return -1;
	}
	if (append(&u->plain, &used, &cap, P11URI_SCHEME, strlen(P11URI_SCHEME)) < 0)
		goto oom;
	p = s + strlen(P11URI_SCHEME);
	while (*p) {
		size_t len = attr_len(p);
		const char *eq = memchr(p, '=', len);
		const struct attr *a = NULL;

		if (len == 0) {
			p++;
			continue;
		}
		if (!eq) {
			util_err("%s: '%.*s' is not an attribute=value pair", u->shown, (int)len, p);
			p11uri_free(u);
			return -1;
		}
		for (size_t i = 0; i < ARRAY_SIZE(attrs); i++)
			if (strlen(attrs[i].name) == (size_t)(eq - p) && strncmp(attrs[i].name, p, (size_t)(eq - p)) == 0)
				a = &attrs[i];
		if (a) {
			int r = set_attr(u, a, eq + 1, len - (size_t)(eq - p) - 1);

			if (r == -1)
				goto oom;
			if (r < 0) {
				util_err("%s: bad value for %s", u->shown, a->name);
				p11uri_free(u);
				return -1;
			}
		}
		/* Unknown attributes (library-*, slot-description, ...) only describe:
		 * they are left out, as the engine refuses them. */
		if (a && a->plain &&
		    ((used > strlen(P11URI_SCHEME) && append(&u->plain, &used, &cap, ";", 1) < 0) ||
		     append(&u->plain, &used, &cap, p, len) < 0))
			goto oom;
		p += len;
		if (*p)
			p++;
	}
	return 0;
oom:
	util_err("%s: out of memory", u->shown ? u->shown : "pkcs11:");
	p11uri_free(u);
	return -1;
}

static bool unreserved(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       strchr("-._~", c);
}

int p11uri_add(struct p11uri *u, const char *name, const char *value)
{
	size_t used = strlen(u->plain), cap = used + 1, n = strlen(value);
	char *enc = malloc(3 * n + 1), *e = enc;
	const struct attr *a = NULL;
	int r;

	if (!enc)
		return -1;
	for (const unsigned char *p = (const unsigned char *)value; *p; p++)
		e += unreserved(*p) ? sprintf(e, "%c", *p) : sprintf(e, "%%%02X", *p);
	for (size_t i = 0; i < ARRAY_SIZE(attrs); i++)
		if (strcmp(attrs[i].name, name) == 0)
			a = &attrs[i];
	r = a && a->kind == A_STR ? 0 : -1;
	if (r == 0 && !*(char **)((char *)u + a->off))
		r = set_attr(u, a, enc, strlen(enc));
	if (r == 0 && ((used > strlen(P11URI_SCHEME) && append(&u->plain, &used, &cap, ";", 1) < 0) ||
		       append(&u->plain, &used, &cap, name, strlen(name)) < 0 ||
		       append(&u->plain, &used, &cap, "=", 1) < 0 ||
		       append(&u->plain, &used, &cap, enc, strlen(enc)) < 0))
		r = -1;
	free(enc);
	return r;
}

void p11uri_free(struct p11uri *u)
{
	free(u->shown);
	free(u->plain);
	free(u->token);
	free(u->manufacturer);
	free(u->serial);
	free(u->model);
	free(u->object);
	free(u->id);
	free(u->type);
	util_secret_free(u->pin_value);
	free(u->pin_source);
	free(u->module_path);
	memset(u, 0, sizeof(*u));
}

int p11uri_pin(const struct p11uri *u, char **pin)
{
	const char *env = getenv("KBUILD_SIGN_PIN");

	*pin = NULL;
	if (u->pin_value) {
		*pin = strdup(u->pin_value);
	} else if (u->pin_source) {
		const char *path = u->pin_source;
		char buf[256];
		size_t n;
		FILE *f;

		if (strncmp(path, "file:", 5) == 0)
			path += 5;
		if (!(f = fopen(path, "re"))) {
			util_err("%s: cannot read the PIN from pin-source: %s", u->shown, strerror(errno));
			return -1;
		}
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
		buf[strcspn(buf, "\r\n")] = '\0'; /* the first line */
		*pin = strdup(buf);
		OPENSSL_cleanse(buf, sizeof(buf));
	} else if (env) {
		*pin = strdup(env);
	} else {
		return 0;
	}
	if (!*pin) {
		util_err("%s: out of memory", u->shown);
		return -1;
	}
	return 0;
}

const char *p11uri_module(const struct p11uri *u)
{
	const char *env = getenv("PKCS11_MODULE_PATH");

	if (u->module_path && *u->module_path)
		return u->module_path;
	if (env && *env)
		return env;
	return P11URI_DEFAULT_MODULE;
}

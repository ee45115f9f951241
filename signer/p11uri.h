/* SPDX-License-Identifier: MIT */
/*
 * p11uri: PKCS#11 URIs (RFC 7512) as modsign takes them for keys and
 * certificates: "pkcs11:token=T;object=L;id=%01?pin-value=1234".
 *
 * Path attributes (';'-separated): token, manufacturer, serial, model,
 * slot-id, object, id, type; query attributes ('&'-separated): pin-value,
 * pin-source, module-path.  pin-value and pin-source are also accepted
 * among the path attributes, where the kernel's documentation and libp11
 * put them.  Values are percent-decoded.
 *
 * The PIN is a secret: it is never printed.  p11uri.shown is the URI with
 * the pin-value replaced by REDACTED, for messages.
 */
#ifndef MODSIGN_P11URI_H
#define MODSIGN_P11URI_H

#include <stdbool.h>
#include <stddef.h>

#define P11URI_SCHEME "pkcs11:"
#define P11URI_DEFAULT_MODULE "p11-kit-proxy.so"

struct p11uri {
	char *shown;   /* for messages: pin-value=REDACTED */
	char *plain;   /* "pkcs11:" + token, manufacturer, serial, model, object
			* and id as given: no PIN, no type (what libp11 takes) */
	char *token, *manufacturer, *serial, *model;
	char *object;  /* CKA_LABEL */
	unsigned char *id; /* CKA_ID */
	size_t id_len;
	char *type;    /* private, public, cert, ... */
	unsigned long slot_id;
	bool has_slot_id;
	char *pin_value;  /* secret */
	char *pin_source; /* file:PATH or PATH */
	char *module_path;
};

/* Does s start with "pkcs11:"? */
bool p11uri_is(const char *s);

/*
 * Add name=value (percent-encoded) to u->plain, and set the attribute when
 * the URI had none (name: a string attribute, e.g. "token", "serial").
 */
int p11uri_add(struct p11uri *u, const char *name, const char *value);

/* Parse; -1 with a one-line error (naming the redacted URI) on error. */
int p11uri_parse(const char *s, struct p11uri *u);
void p11uri_free(struct p11uri *u);
static inline void p11uri_freep(struct p11uri *u) { p11uri_free(u); }

/*
 * The PIN: pin-value, else the first line of pin-source's file, else
 * $KBUILD_SIGN_PIN, else *pin = NULL.  *pin is malloc'ed (util_secret_free).
 * -1 with an error printed when pin-source cannot be read.
 */
int p11uri_pin(const struct p11uri *u, char **pin);

/* module-path, else $PKCS11_MODULE_PATH, else P11URI_DEFAULT_MODULE. */
const char *p11uri_module(const struct p11uri *u);

/* s with any pin-value replaced by REDACTED (malloc'ed; NULL: no memory). */
char *p11uri_redact(const char *s);

#endif

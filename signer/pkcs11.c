/* SPDX-License-Identifier: MIT */
/*
 * The libp11 engine is OpenSSL's ENGINE API, deprecated in OpenSSL 3 but
 * the only way to a PKCS#11 token on Debian 12's OpenSSL 3.0 (no pkcs11
 * provider).  Its declarations are used here, and only here.
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include "pkcs11.h"

#include <string.h>

#include <openssl/engine.h>
#include <openssl/err.h>
#include <openssl/store.h>
#include <openssl/ui.h>

#include "p11mod.h"
#include "p11uri.h"
#include "util.h"

#define PKCS11_ENGINE_ID "pkcs11"

static inline void uri_pin_freep(char **p) { util_secret_free(*p); }

/* ---- the store API (a provider for pkcs11:) ---- */

static int store_pin_cb(char *buf, int size, int rwflag, void *u)
{
	const char *pin = u;
	size_t n;

	(void)rwflag;
	if (!pin || (n = strlen(pin)) >= (size_t)size)
		return -1; /* never a prompt */
	memcpy(buf, pin, n);
	return (int)n;
}

/*
 * 1: found (*key or *cert set); 0: no provider handles pkcs11: (nothing
 * printed); -1: a provider handles it and failed (error printed).
 */
static int store_load(const struct p11uri *u, const char *pin, int type, EVP_PKEY **key, X509 **cert)
{
	UI_METHOD *ui = UI_UTIL_wrap_read_pem_callback(store_pin_cb, 0);
	OSSL_STORE_CTX *st;
	int r = 0;

	if (!ui)
		return 0;
	ERR_set_mark();
	st = OSSL_STORE_open_ex(u->plain, NULL, NULL, ui, (void *)pin, NULL, NULL, NULL);
	if (!st) {
		ERR_pop_to_mark(); /* no loader for the scheme: the engine is next */
		UI_destroy_method(ui);
		return 0;
	}
	ERR_clear_last_mark();
	OSSL_STORE_expect(st, type);
	while (r == 0 && !OSSL_STORE_eof(st)) {
		OSSL_STORE_INFO *info = OSSL_STORE_load(st);

		if (!info) {
			if (OSSL_STORE_error(st))
				break;
			continue;
		}
		if (type == OSSL_STORE_INFO_PKEY && OSSL_STORE_INFO_get_type(info) == OSSL_STORE_INFO_PKEY)
			r = (*key = OSSL_STORE_INFO_get1_PKEY(info)) ? 1 : 0;
		else if (type == OSSL_STORE_INFO_CERT && OSSL_STORE_INFO_get_type(info) == OSSL_STORE_INFO_CERT)
			r = (*cert = OSSL_STORE_INFO_get1_CERT(info)) ? 1 : 0;
		OSSL_STORE_INFO_free(info);
	}
	OSSL_STORE_close(st);
	UI_destroy_method(ui);
	if (r == 0) {
		util_ossl_err("%s: no %s there", u->shown, type == OSSL_STORE_INFO_PKEY ? "private key" : "certificate");
		return -1;
	}
	return 1;
}

/* ---- the libp11 engine ---- */

static ENGINE *engine;

static void engine_release(void)
{
	if (engine) {
		ENGINE_finish(engine);
		ENGINE_free(engine);
		engine = NULL;
	}
}

/* The engine, loaded and initialised once (before any worker starts). */
static ENGINE *engine_get(const struct p11uri *u)
{
	ENGINE *e;

	if (engine)
		return engine;
	ERR_set_mark();
	e = ENGINE_by_id(PKCS11_ENGINE_ID);
	if (!e) {
		ERR_pop_to_mark();
		util_err("%s: no PKCS#11 support in this OpenSSL: no provider for pkcs11: URIs and no "
			 "\"" PKCS11_ENGINE_ID "\" engine (on Debian: apt-get install libengine-pkcs11-openssl)",
			 u->shown);
		return NULL;
	}
	ERR_clear_last_mark();
	if (!ENGINE_ctrl_cmd_string(e, "MODULE_PATH", p11uri_module(u), 0) || !ENGINE_init(e)) {
		util_ossl_err("%s: the " PKCS11_ENGINE_ID " engine does not start", u->shown);
		ENGINE_free(e);
		return NULL;
	}
	engine = e;
	atexit(engine_release);
	return engine;
}

/* Refuse a prompt: a PIN comes from the URI or KBUILD_SIGN_PIN only. */
static int no_prompt_cb(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

static int engine_load_key(const struct p11uri *u, const char *pin, EVP_PKEY **out)
{
	ENGINE *e = engine_get(u);
	UI_METHOD *ui;
	EVP_PKEY *k;

	if (!e)
		return -1;
	if (pin && !ENGINE_ctrl_cmd_string(e, "PIN", pin, 0)) {
		util_ossl_err("%s: the " PKCS11_ENGINE_ID " engine does not take the PIN", u->shown);
		return -1;
	}
	if (!(ui = UI_UTIL_wrap_read_pem_callback(no_prompt_cb, 0))) {
		util_ossl_err("%s: out of memory", u->shown);
		return -1;
	}
	k = ENGINE_load_private_key(e, u->plain, ui, NULL);
	UI_destroy_method(ui);
	if (!k) {
		util_ossl_err("%s: the " PKCS11_ENGINE_ID " engine cannot load the private key", u->shown);
		return -1;
	}
	*out = k;
	return 0;
}

/* libp11's LOAD_CERT_CTRL takes this, in and out. */
struct engine_cert_params {
	const char *uri;
	X509 *cert;
};

static int engine_load_cert(const struct p11uri *u, X509 **out)
{
	ENGINE *e = engine_get(u);
	struct engine_cert_params p = { u->plain, NULL };

	if (!e)
		return -1;
	if (!ENGINE_ctrl_cmd(e, "LOAD_CERT_CTRL", 0, &p, NULL, 0) || !p.cert) {
		util_ossl_err("%s: the " PKCS11_ENGINE_ID " engine cannot load the certificate", u->shown);
		return -1;
	}
	*out = p.cert;
	return 0;
}

/* ---- both ---- */

/* Token, login, object, directly: the errors the engine cannot tell apart. */
static int check_object(struct p11uri *u, enum p11mod_class cls)
{
	struct p11mod *m = NULL;
	bool found = false;
	int r;

	if (p11mod_open(u, false, cls == P11MOD_PRIVATE_KEY, &m) < 0)
		return -1;
	r = p11mod_find(m, u, cls, &found);
	if (r == 0 && found)
		r = p11mod_name_token(m, u);
	p11mod_close(m);
	if (r < 0)
		return -1;
	if (!found) {
		util_err("%s: no such %s on the token", u->shown,
			 cls == P11MOD_PRIVATE_KEY ? "private key" : "certificate");
		return -1;
	}
	return 0;
}

int pkcs11_load_key(const char *uri, EVP_PKEY **out)
{
	_cleanup_(p11uri_freep) struct p11uri u = { 0 };
	_cleanup_(uri_pin_freep) char *pin = NULL;
	int r;

	if (p11uri_parse(uri, &u) < 0 || p11uri_pin(&u, &pin) < 0)
		return -1;
	r = store_load(&u, pin, OSSL_STORE_INFO_PKEY, out, NULL);
	if (r != 0)
		return r < 0 ? -1 : 0;
	if (check_object(&u, P11MOD_PRIVATE_KEY) < 0)
		return -1;
	return engine_load_key(&u, pin, out);
}

int pkcs11_load_cert(const char *uri, X509 **out)
{
	_cleanup_(p11uri_freep) struct p11uri u = { 0 };
	_cleanup_(uri_pin_freep) char *pin = NULL;
	int r;

	if (p11uri_parse(uri, &u) < 0 || p11uri_pin(&u, &pin) < 0)
		return -1;
	r = store_load(&u, pin, OSSL_STORE_INFO_CERT, NULL, out);
	if (r != 0)
		return r < 0 ? -1 : 0;
	if (check_object(&u, P11MOD_CERTIFICATE) < 0)
		return -1;
	return engine_load_cert(&u, out);
}

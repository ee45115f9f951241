/* SPDX-License-Identifier: MIT */
#include "p11mod.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <p11-kit/pkcs11.h>

#include "util.h"

struct p11mod {
	CK_FUNCTION_LIST_PTR f;
	CK_SESSION_HANDLE session;
	bool has_session;
	const char *shown; /* the URI, redacted */
	CK_TOKEN_INFO token;
};

/* The return values worth a name in a message. */
static const struct {
	CK_RV rv;
	const char *name;
} rv_names[] = {
	{ CKR_PIN_INCORRECT, "CKR_PIN_INCORRECT" },
	{ CKR_PIN_LOCKED, "CKR_PIN_LOCKED" },
	{ CKR_PIN_LEN_RANGE, "CKR_PIN_LEN_RANGE" },
	{ CKR_PIN_EXPIRED, "CKR_PIN_EXPIRED" },
	{ CKR_TOKEN_NOT_PRESENT, "CKR_TOKEN_NOT_PRESENT" },
	{ CKR_TOKEN_WRITE_PROTECTED, "CKR_TOKEN_WRITE_PROTECTED" },
	{ CKR_DEVICE_ERROR, "CKR_DEVICE_ERROR" },
	{ CKR_DEVICE_REMOVED, "CKR_DEVICE_REMOVED" },
	{ CKR_GENERAL_ERROR, "CKR_GENERAL_ERROR" },
	{ CKR_FUNCTION_FAILED, "CKR_FUNCTION_FAILED" },
	{ CKR_HOST_MEMORY, "CKR_HOST_MEMORY" },
	{ CKR_DEVICE_MEMORY, "CKR_DEVICE_MEMORY" },
	{ CKR_MECHANISM_INVALID, "CKR_MECHANISM_INVALID" },
	{ CKR_TEMPLATE_INCONSISTENT, "CKR_TEMPLATE_INCONSISTENT" },
	{ CKR_TEMPLATE_INCOMPLETE, "CKR_TEMPLATE_INCOMPLETE" },
	{ CKR_ATTRIBUTE_VALUE_INVALID, "CKR_ATTRIBUTE_VALUE_INVALID" },
	{ CKR_KEY_SIZE_RANGE, "CKR_KEY_SIZE_RANGE" },
	{ CKR_DOMAIN_PARAMS_INVALID, "CKR_DOMAIN_PARAMS_INVALID" },
	{ CKR_CURVE_NOT_SUPPORTED, "CKR_CURVE_NOT_SUPPORTED" },
	{ CKR_USER_NOT_LOGGED_IN, "CKR_USER_NOT_LOGGED_IN" },
	{ CKR_SESSION_READ_ONLY, "CKR_SESSION_READ_ONLY" },
	{ CKR_CRYPTOKI_NOT_INITIALIZED, "CKR_CRYPTOKI_NOT_INITIALIZED" },
	{ CKR_ARGUMENTS_BAD, "CKR_ARGUMENTS_BAD" },
};

static const char *rv_name(CK_RV rv)
{
	static __thread char buf[32];

	for (size_t i = 0; i < sizeof(rv_names) / sizeof(rv_names[0]); i++)
		if (rv_names[i].rv == rv)
			return rv_names[i].name;
	snprintf(buf, sizeof(buf), "CKR 0x%lx", (unsigned long)rv);
	return buf;
}

/* A blank-padded token info field equals s? */
static bool field_is(const unsigned char *field, size_t size, const char *s)
{
	size_t n = size;

	while (n > 0 && field[n - 1] == ' ')
		n--;
	return strlen(s) == n && memcmp(field, s, n) == 0;
}

static bool token_matches(const struct p11uri *u, CK_SLOT_ID slot, const CK_TOKEN_INFO *ti)
{
	return (!u->has_slot_id || u->slot_id == slot) &&
	       (!u->token || field_is(ti->label, sizeof(ti->label), u->token)) &&
	       (!u->manufacturer || field_is(ti->manufacturerID, sizeof(ti->manufacturerID), u->manufacturer)) &&
	       (!u->model || field_is(ti->model, sizeof(ti->model), u->model)) &&
	       (!u->serial || field_is(ti->serialNumber, sizeof(ti->serialNumber), u->serial));
}

/*
 * A module, once loaded and initialised, stays so until exit: the engine
 * loads the same one (dlopen gives it the same handle), and finalising it
 * under the engine would invalidate the engine's handles (p11-kit-proxy.so
 * does).  Released at exit: after the engine (registered later), before
 * the module's own destructors (registered earlier, by dlopen).
 */
#define MAX_MODULES 4

static struct loaded_module {
	char *path;
	void *dl;
	CK_FUNCTION_LIST_PTR f;
	bool finalize; /* we initialised it */
} modules[MAX_MODULES];

static void unload_modules(void)
{
	for (size_t i = 0; i < MAX_MODULES; i++) {
		struct loaded_module *l = &modules[i];

		if (l->finalize)
			l->f->C_Finalize(NULL); /* CKR_CRYPTOKI_NOT_INITIALIZED after the engine's: fine */
		if (l->dl)
			dlclose(l->dl);
		free(l->path);
		memset(l, 0, sizeof(*l));
	}
}

static int load_module(struct p11mod *m, const char *path)
{
	CK_RV (*get_list)(CK_FUNCTION_LIST_PTR_PTR);
	CK_C_INITIALIZE_ARGS args = { .flags = CKF_OS_LOCKING_OK };
	struct loaded_module *l = NULL;
	CK_RV rv;

	for (size_t i = 0; i < MAX_MODULES && !l; i++) {
		if (modules[i].path && strcmp(modules[i].path, path) == 0) {
			m->f = modules[i].f;
			return 0;
		}
		if (!modules[i].path)
			l = &modules[i];
	}
	if (!l) {
		util_err("%s: too many PKCS#11 modules in one run", m->shown);
		return -1;
	}
	if (!(l->path = strdup(path))) {
		util_err("%s: out of memory", m->shown);
		return -1;
	}
	l->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!l->dl) {
		util_err("%s: cannot load the PKCS#11 module %s (set PKCS11_MODULE_PATH or module-path): %s",
			 m->shown, path, dlerror());
		goto fail;
	}
	*(void **)&get_list = dlsym(l->dl, "C_GetFunctionList");
	if (!get_list || get_list(&l->f) != CKR_OK || !l->f) {
		util_err("%s: %s is not a PKCS#11 module (no C_GetFunctionList)", m->shown, path);
		goto fail;
	}
	rv = l->f->C_Initialize(&args);
	if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
		util_err("%s: the PKCS#11 module %s does not start: C_Initialize: %s", m->shown, path, rv_name(rv));
		goto fail;
	}
	l->finalize = rv == CKR_OK;
	m->f = l->f;
	/* After the module's own exit handlers (C++ destructors registered by
	 * dlopen), so that it is finalised before they run. */
	atexit(unload_modules);
	return 0;
fail:
	if (l->dl)
		dlclose(l->dl);
	free(l->path);
	memset(l, 0, sizeof(*l));
	return -1;
}

static int find_slot(struct p11mod *m, const struct p11uri *u, CK_SLOT_ID *out, CK_TOKEN_INFO *ti)
{
	_cleanup_free_ CK_SLOT_ID *slots = NULL;
	CK_ULONG n = 0, found = 0, usable = 0;
	CK_RV rv;

	rv = m->f->C_GetSlotList(CK_TRUE, NULL, &n);
	if (rv == CKR_OK && n) {
		if (!(slots = calloc(n, sizeof(*slots)))) {
			util_err("%s: out of memory", m->shown);
			return -1;
		}
		rv = m->f->C_GetSlotList(CK_TRUE, slots, &n);
	}
	if (rv != CKR_OK) {
		util_err("%s: cannot list the PKCS#11 slots: %s", m->shown, rv_name(rv));
		return -1;
	}
	for (CK_ULONG i = 0; i < n; i++) {
		CK_TOKEN_INFO info;

		if (m->f->C_GetTokenInfo(slots[i], &info) != CKR_OK || !(info.flags & CKF_TOKEN_INITIALIZED))
			continue;
		usable++;
		if (!token_matches(u, slots[i], &info))
			continue;
		if (found++ == 0) {
			*out = slots[i];
			*ti = info;
		}
	}
	if (!found) {
		util_err("%s: no such token (%lu initialised token%s in %s)", m->shown, (unsigned long)usable,
			 usable == 1 ? "" : "s", p11uri_module(u));
		return -1;
	}
	if (found > 1)
		util_warn("%s: %lu tokens match; using the first", m->shown, (unsigned long)found);
	return 0;
}

int p11mod_open(const struct p11uri *u, bool rw, bool login, struct p11mod **out)
{
	struct p11mod *m = calloc(1, sizeof(*m));
	char *pin = NULL;
	CK_TOKEN_INFO ti;
	CK_SLOT_ID slot;
	CK_RV rv;

	if (!m) {
		util_err("%s: out of memory", u->shown);
		return -1;
	}
	m->shown = u->shown;
	if (load_module(m, p11uri_module(u)) < 0 || find_slot(m, u, &slot, &ti) < 0)
		goto fail;
	m->token = ti;
	rv = m->f->C_OpenSession(slot, CKF_SERIAL_SESSION | (rw ? CKF_RW_SESSION : 0), NULL, NULL, &m->session);
	if (rv != CKR_OK) {
		util_err("%s: cannot open a session on the token: %s", u->shown, rv_name(rv));
		goto fail;
	}
	m->has_session = true;
	if (p11uri_pin(u, &pin) < 0)
		goto fail;
	if (!pin) {
		if (login && (ti.flags & CKF_LOGIN_REQUIRED)) {
			util_err("%s: the token needs a PIN: set KBUILD_SIGN_PIN, or pin-value or pin-source in the URI",
				 u->shown);
			goto fail;
		}
	} else {
		rv = m->f->C_Login(m->session, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin));
		util_secret_free(pin);
		pin = NULL;
		if (rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LEN_RANGE) {
			util_err("%s: wrong PIN (%s)", u->shown, rv_name(rv));
			goto fail;
		}
		if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
			util_err("%s: cannot log in to the token: %s", u->shown, rv_name(rv));
			goto fail;
		}
	}
	*out = m;
	return 0;
fail:
	util_secret_free(pin);
	p11mod_close(m);
	return -1;
}

void p11mod_close(struct p11mod *m)
{
	if (!m)
		return;
	/* No C_Logout: login state is the application's, shared with the
	 * engine's sessions; closing the last session logs out anyway. */
	if (m->has_session)
		m->f->C_CloseSession(m->session);
	free(m);
}

/* A blank-padded field as a C string. */
static void field_str(char *out, const unsigned char *field, size_t size)
{
	size_t n = size;

	while (n > 0 && field[n - 1] == ' ')
		n--;
	memcpy(out, field, n);
	out[n] = '\0';
}

int p11mod_name_token(struct p11mod *m, struct p11uri *u)
{
	char label[sizeof(m->token.label) + 1], serial[sizeof(m->token.serialNumber) + 1];

	field_str(label, m->token.label, sizeof(m->token.label));
	field_str(serial, m->token.serialNumber, sizeof(m->token.serialNumber));
	if ((!u->token && p11uri_add(u, "token", label) < 0) ||
	    (!u->serial && p11uri_add(u, "serial", serial) < 0)) {
		util_err("%s: out of memory", u->shown);
		return -1;
	}
	return 0;
}

static const CK_OBJECT_CLASS class_of[] = {
	[P11MOD_PRIVATE_KEY] = CKO_PRIVATE_KEY,
	[P11MOD_CERTIFICATE] = CKO_CERTIFICATE,
};

int p11mod_find(struct p11mod *m, const struct p11uri *u, enum p11mod_class cls, bool *found)
{
	CK_OBJECT_CLASS c = class_of[cls];
	CK_ATTRIBUTE t[3] = { { CKA_CLASS, &c, sizeof(c) } };
	CK_ULONG nt = 1, n = 0;
	CK_OBJECT_HANDLE h;
	CK_RV rv;

	if (u->object)
		t[nt++] = (CK_ATTRIBUTE){ CKA_LABEL, u->object, strlen(u->object) };
	if (u->id)
		t[nt++] = (CK_ATTRIBUTE){ CKA_ID, u->id, u->id_len };
	rv = m->f->C_FindObjectsInit(m->session, t, nt);
	if (rv == CKR_OK) {
		rv = m->f->C_FindObjects(m->session, &h, 1, &n);
		m->f->C_FindObjectsFinal(m->session);
	}
	if (rv != CKR_OK) {
		util_err("%s: cannot search the token: %s", m->shown, rv_name(rv));
		return -1;
	}
	*found = n > 0;
	return 0;
}

/* The DER of the curve's OID, as CKA_EC_PARAMS takes it (namedCurve). */
static int ec_params(int nid, unsigned char **der, int *len)
{
	ASN1_OBJECT *o = OBJ_nid2obj(nid);

	*der = NULL;
	*len = o ? i2d_ASN1_OBJECT(o, der) : -1;
	return *len > 0 ? 0 : -1;
}

int p11mod_generate(struct p11mod *m, const struct p11uri *u, const unsigned char *id, size_t id_len,
		    int rsa_bits, int ec_nid)
{
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ULONG bits = (CK_ULONG)rsa_bits;
	CK_BYTE exponent[] = { 0x01, 0x00, 0x01 }; /* 65537 */
	CK_MECHANISM mech = { ec_nid ? CKM_EC_KEY_PAIR_GEN : CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0 };
	CK_OBJECT_HANDLE pub, priv;
	unsigned char *params = NULL;
	int params_len = 0;
	CK_RV rv;

	if (ec_nid && ec_params(ec_nid, &params, &params_len) < 0) {
		util_ossl_err("%s: cannot encode the curve", m->shown);
		return -1;
	}
	CK_ATTRIBUTE pub_t[6] = {
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_VERIFY, &yes, sizeof(yes) },
		{ CKA_LABEL, u->object, strlen(u->object) },
		{ CKA_ID, (void *)id, id_len },
	};
	CK_ATTRIBUTE priv_t[] = {
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_PRIVATE, &yes, sizeof(yes) },
		{ CKA_SENSITIVE, &yes, sizeof(yes) },
		{ CKA_EXTRACTABLE, &no, sizeof(no) },
		{ CKA_SIGN, &yes, sizeof(yes) },
		{ CKA_LABEL, u->object, strlen(u->object) },
		{ CKA_ID, (void *)id, id_len },
	};
	CK_ULONG npub = 4;

	if (ec_nid) {
		pub_t[npub++] = (CK_ATTRIBUTE){ CKA_EC_PARAMS, params, (CK_ULONG)params_len };
	} else {
		pub_t[npub++] = (CK_ATTRIBUTE){ CKA_MODULUS_BITS, &bits, sizeof(bits) };
		pub_t[npub++] = (CK_ATTRIBUTE){ CKA_PUBLIC_EXPONENT, exponent, sizeof(exponent) };
	}
	rv = m->f->C_GenerateKeyPair(m->session, &mech, pub_t, npub, priv_t, sizeof(priv_t) / sizeof(priv_t[0]),
				     &pub, &priv);
	OPENSSL_free(params);
	if (rv != CKR_OK) {
		util_err("%s: cannot generate the key pair on the token: %s", m->shown, rv_name(rv));
		return -1;
	}
	return 0;
}

int p11mod_store_cert(struct p11mod *m, const struct p11uri *u, const unsigned char *id, size_t id_len,
		      X509 *cert)
{
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_CERTIFICATE_TYPE type = CKC_X_509;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	unsigned char *der = NULL, *subj = NULL;
	int der_len = i2d_X509(cert, &der);
	int subj_len = i2d_X509_NAME(X509_get_subject_name(cert), &subj);
	CK_OBJECT_HANDLE h;
	CK_RV rv = CKR_HOST_MEMORY;

	if (der_len > 0 && subj_len > 0) {
		CK_ATTRIBUTE t[] = {
			{ CKA_CLASS, &cls, sizeof(cls) },
			{ CKA_CERTIFICATE_TYPE, &type, sizeof(type) },
			{ CKA_TOKEN, &yes, sizeof(yes) },
			{ CKA_PRIVATE, &no, sizeof(no) },
			{ CKA_LABEL, u->object, strlen(u->object) },
			{ CKA_ID, (void *)id, id_len },
			{ CKA_SUBJECT, subj, (CK_ULONG)subj_len },
			{ CKA_VALUE, der, (CK_ULONG)der_len },
		};

		rv = m->f->C_CreateObject(m->session, t, sizeof(t) / sizeof(t[0]), &h);
	}
	OPENSSL_free(der);
	OPENSSL_free(subj);
	if (rv != CKR_OK) {
		util_err("%s: cannot store the certificate on the token: %s", m->shown, rv_name(rv));
		return -1;
	}
	return 0;
}

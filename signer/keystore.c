/* SPDX-License-Identifier: MIT */
#include "keystore.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <openssl/conf.h>
#include <openssl/err.h>

#include "fileio.h"
#include "key.h"
#include "keygen.h"
#include "p11uri.h"
#include "util.h"

/* A setting of the config file (NULL when unset), read with OpenSSL's config library. */
static int config_value(const char *name, char **out)
{
	const char *path = getenv("MODSIGN_CONFIG");
	CONF *conf;
	long line = -1;
	char *v;

	*out = NULL;
	if (!path)
		path = KEYSTORE_DEFAULT_CONFIG;
	if (access(path, F_OK) < 0)
		return 0;
	conf = NCONF_new(NULL);
	if (!conf)
		return -1;
	if (NCONF_load(conf, path, &line) <= 0) {
		if (line > 0)
			util_ossl_err("%s:%ld: syntax error", path, line);
		else
			util_ossl_err("%s: cannot read", path);
		NCONF_free(conf);
		return -1;
	}
	v = NCONF_get_string(conf, NULL, name);
	ERR_clear_error();
	if (v && *v && !(*out = strdup(v))) {
		NCONF_free(conf);
		return -1;
	}
	NCONF_free(conf);
	return 0;
}

static int config_key_dir(char **out)
{
	return config_value("key_dir", out);
}

char *keystore_dir(void)
{
	const char *env = getenv("MODSIGN_KEY_DIR");
	char *dir = NULL;

	if (env && *env)
		return strdup(env);
	if (config_key_dir(&dir) < 0)
		return NULL;
	return dir ? dir : strdup(KEYSTORE_DEFAULT_DIR);
}

char *keystore_cert_path(void)
{
	const char *env = getenv("MODSIGN_KEY_DIR");
	_cleanup_free_ char *k = NULL, *c = NULL, *dir = NULL;
	char *p;

	if (!(env && *env)) {
		if (config_value("key", &k) < 0 || config_value("cert", &c) < 0)
			return NULL;
		if (c) {
			p = c;
			c = NULL;
			return p;
		}
		if (k) {
			p = k;
			k = NULL;
			return p;
		}
	}
	if (!(dir = keystore_dir()))
		return NULL;
	if (asprintf(&p, "%s/%s", dir, KEYGEN_DER) < 0) {
		util_err("out of memory");
		return NULL;
	}
	return p;
}

/*
 * `key = KEY` (a pkcs11: URI or a PEM file) and `cert = X509` in the config
 * file: a key kept elsewhere, a token most of all, instead of the managed
 * key directory.  1 when configured (and loaded), 0 when not, -1 on error.
 */
static int open_configured(EVP_PKEY **key, X509 **cert)
{
	_cleanup_free_ char *k = NULL, *c = NULL;
	const char *env = getenv("MODSIGN_KEY_DIR");

	if (env && *env)
		return 0; /* the environment names the managed key's directory */
	if (config_value("key", &k) < 0 || config_value("cert", &c) < 0)
		return -1;
	if (!k) {
		if (c)
			util_warn("%s: cert is set but key is not; using the managed key",
				  getenv("MODSIGN_CONFIG") ? getenv("MODSIGN_CONFIG") : KEYSTORE_DEFAULT_CONFIG);
		return 0;
	}
	if (!p11uri_is(k) && key_check_private_mode(k, 1) < 0)
		return -1;
	if (key_load_private(k, key) < 0)
		return -1;
	if (key_load_cert(c ? c : k, cert) < 0 || key_check_pair(*key, *cert, k, c ? c : k) < 0) {
		EVP_PKEY_free(*key);
		*key = NULL;
		return -1;
	}
	return 1;
}

int keystore_open(const char *dir, EVP_PKEY **key, X509 **cert)
{
	_cleanup_free_ char *lock = NULL, *pem = NULL, *der = NULL;
	_cleanup_close_ int fd = -1;
	enum keygen_state state;
	int r = open_configured(key, cert);

	if (r != 0)
		return r < 0 ? -1 : 0;
	if (fileio_mkdir_private(dir, true, NULL) < 0)
		return -1;
	if (asprintf(&lock, "%s/.lock", dir) < 0 ||
	    asprintf(&pem, "%s/%s", dir, KEYGEN_PEM) < 0 ||
	    asprintf(&der, "%s/%s", dir, KEYGEN_DER) < 0)
		return -1;
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		util_err("%s: %s", lock, strerror(errno));
		return -1;
	}
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			util_err("%s: cannot lock: %s", lock, strerror(errno));
			return -1;
		}
	}
	if (keygen_state(dir, &state) < 0)
		return -1;
	switch (state) {
	case KEYGEN_NONE: {
		struct keygen_opts opts = { .quiet = 1 };

		if (keygen_create(&opts, dir) < 0)
			return -1;
		util_warn("created the managed signing key %s; enroll its certificate with 'modsign enroll'", pem);
		break;
	}
	case KEYGEN_COMPLETE:
		break;
	case KEYGEN_NO_PEM:
		util_err("%s: missing, but %s exists; not regenerating a key that may be enrolled "
			 "(restore the key, or remove %s to start over)", pem, der, der);
		return -1;
	case KEYGEN_NO_DER:
		util_err("%s: missing, but %s exists; not regenerating a key that may be enrolled "
			 "(recreate it with: openssl x509 -in %s -outform DER -out %s)", der, pem, pem, der);
		return -1;
	}
	flock(fd, LOCK_UN);

	/* A managed key others can read is refused (MODSIGN_ALLOW_OPEN_KEY=1 overrides). */
	if (key_check_private_mode(pem, 1) < 0)
		return -1;

	if (key_load_private(pem, key) < 0)
		return -1;
	if (key_load_cert(der, cert) < 0 || key_check_pair(*key, *cert, pem, der) < 0) {
		EVP_PKEY_free(*key);
		*key = NULL;
		return -1;
	}
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * signfile: the command line of the kernel's scripts/sign-file.
 *
 *   modsign [-dpk] HASH KEY X509 MODULE [DEST]
 *   modsign -s RAWSIG HASH X509 MODULE [DEST]
 *
 * For RSA keys the output is byte-identical to sign-file's.  Unlike
 * sign-file, every write is atomic and keeps the module's mode, the key is
 * checked against the certificate, and a raw signature is checked against
 * the certificate and the module before it is appended.
 */
#include <getopt.h>
#include <malloc.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>

#include "cmssign.h"
#include "commands.h"
#include "fileio.h"
#include "hashalg.h"
#include "key.h"
#include "module.h"
#include "p11uri.h"
#include "trailer.h"
#include "util.h"
#include "verify.h"

static int usage_error(void)
{
	fprintf(stderr,
		"Usage: %s [-dpk] HASH KEY X509 MODULE [DEST]\n"
		"       %s -s RAWSIG HASH X509 MODULE [DEST]\n",
		util_prog, util_prog);
	return EXIT_USAGE;
}

/* Check a raw signature against the certificate and the module body. */
static int check_raw_sig(const char *sig_path, const char *x509_path,
			 const struct module *m, const unsigned char *der, size_t der_len)
{
	_cleanup_x509_stack_ STACK_OF(X509) *trusted = sk_X509_new_null();
	struct verify_opts opts = { .trusted = trusted };
	struct verify_result res;

	if (!trusted || key_load_certs(x509_path, trusted) < 0)
		return -1;
	if (verify_cms(&opts, m->file.data, m->file.len, der, der_len, sig_path, &res) < 0)
		return -1;
	if (res.verdict != VERIFY_OK) {
		util_err("%s: refusing to attach to %s: %s", sig_path, m->path, res.reason);
		return -1;
	}
	return 0;
}

/*
 * The signed module's first part is the module itself: it is written and
 * fsynced in a second thread while the signature is computed, so that the
 * fsync of the finished file has only the signature left to write.  (Kbuild
 * signs one module per process; this keeps most of the fsync, which
 * sign-file does not do, off the critical path.)  The directory is not
 * fsynced after the rename (fileio_tmp_rename()): Kbuild and DKMS copy the
 * module there without any sync, so it would not make their install durable,
 * and it cost about 0.4 ms of a call.  The module is never half-written:
 * its data is on disk before the rename.
 */
struct prewrite {
	struct fileio_tmp t;
	const char *dest;
	const struct module *m;
	bool in_place;
	int ret;
};

/*
 * The temporary file that replaces DEST: with the module's mode, and when
 * DEST is the module itself, its owner, renamed only if the module is still
 * the file that was read.
 */
static int tmp_open(struct fileio_tmp *t, const char *dest, const struct module *m, bool in_place)
{
	if (fileio_tmp_open(t, dest, m->file.st.st_mode, in_place ? &m->file.st : NULL) < 0)
		return -1;
	if (in_place)
		fileio_tmp_expect(t, &m->file.st, "signed");
	return 0;
}

static void *prewrite_run(void *arg)
{
	struct prewrite *p = arg;
	struct iovec v = { p->m->file.data, p->m->file.len };

	p->ret = -1;
	if (tmp_open(&p->t, p->dest, p->m, p->in_place) < 0 || fileio_tmp_write(&p->t, &v, 1) < 0 ||
	    fileio_tmp_sync(&p->t) < 0)
		return NULL;
	p->ret = 0;
	return NULL;
}

/* Sign with a key, write DEST (and MODULE.p7s with -p or -d). */
static int sign_with_key(const struct module *m, const struct hashalg *hash, const char *key_path,
			 const char *x509_path, const char *dest, bool use_keyid, bool save_sig,
			 bool sign_only)
{
	_cleanup_free_ unsigned char *der = NULL;
	_cleanup_free_ char *p7s = NULL;
	_cleanup_pkey_ EVP_PKEY *key = NULL;
	_cleanup_x509_ X509 *cert = NULL;
	struct prewrite pw = { .dest = dest, .m = m, .in_place = strcmp(dest, m->path) == 0 };
	pthread_t thread;
	bool threaded = false;
	size_t der_len = 0;
	uint8_t tail[TRAILER_LEN];
	bool signed_ok;

	/* Bad input leaves even the directory untouched: nothing is created
	 * before the key and the certificate are known to be good. */
	if (key_load_private(key_path, &key) < 0 || key_load_cert(x509_path, &cert) < 0 ||
	    key_check_pair(key, cert, key_path, x509_path) < 0)
		return EXIT_ERR;
	if (!sign_only) {
#ifdef M_ARENA_MAX
		/* Its one small allocation (the temporary file's name) need
		 * not make glibc map a second arena: about 0.2 ms. */
		mallopt(M_ARENA_MAX, 1);
#endif
		threaded = pthread_create(&thread, NULL, prewrite_run, &pw) == 0;
		if (!threaded && (prewrite_run(&pw), pw.ret < 0))
			return EXIT_ERR;
	}
	signed_ok = cmssign_sign(key, cert, hashalg_md(hash), use_keyid, m->file.data, m->file.len,
				 m->path, &der, &der_len) == 0;
	if (threaded)
		pthread_join(thread, NULL);
	if (!signed_ok || pw.ret < 0 || der_len > UINT32_MAX) {
		if (!sign_only && pw.ret == 0)
			fileio_tmp_discard(&pw.t);
		if (der_len > UINT32_MAX)
			util_err("%s: signature too large", m->path);
		return EXIT_ERR;
	}
	if (save_sig) {
		struct iovec v = { der, der_len };

		if (asprintf(&p7s, "%s.p7s", m->path) < 0) {
			util_err("%s: out of memory", m->path);
			p7s = NULL;
		}
		if (!p7s || fileio_replace(p7s, &v, 1, fileio_default_mode(), NULL) < 0) {
			if (!sign_only)
				fileio_tmp_discard(&pw.t);
			return EXIT_ERR;
		}
	}
	if (sign_only)
		return EXIT_OK;
	trailer_build(tail, (uint32_t)der_len);
	struct iovec iov[2] = { { der, der_len }, { tail, sizeof(tail) } };

	if (fileio_tmp_write(&pw.t, iov, 2) < 0 || fileio_tmp_rename(&pw.t) < 0)
		return EXIT_ERR;
	return EXIT_OK;
}

int signfile_main(int argc, char **argv)
{
	bool save_sig = false, sign_only = false, raw_sig = false, use_keyid = false;
	_cleanup_(module_freep) struct module m = { 0 };
	_cleanup_(fileio_buf_freep) struct fileio_buf raw = { 0 };
	const char *hash_name, *key_path = NULL, *sig_path = NULL;
	const char *x509_path, *module_path, *dest;
	uint8_t tail[TRAILER_LEN];
	int opt;

	opterr = 0;
	while ((opt = getopt(argc, argv, "sdpk")) != -1) {
		switch (opt) {
		case 's': raw_sig = true; break;
		case 'p': save_sig = true; break;
		case 'd': sign_only = save_sig = true; break;
		case 'k': use_keyid = true; break;
		default:
			util_err("unknown option '-%c'", optopt);
			return usage_error();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 4 || argc > 5)
		return usage_error();
	if (raw_sig && save_sig) {
		util_err("-s cannot be combined with -p or -d");
		return usage_error();
	}
	if (raw_sig)
		sig_path = argv[0];
	else
		key_path = argv[1];
	hash_name = raw_sig ? argv[1] : argv[0];
	x509_path = argv[2];
	module_path = argv[3];
	dest = argc == 5 ? argv[4] : module_path;

	/*
	 * One module per process (Kbuild's way): the exit need not free
	 * OpenSSL's tables one by one, about 0.4 ms of such a call.  Asked for
	 * before OpenSSL is first used; a PKCS#11 token keeps the usual
	 * cleanup, which finalizes its module.
	 */
	if (!(key_path && p11uri_is(key_path)) && !p11uri_is(x509_path))
		OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, NULL);
	/*
	 * The random bytes of a signature (RSA blinding, the ECDSA nonce) come
	 * from HASH-DRBG with SHA-512 instead of OpenSSL's default CTR-DRBG
	 * with AES-256: both are SP 800-90A generators of 256-bit strength,
	 * but CTR-DRBG's first use builds OpenSSL's table of every cipher,
	 * about 1.2 ms of such a call, where HASH-DRBG uses the digests the
	 * signature needs anyway.  Set before OpenSSL reads openssl.cnf, so a
	 * random section there (random = ...) still decides.  Best effort: if
	 * OpenSSL refuses, its default stays.
	 */
	if (!RAND_set_DRBG_type(NULL, "HASH-DRBG", NULL, NULL, "SHA512"))
		ERR_clear_error();

	const struct hashalg *hash = hashalg_by_name(hash_name);
	if (!raw_sig && !hash) {
		util_err("%s: unknown hash algorithm (expected one of: %s)", hash_name, hashalg_list());
		return EXIT_ERR;
	}

	if (!raw_sig && strncmp(hash->name, "sha3-", 5) == 0)
		util_warn("%s: kernels before 6.7 refuse module signatures made with %s", module_path, hash->name);
	if (module_load(module_path, &m, MODULE_RAW) < 0)
		return EXIT_ERR;
	if (m.sig != TRAILER_NONE)
		util_warn("%s: already signed; appending another signature as sign-file does "
			  "('modsign sign' replaces it instead)", module_path);

	if (!raw_sig)
		return sign_with_key(&m, hash, key_path, x509_path, dest, use_keyid, save_sig, sign_only);
	if (fileio_read(sig_path, &raw) < 0)
		return EXIT_ERR;
	if (raw.len == 0) {
		util_err("%s: empty signature file", sig_path);
		return EXIT_ERR;
	}
	if (check_raw_sig(sig_path, x509_path, &m, raw.data, raw.len) < 0)
		return EXIT_ERR;

	if (raw.len > UINT32_MAX) {
		util_err("%s: signature too large", sig_path);
		return EXIT_ERR;
	}
	trailer_build(tail, (uint32_t)raw.len);
	struct iovec iov[3] = {
		{ m.file.data, m.file.len },
		{ raw.data, raw.len },
		{ tail, sizeof(tail) },
	};
	struct fileio_tmp t;

	if (tmp_open(&t, dest, &m, strcmp(dest, module_path) == 0) < 0 || fileio_tmp_write(&t, iov, 3) < 0 ||
	    fileio_tmp_rename(&t) < 0)
		return EXIT_ERR;
	return EXIT_OK;
}

/* SPDX-License-Identifier: MIT */
/*
 * attach: append a signature made elsewhere (a signing service, an HSM, a
 * build farm's signing host) to a module, after checking it.
 *
 *   modsign attach [--cert FILE]... [--keyring DIR]... SIG MODULE
 *   modsign attach --raw [--hash H] [--keyid] --cert FILE [...] SIG MODULE
 *
 * SIG is the detached CMS signature (DER or PEM) of the bytes `modsign
 * digest` names (digest.h), as `modsign -d` or `openssl cms -sign` make it;
 * with --raw, the bare signature value over their digest (as `openssl
 * pkeyutl -sign` makes it), which is wrapped in the CMS message sign-file
 * would have made (cmsbuild.h).  Before anything is written the signature is
 * judged by the kernel's rules (verify.h) against the module and the given
 * certificates, or without any, against the certificate SIG carries: a
 * signature made for another module or by another key is refused and the
 * module stays untouched.  Old signatures are replaced, as `modsign sign`
 * replaces them; a compressed module gets the signature inside and is
 * compressed again.  The file is replaced atomically, keeping its mode and
 * owner, unless it changed after it was read; through a symbolic link, the
 * link's target is rewritten.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "cmsbuild.h"
#include "cmsparse.h"
#include "commands.h"
#include "compress.h"
#include "digest.h"
#include "fileio.h"
#include "hashalg.h"
#include "trailer.h"
#include "util.h"
#include "verify.h"

static const char attach_usage[] =
	"Usage: modsign attach [--cert FILE]... [--keyring DIR]... SIG MODULE\n"
	"       modsign attach --raw [--hash H] [--keyid] --cert FILE [--keyring DIR]... SIG MODULE\n";

static void attach_help(void)
{
	fputs(attach_usage, stdout);
	fputs("\n"
	      "Append the signature SIG, made elsewhere over what `modsign digest MODULE`\n"
	      "names, to MODULE, after checking it by the kernel's rules against MODULE and\n"
	      "the given certificates.  A signature made for another module, by another key\n"
	      "or in a form the kernel refuses is not attached, and MODULE stays untouched.\n"
	      "Existing signatures are replaced; a compressed module is signed inside.\n"
	      "\n"
	      "  SIG                 a detached CMS/PKCS#7 signature, DER or PEM (MODULE.p7s\n"
	      "                      from `modsign -d`, or `openssl cms -sign -binary -noattr`)\n"
	      "  -c, --cert FILE     check against the certificates in FILE (PEM or DER)\n"
	      "  -K, --keyring DIR   check against the certificates in every file of DIR\n"
	      "                      (without either: against the certificate inside SIG,\n"
	      "                      which proves SIG is for MODULE, not that its signer is\n"
	      "                      trusted; a warning says so)\n"
	      "      --raw           SIG is a bare signature value over the digest (as\n"
	      "                      `openssl pkeyutl -sign -pkeyopt digest:H` makes it);\n"
	      "                      the signer is the first certificate of the first --cert\n"
	      "  -H, --hash H        with --raw: the digest algorithm (default sha512)\n"
	      "  -k, --keyid         with --raw: name the signer by subjectKeyIdentifier\n"
	      "  -h, --help          show this help\n"
	      "\n"
	      "On success it prints: MODULE: attached (signed by \"SIGNER\", HASH)\n"
	      "\n"
	      "Exit status: 0 attached; 1 error (MODULE or SIG unreadable, not a module,\n"
	      "write failed); 2 usage; 3 rejected: SIG does not verify for MODULE (the\n"
	      "reason on stderr); 4 could not check: no usable certificate.\n",
	      stdout);
}

enum { OPT_RAW = 0x100 };

static const struct option attach_options[] = {
	{ "cert", required_argument, NULL, 'c' },
	{ "keyring", required_argument, NULL, 'K' },
	{ "raw", no_argument, NULL, OPT_RAW },
	{ "hash", required_argument, NULL, 'H' },
	{ "keyid", no_argument, NULL, 'k' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* The PEM labels a CMS or PKCS#7 signature is found under. */
static const char *const pem_labels[] = { "PKCS7", "CMS", "PKCS #7 SIGNED DATA" };

/*
 * The DER of a CMS signature file: the bytes themselves, or decoded from
 * PEM.  Returns 0 (*der malloc'ed), or -1 (error printed).
 */
static int attach_read_cms(const char *path, const struct fileio_buf *f, unsigned char **der, size_t *der_len)
{
	static const char begin[] = "-----BEGIN ";
	_cleanup_bio_ BIO *b = NULL;
	char *name = NULL, *header = NULL;
	unsigned char *data = NULL;
	long len = 0;
	int ok = 0;

	if (f->len < sizeof(begin) - 1 || memcmp(f->data, begin, sizeof(begin) - 1) != 0) {
		if (!(*der = malloc(f->len ? f->len : 1))) {
			util_err("%s: out of memory", path);
			return -1;
		}
		memcpy(*der, f->data, f->len);
		*der_len = f->len;
		return 0;
	}
	if (f->len > INT32_MAX || !(b = BIO_new_mem_buf(f->data, (int)f->len)) ||
	    !PEM_read_bio(b, &name, &header, &data, &len)) {
		util_ossl_err("%s: cannot read PEM", path);
		return -1;
	}
	for (size_t i = 0; i < sizeof(pem_labels) / sizeof(pem_labels[0]); i++)
		ok |= strcmp(name, pem_labels[i]) == 0;
	if (!ok)
		util_err("%s: PEM \"%s\" is not a CMS signature (expected PKCS7 or CMS)", path, name);
	else if (!(*der = malloc(len ? (size_t)len : 1)))
		util_err("%s: out of memory", path);
	else {
		memcpy(*der, data, (size_t)len);
		*der_len = (size_t)len;
	}
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_free(data);
	return ok && *der ? 0 : -1;
}

/* The certificates a signature carries, as the kernel's parser reads them. */
static int attach_embedded_certs(const unsigned char *der, size_t len, const char *what, STACK_OF(X509) *sk)
{
	struct cms_msg m;
	struct cms_error e;
	int rc = cmsparse(der, len, what, &m, &e);

	if (rc != 0)
		return rc < 0 ? -1 : 0;
	for (size_t i = 0; i < m.ncerts && rc == 0; i++) {
		if (!X509_up_ref(m.certs[i].x) || !sk_X509_push(sk, m.certs[i].x)) {
			X509_free(m.certs[i].x);
			util_err("%s: out of memory", what);
			rc = -1;
		}
	}
	cmsparse_free(&m);
	return rc;
}

/* A name from a certificate, on one line: control characters escaped. */
static void put_name(const char *s)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch < 0x20 || ch == 0x7f)
			printf("\\x%02x", ch);
		else
			putchar(ch);
	}
}

/* Where to write: the file itself, or the target of a symbolic link. */
static char *attach_dest(const char *path)
{
	struct stat st;

	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
		return realpath(path, NULL);
	return strdup(path);
}

struct attach_opts {
	STACK_OF(X509) *trusted;
	X509 *namer;          /* --raw: the certificate naming the signer */
	bool have_trust;      /* --cert or --keyring given */
	bool raw, keyid;
	const struct hashalg *hash;
};

static int attach(const struct attach_opts *o, const char *sig_path, const char *path)
{
	_cleanup_(fileio_buf_freep) struct fileio_buf sigf = { 0 };
	_cleanup_(module_freep) struct module m = { 0 };
	_cleanup_free_ unsigned char *der = NULL, *joined = NULL, *packed = NULL;
	_cleanup_free_ char *dest = NULL;
	_cleanup_x509_stack_ STACK_OF(X509) *carried = NULL;
	struct verify_opts vo = { .trusted = o->trusted };
	struct verify_result r;
	size_t der_len = 0, body = 0, packed_len = 0;
	unsigned nsigs = 0;
	uint8_t tail[TRAILER_LEN];

	if (fileio_read(sig_path, &sigf) < 0 || digest_load(path, &m, &body, &nsigs) < 0)
		return EXIT_ERR;
	if (sigf.len == 0) {
		util_err("%s: empty signature file, not attaching it to %s", sig_path, path);
		return EXIT_REJECTED;
	}
	if (o->raw) {
		if (cmsbuild_wrap(o->namer, o->hash, o->keyid, sigf.data, sigf.len, sig_path, &der, &der_len) < 0)
			return EXIT_ERR;
	} else if (attach_read_cms(sig_path, &sigf, &der, &der_len) < 0) {
		return EXIT_REJECTED;
	}

	if (verify_cms(&vo, m.file.data, body, der, der_len, sig_path, &r) < 0)
		return EXIT_ERR;
	if (!o->have_trust && r.verdict == VERIFY_NOKEY) {
		/* No certificate given: judge by the one SIG carries, if any. */
		if (!(carried = sk_X509_new_null())) {
			util_err("%s: out of memory", sig_path);
			return EXIT_ERR;
		}
		if (attach_embedded_certs(der, der_len, sig_path, carried) < 0)
			return EXIT_ERR;
		if (sk_X509_num(carried) == 0) {
			util_err("%s: cannot check it: it carries no certificate; give --cert FILE or "
				 "--keyring DIR (not attached to %s)", sig_path, path);
			return EXIT_UNCHECKED;
		}
		vo.trusted = carried;
		if (verify_cms(&vo, m.file.data, body, der, der_len, sig_path, &r) < 0)
			return EXIT_ERR;
		if (r.verdict == VERIFY_OK)
			util_warn("%s: checked against the certificate it carries only (\"%s\"); "
				  "give --cert or --keyring to check that its signer is trusted",
				  sig_path, r.signer_name);
	}
	if (r.verdict != VERIFY_OK) {
		util_err("%s: refusing to attach it to %s: %s", sig_path, path, r.reason);
		return EXIT_REJECTED;
	}

	if (nsigs == 1 && m.sig == TRAILER_OK && m.tr.sig_len == der_len &&
	    memcmp(m.file.data + m.tr.body_len, der, der_len) == 0) {
		printf("%s: attached (signed by \"", path);
		put_name(r.signer_name);
		printf("\", %s; it was already there, file unchanged)\n", r.hash);
		return EXIT_OK;
	}
	if (der_len > UINT32_MAX) {
		util_err("%s: signature too large", sig_path);
		return EXIT_REJECTED;
	}
	trailer_build(tail, (uint32_t)der_len);

	struct iovec iov[3] = { { m.file.data, body }, { der, der_len }, { tail, sizeof(tail) } };
	int iovcnt = 3;

	if (m.format != COMPRESS_NONE) {
		size_t total = body + der_len + sizeof(tail);

		if (!(joined = malloc(total))) {
			util_err("%s: out of memory", path);
			return EXIT_ERR;
		}
		memcpy(joined, m.file.data, body);
		memcpy(joined + body, der, der_len);
		memcpy(joined + body + der_len, tail, sizeof(tail));
		if (compress_compress(m.format, joined, total, &packed, &packed_len, path) < 0)
			return EXIT_ERR;
		iov[0] = (struct iovec){ packed, packed_len };
		iovcnt = 1;
	}
	if (!(dest = attach_dest(path))) {
		util_err("%s: cannot resolve: %s", path, strerror(errno));
		return EXIT_ERR;
	}
	/* as modsign sign: not over a module someone else changed meanwhile */
	if (fileio_replace_if_unchanged(dest, iov, iovcnt, m.file.st.st_mode, &m.file.st, &m.file.st,
					"signed") < 0)
		return EXIT_ERR;
	printf("%s: attached (signed by \"", path);
	put_name(r.signer_name);
	printf("\", %s", r.hash);
	if (nsigs)
		printf("; replaced %u signature%s", nsigs, nsigs == 1 ? "" : "s");
	fputs(")\n", stdout);
	return EXIT_OK;
}

int cmd_attach(int argc, char **argv)
{
	_cleanup_x509_stack_ STACK_OF(X509) *trusted = sk_X509_new_null();
	struct attach_opts o = { .trusted = trusted };
	const char *hash_name = NULL;
	int opt, namer_at = -1, rc = 0;

	if (!trusted) {
		util_err("attach: out of memory");
		return EXIT_ERR;
	}
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":c:K:H:kh", attach_options, NULL)) != -1) {
		switch (opt) {
		case 'c': {
			int before = sk_X509_num(trusted);

			o.have_trust = true;
			if (rc == 0 && verify_load_certs(optarg, trusted) < 0)
				rc = -1;
			/* the first --cert names a --raw signer; -2: it held none usable */
			if (namer_at == -1)
				namer_at = sk_X509_num(trusted) > before ? before : -2;
			break;
		}
		case 'K':
			o.have_trust = true;
			if (rc == 0 && verify_load_keyring(optarg, trusted) < 0)
				rc = -1;
			break;
		case OPT_RAW: o.raw = true; break;
		case 'H': hash_name = optarg; break;
		case 'k': o.keyid = true; break;
		case 'h': attach_help(); return EXIT_OK;
		default: return util_getopt_error("attach", opt, argv);
		}
	}
	if (argc - optind != 2)
		return util_usage_error("attach", "expected SIG MODULE");
	if (!o.raw && (hash_name || o.keyid))
		return util_usage_error("attach", "--hash and --keyid describe a --raw signature; "
					"a CMS signature names its own");
	if (o.raw && namer_at == -1)
		return util_usage_error("attach", "--raw needs --cert FILE: the certificate that names the signer");
	if (o.raw && !(o.hash = hashalg_by_name(hash_name ? hash_name : "sha512")))
		return util_usage_error("attach", "%s: unknown hash algorithm (expected one of: %s)", hash_name,
					hashalg_list());
	if (rc < 0)
		return EXIT_UNCHECKED;
	if (o.raw) {
		if (namer_at < 0) {
			util_err("attach: --cert: no certificate the kernel could use to name the signer");
			return EXIT_UNCHECKED;
		}
		o.namer = sk_X509_value(trusted, namer_at);
	}
	rc = attach(&o, argv[optind], argv[optind + 1]);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		util_err("attach: cannot write output: %s", strerror(errno));
		return EXIT_ERR;
	}
	return rc;
}

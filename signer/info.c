/* SPDX-License-Identifier: MIT */
/*
 * info: show a module's signature as kmod's modinfo does.
 *
 *   modsign info [--json] MODULE...
 *
 * Text: per module, modinfo's "filename:" line, then exactly the sig_id,
 * signer, sig_key, sig_hashalgo and signature lines modinfo (kmod 30) prints
 * for it, byte for byte: `modsign info M` equals `modinfo M` restricted to
 * those lines.  Where modinfo prints no signature for a signed module (a
 * signer named by subjectKeyIdentifier, a digest kmod does not know) stdout
 * shows none either and stderr says what the signature holds.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "compress.h"
#include "module.h"
#include "sigparse.h"
#include "util.h"

static const char info_usage[] = "Usage: modsign info [--json] MODULE...\n";

static void info_help(void)
{
	fputs(info_usage, stdout);
	fputs("\n"
	      "Print each module's signature fields exactly as kmod's modinfo does:\n"
	      "a 'filename:' line (the absolute path), then sig_id, signer, sig_key,\n"
	      "sig_hashalgo and signature.  An unsigned module gets only its filename\n"
	      "line (and a note on stderr).  Where modinfo shows no signature for a\n"
	      "signed module (signer named by subjectKeyIdentifier, i.e. sign-file -k;\n"
	      "a digest kmod does not know) none is printed and stderr says what the\n"
	      "signature holds.  A compressed module (.ko.gz, .ko.xz, .ko.zst) is read\n"
	      "inside, as modinfo reads it.\n"
	      "\n"
	      "  --json   print a JSON array, one object per module: file, signed,\n"
	      "           sig_id, signer, sig_key, sig_hashalgo, signature (hex without\n"
	      "           line breaks), signer_id (\"issuer-serial\", \"skid\" or null),\n"
	      "           modinfo (whether modinfo prints these fields); null where absent\n"
	      "  --help   show this help\n"
	      "\n"
	      "Exit status: 0 every module was read (signed or not); 1 a module could not\n"
	      "be read, is not an ELF object, or carries a malformed signature; 2 usage.\n",
	      stdout);
}

enum info_state {
	INFO_UNSIGNED, /* no signature marker */
	INFO_SHOWN,    /* modinfo prints the fields */
	INFO_HIDDEN,   /* signed and readable, but modinfo prints nothing */
};

/* What is known about one module's signature. */
struct info_rec {
	char *file;                 /* absolute, as modinfo prints it */
	enum info_state state;
	struct sigparse_modinfo mi; /* INFO_SHOWN */
	struct sigparse sp;         /* valid when cms_ok */
	bool cms_ok;
};

static void info_rec_free(struct info_rec *r)
{
	free(r->file);
	sigparse_modinfo_free(&r->mi);
	sigparse_free(&r->sp);
}
static inline void info_rec_freep(struct info_rec *r) { info_rec_free(r); }

/* The path as modinfo prints it: relative paths prefixed with the cwd. */
static char *absolute_path(const char *path)
{
	_cleanup_free_ char *cwd = NULL;
	char *s;

	if (path[0] == '/' || !(cwd = getcwd(NULL, 0)))
		return strdup(path);
	if (asprintf(&s, "%s/%s", cwd, path) < 0)
		return NULL;
	return s;
}

/* Why modinfo shows nothing for a signature the CMS parser reads. */
static const char *hidden_reason(const struct sigparse *sp)
{
	if (sp->signer_id == SIGPARSE_SKID)
		return "its signer is named by subjectKeyIdentifier (sign-file -k), which "
		       "kmod's PKCS#7 reader cannot parse";
	if (!sigparse_modinfo_knows_digest(sp->digest_nid))
		return "kmod does not know its digest algorithm";
	return "kmod's PKCS#7 reader cannot parse it";
}

/* Read one module; -1 (error printed) when info cannot describe it. */
static int info_read(const char *path, struct info_rec *r)
{
	_cleanup_(module_freep) struct module m = { 0 };
	char why[160] = "";

	memset(r, 0, sizeof(*r));
	if (module_load(path, &m, MODULE_DECOMPRESS) < 0)
		return -1;
	r->file = absolute_path(path);
	if (!r->file || sigparse_modinfo(m.file.data, m.file.len, &r->mi) < 0) {
		util_err("%s: out of memory", path);
		return -1;
	}
	if (m.sig == TRAILER_NONE) {
		r->state = INFO_UNSIGNED;
		return 0;
	}
	if (m.tr.bounds_ok)
		r->cms_ok = sigparse_cms(m.file.data + m.tr.body_len, m.tr.sig_len,
					 &r->sp, why, sizeof(why)) == 0;

	if (r->mi.shown) {
		r->state = INFO_SHOWN;
		if (m.sig == TRAILER_BAD)
			util_warn("%s: the kernel would refuse this signature: %s", path, m.tr.why);
		else if (!r->cms_ok)
			util_warn("%s: the kernel would refuse this signature: %s", path, why);
		return 0;
	}
	if (m.sig == TRAILER_BAD) {
		util_err("%s: malformed signature: %s", path, m.tr.why);
		return -1;
	}
	if (!r->cms_ok) {
		util_err("%s: malformed signature: %s", path, why);
		return -1;
	}
	r->state = INFO_HIDDEN;
	return 0;
}

static int print_field(const char *key, const char *value)
{
	char label[32];

	snprintf(label, sizeof(label), "%s:", key);
	return printf("%-16s%s\n", label, value) < 0 ? -1 : 0;
}

static int print_text(const char *path, const struct info_rec *r)
{
	_cleanup_free_ char *key = NULL, *sig = NULL, *skid = NULL;

	print_field("filename", r->file);
	fflush(stdout); /* notes on stderr follow their filename line */
	switch (r->state) {
	case INFO_UNSIGNED:
		fprintf(stderr, "%s: %s: not signed\n", util_prog, path);
		return 0;
	case INFO_HIDDEN:
		skid = util_hex_colon(r->sp.key_id, r->sp.key_id_len);
		if (!skid)
			return -1;
		fprintf(stderr, "%s: %s: signed (PKCS#7, %s, %s %s), but modinfo shows no "
			"signature fields: %s\n", util_prog, path, r->sp.digest_name,
			r->sp.signer_id == SIGPARSE_SKID ? "subjectKeyIdentifier" : "sig_key",
			skid, hidden_reason(&r->sp));
		return 0;
	case INFO_SHOWN:
		break;
	}
	key = sigparse_hex_wrapped(r->mi.key_id, r->mi.key_id_len);
	sig = sigparse_hex_wrapped(r->mi.sig, r->mi.sig_len);
	if (!key || !sig)
		return -1;
	print_field("sig_id", r->mi.sig_id);
	print_field("signer", r->mi.signer);
	print_field("sig_key", key);
	print_field("sig_hashalgo", r->mi.hash_algo);
	print_field("signature", sig);
	return 0;
}

static void json_string(const char *str)
{
	util_json_string(stdout, str);
}

static void json_member(const char *key, const char *value, bool last)
{
	printf("\"%s\": ", key);
	json_string(value);
	fputs(last ? "" : ", ", stdout);
}

static int print_json(const struct info_rec *r, bool first)
{
	_cleanup_free_ char *key = NULL, *sig = NULL;
	const char *sig_id = NULL, *signer = NULL, *hash = NULL, *signer_id = NULL;

	if (r->state == INFO_SHOWN) {
		key = util_hex_colon(r->mi.key_id, r->mi.key_id_len);
		sig = util_hex_colon(r->mi.sig, r->mi.sig_len);
		sig_id = r->mi.sig_id;
		signer = r->mi.signer;
		hash = r->mi.hash_algo;
	} else if (r->state == INFO_HIDDEN) {
		key = util_hex_colon(r->sp.key_id, r->sp.key_id_len);
		sig = util_hex_colon(r->sp.sig, r->sp.sig_len);
		sig_id = "PKCS#7";
		signer = r->sp.issuer_cn;
		hash = r->sp.digest_name;
	}
	if (r->state != INFO_UNSIGNED && (!key || !sig))
		return -1;
	if (r->cms_ok)
		signer_id = r->sp.signer_id == SIGPARSE_SKID ? "skid" : "issuer-serial";

	fputs(first ? "[\n  {" : ",\n  {", stdout);
	json_member("file", r->file, false);
	printf("\"signed\": %s, ", r->state == INFO_UNSIGNED ? "false" : "true");
	json_member("sig_id", sig_id, false);
	json_member("signer", signer, false);
	json_member("sig_key", key, false);
	json_member("sig_hashalgo", hash, false);
	json_member("signature", sig, false);
	json_member("signer_id", signer_id, false);
	printf("\"modinfo\": %s}", r->state == INFO_SHOWN ? "true" : "false");
	return 0;
}

int cmd_info(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool json = false, first = true;
	int opt, ret = EXIT_OK;

	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = true;
			break;
		case 'h':
			info_help();
			return EXIT_OK;
		default:
			if (optopt)
				util_err("info: unknown option '-%c'", optopt);
			else
				util_err("info: unknown option '%s'", argv[optind - 1]);
			fputs(info_usage, stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		util_err("info: no module given");
		fputs(info_usage, stderr);
		return EXIT_USAGE;
	}

	for (int i = optind; i < argc; i++) {
		_cleanup_(info_rec_freep) struct info_rec r;
		int err;

		if (info_read(argv[i], &r) < 0) {
			ret = EXIT_ERR;
			continue;
		}
		err = json ? print_json(&r, first) : print_text(argv[i], &r);
		if (err < 0) {
			util_err("%s: out of memory", argv[i]);
			ret = EXIT_ERR;
			continue;
		}
		first = false;
	}
	if (json)
		fputs(first ? "[]\n" : "\n]\n", stdout);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		util_err("info: cannot write output: %s", strerror(errno));
		return EXIT_ERR;
	}
	return ret;
}

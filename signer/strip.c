/* SPDX-License-Identifier: MIT */
/*
 * strip: remove the appended signature(s) of modules.
 *
 *   modsign strip MODULE...
 *
 * The result is the module exactly as it was before signing: every stacked
 * signature (sign-file run twice appends a second one) is removed.  The
 * file is replaced atomically and keeps its mode and owner; a symbolic link
 * is followed and its target rewritten.  An unsigned module is left alone,
 * not even rewritten.  A trailer whose bounds cannot be trusted is an error
 * and the file stays untouched, and so is a module that another writer
 * changed while it was being stripped.  A compressed module (.ko.gz/.xz/.zst) is
 * stripped inside and compressed again as Kbuild compresses (compress.h).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "compress.h"
#include "fileio.h"
#include "module.h"
#include "trailer.h"
#include "util.h"

static const char strip_usage[] = "Usage: modsign strip MODULE...\n";

static void strip_help(void)
{
	fputs(strip_usage, stdout);
	fputs("\n"
	      "Remove the appended signature from each module, so that its bytes are\n"
	      "those of the unsigned module; a module signed several times is stripped\n"
	      "of every signature.  The file is replaced atomically (temporary file in\n"
	      "the same directory, then rename) and keeps its mode and owner; through a\n"
	      "symbolic link, the link's target is rewritten.  Prints one line per\n"
	      "stripped module on stdout: \"MODULE: stripped N signature(s)\".  An\n"
	      "unsigned module is left untouched (a note on stderr), and so is a\n"
	      "module changed by another writer while it was being stripped (an\n"
	      "error: \"MODULE: changed while being stripped\").  A compressed\n"
	      "module (.ko.gz, .ko.xz, .ko.zst) is stripped inside and compressed again\n"
	      "the way Kbuild compresses modules.\n"
	      "\n"
	      "Exit status: 0 every module is now unsigned; 1 a module could not be read\n"
	      "or written, is not an ELF object, or has a signature trailer whose extent\n"
	      "cannot be trusted (the file is left untouched); 2 usage.\n",
	      stdout);
}

/*
 * Check every stacked signature: its extent must be unambiguous.  The
 * kernel's layout (trailer.h) is trusted when sig_len lies inside the file
 * and no pre-PKCS#7 signer name or key id claims bytes before the blob.
 * Warns about signatures the kernel would refuse but that can be removed.
 */
static int strip_check(const struct module *m)
{
	size_t len = m->file.len;
	struct trailer t;

	for (;;) {
		enum trailer_status st = trailer_parse(m->file.data, len, &t);

		if (st == TRAILER_NONE)
			return 0;
		if (!t.bounds_ok) {
			util_err("%s: malformed signature trailer (%s), not stripping", m->path, t.why);
			return -1;
		}
		if (t.signer_len || t.key_id_len) {
			util_err("%s: malformed signature trailer (signer name or key id lengths set, "
				 "the signature's extent is ambiguous), not stripping", m->path);
			return -1;
		}
		if (st == TRAILER_BAD)
			util_warn("%s: removing a signature the kernel would refuse: %s", m->path, t.why);
		len = t.body_len;
	}
}

/* Where to write: the file itself, or the target of a symbolic link. */
static char *strip_dest(const char *path)
{
	struct stat st;

	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
		return realpath(path, NULL);
	return strdup(path);
}

static const uint8_t elf_magic[4] = { 0x7f, 'E', 'L', 'F' };

static int strip_one(const char *path)
{
	_cleanup_(module_freep) struct module m = { 0 };
	_cleanup_free_ char *dest = NULL;
	_cleanup_free_ unsigned char *packed = NULL;
	struct iovec iov;
	unsigned nsigs = 0;
	size_t len, packed_len = 0;

	if (module_load(path, &m, MODULE_DECOMPRESS) < 0)
		return -1;
	if (m.sig == TRAILER_NONE) {
		fprintf(stderr, "%s: %s: not signed, nothing to strip\n", util_prog, path);
		return 0;
	}
	if (strip_check(&m) < 0)
		return -1;
	len = module_unsigned_len(&m, &nsigs);
	if (len < sizeof(elf_magic) || nsigs == 0 ||
	    memcmp(m.file.data, elf_magic, sizeof(elf_magic)) != 0) {
		util_err("%s: malformed signature trailer (nothing of the module would remain), "
			 "not stripping", path);
		return -1;
	}
	dest = strip_dest(path);
	if (!dest) {
		util_err("%s: cannot resolve: %s", path, strerror(errno));
		return -1;
	}
	iov.iov_base = m.file.data;
	iov.iov_len = len;
	if (m.format != COMPRESS_NONE) {
		if (compress_compress(m.format, m.file.data, len, &packed, &packed_len, path) < 0)
			return -1;
		iov.iov_base = packed;
		iov.iov_len = packed_len;
	}
	if (fileio_replace_if_unchanged(dest, &iov, 1, m.file.st.st_mode, &m.file.st, &m.file.st,
					"stripped") < 0)
		return -1;
	printf("%s: stripped %u signature%s\n", path, nsigs, nsigs == 1 ? "" : "s");
	fflush(stdout);
	if (nsigs > 1)
		fprintf(stderr, "%s: %s: note: it was signed %u times (each signing appends a "
			"signature); all of them were removed\n", util_prog, path, nsigs);
	return 0;
}

int cmd_strip(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt, ret = EXIT_OK;

	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'h':
			strip_help();
			return EXIT_OK;
		default:
			if (optopt)
				util_err("strip: unknown option '-%c'", optopt);
			else
				util_err("strip: unknown option '%s'", argv[optind - 1]);
			fputs(strip_usage, stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		util_err("strip: no module given");
		fputs(strip_usage, stderr);
		return EXIT_USAGE;
	}
	for (int i = optind; i < argc; i++) {
		if (strip_one(argv[i]) < 0)
			ret = EXIT_ERR;
		fflush(stdout);
	}
	if (ferror(stdout)) {
		util_err("strip: cannot write output");
		return EXIT_ERR;
	}
	return ret;
}

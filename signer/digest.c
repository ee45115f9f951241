/* SPDX-License-Identifier: MIT */
/*
 * digest: what a signing service must sign, for each module.
 *
 *   modsign digest [--hash H] [--json] MODULE...
 *   modsign digest [--hash H] -o FILE MODULE
 *
 * Prints "HEXDIGEST  MODULE" (sha512sum's layout) per module: the digest of
 * the bytes a module signature covers (digest.h), for a service that signs
 * a digest.  -o writes those bytes themselves, for a service that signs a
 * file ("-": standard output, and then nothing else is printed).
 */
#include "digest.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>

#include "commands.h"
#include "compress.h"
#include "fileio.h"
#include "hashalg.h"
#include "util.h"

#define DIGEST_DEFAULT_HASH "sha512"

static const uint8_t elf_magic[4] = { 0x7f, 'E', 'L', 'F' };

int digest_load(const char *path, struct module *m, size_t *body, unsigned *nsigs)
{
	if (module_load(path, m, MODULE_DECOMPRESS) < 0)
		return -1;
	*body = module_unsigned_len(m, nsigs);
	/* 0: a trailer whose extent cannot be trusted (module_unsigned_len) */
	if (*body < sizeof(elf_magic) || memcmp(m->file.data, elf_magic, sizeof(elf_magic)) != 0) {
		util_err("%s: malformed signature trailer: cannot tell which bytes are signed", path);
		module_free(m);
		return -1;
	}
	return 0;
}

static const char digest_usage[] =
	"Usage: modsign digest [--hash H] [--json] MODULE...\n"
	"       modsign digest [--hash H] -o FILE MODULE\n";

static void digest_help(void)
{
	fputs(digest_usage, stdout);
	fputs("\n"
	      "Print what a signing service must sign for each MODULE: the digest of the\n"
	      "module without its appended signatures (a compressed module: of the module\n"
	      "inside), the bytes `modsign sign` signs and `modsign attach` checks a\n"
	      "returned signature against.  One line per module, as sha512sum prints:\n"
	      "  HEXDIGEST  MODULE\n"
	      "\n"
	      "  -H, --hash H       digest algorithm (default sha512): sha1, sha224, sha256,\n"
	      "                     sha384, sha512, sha3-256, sha3-384, sha3-512\n"
	      "  -o, --output FILE  write the bytes to be signed to FILE (atomically; \"-\":\n"
	      "                     standard output, and nothing else is printed); one MODULE\n"
	      "      --json         print a JSON array of {file, hash, digest, length,\n"
	      "                     compression, signatures}\n"
	      "  -h, --help         show this help\n"
	      "\n"
	      "Exit status: 0 every module was read; 1 a module could not be read, is not a\n"
	      "kernel module, or has a signature trailer whose extent cannot be trusted;\n"
	      "2 usage.\n",
	      stdout);
}

enum { OPT_JSON = 0x100 };

static const struct option digest_options[] = {
	{ "hash", required_argument, NULL, 'H' },
	{ "output", required_argument, NULL, 'o' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct digest_out {
	const struct hashalg *hash;
	const char *output; /* -o FILE, or NULL */
	bool json, first;
};

/* Write the signed bytes to -o FILE (or standard output for "-"). */
static int digest_write(const struct digest_out *o, const struct module *m, size_t body)
{
	struct iovec v = { m->file.data, body };
	struct stat a, b;

	if (strcmp(o->output, "-") == 0) {
		if (fwrite(m->file.data, 1, body, stdout) != body || fflush(stdout) != 0) {
			util_err("digest: cannot write to standard output: %s", strerror(errno));
			return -1;
		}
		return 0;
	}
	if (stat(o->output, &a) == 0 && stat(m->path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
		util_err("%s: -o names the module itself; give another file", o->output);
		return -1;
	}
	return fileio_replace(o->output, &v, 1, fileio_default_mode(), NULL);
}

static int digest_one(struct digest_out *o, const char *path)
{
	_cleanup_(module_freep) struct module m = { 0 };
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	unsigned nsigs = 0;
	size_t body = 0;

	if (digest_load(path, &m, &body, &nsigs) < 0)
		return -1;
	if (o->output && digest_write(o, &m, body) < 0)
		return -1;
	if (o->output && strcmp(o->output, "-") == 0)
		return 0;
	if (!EVP_Digest(m.file.data, body, md, &md_len, hashalg_md(o->hash), NULL)) {
		util_ossl_err("%s: %s digest", path, o->hash->name);
		return -1;
	}
	char hex[2 * EVP_MAX_MD_SIZE + 1];

	for (unsigned i = 0; i < md_len; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	hex[2 * md_len] = '\0';
	if (!o->json) {
		printf("%s  %s\n", hex, path);
		return 0;
	}
	fputs(o->first ? "[\n  {\"file\": " : ",\n  {\"file\": ", stdout);
	util_json_string(stdout, path);
	printf(", \"hash\": \"%s\", \"digest\": \"%s\", \"length\": %zu, \"compression\": \"%s\", "
	       "\"signatures\": %u}",
	       o->hash->name, hex, body, compress_name(m.format), nsigs);
	o->first = false;
	return 0;
}

int cmd_digest(int argc, char **argv)
{
	struct digest_out o = { .first = true };
	const char *hash_name = DIGEST_DEFAULT_HASH;
	int opt, ret = EXIT_OK;

	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":H:o:h", digest_options, NULL)) != -1) {
		switch (opt) {
		case 'H': hash_name = optarg; break;
		case 'o': o.output = optarg; break;
		case OPT_JSON: o.json = true; break;
		case 'h': digest_help(); return EXIT_OK;
		default: return util_getopt_error("digest", opt, argv);
		}
	}
	if (optind >= argc)
		return util_usage_error("digest", "no MODULE given");
	if (o.output && argc - optind > 1)
		return util_usage_error("digest", "-o FILE takes exactly one MODULE");
	if (o.output && o.json && strcmp(o.output, "-") == 0)
		return util_usage_error("digest", "--json and -o - both write to standard output");
	if (!(o.hash = hashalg_by_name(hash_name)))
		return util_usage_error("digest", "%s: unknown hash algorithm (expected one of: %s)", hash_name,
					hashalg_list());

	for (int i = optind; i < argc; i++) {
		if (digest_one(&o, argv[i]) < 0)
			ret = EXIT_ERR;
		fflush(stdout);
	}
	if (o.json)
		fputs(o.first ? "[]\n" : "\n]\n", stdout);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		util_err("digest: cannot write output: %s", strerror(errno));
		return EXIT_ERR;
	}
	return ret;
}

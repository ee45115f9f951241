/* SPDX-License-Identifier: MIT */
/* main: dispatch to a subcommand, or act as the kernel's sign-file. */
#include <libgen.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "util.h"

#ifndef MODSIGN_VERSION
#define MODSIGN_VERSION "0.1"
#endif

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
};

static const struct command commands[] = {
	{ "sign", cmd_sign,
	  "[--key KEY] [--cert X509] [--hash HASH] [--kernel-dir DIR | --kver KVER] [--sync batch|file] [-d] [-j N] [-q] PATH..." },
	{ "keygen", cmd_keygen, "[--template FILE] [--hash H] [--days N] [--pkcs11 URI] DIR" },
	{ "verify", cmd_verify, "[--cert FILE]... [--keyring DIR]... [--kernel-dir DIR] [--json] [-q] MODULE..." },
	{ "info", cmd_info, "[--json] MODULE..." },
	{ "strip", cmd_strip, "MODULE..." },
	{ "digest", cmd_digest, "[--hash H] [--json] [-o FILE] MODULE..." },
	{ "attach", cmd_attach, "[--cert FILE]... [--keyring DIR]... [--raw [--hash H] [--keyid]] SIG MODULE" },
	{ "status", cmd_status,
	  "[--root DIR] [--kver KVER | --kernel-dir DIR] [--cert FILE] [--modules DIR] [--json]" },
	{ "enroll", cmd_enroll, "[--root DIR] [--cert FILE]" },
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: modsign [-dpk] HASH KEY X509 MODULE [DEST]\n"
		"       modsign -s RAWSIG HASH X509 MODULE [DEST]\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "       modsign %s %s\n", commands[i].name, commands[i].help);
	fprintf(out,
		"       modsign --help | --version\n"
		"\n"
		"Sign-file mode (the command line of the kernel's scripts/sign-file; also\n"
		"used when modsign is called as 'sign-file'):\n"
		"  -p   also write MODULE.p7s        -d   write only MODULE.p7s\n"
		"  -k   name the signer by subjectKeyIdentifier instead of issuer+serial\n"
		"  -s   append the raw CMS signature RAWSIG (checked against X509 first)\n"
		"  KEY is a PEM private key (RSA or EC; passphrase from KBUILD_SIGN_PIN),\n"
		"  X509 a PEM or DER certificate; both may be one PEM file.  Either may be a\n"
		"  pkcs11: URI (PIN from pin-value, pin-source or KBUILD_SIGN_PIN; module\n"
		"  from PKCS11_MODULE_PATH).\n"
		"\n"
		"Commands:\n"
		"  sign     sign every module (*.ko, *.ko.gz, *.ko.xz, *.ko.zst) under PATH with\n"
		"           the managed key (or --key), replacing old signatures, skipping\n"
		"           modules this key already signed\n"
		"  keygen   create DIR/signing_key.pem (key and certificate, mode 0600) and\n"
		"           DIR/signing_key.x509 (DER, for mokutil --import) from an\n"
		"           x509.genkey template; never overwrites an existing key; with\n"
		"           --pkcs11 URI the key pair is made on a PKCS#11 token\n"
		"  verify   say whether the kernel would accept each module's signature\n"
		"  info     print sig_id, signer, sig_key, sig_hashalgo, signature as modinfo does\n"
		"  strip    remove appended signatures\n"
		"  digest   print the digest of what a signature covers (the module without\n"
		"           signatures, decompressed), or write those bytes (-o), for a\n"
		"           signing service\n"
		"  attach   append a signature made elsewhere (CMS, or --raw), after checking\n"
		"           it against the module; exit 3 when it does not verify\n"
		"  status   what decides whether this machine loads a signed module: kernel\n"
		"           config, Secure Boot, lockdown, sig_enforce, the managed key's MOK\n"
		"           enrolment, taint\n"
		"  enroll   request the managed certificate's enrolment as a MOK (mokutil --import)\n"
		"\n"
		"Exit status: 0 ok; 1 error; 2 usage; verify: 3 a module would be rejected,\n"
		"4 a module could not be checked; attach: 3 the signature was rejected,\n"
		"4 it could not be checked.\n");
}

int main(int argc, char **argv)
{
	const char *self = argc > 0 ? basename(argv[0]) : "modsign";

	if (strcmp(self, "sign-file") == 0) {
		util_prog = "sign-file";
		return signfile_main(argc, argv);
	}
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("modsign %s\n", MODSIGN_VERSION);
		return EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	if (argv[1][0] == '-' && strspn(argv[1] + 1, "sdpk") != strlen(argv[1] + 1)) {
		util_err("unknown option '%s' (see 'modsign --help')", argv[1]);
		return EXIT_USAGE;
	}
	return signfile_main(argc, argv);
}

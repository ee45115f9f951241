/* SPDX-License-Identifier: MIT */
/*
 * enroll: ask shim to enroll the managed certificate as a Machine Owner Key.
 *
 * `mokutil --import CERT.der` stores an import request (MokNew, MokAuth);
 * after a reboot shim's MokManager asks the user to confirm it with the
 * password given to mokutil.  modsign runs mokutil with the terminal passed
 * through, since mokutil prompts for that password.  Where mokutil or EFI
 * is missing it prints the steps instead.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "commands.h"
#include "fileio.h"
#include "p11uri.h"
#include "key.h"
#include "keygen.h"
#include "keystore.h"
#include "status.h"
#include "util.h"

#define ENROLL_USAGE "Usage: modsign enroll [--root DIR] [--cert FILE]\n"

static void help(void)
{
	printf(ENROLL_USAGE
	       "\n"
	       "Request the enrolment of the managed certificate as a Machine Owner Key:\n"
	       "run 'mokutil --import CERT' (mokutil asks for a one-time password), then\n"
	       "reboot and confirm the request in shim's MokManager with that password.\n"
	       "Nothing is done when the certificate is already in the MOK list or its\n"
	       "import is already pending.  Without mokutil or EFI, the steps are printed.\n"
	       "\n"
	       "  --root DIR   read /sys/firmware/efi under DIR (default /)\n"
	       "  --cert FILE  the certificate, PEM or DER (default: the managed key's,\n"
	       "               " KEYGEN_DER " in $MODSIGN_KEY_DIR, else in the key_dir of\n"
	       "               " KEYSTORE_DEFAULT_CONFIG ", else in " KEYSTORE_DEFAULT_DIR ")\n"
	       "  -h, --help   show this help\n"
	       "\n"
	       "Environment: MODSIGN_MOKUTIL, the mokutil to run (default: mokutil on PATH).\n"
	       "\n"
	       "Exit status: 0 import requested, or already enrolled or pending; 1 error\n"
	       "(no certificate, no EFI, no mokutil, mokutil failed); 2 usage.\n");
}

static int usage_error(const char *fmt, const char *arg)
{
	return util_usage_error("enroll", fmt, arg);
}

/* A path as a shell word: bare when it is plainly safe, else single-quoted. */
static void print_shell_word(const char *s)
{
	if (*s && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			    "0123456789_./:+=@%,-") == strlen(s)) {
		fputs(s, stdout);
		return;
	}
	putchar('\'');
	for (; *s; s++) {
		if (*s == '\'')
			fputs("'\\''", stdout);
		else
			putchar(*s);
	}
	putchar('\'');
}

/* The steps, for a user without mokutil or a system without EFI. */
static void print_steps(const char *cert, bool is_der)
{
	const char *der = is_der ? cert : "modsign-mok.der";

	printf("To enroll the certificate as a Machine Owner Key (MOK):\n"
	       "  1. install mokutil:     apt-get install mokutil\n");
	if (!is_der && p11uri_is(cert)) {
		printf("  2. save the token's certificate in DER as %s (modsign keygen --pkcs11\n"
		       "     wrote it as signing_key.x509)\n", der);
	} else if (!is_der) {
		printf("  2. convert it to DER:  openssl x509 -in ");
		print_shell_word(cert);
		printf(" -outform DER -out %s\n", der);
	}
	printf("  %d. request the import: mokutil --import ", is_der ? 2 : 3);
	print_shell_word(der);
	printf("\n"
	       "     (mokutil asks for a one-time password: choose one)\n"
	       "  %d. reboot: shim starts MokManager; choose \"Enroll MOK\", \"Continue\",\n"
	       "     \"Yes\", enter the password, then \"Reboot\"\n"
	       "  %d. check:              modsign status   (trust: trusted)\n",
	       is_der ? 3 : 4, is_der ? 4 : 5);
}

static void print_after_import(void)
{
	printf("The import is requested.  Now:\n"
	       "  1. reboot: shim starts MokManager; choose \"Enroll MOK\", \"Continue\",\n"
	       "     \"Yes\", enter the password you just chose, then \"Reboot\"\n"
	       "  2. check:  modsign status   (trust: trusted)\n");
}

/*
 * The mokutil to run: $MODSIGN_MOKUTIL when set, else mokutil on PATH.
 * NULL (why filled) when there is none.
 */
static char *find_mokutil(char *why, size_t why_size)
{
	const char *env = getenv("MODSIGN_MOKUTIL");
	const char *path = getenv("PATH");
	struct stat st;

	if (env && *env) {
		if (stat(env, &st) < 0) {
			snprintf(why, why_size, "MODSIGN_MOKUTIL=%s: %s", env, strerror(errno));
			return NULL;
		}
		if (!S_ISREG(st.st_mode) || access(env, X_OK) < 0) {
			snprintf(why, why_size, "MODSIGN_MOKUTIL=%s: not an executable file", env);
			return NULL;
		}
		return strdup(env);
	}
	if (!path || !*path)
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	for (const char *p = path; *p;) {
		size_t n = strcspn(p, ":");
		char *cand;

		if (asprintf(&cand, "%.*s/mokutil", (int)n, n ? p : ".") < 0)
			break;
		if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0)
			return cand;
		free(cand);
		p += n;
		if (*p == ':')
			p++;
	}
	snprintf(why, why_size, "mokutil is not installed (apt-get install mokutil)");
	return NULL;
}

/* Write der to a new private temporary file; its malloc'ed path, or NULL. */
static char *write_temp_der(const unsigned char *der, size_t len)
{
	const char *tmp = getenv("TMPDIR");
	char *path;
	int fd;
	size_t done = 0;

	if (!tmp || !*tmp)
		tmp = "/tmp";
	if (asprintf(&path, "%s/modsign-enroll-XXXXXX.der", tmp) < 0) {
		util_err("out of memory");
		return NULL;
	}
	fd = mkstemps(path, 4);
	if (fd < 0) {
		util_err("%s: %s", path, strerror(errno));
		free(path);
		return NULL;
	}
	while (done < len) {
		ssize_t n = write(fd, der + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			util_err("%s: write: %s", path, n < 0 ? strerror(errno) : "short write");
			close(fd);
			unlink(path);
			free(path);
			return NULL;
		}
		done += (size_t)n;
	}
	if (close(fd) < 0) {
		util_err("%s: %s", path, strerror(errno));
		unlink(path);
		free(path);
		return NULL;
	}
	return path;
}

/* Run mokutil --import der with our stdin, stdout and stderr. */
static int run_mokutil(const char *mokutil, const char *der)
{
	char *const args[] = { (char *)"mokutil", (char *)"--import", (char *)der, NULL };
	pid_t pid;
	int status;

	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		util_err("fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		execv(mokutil, args);
		fprintf(stderr, "%s: %s: %s\n", util_prog, mokutil, strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			util_err("waitpid: %s", strerror(errno));
			return -1;
		}
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		util_err("enroll: %s --import %s failed (exit status %d)", mokutil, der,
			 WEXITSTATUS(status));
	else
		util_err("enroll: %s --import %s was killed by signal %d", mokutil, der,
			 WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	return -1;
}

/* Whether the EFI variable list NAME (shim's GUID) holds der; warns when unreadable. */
static bool efi_list_has(const char *root, const char *name, const unsigned char *der,
			 size_t der_len)
{
	_cleanup_free_ unsigned char *data = NULL;
	struct status_esl esl;
	const char *source = NULL;
	char why[256];
	size_t len;
	int r;

	if (strcmp(name, "MokListRT") == 0) {
		r = status_moklist_scan(root, der, der_len, &esl, &source, why, sizeof(why));
	} else {
		r = status_efivar_read(root, name, STATUS_SHIM_GUID, &data, &len, why, sizeof(why));
		if (r > 0)
			status_esl_scan(data, len, der, der_len, &esl);
	}
	if (r < 0) {
		util_warn("%s", why);
	} else if (r > 0 && esl.malformed) {
		_cleanup_free_ char *rel = NULL;
		_cleanup_free_ char *path = NULL;

		if (asprintf(&rel, "/sys/firmware/efi/%s", source ? source : "") < 0)
			rel = NULL;
		else if (!source && asprintf(&rel, "/sys/firmware/efi/efivars/%s-%s", name,
					     STATUS_SHIM_GUID) < 0)
			rel = NULL;
		path = rel ? status_path(root, rel) : NULL;
		util_warn("%s: malformed EFI signature list: %s", path ? path : name, esl.why);
	}
	return r > 0 && esl.found;
}

enum { OPT_ROOT = 256, OPT_CERT };

static const struct option enroll_options[] = {
	{ "root", required_argument, NULL, OPT_ROOT },
	{ "cert", required_argument, NULL, OPT_CERT },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int cmd_enroll(int argc, char **argv)
{
	_cleanup_free_ char *default_cert = NULL;
	_cleanup_free_ char *mokutil = NULL;
	_cleanup_free_ char *tmp_der = NULL;
	_cleanup_x509_ X509 *cert = NULL;
	_cleanup_(fileio_buf_freep) struct fileio_buf file = { 0 };
	unsigned char *der = NULL;
	const char *root = "/", *cert_path = NULL;
	char why[256];
	bool is_der;
	int opt, der_len, ret = EXIT_ERR;

	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":h", enroll_options, NULL)) != -1) {
		switch (opt) {
		case OPT_ROOT:
			root = optarg;
			break;
		case OPT_CERT:
			cert_path = optarg;
			break;
		case 'h':
			help();
			return EXIT_OK;
		default: /* ':' or '?' */
			return util_getopt_error("enroll", opt, argv);
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (!*root || (cert_path && !*cert_path))
		return usage_error("%s", "an option has an empty value");

	if (!cert_path) {
		default_cert = managed_cert_path();
		if (!default_cert)
			return EXIT_ERR;
		cert_path = default_cert;
		if (!p11uri_is(cert_path) && access(cert_path, F_OK) < 0 && errno == ENOENT) {
			util_err("%s: no managed key yet (the first 'modsign sign' creates it)",
				 cert_path);
			return EXIT_ERR;
		}
	}
	/* A certificate on a token (pkcs11: URI) is handed to mokutil in DER, like a PEM one. */
	if ((!p11uri_is(cert_path) && fileio_read(cert_path, &file) < 0) || key_load_cert(cert_path, &cert) < 0)
		return EXIT_ERR;
	der_len = i2d_X509(cert, &der);
	if (der_len <= 0) {
		util_ossl_err("%s: cannot encode the certificate", cert_path);
		return EXIT_ERR;
	}
	is_der = file.len == (size_t)der_len && memcmp(file.data, der, file.len) == 0;

	if (!status_efi_booted(root)) {
		_cleanup_free_ char *efi = status_path(root, "/sys/firmware/efi");

		util_err("enroll: this system was not booted with EFI (no %s): it has no MOK "
			 "list, its kernel trusts only its built-in keys",
			 efi ? efi : "/sys/firmware/efi");
		printf("On a machine booted with EFI through shim:\n");
		print_steps(cert_path, is_der);
		goto out;
	}
	if (efi_list_has(root, "MokListRT", der, (size_t)der_len)) {
		printf("%s is already enrolled in the MOK list (MokListRT): nothing to do\n",
		       cert_path);
		ret = EXIT_OK;
		goto out;
	}
	if (efi_list_has(root, "MokNew", der, (size_t)der_len)) {
		printf("the import of %s is already pending: reboot and confirm it in "
		       "MokManager (\"Enroll MOK\"); to cancel it: mokutil --revoke-import\n",
		       cert_path);
		ret = EXIT_OK;
		goto out;
	}
	mokutil = find_mokutil(why, sizeof(why));
	if (!mokutil) {
		util_err("enroll: %s", why);
		print_steps(cert_path, is_der);
		goto out;
	}
	if (!is_der) {
		tmp_der = write_temp_der(der, (size_t)der_len);
		if (!tmp_der)
			goto out;
	}
	printf("running: %s --import %s\n"
	       "(mokutil asks for a one-time password: you type it again in MokManager after "
	       "the reboot)\n", mokutil, tmp_der ? tmp_der : cert_path);
	if (run_mokutil(mokutil, tmp_der ? tmp_der : cert_path) == 0) {
		print_after_import();
		ret = EXIT_OK;
	}
out:
	if (tmp_der)
		unlink(tmp_der);
	OPENSSL_free(der);
	if (fflush(stdout) != 0 && ret == EXIT_OK) {
		util_err("standard output: %s", strerror(errno));
		ret = EXIT_ERR;
	}
	return ret;
}

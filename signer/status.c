/* SPDX-License-Identifier: MIT */
/*
 * status: report what the running system does with module signatures.
 *
 * Every fact is read from files under a root prefix (default "/"):
 *   ROOT/proc/sys/kernel/osrelease        the running kernel's release
 *   ROOT/lib/modules/KVER/build/include/config/auto.conf, .../build/.config,
 *   ROOT/boot/config-KVER                 the target kernel's CONFIG_MODULE_SIG*
 *   ROOT/sys/kernel/security/lockdown     "none [integrity] confidentiality"
 *   ROOT/sys/module/module/parameters/sig_enforce   Y or N
 *   ROOT/proc/modules                     the kernel loads modules at all
 *   ROOT/sys/firmware/efi                 booted with EFI
 *   ROOT/sys/firmware/efi/efivars/NAME-GUID   SecureBoot, SetupMode, MokListRT,
 *                                         MokNew, MokListXRT, db (4 bytes of
 *                                         attributes, then the data)
 *   ROOT/sys/firmware/efi/mok-variables/MokListRT   shim's config table copy
 *   ROOT/proc/keys                        the kernel's keys the reader may view
 *   ROOT/proc/sys/kernel/tainted          the taint mask
 * The certificate (--cert, or the managed key's) and --kernel-dir/--modules
 * are taken as given, never under ROOT.
 */
#include "status.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <openssl/x509v3.h>

#include "commands.h"
#include "key.h"
#include "fileio.h"
#include "keygen.h"
#include "keystore.h"
#include "module.h"
#include "p11uri.h"
#include "util.h"
#include "verify.h"

/* Larger than any EFI variable store; /proc and /sys files are far smaller. */
#define STATUS_MAX_READ (16u << 20)

/* ---- the managed key ---------------------------------------------------- */

char *managed_cert_path(void)
{
	return keystore_cert_path();
}

/* ---- files under ROOT --------------------------------------------------- */

char *status_path(const char *root, const char *rel)
{
	size_t n = strlen(root);
	char *p;

	while (n > 0 && root[n - 1] == '/')
		n--;
	if (asprintf(&p, "%.*s%s", (int)n, root, rel) < 0)
		return NULL;
	return p;
}

static void freestrp(char **p) { free(*p); }
#define _cleanup_str_ _cleanup_(freestrp)

/*
 * Read a whole file of unknown size (/proc and /sys report 0 or 4096) up to
 * STATUS_MAX_READ bytes, NUL-terminated.  Returns 0, or -1 with errno set.
 */
static int read_all(const char *path, unsigned char **out, size_t *len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	unsigned char *buf = NULL;
	size_t cap = 0, used = 0;

	if (fd < 0)
		return -1;
	for (;;) {
		ssize_t n;

		if (cap - used < 2) {
			unsigned char *nb;

			if (cap >= STATUS_MAX_READ) {
				free(buf);
				errno = EFBIG;
				return -1;
			}
			cap = cap ? cap * 2 : 4096;
			nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				errno = ENOMEM;
				return -1;
			}
			buf = nb;
		}
		n = read(fd, buf + used, cap - used - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			free(buf);
			errno = e;
			return -1;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	buf[used] = '\0';
	*out = buf;
	*len = used;
	return 0;
}

/* The first line of ROOT/rel, trailing whitespace removed; NULL if unreadable. */
static char *read_line(const char *root, const char *rel)
{
	_cleanup_str_ char *path = status_path(root, rel);
	unsigned char *buf;
	size_t len;

	if (!path || read_all(path, &buf, &len) < 0)
		return NULL;
	buf[strcspn((char *)buf, "\n")] = '\0';
	len = strlen((char *)buf);
	while (len > 0 && (buf[len - 1] == ' ' || buf[len - 1] == '\t' || buf[len - 1] == '\r'))
		buf[--len] = '\0';
	return (char *)buf;
}

static bool exists_under(const char *root, const char *rel, bool want_dir)
{
	_cleanup_str_ char *path = status_path(root, rel);
	struct stat st;

	return path && stat(path, &st) == 0 && (!want_dir || S_ISDIR(st.st_mode));
}

/* ---- EFI variables and signature lists ---------------------------------- */

bool status_efi_booted(const char *root)
{
	return exists_under(root, "/sys/firmware/efi", true);
}

int status_efivar_read(const char *root, const char *name, const char *guid,
		       unsigned char **data, size_t *len, char *why, size_t why_size)
{
	_cleanup_str_ char *rel = NULL;
	_cleanup_str_ char *path = NULL;
	unsigned char *buf;
	size_t n;

	if (asprintf(&rel, "/sys/firmware/efi/efivars/%s-%s", name, guid) < 0 ||
	    !(path = status_path(root, rel))) {
		snprintf(why, why_size, "out of memory");
		return -1;
	}
	if (read_all(path, &buf, &n) < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(why, why_size, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (n < 4) {
		snprintf(why, why_size, "%s: %zu bytes, shorter than the 4 bytes of attributes",
			 path, n);
		free(buf);
		return -1;
	}
	memmove(buf, buf + 4, n - 4);
	*data = buf;
	*len = n - 4;
	return 1;
}

enum esl_kind { ESL_X509, ESL_HASH };

/* The signature types of UEFI 2.x section 32.4.1 that modsign counts. */
static const struct {
	const char *guid;
	enum esl_kind kind;
} esl_types[] = {
	{ "a5c059a1-94e4-4aa7-87b5-ab155c2bf072", ESL_X509 },  /* EFI_CERT_X509_GUID */
	{ "c1c41626-504c-4092-aca9-41f936934328", ESL_HASH },  /* EFI_CERT_SHA256_GUID */
	{ "826ca512-cf10-4ac9-b187-be01496631bd", ESL_HASH },  /* EFI_CERT_SHA1_GUID */
	{ "0b6e5233-a65c-44c9-9407-d9ab83bfc8bd", ESL_HASH },  /* EFI_CERT_SHA224_GUID */
	{ "ff3e5307-9fd0-48c9-85f1-8ad56c701e01", ESL_HASH },  /* EFI_CERT_SHA384_GUID */
	{ "093e0fae-a6c4-4f50-9f1b-d41e2b89c19a", ESL_HASH },  /* EFI_CERT_SHA512_GUID */
};

#define ESL_HEADER_LEN 28 /* SignatureType, ListSize, HeaderSize, SignatureSize */
#define ESL_OWNER_LEN 16  /* EFI_SIGNATURE_DATA.SignatureOwner */

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* An EFI_GUID as stored: the first three fields little-endian, then 8 bytes. */
static void guid_format(const unsigned char *g, char out[37])
{
	snprintf(out, 37, "%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 (unsigned)le32(g), (unsigned)(g[4] | g[5] << 8), (unsigned)(g[6] | g[7] << 8),
		 g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15]);
}

static int esl_kind_of(const unsigned char *g)
{
	char s[37];

	guid_format(g, s);
	for (size_t i = 0; i < sizeof(esl_types) / sizeof(esl_types[0]); i++)
		if (strcmp(s, esl_types[i].guid) == 0)
			return (int)esl_types[i].kind;
	return -1;
}

void status_esl_scan(const unsigned char *data, size_t len, const unsigned char *der,
		     size_t der_len, struct status_esl *out)
{
	size_t off = 0;

	memset(out, 0, sizeof(*out));
	while (off < len) {
		const unsigned char *p = data + off;
		size_t left = len - off, lsize, hsize, esize, body;
		int kind;

		if (left < ESL_HEADER_LEN) {
			snprintf(out->why, sizeof(out->why),
				 "list %u at offset %zu: %zu bytes left, less than a %d-byte list header",
				 out->lists + 1, off, left, ESL_HEADER_LEN);
			goto bad;
		}
		lsize = le32(p + 16);
		hsize = le32(p + 20);
		esize = le32(p + 24);
		if (lsize > left) {
			snprintf(out->why, sizeof(out->why),
				 "list %u at offset %zu: SignatureListSize %zu exceeds the %zu bytes left",
				 out->lists + 1, off, lsize, left);
			goto bad;
		}
		if (lsize < ESL_HEADER_LEN) {
			snprintf(out->why, sizeof(out->why),
				 "list %u at offset %zu: SignatureListSize %zu is less than the %d-byte header",
				 out->lists + 1, off, lsize, ESL_HEADER_LEN);
			goto bad;
		}
		if (hsize > lsize - ESL_HEADER_LEN) {
			snprintf(out->why, sizeof(out->why),
				 "list %u at offset %zu: SignatureHeaderSize %zu does not fit in SignatureListSize %zu",
				 out->lists + 1, off, hsize, lsize);
			goto bad;
		}
		if (esize <= ESL_OWNER_LEN) {
			snprintf(out->why, sizeof(out->why),
				 "list %u at offset %zu: SignatureSize %zu leaves no data after the %d-byte owner",
				 out->lists + 1, off, esize, ESL_OWNER_LEN);
			goto bad;
		}
		body = lsize - ESL_HEADER_LEN - hsize;
		if (body < esize || body % esize != 0) {
			snprintf(out->why, sizeof(out->why),
				 "list %u at offset %zu: %zu bytes of entries are not a whole number of %zu-byte entries",
				 out->lists + 1, off, body, esize);
			goto bad;
		}
		out->lists++;
		kind = esl_kind_of(p);
		for (size_t e = 0; e < body / esize; e++) {
			const unsigned char *sd = p + ESL_HEADER_LEN + hsize + e * esize + ESL_OWNER_LEN;
			size_t sd_len = esize - ESL_OWNER_LEN;

			if (kind == ESL_X509) {
				out->certs++;
				if (der && sd_len == der_len && memcmp(sd, der, der_len) == 0)
					out->found = true;
			} else if (kind == ESL_HASH) {
				out->hashes++;
			} else {
				out->others++;
			}
		}
		off += lsize;
	}
	return;
bad:
	out->malformed = true;
}

int status_moklist_scan(const char *root, const unsigned char *der, size_t der_len,
			struct status_esl *out, const char **source, char *why, size_t why_size)
{
	_cleanup_str_ char *table = status_path(root, "/sys/firmware/efi/mok-variables/MokListRT");
	_cleanup_free_ unsigned char *data = NULL;
	size_t len = 0;
	int r;

	memset(out, 0, sizeof(*out));
	if (!table) {
		snprintf(why, why_size, "out of memory");
		return -1;
	}
	if (read_all(table, &data, &len) == 0) {
		*source = "mok-variables/MokListRT";
		status_esl_scan(data, len, der, der_len, out);
		return 1;
	}
	if (errno != ENOENT) {
		snprintf(why, why_size, "%s: %s", table, strerror(errno));
		return -1;
	}
	r = status_efivar_read(root, "MokListRT", STATUS_SHIM_GUID, &data, &len, why, why_size);
	if (r <= 0)
		return r;
	*source = "efivars/MokListRT-" STATUS_SHIM_GUID;
	status_esl_scan(data, len, der, der_len, out);
	return 1;
}

/* ---- facts -------------------------------------------------------------- */

/* The kernel options status reports, in output order. */
static const char *const config_names[] = {
	"CONFIG_MODULE_SIG",
	"CONFIG_MODULE_SIG_FORCE",
	"CONFIG_MODULE_SIG_ALL",
	"CONFIG_MODULE_SIG_HASH",
	"CONFIG_MODULE_SIG_KEY",
};
#define N_CONFIG (sizeof(config_names) / sizeof(config_names[0]))
enum { CFG_SIG, CFG_FORCE, CFG_ALL, CFG_HASH, CFG_KEY };

/* One scanned signature database (MokListRT, MokNew, MokListXRT, db). */
struct efi_list {
	int state;             /* 1 read, 0 absent, -1 unreadable, -2 not EFI */
	const char *source;
	struct status_esl esl;
	char why[256];
};

enum module_class {
	MOD_MANAGED,    /* verified with the managed certificate */
	MOD_UNSIGNED,
	MOD_UNKNOWN_KEY,
	MOD_BAD,        /* malformed, or a signature that does not verify */
	MOD_UNSUPPORTED,
	MOD_COMPRESSED, /* not checked: no decompressor here */
	MOD_NOT_MODULE, /* not an ELF file */
	MOD_ERROR,      /* could not be read or checked */
	MOD_NCLASSES
};

static const struct {
	const char *name;  /* in "module: NAME PATH" and JSON "status" */
	const char *count; /* the summary key */
} module_classes[MOD_NCLASSES] = {
	[MOD_MANAGED] = { "managed-key", "modules_managed_key" },
	[MOD_UNSIGNED] = { "unsigned", "modules_unsigned" },
	[MOD_UNKNOWN_KEY] = { "unknown-key", "modules_unknown_key" },
	[MOD_BAD] = { "bad", "modules_bad" },
	[MOD_UNSUPPORTED] = { "unsupported", "modules_unsupported" },
	[MOD_COMPRESSED] = { "compressed-not-checked", "modules_compressed" },
	[MOD_NOT_MODULE] = { "not-a-module", "modules_not_modules" },
	[MOD_ERROR] = { "error", "modules_error" },
};

struct module_entry {
	char *path;
	enum module_class cls;
	char reason[256];
};

struct facts {
	const char *root;
	/* kernel */
	char *kver;
	const char *kver_source; /* "running", "--kver", "--kernel-dir" */
	char *running;           /* the running kernel's release */
	bool is_running;
	char *config_path;
	char *config_looked;     /* where we looked, when nothing was found */
	char *config[N_CONFIG];  /* NULL: not set */
	/* boot */
	bool efi, efivars;
	const char *secure_boot; /* enabled/disabled/unsupported/unknown/n/a */
	int setup_mode;          /* 1, 0, -1 unknown or n/a */
	char *lockdown;          /* NULL: unavailable */
	char *sig_enforce;       /* "Y", "N", NULL: unavailable */
	bool modules_supported;
	bool sysfs_modules;      /* ROOT/sys/module exists */
	const char *enforcement;
	const char *enforced_by[3];
	int n_enforced_by;
	/* key */
	const char *cert_path;
	X509 *cert;
	unsigned char *der;
	int der_len;
	char *key_desc;          /* as the kernel names the key in /proc/keys */
	struct efi_list mok, moknew, mokx, db;
	const char *keyring;     /* loaded, not-found, unavailable */
	int visible_keys;
	const char *trust;
	/* taint */
	bool taint_known;
	unsigned long long taint;
	/* modules */
	const char *modules_dir;
	struct module_entry *mods;
	size_t n_mods;
	size_t counts[MOD_NCLASSES];
};

static void facts_free(struct facts *f)
{
	free(f->kver);
	free(f->running);
	free(f->config_path);
	free(f->config_looked);
	for (size_t i = 0; i < N_CONFIG; i++)
		free(f->config[i]);
	free(f->lockdown);
	free(f->sig_enforce);
	X509_free(f->cert);
	OPENSSL_free(f->der);
	free(f->key_desc);
	for (size_t i = 0; i < f->n_mods; i++)
		free(f->mods[i].path);
	free(f->mods);
}
static inline void facts_freep(struct facts *f) { facts_free(f); }

/* -- the kernel's configuration -- */

/* Kconfig string value: "..." with \" and \\ escapes. */
static char *config_value(const char *v)
{
	size_t n = strlen(v);
	char *out, *o;

	if (n < 2 || v[0] != '"' || v[n - 1] != '"')
		return strdup(v);
	out = o = malloc(n);
	if (!out)
		return NULL;
	for (size_t i = 1; i + 1 < n; i++) {
		if (v[i] == '\\' && i + 2 < n)
			i++;
		*o++ = v[i];
	}
	*o = '\0';
	return out;
}

/* Parse "CONFIG_X=value" lines; "# CONFIG_X is not set" and absence mean unset. */
static int config_parse(struct facts *f, char *text)
{
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		char *eq = strchr(line, '=');

		if (line[0] != 'C' || !eq)
			continue;
		*eq = '\0';
		for (size_t i = 0; i < N_CONFIG; i++) {
			if (strcmp(line, config_names[i]) != 0)
				continue;
			free(f->config[i]);
			f->config[i] = config_value(eq + 1);
			if (!f->config[i])
				return -1;
		}
	}
	return 0;
}

static int read_config(struct facts *f, const char *kernel_dir)
{
	_cleanup_str_ char *build = NULL;
	char *cands[3] = { NULL, NULL, NULL };
	int n = 0, ret = 0;

	if (kernel_dir)
		build = strdup(kernel_dir);
	else if (f->kver) {
		_cleanup_str_ char *rel = NULL;

		if (asprintf(&rel, "/lib/modules/%s/build", f->kver) >= 0)
			build = status_path(f->root, rel);
	}
	if (build) {
		if (asprintf(&cands[n], "%s/include/config/auto.conf", build) >= 0)
			n++;
		if (asprintf(&cands[n], "%s/.config", build) >= 0)
			n++;
	}
	if (f->kver) {
		char *rel;

		if (asprintf(&rel, "/boot/config-%s", f->kver) >= 0) {
			cands[n] = status_path(f->root, rel);
			free(rel);
			if (cands[n])
				n++;
		}
	}
	for (int i = 0; i < n && !f->config_path; i++) {
		unsigned char *text;
		size_t len;

		if (read_all(cands[i], &text, &len) < 0)
			continue;
		if (config_parse(f, (char *)text) < 0)
			ret = -1;
		free(text);
		f->config_path = strdup(cands[i]);
	}
	if (!f->config_path) {
		char *s = NULL;

		if (n == 0)
			s = strdup("no kernel release to look for");
		else if (asprintf(&s, "looked for %s%s%s%s%s", cands[0], n > 1 ? ", " : "",
				  n > 1 ? cands[1] : "", n > 2 ? ", " : "", n > 2 ? cands[2] : "") < 0)
			s = NULL;
		f->config_looked = s;
	}
	for (int i = 0; i < n; i++)
		free(cands[i]);
	return ret;
}

/* -- boot state -- */

/* The bracketed word of "none [integrity] confidentiality". */
static char *lockdown_mode(const char *line)
{
	const char *open = strchr(line, '['), *close;

	if (!open || !(close = strchr(open, ']')))
		return NULL;
	return strndup(open + 1, (size_t)(close - open - 1));
}

/* A one-byte boolean EFI variable: 1, 0, -1 absent, -2 unreadable or odd. */
static int efivar_flag(const char *root, const char *name)
{
	_cleanup_free_ unsigned char *data = NULL;
	char why[256];
	size_t len;
	int r = status_efivar_read(root, name, STATUS_GLOBAL_GUID, &data, &len, why, sizeof(why));

	if (r == 0)
		return -1;
	if (r < 0) {
		util_warn("%s", why);
		return -2;
	}
	if (len != 1 || data[0] > 1) {
		util_warn("%s: not one byte of 0 or 1 after the attributes", name);
		return -2;
	}
	return data[0];
}

static void read_boot(struct facts *f)
{
	_cleanup_str_ char *lock = read_line(f->root, "/sys/kernel/security/lockdown");
	char *se = read_line(f->root, "/sys/module/module/parameters/sig_enforce");

	f->efi = status_efi_booted(f->root);
	f->efivars = f->efi && exists_under(f->root, "/sys/firmware/efi/efivars", true);
	f->setup_mode = -1;
	if (!f->efi) {
		f->secure_boot = "n/a";
	} else if (!f->efivars) {
		f->secure_boot = "unknown";
	} else {
		int sb = efivar_flag(f->root, "SecureBoot");

		f->secure_boot = sb == 1 ? "enabled" : sb == 0 ? "disabled" :
				 sb == -1 ? "unsupported" : "unknown";
		f->setup_mode = efivar_flag(f->root, "SetupMode");
		if (f->setup_mode < 0)
			f->setup_mode = -1;
	}
	if (lock)
		f->lockdown = lockdown_mode(lock);
	if (se && (strcmp(se, "Y") == 0 || strcmp(se, "1") == 0))
		f->sig_enforce = strdup("Y");
	else if (se && (strcmp(se, "N") == 0 || strcmp(se, "0") == 0))
		f->sig_enforce = strdup("N");
	free(se);
	f->modules_supported = exists_under(f->root, "/proc/modules", false);
	f->sysfs_modules = exists_under(f->root, "/sys/module", true);
}

static bool config_is_y(const struct facts *f, int i)
{
	return f->config[i] && strcmp(f->config[i], "y") == 0;
}

static void judge_enforcement(struct facts *f)
{
	bool lock = f->lockdown && (strcmp(f->lockdown, "integrity") == 0 ||
				    strcmp(f->lockdown, "confidentiality") == 0);

	if (f->is_running && !f->modules_supported && exists_under(f->root, "/proc/sys/kernel", true)) {
		f->enforcement = "no-module-support";
		return;
	}
	if ((f->config_path && !config_is_y(f, CFG_SIG)) ||
	    (f->is_running && !f->config_path && f->sysfs_modules && !f->sig_enforce)) {
		f->enforcement = "no-signature-check";
		return;
	}
	if (lock)
		f->enforced_by[f->n_enforced_by++] = strcmp(f->lockdown, "integrity") == 0 ?
			"lockdown=integrity" : "lockdown=confidentiality";
	if (f->sig_enforce && strcmp(f->sig_enforce, "Y") == 0)
		f->enforced_by[f->n_enforced_by++] = "sig_enforce=Y";
	if (config_is_y(f, CFG_FORCE))
		f->enforced_by[f->n_enforced_by++] = "CONFIG_MODULE_SIG_FORCE=y";
	if (f->n_enforced_by)
		f->enforcement = "enforced";
	else if (f->sig_enforce || (f->config_path && !f->lockdown))
		f->enforcement = "not-enforced";
	else
		f->enforcement = "unknown";
}

/* -- the managed key -- */

/* The last value of a name attribute, as the kernel's X.509 parser keeps it. */
static const ASN1_STRING *name_last(const X509_NAME *nm, int nid)
{
	const ASN1_STRING *s = NULL;

	for (int i = -1; (i = X509_NAME_get_index_by_NID(nm, nid, i)) >= 0;)
		s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(nm, i));
	return s && ASN1_STRING_length(s) > 0 ? s : NULL;
}

/*
 * The description the kernel gives an X.509 key (what /proc/keys shows):
 * "SUBJECT: ID" where SUBJECT is the CN, "O: CN" when the CN does not
 * start with the O (nor share its first 7 bytes), else the O or the
 * e-mail address; ID is the subjectKeyIdentifier in lowercase hex, or the
 * serial number's content octets when there is none.
 */
static char *kernel_key_description(X509 *cert)
{
	const X509_NAME *nm = X509_get_subject_name(cert);
	const ASN1_STRING *cn = name_last(nm, NID_commonName);
	const ASN1_STRING *o = name_last(nm, NID_organizationName);
	const ASN1_STRING *em = name_last(nm, NID_pkcs9_emailAddress);
	const ASN1_OCTET_STRING *skid = X509_get0_subject_key_id(cert);
	_cleanup_free_ unsigned char *serial_der = NULL;
	_cleanup_str_ char *subject = NULL;
	const unsigned char *id;
	size_t id_len;
	char *out, *p;

	if (cn && o) {
		size_t cl = (size_t)ASN1_STRING_length(cn), ol = (size_t)ASN1_STRING_length(o);
		const unsigned char *c = ASN1_STRING_get0_data(cn), *oo = ASN1_STRING_get0_data(o);

		if ((cl >= ol && memcmp(c, oo, ol) == 0) ||
		    (cl >= 7 && ol >= 7 && memcmp(c, oo, 7) == 0))
			subject = strndup((const char *)c, cl);
		else if (asprintf(&subject, "%.*s: %.*s", (int)ol, oo, (int)cl, c) < 0)
			subject = NULL;
	} else {
		const ASN1_STRING *one = cn ? cn : o ? o : em;

		subject = one ? strndup((const char *)ASN1_STRING_get0_data(one),
					(size_t)ASN1_STRING_length(one)) : strdup("");
	}
	if (!subject)
		return NULL;
	if (skid) {
		id = ASN1_STRING_get0_data(skid);
		id_len = (size_t)ASN1_STRING_length(skid);
	} else {
		/* The INTEGER's content octets: DER minus tag and length. */
		unsigned char *q = NULL;
		int n = i2d_ASN1_INTEGER(X509_get0_serialNumber(cert), &q);
		size_t hdr;

		if (n < 2)
			return NULL;
		serial_der = q;
		hdr = (q[1] & 0x80) ? 2 + (q[1] & 0x7f) : 2;
		if (hdr > (size_t)n)
			return NULL;
		id = q + hdr;
		id_len = (size_t)n - hdr;
	}
	out = malloc(strlen(subject) + 2 + 2 * id_len + 1);
	if (!out)
		return NULL;
	p = out + sprintf(out, "%s: ", subject);
	for (size_t i = 0; i < id_len; i++)
		p += sprintf(p, "%02x", id[i]);
	return out;
}

/* Load the certificate; a missing default one is a fact, not an error. */
static int load_cert(struct facts *f, bool explicit)
{
	unsigned char *der = NULL;
	int n;

	if (!explicit && !p11uri_is(f->cert_path) && access(f->cert_path, F_OK) < 0 && errno == ENOENT)
		return 0;
	if (key_load_cert(f->cert_path, &f->cert) < 0)
		return -1;
	n = i2d_X509(f->cert, &der);
	if (n <= 0) {
		util_ossl_err("%s: cannot encode the certificate", f->cert_path);
		return -1;
	}
	f->der = der;
	f->der_len = n;
	f->key_desc = kernel_key_description(f->cert);
	if (!f->key_desc) {
		util_err("%s: cannot describe the certificate", f->cert_path);
		return -1;
	}
	return 0;
}

static void scan_efi_list(struct facts *f, struct efi_list *l, const char *name, const char *guid)
{
	_cleanup_free_ unsigned char *data = NULL;
	size_t len = 0;

	if (!f->efi) {
		l->state = -2;
		return;
	}
	if (l == &f->mok) {
		l->state = status_moklist_scan(f->root, f->der, (size_t)f->der_len, &l->esl,
					       &l->source, l->why, sizeof(l->why));
	} else {
		l->state = status_efivar_read(f->root, name, guid, &data, &len, l->why, sizeof(l->why));
		if (l->state > 0)
			status_esl_scan(data, len, f->der, (size_t)f->der_len, &l->esl);
	}
	if (l->state < 0) {
		util_warn("%s", l->why);
	} else if (l->state > 0 && l->esl.malformed) {
		_cleanup_str_ char *rel = NULL;
		_cleanup_str_ char *path = NULL;

		if (l != &f->mok && asprintf(&rel, "/sys/firmware/efi/efivars/%s-%s", name, guid) < 0)
			rel = NULL;
		else if (l == &f->mok && asprintf(&rel, "/sys/firmware/efi/%s", l->source) < 0)
			rel = NULL;
		path = rel ? status_path(f->root, rel) : NULL;
		util_warn("%s: malformed EFI signature list: %s", path ? path : name, l->esl.why);
	}
}

/* Find the key among the asymmetric keys of ROOT/proc/keys. */
static void scan_proc_keys(struct facts *f)
{
	_cleanup_str_ char *path = status_path(f->root, "/proc/keys");
	_cleanup_free_ unsigned char *text = NULL;
	size_t len;
	bool found = false;

	f->visible_keys = 0;
	if (!path || read_all(path, &text, &len) < 0) {
		f->keyring = "unavailable";
		return;
	}
	for (char *line = strtok((char *)text, "\n"); line; line = strtok(NULL, "\n")) {
		char type[16];
		int desc_at = -1;
		const char *desc;

		/* id flags usage expiry perm uid gid type description */
		if (sscanf(line, "%*x %*s %*d %*s %*x %*d %*d %15s %n", type, &desc_at) < 1 ||
		    desc_at < 0 || strcmp(type, "asymmetri") != 0)
			continue;
		f->visible_keys++;
		desc = line + desc_at;
		if (f->key_desc) {
			size_t n = strlen(f->key_desc);

			if (strncmp(desc, f->key_desc, n) == 0 && (desc[n] == ':' || desc[n] == '\0'))
				found = true;
		}
	}
	f->keyring = found ? "loaded" : "not-found";
}

static void judge_trust(struct facts *f)
{
	if (!f->cert)
		f->trust = "no-key";
	else if (f->mokx.state > 0 && f->mokx.esl.found)
		f->trust = "revoked";
	else if (strcmp(f->keyring, "loaded") == 0)
		f->trust = "trusted";
	else if ((f->mok.state > 0 && f->mok.esl.found) || (f->db.state > 0 && f->db.esl.found))
		f->trust = "enrolled";
	else if (f->moknew.state > 0 && f->moknew.esl.found)
		f->trust = "pending";
	else
		f->trust = "not-enrolled";
}

/* -- taint -- */

/* The kernel's taint flags by bit (Documentation/admin-guide/tainted-kernels.rst). */
static const struct {
	char letter;
	const char *meaning;
} taint_flags[] = {
	{ 'P', "proprietary module was loaded" },
	{ 'F', "module was force loaded" },
	{ 'S', "kernel running on an out of specification system" },
	{ 'R', "module was force unloaded" },
	{ 'M', "processor reported a Machine Check Exception" },
	{ 'B', "bad page referenced or unexpected page flags" },
	{ 'U', "taint requested by a userspace application" },
	{ 'D', "kernel died recently (OOPS or BUG)" },
	{ 'A', "ACPI table overridden by the user" },
	{ 'W', "kernel issued a warning" },
	{ 'C', "staging driver was loaded" },
	{ 'I', "workaround for a platform firmware bug applied" },
	{ 'O', "externally-built (out-of-tree) module was loaded" },
	{ 'E', "unsigned module was loaded" },
	{ 'L', "soft lockup occurred" },
	{ 'K', "kernel has been live patched" },
	{ 'X', "auxiliary taint, defined by distributions" },
	{ 'T', "kernel built with the struct randomization plugin" },
	{ 'N', "an in-kernel test has been run" },
	{ 'J', "userspace used a mutating debug operation in fwctl" },
};
#define N_TAINT (sizeof(taint_flags) / sizeof(taint_flags[0]))

static void read_taint(struct facts *f)
{
	_cleanup_str_ char *line = read_line(f->root, "/proc/sys/kernel/tainted");
	char *end;

	if (!line || !*line)
		return;
	errno = 0;
	f->taint = strtoull(line, &end, 10);
	f->taint_known = errno == 0 && *end == '\0' && line[0] != '-';
}

/* -- modules -- */

static const char *const compressed_suffixes[] = { ".ko.gz", ".ko.xz", ".ko.zst" };

static bool has_suffix(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);

	return a >= b && strcmp(s + a - b, suf) == 0;
}

static bool is_module_name(const char *name, bool *compressed)
{
	*compressed = false;
	if (has_suffix(name, ".ko"))
		return true;
	for (size_t i = 0; i < sizeof(compressed_suffixes) / sizeof(compressed_suffixes[0]); i++)
		if (has_suffix(name, compressed_suffixes[i]))
			return *compressed = true;
	return false;
}

static int add_module(struct facts *f, const char *path, enum module_class cls)
{
	struct module_entry *m = realloc(f->mods, (f->n_mods + 1) * sizeof(*m));

	if (!m)
		return -1;
	f->mods = m;
	m += f->n_mods;
	memset(m, 0, sizeof(*m));
	m->path = strdup(path);
	if (!m->path)
		return -1;
	m->cls = cls;
	f->n_mods++;
	return 0;
}

/* Collect the modules under dir, not following symbolic links. */
static int walk_modules(struct facts *f, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int ret = 0;

	if (!d) {
		util_err("%s: %s", dir, strerror(errno));
		return -1;
	}
	while (ret == 0 && (errno = 0, de = readdir(d))) {
		_cleanup_str_ char *path = NULL;
		struct stat st;
		bool comp;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (asprintf(&path, "%s%s%s", dir, has_suffix(dir, "/") ? "" : "/", de->d_name) < 0) {
			path = NULL;
			ret = -1;
			break;
		}
		if (lstat(path, &st) < 0) {
			util_err("%s: %s", path, strerror(errno));
			ret = -1;
		} else if (S_ISDIR(st.st_mode)) {
			ret = walk_modules(f, path);
		} else if (S_ISREG(st.st_mode) && is_module_name(de->d_name, &comp)) {
			ret = add_module(f, path, comp ? MOD_COMPRESSED : MOD_ERROR);
		}
	}
	if (ret == 0 && errno) {
		util_err("%s: %s", dir, strerror(errno));
		ret = -1;
	}
	closedir(d);
	return ret;
}

static int module_cmp(const void *a, const void *b)
{
	return strcmp(((const struct module_entry *)a)->path, ((const struct module_entry *)b)->path);
}

static const enum module_class verdict_class[] = {
	[VERIFY_OK] = MOD_MANAGED,
	[VERIFY_UNSIGNED] = MOD_UNSIGNED,
	[VERIFY_MALFORMED] = MOD_BAD,
	[VERIFY_UNSUPPORTED] = MOD_UNSUPPORTED,
	[VERIFY_NOKEY] = MOD_UNKNOWN_KEY,
	[VERIFY_REJECTED] = MOD_BAD,
};

static void classify_module(struct facts *f, struct module_entry *e)
{
	_cleanup_(module_freep) struct module m = { 0 };
	_cleanup_x509_stack_ STACK_OF(X509) *trusted = sk_X509_new_null();
	struct verify_opts opts = { 0 };
	struct verify_result res = { 0 };
	unsigned char magic[4];
	_cleanup_close_ int fd = open(e->path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, magic, sizeof(magic));

	if (n < 0) {
		e->cls = MOD_ERROR;
		snprintf(e->reason, sizeof(e->reason), "%s", strerror(errno));
		return;
	}
	if (n < 4 || memcmp(magic, "\177ELF", 4) != 0) {
		e->cls = MOD_NOT_MODULE;
		snprintf(e->reason, sizeof(e->reason), "not an ELF file");
		return;
	}
	e->cls = MOD_ERROR;
	snprintf(e->reason, sizeof(e->reason), "could not be checked (see the error above)");
	if (!trusted || module_load(e->path, &m, MODULE_RAW) < 0)
		return;
	if (f->cert) {
		if (!X509_up_ref(f->cert))
			return;
		if (!sk_X509_push(trusted, f->cert)) {
			X509_free(f->cert);
			return;
		}
	}
	opts.trusted = trusted;
	if (verify_module(&opts, &m, &res) < 0)
		return;
	if ((unsigned)res.verdict >= sizeof(verdict_class) / sizeof(verdict_class[0]))
		return;
	e->cls = verdict_class[res.verdict];
	snprintf(e->reason, sizeof(e->reason), "%s", res.reason);
}

static int read_modules(struct facts *f)
{
	struct stat st;
	bool comp;

	if (stat(f->modules_dir, &st) < 0) {
		util_err("%s: %s", f->modules_dir, strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		if (walk_modules(f, f->modules_dir) < 0)
			return -1;
	} else if (add_module(f, f->modules_dir,
			      is_module_name(f->modules_dir, &comp) && comp ? MOD_COMPRESSED
									   : MOD_ERROR) < 0) {
		return -1;
	}
	if (f->n_mods > 1)
		qsort(f->mods, f->n_mods, sizeof(*f->mods), module_cmp);
	for (size_t i = 0; i < f->n_mods; i++) {
		struct module_entry *e = &f->mods[i];

		if (e->cls == MOD_COMPRESSED)
			snprintf(e->reason, sizeof(e->reason), "no decompressor in this build");
		else
			classify_module(f, e);
		f->counts[e->cls]++;
	}
	return 0;
}

/* ---- output: the same facts as "key: value" lines or one JSON object ---- */

struct out {
	bool json;
	bool first;    /* nothing yet at the current JSON level */
	bool sections; /* a text section was printed */
};

static void json_string(const char *s)
{
	util_json_string(stdout, s);
}

static void json_key(struct out *o, const char *key)
{
	if (!o->first)
		putchar(',');
	o->first = false;
	json_string(key);
	putchar(':');
}

static void out_section(struct out *o, const char *name)
{
	if (o->json) {
		json_key(o, name);
		putchar('{');
		o->first = true;
	} else {
		printf("%s[%s]\n", o->sections ? "\n" : "", name);
		o->sections = true;
	}
}

static void out_section_end(struct out *o)
{
	if (o->json) {
		putchar('}');
		o->first = false;
	}
}

/* A string; NULL is JSON null and null_text in text. */
static void out_str(struct out *o, const char *key, const char *val, const char *null_text)
{
	if (o->json) {
		json_key(o, key);
		if (val)
			json_string(val);
		else
			fputs("null", stdout);
	} else {
		printf("%s: %s\n", key, val ? val : null_text);
	}
}

/* 1 true, 0 false, < 0 JSON null / null_text. */
static void out_bool(struct out *o, const char *key, int val, const char *null_text)
{
	if (o->json) {
		json_key(o, key);
		fputs(val < 0 ? "null" : val ? "true" : "false", stdout);
	} else {
		printf("%s: %s\n", key, val < 0 ? null_text : val ? "yes" : "no");
	}
}

static void out_num(struct out *o, const char *key, unsigned long long val, bool known,
		    const char *null_text)
{
	if (o->json) {
		json_key(o, key);
		if (known)
			printf("%llu", val);
		else
			fputs("null", stdout);
	} else if (known) {
		printf("%s: %llu\n", key, val);
	} else {
		printf("%s: %s\n", key, null_text);
	}
}

/* A list of strings: a JSON array, or one "key: item" line per item. */
static void out_list(struct out *o, const char *key, const char *const *items, size_t n)
{
	if (!o->json) {
		for (size_t i = 0; i < n; i++)
			printf("%s: %s\n", key, items[i]);
		return;
	}
	json_key(o, key);
	putchar('[');
	for (size_t i = 0; i < n; i++) {
		if (i)
			putchar(',');
		json_string(items[i]);
	}
	putchar(']');
}

static void print_kernel(struct out *o, const struct facts *f)
{
	out_section(o, "kernel");
	out_str(o, "release", f->kver, "unknown");
	out_str(o, "release_source", f->kver_source, "none");
	out_bool(o, "running", f->kver ? f->is_running : -1, "unknown");
	if (o->json || f->config_path)
		out_str(o, "config", f->config_path, "none");
	else
		printf("config: none (%s)\n", f->config_looked ? f->config_looked : "?");
	for (size_t i = 0; i < N_CONFIG; i++)
		out_str(o, config_names[i], f->config[i], f->config_path ? "not set" : "unknown");
	out_section_end(o);
}

static void print_boot(struct out *o, const struct facts *f)
{
	char joined[128] = "";

	out_section(o, "boot");
	out_bool(o, "efi", f->efi, "");
	out_bool(o, "efivars", f->efi ? f->efivars : -1, "n/a");
	out_str(o, "secure_boot", f->secure_boot, "");
	out_bool(o, "setup_mode", f->setup_mode, f->efi ? "unknown" : "n/a");
	out_str(o, "lockdown", f->lockdown, "unavailable");
	out_str(o, "sig_enforce", f->sig_enforce, "unavailable");
	out_bool(o, "loadable_modules", f->modules_supported, "");
	out_str(o, "enforcement", f->enforcement, "");
	if (o->json) {
		out_list(o, "enforced_by", f->enforced_by, (size_t)f->n_enforced_by);
	} else {
		for (int i = 0; i < f->n_enforced_by; i++)
			snprintf(joined + strlen(joined), sizeof(joined) - strlen(joined), "%s%s",
				 i ? ", " : "", f->enforced_by[i]);
		out_str(o, "enforced_by", f->n_enforced_by ? joined : NULL, "none");
	}
	out_section_end(o);
}

static const char *efi_list_state(const struct efi_list *l)
{
	static const char *const names[] = { "n/a", "unreadable", "absent", "present" };

	if (l->state > 0 && l->esl.malformed)
		return "malformed";
	return names[l->state + 2];
}

/* Found: yes/no when the list was read, null (n/a or unknown) otherwise. */
static int efi_list_found(const struct facts *f, const struct efi_list *l)
{
	if (!f->cert || l->state == -2 || l->state == -1)
		return -1;
	return l->state > 0 && l->esl.found;
}

static void print_key(struct out *o, const struct facts *f)
{
	const char *unknown = !f->cert ? "n/a" : f->efi ? "unknown" : "n/a";

	out_section(o, "key");
	out_str(o, "cert", f->cert ? f->cert_path : NULL, "none");
	out_str(o, "key_description", f->key_desc, "n/a");
	out_str(o, "mok_list", efi_list_state(&f->mok), "");
	if (f->mok.state > 0) {
		out_str(o, "mok_list_source", f->mok.source, "");
		out_num(o, "mok_list_certificates", f->mok.esl.certs, true, "");
		out_num(o, "mok_list_hashes", f->mok.esl.hashes, true, "");
	}
	if (f->mok.state == -1 || (f->mok.state > 0 && f->mok.esl.malformed))
		out_str(o, "mok_list_error", f->mok.state > 0 ? f->mok.esl.why : f->mok.why, "");
	out_bool(o, "in_mok_list", efi_list_found(f, &f->mok), unknown);
	out_bool(o, "import_pending", efi_list_found(f, &f->moknew), unknown);
	out_bool(o, "in_uefi_db", efi_list_found(f, &f->db), unknown);
	out_bool(o, "revoked", efi_list_found(f, &f->mokx), unknown);
	out_str(o, "kernel_keyring", f->cert ? f->keyring : NULL, "n/a");
	out_num(o, "visible_keys", (unsigned long long)f->visible_keys,
		strcmp(f->keyring, "unavailable") != 0, "unknown");
	out_str(o, "trust", f->trust, "");
	out_section_end(o);
}

static void print_taint(struct out *o, const struct facts *f)
{
	char letters[65] = "";
	char lines[64][96];
	const char *items[64];
	size_t n = 0;

	out_section(o, "taint");
	out_num(o, "tainted", f->taint, f->taint_known, "unknown");
	for (unsigned bit = 0; f->taint_known && bit < 64; bit++) {
		if (!(f->taint >> bit & 1))
			continue;
		if (bit < N_TAINT) {
			letters[strlen(letters)] = taint_flags[bit].letter;
			snprintf(lines[n], sizeof(lines[n]), "%c: %s", taint_flags[bit].letter,
				 taint_flags[bit].meaning);
		} else {
			letters[strlen(letters)] = '?';
			snprintf(lines[n], sizeof(lines[n]), "?: unknown taint bit %u", bit);
		}
		items[n] = lines[n];
		n++;
	}
	if (!o->json && f->taint_known && !*letters)
		out_str(o, "taint_flags", "none", "");
	else
		out_str(o, "taint_flags", f->taint_known ? letters : NULL, "unknown");
	out_list(o, "taint", items, n);
	out_section_end(o);
}

static void print_modules(struct out *o, const struct facts *f)
{
	out_section(o, "modules");
	out_str(o, "modules_dir", f->modules_dir, "");
	if (o->json) {
		json_key(o, "module");
		putchar('[');
		for (size_t i = 0; i < f->n_mods; i++) {
			printf("%s{\"path\":", i ? "," : "");
			json_string(f->mods[i].path);
			printf(",\"status\":\"%s\",\"reason\":", module_classes[f->mods[i].cls].name);
			json_string(f->mods[i].reason);
			putchar('}');
		}
		putchar(']');
	} else {
		for (size_t i = 0; i < f->n_mods; i++)
			printf("module: %s %s%s%s%s\n", module_classes[f->mods[i].cls].name,
			       f->mods[i].path, f->mods[i].reason[0] ? " (" : "", f->mods[i].reason,
			       f->mods[i].reason[0] ? ")" : "");
	}
	out_num(o, "modules_found", f->n_mods, true, "");
	for (size_t c = 0; c < MOD_NCLASSES; c++)
		out_num(o, module_classes[c].count, f->counts[c], true, "");
	out_section_end(o);
}

/* ---- the verdict ---------------------------------------------------------- */

struct sbuf {
	char s[2048];
	size_t n;
};

static void sb_add(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_add(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->n >= sizeof(b->s) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->s + b->n, sizeof(b->s) - b->n, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->n = b->n + (size_t)n < sizeof(b->s) ? b->n + (size_t)n : sizeof(b->s) - 1;
}

static void verdict_enforcement(struct sbuf *b, const struct facts *f)
{
	const char *e = f->enforcement;

	if (strcmp(e, "enforced") == 0) {
		for (int i = 0; i < f->n_enforced_by; i++) {
			const char *r = f->enforced_by[i];

			if (i)
				sb_add(b, ", ");
			if (strncmp(r, "lockdown=", 9) == 0 && strcmp(f->secure_boot, "enabled") == 0)
				sb_add(b, "Secure Boot is on and %s", r);
			else
				sb_add(b, "%s", r);
		}
		sb_add(b, ": modules must be signed by a key the kernel trusts");
	} else if (strcmp(e, "not-enforced") == 0) {
		const char *sep = "";

		sb_add(b, "signatures are not enforced (");
		if (f->sig_enforce) {
			sb_add(b, "sig_enforce=%s", f->sig_enforce);
			sep = ", ";
		}
		if (f->lockdown) {
			sb_add(b, "%slockdown=%s", sep, f->lockdown);
			sep = ", ";
		}
		if (f->config_path)
			sb_add(b, "%sCONFIG_MODULE_SIG_FORCE not set", sep);
		sb_add(b, "): unsigned modules load but taint the kernel (E), a bad signature is "
		       "still refused");
	} else {
		sb_add(b, "whether signatures are enforced is unknown (no sig_enforce parameter, "
		       "no lockdown file, no kernel configuration)");
	}
}

static void verdict_key(struct sbuf *b, const struct facts *f)
{
	const char *t = f->trust;

	if (strcmp(t, "no-key") == 0)
		sb_add(b, "; there is no managed key yet (no %s)", f->cert_path);
	else if (strcmp(t, "revoked") == 0)
		sb_add(b, "; the managed key is revoked (in MokListXRT): the kernel refuses "
		       "modules signed by it");
	else if (strcmp(t, "trusted") == 0)
		sb_add(b, "; the managed key is trusted by the running kernel: modules signed by "
		       "it load");
	else if (strcmp(t, "enrolled") == 0)
		sb_add(b, "; the managed key is enrolled in the %s but not among the kernel's keys "
		       "in /proc/keys (which lists only the keys the reader may view: check as "
		       "root, or reboot)",
		       f->mok.state > 0 && f->mok.esl.found ? "MOK list" : "UEFI db");
	else if (strcmp(t, "pending") == 0)
		sb_add(b, "; the managed key's import is pending -> reboot and confirm it in "
		       "MokManager (Enroll MOK)");
	else if (f->efi)
		sb_add(b, "; the managed key is NOT enrolled -> run: modsign enroll, then reboot "
		       "and confirm in MokManager");
	else
		sb_add(b, "; the managed key is not trusted by the running kernel, and without "
		       "EFI there is no MOK list to enroll it in (build it into the kernel with "
		       "CONFIG_SYSTEM_TRUSTED_KEYS)");
}

static void verdict(struct sbuf *b, const struct facts *f)
{
	const char *e = f->enforcement;
	size_t refused = 0;

	if (strcmp(e, "no-module-support") == 0) {
		sb_add(b, "the running kernel cannot load modules (no /proc/modules: built without "
		       "CONFIG_MODULES), so module signatures do not matter on it");
		return;
	}
	if (strcmp(e, "no-signature-check") == 0) {
		if (f->config_path)
			sb_add(b, "%s does not check module signatures (CONFIG_MODULE_SIG is not "
			       "set): modules load whether signed or not", f->kver ? f->kver : "the kernel");
		else
			sb_add(b, "the running kernel does not check module signatures (it has no "
			       "sig_enforce parameter: built without CONFIG_MODULE_SIG): modules load "
			       "whether signed or not");
		return;
	}
	if (f->kver && !f->is_running)
		sb_add(b, "(%s is not the running kernel: judged with the running system's state) ",
		       f->kver);
	verdict_enforcement(b, f);
	verdict_key(b, f);
	if (f->mok.state > 0 && f->mok.esl.malformed)
		sb_add(b, "; the MOK list is malformed (%s)", f->mok.esl.why);
	if (!f->modules_dir)
		return;
	if (strcmp(e, "enforced") == 0)
		refused = f->counts[MOD_UNSIGNED] + f->counts[MOD_UNSUPPORTED] +
			  (strcmp(f->trust, "trusted") ? f->counts[MOD_MANAGED] : 0);
	refused += f->counts[MOD_BAD] + f->counts[MOD_NOT_MODULE];
	if (refused)
		sb_add(b, "; %zu module(s) under %s would be refused", refused, f->modules_dir);
	if (f->counts[MOD_UNKNOWN_KEY])
		sb_add(b, "; %zu module(s) are signed by another key and load only if the kernel "
		       "trusts it", f->counts[MOD_UNKNOWN_KEY]);
}

/* ---- the command ---------------------------------------------------------- */

#define STATUS_USAGE \
	"Usage: modsign status [--root DIR] [--kver KVER | --kernel-dir DIR] [--cert FILE]\n" \
	"                      [--modules DIR] [--json]\n"

static void help(void)
{
	printf(STATUS_USAGE
	       "\n"
	       "Report what decides whether this machine loads a signed module: the target\n"
	       "kernel's CONFIG_MODULE_SIG*, Secure Boot, the lockdown mode, signature\n"
	       "enforcement, whether the managed key is enrolled (MOK list, pending import,\n"
	       "UEFI db) and loaded into the kernel's keyrings, and the taint flags.  The last\n"
	       "line, \"verdict:\", says in plain words why a module would or would not load.\n"
	       "\n"
	       "  --root DIR        read /proc, /sys, /boot and /lib/modules under DIR\n"
	       "                    (default /)\n"
	       "  --kver KVER       the target kernel (default: the running one)\n"
	       "  --kernel-dir DIR  the target kernel's build tree (default\n"
	       "                    ROOT/lib/modules/KVER/build; then ROOT/boot/config-KVER)\n"
	       "  --cert FILE       the certificate to look for (default: the managed key's,\n"
	       "                    " KEYGEN_DER " in $MODSIGN_KEY_DIR, else cert = (or key =)\n"
	       "                    of " KEYSTORE_DEFAULT_CONFIG ", else " KEYGEN_DER " in its\n"
	       "                    key_dir, else in " KEYSTORE_DEFAULT_DIR ")\n"
	       "  --modules DIR     also classify every *.ko under DIR: managed-key, unsigned,\n"
	       "                    unknown-key, bad; *.ko.gz/.xz/.zst: compressed-not-checked\n"
	       "  --json            one JSON object with the same facts\n"
	       "  -h, --help        show this help\n"
	       "\n"
	       "/proc/keys lists only the keys the reader may view: run as root to see the\n"
	       "kernel's trusted keys.\n"
	       "\n"
	       "Exit status: 0 the status was read (whatever it says); 1 error (a --cert,\n"
	       "--kernel-dir or --modules that cannot be read); 2 usage.\n");
}

static int usage_error(const char *fmt, const char *arg)
{
	return util_usage_error("status", fmt, arg);
}

enum { OPT_ROOT = 256, OPT_KVER, OPT_KERNEL_DIR, OPT_CERT, OPT_MODULES, OPT_JSON };

static const struct option status_options[] = {
	{ "root", required_argument, NULL, OPT_ROOT },
	{ "kver", required_argument, NULL, OPT_KVER },
	{ "kernel-dir", required_argument, NULL, OPT_KERNEL_DIR },
	{ "cert", required_argument, NULL, OPT_CERT },
	{ "modules", required_argument, NULL, OPT_MODULES },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void read_release(struct facts *f, const char *kver, const char *kernel_dir)
{
	struct utsname u;

	f->running = read_line(f->root, "/proc/sys/kernel/osrelease");
	if ((!f->running || !*f->running) && strcmp(f->root, "/") == 0 && uname(&u) == 0) {
		free(f->running);
		f->running = strdup(u.release);
	}
	if (kver) {
		f->kver = strdup(kver);
		f->kver_source = "--kver";
	} else if (kernel_dir) {
		_cleanup_str_ char *rel = NULL;

		f->kver_source = "--kernel-dir";
		if (asprintf(&rel, "%s/include/config/kernel.release", kernel_dir) >= 0) {
			unsigned char *t;
			size_t len;

			if (read_all(rel, &t, &len) == 0) {
				t[strcspn((char *)t, "\n")] = '\0';
				if (*t)
					f->kver = (char *)t;
				else
					free(t);
			}
		}
	} else if (f->running && *f->running) {
		f->kver = strdup(f->running);
		f->kver_source = "running";
	}
	f->is_running = f->kver && f->running && strcmp(f->kver, f->running) == 0;
}

int cmd_status(int argc, char **argv)
{
	_cleanup_(facts_freep) struct facts f = { 0 };
	_cleanup_str_ char *default_cert = NULL;
	const char *kver = NULL, *kernel_dir = NULL, *cert = NULL;
	struct out o = { 0 };
	struct sbuf vb = { .n = 0 };
	int opt;

	f.root = "/";
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":h", status_options, NULL)) != -1) {
		switch (opt) {
		case OPT_ROOT:
			f.root = optarg;
			break;
		case OPT_KVER:
			kver = optarg;
			break;
		case OPT_KERNEL_DIR:
			kernel_dir = optarg;
			break;
		case OPT_CERT:
			cert = optarg;
			break;
		case OPT_MODULES:
			f.modules_dir = optarg;
			break;
		case OPT_JSON:
			o.json = true;
			break;
		case 'h':
			help();
			return EXIT_OK;
		default: /* ':' or '?' */
			return util_getopt_error("status", opt, argv);
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (kver && kernel_dir)
		return usage_error("%s", "--kver and --kernel-dir exclude each other");
	if (!*f.root || (kernel_dir && !*kernel_dir) || (cert && !*cert) ||
	    (f.modules_dir && !*f.modules_dir))
		return usage_error("%s", "an option has an empty value");
	if (kver && (!*kver || strchr(kver, '/') || strcmp(kver, ".") == 0 || strcmp(kver, "..") == 0))
		return usage_error("--kver '%s': not a kernel release", kver);
	if (fileio_check_dir(f.root) < 0 || (kernel_dir && fileio_check_dir(kernel_dir) < 0))
		return EXIT_ERR;
	if (!cert && !(default_cert = managed_cert_path()))
		return EXIT_ERR;
	f.cert_path = cert ? cert : default_cert;

	if (load_cert(&f, cert != NULL) < 0)
		return EXIT_ERR;
	read_release(&f, kver, kernel_dir);
	if (read_config(&f, kernel_dir) < 0) {
		util_err("out of memory");
		return EXIT_ERR;
	}
	read_boot(&f);
	judge_enforcement(&f);
	scan_efi_list(&f, &f.mok, "MokListRT", STATUS_SHIM_GUID);
	scan_efi_list(&f, &f.moknew, "MokNew", STATUS_SHIM_GUID);
	scan_efi_list(&f, &f.mokx, "MokListXRT", STATUS_SHIM_GUID);
	scan_efi_list(&f, &f.db, "db", STATUS_IMAGE_SECURITY_GUID);
	scan_proc_keys(&f);
	judge_trust(&f);
	read_taint(&f);
	if (f.modules_dir && read_modules(&f) < 0)
		return EXIT_ERR;

	verdict(&vb, &f);
	o.first = true;
	if (o.json)
		putchar('{');
	print_kernel(&o, &f);
	print_boot(&o, &f);
	print_key(&o, &f);
	print_taint(&o, &f);
	if (f.modules_dir)
		print_modules(&o, &f);
	if (o.json) {
		json_key(&o, "verdict");
		json_string(vb.s);
		puts("}");
	} else {
		printf("\nverdict: %s\n", vb.s);
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		util_err("standard output: %s", strerror(errno));
		return EXIT_ERR;
	}
	return EXIT_OK;
}

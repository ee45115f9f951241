/* SPDX-License-Identifier: MIT */
/*
 * status: what the running system does with module signatures, read from
 * /proc, /sys, efivarfs and the target kernel's configuration, all under a
 * root prefix so that fixture trees can stand in for a machine.
 *
 * Also the pieces `modsign enroll` shares: the managed key's location, EFI
 * variables, and EFI_SIGNATURE_LIST scanning (MokListRT, MokNew, db).
 */
#ifndef MODSIGN_STATUS_H
#define MODSIGN_STATUS_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The managed key's DER certificate, keystore_dir()/signing_key.x509
 * (malloc'ed; NULL with an error printed).  The one place status and
 * enroll learn where the managed key lives.
 */
char *managed_cert_path(void);

/* The GUID of shim's variables (MokListRT, MokNew, ...). */
#define STATUS_SHIM_GUID "605dab50-e046-4300-abb6-3dd810dd8b23"
/* The GUID of the UEFI security databases (db, dbx). */
#define STATUS_IMAGE_SECURITY_GUID "d719b2cb-3d3a-4596-a3bc-dad00e67656f"
/* The GUID of the global variables (SecureBoot, SetupMode). */
#define STATUS_GLOBAL_GUID "8be4df61-93ca-11d2-aa0d-e398b8230b8c"

/* "ROOT/rel" with ROOT's trailing slashes dropped ("/" gives "/rel");
 * rel starts with '/'.  malloc'ed, NULL on allocation failure. */
char *status_path(const char *root, const char *rel);

/* Whether ROOT/sys/firmware/efi exists: the system was booted with EFI. */
bool status_efi_booted(const char *root);

/*
 * Read the EFI variable NAME-GUID from ROOT/sys/firmware/efi/efivars
 * (4 bytes of attributes, then the data).  Returns 1 with *data (malloc'ed)
 * and *len set to the data without the attributes, 0 when the variable
 * does not exist, -1 on any other error with a short reason in why.
 */
int status_efivar_read(const char *root, const char *name, const char *guid,
		       unsigned char **data, size_t *len, char *why, size_t why_size);

/* What a scan of an EFI_SIGNATURE_LIST sequence found. */
struct status_esl {
	unsigned lists;        /* EFI_SIGNATURE_LISTs read before the end or an error */
	unsigned certs;        /* X.509 entries */
	unsigned hashes;       /* SHA-256 and other hash entries */
	unsigned others;       /* entries of other types */
	bool found;            /* one X.509 entry is byte-identical to the DER looked for */
	bool malformed;        /* the sequence breaks the format at some point */
	char why[160];         /* for malformed: what and where */
};

/*
 * Scan an EFI_SIGNATURE_LIST sequence (UEFI 2.x section 32.4.1), with every
 * length checked against what is left, and look for an X.509 entry equal to
 * der (der may be NULL: only count).  Entries before a malformed list are
 * counted and matched, as the kernel loads them too.  Never fails.
 */
void status_esl_scan(const unsigned char *data, size_t len, const unsigned char *der,
		     size_t der_len, struct status_esl *out);

/*
 * Read shim's MOK list as the kernel does: the EFI MOK variable config
 * table (ROOT/sys/firmware/efi/mok-variables/MokListRT, raw data) when it
 * exists, else the MokListRT EFI variable.  Returns 1 (scanned; *source
 * names the file relative to ROOT/sys/firmware/efi/), 0 (no MOK list), -1
 * (unreadable: reason in why).
 */
int status_moklist_scan(const char *root, const unsigned char *der, size_t der_len,
			struct status_esl *out, const char **source, char *why, size_t why_size);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * trailer: the appended-signature trailer of a kernel module.
 *
 *   [module bytes][CMS DER, sig_len bytes][struct module_signature, 12][marker, 28]
 *
 * Parsed from the end, with the kernel's own range and field checks
 * (kernel/module/signing.c, kernel/module_signature.c).
 */
#ifndef MODSIGN_TRAILER_H
#define MODSIGN_TRAILER_H

#include <stddef.h>
#include <stdint.h>

#define TRAILER_MAGIC "~Module signature appended~\n"
#define TRAILER_MAGIC_LEN 28
#define TRAILER_INFO_LEN 12
#define TRAILER_LEN (TRAILER_INFO_LEN + TRAILER_MAGIC_LEN)
#define TRAILER_ID_PKCS7 2

enum trailer_status {
	TRAILER_NONE,  /* no marker: the module is unsigned */
	TRAILER_OK,    /* well formed by the kernel's rules */
	TRAILER_BAD,   /* marker present but the kernel would refuse the trailer */
};

struct trailer {
	size_t body_len;  /* signed bytes: everything before the CMS blob */
	size_t sig_len;   /* length of the CMS blob at offset body_len */
	uint8_t algo, hash, id_type, signer_len, key_id_len, pad[3];
	int bounds_ok;    /* body_len/sig_len are usable (even if TRAILER_BAD) */
	int kernel_errno; /* EBADMSG or ENOPKG for TRAILER_BAD, else 0 */
	const char *why;  /* reason for TRAILER_BAD, in the kernel's words */
};

enum trailer_status trailer_parse(const uint8_t *data, size_t len, struct trailer *t);

/* The 40 bytes that follow a CMS blob of sig_len bytes. */
void trailer_build(uint8_t out[TRAILER_LEN], uint32_t sig_len);

#endif

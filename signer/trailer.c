/* SPDX-License-Identifier: MIT */
#include "trailer.h"

#include <errno.h>
#include <string.h>

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

enum trailer_status trailer_parse(const uint8_t *data, size_t len, struct trailer *t)
{
	const uint8_t *info;
	size_t modlen;
	uint32_t sig_len;

	memset(t, 0, sizeof(*t));
	t->body_len = len;
	if (len <= TRAILER_MAGIC_LEN ||
	    memcmp(data + len - TRAILER_MAGIC_LEN, TRAILER_MAGIC, TRAILER_MAGIC_LEN) != 0)
		return TRAILER_NONE;

	modlen = len - TRAILER_MAGIC_LEN;
	if (modlen <= TRAILER_INFO_LEN) {
		t->kernel_errno = EBADMSG;
		t->why = "truncated signature trailer";
		return TRAILER_BAD;
	}
	info = data + modlen - TRAILER_INFO_LEN;
	t->algo = info[0];
	t->hash = info[1];
	t->id_type = info[2];
	t->signer_len = info[3];
	t->key_id_len = info[4];
	memcpy(t->pad, info + 5, 3);
	sig_len = get_be32(info + 8);

	/* The kernel: sig_len >= file_len - sizeof(struct module_signature) -> EBADMSG */
	if (sig_len >= modlen - TRAILER_INFO_LEN) {
		t->kernel_errno = EBADMSG;
		t->why = "signature length points outside the file";
		return TRAILER_BAD;
	}
	t->sig_len = sig_len;
	t->body_len = modlen - TRAILER_INFO_LEN - sig_len;
	t->bounds_ok = 1;

	if (t->id_type != TRAILER_ID_PKCS7) {
		t->kernel_errno = ENOPKG;
		t->why = "not signed with expected PKCS#7 message";
		return TRAILER_BAD;
	}
	if (t->algo || t->hash || t->signer_len || t->key_id_len ||
	    t->pad[0] || t->pad[1] || t->pad[2]) {
		t->kernel_errno = EBADMSG;
		t->why = "PKCS#7 signature info has unexpected non-zero params";
		return TRAILER_BAD;
	}
	return TRAILER_OK;
}

void trailer_build(uint8_t out[TRAILER_LEN], uint32_t sig_len)
{
	memset(out, 0, TRAILER_INFO_LEN);
	out[2] = TRAILER_ID_PKCS7;
	out[8] = (uint8_t)(sig_len >> 24);
	out[9] = (uint8_t)(sig_len >> 16);
	out[10] = (uint8_t)(sig_len >> 8);
	out[11] = (uint8_t)sig_len;
	memcpy(out + TRAILER_INFO_LEN, TRAILER_MAGIC, TRAILER_MAGIC_LEN);
}

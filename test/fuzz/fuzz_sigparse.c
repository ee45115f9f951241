/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer: what `modsign info` prints.  The input is a module:
 * sigparse_modinfo() reads it as kmod's modinfo would, and the hex that info
 * prints is formatted; when the trailer is well formed its CMS blob also
 * goes through sigparse_cms(), otherwise the whole input does.
 */
#include <stdlib.h>

#include "fuzz_common.h"
#include "sigparse.h"
#include "trailer.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sigparse_modinfo mi = { 0 };
	struct sigparse sp = { 0 };
	struct trailer t;
	char why[256];
	const uint8_t *der = data;
	size_t der_len = size;

	if (sigparse_modinfo(data, size, &mi) == 0) {
		if (mi.shown) {
			free(sigparse_hex_wrapped(mi.key_id, mi.key_id_len));
			free(sigparse_hex_wrapped(mi.sig, mi.sig_len));
		}
		sigparse_modinfo_free(&mi);
	}
	if (trailer_parse(data, size, &t) == TRAILER_OK) {
		der = data + t.body_len;
		der_len = t.sig_len;
	}
	if (sigparse_cms(der, der_len, &sp, why, sizeof(why)) == 0) {
		free(sigparse_hex_wrapped(sp.key_id, sp.key_id_len));
		free(sigparse_hex_wrapped(sp.sig, sp.sig_len));
		sigparse_free(&sp);
	}
	return 0;
}

/* SPDX-License-Identifier: MIT */
/* libFuzzer: trailer_parse() on arbitrary module bytes, with its promises checked. */
#include <stdlib.h>

#include "fuzz_common.h"
#include "trailer.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct trailer t;
	enum trailer_status st = trailer_parse(data, size, &t);
	uint8_t rebuilt[TRAILER_LEN];

	if (st == TRAILER_OK || (st == TRAILER_BAD && t.bounds_ok)) {
		/* The extents must lie inside the input. */
		if (t.body_len > size || t.sig_len > size - t.body_len ||
		    size - t.body_len - t.sig_len != TRAILER_LEN)
			abort();
	}
	if (st == TRAILER_OK) {
		/* A well-formed trailer is exactly what trailer_build() writes. */
		trailer_build(rebuilt, (uint32_t)t.sig_len);
		for (size_t i = 0; i < TRAILER_LEN; i++)
			if (rebuilt[i] != data[size - TRAILER_LEN + i])
				abort();
	}
	if (st == TRAILER_BAD && !t.why)
		abort();
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer: compressed-module detection and decompression, with a 100 KiB
 * cap (the cap logic does not depend on its value; with 16 MiB three
 * quarters of the time went to writing the zeros of small bombs, and above
 * 128 KiB every output buffer is an mmap under AddressSanitizer).  Each
 * input is decompressed as the format its magic bytes announce and as one
 * other of gzip, xz and zstd (a .ko.xz name on other data).  Whatever
 * decompresses must respect the cap; compress_kernel_refuses() reads the
 * header as each format.  Built with
 * FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION, compress.c limits the zstd
 * window to 32 KiB and xz to 160 KiB (see there): the time went to
 * allocating and freeing large decoder buffers under AddressSanitizer.
 */
#include <stdlib.h>

#include "compress.h"
#include "fuzz_common.h"

#define FUZZ_CAP ((size_t)100 << 10)

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static void one(enum compress_format fmt, const uint8_t *data, size_t size)
{
	unsigned char *out = NULL;
	size_t out_len = 0;

	if (compress_decompress(fmt, data, size, FUZZ_CAP, &out, &out_len, "fuzz") == 0) {
		if (!out || out_len > FUZZ_CAP)
			abort();
		free(out);
	} else if (out) {
		abort(); /* *out is left untouched on error */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum compress_format all[] = { COMPRESS_GZIP, COMPRESS_XZ, COMPRESS_ZSTD };
	enum compress_format fmt = compress_detect(data, size);

	/* the header checks of `modsign verify`: for every format */
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		(void)compress_kernel_refuses(all[i], data, size);
	if (fmt != COMPRESS_NONE)
		one(fmt, data, size);
	/* One other decoder on the same bytes (the last byte picks it; not the
	 * detected one again: every decode costs allocations). */
	if (size > 0 && all[data[size - 1] % 3] != fmt)
		one(all[data[size - 1] % 3], data, size);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * compress: compressed kernel modules (.ko.gz, .ko.xz, .ko.zst) in memory,
 * through zlib, liblzma and libzstd (never an external program).
 *
 * Formats are a table recognised by magic bytes.  Compression uses the
 * parameters of Kbuild's scripts/Makefile.modinst, which the kernel and kmod
 * can load:
 *   gzip  like `gzip -n -f`: level 6, no file name, mtime 0, OS Unix
 *         (the kernel's own gzip loader skips only a name, never extra
 *         fields or a comment, and reads only the first member)
 *   xz    like `xz --check=crc32 --lzma2=dict=1MiB`: one stream, LZMA2
 *         preset 6 with a 1 MiB dictionary, CRC32 check (the kernel's xz
 *         decoder cannot check CRC64, xz's default)
 *   zstd  like `zstd -q`: level 3, content size and XXH64 checksum in the
 *         frame header
 * Decompression accepts what the standard tools accept (multi-member gzip,
 * concatenated xz streams with stream padding, concatenated and skippable
 * zstd frames) and rejects anything after the last member or frame.
 */
#ifndef MODSIGN_COMPRESS_H
#define MODSIGN_COMPRESS_H

#include <stddef.h>

enum compress_format {
	COMPRESS_NONE,
	COMPRESS_GZIP,
	COMPRESS_XZ,
	COMPRESS_ZSTD,
};

/*
 * The default limit on a decompressed module: 1 GiB.  The largest module a
 * distribution kernel ships is about 20 MB (uncompressed), so anything
 * larger is a decompression bomb or not a module; the limit keeps a small
 * file from exhausting memory.  The output buffer grows with the data and
 * never beyond cap + 1 bytes, whatever size a header declares.
 */
#define COMPRESS_DEFAULT_CAP ((size_t)1 << 30)

/* The format whose magic bytes start p[0..n), or COMPRESS_NONE. */
enum compress_format compress_detect(const unsigned char *p, size_t n);

/* The format a file name's suffix announces (".gz", ".xz", ".zst"), or
 * COMPRESS_NONE (".ko" and anything else). */
enum compress_format compress_from_name(const char *path);

/* "gzip", "xz", "zstd" or "none". */
const char *compress_name(enum compress_format fmt);

/* The suffix of a format, with its dot: ".gz", ".xz", ".zst", or "". */
const char *compress_suffix(enum compress_format fmt);

/*
 * Why the kernel's own loader of compressed modules (CONFIG_MODULE_DECOMPRESS,
 * used when kmod hands it the compressed file) would fail to decompress
 * in[0..n) although the standard tools accept it, or NULL.  Looks only at
 * the header of in (its first 12 bytes are enough):
 *   xz    an integrity check other than CRC32 or none (xz's default is
 *         CRC64; the kernel's xz decoder knows only CRC32)
 *   gzip  an extra field, comment or header CRC (the kernel skips only the
 *         10 fixed bytes and a file name)
 */
const char *compress_kernel_refuses(enum compress_format fmt, const unsigned char *in, size_t n);

/*
 * Decompress in[0..n), which must be in format fmt (COMPRESS_NONE copies).
 * At most cap bytes are produced: more is the error "decompressed size
 * exceeds CAP bytes".  On success *out is a malloc'ed buffer (never NULL,
 * even for empty output) of *out_len bytes, and 0 is returned.  On error
 * (wrong format, truncated or corrupt data, trailing garbage, cap exceeded,
 * out of memory) one line "PROG: WHAT: reason" is printed, *out is left
 * untouched and -1 is returned.  what names the input, normally the file.
 */
int compress_decompress(enum compress_format fmt, const unsigned char *in, size_t n,
			size_t cap, unsigned char **out, size_t *out_len, const char *what);

/*
 * Compress in[0..n) in format fmt (COMPRESS_NONE copies) with the
 * parameters above.  Output and errors as for compress_decompress().
 */
int compress_compress(enum compress_format fmt, const unsigned char *in, size_t n,
		      unsigned char **out, size_t *out_len, const char *what);

#endif

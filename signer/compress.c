/* SPDX-License-Identifier: MIT */
#include "compress.h"

#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lzma.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "libload.h"
#include "util.h"

/*
 * One compression or decompression: the output buffer, which grows with
 * the data and never beyond `limit` bytes, and what diagnostics name.
 */
struct job {
	unsigned char *p;
	size_t len;        /* bytes produced */
	size_t size;       /* bytes allocated */
	size_t limit;      /* largest allocation: cap + 1 when decompressing */
	size_t cap;        /* largest output; SIZE_MAX when compressing */
	const char *what;  /* the input, usually a file name */
	const char *name;  /* the format's name */
};

struct format {
	const char *name;
	const char *suffix;
	int (*decompress)(struct job *j, const unsigned char *in, size_t n);
	int (*compress)(struct job *j, const unsigned char *in, size_t n);
	/* an upper bound of the compressed size, to allocate once */
	size_t (*bound)(size_t n);
	/* why the kernel's loader would not decompress it (NULL: it would) */
	const char *(*kernel_refuses)(const unsigned char *in, size_t n);
	struct libload *lib; /* opened before decompress, compress or bound */
};

/* Magic bytes: a file starts with bytes[i] under mask[i]. */
struct magic {
	enum compress_format fmt;
	size_t len;
	unsigned char bytes[6];
	unsigned char mask[6];
};

static const struct magic magics[] = {
	{ COMPRESS_GZIP, 2, { 0x1f, 0x8b }, { 0xff, 0xff } },
	{ COMPRESS_XZ, 6, { 0xfd, '7', 'z', 'X', 'Z', 0x00 }, { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } },
	{ COMPRESS_ZSTD, 4, { 0x28, 0xb5, 0x2f, 0xfd }, { 0xff, 0xff, 0xff, 0xff } },
	/* a skippable frame: 0x184D2A50..0x184D2A5F, little-endian */
	{ COMPRESS_ZSTD, 4, { 0x50, 0x2a, 0x4d, 0x18 }, { 0xf0, 0xff, 0xff, 0xff } },
};

#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))
#define DECOMPRESS_MIN_ALLOC ((size_t)64 * 1024)

/*
 * The decoders allocate the window (zstd) or dictionary (xz) that a header
 * declares, before any output exists.
 *
 * zstd: at most 2^27 bytes (128 MiB), libzstd's default and so what kmod,
 * which decompresses with it, loads.  Nothing smaller is safe: Kbuild's
 * `zstd -T0` (level 3) declares at most 2^21, DKMS's `zstd -T0 -20 --ultra`
 * on a file at most 2^25 (less when the module is smaller: the window is
 * then the module's size), but `--ultra -22` declares up to 2^27 (the
 * module's size up to 128 MiB, 2^27 beyond it or on a pipe), and kmod
 * loads that.  The window is only allocated up to the content size a frame
 * declares.
 *
 * xz: liblzma's memory limit is the cap, and at least enough for every xz
 * preset (-9: 64 MiB dictionary).
 *
 * The libFuzzer build (FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION, the
 * conventional macro) lowers both so that no decoder buffer exceeds 128 KiB
 * (a 32 KiB window; a 160 KiB xz limit): under AddressSanitizer a larger
 * allocation is an mmap, a poisoned shadow and an munmap, and mutated
 * headers declare the largest window they can; with the limits above the
 * harness ran 17 times slower.  The limit checks are the same code.
 */
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
#define ZSTD_WINDOWLOG_LIMIT 15
#define XZ_MIN_MEMLIMIT ((uint64_t)160 << 10)
#else
#define ZSTD_WINDOWLOG_LIMIT 27
#define XZ_MIN_MEMLIMIT ((uint64_t)256 << 20)
#endif

static bool magic_matches(const struct magic *m, const unsigned char *p, size_t n)
{
	if (n < m->len)
		return false;
	for (size_t i = 0; i < m->len; i++)
		if ((p[i] & m->mask[i]) != m->bytes[i])
			return false;
	return true;
}

/* Does p[0..n) start a member of fmt? */
static bool format_starts(enum compress_format fmt, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < N_ELEMENTS(magics); i++)
		if (magics[i].fmt == fmt && magic_matches(&magics[i], p, n))
			return true;
	return false;
}

/* Is p[0..n), shorter than fmt's magic, the beginning of it? */
static bool format_prefix(enum compress_format fmt, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < N_ELEMENTS(magics); i++) {
		const struct magic *m = &magics[i];
		size_t k;

		if (m->fmt != fmt || n >= m->len)
			continue;
		for (k = 0; k < n && (p[k] & m->mask[k]) == m->bytes[k]; k++)
			;
		if (k == n)
			return true;
	}
	return false;
}

enum compress_format compress_detect(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < N_ELEMENTS(magics); i++)
		if (magic_matches(&magics[i], p, n))
			return magics[i].fmt;
	return COMPRESS_NONE;
}

/* ---- the libraries, opened when a format first needs one (libload.h) ---- */

/* Each library's functions, once: its struct of pointers and its table
 * of symbols are both made from the list. */
#define LIB_FN(lib, name) __typeof__(name) *name;
#define LIB_SYM(lib, name) { #name, &lib.name },
#define LIB_TABLES(lib, FNS) \
	static struct { FNS(LIB_FN, lib) } lib; \
	static const struct libload_sym lib##_syms[] = { FNS(LIB_SYM, lib) }

#define ZLIB_FNS(X, lib) \
	X(lib, inflateInit2_) \
	X(lib, inflate) \
	X(lib, inflateReset) \
	X(lib, inflateEnd) \
	X(lib, deflateInit2_) \
	X(lib, deflateSetHeader) \
	X(lib, deflate) \
	X(lib, deflateEnd) \
	X(lib, zError)

LIB_TABLES(zlib, ZLIB_FNS);

#define LZMA_FNS(X, lib) \
	X(lib, lzma_stream_decoder) \
	X(lib, lzma_code) \
	X(lib, lzma_memusage) \
	X(lib, lzma_end) \
	X(lib, lzma_lzma_preset) \
	X(lib, lzma_stream_encoder) \
	X(lib, lzma_stream_buffer_bound)

LIB_TABLES(lzma, LZMA_FNS);

#define ZSTD_FNS(X, lib) \
	X(lib, ZSTD_createDCtx) \
	X(lib, ZSTD_freeDCtx) \
	X(lib, ZSTD_DCtx_setParameter) \
	X(lib, ZSTD_isError) \
	X(lib, ZSTD_getErrorName) \
	X(lib, ZSTD_decompressStream) \
	X(lib, ZSTD_getErrorCode) \
	X(lib, ZSTD_getFrameContentSize) \
	X(lib, ZSTD_createCCtx) \
	X(lib, ZSTD_freeCCtx) \
	X(lib, ZSTD_CCtx_setParameter) \
	X(lib, ZSTD_CCtx_setPledgedSrcSize) \
	X(lib, ZSTD_compressStream2) \
	X(lib, ZSTD_compressBound)

LIB_TABLES(zstd, ZSTD_FNS);

static struct libload zlib_lib = LIBLOAD_INIT("libz.so.1", "zlib1g", zlib_syms);
static struct libload lzma_lib = LIBLOAD_INIT("liblzma.so.5", "liblzma5", lzma_syms);
static struct libload zstd_lib = LIBLOAD_INIT("libzstd.so.1", "libzstd1", zstd_syms);

/* ---- diagnostics and the output buffer ---- */

static int job_fail(const struct job *j, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int job_fail(const struct job *j, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	util_err("%s: %s", j->what, msg);
	return -1;
}

static int job_exceeds(const struct job *j)
{
	return job_fail(j, "decompressed size exceeds %zu bytes", j->cap);
}

/* The same error before decompressing, when a header declares the size. */
static int job_exceeds_declared(const struct job *j, unsigned long long declared)
{
	return job_fail(j, "decompressed size exceeds %zu bytes (a %s header declares %llu)",
			j->cap, j->name, declared);
}

/*
 * Make room for more output: double the buffer (at least `first` bytes),
 * never beyond the limit.  A full buffer at the limit means the output is
 * larger than the cap.
 */
static int job_grow(struct job *j, size_t first)
{
	size_t want;
	unsigned char *p;

	if (j->size >= j->limit)
		return j->cap < j->limit ? job_exceeds(j) : job_fail(j, "out of memory");
	if (j->size == 0)
		want = first ? first : 1;
	else
		want = j->size > SIZE_MAX / 2 ? SIZE_MAX : j->size * 2;
	if (want > j->limit)
		want = j->limit;
	p = realloc(j->p, want);
	if (!p)
		return job_fail(j, "out of memory (%zu bytes)", want);
	j->p = p;
	j->size = want;
	return 0;
}

static int job_ensure_room(struct job *j)
{
	return j->len < j->size ? 0 : job_grow(j, DECOMPRESS_MIN_ALLOC);
}

static int fail_truncated(const struct job *j)
{
	return job_fail(j, "truncated %s data (unexpected end of input)", j->name);
}

static int fail_garbage(const struct job *j)
{
	return job_fail(j, "trailing garbage after %s data", j->name);
}

/* ---- none: a copy ---- */

static int none_copy(struct job *j, const unsigned char *in, size_t n)
{
	if (n > j->cap)
		return job_exceeds(j);
	if (job_grow(j, n) < 0)
		return -1;
	if (n)
		memcpy(j->p, in, n);
	j->len = n;
	return 0;
}

static size_t none_bound(size_t n)
{
	return n;
}

/* ---- gzip (zlib) ---- */

/* zlib counts in uInt: feed larger buffers in pieces. */
static uInt z_chunk(size_t n)
{
	return n > UINT_MAX ? UINT_MAX : (uInt)n;
}

static int gzip_decompress(struct job *j, const unsigned char *in, size_t n)
{
	z_stream s = { 0 };
	size_t pos = 0;
	int ret = -1;

	/* 15 + 16: a gzip wrapper, with header and CRC32/ISIZE checks */
	if (zlib.inflateInit2_(&s, 15 + 16, ZLIB_VERSION, (int)sizeof(s)) != Z_OK)
		return job_fail(j, "cannot initialise zlib: %s", s.msg ? s.msg : "out of memory");
	for (;;) {
		int rc;

		if (job_ensure_room(j) < 0)
			goto out;
		s.next_in = (Bytef *)(uintptr_t)(in + pos);
		s.avail_in = z_chunk(n - pos);
		s.next_out = j->p + j->len;
		s.avail_out = z_chunk(j->size - j->len);
		rc = zlib.inflate(&s, Z_NO_FLUSH);
		pos = (size_t)(s.next_in - in);
		j->len = (size_t)(s.next_out - j->p);

		if (rc == Z_STREAM_END) {
			/* one member done: more may follow, as gzip -d reads them */
			if (pos == n)
				break;
			if (!format_starts(COMPRESS_GZIP, in + pos, n - pos)) {
				if (format_prefix(COMPRESS_GZIP, in + pos, n - pos))
					fail_truncated(j);
				else
					fail_garbage(j);
				goto out;
			}
			if (zlib.inflateReset(&s) != Z_OK) {
				job_fail(j, "cannot reset zlib");
				goto out;
			}
			continue;
		}
		if (rc == Z_OK)
			continue;
		if (rc == Z_BUF_ERROR && j->len == j->size)
			continue; /* output full: grow */
		if (rc == Z_BUF_ERROR && pos == n) {
			fail_truncated(j);
			goto out;
		}
		if (rc == Z_MEM_ERROR)
			job_fail(j, "out of memory");
		else
			job_fail(j, "corrupt gzip data: %s", s.msg ? s.msg : zlib.zError(rc));
		goto out;
	}
	ret = 0;
out:
	zlib.inflateEnd(&s);
	return ret;
}

static int gzip_compress(struct job *j, const unsigned char *in, size_t n)
{
	/* as `gzip -n`: no name, no comment, mtime 0, OS 3 (Unix) */
	gz_header h = { .os = 3 };
	z_stream s = { 0 };
	size_t pos = 0;
	int ret = -1;

	if (zlib.deflateInit2_(&s, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION,
			       (int)sizeof(s)) != Z_OK)
		return job_fail(j, "cannot initialise zlib: %s", s.msg ? s.msg : "out of memory");
	if (zlib.deflateSetHeader(&s, &h) != Z_OK) {
		job_fail(j, "cannot set the gzip header");
		goto out;
	}
	for (;;) {
		size_t left = n - pos;
		int rc;

		if (job_ensure_room(j) < 0)
			goto out;
		s.next_in = (Bytef *)(uintptr_t)(in + pos);
		s.avail_in = z_chunk(left);
		s.next_out = j->p + j->len;
		s.avail_out = z_chunk(j->size - j->len);
		rc = zlib.deflate(&s, left <= UINT_MAX ? Z_FINISH : Z_NO_FLUSH);
		pos = (size_t)(s.next_in - in);
		j->len = (size_t)(s.next_out - j->p);
		if (rc == Z_STREAM_END)
			break;
		if (rc != Z_OK && !(rc == Z_BUF_ERROR && j->len == j->size)) {
			job_fail(j, "gzip compression failed: %s", s.msg ? s.msg : zlib.zError(rc));
			goto out;
		}
	}
	ret = 0;
out:
	zlib.deflateEnd(&s);
	return ret;
}

static size_t gzip_bound(size_t n)
{
	/* deflateBound() of zlib's stored-block worst case, plus the gzip
	 * header (10) and trailer (8) */
	if (n > SIZE_MAX / 2)
		return n; /* grown as needed */
	return n + (n >> 12) + (n >> 14) + (n >> 25) + 13 + 18;
}

/* The kernel (kernel/module/decompress.c) skips the 10 fixed header bytes
 * and a file name, and inflates what follows: FHCRC, FEXTRA or FCOMMENT
 * would be read as deflate data. */
#define GZIP_FLAGS_OFFSET 3
#define GZIP_KERNEL_UNREAD 0x16

static const char *gzip_kernel_refuses(const unsigned char *in, size_t n)
{
	if (n > GZIP_FLAGS_OFFSET && (in[GZIP_FLAGS_OFFSET] & GZIP_KERNEL_UNREAD))
		return "gzip header with an extra field, comment or header CRC: the kernel's loader skips only a file name";
	return NULL;
}

/* ---- xz (liblzma) ---- */

static const char *lzma_reason(lzma_ret rc)
{
	switch (rc) {
	case LZMA_MEM_ERROR: return "out of memory";
	case LZMA_MEMLIMIT_ERROR: return "memory usage limit reached";
	case LZMA_FORMAT_ERROR: return "file format not recognized";
	case LZMA_OPTIONS_ERROR: return "unsupported options";
	case LZMA_DATA_ERROR: return "compressed data is corrupt";
	case LZMA_BUF_ERROR: return "unexpected end of input";
	case LZMA_UNSUPPORTED_CHECK: return "unsupported integrity check";
	case LZMA_PROG_ERROR: return "internal error";
	default: return "unknown error";
	}
}

/* Decode one xz stream from in[*pos..n), advancing *pos past it. */
static int xz_decode_stream(struct job *j, const unsigned char *in, size_t n, size_t *pos)
{
	lzma_stream s = LZMA_STREAM_INIT;
	uint64_t memlimit = j->cap > XZ_MIN_MEMLIMIT ? j->cap : XZ_MIN_MEMLIMIT;
	lzma_ret rc;
	int ret = -1;

	/* The dictionary is allocated at the size the header declares (up to
	 * 4 GiB): limit it to the cap, or to what xz -9 needs when the cap is
	 * small. */
	rc = lzma.lzma_stream_decoder(&s, memlimit, 0);
	if (rc != LZMA_OK)
		return job_fail(j, "cannot initialise liblzma: %s", lzma_reason(rc));
	for (;;) {
		if (job_ensure_room(j) < 0)
			goto out;
		s.next_in = in + *pos;
		s.avail_in = n - *pos;
		s.next_out = j->p + j->len;
		s.avail_out = j->size - j->len;
		rc = lzma.lzma_code(&s, LZMA_FINISH);
		*pos = (size_t)(s.next_in - in);
		j->len = (size_t)(s.next_out - j->p);
		if (rc == LZMA_STREAM_END)
			break;
		if (rc == LZMA_OK)
			continue;
		if (rc == LZMA_BUF_ERROR && j->len == j->size)
			continue; /* output full: grow */
		if (rc == LZMA_BUF_ERROR && *pos == n) {
			fail_truncated(j);
			goto out;
		}
		if (rc == LZMA_MEM_ERROR)
			job_fail(j, "out of memory");
		else if (rc == LZMA_MEMLIMIT_ERROR)
			job_fail(j, "xz data needs %llu MiB of memory to decompress, more than the limit of %llu MiB",
				 (unsigned long long)(lzma.lzma_memusage(&s) >> 20),
				 (unsigned long long)(memlimit >> 20));
		else
			job_fail(j, "corrupt xz data: %s", lzma_reason(rc));
		goto out;
	}
	ret = 0;
out:
	lzma.lzma_end(&s);
	return ret;
}

static int xz_decompress(struct job *j, const unsigned char *in, size_t n)
{
	size_t pos = 0;

	/* Streams, each optionally followed by stream padding (zero bytes, a
	 * multiple of 4), as `xz -d` reads concatenated files. */
	for (;;) {
		size_t zeros;

		if (xz_decode_stream(j, in, n, &pos) < 0)
			return -1;
		for (zeros = 0; pos + zeros < n && in[pos + zeros] == 0; zeros++)
			;
		if (zeros % 4 != 0)
			return fail_garbage(j);
		pos += zeros;
		if (pos == n)
			return 0;
		if (!format_starts(COMPRESS_XZ, in + pos, n - pos))
			return format_prefix(COMPRESS_XZ, in + pos, n - pos) ?
				fail_truncated(j) : fail_garbage(j);
	}
}

static int xz_compress(struct job *j, const unsigned char *in, size_t n)
{
	/* as `xz --check=crc32 --lzma2=dict=1MiB`: preset 6, 1 MiB dictionary */
	lzma_options_lzma opt;
	lzma_filter filters[] = {
		{ .id = LZMA_FILTER_LZMA2, .options = &opt },
		{ .id = LZMA_VLI_UNKNOWN, .options = NULL },
	};
	lzma_stream s = LZMA_STREAM_INIT;
	lzma_ret rc;
	size_t pos = 0;
	int ret = -1;

	if (lzma.lzma_lzma_preset(&opt, 6))
		return job_fail(j, "cannot set the xz preset");
	opt.dict_size = 1U << 20;
	rc = lzma.lzma_stream_encoder(&s, filters, LZMA_CHECK_CRC32);
	if (rc != LZMA_OK)
		return job_fail(j, "cannot initialise liblzma: %s", lzma_reason(rc));
	for (;;) {
		if (job_ensure_room(j) < 0)
			goto out;
		s.next_in = in + pos;
		s.avail_in = n - pos;
		s.next_out = j->p + j->len;
		s.avail_out = j->size - j->len;
		rc = lzma.lzma_code(&s, LZMA_FINISH);
		pos = (size_t)(s.next_in - in);
		j->len = (size_t)(s.next_out - j->p);
		if (rc == LZMA_STREAM_END)
			break;
		if (rc != LZMA_OK && !(rc == LZMA_BUF_ERROR && j->len == j->size)) {
			job_fail(j, "xz compression failed: %s", lzma_reason(rc));
			goto out;
		}
	}
	ret = 0;
out:
	lzma.lzma_end(&s);
	return ret;
}

static size_t xz_bound(size_t n)
{
	size_t b = lzma.lzma_stream_buffer_bound(n);

	return b ? b : n;
}

/* Stream header: 6 magic bytes, then the stream flags 0x00 and the check
 * ID.  The kernel's xz decoder (lib/xz) knows CRC32 and none only. */
#define XZ_CHECK_OFFSET 7

#define XZ_KERNEL_CHECKS "the kernel's xz decoder knows only CRC32 (xz --check=crc32)"

static const struct {
	unsigned char id;
	const char *why;
} xz_checks[] = {
	{ LZMA_CHECK_CRC64, "xz integrity check CRC64: " XZ_KERNEL_CHECKS },
	{ LZMA_CHECK_SHA256, "xz integrity check SHA-256: " XZ_KERNEL_CHECKS },
};

static const char *xz_kernel_refuses(const unsigned char *in, size_t n)
{
	unsigned char id;

	if (n <= XZ_CHECK_OFFSET)
		return NULL;
	id = in[XZ_CHECK_OFFSET] & 0x0f;
	if (id == LZMA_CHECK_NONE || id == LZMA_CHECK_CRC32)
		return NULL;
	for (size_t i = 0; i < N_ELEMENTS(xz_checks); i++)
		if (xz_checks[i].id == id)
			return xz_checks[i].why;
	return "xz integrity check of a reserved type: " XZ_KERNEL_CHECKS;
}

/* ---- zstd (libzstd) ---- */

static void zstd_dctx_freep(ZSTD_DCtx **d) { zstd.ZSTD_freeDCtx(*d); }
static void zstd_cctx_freep(ZSTD_CCtx **c) { zstd.ZSTD_freeCCtx(*c); }

/*
 * A bomb announced in a frame header: the content size it declares (if it
 * does) would take the output beyond the cap.  Checked at the start of each
 * frame, before anything is decompressed or allocated for it.
 */
static int zstd_check_declared(const struct job *j, const unsigned char *p, size_t n)
{
	unsigned long long size = zstd.ZSTD_getFrameContentSize(p, n);

	/* unknown, or a bad header that decompression will report */
	if (size == ZSTD_CONTENTSIZE_UNKNOWN || size == ZSTD_CONTENTSIZE_ERROR)
		return 0;
	if (j->len > j->cap || size > j->cap - j->len)
		return job_exceeds_declared(j, size);
	return 0;
}

static int zstd_fail_window(const struct job *j)
{
	const unsigned long long limit = 1ULL << ZSTD_WINDOWLOG_LIMIT;
	const bool mib = limit >= (1ULL << 20);

	return job_fail(j, "zstd data needs a window larger than the limit of %llu %s",
			mib ? limit >> 20 : limit >> 10, mib ? "MiB" : "KiB");
}

static int zstd_decompress(struct job *j, const unsigned char *in, size_t n)
{
	_cleanup_(zstd_dctx_freep) ZSTD_DCtx *d = zstd.ZSTD_createDCtx();
	ZSTD_inBuffer ib = { in, n, 0 };
	size_t rc;

	if (!d)
		return job_fail(j, "cannot initialise libzstd: out of memory");
	rc = zstd.ZSTD_DCtx_setParameter(d, ZSTD_d_windowLogMax, ZSTD_WINDOWLOG_LIMIT);
	if (zstd.ZSTD_isError(rc))
		return job_fail(j, "cannot set the zstd window limit: %s", zstd.ZSTD_getErrorName(rc));
	if (zstd_check_declared(j, in, n) < 0)
		return -1;
	for (;;) {
		ZSTD_outBuffer ob;

		if (job_ensure_room(j) < 0)
			return -1;
		ob = (ZSTD_outBuffer){ j->p, j->size, j->len };
		rc = zstd.ZSTD_decompressStream(d, &ob, &ib);
		j->len = ob.pos;
		if (zstd.ZSTD_getErrorCode(rc) == ZSTD_error_frameParameter_windowTooLarge)
			return zstd_fail_window(j);
		if (zstd.ZSTD_isError(rc))
			return job_fail(j, "corrupt zstd data: %s", zstd.ZSTD_getErrorName(rc));
		if (rc == 0) {
			/* a frame done and flushed: more frames may follow */
			if (ib.pos == ib.size)
				return 0;
			if (!format_starts(COMPRESS_ZSTD, in + ib.pos, n - ib.pos))
				return format_prefix(COMPRESS_ZSTD, in + ib.pos, n - ib.pos) ?
					fail_truncated(j) : fail_garbage(j);
			if (zstd_check_declared(j, in + ib.pos, n - ib.pos) < 0)
				return -1;
			continue;
		}
		/* room left for output and no input left, but the frame wants more */
		if (ib.pos == ib.size && ob.pos < ob.size)
			return fail_truncated(j);
	}
}

static int zstd_set(struct job *j, ZSTD_CCtx *c, ZSTD_cParameter param, int value)
{
	size_t rc = zstd.ZSTD_CCtx_setParameter(c, param, value);

	if (zstd.ZSTD_isError(rc))
		return job_fail(j, "cannot set a zstd parameter: %s", zstd.ZSTD_getErrorName(rc));
	return 0;
}

static int zstd_compress(struct job *j, const unsigned char *in, size_t n)
{
	_cleanup_(zstd_cctx_freep) ZSTD_CCtx *c = zstd.ZSTD_createCCtx();
	ZSTD_inBuffer ib = { in, n, 0 };
	size_t rc;

	if (!c)
		return job_fail(j, "cannot initialise libzstd: out of memory");
	/* as the zstd tool: level 3, content size and checksum in the frame */
	if (zstd_set(j, c, ZSTD_c_compressionLevel, 3) < 0 ||
	    zstd_set(j, c, ZSTD_c_checksumFlag, 1) < 0 ||
	    zstd_set(j, c, ZSTD_c_contentSizeFlag, 1) < 0)
		return -1;
	/*
	 * The zstd tool (and Kbuild's `zstd -T0`) compresses in multi-threaded
	 * mode, whose output is the same for any number of workers but not the
	 * same as single-threaded mode beyond one job (inputs over ~8 MiB).
	 * One worker gives byte-identical output; a libzstd built without
	 * threads refuses the parameter and compresses single-threaded.
	 */
	(void)zstd.ZSTD_CCtx_setParameter(c, ZSTD_c_nbWorkers, 1);
	rc = zstd.ZSTD_CCtx_setPledgedSrcSize(c, n);
	if (zstd.ZSTD_isError(rc))
		return job_fail(j, "zstd compression failed: %s", zstd.ZSTD_getErrorName(rc));
	do {
		ZSTD_outBuffer ob;

		if (job_ensure_room(j) < 0)
			return -1;
		ob = (ZSTD_outBuffer){ j->p, j->size, j->len };
		rc = zstd.ZSTD_compressStream2(c, &ob, &ib, ZSTD_e_end);
		j->len = ob.pos;
		if (zstd.ZSTD_isError(rc))
			return job_fail(j, "zstd compression failed: %s", zstd.ZSTD_getErrorName(rc));
	} while (rc != 0);
	return 0;
}

static size_t zstd_bound(size_t n)
{
	size_t b = zstd.ZSTD_compressBound(n);

	return zstd.ZSTD_isError(b) ? n : b;
}

/* ---- the table ---- */

static const struct format formats[] = {
	[COMPRESS_NONE] = { "none", "", none_copy, none_copy, none_bound, NULL, NULL },
	[COMPRESS_GZIP] = { "gzip", ".gz", gzip_decompress, gzip_compress, gzip_bound, gzip_kernel_refuses,
			    &zlib_lib },
	[COMPRESS_XZ] = { "xz", ".xz", xz_decompress, xz_compress, xz_bound, xz_kernel_refuses, &lzma_lib },
	[COMPRESS_ZSTD] = { "zstd", ".zst", zstd_decompress, zstd_compress, zstd_bound, NULL, &zstd_lib },
};

static const struct format *format_get(enum compress_format fmt)
{
	return (size_t)fmt < N_ELEMENTS(formats) ? &formats[fmt] : NULL;
}

const char *compress_name(enum compress_format fmt)
{
	const struct format *f = format_get(fmt);

	return f ? f->name : "unknown";
}

const char *compress_suffix(enum compress_format fmt)
{
	const struct format *f = format_get(fmt);

	return f ? f->suffix : "";
}

enum compress_format compress_from_name(const char *path)
{
	size_t len = path ? strlen(path) : 0;

	for (size_t i = 0; i < N_ELEMENTS(formats); i++) {
		size_t sl = strlen(formats[i].suffix);

		if (sl && len > sl && strcmp(path + len - sl, formats[i].suffix) == 0)
			return (enum compress_format)i;
	}
	return COMPRESS_NONE;
}

const char *compress_kernel_refuses(enum compress_format fmt, const unsigned char *in, size_t n)
{
	const struct format *f = format_get(fmt);

	if (!f || !f->kernel_refuses || !in || !format_starts(fmt, in, n))
		return NULL;
	return f->kernel_refuses(in, n);
}

/* Run one direction of a format; hand the buffer over on success. */
static int run(enum compress_format fmt, bool decompress, const unsigned char *in, size_t n,
	       size_t cap, unsigned char **out, size_t *out_len, const char *what)
{
	const struct format *f = format_get(fmt);
	struct job j = {
		.cap = cap,
		.limit = cap < SIZE_MAX ? cap + 1 : SIZE_MAX,
		.what = what ? what : "(input)",
	};
	int rc;

	if (!f)
		return job_fail(&j, "unknown compression format %d", (int)fmt);
	j.name = f->name;
	if (!in)
		in = (const unsigned char *)""; /* n is 0: no NULL arithmetic */
	if (decompress && fmt != COMPRESS_NONE && !format_starts(fmt, in, n)) {
		if (format_prefix(fmt, in, n))
			return fail_truncated(&j);
		return job_fail(&j, "not %s data (no %s magic)", f->name, f->name);
	}
	if (f->lib && libload_open(f->lib, j.what) < 0)
		return -1;
	if (!decompress && fmt != COMPRESS_NONE && job_grow(&j, f->bound(n)) < 0)
		return -1;
	rc = decompress ? f->decompress(&j, in, n) : f->compress(&j, in, n);
	if (rc == 0 && j.len > j.cap)
		rc = job_exceeds(&j);
	if (rc == 0 && !j.p)
		rc = job_grow(&j, 1); /* an empty result is still a buffer */
	if (rc < 0) {
		free(j.p);
		return -1;
	}
	if (j.size - j.len > j.size / 4) {
		/* give back what the bound or the last doubling overestimated */
		unsigned char *p = realloc(j.p, j.len ? j.len : 1);

		if (p)
			j.p = p;
	}
	*out = TAKE_PTR(j.p);
	*out_len = j.len;
	return 0;
}

int compress_decompress(enum compress_format fmt, const unsigned char *in, size_t n,
			size_t cap, unsigned char **out, size_t *out_len, const char *what)
{
	return run(fmt, true, in, n, cap, out, out_len, what);
}

int compress_compress(enum compress_format fmt, const unsigned char *in, size_t n,
		      unsigned char **out, size_t *out_len, const char *what)
{
	return run(fmt, false, in, n, SIZE_MAX, out, out_len, what);
}

/* SPDX-License-Identifier: MIT */
/*
 * test-compress: unit tests of signer/compress.c, and a small command line
 * that test/compress.bats uses to compare it with gzip, xz and zstd.
 *
 *   test-compress roundtrip                       TAP unit tests ($DEMO_KO)
 *   test-compress compress FORMAT IN OUT          FORMAT: gzip xz zstd none
 *   test-compress decompress FORMAT IN OUT [--cap N]   FORMAT also: auto
 *   test-compress detect FILE                     print the format by magic
 *
 * Exit status: 0 ok, 1 error or a failed test, 2 usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lzma.h>
#include <zstd.h>

#include "compress.h"
#include "fileio.h"
#include "tap.h"
#include "util.h"

static const enum compress_format all_formats[] = {
	COMPRESS_GZIP, COMPRESS_XZ, COMPRESS_ZSTD,
};
#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))

/* ---- stderr capture: the errors the library prints ---- */

struct capture {
	int saved;
	FILE *tmp;
	char text[1024];
};

static void capture_begin(struct capture *c)
{
	fflush(stderr);
	c->tmp = tmpfile();
	c->saved = dup(STDERR_FILENO);
	if (!c->tmp || c->saved < 0) {
		perror("test-compress: capture");
		exit(EXIT_ERR);
	}
	dup2(fileno(c->tmp), STDERR_FILENO);
}

static void capture_end(struct capture *c)
{
	size_t n;

	fflush(stderr);
	dup2(c->saved, STDERR_FILENO);
	close(c->saved);
	rewind(c->tmp);
	n = fread(c->text, 1, sizeof(c->text) - 1, c->tmp);
	c->text[n] = '\0';
	fclose(c->tmp);
}

/* Exactly one line, containing `want`. */
static bool one_line_with(const char *text, const char *want)
{
	const char *nl = strchr(text, '\n');

	return nl && nl[1] == '\0' && strstr(text, want) != NULL;
}

/* ---- helpers ---- */

struct buf {
	unsigned char *p;
	size_t n;
};

static void buf_freep(struct buf *b) { free(b->p); }
#define _cleanup_buf_ _cleanup_(buf_freep)

static bool same(const struct buf *a, const unsigned char *p, size_t n)
{
	return a->n == n && (n == 0 || memcmp(a->p, p, n) == 0);
}

/* Decompress expecting failure; the one-line error must contain `want`. */
static bool expect_error(enum compress_format fmt, const unsigned char *in, size_t n,
			 size_t cap, const char *want, const char *label)
{
	struct capture c;
	unsigned char *out = NULL;
	size_t out_len = 0;
	int rc;

	capture_begin(&c);
	rc = compress_decompress(fmt, in, n, cap, &out, &out_len, "input.bin");
	capture_end(&c);
	free(out);
	if (!tap(rc == -1 && out == NULL && one_line_with(c.text, want) &&
		 strstr(c.text, "input.bin: ") != NULL,
		 "%s: %s: one-line error with \"%s\"", compress_name(fmt), label, want))
		diag("rc=%d, stderr: %s", rc, c.text);
	return rc == -1;
}

/* A reproducible pseudo-random stream (xorshift64*). */
static void fill_random(unsigned char *p, size_t n, uint64_t seed)
{
	uint64_t x = seed | 1;

	for (size_t i = 0; i < n; i++) {
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		p[i] = (unsigned char)((x * 0x2545F4914F6CDD1DULL) >> 56);
	}
}

/* ---- the unit tests ---- */

static void test_tables(void)
{
	static const struct {
		const char *path;
		enum compress_format fmt;
	} names[] = {
		{ "a.ko.gz", COMPRESS_GZIP }, { "dir.x/a.ko.xz", COMPRESS_XZ },
		{ "/lib/modules/k/a.ko.zst", COMPRESS_ZSTD }, { "a.ko", COMPRESS_NONE },
		{ "a.ko.zstd", COMPRESS_NONE }, { "a.ko.gz.orig", COMPRESS_NONE },
		{ ".gz", COMPRESS_NONE }, { "", COMPRESS_NONE }, { "a.ko.bz2", COMPRESS_NONE },
	};
	static const unsigned char gz[] = { 0x1f, 0x8b, 0x08 }, xz[] = { 0xfd, '7', 'z', 'X', 'Z', 0 },
		zst[] = { 0x28, 0xb5, 0x2f, 0xfd }, skip[] = { 0x5e, 0x2a, 0x4d, 0x18, 0, 0, 0, 0 },
		elf[] = { 0x7f, 'E', 'L', 'F' };

	for (size_t i = 0; i < N_ELEMENTS(names); i++)
		tap(compress_from_name(names[i].path) == names[i].fmt,
		    "compress_from_name(\"%s\") is %s", names[i].path, compress_name(names[i].fmt));
	tap(strcmp(compress_name(COMPRESS_NONE), "none") == 0 &&
	    strcmp(compress_name(COMPRESS_GZIP), "gzip") == 0 &&
	    strcmp(compress_name(COMPRESS_XZ), "xz") == 0 &&
	    strcmp(compress_name(COMPRESS_ZSTD), "zstd") == 0,
	    "compress_name: none, gzip, xz, zstd");
	tap(strcmp(compress_suffix(COMPRESS_GZIP), ".gz") == 0 &&
	    strcmp(compress_suffix(COMPRESS_XZ), ".xz") == 0 &&
	    strcmp(compress_suffix(COMPRESS_ZSTD), ".zst") == 0 &&
	    strcmp(compress_suffix(COMPRESS_NONE), "") == 0,
	    "compress_suffix: .gz, .xz, .zst, empty");
	tap(compress_detect(gz, sizeof(gz)) == COMPRESS_GZIP &&
	    compress_detect(xz, sizeof(xz)) == COMPRESS_XZ &&
	    compress_detect(zst, sizeof(zst)) == COMPRESS_ZSTD &&
	    compress_detect(skip, sizeof(skip)) == COMPRESS_ZSTD &&
	    compress_detect(elf, sizeof(elf)) == COMPRESS_NONE &&
	    compress_detect(xz, 5) == COMPRESS_NONE && compress_detect(gz, 0) == COMPRESS_NONE &&
	    compress_detect(NULL, 0) == COMPRESS_NONE,
	    "compress_detect by magic (skippable zstd frame too; short input is none)");
}

/* Headers carry what Kbuild's compressors write and what the kernel needs. */
static void check_headers(enum compress_format fmt, const struct buf *c, size_t n, const char *label)
{
	const unsigned char *p = c->p;

	switch (fmt) {
	case COMPRESS_GZIP:
		/* ID1 ID2 CM=8 FLG=0 MTIME=0 XFL=0 OS=3 */
		tap(c->n >= 18 && p[2] == 8 && p[3] == 0 && !p[4] && !p[5] && !p[6] && !p[7] &&
		    p[8] == 0 && p[9] == 3,
		    "gzip %s: header as gzip -n: no name, mtime 0, XFL 0, OS Unix", label);
		break;
	case COMPRESS_XZ: {
		lzma_filter filters[LZMA_FILTERS_MAX + 1];
		lzma_block block = { .version = 0, .check = LZMA_CHECK_CRC32, .filters = filters };
		lzma_options_lzma *o;
		bool good;

		/* stream flags: check type 1 = CRC32 */
		if (!tap(c->n >= 12 + 8 && p[6] == 0 && p[7] == LZMA_CHECK_CRC32,
			 "xz %s: stream check is CRC32", label))
			break;
		if (n == 0) /* no block */
			break;
		block.header_size = lzma_block_header_size_decode(p[12]);
		good = lzma_block_header_decode(&block, NULL, p + 12) == LZMA_OK;
		o = good ? filters[0].options : NULL;
		tap(good && filters[0].id == LZMA_FILTER_LZMA2 && filters[1].id == LZMA_VLI_UNKNOWN &&
		    o && o->dict_size == 1U << 20,
		    "xz %s: one block, LZMA2 only, 1 MiB dictionary", label);
		for (size_t i = 0; good && filters[i].id != LZMA_VLI_UNKNOWN; i++)
			free(filters[i].options);
		break;
	}
	case COMPRESS_ZSTD:
		/* frame header descriptor, bit 2: content checksum */
		tap(c->n > 5 && (p[4] & 0x04) && ZSTD_getFrameContentSize(p, c->n) == n,
		    "zstd %s: frame with content size %zu and checksum", label, n);
		break;
	case COMPRESS_NONE:
		break;
	}
}

static void test_roundtrip(enum compress_format fmt, const unsigned char *in, size_t n,
			   const char *label)
{
	_cleanup_buf_ struct buf c = { 0 }, d = { 0 }, e = { 0 };
	const char *name = compress_name(fmt);

	if (!tap(compress_compress(fmt, in, n, &c.p, &c.n, label) == 0 && c.p,
		 "%s %s: compresses (%zu -> %zu bytes)", name, label, n, c.n))
		return;
	tap(compress_detect(c.p, c.n) == fmt, "%s %s: the output is detected as %s", name, label, name);
	check_headers(fmt, &c, n, label);
	tap(compress_decompress(fmt, c.p, c.n, COMPRESS_DEFAULT_CAP, &d.p, &d.n, label) == 0 &&
	    d.p && same(&d, in, n),
	    "%s %s: decompresses to the same %zu bytes", name, label, n);
	/* the cap is inclusive: exactly n bytes are allowed, n - 1 are not */
	tap(compress_decompress(fmt, c.p, c.n, n, &e.p, &e.n, label) == 0 && same(&e, in, n),
	    "%s %s: a cap of exactly %zu bytes is enough", name, label, n);
	if (n > 0) {
		char want[64];

		snprintf(want, sizeof(want), "decompressed size exceeds %zu bytes", n - 1);
		expect_error(fmt, c.p, c.n, n - 1, want, "cap one byte short");
	}
}

/* Every member is decompressed, as gzip -d / xz -d / zstd -d do. */
static void test_concatenated(enum compress_format fmt, const unsigned char *a, size_t na,
			      const unsigned char *b, size_t nb)
{
	_cleanup_buf_ struct buf ca = { 0 }, cb = { 0 }, d = { 0 }, cat = { 0 }, want = { 0 };
	size_t pad = fmt == COMPRESS_XZ ? 8 : 0; /* xz stream padding: a multiple of 4 */
	const char *name = compress_name(fmt);

	if (compress_compress(fmt, a, na, &ca.p, &ca.n, "a") < 0 ||
	    compress_compress(fmt, b, nb, &cb.p, &cb.n, "b") < 0) {
		tap(false, "%s: concatenation: compress", name);
		return;
	}
	cat.n = ca.n + pad + cb.n + pad;
	cat.p = calloc(1, cat.n);
	want.n = na + nb;
	want.p = malloc(want.n);
	if (!cat.p || !want.p)
		exit(EXIT_ERR);
	memcpy(cat.p, ca.p, ca.n);
	memcpy(cat.p + ca.n + pad, cb.p, cb.n);
	memcpy(want.p, a, na);
	memcpy(want.p + na, b, nb);
	tap(compress_decompress(fmt, cat.p, cat.n, COMPRESS_DEFAULT_CAP, &d.p, &d.n, "cat") == 0 &&
	    same(&d, want.p, want.n),
	    "%s: two concatenated members%s decompress to both inputs", name,
	    pad ? " with stream padding" : "");
	if (fmt == COMPRESS_XZ)
		expect_error(fmt, cat.p, cat.n - 3, COMPRESS_DEFAULT_CAP, "trailing garbage",
			     "stream padding not a multiple of 4");
	/* the cap counts the members together */
	expect_error(fmt, cat.p, cat.n, want.n - 1, "exceeds", "cap over two members");
}

static void test_damage(enum compress_format fmt, const unsigned char *in, size_t n,
			const char *label)
{
	_cleanup_buf_ struct buf c = { 0 }, bad = { 0 };
	const char *name = compress_name(fmt);
	static const char garbage[] = "garbage!";
	size_t cuts[64], ncuts = 0, missed = 0;
	char what[128];

	if (compress_compress(fmt, in, n, &c.p, &c.n, label) < 0 || c.n < 64) {
		tap(false, "%s %s: damage tests need a compressed input", name, label);
		return;
	}
	bad.p = malloc(c.n + sizeof(garbage) + 1);
	if (!bad.p)
		exit(EXIT_ERR);

	/* truncated anywhere: an error, never a crash or a silent short result */
	for (size_t k = 0; k < 16; k++)
		cuts[ncuts++] = k;
	for (size_t k = 1; k <= 16; k++)
		cuts[ncuts++] = c.n - k;
	for (size_t k = 1; k < 32; k++)
		cuts[ncuts++] = c.n * k / 32;
	for (size_t i = 0; i < ncuts; i++) {
		struct capture cap;
		unsigned char *out = NULL;
		size_t out_len;
		int rc;

		capture_begin(&cap);
		rc = compress_decompress(fmt, c.p, cuts[i], COMPRESS_DEFAULT_CAP, &out, &out_len, "t");
		capture_end(&cap);
		free(out);
		if (rc != -1 || !one_line_with(cap.text, "t: ")) {
			diag("cut at %zu of %zu: rc %d, stderr: %s", cuts[i], c.n, rc, cap.text);
			missed++;
		}
	}
	tap(missed == 0, "%s %s: %zu truncations are each a one-line error", name, label, ncuts);
	expect_error(fmt, c.p, c.n - 1, COMPRESS_DEFAULT_CAP, "truncated", "last byte missing");
	expect_error(fmt, c.p, c.n / 2, COMPRESS_DEFAULT_CAP, "truncated", "cut in half");

	/* one byte flipped in the middle: the checksum or the decoder catches it */
	missed = 0;
	for (size_t k = 0; k < 32; k++) {
		size_t at = c.n / 4 + (c.n / 2) * k / 32;
		struct capture cap;
		unsigned char *out = NULL;
		size_t out_len;
		int rc;

		memcpy(bad.p, c.p, c.n);
		bad.p[at] ^= 0x55;
		capture_begin(&cap);
		rc = compress_decompress(fmt, bad.p, c.n, COMPRESS_DEFAULT_CAP, &out, &out_len, "f");
		capture_end(&cap);
		free(out);
		if (rc != -1 || !one_line_with(cap.text, "f: ")) {
			diag("flip at %zu of %zu: rc %d, stderr: %s", at, c.n, rc, cap.text);
			missed++;
		}
	}
	tap(missed == 0, "%s %s: 32 flipped bytes in the middle are each a one-line error", name, label);
	memcpy(bad.p, c.p, c.n);
	bad.p[c.n / 2] ^= 0x55;
	expect_error(fmt, bad.p, c.n, COMPRESS_DEFAULT_CAP, "corrupt", "a flipped byte");

	/* anything after the last member */
	memcpy(bad.p, c.p, c.n);
	memcpy(bad.p + c.n, garbage, sizeof(garbage) - 1);
	expect_error(fmt, bad.p, c.n + sizeof(garbage) - 1, COMPRESS_DEFAULT_CAP,
		     "trailing garbage", "trailing garbage");
	bad.p[c.n] = 0;
	expect_error(fmt, bad.p, c.n + 1, COMPRESS_DEFAULT_CAP,
		     "trailing garbage", "one trailing zero byte");
	memcpy(bad.p + c.n, c.p, 1);
	expect_error(fmt, bad.p, c.n + 1, COMPRESS_DEFAULT_CAP,
		     "truncated", "the first byte of another member");

	/* not this format at all */
	snprintf(what, sizeof(what), "not %s data", name);
	expect_error(fmt, in, n, COMPRESS_DEFAULT_CAP, what, "uncompressed input");
}

static void test_wrong_format(const unsigned char *in, size_t n)
{
	for (size_t i = 0; i < N_ELEMENTS(all_formats); i++) {
		_cleanup_buf_ struct buf c = { 0 };
		enum compress_format other = all_formats[(i + 1) % N_ELEMENTS(all_formats)];
		char want[64];

		if (compress_compress(all_formats[i], in, n, &c.p, &c.n, "w") < 0)
			continue;
		snprintf(want, sizeof(want), "not %s data", compress_name(other));
		expect_error(other, c.p, c.n, COMPRESS_DEFAULT_CAP, want,
			     compress_name(all_formats[i]));
	}
	expect_error(COMPRESS_GZIP, NULL, 0, COMPRESS_DEFAULT_CAP, "truncated", "empty input");
	expect_error(COMPRESS_XZ, (const unsigned char *)"\xfd" "7z", 3, COMPRESS_DEFAULT_CAP,
		     "truncated", "a partial magic");
}

/* 10 MiB of zeros under a 1 MiB cap: stopped at the cap, with little memory. */
static void test_bomb(void)
{
	const size_t big = (size_t)10 << 20, cap = (size_t)1 << 20;
	_cleanup_free_ unsigned char *zeros = calloc(1, big);

	if (!zeros)
		exit(EXIT_ERR);
	for (size_t i = 0; i < N_ELEMENTS(all_formats); i++) {
		_cleanup_buf_ struct buf c = { 0 };

		if (compress_compress(all_formats[i], zeros, big, &c.p, &c.n, "bomb") < 0) {
			tap(false, "bomb: compress");
			continue;
		}
		diag("%s: 10 MiB of zeros compress to %zu bytes", compress_name(all_formats[i]), c.n);
		expect_error(all_formats[i], c.p, c.n, cap, "decompressed size exceeds 1048576 bytes",
			     "10 MiB bomb under a 1 MiB cap");
	}
	expect_error(COMPRESS_NONE, zeros, 100, 99, "exceeds", "none: a copy obeys the cap too");
}

static void test_none(const unsigned char *in, size_t n)
{
	_cleanup_buf_ struct buf c = { 0 }, d = { 0 };

	tap(compress_compress(COMPRESS_NONE, in, n, &c.p, &c.n, "n") == 0 && same(&c, in, n) &&
	    compress_decompress(COMPRESS_NONE, c.p, c.n, n, &d.p, &d.n, "n") == 0 &&
	    same(&d, in, n),
	    "none: compress and decompress copy the input");
}

/* zstd: a frame header may declare any size; the cap is what counts. */
static void test_zstd_declared_size(void)
{
	static const unsigned char small[] = "a small module";
	_cleanup_buf_ struct buf c = { 0 };
	const size_t n = sizeof(small) - 1;

	if (compress_compress(COMPRESS_ZSTD, small, n, &c.p, &c.n, "z") < 0) {
		tap(false, "zstd: declared size: compress");
		return;
	}
	/* frame header descriptor: the content size field is 1 byte here
	 * (single segment, FCS flag 0): make it lie */
	{
		if (ZSTD_getFrameContentSize(c.p, c.n) != n || !(c.p[4] & 0x20) ||
		    (c.p[4] >> 6) != 0) {
			tap(false, "zstd: declared size: unexpected header layout");
			return;
		}
		c.p[5] = 0xff; /* declares 255 bytes, holds 14 */
	}
	expect_error(COMPRESS_ZSTD, c.p, c.n, COMPRESS_DEFAULT_CAP, "corrupt",
		     "a frame declaring more than it holds");
	expect_error(COMPRESS_ZSTD, c.p, c.n, 0, "exceeds 0 bytes (a zstd header declares 255)",
		     "a lying header under cap 0 is refused by its declaration");
}

/*
 * A hand-made zstd frame (RFC 8878): no checksum, a 128 KiB window
 * (descriptor 0x38: 2^(10 + 7)) and `blocks` RLE blocks of 128 KiB each,
 * the bytes a bomb is made of.  declare: put that size (8-byte Frame
 * Content Size field) in the header; corrupt: one block of the reserved
 * type instead, which any decoding reports as corrupt.
 */
static void zstd_frame(struct buf *b, size_t blocks, bool declare, unsigned long long size,
		       bool corrupt)
{
	const uint32_t rle = (uint32_t)131072 << 3 | 1 << 1, reserved = 3 << 1;
	size_t n = 0;

	b->p = malloc(14 + 4 * (blocks ? blocks : 1));
	if (!b->p)
		exit(EXIT_ERR);
	memcpy(b->p, "\x28\xb5\x2f\xfd", 4);
	n = 4;
	b->p[n++] = declare ? 0xc0 : 0x00; /* FCS field: 8 bytes or none */
	b->p[n++] = 0x38;
	if (declare)
		for (int i = 0; i < 8; i++)
			b->p[n++] = (unsigned char)(size >> (8 * i));
	for (size_t i = 0; i < (corrupt ? 1 : blocks); i++) {
		uint32_t h = (corrupt ? reserved : rle) | (i + 1 == blocks || corrupt);

		b->p[n++] = (unsigned char)h;
		b->p[n++] = (unsigned char)(h >> 8);
		b->p[n++] = (unsigned char)(h >> 16);
		b->p[n++] = 'z';
	}
	b->n = n;
}

/* Does a buffer decompress to `size` bytes of 'z' under the default cap? */
static bool zstd_rle_ok(const struct buf *b, size_t size)
{
	_cleanup_buf_ struct buf d = { 0 };

	if (compress_decompress(COMPRESS_ZSTD, b->p, b->n, COMPRESS_DEFAULT_CAP, &d.p, &d.n, "z") < 0)
		return false;
	for (size_t i = 0; i < d.n; i++)
		if (d.p[i] != 'z')
			return false;
	return d.n == size;
}

/* zstd: a frame declaring more than the cap is refused before decoding. */
static void test_zstd_declared_bomb(void)
{
	const unsigned long long two_gib = 1ULL << 31;
	const size_t mib = (size_t)1 << 20;
	_cleanup_buf_ struct buf bomb = { 0 }, early = { 0 }, plain = { 0 }, two = { 0 };
	_cleanup_buf_ struct buf a = { 0 }, big = { 0 };
	_cleanup_free_ unsigned char *zeros = calloc(1, 600 * 1024);

	if (!zeros)
		exit(EXIT_ERR);
	/* a genuine 64 KiB frame holding (and declaring) 2 GiB */
	zstd_frame(&bomb, 16384, true, two_gib, false);
	tap(ZSTD_getFrameContentSize(bomb.p, bomb.n) == two_gib && bomb.n == 14 + 4 * 16384,
	    "zstd: the crafted 2 GiB bomb declares 2 GiB in %zu bytes", bomb.n);
	expect_error(COMPRESS_ZSTD, bomb.p, bomb.n, COMPRESS_DEFAULT_CAP,
		     "decompressed size exceeds 1073741824 bytes (a zstd header declares 2147483648)",
		     "a frame declaring 2 GiB under the default 1 GiB cap");
	/* the same header before a corrupt block: the declaration is checked
	 * first, decoding never starts (it would say "corrupt") */
	zstd_frame(&early, 0, true, two_gib, true);
	expect_error(COMPRESS_ZSTD, early.p, early.n, COMPRESS_DEFAULT_CAP,
		     "exceeds 1073741824 bytes (a zstd header declares 2147483648)",
		     "the declared size is refused before any block is decoded");
	zstd_frame(&plain, 0, false, 0, true);
	expect_error(COMPRESS_ZSTD, plain.p, plain.n, COMPRESS_DEFAULT_CAP, "corrupt zstd data",
		     "the corrupt block itself is reported when nothing is declared");
	/* the crafted frames are real: small ones decode, declared or not */
	zstd_frame(&two, 2, true, 2 * 131072, false);
	tap(zstd_rle_ok(&two, 2 * 131072), "zstd: a crafted 256 KiB frame with its size decodes");
	free(two.p);
	zstd_frame(&two, 2, false, 0, false);
	tap(zstd_rle_ok(&two, 2 * 131072), "zstd: a crafted 256 KiB frame without its size decodes");
	/* without a declared size the cap stops the output as it grows */
	zstd_frame(&big, 80, false, 0, false);
	tap(ZSTD_getFrameContentSize(big.p, big.n) == ZSTD_CONTENTSIZE_UNKNOWN,
	    "zstd: the crafted 10 MiB frame declares no size");
	expect_error(COMPRESS_ZSTD, big.p, big.n, mib, "decompressed size exceeds 1048576 bytes",
		     "10 MiB undeclared under a 1 MiB cap: stopped at the cap");
	/* the declarations of concatenated frames add up: the second frame
	 * (600 KiB after 600 KiB) is refused under a 1 MiB cap */
	if (compress_compress(COMPRESS_ZSTD, zeros, 600 * 1024, &a.p, &a.n, "z") == 0) {
		_cleanup_free_ unsigned char *cat = malloc(2 * a.n);

		if (!cat)
			exit(EXIT_ERR);
		memcpy(cat, a.p, a.n);
		memcpy(cat + a.n, a.p, a.n);
		expect_error(COMPRESS_ZSTD, cat, 2 * a.n, mib,
			     "exceeds 1048576 bytes (a zstd header declares 614400)",
			     "two frames of 600 KiB under a 1 MiB cap: the second is refused");
	} else {
		tap(false, "zstd: compress 600 KiB");
	}
}

/* zstd: windows up to 128 MiB (what kmod accepts) and no larger. */
static void test_zstd_window(void)
{
	_cleanup_buf_ struct buf f = { 0 };

	zstd_frame(&f, 1, false, 0, false);
	f.p[5] = 0x88; /* 2^(10 + 17): zstd --ultra -22 on a pipe */
	tap(zstd_rle_ok(&f, 131072), "zstd: a frame with a 128 MiB window decodes");
	f.p[5] = 0x89; /* 128 MiB + 1/8 */
	expect_error(COMPRESS_ZSTD, f.p, f.n, COMPRESS_DEFAULT_CAP,
		     "zstd data needs a window larger than the limit of 128 MiB",
		     "a frame with a 144 MiB window");
	f.p[5] = 0xf8; /* 2^41 */
	expect_error(COMPRESS_ZSTD, f.p, f.n, COMPRESS_DEFAULT_CAP,
		     "zstd data needs a window larger than the limit of 128 MiB",
		     "a frame with a 2 TiB window");
}

static int read_demo(struct fileio_buf *demo)
{
	const char *path = getenv("DEMO_KO");

	if (!path || !*path)
		path = "build/fixtures/modsign_demo.ko";
	if (fileio_read(path, demo) < 0) {
		printf("Bail out! the demo module %s is missing: run make fixtures\n", path);
		return -1;
	}
	return 0;
}

static int cmd_roundtrip(void)
{
	_cleanup_(fileio_buf_freep) struct fileio_buf demo = { 0 };
	const size_t rnd_n = (size_t)5 << 20;
	_cleanup_free_ unsigned char *rnd = malloc(rnd_n);
	static const unsigned char one[] = { 'x' };

	if (!rnd)
		return EXIT_ERR;
	if (read_demo(&demo) < 0)
		return EXIT_ERR;
	fill_random(rnd, rnd_n, 0x6d6f647369676e);

	test_tables();
	for (size_t i = 0; i < N_ELEMENTS(all_formats); i++) {
		enum compress_format f = all_formats[i];

		test_roundtrip(f, demo.data, demo.len, "demo module");
		test_roundtrip(f, NULL, 0, "empty input");
		test_roundtrip(f, one, sizeof(one), "1 byte");
		test_roundtrip(f, rnd, rnd_n, "5 MiB random");
		test_concatenated(f, demo.data, demo.len, one, sizeof(one));
		test_damage(f, demo.data, demo.len, "demo module");
	}
	test_wrong_format(demo.data, demo.len);
	test_bomb();
	test_none(demo.data, demo.len);
	test_zstd_declared_size();
	test_zstd_declared_bomb();
	test_zstd_window();

	return tap_finish() ? EXIT_ERR : EXIT_OK;
}

/* ---- the command line ---- */

static int usage(void)
{
	fprintf(stderr,
		"Usage: test-compress roundtrip\n"
		"       test-compress compress FORMAT IN OUT\n"
		"       test-compress decompress FORMAT IN OUT [--cap N]\n"
		"       test-compress detect FILE\n"
		"FORMAT: gzip, xz, zstd or none (decompress: also auto, by magic)\n");
	return EXIT_USAGE;
}

static int parse_format(const char *s, bool allow_auto, enum compress_format *fmt, bool *is_auto)
{
	static const enum compress_format every[] = {
		COMPRESS_NONE, COMPRESS_GZIP, COMPRESS_XZ, COMPRESS_ZSTD,
	};

	*is_auto = allow_auto && strcmp(s, "auto") == 0;
	if (*is_auto)
		return 0;
	for (size_t i = 0; i < N_ELEMENTS(every); i++)
		if (strcmp(s, compress_name(every[i])) == 0) {
			*fmt = every[i];
			return 0;
		}
	util_err("unknown format '%s'", s);
	return -1;
}

static int write_out(const char *path, const unsigned char *p, size_t n)
{
	struct iovec iov = { .iov_base = (void *)(uintptr_t)p, .iov_len = n };

	return fileio_replace(path, &iov, 1, 0644, NULL) < 0 ? EXIT_ERR : EXIT_OK;
}

static int cmd_convert(int argc, char **argv, bool decompress)
{
	_cleanup_(fileio_buf_freep) struct fileio_buf in = { 0 };
	_cleanup_free_ unsigned char *out = NULL;
	enum compress_format fmt = COMPRESS_NONE;
	size_t cap = COMPRESS_DEFAULT_CAP, out_len = 0;
	bool is_auto;
	int rc;

	if (argc == 6 && decompress && strcmp(argv[4], "--cap") == 0) {
		char *end;

		errno = 0;
		cap = strtoull(argv[5], &end, 10);
		if (errno || end == argv[5] || *end || argv[5][0] == '-') {
			util_err("--cap: not a number of bytes: '%s'", argv[5]);
			return EXIT_USAGE;
		}
	} else if (argc != 4) {
		return usage();
	}
	if (parse_format(argv[1], decompress, &fmt, &is_auto) < 0)
		return EXIT_USAGE;
	if (fileio_read(argv[2], &in) < 0)
		return EXIT_ERR;
	if (is_auto)
		fmt = compress_detect(in.data, in.len);
	rc = decompress ? compress_decompress(fmt, in.data, in.len, cap, &out, &out_len, argv[2])
			: compress_compress(fmt, in.data, in.len, &out, &out_len, argv[2]);
	if (rc < 0)
		return EXIT_ERR;
	return write_out(argv[3], out, out_len);
}

static int cmd_detect(int argc, char **argv)
{
	_cleanup_(fileio_buf_freep) struct fileio_buf in = { 0 };

	if (argc != 2)
		return usage();
	if (fileio_read(argv[1], &in) < 0)
		return EXIT_ERR;
	printf("%s\n", compress_name(compress_detect(in.data, in.len)));
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	util_prog = "test-compress";
	if (argc < 2)
		return usage();
	if (strcmp(argv[1], "roundtrip") == 0)
		return argc == 2 ? cmd_roundtrip() : usage();
	if (strcmp(argv[1], "compress") == 0)
		return cmd_convert(argc - 1, argv + 1, false);
	if (strcmp(argv[1], "decompress") == 0)
		return cmd_convert(argc - 1, argv + 1, true);
	if (strcmp(argv[1], "detect") == 0)
		return cmd_detect(argc - 1, argv + 1);
	return usage();
}

/* SPDX-License-Identifier: MIT */
#include "module.h"

#include <string.h>

#include "util.h"

static const uint8_t elf_magic[4] = { 0x7f, 'E', 'L', 'F' };

int module_load(const char *path, struct module *m, unsigned flags)
{
	memset(m, 0, sizeof(*m));
	m->path = path;
	if (fileio_read(path, &m->file) < 0)
		return -1;
	if (m->file.len == 0) {
		util_err("%s: empty file, not a kernel module", path);
		goto fail;
	}
	m->format = compress_detect(m->file.data, m->file.len);
	if (m->format != COMPRESS_NONE && (flags & MODULE_DECOMPRESS)) {
		unsigned char *plain = NULL;
		size_t plain_len = 0;

		if (compress_decompress(m->format, m->file.data, m->file.len, COMPRESS_DEFAULT_CAP,
					&plain, &plain_len, path) < 0)
			goto fail;
		free(m->file.data);
		m->file.data = plain;
		m->file.len = plain_len;
		if (plain_len < sizeof(elf_magic) || memcmp(plain, elf_magic, sizeof(elf_magic)) != 0) {
			util_err("%s: not an ELF file inside the %s data, not a kernel module", path,
				 compress_name(m->format));
			goto fail;
		}
	} else if (m->format != COMPRESS_NONE) {
		util_err("%s: %s-compressed module: sign-file mode signs only uncompressed modules "
			 "(use 'modsign sign')", path, compress_name(m->format));
		goto fail;
	} else if (m->file.len < sizeof(elf_magic) ||
		   memcmp(m->file.data, elf_magic, sizeof(elf_magic)) != 0) {
		util_err("%s: not an ELF file, not a kernel module", path);
		goto fail;
	}
	m->sig = trailer_parse(m->file.data, m->file.len, &m->tr);
	return 0;
fail:
	module_free(m);
	return -1;
}

void module_free(struct module *m)
{
	fileio_buf_free(&m->file);
}

size_t module_unsigned_len(const struct module *m, unsigned *nsigs)
{
	size_t len = m->file.len;
	unsigned n = 0;
	struct trailer t;

	for (;;) {
		enum trailer_status st = trailer_parse(m->file.data, len, &t);

		if (st == TRAILER_NONE)
			break;
		if (!t.bounds_ok) {
			*nsigs = n;
			return 0;
		}
		len = t.body_len;
		n++;
	}
	*nsigs = n;
	return len;
}

/* SPDX-License-Identifier: MIT */
/* module: a kernel module file in memory, with its signature trailer parsed. */
#ifndef MODSIGN_MODULE_H
#define MODSIGN_MODULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compress.h"
#include "fileio.h"
#include "trailer.h"

struct module {
	const char *path;
	struct fileio_buf file; /* the module bytes (decompressed, with the file's stat) */
	enum compress_format format; /* how the file itself is compressed */
	struct trailer tr;      /* the last signature, if any */
	enum trailer_status sig;
};

enum module_load_flags {
	MODULE_RAW = 0,        /* a compressed file is "not an ELF file" */
	MODULE_DECOMPRESS = 1, /* .ko.gz/.xz/.zst (by magic): the module inside */
};

/*
 * Read and check a module: it must be a non-empty regular file holding an
 * ELF object (inside its compression, with MODULE_DECOMPRESS).  The trailer
 * is parsed but not judged: callers decide what a TRAILER_BAD means for
 * them.  Returns 0, or -1 with a one-line error.
 */
int module_load(const char *path, struct module *m, unsigned flags);
void module_free(struct module *m);
static inline void module_freep(struct module *m) { module_free(m); }

/* Length of the module with every appended signature removed (0 if a
 * signature is malformed so that it cannot be removed). */
size_t module_unsigned_len(const struct module *m, unsigned *nsigs);

#endif

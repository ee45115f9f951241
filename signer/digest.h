/* SPDX-License-Identifier: MIT */
/*
 * digest: the bytes a module signature covers, for signing elsewhere.
 *
 * A signature covers the module without any appended signature, and for a
 * compressed module (.ko.gz/.xz/.zst) the module inside the compression:
 * exactly what `modsign sign` signs, and what `modsign attach` checks a
 * returned signature against.
 */
#ifndef MODSIGN_DIGEST_H
#define MODSIGN_DIGEST_H

#include <stddef.h>

#include "module.h"

/*
 * Load path (decompressed) into m and find the signed bytes:
 * m->file.data[0..*body).  *nsigs is the number of signatures appended
 * after them (stacked signatures are all left out).  Returns 0, or -1 with
 * a one-line error (unreadable, not a module, or a signature trailer whose
 * extent cannot be trusted).
 */
int digest_load(const char *path, struct module *m, size_t *body, unsigned *nsigs);

#endif

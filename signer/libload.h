/* SPDX-License-Identifier: MIT */
/*
 * libload: a shared library opened the first time it is needed (dlopen),
 * as kmod does for its decompressors.  modsign uses it for zlib, liblzma and
 * libzstd: signing a module that is not compressed (sign-file mode, which
 * Kbuild starts once per module) then never pays for loading them.
 *
 * A library is described by its soname, the Debian package that holds it
 * and a table of the symbols wanted, each with the slot (a function
 * pointer, stored through a void pointer) that receives it.  Thread-safe;
 * a library is opened at most once, and a failure is remembered.
 */
#ifndef MODSIGN_LIBLOAD_H
#define MODSIGN_LIBLOAD_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

struct libload_sym {
	const char *name;
	void *slot; /* the address of a function pointer */
};

struct libload {
	const char *soname;  /* "libzstd.so.1" */
	const char *package; /* "libzstd1" */
	const struct libload_sym *syms;
	size_t n_syms;
	pthread_mutex_t lock;
	bool tried, ok;
	char err[256];
};

#define LIBLOAD_INIT(so, pkg, table) \
	{ (so), (pkg), (table), sizeof(table) / sizeof((table)[0]), PTHREAD_MUTEX_INITIALIZER, false, false, "" }

/*
 * Open l (once) and fill its slots: 0, or -1 after printing
 * "WHAT: cannot load SONAME: REASON (apt-get install PACKAGE)".
 */
int libload_open(struct libload *l, const char *what);

#endif

/* SPDX-License-Identifier: MIT */
/* fileio: whole-file reads and crash-safe writes (temporary file, fsync, rename). */
#ifndef MODSIGN_FILEIO_H
#define MODSIGN_FILEIO_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/uio.h>

struct fileio_buf {
	unsigned char *data;
	size_t len;
	struct stat st;
};

/*
 * Read a whole regular file.  On error prints "PROG: PATH: reason" and
 * returns -1.  A directory or other non-regular file is an error.
 */
int fileio_read(const char *path, struct fileio_buf *out);
void fileio_buf_free(struct fileio_buf *b);
static inline void fileio_buf_freep(struct fileio_buf *b) { fileio_buf_free(b); }

/*
 * Replace (or create) dest with the concatenation of iov: write a temporary
 * file in dest's directory, give it `mode` (and, when `owner` is non-NULL and
 * we may, that owner), fsync it, rename it over dest and fsync the directory.
 * On any error dest is untouched, the temporary file is removed, a one-line
 * error naming dest is printed and -1 is returned.
 */
int fileio_replace(const char *dest, const struct iovec *iov, int iovcnt,
		   mode_t mode, const struct stat *owner);

/*
 * Create dest, which must not exist, with exactly the given mode: the data is
 * written to a temporary file and hard-linked into place, so dest appears
 * complete or not at all and an existing file is never overwritten
 * (errno EEXIST is reported as such).  Returns 0 or -1 (error printed).
 */
int fileio_create_new(const char *dest, const struct iovec *iov, int iovcnt,
		      mode_t mode);

/* The mode a newly created file gets: 0666 & ~umask. */
mode_t fileio_default_mode(void);

#endif

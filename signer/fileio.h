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
 * The largest file fileio_read() reads: 1 GiB, the decompression cap
 * (COMPRESS_DEFAULT_CAP).  A larger "module", key or certificate is refused
 * at once instead of being read into memory.
 */
#define FILEIO_MAX_SIZE ((unsigned long long)1 << 30)

/*
 * Read a whole regular file (at most FILEIO_MAX_SIZE bytes).  On error
 * prints "PROG: PATH: reason" and
 * returns -1.  A directory or other non-regular file is an error.
 */
int fileio_read(const char *path, struct fileio_buf *out);
void fileio_buf_free(struct fileio_buf *b);
static inline void fileio_buf_freep(struct fileio_buf *b) { fileio_buf_free(b); }

/*
 * Make sure dir is a directory, creating it with mode 0700 (one mkdir, so it
 * is never visible with a wider mode) when it is missing; with `parents`,
 * missing parents are made first with mode 0755.  *created (may be NULL)
 * tells whether this call made dir.  Errors: "DIR: cannot create directory:
 * reason" or "DIR: not a directory", and -1.
 */
int fileio_mkdir_private(const char *dir, bool parents, bool *created);

/* 0 if dir is a directory; else "DIR: reason" or "DIR: not a directory", -1. */
int fileio_check_dir(const char *dir);

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
 * fileio_replace(), but only if dest is still the file `expect` describes
 * (the stat taken when it was opened for reading; NULL: no check).  When it
 * was replaced, rewritten, truncated or removed meanwhile, dest is left as
 * it is now, "DEST: changed while being DOING" is printed (doing: "signed",
 * "stripped") and -1 returned.
 */
int fileio_replace_if_unchanged(const char *dest, const struct iovec *iov, int iovcnt,
				mode_t mode, const struct stat *owner, const struct stat *expect,
				const char *doing);

/*
 * A temporary file, next to dest, being written to replace dest: for data
 * produced piece by piece (a module streamed through a small buffer).
 * fileio_tmp_open() creates it with `mode` (and owner, as above);
 * fileio_tmp_write() appends; fileio_tmp_commit() does what
 * fileio_replace() does after writing (fsync, rename, fsync the directory);
 * fileio_tmp_discard() removes it silently.  fileio_tmp_sync() fsyncs what
 * has been written so far, so that the fsync of fileio_tmp_commit() has
 * only the rest to write (it may run in another thread while the caller
 * computes the rest).  fileio_tmp_rename() is fileio_tmp_commit() without
 * the fsync of the directory: the new file is complete on disk before it
 * replaces dest, but the rename itself may still be lost to a power cut
 * (dest is then the old file).  Errors are printed naming dest;
 * after an error the temporary file is already gone.
 * fileio_tmp_expect() makes the rename conditional, as in
 * fileio_replace_if_unchanged().
 *
 * The temporary file is named "DEST.~modsign~XXXXXX" (XXXXXX: six letters
 * or digits) and holds an exclusive flock() from its creation until it has
 * been renamed or removed: a lock that the kernel drops when the process
 * dies, even by SIGKILL.  fileio_tmp_remove_stale() removes such a file only
 * when nobody holds its lock, so it never takes the temporary file of a
 * modsign that is still running (in another PID namespace, too).
 */
struct fileio_tmp {
	int fd;
	char *path;
	const char *dest;
	struct stat st; /* of the temporary file, for its filesystem */
	size_t len;
	bool check;        /* rename only if dest still matches `expect` */
	struct stat expect;
	const char *doing; /* for the error: "changed while being DOING" */
};

int fileio_tmp_open(struct fileio_tmp *t, const char *dest, mode_t mode, const struct stat *owner);
void fileio_tmp_expect(struct fileio_tmp *t, const struct stat *expect, const char *doing);
int fileio_tmp_write(struct fileio_tmp *t, const struct iovec *iov, int iovcnt);
int fileio_tmp_sync(struct fileio_tmp *t);
int fileio_tmp_commit(struct fileio_tmp *t);
int fileio_tmp_rename(struct fileio_tmp *t);
void fileio_tmp_discard(struct fileio_tmp *t);

/*
 * A temporary file made ahead of its data and put aside: its descriptor,
 * which keeps the lock, and the random part of its name (fd -1: none).
 * fileio_tmp_park() is fileio_tmp_open() without messages: 0, or the errno
 * with nothing made.  fileio_tmp_unpark() takes it back as t, first giving
 * it `mode` (and owner) again if the destination's changed meanwhile: 0, or
 * -1 with the error printed and the file removed; p is empty after it
 * either way.  fileio_tmp_parked_discard() removes it silently (nothing
 * with fd -1).
 */
struct fileio_tmp_parked {
	int fd;
	char rnd[7]; /* the XXXXXX */
};

int fileio_tmp_park(const char *dest, mode_t mode, const struct stat *owner, struct fileio_tmp_parked *p);
int fileio_tmp_unpark(struct fileio_tmp_parked *p, const char *dest, mode_t mode, const struct stat *owner,
		      struct fileio_tmp *t);
void fileio_tmp_parked_discard(struct fileio_tmp_parked *p, const char *dest);

/*
 * The length of DEST in a file name NAME of the form "DEST.~modsign~XXXXXX",
 * or 0 when NAME is not such a name.
 */
size_t fileio_tmp_dest_len(const char *name);

/*
 * Remove PATH, a temporary file left by a modsign that died (killed, or a
 * crash or power loss): only if it is a regular file (a symlink is not
 * followed) whose name fileio_tmp_dest_len() accepts and whose lock is
 * free.  Returns 1 when removed; 0 when left alone (in use, gone, not a
 * regular file, or on a filesystem without flock()); -1 when it could not be
 * removed (a warning is printed).
 */
int fileio_tmp_remove_stale(const char *path);

/*
 * A batch of replacements made durable together, for signing many modules:
 * each file's data is synced before its rename and the renames are synced
 * before fileio_batch_finish() returns, as with fileio_replace(), but with
 * one syncfs() per group of files instead of two fsync()s per file.
 *
 * fileio_batch_add() takes over a written temporary file (t is left empty)
 * and returns at once; a background thread waits for a whole group
 * (FILEIO_BATCH_MAX_FILES files, FILEIO_BATCH_MAX_BYTES bytes, or the last
 * files at fileio_batch_finish()), syncs the filesystem(s), renames the
 * group's files over their destinations, and so on: every syncfs() is a
 * journal commit and a disk cache flush, so one per file would cost more
 * than fsync().  If that later fails for a
 * file, the error is printed naming its destination and *status is set to
 * -1 (it is left alone otherwise); status must stay valid until
 * fileio_batch_finish().  At most FILEIO_BATCH_MAX_FILES files or
 * FILEIO_BATCH_MAX_BYTES bytes wait at a time (adders block beyond that),
 * which bounds the extra disk space.  Thread-safe.
 *
 * Power loss at any moment leaves every destination either as it was or
 * completely replaced, never partly written (plus, at worst, leftover
 * "DEST.~modsign~XXXXXX" temporary files, which fileio_tmp_remove_stale()
 * takes away later); after fileio_batch_finish() returns 0, every
 * replacement is durable.
 *
 * A file whose fileio_tmp_expect() was set is checked right before its
 * rename (after the syncfs()), as fileio_replace_if_unchanged() does.  Each
 * waiting file keeps its descriptor (and so its lock) open until renamed:
 * fileio_batch_new() raises the soft RLIMIT_NOFILE when it is too low for
 * that.
 *
 * fileio_batch_replace() is fileio_replace_if_unchanged() through a batch;
 * with b NULL it is fileio_replace_if_unchanged() itself.
 */
#define FILEIO_BATCH_MAX_FILES 256
#define FILEIO_BATCH_MAX_BYTES (64u << 20)

/*
 * Descriptors a batch may need: the files waiting (up to twice
 * FILEIO_BATCH_MAX_FILES, the group being renamed and the next one) plus
 * the workers' own.
 */
#define FILEIO_BATCH_NOFILE (2 * FILEIO_BATCH_MAX_FILES + 1024)

/*
 * Raise the soft RLIMIT_NOFILE towards `want`, as far as the hard limit
 * allows (never lowers it); returns the soft limit now (0: unknown).
 */
unsigned long long fileio_raise_nofile(unsigned long long want);

struct fileio_batch;

struct fileio_batch *fileio_batch_new(void);
int fileio_batch_add(struct fileio_batch *b, struct fileio_tmp *t, int *status);
int fileio_batch_replace(struct fileio_batch *b, const char *dest, const struct iovec *iov, int iovcnt,
			 mode_t mode, const struct stat *owner, const struct stat *expect, int *status);
/* Wait for every added file, free the batch; 0, or -1 if any file failed. */
int fileio_batch_finish(struct fileio_batch *b);

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

/* SPDX-License-Identifier: MIT */
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

int fileio_read(const char *path, struct fileio_buf *out)
{
	_cleanup_close_ int fd = -1;
	struct stat st;
	unsigned char *data;
	size_t done = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		util_err("%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		util_err("%s: %s", path, strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		util_err("%s: is a directory", path);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		util_err("%s: not a regular file", path);
		return -1;
	}
	if ((unsigned long long)st.st_size > (unsigned long long)SIZE_MAX / 2) {
		util_err("%s: file too large", path);
		return -1;
	}
	data = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!data) {
		util_err("%s: cannot allocate %lld bytes", path, (long long)st.st_size);
		return -1;
	}
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, data + done, (size_t)st.st_size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			util_err("%s: read: %s", path, strerror(errno));
			free(data);
			return -1;
		}
		if (n == 0) {
			util_err("%s: file shrank while being read", path);
			free(data);
			return -1;
		}
		done += (size_t)n;
	}
	out->data = data;
	out->len = done;
	out->st = st;
	return 0;
}

void fileio_buf_free(struct fileio_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
}

mode_t fileio_default_mode(void)
{
	mode_t m = umask(022);

	umask(m);
	return 0666 & ~m;
}

static int write_all(int fd, const struct iovec *iov, int iovcnt)
{
	for (int i = 0; i < iovcnt; i++) {
		const unsigned char *p = iov[i].iov_base;
		size_t left = iov[i].iov_len;

		while (left) {
			ssize_t n = write(fd, p, left);

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return -1;
			p += n;
			left -= (size_t)n;
		}
	}
	return 0;
}

/* Directory part of path, for fsync after rename. */
static int fsync_parent(const char *path)
{
	_cleanup_free_ char *copy = strdup(path);
	_cleanup_close_ int dfd = -1;

	if (!copy)
		return -1;
	dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -1;
	/* Some filesystems refuse fsync on directories; that is not fatal. */
	if (fsync(dfd) < 0 && errno != EINVAL && errno != EROFS)
		return -1;
	return 0;
}

/* Write iov to a new temporary file next to dest; returns its fd. */
static int write_temp(const char *dest, const struct iovec *iov, int iovcnt,
		      mode_t mode, const struct stat *owner, char **tmp_out)
{
	_cleanup_free_ char *tmp = NULL;
	int fd, saved;

	if (asprintf(&tmp, "%s.~modsign~XXXXXX", dest) < 0) {
		util_err("%s: out of memory", dest);
		return -1;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		util_err("%s: cannot create temporary file: %s", dest, strerror(errno));
		return -1;
	}
	if (owner && fchown(fd, owner->st_uid, owner->st_gid) < 0 && errno != EPERM)
		goto fail;
	if (fchmod(fd, mode & 07777) < 0)
		goto fail;
	if (write_all(fd, iov, iovcnt) < 0)
		goto fail;
	if (fsync(fd) < 0)
		goto fail;
	*tmp_out = TAKE_PTR(tmp);
	return fd;
fail:
	saved = errno;
	close(fd);
	unlink(tmp);
	util_err("%s: cannot write: %s", dest, strerror(saved));
	return -1;
}

int fileio_replace(const char *dest, const struct iovec *iov, int iovcnt,
		   mode_t mode, const struct stat *owner)
{
	_cleanup_free_ char *tmp = NULL;
	int fd = write_temp(dest, iov, iovcnt, mode, owner, &tmp);

	if (fd < 0)
		return -1;
	if (close(fd) < 0 || rename(tmp, dest) < 0) {
		int saved = errno;

		unlink(tmp);
		util_err("%s: cannot replace: %s", dest, strerror(saved));
		return -1;
	}
	if (fsync_parent(dest) < 0) {
		util_err("%s: cannot sync directory: %s", dest, strerror(errno));
		return -1;
	}
	return 0;
}

int fileio_create_new(const char *dest, const struct iovec *iov, int iovcnt,
		      mode_t mode)
{
	_cleanup_free_ char *tmp = NULL;
	int fd = write_temp(dest, iov, iovcnt, mode, NULL, &tmp);
	int saved;

	if (fd < 0)
		return -1;
	close(fd);
	if (link(tmp, dest) < 0) {
		saved = errno;
		unlink(tmp);
		if (saved == EEXIST)
			util_err("%s: already exists, not overwriting", dest);
		else
			util_err("%s: cannot create: %s", dest, strerror(saved));
		errno = saved;
		return -1;
	}
	unlink(tmp);
	if (fsync_parent(dest) < 0) {
		util_err("%s: cannot sync directory: %s", dest, strerror(errno));
		return -1;
	}
	return 0;
}

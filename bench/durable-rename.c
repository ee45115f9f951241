/* SPDX-License-Identifier: MIT */
/*
 * durable-rename.so: an LD_PRELOAD shim for bench/run that gives the
 * kernel's sign-file the durability modsign's sign-file mode has, so that
 * the two can also be compared like for like.  sign-file writes
 * MODULE.~signed~ and renames it over MODULE; with this shim that rename is
 * preceded by an fsync of MODULE.~signed~, as modsign's is (neither then
 * fsyncs the directory).  Any other rename (modsign's own) is left alone.
 * Not part of modsign.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

static int sync_path(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);
	int r, saved;

	if (fd < 0)
		return -1;
	r = fsync(fd);
	saved = errno;
	close(fd);
	errno = saved;
	return r;
}

int rename(const char *from, const char *to)
{
	static const char suffix[] = ".~signed~";
	static int (*real_rename)(const char *, const char *);
	size_t n = strlen(from);

	if (!real_rename)
		*(void **)&real_rename = dlsym(RTLD_NEXT, "rename");
	if (!real_rename) {
		errno = ENOSYS;
		return -1;
	}
	if (n < sizeof(suffix) - 1 || strcmp(from + n - (sizeof(suffix) - 1), suffix) != 0)
		return real_rename(from, to);
	if (sync_path(from, O_RDONLY) < 0)
		return -1;
	return real_rename(from, to);
}

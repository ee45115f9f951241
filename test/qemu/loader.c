/*
 * loader: load one kernel module with finit_module(2) and report the
 * kernel's verdict on one line, for the QEMU end-to-end test.
 *
 * usage: loader [-c] CASE FILE
 *   -c  pass MODULE_INIT_COMPRESSED_FILE, so the kernel decompresses FILE
 *       itself (busybox insmod never passes this flag).
 *
 * prints: RESULT <case> ok 0             the module was loaded
 *         RESULT <case> <ERRNAME> <errno> the kernel refused it
 *         UNLOAD <case> <name> <ok|ERRNAME>
 * A loaded module is removed again at once, so the next case, built from the
 * same source and so with the same name, can be loaded too.
 *
 * Build: gcc -static -O2 -o loader loader.c
 * Exit status: 0 when a RESULT line was printed, 2 on usage errors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef MODULE_INIT_COMPRESSED_FILE
#define MODULE_INIT_COMPRESSED_FILE 4
#endif

#define MAX_MODULES 256
#define NAME_LEN 64

struct name_list {
	int count;
	char names[MAX_MODULES][NAME_LEN];
};

/* Names of the modules loaded now, from /proc/modules. */
static void loaded_modules(struct name_list *list)
{
	char line[512];
	FILE *f = fopen("/proc/modules", "re");

	list->count = 0;
	if (!f)
		return;
	while (list->count < MAX_MODULES && fgets(line, sizeof(line), f)) {
		size_t n = strcspn(line, " \n");

		if (n == 0 || n >= NAME_LEN)
			continue;
		memcpy(list->names[list->count], line, n);
		list->names[list->count][n] = '\0';
		list->count++;
	}
	fclose(f);
}

static int contains(const struct name_list *list, const char *name)
{
	for (int i = 0; i < list->count; i++)
		if (strcmp(list->names[i], name) == 0)
			return 1;
	return 0;
}

static const char *errno_name(int err)
{
	const char *name = strerrorname_np(err);

	return name ? name : "EUNKNOWN";
}

int main(int argc, char **argv)
{
	static struct name_list before, after;
	int flags = 0;
	int argi = 1;
	const char *name_case, *file;
	int fd, err;

	if (argi < argc && strcmp(argv[argi], "-c") == 0) {
		flags |= MODULE_INIT_COMPRESSED_FILE;
		argi++;
	}
	if (argc - argi != 2) {
		fprintf(stderr, "usage: %s [-c] CASE FILE\n", argv[0]);
		return 2;
	}
	name_case = argv[argi];
	file = argv[argi + 1];

	loaded_modules(&before);

	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		printf("RESULT %s open-%s %d\n", name_case, errno_name(err), err);
		return 0;
	}
	if (syscall(SYS_finit_module, fd, "", flags) != 0) {
		err = errno;
		close(fd);
		printf("RESULT %s %s %d\n", name_case, errno_name(err), err);
		return 0;
	}
	close(fd);
	printf("RESULT %s ok 0\n", name_case);
	fflush(stdout);

	loaded_modules(&after);
	for (int i = 0; i < after.count; i++) {
		const char *name = after.names[i];

		if (contains(&before, name))
			continue;
		if (syscall(SYS_delete_module, name, O_NONBLOCK) != 0)
			printf("UNLOAD %s %s %s\n", name_case, name, errno_name(errno));
		else
			printf("UNLOAD %s %s ok\n", name_case, name);
		return 0;
	}
	printf("UNLOAD %s ? not-found\n", name_case);
	return 0;
}

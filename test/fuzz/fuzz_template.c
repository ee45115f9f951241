/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer: the x509.genkey template reader, keygen_template_load(), on a
 * file holding the input (a memfd, named through /proc/self/fd).
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "keygen.h"

static int fd = -1;
static char path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fd = memfd_create("x509.genkey", MFD_CLOEXEC);
	if (fd < 0) {
		perror("memfd_create");
		exit(1);
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct keygen_template *t = NULL;

	if (ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	if (keygen_template_load(path, &t) == 0) {
		(void)keygen_template_hash(t);
		keygen_template_free(t);
	}
	return 0;
}

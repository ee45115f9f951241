/* SPDX-License-Identifier: MIT */
#include "kconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static const char *const config_files[] = { "include/config/auto.conf", ".config" };

/* 1 found, 0 not in this file, -1 error; -2 no such file. */
static int lookup(const char *path, const char *sym, char **value)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	_cleanup_free_ char *line = NULL;
	size_t cap = 0, symlen = strlen(sym);
	ssize_t n;

	if (!f) {
		if (errno == ENOENT || errno == ENOTDIR)
			return -2;
		util_err("%s: %s", path, strerror(errno));
		return -1;
	}
	while ((n = getline(&line, &cap, f)) > 0) {
		char *v;
		size_t len;

		if (strncmp(line, sym, symlen) != 0 || line[symlen] != '=')
			continue;
		v = line + symlen + 1;
		len = strcspn(v, "\n");
		if (len >= 2 && v[0] == '"' && v[len - 1] == '"') {
			v++;
			len -= 2;
		}
		*value = strndup(v, len);
		return *value ? 1 : -1;
	}
	return 0;
}

int kconfig_get(const char *tree, const char *sym, char **value, const char **from)
{
	*value = NULL;
	if (from)
		*from = NULL;
	for (size_t i = 0; i < sizeof(config_files) / sizeof(config_files[0]); i++) {
		_cleanup_free_ char *path = NULL;
		int r;

		if (asprintf(&path, "%s/%s", tree, config_files[i]) < 0)
			return -1;
		r = lookup(path, sym, value);
		if (r == -2)
			continue;
		if (from)
			*from = config_files[i];
		return r; /* the first file that exists decides */
	}
	return 0;
}

char *kconfig_tree_of(const char *kver)
{
	char *p = NULL;

	if (asprintf(&p, "/lib/modules/%s/build", kver) < 0)
		return NULL;
	return p;
}

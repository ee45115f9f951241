/* SPDX-License-Identifier: MIT */
/* kconfig: read CONFIG_* values from a kernel build tree. */
#ifndef MODSIGN_KCONFIG_H
#define MODSIGN_KCONFIG_H

/*
 * The value of sym (e.g. "CONFIG_MODULE_SIG_HASH") in tree's
 * include/config/auto.conf, else tree's .config, without quotes.
 * Returns 1 with *value malloc'ed when found, 0 when the tree has no such
 * file or the symbol is unset (*from says which file was read, or NULL),
 * -1 on a read error (printed).
 */
int kconfig_get(const char *tree, const char *sym, char **value, const char **from);

/* The build tree of a kernel release: /lib/modules/KVER/build (malloc'ed). */
char *kconfig_tree_of(const char *kver);

#endif

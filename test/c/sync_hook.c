/* SPDX-License-Identifier: MIT */
/*
 * sync-hook.so: an LD_PRELOAD shim for tests that need something to happen
 * to a module at a moment no test can reach from outside: after modsign has
 * read it and written the signed temporary copy, before it checks the module
 * and renames the copy over it.  modsign syncs the copy (fsync, or syncfs
 * for a batch; in sign-file mode, the module part of the copy while the
 * signature is made) in that window, so the shim runs its command before the first
 * fsync(), fdatasync() or syncfs() of the process.  No test-only code is
 * needed in modsign itself.
 *
 * Environment:
 *   SYNC_HOOK  a shell command, run (sh -c) once, before the first sync
 *              call; the call then goes ahead.  It runs without LD_PRELOAD.
 *              modsign is aborted if the command fails.
 */
#include <dlfcn.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static atomic_int hook_done;

static void run_hook(void)
{
	const char *cmd = getenv("SYNC_HOOK");
	char *argv[] = { "sh", "-c", NULL, NULL };
	char **env;
	size_t n = 0, k = 0;
	pid_t pid;
	int status;

	if (!cmd || atomic_exchange(&hook_done, 1))
		return;
	while (environ[n])
		n++;
	env = calloc(n + 1, sizeof(*env));
	if (!env)
		abort();
	for (size_t i = 0; i < n; i++) {
		if (strncmp(environ[i], "LD_PRELOAD=", 11) != 0)
			env[k++] = environ[i];
	}
	argv[2] = (char *)cmd;
	if (posix_spawn(&pid, "/bin/sh", NULL, NULL, argv, env) != 0 || waitpid(pid, &status, 0) != pid ||
	    !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "sync-hook: the hook command failed\n");
		abort();
	}
	free(env);
}

#define HOOKED(name)                                                  \
	int name(int fd)                                              \
	{                                                             \
		int (*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, #name); \
                                                                      \
		run_hook();                                           \
		return real(fd);                                      \
	}

HOOKED(fsync)
HOOKED(fdatasync)
HOOKED(syncfs)

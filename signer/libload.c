/* SPDX-License-Identifier: MIT */
#include "libload.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

/* Under l->lock: open the library and fill every slot, or say why not. */
static void load(struct libload *l)
{
	void *h;
	const char *e;

	dlerror();
	h = dlopen(l->soname, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		e = dlerror();
		snprintf(l->err, sizeof(l->err), "%s", e ? e : "dlopen failed");
		return;
	}
	for (size_t i = 0; i < l->n_syms; i++) {
		void *p;

		dlerror();
		p = dlsym(h, l->syms[i].name);
		if (!p) {
			e = dlerror();
			snprintf(l->err, sizeof(l->err), "%s", e ? e : l->syms[i].name);
			dlclose(h);
			return;
		}
		memcpy(l->syms[i].slot, &p, sizeof(p));
	}
	/* Kept open for the life of the process. */
	l->ok = true;
}

int libload_open(struct libload *l, const char *what)
{
	bool ok;

	pthread_mutex_lock(&l->lock);
	if (!l->tried) {
		load(l);
		l->tried = true;
	}
	ok = l->ok;
	pthread_mutex_unlock(&l->lock);
	if (ok)
		return 0;
	util_err("%s: cannot load %s: %s (apt-get install %s)", what, l->soname, l->err, l->package);
	return -1;
}

/* SPDX-License-Identifier: MIT */
/*
 * sign: `modsign sign` signs every module under the given paths, as
 * CONFIG_MODULE_SIG_ALL would, with the managed key unless --key is given.
 *
 * Per module: decompress (.ko.gz/.xz/.zst), skip it when it is already
 * signed by this key, otherwise remove any old signatures, sign, recompress
 * in the same format and replace the file atomically (mode and owner kept).
 */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <ftw.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "cmssign.h"
#include "commands.h"
#include "compress.h"
#include "digest.h"
#include "fileio.h"
#include "hashalg.h"
#include "kconfig.h"
#include "key.h"
#include "keystore.h"
#include "module.h"
#include "trailer.h"
#include "util.h"
#include "verify.h"

#define SIGN_DEFAULT_HASH "sha512"

enum sign_outcome { OUT_SIGNED, OUT_SKIPPED, OUT_RESIGNED, OUT_FAILED, OUT__MAX };

static const char *const outcome_names[OUT__MAX] = { "signed", "skipped", "re-signed", "failed" };

struct sign_job {
	char *path;
	bool named; /* on the command line, not found by a walk */
	enum sign_outcome outcome;
	int io_err; /* set by the batch when the replacement failed after sign_one */
	char note[160];
	atomic_int ahead;                /* AHEAD_*: its temporary file made ahead */
	struct fileio_tmp_parked tmp;    /* AHEAD_MADE: that file (fd -1: none) */
};

enum { AHEAD_NONE, AHEAD_BUSY, AHEAD_MADE, AHEAD_TAKEN };

struct sign_ctx {
	EVP_PKEY *key;
	X509 *cert;
	STACK_OF(X509) *trusted; /* just cert: "already signed by this key?" */
	const struct hashalg *hash;
	struct sign_job *jobs;
	size_t njobs;
	atomic_size_t next, done;
	int progress;
	bool detach; /* -d: write MODULE.p7s, leave the module alone */
	size_t ahead; /* how many temporary files to make ahead, at most */
	struct fileio_batch *batch; /* NULL: each file synced on its own */
};

/* ---- collecting the modules ---- */

static const char *const suffixes[] = { ".ko", ".ko.gz", ".ko.xz", ".ko.zst" };

static int is_module_name_n(const char *path, size_t n)
{
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		size_t s = strlen(suffixes[i]);

		if (n > s && memcmp(path + n - s, suffixes[i], s) == 0)
			return 1;
	}
	return 0;
}

static int is_module_name(const char *path)
{
	return is_module_name_n(path, strlen(path));
}

static struct {
	struct sign_job *v;
	size_t n, cap;
	int oom, quiet;
	char **stale; /* temporary files of modules that may be left by a dead modsign */
	size_t nstale, stale_cap;
} collect;

static int add_stale(const char *path)
{
	if (collect.nstale == collect.stale_cap) {
		size_t cap = collect.stale_cap ? 2 * collect.stale_cap : 16;
		char **v = realloc(collect.stale, cap * sizeof(*v));

		if (!v)
			return -1;
		collect.stale = v;
		collect.stale_cap = cap;
	}
	if (!(collect.stale[collect.nstale] = strdup(path)))
		return -1;
	collect.nstale++;
	return 0;
}

/* The length of the module name in a temporary file's destination of
 * length n: a module's, or (-d) its MODULE.p7s; 0 when neither. */
static size_t temp_module_len(const char *dest, size_t n)
{
	static const char p7s[] = ".p7s";

	if (is_module_name_n(dest, n))
		return n;
	if (n > sizeof(p7s) - 1 && memcmp(dest + n - (sizeof(p7s) - 1), p7s, sizeof(p7s) - 1) == 0 &&
	    is_module_name_n(dest, n - (sizeof(p7s) - 1)))
		return n - (sizeof(p7s) - 1);
	return 0;
}

/* Whether path (of a regular file) names the temporary file of a module or
 * of its detached signature. */
static int is_module_temp(const char *path)
{
	size_t n = fileio_tmp_dest_len(path);

	return n && temp_module_len(path, n);
}

static int add_job(const char *path)
{
	if (collect.n == collect.cap) {
		size_t cap = collect.cap ? 2 * collect.cap : 64;
		struct sign_job *v = realloc(collect.v, cap * sizeof(*v));

		if (!v)
			return -1;
		collect.v = v;
		collect.cap = cap;
	}
	memset(&collect.v[collect.n], 0, sizeof(collect.v[0]));
	collect.v[collect.n].tmp.fd = -1;
	if (!(collect.v[collect.n].path = strdup(path)))
		return -1;
	collect.n++;
	return 0;
}

/*
 * Walk without following symlinks: a link never leads out of the tree.
 * Temporary files of modules are noted, to be removed if stale.
 */
static int walk_cb(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)ftw;
	if (type == FTW_F && ((is_module_name(path) && add_job(path) < 0) ||
			      (S_ISREG(st->st_mode) && is_module_temp(path) && add_stale(path) < 0))) {
		collect.oom = 1;
		return 1;
	}
	if (type == FTW_SL && is_module_name(path) && !collect.quiet)
		util_warn("%s: symbolic link, not followed", path);
	if (type == FTW_DNR)
		util_warn("%s: cannot read directory, skipped", path);
	return 0;
}

static int job_cmp(const void *a, const void *b)
{
	return strcmp(((const struct sign_job *)a)->path, ((const struct sign_job *)b)->path);
}

static int collect_paths(char **paths, int n)
{
	for (int i = 0; i < n; i++) {
		_cleanup_free_ char *real = NULL;
		struct stat st;

		/* A module named through a symlink: sign the file it points to and
		 * keep the link (renaming over the link would replace it).  A
		 * directory named through one: walk the directory it points to
		 * (inside it, links are not followed). */
		if (lstat(paths[i], &st) == 0 && S_ISLNK(st.st_mode) && !(real = realpath(paths[i], NULL))) {
			util_err("%s: %s", paths[i], strerror(errno));
			return -1;
		}
		if (stat(paths[i], &st) < 0) {
			util_err("%s: %s", paths[i], strerror(errno));
			return -1;
		}
		if (S_ISDIR(st.st_mode)) {
			if (nftw(real ? real : paths[i], walk_cb, 16, FTW_PHYS) != 0 || collect.oom) {
				util_err("%s: cannot walk: %s", paths[i], collect.oom ? "out of memory" : strerror(errno));
				return -1;
			}
		} else if (add_job(real ? real : paths[i]) < 0) {
			util_err("out of memory");
			return -1;
		} else {
			collect.v[collect.n - 1].named = true;
		}
	}
	if (collect.n)
		qsort(collect.v, collect.n, sizeof(collect.v[0]), job_cmp);
	return 0;
}

/* Note the temporary files of modules in directory `prefix` (with its '/'). */
static int find_stale_in(const char *prefix)
{
	DIR *d = opendir(*prefix ? prefix : ".");
	struct dirent *e;
	int ret = 0;

	if (!d)
		return 0; /* signing the module will say what is wrong */
	while (ret == 0 && (e = readdir(d))) {
		_cleanup_free_ char *dest = NULL;
		size_t n = fileio_tmp_dest_len(e->d_name);
		struct sign_job key;

		if (!n || (e->d_type != DT_REG && e->d_type != DT_UNKNOWN))
			continue;
		if (asprintf(&dest, "%s%s", prefix, e->d_name) < 0) {
			dest = NULL;
			ret = -1;
			break;
		}
		/* dest without its ".~modsign~XXXXXX" (and ".p7s"): is that module
		 * being signed? */
		n = temp_module_len(dest, strlen(prefix) + n);
		if (!n)
			continue;
		key.path = strndup(dest, n);
		if (!key.path)
			ret = -1;
		else if (bsearch(&key, collect.v, collect.n, sizeof(collect.v[0]), job_cmp) && add_stale(dest) < 0)
			ret = -1;
		free(key.path);
	}
	closedir(d);
	return ret;
}

/*
 * Modules named on the command line: note the temporary files for exactly
 * those names, reading each directory once.  (Walks note them on the way.)
 */
static int find_named_stale(void)
{
	_cleanup_free_ char **done = calloc(collect.n + 1, sizeof(*done));
	size_t ndone = 0;
	int ret = 0;

	if (!done)
		return -1;
	for (size_t i = 0; ret == 0 && i < collect.n; i++) {
		const char *slash = strrchr(collect.v[i].path, '/');
		size_t len = slash ? (size_t)(slash - collect.v[i].path) + 1 : 0;
		bool seen = false;

		if (!collect.v[i].named)
			continue;
		for (size_t k = 0; !seen && k < ndone; k++)
			seen = strlen(done[k]) == len && strncmp(done[k], collect.v[i].path, len) == 0;
		if (seen)
			continue;
		if (!(done[ndone] = strndup(collect.v[i].path, len)))
			ret = -1;
		else
			ret = find_stale_in(done[ndone++]);
	}
	for (size_t k = 0; k < ndone; k++)
		free(done[k]);
	return ret;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Remove the temporary files that a modsign killed earlier left beside the
 * modules (those of a modsign still running are locked and stay).
 */
static void remove_stale(int quiet)
{
	if (collect.nstale)
		qsort(collect.stale, collect.nstale, sizeof(collect.stale[0]), str_cmp);
	for (size_t i = 0; i < collect.nstale; i++) {
		if (fileio_tmp_remove_stale(collect.stale[i]) > 0 && !quiet)
			printf("removed: %s (stale temporary file)\n", collect.stale[i]);
		free(collect.stale[i]);
	}
	free(collect.stale);
	collect.stale = NULL;
	collect.nstale = collect.stale_cap = 0;
}

/* ---- one module ---- */

#define NOTE(j, ...) snprintf((j)->note, sizeof((j)->note), __VA_ARGS__)

static int signed_by_us(const struct sign_ctx *c, const unsigned char *data, size_t len,
			const struct trailer *t, const char *path)
{
	struct verify_opts opts = { .trusted = c->trusted };
	struct verify_result res;

	if (verify_cms(&opts, data, t->body_len, data + t->body_len, t->sig_len, path, &res) < 0)
		return 0;
	(void)len;
	return res.verdict == VERIFY_OK;
}

/*
 * The common case, a plain unsigned module, streamed: hashed and copied to
 * the temporary file through one small buffer, so memory does not grow with
 * the module's size.  Returns 0 when the module is not such a case (the
 * general path below handles it, errors included), else 1 with the job done.
 */
#define SIGN_STREAM_BUF (64 * 1024)

/* Whether fd is a plain unsigned module: a regular file that starts as ELF
 * and has no signature trailer.  *st: its stat. */
static bool plain_unsigned(int fd, struct stat *st)
{
	unsigned char buf[TRAILER_MAGIC_LEN];

	return fd >= 0 && fstat(fd, st) == 0 && S_ISREG(st->st_mode) && st->st_size >= TRAILER_MAGIC_LEN + 4 &&
	       pread(fd, buf, 4, 0) == 4 && memcmp(buf, "\177ELF", 4) == 0 &&
	       pread(fd, buf, TRAILER_MAGIC_LEN, st->st_size - TRAILER_MAGIC_LEN) == TRAILER_MAGIC_LEN &&
	       memcmp(buf, TRAILER_MAGIC, TRAILER_MAGIC_LEN) != 0;
}

/* ahead: the module's temporary file if one was made ahead (taken here). */
static int sign_plain(const struct sign_ctx *c, struct sign_job *j, struct fileio_tmp_parked *ahead)
{
	_cleanup_close_ int fd = open(j->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	_cleanup_free_ unsigned char *der = NULL;
	struct cmssign_stream *cs = NULL;
	struct fileio_tmp t = { .fd = -1 };
	unsigned char buf[SIGN_STREAM_BUF];
	uint8_t tail[TRAILER_LEN];
	size_t der_len = 0, left;
	struct stat st;

	if (!plain_unsigned(fd, &st))
		return 0;

	j->outcome = OUT_FAILED;
	if (cmssign_begin(c->key, c->cert, hashalg_md(c->hash), false, j->path, &cs) < 0)
		return 1;
	if ((ahead->fd >= 0 ? fileio_tmp_unpark(ahead, j->path, st.st_mode, &st, &t)
			    : fileio_tmp_open(&t, j->path, st.st_mode, &st)) < 0) {
		cmssign_stream_free(cs);
		return 1;
	}
	fileio_tmp_expect(&t, &st, "signed");
	for (left = (size_t)st.st_size; left;) {
		ssize_t n = read(fd, buf, left < sizeof(buf) ? left : sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			util_err("%s: %s", j->path, n ? strerror(errno) : "file shrank while being read");
			goto fail;
		}
		struct iovec v = { buf, (size_t)n };

		if (cmssign_update(cs, buf, (size_t)n) < 0 || fileio_tmp_write(&t, &v, 1) < 0)
			goto fail;
		left -= (size_t)n;
	}
	if (cmssign_finish(TAKE_PTR(cs), &der, &der_len) < 0 || der_len > UINT32_MAX)
		goto fail;
	trailer_build(tail, (uint32_t)der_len);

	struct iovec iov[2] = { { der, der_len }, { tail, sizeof(tail) } };

	if (fileio_tmp_write(&t, iov, 2) < 0 || fileio_batch_add(c->batch, &t, &j->io_err) < 0)
		return 1;
	j->outcome = OUT_SIGNED;
	return 1;
fail:
	cmssign_stream_free(cs);
	fileio_tmp_discard(&t);
	return 1;
}

/*
 * -d: MODULE.p7s, the detached signature of what a module signature covers
 * (digest.h: without old signatures, inside the compression), as sign-file
 * -d writes it for a plain module; the module itself is not touched.
 */
static void sign_detached(const struct sign_ctx *c, struct sign_job *j)
{
	_cleanup_(module_freep) struct module m = { 0 };
	_cleanup_free_ unsigned char *der = NULL;
	_cleanup_free_ char *p7s = NULL;
	size_t body = 0, der_len = 0;
	unsigned nsigs = 0;

	j->outcome = OUT_FAILED;
	if (digest_load(j->path, &m, &body, &nsigs) < 0 ||
	    cmssign_sign(c->key, c->cert, hashalg_md(c->hash), false, m.file.data, body, j->path, &der, &der_len) < 0)
		return;
	if (asprintf(&p7s, "%s.p7s", j->path) < 0) {
		p7s = NULL;
		util_err("%s: out of memory", j->path);
		return;
	}
	struct iovec v = { der, der_len };

	if (fileio_replace(p7s, &v, 1, fileio_default_mode(), NULL) < 0)
		return;
	j->outcome = OUT_SIGNED;
	NOTE(j, "detached: %s", strrchr(p7s, '/') ? strrchr(p7s, '/') + 1 : p7s);
}

/* ---- temporary files made ahead ---- */

/*
 * On ext4 without a journal, the kernel gives a new inode only after
 * searching past every inode of the group freed within the last minute
 * (recently_deleted() in fs/ext4/ialloc.c).  Each rename over a module frees
 * one, so with the temporary files created between the renames, each
 * creation searched further than the last: in a whole-kernel run that was
 * about 3.5 % of the CPU time (perf record -a, bench/).  make_ahead() therefore creates the
 * temporary files of the plain unsigned modules (empty, locked, with the
 * module's mode and owner) ahead of the workers, before the first renames;
 * elsewhere it is the same work done earlier.  It stops at c->ahead files
 * (its share of the descriptors); a worker that finds none made for its
 * module makes its own.  A kill leaves the ones not yet used behind, empty,
 * and the next run removes them like any stale temporary file.
 *
 * Each job's `ahead` says who has it: the maker moves NONE to BUSY and,
 * once the file is made, BUSY to MADE; a worker moves NONE or BUSY to TAKEN
 * (the maker then removes what it was making) or takes the MADE file.
 */
static void *make_ahead(void *arg)
{
	struct sign_ctx *c = arg;
	size_t made = 0;

	for (size_t i = 0; i < c->njobs && made < c->ahead; i++) {
		size_t next = atomic_load(&c->next);

		if (i < next)
			i = next; /* the workers are past these */
		if (i >= c->njobs)
			break;

		struct sign_job *j = &c->jobs[i];
		struct fileio_tmp_parked p = { .fd = -1 };
		int s = AHEAD_NONE, err = 0;
		struct stat st;

		if (!atomic_compare_exchange_strong(&j->ahead, &s, AHEAD_BUSY))
			continue;
		{
			_cleanup_close_ int fd = open(j->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

			if (plain_unsigned(fd, &st) && (err = fileio_tmp_park(j->path, st.st_mode, &st, &p)) == 0)
				made++;
		}
		j->tmp = p;
		s = AHEAD_BUSY;
		if (!atomic_compare_exchange_strong(&j->ahead, &s, AHEAD_MADE))
			fileio_tmp_parked_discard(&p, j->path); /* its worker went on without it */
		/* Out of descriptors, inodes or quota: the workers will say so. */
		if (err == EMFILE || err == ENFILE || err == ENOSPC || err == EDQUOT)
			break;
	}
	return NULL;
}

struct ahead_file {
	struct fileio_tmp_parked p;
	const char *dest;
};

static void parked_discardp(struct ahead_file *a)
{
	fileio_tmp_parked_discard(&a->p, a->dest);
}

/* The job's temporary file made ahead, now the caller's (fd -1: none). */
static struct ahead_file take_ahead(struct sign_job *j)
{
	struct ahead_file a = { .p = { .fd = -1 }, .dest = j->path };
	int s = AHEAD_NONE;

	if (atomic_compare_exchange_strong(&j->ahead, &s, AHEAD_TAKEN) ||
	    (s == AHEAD_BUSY && atomic_compare_exchange_strong(&j->ahead, &s, AHEAD_TAKEN)))
		return a; /* none made (yet): the maker leaves it, or removes what it was making */
	a.p = j->tmp; /* AHEAD_MADE */
	j->tmp.fd = -1;
	return a;
}

static void sign_one(const struct sign_ctx *c, struct sign_job *j)
{
	_cleanup_(module_freep) struct module m = { 0 };
	_cleanup_free_ unsigned char *der = NULL, *packed = NULL, *joined = NULL;
	const unsigned char *data;
	size_t len, body, der_len = 0, packed_len = 0;
	enum compress_format fmt;
	struct trailer t;
	unsigned nsigs = 0;
	uint8_t tail[TRAILER_LEN];

	if (c->detach) {
		sign_detached(c, j);
		return;
	}
	_cleanup_(parked_discardp) struct ahead_file ahead = take_ahead(j);

	if (sign_plain(c, j, &ahead.p))
		return; /* a plain unsigned module, streamed */
	j->outcome = OUT_FAILED;
	if (module_load(j->path, &m, MODULE_DECOMPRESS) < 0)
		return;
	data = m.file.data;
	len = m.file.len;
	fmt = m.format;

	enum trailer_status st = m.sig;

	t = m.tr;
	body = module_unsigned_len(&m, &nsigs);
	if (!body) { /* a trailer whose extent cannot be trusted: never sign what is left */
		util_err("%s: malformed signature trailer (%s); not touching it", j->path,
			 t.why ? t.why : "a stacked signature's length points outside the file");
		return;
	}
	if (nsigs == 1 && st == TRAILER_OK && signed_by_us(c, data, len, &t, j->path)) {
		j->outcome = OUT_SKIPPED;
		NOTE(j, "already signed by this key");
		return;
	}
	if (nsigs > 1)
		NOTE(j, "replaced %u stacked signatures", nsigs);
	else if (nsigs == 1 && st != TRAILER_OK)
		NOTE(j, "replaced a malformed signature");
	else if (nsigs == 1)
		NOTE(j, "replaced a signature by another key");

	if (cmssign_sign(c->key, c->cert, hashalg_md(c->hash), false, data, body, j->path, &der, &der_len) < 0)
		return;
	if (der_len > UINT32_MAX)
		return;
	trailer_build(tail, (uint32_t)der_len);

	struct iovec iov[3] = { { (void *)data, body }, { der, der_len }, { tail, sizeof(tail) } };
	int iovcnt = 3;

	if (fmt != COMPRESS_NONE) {
		size_t total = body + der_len + sizeof(tail);

		if (!(joined = malloc(total))) {
			util_err("%s: out of memory", j->path);
			return;
		}
		memcpy(joined, data, body);
		memcpy(joined + body, der, der_len);
		memcpy(joined + body + der_len, tail, sizeof(tail));
		if (compress_compress(fmt, joined, total, &packed, &packed_len, j->path) < 0)
			return;
		iov[0] = (struct iovec){ packed, packed_len };
		iovcnt = 1;
	}
	if (fileio_batch_replace(c->batch, j->path, iov, iovcnt, m.file.st.st_mode, &m.file.st, &m.file.st,
				 &j->io_err) < 0)
		return;
	j->outcome = nsigs ? OUT_RESIGNED : OUT_SIGNED;
}

/* ---- workers and progress ---- */

static pthread_mutex_t progress_lock = PTHREAD_MUTEX_INITIALIZER;

static void show_progress(struct sign_ctx *c, size_t done)
{
	static struct timespec last;
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	pthread_mutex_lock(&progress_lock);
	if (done == c->njobs || (now.tv_sec - last.tv_sec) * 1000 + (now.tv_nsec - last.tv_nsec) / 1000000 >= 100) {
		last = now;
		flockfile(stderr);
		fprintf(stderr, "\rmodsign: signing %zu/%zu modules", done, c->njobs);
		funlockfile(stderr);
	}
	pthread_mutex_unlock(&progress_lock);
}

static void *worker(void *arg)
{
	struct sign_ctx *c = arg;
	size_t i;

	while ((i = atomic_fetch_add(&c->next, 1)) < c->njobs) {
		sign_one(c, &c->jobs[i]);
		size_t done = atomic_fetch_add(&c->done, 1) + 1;

		if (c->progress)
			show_progress(c, done);
	}
	return NULL;
}

static int run_jobs(struct sign_ctx *c, long nthreads)
{
	pthread_t tids[256], maker;
	bool making = c->ahead && pthread_create(&maker, NULL, make_ahead, c) == 0;
	long n = nthreads;

	if ((size_t)n > c->njobs)
		n = (long)c->njobs;
	if (n > 256)
		n = 256;
	long started = 0;

	while (n > 1 && started < n && pthread_create(&tids[started], NULL, worker, c) == 0)
		started++;
	if (started == 0)
		worker(c);
	for (long i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	if (making)
		pthread_join(maker, NULL);
	return 0;
}

/*
 * How many temporary files to make ahead: one per job, within the soft
 * RLIMIT_NOFILE (raised towards the hard one for them) less what the
 * workers and the batch need; 0 for -d or a single module.
 */
#define SIGN_AHEAD_MAX 8192

static size_t ahead_budget(const struct sign_ctx *c)
{
	unsigned long long cur;

	if (c->detach || c->njobs < 2)
		return 0;
	cur = fileio_raise_nofile(FILEIO_BATCH_NOFILE + (c->njobs < SIGN_AHEAD_MAX ? c->njobs : SIGN_AHEAD_MAX));
	if (cur <= FILEIO_BATCH_NOFILE)
		return 0;
	return cur - FILEIO_BATCH_NOFILE < SIGN_AHEAD_MAX ? (size_t)(cur - FILEIO_BATCH_NOFILE) : SIGN_AHEAD_MAX;
}

/* ---- the command ---- */

static const char sign_usage[] =
	"Usage: modsign sign [--key KEY] [--cert X509] [--hash HASH]\n"
	"                    [--kernel-dir DIR | --kver KVER] [--sync batch|file] [-d] [-j N] [-q] PATH...\n";

/* The hash: --hash, else the kernel's CONFIG_MODULE_SIG_HASH, else sha512. */
static const struct hashalg *choose_hash(const char *opt, const char *kdir, const char *kver, int quiet)
{
	_cleanup_free_ char *tree = NULL, *value = NULL;
	const char *from = NULL;
	struct utsname u;

	if (opt) {
		const struct hashalg *h = hashalg_by_name(opt);

		if (!h)
			util_err("%s: unknown hash algorithm (expected one of: %s)", opt, hashalg_list());
		return h;
	}
	if (kdir) {
		tree = strdup(kdir);
	} else {
		if (!kver && uname(&u) == 0)
			kver = u.release;
		tree = kver ? kconfig_tree_of(kver) : NULL;
	}
	if (tree && kconfig_get(tree, "CONFIG_MODULE_SIG_HASH", &value, &from) > 0) {
		const struct hashalg *h = hashalg_by_name(value);

		if (!h)
			util_err("%s/%s: CONFIG_MODULE_SIG_HASH=%s is not a hash modsign can sign with", tree, from, value);
		return h;
	}
	if (!quiet)
		util_warn("no CONFIG_MODULE_SIG_HASH in %s; signing with %s", tree ? tree : "(no kernel tree)",
			  SIGN_DEFAULT_HASH);
	return hashalg_by_name(SIGN_DEFAULT_HASH);
}

int cmd_sign(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "key", required_argument, NULL, 'K' },
		{ "cert", required_argument, NULL, 'C' },
		{ "hash", required_argument, NULL, 'H' },
		{ "kernel-dir", required_argument, NULL, 'D' },
		{ "kver", required_argument, NULL, 'V' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "sync", required_argument, NULL, 'S' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "detach", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *key_path = NULL, *cert_path = NULL, *hash_opt = NULL, *kdir = NULL, *kver = NULL;
	_cleanup_pkey_ EVP_PKEY *key = NULL;
	_cleanup_x509_ X509 *cert = NULL;
	_cleanup_free_ char *dir = NULL;
	long jobs = sysconf(_SC_NPROCESSORS_ONLN);
	int quiet = 0, sync_each = 0, detach = 0, opt;
	size_t count[OUT__MAX] = { 0 };

	while ((opt = getopt_long(argc, argv, "j:qdh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'K': key_path = optarg; break;
		case 'C': cert_path = optarg; break;
		case 'H': hash_opt = optarg; break;
		case 'D': kdir = optarg; break;
		case 'V': kver = optarg; break;
		case 'q': quiet = 1; break;
		case 'd': detach = 1; break;
		case 'S':
			if (strcmp(optarg, "batch") != 0 && strcmp(optarg, "file") != 0) {
				util_err("--sync %s: expected batch or file", optarg);
				return EXIT_USAGE;
			}
			sync_each = strcmp(optarg, "file") == 0;
			break;
		case 'j': {
			char *end;

			jobs = strtol(optarg, &end, 10);
			if (*end || jobs < 1 || jobs > 256) {
				util_err("-j %s: expected a number from 1 to 256", optarg);
				return EXIT_USAGE;
			}
			break;
		}
		case 'h': fputs(sign_usage, stdout); return EXIT_OK;
		default: fputs(sign_usage, stderr); return EXIT_USAGE;
		}
	}
	if (optind >= argc || (kdir && kver) || (cert_path && !key_path)) {
		if (kdir && kver)
			util_err("--kernel-dir and --kver exclude each other");
		else if (cert_path && !key_path)
			util_err("--cert needs --key (without --key the managed key is used)");
		fputs(sign_usage, stderr);
		return EXIT_USAGE;
	}
	if (jobs < 1)
		jobs = 1;

	const struct hashalg *hash = choose_hash(hash_opt, kdir, kver, quiet);
	if (!hash)
		return EXIT_ERR;

	if (key_path) {
		if (key_load_private(key_path, &key) < 0 || key_load_cert(cert_path ? cert_path : key_path, &cert) < 0 ||
		    key_check_pair(key, cert, key_path, cert_path ? cert_path : key_path) < 0)
			return EXIT_ERR;
	} else {
		if (!(dir = keystore_dir()) || keystore_open(dir, &key, &cert) < 0)
			return EXIT_ERR;
	}

	collect.quiet = quiet;
	if (collect_paths(argv + optind, argc - optind) < 0)
		return EXIT_ERR;
	if (find_named_stale() < 0) {
		util_err("out of memory");
		return EXIT_ERR;
	}
	remove_stale(quiet);

	_cleanup_x509_stack_ STACK_OF(X509) *trusted = sk_X509_new_null();
	if (!trusted || !X509_up_ref(cert) || !sk_X509_push(trusted, cert))
		return EXIT_ERR;

	struct sign_ctx c = {
		.key = key, .cert = cert, .trusted = trusted, .hash = hash,
		.jobs = collect.v, .njobs = collect.n,
		.progress = isatty(STDERR_FILENO) && collect.n > 1, .detach = detach,
	};
	if (collect.n == 0 && !quiet)
		util_warn("no modules (*.ko, *.ko.gz, *.ko.xz, *.ko.zst) found");
	/*
	 * NULL (--sync file, a single module as Kbuild's cmd_sign gives, or no
	 * memory): each file synced on its own.  syncfs() pays off for many
	 * files; for one, fsync() writes only what it must.
	 */
	c.batch = sync_each || collect.n < 2 ? NULL : fileio_batch_new();
	c.ahead = ahead_budget(&c);
	run_jobs(&c, jobs);
	fileio_batch_finish(c.batch);
	if (c.progress)
		fputs("\r\033[K", stderr);

	for (size_t i = 0; i < collect.n; i++) {
		struct sign_job *j = &collect.v[i];

		if (j->io_err)
			j->outcome = OUT_FAILED;
		count[j->outcome]++;
		if (!quiet || j->outcome == OUT_FAILED)
			printf("%s: %s%s%s%s\n", outcome_names[j->outcome], j->path,
			       j->note[0] ? " (" : "", j->note, j->note[0] ? ")" : "");
		free(j->path);
	}
	free(collect.v);
	collect.v = NULL;
	collect.n = collect.cap = 0;
	if (!quiet || count[OUT_FAILED])
		printf("%zu signed, %zu skipped, %zu re-signed, %zu failed\n", count[OUT_SIGNED],
		       count[OUT_SKIPPED], count[OUT_RESIGNED], count[OUT_FAILED]);
	return count[OUT_FAILED] ? EXIT_ERR : EXIT_OK;
}

/* SPDX-License-Identifier: MIT */
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <unistd.h>

#include "util.h"

int fileio_read(const char *path, struct fileio_buf *out)
{
	_cleanup_close_ int fd = -1;
	struct stat st;
	unsigned char *data;
	size_t done = 0;

	/* O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused below). */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
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
	if ((unsigned long long)st.st_size > FILEIO_MAX_SIZE) {
		util_err("%s: file too large (%lld bytes, more than %llu)", path,
			 (long long)st.st_size, (unsigned long long)FILEIO_MAX_SIZE);
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

/* Create the missing parents of dir (like mkdir -p). */
static void mkdir_parents(const char *dir)
{
	_cleanup_free_ char *p = strdup(dir);

	for (char *s = p ? p + 1 : NULL; s && (s = strchr(s, '/')); s++) {
		*s = '\0';
		mkdir(p, 0755); /* errors show up when dir itself is made */
		*s = '/';
	}
}

int fileio_mkdir_private(const char *dir, bool parents, bool *created)
{
	int r = mkdir(dir, 0700);

	if (r < 0 && errno == ENOENT && parents) {
		mkdir_parents(dir);
		r = mkdir(dir, 0700);
	}
	if (r == 0)
		chmod(dir, 0700); /* whatever the umask took away */
	if (created)
		*created = r == 0;
	if (r < 0 && errno != EEXIST) {
		util_err("%s: cannot create directory: %s", dir, strerror(errno));
		return -1;
	}
	return fileio_check_dir(dir);
}

int fileio_check_dir(const char *dir)
{
	struct stat st;

	if (stat(dir, &st) < 0) {
		util_err("%s: %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		util_err("%s: not a directory", dir);
		return -1;
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

/* ---- temporary files ---- */

#define TMP_INFIX ".~modsign~"
#define TMP_RANDOM 6 /* the XXXXXX of mkostemp() */
_Static_assert(sizeof(((struct fileio_tmp_parked *)0)->rnd) == TMP_RANDOM + 1, "fileio_tmp_parked.rnd");

/*
 * Lock a new temporary file for as long as it is open: 0 when it is locked
 * (or the filesystem has no flock(), where no one removes it either), 1 when
 * a cleaner removed it between its creation and the lock (make another).
 */
static int tmp_lock(int fd)
{
	struct stat st;

	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR)
			return 0;
	}
	return fstat(fd, &st) == 0 && st.st_nlink == 0;
}

/* Where tmp_create() failed. */
enum tmp_step { TMP_MADE, TMP_NOMEM, TMP_CREATE, TMP_SETUP };

/* fileio_tmp_open() without messages: TMP_MADE, or the failed step with *err. */
static enum tmp_step tmp_create(struct fileio_tmp *t, const char *dest, mode_t mode, const struct stat *owner,
				int *err)
{
	*t = (struct fileio_tmp){ .fd = -1, .dest = dest };
	for (int tries = 0;; tries++) {
		if (asprintf(&t->path, "%s" TMP_INFIX "XXXXXX", dest) < 0) {
			t->path = NULL;
			*err = ENOMEM;
			return TMP_NOMEM;
		}
		t->fd = mkostemp(t->path, O_CLOEXEC);
		if (t->fd < 0) {
			*err = errno;
			free(t->path);
			t->path = NULL;
			return TMP_CREATE;
		}
		if (tries == 100 || tmp_lock(t->fd) == 0)
			break;
		/* Already unlinked by a cleaner: its name is not ours any more. */
		close(t->fd);
		free(t->path);
	}
	if ((owner && fchown(t->fd, owner->st_uid, owner->st_gid) < 0 && errno != EPERM) ||
	    fchmod(t->fd, mode & 07777) < 0 || fstat(t->fd, &t->st) < 0) {
		*err = errno;
		fileio_tmp_discard(t);
		return TMP_SETUP;
	}
	return TMP_MADE;
}

int fileio_tmp_open(struct fileio_tmp *t, const char *dest, mode_t mode, const struct stat *owner)
{
	int err = 0;

	switch (tmp_create(t, dest, mode, owner, &err)) {
	case TMP_MADE:
		return 0;
	case TMP_NOMEM:
		util_err("%s: out of memory", dest);
		break;
	case TMP_CREATE:
		util_err("%s: cannot create temporary file: %s", dest, strerror(err));
		break;
	case TMP_SETUP:
		util_err("%s: cannot write: %s", dest, strerror(err));
		break;
	}
	return -1;
}

int fileio_tmp_park(const char *dest, mode_t mode, const struct stat *owner, struct fileio_tmp_parked *p)
{
	struct fileio_tmp t;
	int err = 0;

	*p = (struct fileio_tmp_parked){ .fd = -1 };
	if (tmp_create(&t, dest, mode, owner, &err) != TMP_MADE)
		return err;
	/* The name is dest, TMP_INFIX, then the random part. */
	memcpy(p->rnd, t.path + strlen(t.path) - TMP_RANDOM, TMP_RANDOM);
	p->rnd[TMP_RANDOM] = '\0';
	p->fd = t.fd;
	free(t.path);
	return 0;
}

/* The name of a parked temporary file of dest (NULL: out of memory). */
static char *parked_path(const struct fileio_tmp_parked *p, const char *dest)
{
	char *path;

	return asprintf(&path, "%s" TMP_INFIX "%s", dest, p->rnd) < 0 ? NULL : path;
}

int fileio_tmp_unpark(struct fileio_tmp_parked *p, const char *dest, mode_t mode, const struct stat *owner,
		      struct fileio_tmp *t)
{
	int saved;

	*t = (struct fileio_tmp){ .fd = p->fd, .dest = dest, .path = parked_path(p, dest) };
	p->fd = -1;
	if (!t->path) { /* the file stays, empty, for the next run to remove as stale */
		close(t->fd);
		t->fd = -1;
		util_err("%s: out of memory", dest);
		return -1;
	}
	/* The module's mode or owner may have changed since it was made. */
	if (fstat(t->fd, &t->st) < 0 ||
	    (owner && (t->st.st_uid != owner->st_uid || t->st.st_gid != owner->st_gid) &&
	     fchown(t->fd, owner->st_uid, owner->st_gid) < 0 && errno != EPERM) ||
	    ((t->st.st_mode & 07777) != (mode & 07777) && fchmod(t->fd, mode & 07777) < 0) ||
	    fstat(t->fd, &t->st) < 0) {
		saved = errno;
		fileio_tmp_discard(t);
		util_err("%s: cannot write: %s", dest, strerror(saved));
		return -1;
	}
	return 0;
}

void fileio_tmp_parked_discard(struct fileio_tmp_parked *p, const char *dest)
{
	_cleanup_free_ char *path = NULL;

	if (p->fd < 0)
		return;
	/* Unlinked while still locked, as in fileio_tmp_discard(). */
	path = parked_path(p, dest);
	if (path)
		unlink(path);
	close(p->fd);
	p->fd = -1;
}

void fileio_tmp_expect(struct fileio_tmp *t, const struct stat *expect, const char *doing)
{
	t->check = true;
	t->doing = doing;
	t->expect = *expect;
}

/*
 * Whether path is still the file `was` describes: 0 when it is (same inode,
 * size and modification time, and change time unless the link count
 * changed: replacing another name of a hard-linked file changes only that),
 * -1 when it changed or is gone, else the errno of lstat().
 */
static int tmp_dest_unchanged(const char *path, const struct stat *was)
{
	struct stat now;

	if (lstat(path, &now) < 0)
		return errno == ENOENT || errno == ENOTDIR ? -1 : errno;
	if (now.st_dev != was->st_dev || now.st_ino != was->st_ino || now.st_size != was->st_size ||
	    now.st_mtim.tv_sec != was->st_mtim.tv_sec || now.st_mtim.tv_nsec != was->st_mtim.tv_nsec)
		return -1;
	if (now.st_nlink == was->st_nlink &&
	    (now.st_ctim.tv_sec != was->st_ctim.tv_sec || now.st_ctim.tv_nsec != was->st_ctim.tv_nsec))
		return -1;
	return 0;
}

/* Print why dest may not be replaced after tmp_dest_unchanged() said `r`. */
static void tmp_changed_err(const char *dest, int r, const char *doing)
{
	if (r < 0)
		util_err("%s: changed while being %s", dest, doing);
	else
		util_err("%s: cannot replace: %s", dest, strerror(r));
}

int fileio_tmp_write(struct fileio_tmp *t, const struct iovec *iov, int iovcnt)
{
	if (write_all(t->fd, iov, iovcnt) < 0) {
		int saved = errno;

		fileio_tmp_discard(t);
		util_err("%s: cannot write: %s", t->dest, strerror(saved));
		return -1;
	}
	for (int i = 0; i < iovcnt; i++)
		t->len += iov[i].iov_len;
	return 0;
}

void fileio_tmp_discard(struct fileio_tmp *t)
{
	/* Unlinked while still locked: no cleaner can take the name meanwhile. */
	if (t->path)
		unlink(t->path);
	if (t->fd >= 0)
		close(t->fd);
	free(t->path);
	t->fd = -1;
	t->path = NULL;
}

int fileio_tmp_sync(struct fileio_tmp *t)
{
	int saved;

	if (fsync(t->fd) < 0) {
		saved = errno;
		fileio_tmp_discard(t);
		util_err("%s: cannot write: %s", t->dest, strerror(saved));
		return -1;
	}
	return 0;
}

int fileio_tmp_rename(struct fileio_tmp *t)
{
	int saved;

	if (fileio_tmp_sync(t) < 0)
		return -1;
	if (t->check && (saved = tmp_dest_unchanged(t->dest, &t->expect)) != 0) {
		fileio_tmp_discard(t);
		tmp_changed_err(t->dest, saved, t->doing);
		return -1;
	}
	/* Renamed while still open, so still locked; the data is synced. */
	if (rename(t->path, t->dest) < 0) {
		saved = errno;
		fileio_tmp_discard(t);
		util_err("%s: cannot replace: %s", t->dest, strerror(saved));
		return -1;
	}
	close(t->fd);
	t->fd = -1;
	free(t->path);
	t->path = NULL;
	return 0;
}

int fileio_tmp_commit(struct fileio_tmp *t)
{
	if (fileio_tmp_rename(t) < 0)
		return -1;
	if (fsync_parent(t->dest) < 0) {
		util_err("%s: cannot sync directory: %s", t->dest, strerror(errno));
		return -1;
	}
	return 0;
}

/* Write iov to a new temporary file next to dest (synced); returns its fd. */
static int write_temp(const char *dest, const struct iovec *iov, int iovcnt,
		      mode_t mode, const struct stat *owner, char **tmp_out)
{
	struct fileio_tmp t;

	if (fileio_tmp_open(&t, dest, mode, owner) < 0 || fileio_tmp_write(&t, iov, iovcnt) < 0 ||
	    fileio_tmp_sync(&t) < 0)
		return -1;
	*tmp_out = TAKE_PTR(t.path);
	return t.fd;
}

int fileio_replace_if_unchanged(const char *dest, const struct iovec *iov, int iovcnt,
				mode_t mode, const struct stat *owner, const struct stat *expect,
				const char *doing)
{
	struct fileio_tmp t;

	if (fileio_tmp_open(&t, dest, mode, owner) < 0)
		return -1;
	if (expect)
		fileio_tmp_expect(&t, expect, doing);
	if (fileio_tmp_write(&t, iov, iovcnt) < 0)
		return -1;
	return fileio_tmp_commit(&t);
}

int fileio_replace(const char *dest, const struct iovec *iov, int iovcnt,
		   mode_t mode, const struct stat *owner)
{
	return fileio_replace_if_unchanged(dest, iov, iovcnt, mode, owner, NULL, NULL);
}

size_t fileio_tmp_dest_len(const char *name)
{
	size_t n = strlen(name), k = strlen(TMP_INFIX);

	if (n < 1 + k + TMP_RANDOM || name[n - TMP_RANDOM - k - 1] == '/' ||
	    memcmp(name + n - TMP_RANDOM - k, TMP_INFIX, k) != 0)
		return 0;
	for (size_t i = n - TMP_RANDOM; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
			return 0;
	}
	return n - TMP_RANDOM - k;
}

int fileio_tmp_remove_stale(const char *path)
{
	const int flags = O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
	_cleanup_close_ int fd = -1;
	struct stat before, st, now;

	/* Only ever opened when it is a regular file: never a device or FIFO. */
	if (!fileio_tmp_dest_len(path) || lstat(path, &before) < 0 || !S_ISREG(before.st_mode))
		return 0;
	/* Read-write when we may: NFS emulates flock() with write locks. */
	fd = open(path, O_RDWR | flags);
	if (fd < 0 && (errno == EACCES || errno == EROFS || errno == ETXTBSY))
		fd = open(path, O_RDONLY | flags);
	if (fd < 0 || fstat(fd, &st) < 0 || st.st_dev != before.st_dev || st.st_ino != before.st_ino)
		return 0;
	/* Held by a modsign that is still running, or no locks here: leave it. */
	if (flock(fd, LOCK_EX | LOCK_NB) < 0)
		return 0;
	/* Still the file at that name (a live writer renames only under its lock). */
	if (lstat(path, &now) < 0 || now.st_dev != st.st_dev || now.st_ino != st.st_ino)
		return 0;
	if (unlink(path) < 0) {
		if (errno == ENOENT)
			return 0;
		util_warn("%s: cannot remove stale temporary file: %s", path, strerror(errno));
		return -1;
	}
	return 1;
}

/* ---- batches ---- */

struct batch_entry {
	char *tmp, *dest;
	int fd;             /* the temporary file, open (locked) until renamed */
	dev_t dev;
	size_t len;
	int *status;
	bool check;         /* fileio_tmp_expect() */
	struct stat expect;
	const char *doing;
};

struct batch_list {
	struct batch_entry *v;
	size_t n, cap, bytes;
};

struct fileio_batch {
	pthread_mutex_t lock;
	pthread_cond_t more, room;
	struct batch_list pending;  /* written and closed, waiting for the thread */
	struct batch_list renamed;  /* renamed, durable at the next syncfs (thread only) */
	bool closing, threaded;
	bool full;                  /* an adder waits for room */
	pthread_t thread;
	int failed;
};

/* what: the failed step, with err; NULL: `err` is for tmp_changed_err(). */
static void entry_fail(struct fileio_batch *b, struct batch_entry *e, const char *what, int err)
{
	if (what)
		util_err("%s: %s: %s", e->dest, what, strerror(err));
	else
		tmp_changed_err(e->dest, err, e->doing);
	if (e->tmp)
		unlink(e->tmp);
	*e->status = -1;
	b->failed = 1;
}

static void entry_free(struct batch_entry *e)
{
	if (e->fd >= 0)
		close(e->fd);
	free(e->tmp);
	free(e->dest);
	e->tmp = e->dest = NULL;
	e->fd = -1;
}

/* syncfs() the filesystem holding path, through its directory: 0 or an errno. */
static int sync_fs_of(const char *path)
{
	_cleanup_free_ char *copy = strdup(path);
	_cleanup_close_ int dfd = -1;

	if (!copy)
		return ENOMEM;
	dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return errno;
	return syncfs(dfd) < 0 ? errno : 0;
}

/* Sync every filesystem that entries of the lists live on; a failure fails
 * the entries on that filesystem (each printed). */
static void batch_sync(struct fileio_batch *b, struct batch_list *a, struct batch_list *c)
{
	struct batch_list *lists[2] = { a, c };
	dev_t done[8];
	size_t ndone = 0;

	for (int l = 0; l < 2; l++) {
		for (size_t i = 0; i < lists[l]->n; i++) {
			struct batch_entry *e = &lists[l]->v[i];
			bool seen = false;
			int err;

			if (!e->dest)
				continue;
			for (size_t k = 0; k < ndone; k++)
				seen = seen || done[k] == e->dev;
			if (seen)
				continue;
			err = sync_fs_of(e->tmp ? e->tmp : e->dest);
			if (ndone < sizeof(done) / sizeof(done[0]))
				done[ndone++] = e->dev;
			if (!err)
				continue;
			for (int m = 0; m < 2; m++) {
				for (size_t j = 0; j < lists[m]->n; j++) {
					struct batch_entry *f = &lists[m]->v[j];

					if (f->dest && f->dev == e->dev) {
						entry_fail(b, f, "cannot sync", err);
						entry_free(f);
					}
				}
			}
		}
	}
}

static void list_free(struct batch_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		entry_free(&l->v[i]);
	free(l->v);
	*l = (struct batch_list){ 0 };
}

/* Data of `work` durable (and the previous renames), then rename it. */
static void batch_commit(struct fileio_batch *b, struct batch_list *work)
{
	batch_sync(b, work, &b->renamed);
	list_free(&b->renamed);
	for (size_t i = 0; i < work->n; i++) {
		struct batch_entry *e = &work->v[i];

		int r;

		if (!e->dest)
			continue;
		if (e->check && (r = tmp_dest_unchanged(e->dest, &e->expect)) != 0) {
			entry_fail(b, e, NULL, r);
			entry_free(e);
			continue;
		}
		if (rename(e->tmp, e->dest) < 0) {
			entry_fail(b, e, "cannot replace", errno);
			entry_free(e);
			continue;
		}
		close(e->fd);
		e->fd = -1;
		free(e->tmp);
		e->tmp = NULL;
	}
	b->renamed = *work;
	*work = (struct batch_list){ 0 };
}

static void *batch_thread(void *arg)
{
	struct fileio_batch *b = arg;
	struct batch_list work;

	pthread_mutex_lock(&b->lock);
	for (;;) {
		/* Whole groups (see fileio.h). */
		while (!b->closing && !b->full && b->pending.n < FILEIO_BATCH_MAX_FILES)
			pthread_cond_wait(&b->more, &b->lock);
		b->full = false;
		if (!b->pending.n)
			break;
		work = b->pending;
		b->pending = (struct batch_list){ 0 };
		pthread_cond_broadcast(&b->room);
		pthread_mutex_unlock(&b->lock);
		batch_commit(b, &work);
		pthread_mutex_lock(&b->lock);
	}
	pthread_mutex_unlock(&b->lock);
	/* The last renames. */
	batch_sync(b, &b->renamed, &(struct batch_list){ 0 });
	list_free(&b->renamed);
	return NULL;
}

unsigned long long fileio_raise_nofile(unsigned long long want)
{
	struct rlimit rl, up;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 0;
	if (rl.rlim_cur < want && rl.rlim_cur < rl.rlim_max) {
		up = rl;
		up.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
		if (setrlimit(RLIMIT_NOFILE, &up) == 0)
			rl = up;
	}
	return rl.rlim_cur;
}

struct fileio_batch *fileio_batch_new(void)
{
	struct fileio_batch *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	fileio_raise_nofile(FILEIO_BATCH_NOFILE);
	pthread_mutex_init(&b->lock, NULL);
	pthread_cond_init(&b->more, NULL);
	pthread_cond_init(&b->room, NULL);
	/* Without the thread, every file is committed on its own. */
	b->threaded = pthread_create(&b->thread, NULL, batch_thread, b) == 0;
	return b;
}

int fileio_batch_add(struct fileio_batch *b, struct fileio_tmp *t, int *status)
{
	struct batch_entry e = { .fd = -1, .dev = t->st.st_dev, .len = t->len, .status = status,
				 .check = t->check, .expect = t->expect, .doing = t->doing };

	if (!b || !b->threaded)
		return fileio_tmp_commit(t);
	if (!(e.dest = strdup(t->dest))) {
		fileio_tmp_discard(t);
		util_err("%s: out of memory", t->dest);
		return -1;
	}
	/* Kept open, and so locked, until renamed. */
	e.fd = t->fd;
	t->fd = -1;
	e.tmp = TAKE_PTR(t->path);

	pthread_mutex_lock(&b->lock);
	while (b->pending.n >= FILEIO_BATCH_MAX_FILES ||
	       (b->pending.n && b->pending.bytes + e.len > FILEIO_BATCH_MAX_BYTES)) {
		b->full = true;
		pthread_cond_signal(&b->more);
		pthread_cond_wait(&b->room, &b->lock);
	}
	if (b->pending.n == b->pending.cap) {
		size_t cap = b->pending.cap ? 2 * b->pending.cap : 64;
		struct batch_entry *v = realloc(b->pending.v, cap * sizeof(*v));

		if (!v) {
			pthread_mutex_unlock(&b->lock);
			unlink(e.tmp);
			util_err("%s: out of memory", e.dest);
			entry_free(&e);
			return -1;
		}
		b->pending.v = v;
		b->pending.cap = cap;
	}
	b->pending.v[b->pending.n++] = e;
	b->pending.bytes += e.len;
	if (b->pending.n >= FILEIO_BATCH_MAX_FILES)
		pthread_cond_signal(&b->more);
	pthread_mutex_unlock(&b->lock);
	return 0;
}

int fileio_batch_replace(struct fileio_batch *b, const char *dest, const struct iovec *iov, int iovcnt,
			 mode_t mode, const struct stat *owner, const struct stat *expect, int *status)
{
	struct fileio_tmp t;

	if (!b)
		return fileio_replace_if_unchanged(dest, iov, iovcnt, mode, owner, expect, "signed");
	if (fileio_tmp_open(&t, dest, mode, owner) < 0)
		return -1;
	if (expect)
		fileio_tmp_expect(&t, expect, "signed");
	if (fileio_tmp_write(&t, iov, iovcnt) < 0)
		return -1;
	return fileio_batch_add(b, &t, status);
}

int fileio_batch_finish(struct fileio_batch *b)
{
	int failed;

	if (!b)
		return 0;
	if (b->threaded) {
		pthread_mutex_lock(&b->lock);
		b->closing = true;
		pthread_cond_signal(&b->more);
		pthread_mutex_unlock(&b->lock);
		pthread_join(b->thread, NULL);
	}
	failed = b->failed;
	pthread_mutex_destroy(&b->lock);
	pthread_cond_destroy(&b->more);
	pthread_cond_destroy(&b->room);
	free(b);
	return failed ? -1 : 0;
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

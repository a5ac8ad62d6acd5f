// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ksmdev-preload.c - LD_PRELOAD shim that registers the heap of an
 * unmodified, dynamically linked program with /dev/ksm (ksmdev-preload(7)).
 *
 * What is registered, and how it is found:
 *
 *   brk         the main arena.  glibc moves the program break inside libc,
 *               where no call can be interposed, so every allocation that
 *               ends past the covered part of the heap (with the break
 *               beyond it) extends the coverage: the covered size doubles,
 *               at least 1 MiB, so a heap of N bytes takes about log2(N)
 *               regions.  Coverage runs ahead of the break: the driver
 *               skips what is not mapped.
 *   arena       thread arena heaps.  Their chunks carry NON_MAIN_ARENA; a
 *               heap is a reservation of HEAP_MAX_SIZE (64 MiB on 64-bit)
 *               aligned to its size, so chunk & ~(HEAP_MAX_SIZE - 1) is its
 *               base, and the whole reservation is registered once.  glibc
 *               deletes heaps with internal munmap calls we never see: when
 *               a new heap appears, /proc/self/maps tells which known heaps
 *               are gone, and they are unregistered.
 *   mmap-chunk  allocations glibc served with mmap (IS_MMAPPED), of at
 *               least KSMDEV_PRELOAD_MIN bytes: the mapping is
 *               [chunk - prev_size, chunk + size).  Unregistered in free()
 *               and realloc() before glibc unmaps or moves it.
 *   mmap        the program's own private anonymous mmap() of at least
 *               KSMDEV_PRELOAD_MIN bytes, kept in step with its munmap()
 *               and mremap().
 *
 * Rules this file keeps: no malloc (static tables only), no output unless
 * KSMDEV_PRELOAD_DEBUG=1, errno as the program would have it, every
 * failure silently leaves the program alone, getenv() only in the
 * constructor, one mutex around the table and every ioctl (atfork handlers
 * keep it consistent), and the hot path of malloc/free takes no lock.
 * Calls the shim itself makes go straight to the kernel (syscall()), so no
 * other interposer is re-entered; a thread that re-enters the shim (a
 * signal handler) passes straight through.
 *
 * Users: an area belongs to the merge domain of the user that made it,
 * and the driver refuses memory from a task with other credentials
 * (EPERM).  So a fork child makes its areas at its first allocation or
 * registration, not in the fork handler (it may change its user first),
 * and registers the table it inherited there; and when our euid is not
 * the one our areas were made by (seen at every slow path) or a
 * registration gets EPERM, the areas are closed and made again and the
 * table registered in them: the memory moves to the domain of the user
 * the process is now.
 *
 * Every registered range is in one sorted table of non-overlapping
 * entries; overlapping registrations are never attempted.  The driver
 * takes at most regions_per_fd (1024) regions per area: the shim opens up
 * to KP_MAX_AREAS areas and keeps KP_RESERVED entries for brk and arenas.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/ksmdev.h>

#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP	4	/* Linux 5.7 */
#endif

#define EXPORT __attribute__((visibility("default")))
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

/* glibc's allocator, exported under these names since glibc 2.0/2.2.5. */
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);
extern void *__libc_memalign(size_t align, size_t size);
extern void *__libc_valloc(size_t size);
extern void *__libc_pvalloc(size_t size);
extern void __libc_free(void *p);

/* ------------------------------------------------------------ glibc chunks */

#define SIZE_SZ			sizeof(size_t)
#define PREV_INUSE		0x1UL
#define IS_MMAPPED		0x2UL
#define NON_MAIN_ARENA		0x4UL
#define SIZE_BITS		(PREV_INUSE | IS_MMAPPED | NON_MAIN_ARENA)
/* glibc's 2 * DEFAULT_MMAP_THRESHOLD_MAX: 64 MiB on 64-bit, 1 MiB on 32-bit. */
#if __SIZEOF_LONG__ == 8
#define HEAP_MAX_SIZE		(64UL * 1024 * 1024)
#else
#define HEAP_MAX_SIZE		(1UL * 1024 * 1024)
#endif

#define MIB			(1024UL * 1024)
#define BRK_MIN_COVER		MIB
#define DEFAULT_MIN		(64UL * 1024)

/* ------------------------------------------------------------ state */

enum kind { K_BRK, K_ARENA, K_MCHUNK, K_MMAP, K_NR };
static const char *const kind_name[K_NR] = { "brk", "arena", "mmap-chunk", "mmap" };
#define KM(k)		(1u << (k))
#define KM_GONE		(KM(K_ARENA) | KM(K_MCHUNK) | KM(K_MMAP))
#define KM_ALL		(KM_GONE | KM(K_BRK))

#define KP_PER_AREA	1024		/* the driver's default regions_per_fd */
#define KP_MAX_AREAS	4
#define KP_TABLE	(KP_PER_AREA * KP_MAX_AREAS)
#define KP_RESERVED	64		/* entries only brk and arenas may take */
#define KP_NOGO		16
#define KP_TLS_HEAPS	4

struct region {
	uintptr_t start, end;
	unsigned char kind;
	unsigned char area;
};

static pthread_mutex_t kp_lock = PTHREAD_MUTEX_INITIALIZER;
static struct region tab[KP_TABLE];	/* sorted by start, disjoint */
static unsigned int ntab;
static int area_fd[KP_MAX_AREAS] = { -1, -1, -1, -1 };
static unsigned int area_used[KP_MAX_AREAS];
static unsigned char area_full[KP_MAX_AREAS];
static int dev_fd = -1;
static long area_euid = -1;		/* the effective uid our areas were made by */
static int fd_floor;			/* our fds are moved at or above this */
static uintptr_t nogo[KP_NOGO];		/* arena heaps we failed to register */
static unsigned int nogo_next;
static char maps_buf[4096];
static char line_buf[512];

/* Read without the lock (atomics). */
static int enabled;
static uintptr_t brk_covered_end;
static unsigned int arena_gen = 1;
static unsigned int n_gone;		/* entries of kinds in KM_GONE */
static int owed;			/* a fork child's table, not yet registered */

/* Set in the constructor, read-only afterwards. */
static uintptr_t heap_start;
static size_t min_bytes = DEFAULT_MIN;
static int debug;
static uintptr_t page_size = 4096;

struct kp_tls {
	int in_shim;
	unsigned int gen;
	unsigned int next;
	uintptr_t heaps[KP_TLS_HEAPS];
};
static __thread struct kp_tls tls __attribute__((tls_model("initial-exec")));

static inline int on(void)
{
	return __atomic_load_n(&enabled, __ATOMIC_ACQUIRE);
}

/* ------------------------------------------------------------ kernel calls */

/* Straight to the kernel: -errno on failure (errno is restored by callers). */
static long kp_sys(long nr, long a, long b, long c, long d, long e, long f)
{
	long r = syscall(nr, a, b, c, d, e, f);

	return r == -1 ? -errno : r;
}

#define sys3(nr, a, b, c) kp_sys(nr, (long)(a), (long)(b), (long)(c), 0, 0, 0)

/* ------------------------------------------------------------ debug log */

struct buf {
	char s[256];
	unsigned int n;
};

static void b_str(struct buf *b, const char *s)
{
	while (*s && b->n < sizeof(b->s) - 1)
		b->s[b->n++] = *s++;
}

static void b_num(struct buf *b, unsigned long v, unsigned int base)
{
	char t[24];
	int i = 0;

	if (base == 16)
		b_str(b, "0x");
	do {
		t[i++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (i && b->n < sizeof(b->s) - 1)
		b->s[b->n++] = t[--i];
}

static void b_err(struct buf *b, long err)
{
	static const struct { int e; const char *n; } names[] = {
		{ EEXIST, "EEXIST" }, { ENOSPC, "ENOSPC" }, { EINVAL, "EINVAL" },
		{ ENOMEM, "ENOMEM" }, { EBADF, "EBADF" }, { ENOTTY, "ENOTTY" },
		{ EFAULT, "EFAULT" }, { EPERM, "EPERM" }, { EACCES, "EACCES" },
		{ ENOENT, "ENOENT" }, { ENODEV, "ENODEV" }, { EMFILE, "EMFILE" },
		{ ENXIO, "ENXIO" },
	};
	unsigned int i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (names[i].e == -err) {
			b_str(b, names[i].n);
			return;
		}
	}
	b_str(b, "errno ");
	b_num(b, (unsigned long)-err, 10);
}

static void b_head(struct buf *b)
{
	b->n = 0;
	b_str(b, "ksmdev-preload[");
	b_num(b, (unsigned long)syscall(SYS_getpid), 10);
	b_str(b, "]: ");
}

static void b_emit(struct buf *b)
{
	b->s[b->n++] = '\n';
	syscall(SYS_write, 2, b->s, b->n);
}

/* "ksmdev-preload[PID]: WHAT KIND 0xSTART LENGTH RESULT" */
static void log_range(const char *what, int kind, uintptr_t s, uintptr_t e, long err)
{
	struct buf b;

	if (!debug)
		return;
	b_head(&b);
	b_str(&b, what);
	b_str(&b, " ");
	b_str(&b, kind_name[kind]);
	b_str(&b, " ");
	b_num(&b, s, 16);
	b_str(&b, " ");
	b_num(&b, e - s, 10);
	b_str(&b, " ");
	if (err)
		b_err(&b, err);
	else
		b_str(&b, "ok");
	b_emit(&b);
}

/* A free-form line: @msg, then @num (if @base) and @err (if nonzero). */
static void log_msg(const char *msg, const char *s2, unsigned long num, unsigned int base, long err)
{
	struct buf b;

	if (!debug)
		return;
	b_head(&b);
	b_str(&b, msg);
	if (s2)
		b_str(&b, s2);
	if (base)
		b_num(&b, num, base);
	if (err) {
		b_str(&b, ": ");
		b_err(&b, err);
	}
	b_emit(&b);
}

/* ------------------------------------------------------------ /dev/ksm */

/* Move a new fd of ours above the range programs usually number by hand. */
static int kp_high_fd(int fd)
{
	long nfd;

	if (fd < 0 || fd >= fd_floor)
		return fd;
	nfd = sys3(SYS_fcntl, fd, F_DUPFD_CLOEXEC, fd_floor);
	if (nfd < 0)
		return fd;
	sys3(SYS_close, fd, 0, 0);
	return (int)nfd;
}

/* A new area, in the merge domain of whoever we are now. */
static int kp_new_area(void)
{
	long fd = sys3(SYS_ioctl, dev_fd, KSM_CREATE_SHARED_MEMORY_AREA, 0);

	if (fd < 0)
		return (int)fd;
	area_euid = sys3(SYS_geteuid, 0, 0, 0);
	return kp_high_fd((int)fd);
}

/* The fd is no longer ours (closed or reused by the program): stop. */
static void kp_lost_fd(long err)
{
	if (err == -EBADF || err == -ENOTTY) {
		__atomic_store_n(&enabled, 0, __ATOMIC_RELEASE);
		log_msg("disabled: a ksmdev fd was closed or replaced by the program", NULL, 0, 0, err);
	}
}

static long kp_register(int afd, uintptr_t s, uintptr_t e)
{
	struct ksm_memory_region r = { 0 };
	uintptr_t n = (e - s) / page_size;

	if (n == 0 || n > UINT32_MAX)
		return -EINVAL;
	r.npages = (uint32_t)n;
	r.addr = s;
	return sys3(SYS_ioctl, afd, KSM_REGISTER_MEMORY_REGION, &r);
}

static long kp_unregister(int afd, uintptr_t s)
{
	return sys3(SYS_ioctl, afd, KSM_REMOVE_MEMORY_REGION, s);
}

/* ------------------------------------------------------------ the table */

/* Index of the first entry that ends after @addr. */
static unsigned int tab_search(uintptr_t addr)
{
	unsigned int lo = 0, hi = ntab;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (tab[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The entry containing @addr, or -1. */
static int tab_find(uintptr_t addr)
{
	unsigned int i = tab_search(addr);

	return i < ntab && tab[i].start <= addr ? (int)i : -1;
}

static void tab_insert(uintptr_t s, uintptr_t e, int kind, int area)
{
	unsigned int i = tab_search(s);

	memmove(&tab[i + 1], &tab[i], (ntab - i) * sizeof(tab[0]));
	tab[i].start = s;
	tab[i].end = e;
	tab[i].kind = (unsigned char)kind;
	tab[i].area = (unsigned char)area;
	ntab++;
	area_used[area]++;
	if (KM(kind) & KM_GONE)
		__atomic_add_fetch(&n_gone, 1, __ATOMIC_RELEASE);
}

static void tab_remove(unsigned int i)
{
	struct region r = tab[i];

	memmove(&tab[i], &tab[i + 1], (ntab - i - 1) * sizeof(tab[0]));
	ntab--;
	area_used[r.area]--;
	area_full[r.area] = 0;
	nogo_next = 0;
	memset(nogo, 0, sizeof(nogo));
	if (KM(r.kind) & KM_GONE)
		__atomic_sub_fetch(&n_gone, 1, __ATOMIC_RELEASE);
	if (r.kind == K_ARENA)
		__atomic_add_fetch(&arena_gen, 1, __ATOMIC_RELEASE);
}

/* An area with room, created on first use; -1 if none. */
static int pick_area(void)
{
	int i;

	for (i = 0; i < KP_MAX_AREAS; i++) {
		if (area_fd[i] < 0) {
			int fd = kp_new_area();

			if (fd < 0) {
				log_msg("cannot create another area", NULL, 0, 0, fd);
				return -1;
			}
			area_fd[i] = fd;
			area_used[i] = 0;
			area_full[i] = 0;
			log_msg("new area fd ", NULL, (unsigned long)fd, 10, 0);
		}
		if (!area_full[i] && area_used[i] < KP_PER_AREA)
			return i;
	}
	return -1;
}

static void kp_rehome(const char *who);

/* Register [s, e) (nothing of it in the table) as one region of @kind. */
static long register_one(uintptr_t s, uintptr_t e, int kind)
{
	int a, rehomed = 0;
	long err;

	if (s >= e)
		return 0;
	if ((KM(kind) & (KM(K_MCHUNK) | KM(K_MMAP))) && ntab >= KP_TABLE - KP_RESERVED) {
		log_range("skip", kind, s, e, -ENOSPC);
		return -ENOSPC;
	}
	for (;;) {
		a = pick_area();
		if (a < 0) {
			log_range("skip", kind, s, e, -ENOSPC);
			return -ENOSPC;
		}
		err = kp_register(area_fd[a], s, e);
		if (err == -EPERM && !rehomed) {
			/* Our areas are another user's (we changed credentials). */
			kp_rehome("credentials changed");
			rehomed = 1;
			if (!on())
				return err;
			continue;
		}
		if (err != -ENOSPC)
			break;
		/* regions_per_fd is lower than we thought: this area is full. */
		area_full[a] = 1;
	}
	log_range("register", kind, s, e, err);
	if (err == 0)
		tab_insert(s, e, kind, a);
	else
		kp_lost_fd(err);
	return err;
}

static void unregister_at(unsigned int i)
{
	struct region r = tab[i];
	long err = kp_unregister(area_fd[r.area], r.start);

	log_range("unregister", r.kind, r.start, r.end, err);
	tab_remove(i);
	kp_lost_fd(err);
}

/*
 * Take [s, e) out of every entry of a kind in @kinds: unregister it and
 * register again what lies outside [s, e).  An arena heap is never cut in
 * pieces: when part of it is gone, all of it is.
 */
static void cut_range(uintptr_t s, uintptr_t e, unsigned int kinds)
{
	for (;;) {
		unsigned int i = tab_search(s);
		struct region r;

		while (i < ntab && tab[i].start < e && !(KM(tab[i].kind) & kinds))
			i++;
		if (i >= ntab || tab[i].start >= e)
			return;
		r = tab[i];
		unregister_at(i);
		if (r.kind == K_ARENA)
			continue;
		if (r.start < s)
			register_one(r.start, s, r.kind);
		if (r.end > e)
			register_one(e, r.end, r.kind);
	}
}

/*
 * Register [s, e) as @kind.  @fresh: the kernel just handed out this
 * range, so entries of the other kinds overlapping it describe memory that
 * is gone and go first.  Then the parts not already covered (by brk
 * coverage, or by a MAP_FIXED target's own registration) are registered.
 * Returns 0 when all of [s, e) ends up covered.
 */
static long register_range(uintptr_t s, uintptr_t e, int kind, int fresh)
{
	uintptr_t pos = s;
	long ret = 0;

	if (fresh)
		cut_range(s, e, KM_GONE);
	while (pos < e) {
		unsigned int i = tab_search(pos);
		long err;

		if (i < ntab && tab[i].start < e) {
			if (tab[i].start > pos) {
				uintptr_t gap_end = tab[i].start;

				err = register_one(pos, gap_end, kind);
				if (err)
					ret = err;
				pos = gap_end;
				continue;	/* the table changed: search again */
			}
			pos = tab[i].end;
		} else {
			err = register_one(pos, e, kind);
			if (err)
				ret = err;
			break;
		}
	}
	return ret;
}

/* ------------------------------------------------------------ /proc/self/maps */

struct mline {
	uintptr_t start, end;
	char perms[4];
	unsigned long inode;
	const char *name;
};

static const char *parse_hex(const char *p, uintptr_t *v)
{
	uintptr_t x = 0;
	int any = 0;

	for (;; p++) {
		unsigned int d;

		if (*p >= '0' && *p <= '9')
			d = (unsigned int)(*p - '0');
		else if (*p >= 'a' && *p <= 'f')
			d = (unsigned int)(*p - 'a' + 10);
		else
			break;
		x = x * 16 + d;
		any = 1;
	}
	*v = x;
	return any ? p : NULL;
}

static int parse_line(char *p, struct mline *m)
{
	uintptr_t dummy;
	int i;

	if (!(p = (char *)parse_hex(p, &m->start)) || *p++ != '-')
		return 0;
	if (!(p = (char *)parse_hex(p, &m->end)) || *p++ != ' ')
		return 0;
	for (i = 0; i < 4; i++)
		if (!(m->perms[i] = *p++))
			return 0;
	if (*p++ != ' ' || !(p = (char *)parse_hex(p, &dummy)) || *p++ != ' ')
		return 0;
	while (*p && *p != ' ')		/* device */
		p++;
	if (*p++ != ' ')
		return 0;
	m->inode = 0;
	while (*p >= '0' && *p <= '9')
		m->inode = m->inode * 10 + (unsigned long)(*p++ - '0');
	while (*p == ' ')
		p++;
	m->name = p;
	return 1;
}

/* Calls @fn for every mapping until it returns nonzero; -errno on failure. */
static long maps_foreach(int (*fn)(const struct mline *, void *), void *arg)
{
	long fd = kp_sys(SYS_openat, AT_FDCWD, (long)"/proc/self/maps",
			 O_RDONLY | O_CLOEXEC, 0, 0, 0);
	unsigned int ll = 0;
	int stop = 0;

	if (fd < 0)
		return fd;
	while (!stop) {
		long n = sys3(SYS_read, fd, maps_buf, sizeof(maps_buf));
		long i;

		if (n == -EINTR)
			continue;
		if (n <= 0)
			break;
		for (i = 0; i < n && !stop; i++) {
			char c = maps_buf[i];
			struct mline m;

			if (c != '\n') {
				if (ll < sizeof(line_buf) - 1)
					line_buf[ll++] = c;
				continue;
			}
			line_buf[ll] = 0;
			ll = 0;
			if (parse_line(line_buf, &m))
				stop = fn(&m, arg);
		}
	}
	sys3(SYS_close, fd, 0, 0);
	return 0;
}

static int anon_private(const struct mline *m)
{
	return m->inode == 0 && m->perms[3] == 'p' &&
	       (m->name[0] == 0 || !strncmp(m->name, "[anon:", 6) || !strcmp(m->name, "[heap]"));
}

struct heap_find {
	uintptr_t brk;
	uintptr_t start;
};

static int find_heap(const struct mline *m, void *arg)
{
	struct heap_find *h = arg;

	if (!strcmp(m->name, "[heap]")) {
		h->start = m->start;
		return 1;
	}
	/* No [heap] yet: an anonymous mapping ending at the break is the
	 * bss the kernel may merge the heap into (no brk randomization). */
	if (m->end == h->brk && anon_private(m) && m->perms[0] == 'r')
		h->start = m->start;
	return 0;
}

/* Arena entries still backed by a private anonymous mapping are marked. */
static unsigned char arena_seen[KP_TABLE];

static int mark_arenas(const struct mline *m, void *arg)
{
	unsigned int i;

	(void)arg;
	if (!anon_private(m))
		return 0;
	for (i = tab_search(m->start); i < ntab && tab[i].start < m->end; i++)
		if (tab[i].kind == K_ARENA && tab[i].start >= m->start)
			arena_seen[i] = 1;
	return 0;
}

/*
 * Arena heaps glibc deleted (no longer mapped) go: unregistered, or (in a
 * forked child, whose registrations are not made yet) only forgotten.
 */
static void drop_dead_arenas(int unregister)
{
	unsigned int i, n = 0;

	for (i = 0; i < ntab; i++) {
		arena_seen[i] = 0;
		n += tab[i].kind == K_ARENA;
	}
	if (!n || maps_foreach(mark_arenas, NULL) < 0)
		return;
	for (i = ntab; i-- > 0;) {
		if (tab[i].kind != K_ARENA || arena_seen[i])
			continue;
		log_range("gone", K_ARENA, tab[i].start, tab[i].end, 0);
		if (unregister) {
			unregister_at(i);
		} else {
			area_used[tab[i].area]++;	/* tab_remove() takes it off */
			tab_remove(i);
		}
	}
}

/* At most once a second: is every registered arena heap still there? */
static void maybe_drop_dead_arenas(void)
{
	static long last;
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC_COARSE, &ts) || ts.tv_sec == last)
		return;
	last = ts.tv_sec;
	drop_dead_arenas(1);
}

/* Close our area fds (the areas live on where others hold them) and forget them. */
static void close_areas(void)
{
	int a;

	for (a = 0; a < KP_MAX_AREAS; a++) {
		if (area_fd[a] >= 0)
			sys3(SYS_close, area_fd[a], 0, 0);
		area_fd[a] = -1;
		area_used[a] = 0;
		area_full[a] = 0;
	}
}

/*
 * Register what the table holds in areas of this process, made now: in a
 * fork child (the table is the parent's), or after a change of user made
 * the old areas the wrong domain.  Entries that do not register go.
 */
static void register_table(const char *who)
{
	unsigned int i, j, gone = 0;
	int a;

	__atomic_store_n(&owed, 0, __ATOMIC_RELEASE);
	if (pick_area() < 0) {
		log_msg(who, ": no area of its own, disabled", 0, 0, 0);
		__atomic_store_n(&enabled, 0, __ATOMIC_RELEASE);
		return;
	}
	log_msg(who, ": own area fd ", (unsigned long)area_fd[0], 10, 0);
	drop_dead_arenas(0);
	for (i = j = 0; i < ntab; i++) {
		struct region r = tab[i];
		long err = -ENOSPC;

		a = pick_area();
		if (a >= 0)
			err = kp_register(area_fd[a], r.start, r.end);
		log_range("register", r.kind, r.start, r.end, err);
		if (err) {
			if (r.kind == K_ARENA)
				__atomic_add_fetch(&arena_gen, 1, __ATOMIC_RELEASE);
			continue;
		}
		r.area = (unsigned char)a;
		area_used[a]++;
		gone += !!(KM(r.kind) & KM_GONE);
		tab[j++] = r;
	}
	ntab = j;
	__atomic_store_n(&n_gone, gone, __ATOMIC_RELEASE);
	log_msg(who, ": ranges registered again: ", j, 10, 0);
}

/*
 * Our areas belong to credentials we no longer have: close them (the
 * driver gives their pages back, unmerged) and register everything again
 * in new areas of the user we are now.
 */
static void kp_rehome(const char *who)
{
	close_areas();
	register_table(who);
}

/* Under the lock, before any work: settle a fork's table or a change of user. */
static void kp_settle(void)
{
	if (!on())
		return;
	if (__atomic_load_n(&owed, __ATOMIC_ACQUIRE))
		register_table("fork child");
	else if (area_fd[0] >= 0 && sys3(SYS_geteuid, 0, 0, 0) != area_euid)
		kp_rehome("credentials changed");
}

struct anon_find {
	uintptr_t addr;
	int anon;
};

static int find_anon(const struct mline *m, void *arg)
{
	struct anon_find *f = arg;

	if (f->addr < m->start || f->addr >= m->end)
		return 0;
	f->anon = anon_private(m) && strcmp(m->name, "[heap]");
	return 1;
}

/* ------------------------------------------------------------ slow paths */

/* Enter the shim for work under the lock; 0: re-entered, pass through. */
static int kp_enter(int *saved_errno)
{
	*saved_errno = errno;
	if (tls.in_shim)
		return 0;
	tls.in_shim = 1;
	pthread_mutex_lock(&kp_lock);
	kp_settle();
	return 1;
}

static void kp_leave(int saved_errno)
{
	pthread_mutex_unlock(&kp_lock);
	tls.in_shim = 0;
	errno = saved_errno;
}

static uintptr_t page_up(uintptr_t x)
{
	return (x + page_size - 1) & ~(page_size - 1);
}

/* The break passed the covered part of the heap: cover twice as much. */
static void grow_brk(void)
{
	uintptr_t cur = (uintptr_t)sbrk(0), covered, size, need;

	covered = __atomic_load_n(&brk_covered_end, __ATOMIC_ACQUIRE);
	if (cur == (uintptr_t)-1 || cur <= covered)
		return;
	size = covered - heap_start;
	need = page_up(cur) - heap_start;
	size = size < BRK_MIN_COVER ? BRK_MIN_COVER : size * 2;
	while (size < need)
		size *= 2;
	register_range(covered, heap_start + size, K_BRK, 1);
	/* Moved on even after a failure: no retry storm on every malloc. */
	__atomic_store_n(&brk_covered_end, heap_start + size, __ATOMIC_RELEASE);
}

static void slow_brk(void)
{
	int e;

	if (!kp_enter(&e))
		return;
	if (on())
		grow_brk();
	kp_leave(e);
}

static void tls_cache_heap(uintptr_t base, unsigned int gen)
{
	if (tls.gen != gen) {
		memset(tls.heaps, 0, sizeof(tls.heaps));
		tls.gen = gen;
	}
	tls.heaps[tls.next++ % KP_TLS_HEAPS] = base;
}

static void slow_arena(uintptr_t base)
{
	unsigned int gen, i;
	int e;

	if (!kp_enter(&e))
		return;
	if (on() && tab_find(base) >= 0) {
		/* A thread new to this heap: a chance to see deleted heaps. */
		maybe_drop_dead_arenas();
	} else if (on()) {
		for (i = 0; i < KP_NOGO && nogo[i] != base; i++)
			;
		if (i == KP_NOGO) {
			drop_dead_arenas(1);
			if (register_range(base, base + HEAP_MAX_SIZE, K_ARENA, 1) &&
			    tab_find(base) < 0)
				nogo[nogo_next++ % KP_NOGO] = base;
		}
	}
	gen = __atomic_load_n(&arena_gen, __ATOMIC_ACQUIRE);
	kp_leave(e);
	tls_cache_heap(base, gen);
}

/* A fork child's first allocation: its areas, its table registered. */
static void slow_settle(void)
{
	int e;

	if (kp_enter(&e))
		kp_leave(e);
}

static void slow_mchunk(uintptr_t s, uintptr_t e)
{
	int saved;

	if (!kp_enter(&saved))
		return;
	if (on())
		register_range(s, e, K_MCHUNK, 1);
	kp_leave(saved);
}

/*
 * What glibc just returned: register the memory behind it if needed.
 * The common cases (a heap already covered) take no lock.
 */
static inline void note_alloc(void *p)
{
	uintptr_t chunk, end, base;
	size_t size;
	unsigned int i, gen;

	if (!p || !on())
		return;
	if (UNLIKELY(__atomic_load_n(&owed, __ATOMIC_RELAXED)))
		slow_settle();
	chunk = (uintptr_t)p - 2 * SIZE_SZ;
	size = ((size_t *)p)[-1];
	if (size & IS_MMAPPED) {
		size_t prev = ((size_t *)chunk)[0];
		uintptr_t len = (size & ~SIZE_BITS) + prev;

		if (len >= min_bytes)
			slow_mchunk(chunk - prev, page_up(chunk + (size & ~SIZE_BITS)));
		return;
	}
	if (size & NON_MAIN_ARENA) {
		base = chunk & ~(HEAP_MAX_SIZE - 1);
		gen = __atomic_load_n(&arena_gen, __ATOMIC_ACQUIRE);
		if (tls.gen == gen)
			for (i = 0; i < KP_TLS_HEAPS; i++)
				if (tls.heaps[i] == base)
					return;
		slow_arena(base);
		return;
	}
	end = chunk + (size & ~SIZE_BITS);
	if (UNLIKELY(end > __atomic_load_n(&brk_covered_end, __ATOMIC_RELAXED)) &&
	    heap_start && chunk >= heap_start && end <= (uintptr_t)sbrk(0))
		slow_brk();
}

/* Before glibc frees or moves an mmapped chunk: unregister it.  1 if it was. */
static int forget_mchunk(void *p)
{
	uintptr_t chunk = (uintptr_t)p - 2 * SIZE_SZ, s, e;
	size_t size = ((size_t *)p)[-1], prev;
	int saved, was = 0, i;

	if (!(size & IS_MMAPPED))
		return 0;
	prev = ((size_t *)chunk)[0];
	if ((size & ~SIZE_BITS) + prev < min_bytes)
		return 0;
	s = chunk - prev;
	e = page_up(chunk + (size & ~SIZE_BITS));
	if (!kp_enter(&saved))
		return 0;
	i = tab_find(s);
	if (i >= 0 && tab[i].kind == K_MCHUNK) {
		cut_range(s, e, KM(K_MCHUNK));
		was = 1;
	}
	kp_leave(saved);
	return was;
}

/* ------------------------------------------------------------ malloc family */

EXPORT void *malloc(size_t n)
{
	void *p = __libc_malloc(n);

	note_alloc(p);
	return p;
}

EXPORT void *calloc(size_t n, size_t size)
{
	void *p = __libc_calloc(n, size);

	note_alloc(p);
	return p;
}

EXPORT void free(void *p)
{
	if (p && on())
		forget_mchunk(p);
	__libc_free(p);
}

EXPORT void *realloc(void *p, size_t n)
{
	int was = 0;
	void *q;

	if (p && on())
		was = forget_mchunk(p);
	q = __libc_realloc(p, n);
	if (q)
		note_alloc(q);
	else if (was && n)
		note_alloc(p);		/* failed: the old block is still there */
	return q;
}

EXPORT void *memalign(size_t align, size_t n)
{
	void *p = __libc_memalign(align, n);

	note_alloc(p);
	return p;
}

/* glibc 2.36 makes aligned_alloc an alias of memalign. */
EXPORT void *aligned_alloc(size_t align, size_t n)
{
	void *p = __libc_memalign(align, n);

	note_alloc(p);
	return p;
}

EXPORT int posix_memalign(void **out, size_t align, size_t n)
{
	void *p;

	if (align % sizeof(void *) != 0 || align == 0 ||
	    ((align / sizeof(void *)) & (align / sizeof(void *) - 1)) != 0)
		return EINVAL;
	p = __libc_memalign(align, n);
	if (!p)
		return ENOMEM;
	*out = p;
	note_alloc(p);
	return 0;
}

EXPORT void *valloc(size_t n)
{
	void *p = __libc_valloc(n);

	note_alloc(p);
	return p;
}

EXPORT void *pvalloc(size_t n)
{
	void *p = __libc_pvalloc(n);

	note_alloc(p);
	return p;
}

/* ------------------------------------------------------------ mmap family */

static int want_mmap(int flags, size_t len)
{
	return (flags & MAP_ANONYMOUS) && (flags & MAP_TYPE) == MAP_PRIVATE &&
	       !(flags & MAP_HUGETLB) && len >= min_bytes;
}

static void *sys_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
#ifdef SYS_mmap2
	if (off & 4095) {
		errno = EINVAL;
		return MAP_FAILED;
	}
	return (void *)syscall(SYS_mmap2, addr, len, prot, flags, fd, (long)(off >> 12));
#else
	return (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
#endif
}

static void *kp_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	void *p = sys_mmap(addr, len, prot, flags, fd, off);
	int saved;

	if (p == MAP_FAILED || !on() || !want_mmap(flags, len))
		return p;
	if (!kp_enter(&saved))
		return p;
	/* MAP_FIXED replaces what was there; other mappings are new space. */
	register_range((uintptr_t)p, page_up((uintptr_t)p + len), K_MMAP,
		       !(flags & MAP_FIXED));
	kp_leave(saved);
	return p;
}

EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return kp_mmap(addr, len, prot, flags, fd, off);
}

EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off64_t off)
{
	return kp_mmap(addr, len, prot, flags, fd, (off_t)off);
}

EXPORT int munmap(void *addr, size_t len)
{
	int saved;
	long r;

	if (!on() || !__atomic_load_n(&n_gone, __ATOMIC_ACQUIRE) || !kp_enter(&saved))
		return (int)syscall(SYS_munmap, addr, len);
	/* Under the lock: nobody registers the range anew before we cut it. */
	r = syscall(SYS_munmap, addr, len);
	if (r == 0 && len)
		cut_range((uintptr_t)addr, page_up((uintptr_t)addr + len), KM_GONE);
	else if (r)
		saved = errno;
	kp_leave(saved);
	return (int)r;
}

EXPORT void *mremap(void *old, size_t old_len, size_t new_len, int flags, ...)
{
	uintptr_t os = (uintptr_t)old, oe = page_up(os + old_len);
	void *new_addr = NULL, *p;
	int saved, known = 0;
	unsigned int i;

	if (flags & MREMAP_FIXED) {
		va_list ap;

		va_start(ap, flags);
		new_addr = va_arg(ap, void *);
		va_end(ap);
	}
	if (!on() || !kp_enter(&saved))
		return (void *)syscall(SYS_mremap, old, old_len, new_len, flags, new_addr);
	p = (void *)syscall(SYS_mremap, old, old_len, new_len, flags, new_addr);
	if (p == MAP_FAILED) {
		saved = errno;
		goto out;
	}
	if (!old_len)		/* a second mapping of shared memory */
		goto out;
	for (i = tab_search(os); i < ntab && tab[i].start < oe; i++)
		if (tab[i].kind == K_MMAP)
			known = 1;
	if (!(flags & MREMAP_DONTUNMAP))
		cut_range(os, oe, KM_GONE);
	if (new_len >= min_bytes) {
		if (!known) {
			struct anon_find f = { (uintptr_t)p, 0 };

			maps_foreach(find_anon, &f);
			known = f.anon;
		}
		if (known)
			register_range((uintptr_t)p, page_up((uintptr_t)p + new_len), K_MMAP, 1);
	}
out:
	kp_leave(saved);
	return p;
}

#if defined(__LP64__)
/*
 * A ksmdev-aware program registering memory the shim already registered
 * gets EEXIST: the program's registration wins, ours steps aside.  (On
 * 64-bit glibc ioctl() is the bare system call; 32-bit is left alone.)
 */
EXPORT int ioctl(int fd, unsigned long req, ...)
{
	struct ksm_memory_region mr;
	va_list ap;
	void *arg;
	long r;
	int saved, i;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	r = syscall(SYS_ioctl, fd, req, arg);
	if (r != -1 || errno != EEXIST || req != KSM_REGISTER_MEMORY_REGION || !on())
		return (int)r;
	memcpy(&mr, arg, sizeof(mr));	/* the kernel just read it */
	if (!mr.npages || !kp_enter(&saved))
		return (int)r;
	for (i = 0; i < KP_MAX_AREAS && area_fd[i] != fd; i++)
		;
	r = -1;
	if (i == KP_MAX_AREAS) {	/* not one of ours */
		uintptr_t s = (uintptr_t)mr.addr;

		cut_range(s, s + (uintptr_t)mr.npages * page_size, KM_ALL);
		r = syscall(SYS_ioctl, fd, req, arg);
		if (r == -1)
			saved = errno;
	}
	kp_leave(saved);
	return (int)r;
}
#endif

/* ------------------------------------------------------------ fork */

static void atfork_prepare(void)
{
	pthread_mutex_lock(&kp_lock);
}

static void atfork_parent(void)
{
	pthread_mutex_unlock(&kp_lock);
}

/*
 * The child has the parent's memory but none of its registrations (they
 * belong to the parent's mm).  The parent's area fds are closed here (the
 * areas stay alive in the parent) and the table is owed: the child's
 * areas are made at its first registration, after whatever it does
 * first, a change of user above all, so that they are its user's.
 */
static void atfork_child(void)
{
	pthread_mutex_init(&kp_lock, NULL);
	tls.in_shim = 0;
	if (!on())
		return;
	close_areas();
	__atomic_store_n(&owed, 1, __ATOMIC_RELEASE);
	/* Thread arena caches go stale: their next malloc takes the slow path. */
	__atomic_add_fetch(&arena_gen, 1, __ATOMIC_RELEASE);
}

/* ------------------------------------------------------------ set-up */

static int env_true(const char *name)
{
	const char *v = getenv(name);

	return v && *v && strcmp(v, "0") != 0;
}

static size_t env_size(const char *name, size_t def)
{
	const char *v = getenv(name);
	unsigned long long x;
	unsigned int shift = 0;
	char *end;

	if (!v || !*v)
		return def;
	if (*v < '0' || *v > '9')
		return def;
	errno = 0;
	x = strtoull(v, &end, 10);
	if (errno)
		return def;
	switch (*end) {
	case 'k': case 'K': shift = 10; break;
	case 'm': case 'M': shift = 20; break;
	case 'g': case 'G': shift = 30; break;
	}
	if (shift) {
		if (x > (~0ULL >> shift))
			return def;
		x <<= shift;
		end++;
		if (end[0] == 'i' && end[1] == 'B')
			end += 2;
	} else if (*end == 'B') {
		end++;
	}
	if (*end)
		return def;
	return x > SIZE_MAX ? SIZE_MAX : (size_t)x;
}

__attribute__((constructor)) static void ksmdev_preload_init(void)
{
	static char path[PATH_MAX];
	const char *dev;
	struct heap_find h = { 0, 0 };
	struct rlimit rl;
	uintptr_t cur;
	long ver, fd, ps;
	int saved = errno;

	tls.in_shim = 1;
	if (env_true("KSMDEV_PRELOAD_DISABLE"))
		goto out;
	debug = env_true("KSMDEV_PRELOAD_DEBUG");
	ps = sysconf(_SC_PAGESIZE);
	if (ps > 0)
		page_size = (uintptr_t)ps;
	min_bytes = env_size("KSMDEV_PRELOAD_MIN", DEFAULT_MIN);
	if (min_bytes < page_size)
		min_bytes = page_size;
	dev = getenv("KSMDEV_DEVICE");
	if (!dev || !*dev)
		dev = "/dev/ksm";
	if (strlen(dev) >= sizeof(path)) {
		log_msg("disabled: device path too long", NULL, 0, 0, 0);
		goto out;
	}
	strcpy(path, dev);

	fd_floor = 3;
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur >= 64)
		fd_floor = (int)((rl.rlim_cur > 1024 ? 1024 : rl.rlim_cur) / 2);

	fd = kp_sys(SYS_openat, AT_FDCWD, (long)path, O_RDWR | O_CLOEXEC, 0, 0, 0);
	if (fd < 0) {
		log_msg("disabled: cannot open ", path, 0, 0, fd);
		goto out;
	}
	dev_fd = kp_high_fd((int)fd);
	ver = sys3(SYS_ioctl, dev_fd, KSM_GET_API_VERSION, 0);
	if (ver != KSM_API_VERSION) {
		log_msg("disabled: not a ksmdev device: ", path, 0, 0, ver < 0 ? ver : -EPROTO);
		goto close_dev;
	}
	fd = kp_new_area();
	if (fd < 0) {
		log_msg("disabled: cannot create an area", NULL, 0, 0, fd);
		goto close_dev;
	}
	area_fd[0] = (int)fd;

	cur = (uintptr_t)sbrk(0);
	if (cur != (uintptr_t)-1) {
		h.brk = page_up(cur);
		maps_foreach(find_heap, &h);
		heap_start = h.start ? h.start : page_up(cur);
	}
	if (pthread_atfork(atfork_prepare, atfork_parent, atfork_child)) {
		log_msg("disabled: pthread_atfork failed", NULL, 0, 0, 0);
		sys3(SYS_close, area_fd[0], 0, 0);
		area_fd[0] = -1;
		goto close_dev;
	}
	if (debug) {
		struct buf b;

		b_head(&b);
		b_str(&b, "enabled: device ");
		b_str(&b, path);
		b_str(&b, ", area fd ");
		b_num(&b, (unsigned long)area_fd[0], 10);
		b_str(&b, ", min ");
		b_num(&b, min_bytes, 10);
		b_str(&b, ", heap start ");
		b_num(&b, heap_start, 16);
		b_emit(&b);
	}
	pthread_mutex_lock(&kp_lock);
	brk_covered_end = heap_start;
	__atomic_store_n(&enabled, 1, __ATOMIC_RELEASE);
	if (heap_start) {
		/* Cover the heap as it is (at least 1 MiB) from the start. */
		uintptr_t size = BRK_MIN_COVER, need = page_up(cur) - heap_start;

		while (size < need)
			size *= 2;
		register_range(heap_start, heap_start + size, K_BRK, 1);
		__atomic_store_n(&brk_covered_end, heap_start + size, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&kp_lock);
	goto out;

close_dev:
	sys3(SYS_close, dev_fd, 0, 0);
	dev_fd = -1;
out:
	tls.in_shim = 0;
	errno = saved;
}

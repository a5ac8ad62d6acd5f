// SPDX-License-Identifier: GPL-2.0-only
/*
 * Data integrity under churn: merging never changes what a process reads.
 *
 * Eight worker processes (kept at eight: a supervisor SIGKILLs random ones
 * at random moments and starts replacements) each own several regions of
 * private anonymous memory - one of them a 2 MiB-aligned THP region half
 * of the time - filled with a mix of contents: a few shared by every
 * worker, many more that only a few pages hold (so that KSM pages keep
 * being made and freed), zero pages and unique pages; plenty merges.  The
 * regions are registered on two SMAs.  Each worker keeps a shadow copy of
 * every byte of its regions and, while the scanner runs flat out
 * (pages_to_scan 5000, sleep 0), does random batches of:
 *
 *   writes (whole pages of shared or unique content, zeros, a few random
 *   bytes, a flipped bit; each read back at once), fork (the child checks
 *   its inherited copy, maybe registers it on the inherited SMA, writes,
 *   checks again, exits), munmap + mmap again of a whole region (possibly
 *   elsewhere) or of a part, mprotect of a part to PROT_READ / PROT_NONE
 *   and back, mremap moving a region (plain, page by page when it is
 *   several VMAs, or MREMAP_DONTUNMAP), MADV_DONTNEED of one or several
 *   pages (the shadow becomes zero), registering and removing regions
 *   (exactly or with the reservation around them, errors checked),
 *   closing and recreating an SMA (and /dev/ksm), mlock/munlock,
 *   MADV_COLD/MADV_PAGEOUT, reading smaps, KSM_MERGE_NOW (where the ABI
 *   has it), sleeping;
 *
 * checking every readable page against the shadow after each batch.  The
 * supervisor meanwhile compacts memory and drops caches now and then, and
 * flips the runtime module parameters use_zero_pages and smart_scan
 * (where the driver has them).  Any mismatch, unexpected error or
 * unexpected exit of any process fails the test.  At the end every process
 * checks all of its memory once more and exits, and the global stats
 * (regions, pages_shared, pages_sharing, the other page counts and
 * zero_pages) return to 0 within 5 s.
 *
 * Duration: KSMDEV_STRESS_SECONDS (default 45).  KSMDEV_STRESS_SEED makes
 * the random choices of a run repeatable as far as timing allows.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "ktest.h"

#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif
#ifndef MADV_COLD
#define MADV_COLD 20
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#define NWORKERS	8
#define NREG		5		/* regions per worker */
#define SLOT		(4UL << 20)	/* address space per region placement */
#define SLOT_PAGES	(SLOT / KTEST_PAGE)
#define HPAGE		(2UL << 20)
#define THP_PAGES	512
#define NPOOL		8		/* contents shared by all workers */
#define NPAIR		512		/* contents with only a few copies each */
#define NPAIR_BASE	100000
#define NSMA		2
#define PG		KTEST_PAGE

/* Exit codes of workers and their children. */
#define EX_MISMATCH	3
#define EX_ERROR	4
#define EX_CHILD	5

enum { P_RW, P_RO, P_NONE };

struct counters {
	uint64_t writes, verify_pages, full_checks, batches, forks, child_checks;
	uint64_t remaps, mprotects, mremaps, dontneeds, registers, removes;
	uint64_t sma_recreates, mlocks, pageouts, spawned, kills, mismatches;
	uint64_t errors, worker_exits_ok, grandchildren, toggles, merge_nows;
};

struct shared {
	volatile int stop;
	struct counters c;
};

static struct shared *sh;

#define COUNT(field, n) __atomic_fetch_add(&sh->c.field, (n), __ATOMIC_RELAXED)

/* ------------------------------------------------------------ random */

static uint64_t rng_state;

static uint64_t rnd64(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned long rnd(unsigned long n)
{
	return n ? rnd64() % n : 0;
}

/* ------------------------------------------------------------ worker */

struct reg {
	int used;
	int sma;		/* index into smas[] */
	char *addr;		/* registered start */
	unsigned long npages;
};

struct region {
	char *slot[2];		/* two 4 MiB placements, 2 MiB aligned */
	int cur;		/* which slot holds the mapping */
	unsigned long npages;
	int thp;
	unsigned char *shadow;
	unsigned char *prot;	/* per page: P_RW, P_RO, P_NONE */
	struct reg regs[2];	/* registration per slot */
};

static int id;			/* worker slot, for messages */
static int is_child;		/* a forked child of a worker */
static int dev;
static int smas[NSMA];
static struct region R[NREG];
static unsigned char pool[NPOOL][PG] __attribute__((aligned(4096)));
static char oplog[16][96];
static unsigned int opn;

#define OPLOG(...) snprintf(oplog[opn++ % 16], sizeof(oplog[0]), __VA_ARGS__)

static void dump_oplog(void)
{
	unsigned int i = opn > 16 ? opn - 16 : 0;

	for (; i < opn; i++)
		fprintf(stderr, "  worker %d%s op %u: %s\n", id, is_child ? " child" : "",
			i, oplog[i % 16]);
}

static void __attribute__((noreturn, format(printf, 2, 3))) wfail(int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "worker %d%s (pid %d) FAILED: ", id, is_child ? " child" : "",
		(int)getpid());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	dump_oplog();
	if (code == EX_MISMATCH)
		COUNT(mismatches, 1);
	else
		COUNT(errors, 1);
	_exit(code);
}

static char *cur_addr(struct region *r)
{
	return r->slot[r->cur];
}

static void check_page(struct region *r, unsigned long i, const char *when)
{
	const unsigned char *m = (const unsigned char *)cur_addr(r) + i * PG;
	const unsigned char *s = r->shadow + i * PG;
	unsigned long off;

	if (!memcmp(m, s, PG))
		return;
	for (off = 0; off < PG && m[off] == s[off]; off++)
		;
	{
		unsigned long end = off + 16 < PG ? off + 16 : PG, k;
		char exp[64] = "", got[64] = "";

		for (k = off; k < end; k++) {
			snprintf(exp + strlen(exp), sizeof(exp) - strlen(exp), "%02x", s[k]);
			snprintf(got + strlen(got), sizeof(got) - strlen(got), "%02x", m[k]);
		}
		wfail(EX_MISMATCH,
		      "MISMATCH %s: region %ld page %lu (addr %p, prot %d, thp %d, pfn %#llx) first differing byte %lu: expected %s got %s",
		      when, (long)(r - R), i, (void *)m, r->prot[i], r->thp,
		      (unsigned long long)ktest_pfn(m), off, exp, got);
	}
}

/* Every readable page of every region against the shadow. */
static void full_check(const char *when)
{
	uint64_t n = 0;

	for (int k = 0; k < NREG; k++) {
		struct region *r = &R[k];

		for (unsigned long i = 0; i < r->npages; i++) {
			if (r->prot[i] == P_NONE)
				continue;
			check_page(r, i, when);
			n++;
		}
	}
	COUNT(verify_pages, n);
	COUNT(full_checks, 1);
}

static int prot_bits(int p)
{
	return p == P_RW ? PROT_READ | PROT_WRITE : p == P_RO ? PROT_READ : PROT_NONE;
}

static void set_prot(struct region *r, unsigned long first, unsigned long n, int p)
{
	if (mprotect(cur_addr(r) + first * PG, n * PG, prot_bits(p)))
		wfail(EX_ERROR, "mprotect region %ld [%lu,+%lu) %d: %s", (long)(r - R), first,
		      n, p, strerror(errno));
	memset(r->prot + first, p, n);
}

/* Write one page in the way @kind says, mirror it in the shadow, read it back. */
static void write_page(struct region *r, unsigned long i)
{
	unsigned char *m = (unsigned char *)cur_addr(r) + i * PG;
	unsigned char *s = r->shadow + i * PG;
	unsigned long k = rnd(100);

	if (k < 30) {
		unsigned long c = rnd(NPOOL);

		memcpy(m, pool[c], PG);
		memcpy(s, pool[c], PG);
	} else if (k < 45) {
		/* Few copies of each: KSM pages come and go all the time. */
		ktest_fill_page(s, NPAIR_BASE + rnd(NPAIR));
		memcpy(m, s, PG);
	} else if (k < 55) {
		ktest_fill_page(s, rnd64());
		memcpy(m, s, PG);
	} else if (k < 60) {
		memset(m, 0, PG);
		memset(s, 0, PG);
	} else if (k < 90) {
		unsigned long len = 1 + rnd(64), off = rnd(PG - len);

		for (unsigned long b = 0; b < len; b++)
			s[off + b] = (unsigned char)rnd64();
		memcpy(m + off, s + off, len);
	} else {
		unsigned long off = rnd(PG);
		unsigned char bit = (unsigned char)(1u << rnd(8));

		m[off] ^= bit;
		s[off] ^= bit;
	}
	check_page(r, i, "right after a write");
	COUNT(writes, 1);
	COUNT(verify_pages, 1);
}

/* Initial contents of pages [first, first + n): mostly shared contents. */
static void fill_pages(struct region *r, unsigned long first, unsigned long n)
{
	for (unsigned long i = first; i < first + n; i++) {
		unsigned char *m = (unsigned char *)cur_addr(r) + i * PG;
		unsigned char *s = r->shadow + i * PG;
		unsigned long k = rnd(100);

		if (r->prot[i] != P_RW)
			continue;
		if (k < 35)
			memcpy(s, pool[rnd(NPOOL)], PG);
		else if (k < 50)
			ktest_fill_page(s, NPAIR_BASE + rnd(NPAIR));
		else if (k < 60)
			memset(s, 0, PG);
		else if (k < 70)
			continue;	/* left as it is */
		else
			ktest_fill_page(s, rnd64());
		memcpy(m, s, PG);
	}
}

static void do_writes(void)
{
	unsigned long n = 1 + rnd(24), done = 0;

	for (unsigned long t = 0; t < n * 4 && done < n; t++) {
		struct region *r = &R[rnd(NREG)];
		unsigned long i = rnd(r->npages);

		if (r->prot[i] != P_RW)
			continue;
		write_page(r, i);
		done++;
	}
	OPLOG("writes %lu", done);
}

static void reap_fork_child(void);

/* ---- registration */

static int do_register(struct region *r, int slot, int sma, int whole)
{
	struct ksm_memory_region mr = {
		.npages = (__u32)(whole ? SLOT_PAGES : r->npages),
		.addr = (__u64)(uintptr_t)r->slot[slot],
	};
	struct reg *g = &r->regs[slot];

	if (g->used)
		return 0;
	if (ioctl(smas[sma], KSM_REGISTER_MEMORY_REGION, &mr))
		wfail(EX_ERROR, "register region %ld slot %d (%p, %u pages) on sma %d: %s",
		      (long)(r - R), slot, (void *)r->slot[slot], mr.npages, sma, strerror(errno));
	g->used = 1;
	g->sma = sma;
	g->addr = r->slot[slot];
	g->npages = mr.npages;
	COUNT(registers, 1);
	return 1;
}

static void do_unregister(struct region *r, int slot)
{
	struct reg *g = &r->regs[slot];

	if (!g->used)
		return;
	if (ioctl(smas[g->sma], KSM_REMOVE_MEMORY_REGION, (unsigned long)g->addr))
		wfail(EX_ERROR, "remove region %ld slot %d (%p) from sma %d: %s",
		      (long)(r - R), slot, (void *)g->addr, g->sma, strerror(errno));
	g->used = 0;
	COUNT(removes, 1);
}

static void op_register(void)
{
	struct region *r = &R[rnd(NREG)];
	int slot = rnd(4) ? r->cur : !r->cur;
	struct reg *g = &r->regs[slot];
	long rc;

	if (g->used) {
		/* Not a region start: ENOENT, and the region stays. */
		errno = 0;
		rc = ioctl(smas[g->sma], KSM_REMOVE_MEMORY_REGION,
			   (unsigned long)(g->addr + PG * (1 + rnd(4))));
		if (rc != -1 || errno != ENOENT)
			wfail(EX_ERROR, "remove of a non-start address: %ld errno %d", rc, errno);
		/* Overlap: EEXIST on either SMA. */
		{
			struct ksm_memory_region mr = {
				.npages = 1, .addr = (__u64)(uintptr_t)g->addr,
			};

			errno = 0;
			rc = ioctl(smas[rnd(NSMA)], KSM_REGISTER_MEMORY_REGION, &mr);
			if (rc != -1 || errno != EEXIST)
				wfail(EX_ERROR, "overlapping register: %ld errno %d", rc, errno);
		}
		do_unregister(r, slot);
		OPLOG("remove region %ld slot %d", (long)(r - R), slot);
	} else {
		int whole = !rnd(3), sma = rnd(NSMA);

		do_register(r, slot, sma, whole);
		OPLOG("register region %ld slot %d sma %d whole %d", (long)(r - R), slot, sma,
		      whole);
	}
}

static void op_sma(void)
{
	int k = rnd(NSMA);

	/* A forked child holds the SMA too: only the last close releases it. */
	reap_fork_child();
	if (!rnd(4)) {
		int fd = open("/dev/ksm", O_RDWR | O_CLOEXEC);

		if (fd < 0)
			wfail(EX_ERROR, "reopen /dev/ksm: %s", strerror(errno));
		close(dev);
		dev = fd;
	}
	if (close(smas[k]))
		wfail(EX_ERROR, "close sma: %s", strerror(errno));
	for (int i = 0; i < NREG; i++)
		for (int s = 0; s < 2; s++)
			if (R[i].regs[s].used && R[i].regs[s].sma == k)
				R[i].regs[s].used = 0;
	/* The closed SMA's pages are unmerged now: check before going on. */
	full_check("after closing an SMA");
	smas[k] = ioctl(dev, KSM_CREATE_SHARED_MEMORY_AREA, 0);
	if (smas[k] < 0)
		wfail(EX_ERROR, "recreate sma: %s", strerror(errno));
	for (int i = 0; i < NREG; i++)
		if (rnd(3))
			do_register(&R[i], R[i].cur, rnd(NSMA), !rnd(3));
	COUNT(sma_recreates, 1);
	OPLOG("sma %d closed and recreated", k);
}

/* ---- mappings */

static void map_fixed(char *addr, unsigned long len, int prot, int noreplace)
{
	void *p = mmap(addr, len, prot, MAP_PRIVATE | MAP_ANONYMOUS |
		       (noreplace ? MAP_FIXED_NOREPLACE : MAP_FIXED) |
		       (prot == PROT_NONE ? MAP_NORESERVE : 0), -1, 0);

	if (p != addr)
		wfail(EX_ERROR, "mmap %p len %lu prot %d noreplace %d: %s (got %p)", (void *)addr,
		      len, prot, noreplace, strerror(errno), p);
}

static void advise_thp(struct region *r, char *addr, unsigned long len)
{
	madvise(addr, len, r->thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
}

static void op_remap(void)
{
	struct region *r = &R[rnd(NREG)];

	if (rnd(2)) {
		/* The whole region: unmapped, maybe left so a while, mapped again. */
		int to = rnd(3) ? r->cur : !r->cur;
		char *old = cur_addr(r);

		if (munmap(old, r->npages * PG))
			wfail(EX_ERROR, "munmap: %s", strerror(errno));
		if (rnd(2))
			usleep(rnd(20000));	/* the scanner finds a hole */
		if (to != r->cur) {
			/* Keep the old placement reserved: no hole for others. */
			map_fixed(old, r->npages * PG, PROT_NONE, 1);
			map_fixed(r->slot[to], r->npages * PG, PROT_READ | PROT_WRITE, 0);
			r->cur = to;
		} else {
			map_fixed(old, r->npages * PG, PROT_READ | PROT_WRITE, 1);
		}
		advise_thp(r, cur_addr(r), r->npages * PG);
		memset(r->shadow, 0, r->npages * PG);
		memset(r->prot, P_RW, r->npages);
		if (rnd(4))
			fill_pages(r, 0, r->npages);
		OPLOG("remap region %ld whole to slot %d", (long)(r - R), to);
	} else {
		unsigned long first = rnd(r->npages), n = 1 + rnd(r->npages - first);
		char *a = cur_addr(r) + first * PG;

		if (munmap(a, n * PG))
			wfail(EX_ERROR, "munmap part: %s", strerror(errno));
		if (rnd(2))
			usleep(rnd(10000));
		map_fixed(a, n * PG, PROT_READ | PROT_WRITE, 1);
		advise_thp(r, a, n * PG);
		memset(r->shadow + first * PG, 0, n * PG);
		memset(r->prot + first, P_RW, n);
		if (rnd(2))
			fill_pages(r, first, n);
		OPLOG("remap region %ld pages [%lu,+%lu)", (long)(r - R), first, n);
	}
	COUNT(remaps, 1);
}

static void op_mprotect(void)
{
	struct region *r = &R[rnd(NREG)];
	unsigned long first = rnd(r->npages), n = 1 + rnd(r->npages - first);
	unsigned long k = rnd(100);
	int p = k < 40 ? P_RW : k < 75 ? P_RO : P_NONE;

	if (!rnd(4)) {
		first = 0;
		n = r->npages;
	}
	set_prot(r, first, n, p);
	if (p != P_NONE)
		for (unsigned long i = first; i < first + n; i++)
			check_page(r, i, "after mprotect");
	OPLOG("mprotect region %ld [%lu,+%lu) %d", (long)(r - R), first, n, p);
	COUNT(mprotects, 1);
}

static void op_mremap(void)
{
	struct region *r = &R[rnd(NREG)];
	int from = r->cur, to = !r->cur;
	unsigned long len = r->npages * PG;
	int dontunmap = !rnd(4), how;
	void *p;

	errno = 0;
	p = mremap(r->slot[from], len, len,
		   MREMAP_MAYMOVE | MREMAP_FIXED | (dontunmap ? MREMAP_DONTUNMAP : 0),
		   r->slot[to]);
	if (p == r->slot[to]) {
		how = dontunmap ? 2 : 1;
	} else if (errno == EFAULT || errno == EINVAL) {
		/* Several VMAs (mprotect, partial remaps): move page by page. */
		how = 0;
		for (unsigned long i = 0; i < r->npages; i++) {
			p = mremap(r->slot[from] + i * PG, PG, PG, MREMAP_MAYMOVE | MREMAP_FIXED,
				   r->slot[to] + i * PG);
			if (p != r->slot[to] + i * PG)
				wfail(EX_ERROR, "mremap page %lu of region %ld: %s", i,
				      (long)(r - R), strerror(errno));
		}
	} else {
		wfail(EX_ERROR, "mremap region %ld: %s", (long)(r - R), strerror(errno));
	}
	/* Reserve the old placement again (DONTUNMAP left an empty mapping there). */
	map_fixed(r->slot[from], len, PROT_NONE, how != 2);
	r->cur = to;
	/* The moved memory stays registered at its old address until we say. */
	if (rnd(3))
		do_register(r, to, rnd(NSMA), !rnd(3));
	if (rnd(2))
		do_unregister(r, from);
	for (unsigned long i = 0; i < r->npages; i++)
		if (r->prot[i] != P_NONE)
			check_page(r, i, "after mremap");
	OPLOG("mremap region %ld to slot %d how %d", (long)(r - R), to, how);
	COUNT(mremaps, 1);
}

static void op_dontneed(void)
{
	struct region *r = &R[rnd(NREG)];
	unsigned long first = rnd(r->npages), n = rnd(2) ? 1 : 1 + rnd(r->npages - first);

	if (madvise(cur_addr(r) + first * PG, n * PG, MADV_DONTNEED))
		wfail(EX_ERROR, "MADV_DONTNEED: %s", strerror(errno));
	memset(r->shadow + first * PG, 0, n * PG);
	for (unsigned long i = first; i < first + n; i++)
		if (r->prot[i] != P_NONE)
			check_page(r, i, "after MADV_DONTNEED");
	OPLOG("dontneed region %ld [%lu,+%lu)", (long)(r - R), first, n);
	COUNT(dontneeds, 1);
}

static void op_mlock(void)
{
	struct region *r = &R[rnd(NREG)];
	unsigned long first = rnd(r->npages), n = 1 + rnd(r->npages - first), k;
	char *a = cur_addr(r) + first * PG;

	/* mlock of PROT_NONE memory fails (ENOMEM): stop before it. */
	for (k = 0; k < n && r->prot[first + k] != P_NONE; k++)
		;
	n = k;
	if (!n)
		return;
	if (mlock(a, n * PG))
		wfail(EX_ERROR, "mlock: %s", strerror(errno));
	if (rnd(2))
		usleep(rnd(5000));
	for (unsigned long i = first; i < first + n; i++)
		if (r->prot[i] != P_NONE)
			check_page(r, i, "while mlocked");
	if (munlock(a, n * PG))
		wfail(EX_ERROR, "munlock: %s", strerror(errno));
	OPLOG("mlock region %ld [%lu,+%lu)", (long)(r - R), first, n);
	COUNT(mlocks, 1);
}

static void op_pageout(void)
{
	struct region *r = &R[rnd(NREG)];

	/* EINVAL on old kernels is fine; the contents must not change. */
	madvise(cur_addr(r), r->npages * PG, rnd(2) ? MADV_COLD : MADV_PAGEOUT);
	if (!rnd(3)) {
		char buf[4096];
		int fd = open(rnd(2) ? "/proc/self/smaps" : "/proc/self/smaps_rollup",
			      O_RDONLY | O_CLOEXEC);

		if (fd >= 0) {
			while (read(fd, buf, sizeof(buf)) > 0)
				;
			close(fd);
		}
	}
	OPLOG("pageout/cold/smaps region %ld", (long)(r - R));
	COUNT(pageouts, 1);
}

/* Synchronous merge of one SMA's memory in our own context, where the ABI has it. */
static void op_merge_now(void)
{
#ifdef KSM_MERGE_NOW
	int k = rnd(NSMA);
	long r = ioctl(smas[k], KSM_MERGE_NOW, 0);

	if (r < 0)
		wfail(EX_ERROR, "KSM_MERGE_NOW: %s", strerror(errno));
	full_check("after KSM_MERGE_NOW");
	OPLOG("merge now sma %d: %ld more merged", k, r);
	COUNT(merge_nows, 1);
#endif
}

/* ---- fork */

static pid_t fork_child = -1;

static void child_body(void)
{
	int nops = 1 + rnd(4);
	int child_regd[NREG] = { 0 };

	is_child = 1;
	rng_state ^= (uint64_t)getpid() << 32;
	full_check("in a forked child, inherited memory");
	COUNT(child_checks, 1);
	for (int k = 0; k < nops; k++) {
		unsigned long c = rnd(10);

		if (c < 5) {
			do_writes();
		} else if (c < 7) {
			op_dontneed();
		} else if (c < 9) {
			/* Its own copy on the inherited SMA: another mm, no overlap. */
			int k = rnd(NREG);
			struct region *r = &R[k];
			int slot = r->cur;

			if (!child_regd[k]) {
				r->regs[slot].used = 0;
				do_register(r, slot, rnd(NSMA), !rnd(2));
				child_regd[k] = 1;
				OPLOG("child registers region %d", k);
			}
		} else {
			usleep(rnd(20000));
		}
	}
	if (rnd(2))
		usleep(rnd(30000));	/* let the scanner look at it */
	full_check("in a forked child, at its end");
	COUNT(child_checks, 1);
	_exit(0);
}

static void reap_fork_child(void)
{
	int status;

	if (fork_child < 0)
		return;
	if (waitpid(fork_child, &status, 0) != fork_child)
		wfail(EX_ERROR, "waitpid child: %s", strerror(errno));
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		wfail(EX_CHILD, "forked child %d ended with status %#x", (int)fork_child, status);
	fork_child = -1;
}

static void op_fork(void)
{
	pid_t pid;

	reap_fork_child();
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		wfail(EX_ERROR, "fork: %s", strerror(errno));
	if (!pid)
		child_body();
	fork_child = pid;
	OPLOG("fork child %d", (int)pid);
	COUNT(forks, 1);
}

/* ---- setup and main loop */

static void setup_worker(void)
{
	unsigned long span = NREG * 2 * SLOT + HPAGE;
	char *base = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			  -1, 0);

	if (base == MAP_FAILED)
		wfail(EX_ERROR, "reserve address space: %s", strerror(errno));
	base = (char *)(((uintptr_t)base + HPAGE - 1) & ~(HPAGE - 1));
	for (int k = 0; k < NPOOL; k++) {
		if (k == NPOOL - 1)
			memset(pool[k], 0xa5, PG);
		else
			ktest_fill_page(pool[k], 1000 + k);
	}
	dev = open("/dev/ksm", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		wfail(EX_ERROR, "open /dev/ksm: %s", strerror(errno));
	for (int k = 0; k < NSMA; k++) {
		smas[k] = ioctl(dev, KSM_CREATE_SHARED_MEMORY_AREA, 0);
		if (smas[k] < 0)
			wfail(EX_ERROR, "create sma: %s", strerror(errno));
	}
	for (int k = 0; k < NREG; k++) {
		struct region *r = &R[k];

		r->slot[0] = base + (2 * k) * SLOT;
		r->slot[1] = base + (2 * k + 1) * SLOT;
		r->cur = 0;
		r->thp = k == 0 && rnd(2);
		r->npages = r->thp ? THP_PAGES : 8 + rnd(120);
		r->shadow = calloc(r->npages, PG);
		r->prot = malloc(r->npages);
		if (!r->shadow || !r->prot)
			wfail(EX_ERROR, "out of memory");
		memset(r->prot, P_RW, r->npages);
		map_fixed(r->slot[0], r->npages * PG, PROT_READ | PROT_WRITE, 0);
		advise_thp(r, r->slot[0], r->npages * PG);
		fill_pages(r, 0, r->npages);
		if (rnd(5))
			do_register(r, 0, rnd(NSMA), !rnd(3));
	}
	full_check("after setup");
}

static void worker(int slot_id, uint64_t seed)
{
	id = slot_id;
	rng_state = seed;
	setup_worker();
	while (!sh->stop) {
		int nops = 1 + rnd(6);

		for (int k = 0; k < nops; k++) {
			unsigned long c = rnd(100);

			if (c < 30)
				do_writes();
			else if (c < 35)
				op_fork();
			else if (c < 41)
				op_remap();
			else if (c < 51)
				op_mprotect();
			else if (c < 57)
				op_mremap();
			else if (c < 64)
				op_dontneed();
			else if (c < 76)
				op_register();
			else if (c < 79)
				op_sma();
			else if (c < 82)
				op_mlock();
			else if (c < 85)
				op_pageout();
			else if (c < 87)
				op_merge_now();
			else {
				usleep(rnd(8000));
				OPLOG("sleep");
			}
		}
		reap_fork_child();
		full_check("after a batch");
		COUNT(batches, 1);
	}
	reap_fork_child();
	/* The end: everything readable again, a last full check. */
	for (int k = 0; k < NREG; k++)
		set_prot(&R[k], 0, R[k].npages, P_RW);
	full_check("at the end");
	_exit(0);
}

/* ------------------------------------------------------------ supervisor */

static pid_t workers[NWORKERS];
static uint64_t base_seed;
static unsigned int nspawn;

static void spawn(int k)
{
	uint64_t seed = base_seed + 0x1000193ULL * ++nspawn;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	ktest_assert(pid >= 0, "fork: %s", strerror(errno));
	if (!pid)
		worker(k, seed);
	workers[k] = pid;
	COUNT(spawned, 1);
}

static int worker_index(pid_t pid)
{
	for (int k = 0; k < NWORKERS; k++)
		if (workers[k] == pid)
			return k;
	return -1;
}

static int failures;

/* Account for one reaped child; @killed_pid is the worker we SIGKILLed, if any. */
static void reaped(pid_t pid, int status, int ending)
{
	int k = worker_index(pid);

	if (k < 0) {
		/* A worker's forked child whose parent was killed (we are its reaper). */
		COUNT(grandchildren, 1);
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			fprintf(stderr, "orphaned child %d ended with status %#x\n", (int)pid, status);
			failures++;
		}
		return;
	}
	workers[k] = 0;
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL && !ending)
		return;		/* ours */
	if (ending && WIFEXITED(status) && !WEXITSTATUS(status)) {
		COUNT(worker_exits_ok, 1);
		return;
	}
	fprintf(stderr, "worker %d (pid %d) ended with status %#x%s\n", k, (int)pid, status,
		ending ? " at the end" : " during the run");
	failures++;
}

/*
 * Print a result line, and put it in the kernel log too: the runner shows
 * a passing test's output nowhere else.
 */
#define summary(...) ktest_summary("stress_integrity", __VA_ARGS__)

/*
 * Runtime-writable module parameters flipped during the run (where the
 * driver has them): zero-page merging and smart-scan back-off.
 */
static const char *const toggled[] = {
	"/sys/module/ksmdev/parameters/use_zero_pages",
	"/sys/module/ksmdev/parameters/smart_scan",
};
static char toggled_orig[2][8];

static int read_param(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	return 0;
}

static void write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd >= 0) {
		ssize_t w = write(fd, s, strlen(s));	/* best effort */

		(void)w;
		close(fd);
	}
}

int main(void)
{
	const char *env = getenv("KSMDEV_STRESS_SECONDS");
	const char *senv = getenv("KSMDEV_STRESS_SEED");
	unsigned int seconds = env && *env ? (unsigned int)strtoul(env, NULL, 0) : 45;
	uint64_t t0, deadline, next_kill, next_compact, next_toggle, next_sample = 0;
	uint64_t max_sharing = 0, max_shared = 0, scans0;
	struct ksm_stats st;
	struct counters c;
	int status, devfd;
	pid_t pid;

	if (!seconds)
		seconds = 45;
	base_seed = senv && *senv ? strtoull(senv, NULL, 0) :
		    (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 20);
	rng_state = base_seed;
	ktest_info("stress_integrity: %u workers, %u s, seed %#llx", NWORKERS, seconds,
		   (unsigned long long)base_seed);

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ktest_assert(sh != MAP_FAILED, "mmap shared: %s", strerror(errno));
	ktest_assert(!prctl(PR_SET_CHILD_SUBREAPER, 1), "subreaper: %s", strerror(errno));
	setvbuf(stderr, NULL, _IONBF, 0);

	devfd = ktest_open_dev();
	ktest_scanner(devfd, 5000, 0, 1);
	ktest_global_stats(devfd, &st);
	scans0 = st.full_scans;

	for (int k = 0; k < 2; k++)
		if (read_param(toggled[k], toggled_orig[k], sizeof(toggled_orig[k])))
			toggled_orig[k][0] = 0;
	for (int k = 0; k < NWORKERS; k++)
		spawn(k);
	t0 = ktest_now_ms();
	next_toggle = t0 + 1000 + rnd(3000);
	deadline = t0 + seconds * 1000ULL;
	next_kill = t0 + 500 + rnd(1500);
	next_compact = t0 + 10000;

	while (!failures && ktest_now_ms() < deadline) {
		uint64_t now;

		while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
			reaped(pid, status, 0);
		if (sh->c.mismatches || sh->c.errors)
			break;
		for (int k = 0; k < NWORKERS; k++)
			if (!workers[k])
				spawn(k);
		now = ktest_now_ms();
		if (now >= next_kill) {
			int k = rnd(NWORKERS);

			if (workers[k] && !kill(workers[k], SIGKILL)) {
				COUNT(kills, 1);
				if (waitpid(workers[k], &status, 0) == workers[k])
					reaped(workers[k], status, 0);
				if (!workers[k])
					spawn(k);
			}
			next_kill = now + 150 + rnd(1500);
		}
		if (now >= next_compact) {
			write_file("/proc/sys/vm/compact_memory", "1");
			if (!rnd(3))
				write_file("/proc/sys/vm/drop_caches", "3");
			next_compact = now + 20000 + rnd(10000);
		}
		if (now >= next_toggle) {
			int k = rnd(2);

			if (toggled_orig[k][0]) {
				write_file(toggled[k], rnd(2) ? "1" : "0");
				COUNT(toggles, 1);
			}
			next_toggle = now + 1000 + rnd(3000);
		}
		if (now >= next_sample) {
			ktest_global_stats(devfd, &st);
			if (st.pages_sharing > max_sharing)
				max_sharing = st.pages_sharing;
			if (st.pages_shared > max_shared)
				max_shared = st.pages_shared;
			next_sample = now + 200;
		}
		usleep(20000);
	}

	/* Stop: every process checks everything once more and exits. */
	sh->stop = 1;
	{
		uint64_t end = ktest_now_ms() + 60000ULL * ktest_slow();

		for (;;) {
			pid = waitpid(-1, &status, WNOHANG);
			if (pid > 0) {
				reaped(pid, status, 1);
				continue;
			}
			if (pid < 0 && errno == ECHILD)
				break;
			if (ktest_now_ms() > end) {
				fprintf(stderr, "processes did not finish within 60 s of the stop\n");
				failures++;
				for (int k = 0; k < NWORKERS; k++)
					if (workers[k])
						kill(workers[k], SIGKILL);
				end = ktest_now_ms() + 10000;
			}
			usleep(10000);
		}
	}
	ktest_global_stats(devfd, &st);
	c = sh->c;
	summary("ran %.1f s: writes %llu, pages verified %llu, full checks %llu, batches %llu",
		   (ktest_now_ms() - t0) / 1000.0, (unsigned long long)c.writes,
		   (unsigned long long)c.verify_pages, (unsigned long long)c.full_checks,
		   (unsigned long long)c.batches);
	summary("workers spawned %llu, killed %llu, clean exits %llu; forks %llu (child checks %llu, orphans reaped %llu)",
		   (unsigned long long)c.spawned, (unsigned long long)c.kills,
		   (unsigned long long)c.worker_exits_ok, (unsigned long long)c.forks,
		   (unsigned long long)c.child_checks, (unsigned long long)c.grandchildren);
	summary("remaps %llu, mprotects %llu, mremaps %llu, dontneeds %llu, registers %llu, removes %llu, sma recreations %llu, mlocks %llu, pageouts %llu",
		   (unsigned long long)c.remaps, (unsigned long long)c.mprotects,
		   (unsigned long long)c.mremaps, (unsigned long long)c.dontneeds,
		   (unsigned long long)c.registers, (unsigned long long)c.removes,
		   (unsigned long long)c.sma_recreates, (unsigned long long)c.mlocks,
		   (unsigned long long)c.pageouts);
	summary("scanner: %llu full scans, max pages_shared %llu, max pages_sharing %llu",
		   (unsigned long long)(st.full_scans - scans0), (unsigned long long)max_shared,
		   (unsigned long long)max_sharing);
	summary("module parameter flips (use_zero_pages, smart_scan) %llu, KSM_MERGE_NOW calls %llu",
		(unsigned long long)c.toggles, (unsigned long long)c.merge_nows);
	summary("mismatches %llu, errors %llu, failures %d", (unsigned long long)c.mismatches,
		   (unsigned long long)c.errors, failures);

	ktest_assert(!c.mismatches, "%llu mismatches between memory and shadow",
		     (unsigned long long)c.mismatches);
	ktest_assert(!c.errors && !failures, "%llu worker errors, %d failed processes",
		     (unsigned long long)c.errors, failures);
	ktest_assert(c.full_checks > 0 && c.writes > 0, "nothing was done");
	ktest_assert(max_sharing >= 50, "hardly anything merged (max pages_sharing %llu)",
		     (unsigned long long)max_sharing);

	/* Everything is gone: so is every trace in the driver. */
	t0 = ktest_now_ms();
	ktest_wait_global(devfd, 0, 0, 0, 5000);
	summary("global stats back to 0 %llu ms after the last process exited",
		(unsigned long long)(ktest_now_ms() - t0));
	ktest_global_stats(devfd, &st);
	ktest_expect_stats("global after all processes exited", &st, 0, 0, 0, 0);
	ktest_assert(!st.pages_unshared && !st.pages_volatile,
		     "items left: unshared %llu volatile %llu",
		     (unsigned long long)st.pages_unshared, (unsigned long long)st.pages_volatile);
	ktest_assert(ktest_sysfs_stat("regions") == 0 && ktest_sysfs_stat("pages_shared") == 0 &&
		     ktest_sysfs_stat("pages_sharing") == 0, "sysfs stats not back to 0");
	/* Zero-page records (where the driver has them) go with their regions. */
	ktest_assert(ktest_sysfs_stat("zero_pages") <= 0, "zero_pages %lld with no region left",
		     ktest_sysfs_stat("zero_pages"));
	for (int k = 0; k < 2; k++)
		if (toggled_orig[k][0])
			write_file(toggled[k], toggled_orig[k]);
	ktest_scanner(devfd, 100, 20000, 0);
	close(devfd);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0-only
/*
 * Kernel memory stays bounded by what is really mapped, scales to
 * thousands of areas and regions, and all of it comes back:
 *
 *  (a) registering huge ranges - 64 GiB of unmapped address space and a
 *      1 TiB MAP_NORESERVE mapping with 64 pages touched 16 GiB apart -
 *      and letting the scanner make full passes over them costs no kernel
 *      memory proportional to their size (Slab and MemFree move by less
 *      than a few MiB), while the 64 touched pages do merge;
 *  (b) 2000 SMA fds (RLIMIT_NOFILE raised) with a region each, and 1000
 *      one-page regions in one area (then up to regions_per_fd, and the
 *      one beyond that is refused with ENOSPC), all merge as expected,
 *      KSM_LIST_AREAS lists all the areas, and closing everything brings
 *      the stats back to 0;
 *  (c) rounds of 4096 fresh KSM pages ended by closing the SMA, by
 *      SIGKILL, and by munmap while registered;
 *
 * and after everything has exited and ksmdev is unloaded, MemFree,
 * MemAvailable and Slab (caches dropped first) are not worse than they
 * were with ksmdev unloaded at the start by 8 MiB or more (Slab 4 MiB).
 * The module is loaded again at the end for the runner.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include "ktest.h"

#define PG		KTEST_PAGE
#define GiB		(1ULL << 30)
#define MiB		(1ULL << 20)
#define NAREAS		2000
#define NREGIONS	1000
#define CHURN_PAGES	8192

struct mem {
	long long free, avail, slab, sunreclaim, pagetables, percpu;	/* KiB */
	long long pcp;		/* free pages held in per-CPU lists, KiB */
};

#define summary(...) ktest_summary("resources_no_leak", __VA_ARGS__)

static void write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	if (write(fd, s, strlen(s)) < 0)
		fprintf(stderr, "writing %s: %s\n", path, strerror(errno));
	close(fd);
}

static long long meminfo_kb(const char *text, const char *key)
{
	const char *p = strstr(text, key);

	return p ? atoll(p + strlen(key)) : -1;
}

/* Pages on the per-CPU free lists ("count:" of every pageset in /proc/zoneinfo). */
static long long pcp_kb(void)
{
	FILE *f = fopen("/proc/zoneinfo", "re");
	char line[256];
	long long pages = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		const char *p = line + strspn(line, " \t");

		if (!strncmp(p, "count:", 6))
			pages += atoll(p + 6);
	}
	fclose(f);
	return pages * (long long)(PG / 1024);
}

/* Caches dropped first; MemFree and MemAvailable include the per-CPU lists. */
static void measure(struct mem *m)
{
	char buf[8192];
	ssize_t n;
	int fd;

	sync();
	for (int i = 0; i < 2; i++) {
		write_file("/proc/sys/vm/drop_caches", "3");
		write_file("/proc/sys/vm/compact_memory", "1");
		usleep(200000);
	}
	fd = open("/proc/meminfo", O_RDONLY | O_CLOEXEC);
	ktest_assert(fd >= 0, "open /proc/meminfo: %s", strerror(errno));
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	ktest_assert(n > 0, "read /proc/meminfo");
	buf[n] = 0;
	m->free = meminfo_kb(buf, "MemFree:");
	m->avail = meminfo_kb(buf, "MemAvailable:");
	m->slab = meminfo_kb(buf, "Slab:");
	m->sunreclaim = meminfo_kb(buf, "SUnreclaim:");
	m->pagetables = meminfo_kb(buf, "PageTables:");
	m->percpu = meminfo_kb(buf, "Percpu:");
	m->pcp = pcp_kb();
	/* Free is free, whether on the buddy lists or a CPU's list. */
	m->free += m->pcp;
	m->avail += m->pcp;
}

static void print_delta(const char *what, const struct mem *a, const struct mem *b)
{
	summary("%s: MemFree %+lld KiB, MemAvailable %+lld KiB, Slab %+lld KiB (unreclaimable %+lld), PageTables %+lld KiB, Percpu %+lld KiB (per-CPU free lists %+lld KiB, counted as free)",
		what, b->free - a->free, b->avail - a->avail, b->slab - a->slab,
		b->sunreclaim - a->sunreclaim, b->pagetables - a->pagetables,
		b->percpu - a->percpu, b->pcp - a->pcp);
}

static void shell(const char *cmd)
{
	int rc = system(cmd);

	if (rc == -1 || !WIFEXITED(rc) || WEXITSTATUS(rc))
		ktest_fail("'%s' failed (status %#x)", cmd, rc);
}

static void unload(void)
{
	shell("i=0; while grep -q '^ksmdev ' /proc/modules && ! rmmod ksmdev 2>/dev/null; do "
	      "i=$((i + 1)); [ $i -ge 100 ] && { rmmod ksmdev; exit 1; }; sleep 0.1; done");
}

static void load(void)
{
	shell("insmod \"$KTEST_KO\"");
	for (int i = 0; i < 100 && access("/dev/ksm", F_OK); i++)
		usleep(50000);
}

static void wait_area(int sma, long long shared, long long sharing, unsigned int timeout_ms)
{
	uint64_t t0 = ktest_now_ms();
	struct ksm_stats st;

	timeout_ms *= ktest_slow();
	for (;;) {
		ktest_area_stats(sma, &st);
		if (st.pages_shared == (uint64_t)shared && st.pages_sharing == (uint64_t)sharing)
			return;
		if (ktest_now_ms() - t0 > timeout_ms) {
			ktest_print_stats("area", &st);
			ktest_fail("area did not reach shared %lld sharing %lld within %u ms", shared,
				   sharing, timeout_ms);
		}
		usleep(20000);
	}
}

/* ---------------------------------------------------------------- (a) */

static void huge_ranges(int dev)
{
	const uint64_t hole_len = 64 * GiB, big_len = 1024 * GiB, step = 16 * GiB;
	int sma = ktest_create_area(dev);
	struct mem m0, m1, m2;
	struct ksm_stats st, g0, g1;
	char *hole, *big;
	uint64_t t0;
	int n = 0;

	measure(&m0);
	/* The big mapping first, so that it cannot take the hole's place. */
	big = mmap(NULL, big_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		   -1, 0);
	ktest_assert(big != MAP_FAILED, "map 1 TiB MAP_NORESERVE: %s", strerror(errno));
	hole = mmap(NULL, hole_len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ktest_assert(hole != MAP_FAILED, "reserve 64 GiB: %s", strerror(errno));
	ktest_assert(!munmap(hole, hole_len), "munmap: %s", strerror(errno));
	madvise(big, big_len, MADV_NOHUGEPAGE);
	for (uint64_t off = 0; off < big_len; off += step, n++)
		ktest_fill_page(big + off, n % 2);
	/* 64 pages, two contents: 2 KSM pages, 62 pages saved. */

	ktest_must_register(sma, hole, hole_len / PG, "64 GiB hole");
	ktest_must_register(sma, big, big_len / PG, "1 TiB");
	measure(&m1);
	print_delta("(a) registered 64 GiB unmapped + 1 TiB sparse", &m0, &m1);

	ktest_global_stats(dev, &g0);
	t0 = ktest_now_ms();
	ktest_scanner(dev, 10000, 1000, 1);
	wait_area(sma, 2, n - 2, 60000);
	ktest_wait_scans(dev, 3, 60);
	ktest_scanner(dev, 10000, 1000, 0);
	ktest_global_stats(dev, &g1);
	summary("(a) %d touched pages merged; %llu full scans of 1088 GiB in %llu ms (%llu pages scanned)",
		n, (unsigned long long)(g1.full_scans - g0.full_scans),
		(unsigned long long)(ktest_now_ms() - t0),
		(unsigned long long)(g1.pages_scanned - g0.pages_scanned));
	ktest_area_stats(sma, &st);
	ktest_assert(st.pages_merged + st.pages_unshared + st.pages_volatile <= (uint64_t)n,
		     "more pages tracked (%llu) than touched (%d)",
		     (unsigned long long)(st.pages_merged + st.pages_unshared + st.pages_volatile), n);
	measure(&m2);
	print_delta("(a) after scanning them", &m0, &m2);
	n = 0;
	for (uint64_t off = 0; off < big_len; off += step, n++)
		ktest_assert(ktest_check_page(big + off, n % 2), "page at +%llu GiB changed",
			     (unsigned long long)(off / GiB));

	/* Slab: nothing per registered page; MemFree: page tables of 64 pages. */
	ktest_assert(m1.slab - m0.slab < 2048 && m2.slab - m0.slab < 2048,
		     "Slab grew by %lld / %lld KiB for huge ranges", m1.slab - m0.slab,
		     m2.slab - m0.slab);
	ktest_assert(m0.free - m1.free < 4096 && m0.free - m2.free < 8192,
		     "MemFree dropped by %lld / %lld KiB for huge ranges", m0.free - m1.free,
		     m0.free - m2.free);
	close(sma);
	munmap(big, big_len);
	ktest_wait_global(dev, 0, 0, 0, 5000);
}

/* ---------------------------------------------------------------- (b) */

static int list_total(int dev, unsigned int *count)
{
	static struct ksm_area_info e[NAREAS + 64];
	struct ksm_area_list l = {
		.entry_size = sizeof(e[0]), .count = NAREAS + 64, .entries = (uintptr_t)e,
	};

	if (ioctl(dev, KSM_LIST_AREAS, &l))
		ktest_fail("KSM_LIST_AREAS: %s", strerror(errno));
	*count = l.count;
	return (int)l.total;
}

static unsigned int regions_per_fd(void)
{
	FILE *f = fopen("/sys/module/ksmdev/parameters/regions_per_fd", "re");
	unsigned int v = 1024;

	if (f) {
		if (fscanf(f, "%u", &v) != 1)
			v = 1024;
		fclose(f);
	}
	return v;
}

static void many_areas(int dev)
{
	static int fds[NAREAS];
	const unsigned long apages = 2 * NAREAS, rpages = 2 * 1100;
	char *a = ktest_map(apages), *b = ktest_map(rpages);
	unsigned int limit = regions_per_fd(), count;
	struct mem m0, m1, m2;
	struct ksm_stats g;
	uint64_t t0;
	int big, total, rc;

	measure(&m0);
	t0 = ktest_now_ms();
	/* Area i: pages 2i and 2i + 1, both with content i % 50. */
	for (int i = 0; i < NAREAS; i++) {
		ktest_fill_page(a + 2 * i * PG, 500 + i % 50);
		ktest_fill_page(a + (2 * i + 1) * PG, 500 + i % 50);
		fds[i] = ioctl(dev, KSM_CREATE_SHARED_MEMORY_AREA, 0);
		ktest_assert(fds[i] >= 0, "area %d: %s", i, strerror(errno));
		rc = ktest_register(fds[i], a + 2 * i * PG, 2);
		ktest_assert(!rc, "area %d: register: %s", i, strerror(-rc));
	}
	/* One area with NREGIONS one-page regions, every other page. */
	big = ktest_create_area(dev);
	for (unsigned long i = 0; i < rpages; i++)
		ktest_fill_page(b + i * PG, 999);
	for (int i = 0; i < NREGIONS; i++) {
		rc = ktest_register(big, b + 2 * i * PG, 1);
		ktest_assert(!rc, "region %d: %s", i, strerror(-rc));
	}
	summary("(b) %d areas with a region each and %d regions in one area registered in %llu ms",
		NAREAS, NREGIONS, (unsigned long long)(ktest_now_ms() - t0));
	measure(&m1);
	print_delta("(b) registered", &m0, &m1);

	t0 = ktest_now_ms();
	ktest_scanner(dev, 10000, 1000, 1);
	/* 4000 pages of 50 contents + 1000 of one: 51 KSM pages. */
	ktest_wait_global(dev, 51, 2 * NAREAS - 50 + NREGIONS - 1, NAREAS + NREGIONS, 60000);
	ktest_scanner(dev, 10000, 1000, 0);
	summary("(b) merged: %d KSM pages, %d pages saved in %llu ms", 51,
		2 * NAREAS - 50 + NREGIONS - 1, (unsigned long long)(ktest_now_ms() - t0));
	wait_area(big, 1, NREGIONS - 1, 1000);
	ktest_area_stats(fds[7], &g);
	ktest_expect_stats("one of the small areas", &g, KTEST_ANY, KTEST_ANY, 2, 1);

	total = list_total(dev, &count);
	ktest_assert(total == NAREAS + 1 && count == (unsigned int)total,
		     "KSM_LIST_AREAS: total %d count %u, want %d", total, count, NAREAS + 1);

	/* Up to regions_per_fd in one area, then ENOSPC. */
	for (unsigned int i = NREGIONS; i < limit && 2 * i < rpages; i++) {
		rc = ktest_register(big, b + 2 * i * PG, 1);
		ktest_assert(!rc, "region %u of %u: %s", i, limit, strerror(-rc));
	}
	if (2 * limit < rpages) {
		rc = ktest_register(big, b + 2 * limit * PG, 1);
		ktest_assert(rc == -ENOSPC, "region %u beyond regions_per_fd %u: %d", limit + 1,
			     limit, rc);
	}
	measure(&m2);
	print_delta("(b) merged", &m0, &m2);

	t0 = ktest_now_ms();
	for (int i = 0; i < NAREAS; i++)
		close(fds[i]);
	close(big);
	ktest_wait_global(dev, 0, 0, 0, 10000);
	summary("(b) all %d areas closed and unmerged in %llu ms", NAREAS + 1,
		(unsigned long long)(ktest_now_ms() - t0));
	for (int i = 0; i < NAREAS; i++)
		ktest_check_pages("small area pages", a + 2 * i * PG, 2, 500 + i % 50, 0);
	ktest_check_pages("one-area regions", b, rpages, 999, 0);
	munmap(a, apages * PG);
	munmap(b, rpages * PG);
}

/* ---------------------------------------------------------------- (c) */

/* A child merges CHURN_PAGES pages into CHURN_PAGES / 2 KSM pages, then ends as told. */
static void churn_round(int dev, int how)
{
	static const char *const name[] = { "closing the SMA", "SIGKILL", "munmap while registered" };
	int ready[2], go[2], status;
	uint64_t t0 = ktest_now_ms(), t_merged, t_ended, t_done;
	char c;
	pid_t pid;

	ktest_assert(!pipe(ready) && !pipe(go), "pipe: %s", strerror(errno));
	fflush(NULL);
	pid = fork();
	ktest_assert(pid >= 0, "fork: %s", strerror(errno));
	if (!pid) {
		int d = ktest_open_dev(), sma = ktest_create_area(d);
		char *p = ktest_map(CHURN_PAGES);
		uint64_t c0 = ktest_now_ms(), c1;

		for (int i = 0; i < CHURN_PAGES; i++)
			ktest_fill_page(p + i * PG, 10000 + i / 2);
		c1 = ktest_now_ms();
		ktest_must_register(sma, p, CHURN_PAGES, "churn pages");
		wait_area(sma, CHURN_PAGES / 2, CHURN_PAGES / 2, 60000);
		summary("(c) child: %d pages filled in %llu ms, merged in %llu ms", CHURN_PAGES,
			(unsigned long long)(c1 - c0), (unsigned long long)(ktest_now_ms() - c1));
		if (write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(1);
		if (how == 0) {
			close(sma);
			for (int i = 0; i < CHURN_PAGES; i++)
				if (!ktest_check_page(p + i * PG, 10000 + i / 2))
					ktest_fail("churn page %d changed", i);
		} else if (how == 2) {
			munmap(p, CHURN_PAGES * PG);
		} else {
			pause();
		}
		_exit(0);
	}
	close(ready[1]);
	close(go[0]);
	ktest_scanner(dev, 10000, 1000, 1);
	ktest_assert(read(ready[0], &c, 1) == 1, "churn child failed before merging");
	t_merged = ktest_now_ms();
	ktest_scanner(dev, 10000, 1000, 0);
	if (how == 1)
		kill(pid, SIGKILL);
	else
		ktest_assert(write(go[1], "g", 1) == 1, "pipe");
	ktest_assert(waitpid(pid, &status, 0) == pid, "waitpid");
	ktest_assert(how == 1 ? WIFSIGNALED(status) : WIFEXITED(status) && !WEXITSTATUS(status),
		     "churn child: status %#x", status);
	close(ready[0]);
	close(go[1]);
	t_ended = ktest_now_ms();
	ktest_wait_global(dev, 0, 0, 0, 5000);
	t_done = ktest_now_ms();
	summary("(c) %d KSM pages for %d pages made and ended by %s in %llu ms "
		"(filled and merged %llu ms, child ended %llu ms, stats at 0 %llu ms)",
		CHURN_PAGES / 2, CHURN_PAGES, name[how], (unsigned long long)(t_done - t0),
		(unsigned long long)(t_merged - t0), (unsigned long long)(t_ended - t_merged),
		(unsigned long long)(t_done - t_ended));
}

/* ---------------------------------------------------------------- main */

int main(void)
{
	struct rlimit rl = { NAREAS + 1024, NAREAS + 1024 };
	struct mem base, mid, end;
	uint64_t t0 = ktest_now_ms();
	int dev;

	if (!getenv("KTEST_KO") || !*getenv("KTEST_KO")) {
		printf("SKIP: KTEST_KO is not set, cannot unload and load ksmdev\n");
		return KTEST_SKIP;
	}
	ktest_assert(!setrlimit(RLIMIT_NOFILE, &rl), "RLIMIT_NOFILE %llu: %s",
		     (unsigned long long)rl.rlim_cur, strerror(errno));

	/* The reference: ksmdev not loaded. */
	unload();
	measure(&base);
	load();
	dev = ktest_open_dev();
	measure(&mid);
	print_delta("ksmdev loaded, idle", &base, &mid);

	huge_ranges(dev);
	many_areas(dev);
	for (int how = 0; how < 3; how++)
		churn_round(dev, how);

	ktest_wait_global(dev, 0, 0, 0, 5000);
	close(dev);
	unload();
	measure(&end);
	print_delta("everything done, ksmdev unloaded, against the start", &base, &end);
	summary("total %llu ms", (unsigned long long)(ktest_now_ms() - t0));
	load();

	/*
	 * A leak can only lower free memory; it may end higher than it
	 * started (a KASAN quarantine filled by earlier tests drains).
	 */
	ktest_assert(base.free - end.free < 8192 && base.avail - end.avail < 8192,
		     "MemFree %+lld KiB, MemAvailable %+lld KiB after everything is gone",
		     end.free - base.free, end.avail - base.avail);
	/*
	 * A leak makes slab grow.  It may end below the start: on a KASAN
	 * kernel freed objects wait in a quarantine that counts as slab and
	 * empties as later allocations recycle it (the debug kernel ends
	 * 3-5 MiB lower than it started).
	 */
	ktest_assert(end.slab - base.slab < 4096 && end.sunreclaim - base.sunreclaim < 4096,
		     "Slab %+lld KiB (unreclaimable %+lld) after everything is gone",
		     end.slab - base.slab, end.sunreclaim - base.sunreclaim);
	return 0;
}

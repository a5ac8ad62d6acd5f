// SPDX-License-Identifier: GPL-2.0-only
/*
 * Removing a region turns every merged page into an ordinary private
 * anonymous page, while other threads read and write the memory:
 *
 * - 1100 pages over three page tables, every 7th page unique (not merged),
 *   so the driver's batches of copies start, stop and skip mid-table;
 * - a reader thread checks every page it can see during the removal, a
 *   writer thread keeps storing into its own pages (a per-page counter at
 *   the end of the page); not one read may see wrong bytes and not one
 *   write may be lost;
 * - afterwards each page is an exclusive anonymous page of its own: the
 *   pagemap says "exclusively mapped" and not "file or shared", smaps
 *   counts the whole VMA as Anonymous, and a write to each page is done
 *   in place (the PFN does not change: nothing left to copy);
 * - a forked child still sees its own snapshot after the parent writes.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>
#include "ktest.h"

#define NPAGES		1100
#define UNIQUE_EVERY	7
#define WRITER_EVERY	5	/* the writer owns pages 5, 10, 15, ... */
/* The writer's counter lives in the last 8 bytes, outside the pattern check. */
#define COUNTER_OFF	(KTEST_PAGE - 8)

static char *mem;
static atomic_int stop;
static atomic_long reads_checked, writes_done;
static uint64_t last_written[NPAGES];

static uint64_t seed_of(unsigned long i)
{
	return i % UNIQUE_EVERY ? 42 : 1000 + i;
}

/* The pattern minus the last 8 bytes, which the writer owns on its pages. */
static int page_ok(unsigned long i)
{
	static __thread char want[KTEST_PAGE];
	static __thread uint64_t want_seed = ~0ULL;
	const char *p = mem + i * KTEST_PAGE;

	if (want_seed != seed_of(i)) {
		ktest_fill_page(want, seed_of(i));
		want_seed = seed_of(i);
	}
	return !memcmp(p, want, i % WRITER_EVERY ? KTEST_PAGE : COUNTER_OFF);
}

static void *reader(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop)) {
		for (unsigned long i = 0; i < NPAGES; i++) {
			if (!page_ok(i))
				ktest_fail("reader: page %lu wrong during the removal", i);
			atomic_fetch_add(&reads_checked, 1);
		}
	}
	return NULL;
}

static void *writer(void *arg)
{
	uint64_t n = 1;

	(void)arg;
	while (!atomic_load(&stop)) {
		for (unsigned long i = WRITER_EVERY; i < NPAGES; i += WRITER_EVERY) {
			volatile uint64_t *c = (uint64_t *)(mem + i * KTEST_PAGE + COUNTER_OFF);

			*c = n;
			last_written[i] = n;
			atomic_fetch_add(&writes_done, 1);
		}
		n++;
	}
	return NULL;
}

static uint64_t pagemap_entry(const void *addr)
{
	return ktest_pagemap(0, addr);
}

/* Rss and Anonymous of the smaps entry of the VMA containing @addr, KiB. */
static void smaps_of(const void *addr, long *rss, long *anon)
{
	unsigned long a = (unsigned long)addr, lo, hi;
	char line[256];
	int in = 0;
	FILE *f = fopen("/proc/self/smaps", "re");

	if (!f)
		ktest_fail("smaps: %s", strerror(errno));
	*rss = *anon = -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, ' ') &&
		    strchr(line, '-') < strchr(line, ' '))
			in = lo <= a && a < hi;
		else if (in)
			sscanf(line, "Rss: %ld kB", rss), sscanf(line, "Anonymous: %ld kB", anon);
	}
	fclose(f);
}

int main(void)
{
	int dev = ktest_open_dev();
	int sma = ktest_create_area(dev);
	pthread_t rt, wt;
	unsigned long merged_pages = 0;
	long rss, anon;
	pid_t child;
	int rc, status;

	mem = ktest_map(NPAGES);
	for (unsigned long i = 0; i < NPAGES; i++) {
		ktest_fill_page(mem + i * KTEST_PAGE, seed_of(i));
		merged_pages += !!(i % UNIQUE_EVERY);
	}
	ktest_must_register(sma, mem, NPAGES, NULL);
	ktest_scanner(dev, 100000, 1000, 1);
	ktest_wait_global(dev, 1, merged_pages - 1, 1, 60000);
	ktest_scanner(dev, 100000, 1000, 0);
	for (unsigned long i = 0; i < NPAGES; i++)
		if (i % UNIQUE_EVERY)
			ktest_assert(pagemap_entry(mem + i * KTEST_PAGE) & (1ULL << 61),
				     "merged page %lu not mapped as a KSM page", i);

	pthread_create(&rt, NULL, reader, NULL);
	pthread_create(&wt, NULL, writer, NULL);
	/* The removal must race with both threads: wait until they run. */
	for (int i = 0; i < 3000 && !(atomic_load(&reads_checked) && atomic_load(&writes_done)); i++)
		usleep(10000);
	usleep(50000);
	rc = ktest_remove(sma, mem);
	ktest_assert(rc == 0, "remove: %s", strerror(-rc));
	usleep(100000);
	atomic_store(&stop, 1);
	pthread_join(rt, NULL);
	pthread_join(wt, NULL);
	ktest_info("during the removal: %ld page reads checked, %ld writes",
		   atomic_load(&reads_checked), atomic_load(&writes_done));
	ktest_assert(atomic_load(&writes_done) > 0 && atomic_load(&reads_checked) > 0,
		     "the threads did not run");

	for (unsigned long i = 0; i < NPAGES; i++) {
		char *p = mem + i * KTEST_PAGE;
		uint64_t ent = pagemap_entry(p), pfn;

		ktest_assert(page_ok(i), "page %lu wrong after the removal", i);
		if (i % WRITER_EVERY == 0 && i)
			ktest_assert(*(uint64_t *)(p + COUNTER_OFF) == last_written[i],
				     "page %lu lost a write: holds %llu, last written %llu", i,
				     (unsigned long long)*(uint64_t *)(p + COUNTER_OFF),
				     (unsigned long long)last_written[i]);
		ktest_assert(ent & (1ULL << 63), "page %lu not present", i);
		ktest_assert(!(ent & (1ULL << 61)), "page %lu still file/shared-mapped", i);
		ktest_assert(ent & (1ULL << 56), "page %lu not exclusively mapped", i);
		pfn = ent & ((1ULL << 55) - 1);
		p[0] ^= 1;		/* in place: an exclusive page is reused */
		ktest_assert(ktest_pfn(p) == pfn, "page %lu was copied again on write", i);
		p[0] ^= 1;
	}
	ktest_expect_distinct_pfns("after the removal", mem, NPAGES);
	smaps_of(mem, &rss, &anon);
	ktest_assert(anon == rss && anon >= (long)(NPAGES * KTEST_PAGE / 1024),
		     "smaps of the VMA: Rss %ld kB, Anonymous %ld kB, want both >= %lu kB",
		     rss, anon, NPAGES * KTEST_PAGE / 1024);
	ktest_wait_global(dev, 0, 0, 0, 5000);

	/* Ordinary copy-on-write with a child again. */
	child = fork();
	if (child == 0) {
		usleep(200000);
		for (unsigned long i = 0; i < NPAGES; i++)
			if (!page_ok(i))
				_exit(3);
		_exit(0);
	}
	for (unsigned long i = 1; i < NPAGES; i += 2)
		memset(mem + i * KTEST_PAGE, 0xee, 64);
	ktest_assert(waitpid(child, &status, 0) == child && WIFEXITED(status) &&
		     WEXITSTATUS(status) == 0, "child saw the parent's writes (status %#x)", status);

	close(sma);
	close(dev);
	munmap(mem, NPAGES * KTEST_PAGE);
	return 0;
}

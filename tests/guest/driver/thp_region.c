// SPDX-License-Identifier: GPL-2.0-only
/*
 * Memory backed by transparent huge pages merges too: a 2 MiB aligned
 * 4 MiB region faulted in as THP, every 4 KiB page filled with the same
 * content, ends up with (nearly) all of its 1024 pages merged - the huge
 * pages are split as their subpages merge - with all bytes intact and
 * writes still working afterwards.  Skips when no THP could be obtained.
 */
#include <sys/mman.h>
#include <unistd.h>
#include "ktest.h"

#define HPAGE	(2UL << 20)
#define LEN	(4UL << 20)
#define NPAGES	(LEN / KTEST_PAGE)

static long anon_huge_kb(void)
{
	FILE *f = fopen("/proc/self/smaps_rollup", "re");
	char line[256];
	long kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

int main(void)
{
	int dev = ktest_open_dev();
	int sma;
	char *raw, *p;
	struct ksm_stats g, a;
	long kb;

	raw = mmap(NULL, LEN + HPAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ktest_assert(raw != MAP_FAILED, "mmap: %s", strerror(errno));
	p = (char *)(((uintptr_t)raw + HPAGE - 1) & ~(HPAGE - 1));
	if (madvise(p, LEN, MADV_HUGEPAGE)) {
		ktest_info("SKIP: madvise(MADV_HUGEPAGE): %s", strerror(errno));
		return KTEST_SKIP;
	}
	for (unsigned long off = 0; off < LEN; off += HPAGE)
		p[off] = 1;
	kb = anon_huge_kb();
	ktest_info("AnonHugePages after faulting: %ld kB", kb);
	if (kb <= 0) {
		ktest_info("SKIP: no transparent huge page obtained");
		return KTEST_SKIP;
	}

	ktest_fill_pages(p, NPAGES, 1, 0);
	kb = anon_huge_kb();
	ktest_info("AnonHugePages after filling: %ld kB", kb);
	if (kb <= 0) {
		ktest_info("SKIP: huge pages vanished before registering");
		return KTEST_SKIP;
	}

	sma = ktest_create_area(dev);
	ktest_must_register(sma, p, NPAGES, NULL);
	ktest_scanner(dev, 100000, 1000, 1);
	ktest_wait_scans(dev, 3, 120);
	ktest_global_stats(dev, &g);
	ktest_area_stats(sma, &a);
	ktest_print_stats("global", &g);
	ktest_print_stats("area", &a);
	ktest_info("AnonHugePages after merging: %ld kB", anon_huge_kb());
	ktest_assert(g.pages_shared >= 1 && g.pages_sharing >= 1000,
		     "only %llu KSM pages / %llu sharing of %lu identical pages",
		     (unsigned long long)g.pages_shared, (unsigned long long)g.pages_sharing,
		     NPAGES);
	ktest_assert(a.pages_merged == g.pages_shared + g.pages_sharing,
		     "area pages_merged %llu != global shared + sharing",
		     (unsigned long long)a.pages_merged);
	ktest_assert(a.pages_merged <= NPAGES, "more merged PTEs than pages");
	ktest_check_pages("after merging", p, NPAGES, 1, 0);

	/* Writes still work: every 7th page gets its own content. */
	for (unsigned long i = 0; i < NPAGES; i += 7)
		ktest_fill_page(p + i * KTEST_PAGE, 100 + i);
	for (unsigned long i = 0; i < NPAGES; i++)
		if (!ktest_check_page(p + i * KTEST_PAGE, i % 7 ? 1 : 100 + i))
			ktest_fail("page %lu wrong after writes", i);
	ktest_scanner(dev, 100000, 1000, 0);
	close(sma);
	for (unsigned long i = 0; i < NPAGES; i++)
		if (!ktest_check_page(p + i * KTEST_PAGE, i % 7 ? 1 : 100 + i))
			ktest_fail("page %lu wrong after close", i);
	close(dev);
	munmap(raw, LEN + HPAGE);
	return 0;
}

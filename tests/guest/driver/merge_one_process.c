// SPDX-License-Identifier: GPL-2.0-only
/*
 * Within one process, 10 identical pages merge into one KSM page and 5
 * unique pages stay apart: after the scanner has passed, the 10 map one
 * PFN, the 5 map distinct PFNs, the global and the area stats are exact
 * (pages_shared 1, pages_sharing 9, pages_merged 10, regions 1) and every
 * byte is what was written.
 */
#include <sys/mman.h>
#include <unistd.h>
#include "ktest.h"

#define NDUP	10
#define NUNIQ	5

int main(void)
{
	int dev = ktest_open_dev();
	int sma = ktest_create_area(dev);
	char *p = ktest_map(NDUP + NUNIQ);
	char *uniq = p + NDUP * KTEST_PAGE;
	struct ksm_stats g, a;
	uint64_t pfn;

	ktest_fill_pages(p, NDUP, 1, 0);
	ktest_fill_pages(uniq, NUNIQ, 100, 1);
	ktest_must_register(sma, p, NDUP + NUNIQ, NULL);

	ktest_area_stats(sma, &a);
	ktest_expect_stats("area before scanning", &a, 0, 0, 0, 1);

	ktest_scan_and_wait(dev);

	ktest_global_stats(dev, &g);
	ktest_area_stats(sma, &a);
	ktest_print_stats("global", &g);
	ktest_print_stats("area", &a);
	ktest_expect_stats("global", &g, 1, 9, 10, 1);
	ktest_expect_stats("area", &a, 1, 9, 10, 1);
	ktest_assert(g.pages_unshared + g.pages_volatile <= NUNIQ,
		     "only %d pages are unmerged, global unshared %llu volatile %llu",
		     NUNIQ, (unsigned long long)g.pages_unshared,
		     (unsigned long long)g.pages_volatile);
	ktest_assert(g.pages_scanned >= NDUP + NUNIQ, "pages_scanned %llu",
		     (unsigned long long)g.pages_scanned);

	pfn = ktest_expect_same_pfn("identical pages", p, NDUP);
	ktest_expect_distinct_pfns("unique pages", uniq, NUNIQ);
	for (int i = 0; i < NUNIQ; i++)
		ktest_assert(ktest_pfn(uniq + i * KTEST_PAGE) != pfn,
			     "unique page %d maps the KSM page %#llx", i,
			     (unsigned long long)pfn);

	ktest_check_pages("identical pages", p, NDUP, 1, 0);
	ktest_check_pages("unique pages", uniq, NUNIQ, 100, 1);

	ktest_scanner(dev, 100000, 1000, 0);
	close(sma);
	close(dev);
	munmap(p, (NDUP + NUNIQ) * KTEST_PAGE);
	return 0;
}

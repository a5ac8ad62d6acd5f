// SPDX-License-Identifier: GPL-2.0-only
/*
 * MADV_DONTNEED on half of a merged region drops those pages and their
 * tracking: they read back as zeros, the other half stays merged with its
 * bytes, the stats count only the pages still mapping the KSM page, and
 * new contents written into the dropped half behave as ordinary pages.
 * Dropping the rest frees the KSM page (stats go to 0 with the region still
 * registered) and identical contents written again merge again.
 */
#include <sys/mman.h>
#include <unistd.h>
#include "ktest.h"

#define NPAGES	20
#define HALF	(NPAGES / 2)

int main(void)
{
	int dev = ktest_open_dev();
	int sma = ktest_create_area(dev);
	char *p = ktest_map(NPAGES);
	char *hi = p + HALF * KTEST_PAGE;
	struct ksm_stats g, st;
	uint64_t kpfn;

	kpfn = ktest_merge_identical(dev, sma, p, NPAGES);

	/* Drop the lower half while the scanner runs. */
	ktest_assert(!madvise(p, HALF * KTEST_PAGE, MADV_DONTNEED),
		     "madvise DONTNEED: %s", strerror(errno));
	for (int i = 0; i < HALF; i++)
		ktest_assert(ktest_pfn(p + i * KTEST_PAGE) != kpfn,
			     "dropped page %d still maps the KSM page", i);
	ktest_expect_zero("dropped half", p, HALF);
	ktest_assert(ktest_expect_same_pfn("kept half", hi, HALF) == kpfn, "kept half moved");
	ktest_check_pages("kept half", hi, HALF, 1, 0);

	/* New, unique contents in part of the dropped half; the rest stays zero. */
	ktest_fill_pages(p, HALF / 2, 500, 1);
	ktest_wait_scans(dev, 3, 60);
	ktest_global_stats(dev, &g);
	ktest_expect_stats("global after dontneed", &g, 1, HALF - 1, HALF, 1);
	ktest_area_stats(sma, &st);
	ktest_expect_stats("area after dontneed", &st, 1, HALF - 1, HALF, 1);
	ktest_check_pages("rewritten pages", p, HALF / 2, 500, 1);
	ktest_expect_distinct_pfns("rewritten pages", p, HALF / 2);
	ktest_expect_zero("dropped, not rewritten", p + HALF / 2 * KTEST_PAGE, HALF - HALF / 2);
	ktest_assert(ktest_expect_same_pfn("kept half later", hi, HALF) == kpfn,
		     "kept half moved");
	ktest_check_pages("kept half later", hi, HALF, 1, 0);

	/* Drop the rest of the KSM page's mappings: nothing is merged any more. */
	ktest_assert(!madvise(hi, HALF * KTEST_PAGE, MADV_DONTNEED),
		     "madvise DONTNEED: %s", strerror(errno));
	ktest_wait_scans(dev, 3, 60);
	ktest_wait_global(dev, 0, 0, 1, 5000);
	ktest_area_stats(sma, &st);
	ktest_expect_stats("area after dropping all merged", &st, 0, 0, 0, 1);
	ktest_expect_zero("upper half dropped", hi, HALF);

	/* The region is still registered: identical contents merge again. */
	ktest_fill_pages(hi, HALF, 1, 0);
	ktest_wait_scans(dev, 3, 60);
	ktest_global_stats(dev, &g);
	ktest_expect_stats("global after refill", &g, 1, HALF - 1, HALF, 1);
	ktest_expect_same_pfn("refilled half", hi, HALF);
	ktest_check_pages("refilled half", hi, HALF, 1, 0);
	ktest_check_pages("rewritten pages at the end", p, HALF / 2, 500, 1);

	ktest_scanner(dev, 100000, 1000, 0);
	close(sma);
	close(dev);
	munmap(p, NPAGES * KTEST_PAGE);
	return 0;
}

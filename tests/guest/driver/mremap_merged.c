// SPDX-License-Identifier: GPL-2.0-only
/*
 * mremap of merged memory out of a registered region: the moved pages keep
 * their bytes and stay ordinary copy-on-write memory at the new address,
 * the driver stops counting them for the region (only pages still inside
 * the registered range count in pages_merged), the pages left in the range
 * stay merged, and once everything is unmapped nothing stays merged.
 */
#include <sys/mman.h>
#include <unistd.h>
#include "ktest.h"

#define NPAGES	10
#define HALF	(NPAGES / 2)

static void *reserve(unsigned long npages)
{
	void *p = mmap(NULL, npages * KTEST_PAGE, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		ktest_fail("mmap reserve: %s", strerror(errno));
	return p;
}

/* Move @npages at @from to @to, a place reserved outside the region. */
static char *move(char *from, unsigned long npages, char *to)
{
	void *p = mremap(from, npages * KTEST_PAGE, npages * KTEST_PAGE,
			 MREMAP_MAYMOVE | MREMAP_FIXED, to);

	if (p != to)
		ktest_fail("mremap: %s", strerror(errno));
	return p;
}

int main(void)
{
	int dev = ktest_open_dev();
	int sma = ktest_create_area(dev);
	char *p = ktest_map(NPAGES);
	/*
	 * Reserved now, so that no move lands in the hole a first move
	 * leaves inside the registered range: memory moved there would be
	 * in the region again.
	 */
	char *dest = reserve(2 * HALF);
	char *moved, *moved2;
	struct ksm_stats st;
	uint64_t kpfn;

	kpfn = ktest_merge_identical(dev, sma, p, NPAGES);

	/* Move the upper half out of the registered range, scanner running. */
	moved = move(p + HALF * KTEST_PAGE, HALF, dest);
	ktest_check_pages("moved half", moved, HALF, 1, 0);
	ktest_info("moved half maps pfn %#llx (KSM page %#llx)",
		   (unsigned long long)ktest_pfn(moved), (unsigned long long)kpfn);
	ktest_check_pages("half left in place", p, HALF, 1, 0);
	ktest_assert(ktest_expect_same_pfn("half left in place", p, HALF) == kpfn,
		     "pages left in the range moved off the KSM page");

	/* The moved pages are still copy on write. */
	ktest_fill_page(moved, 7);
	ktest_check_pages("written moved page", moved, 1, 7, 0);
	ktest_check_pages("other moved pages", moved + KTEST_PAGE, HALF - 1, 1, 0);
	ktest_check_pages("half left in place", p, HALF, 1, 0);
	ktest_assert(ktest_pfn(moved) != kpfn, "written moved page still maps the KSM page");

	ktest_wait_scans(dev, 3, 60);
	ktest_area_stats(sma, &st);
	ktest_expect_stats("area after moving half", &st, KTEST_ANY, KTEST_ANY, HALF, 1);
	ktest_assert(ktest_expect_same_pfn("half left after scans", p, HALF) == kpfn,
		     "pages left in the range moved off the KSM page");
	ktest_check_pages("half left after scans", p, HALF, 1, 0);
	ktest_check_pages("moved pages after scans", moved + KTEST_PAGE, HALF - 1, 1, 0);
	ktest_check_pages("written moved page after scans", moved, 1, 7, 0);

	/* Move the rest out as well: nothing of the range maps a KSM page. */
	moved2 = move(p, HALF, dest + HALF * KTEST_PAGE);
	ktest_check_pages("second moved half", moved2, HALF, 1, 0);
	ktest_wait_scans(dev, 3, 60);
	ktest_area_stats(sma, &st);
	ktest_expect_stats("area after moving all", &st, KTEST_ANY, KTEST_ANY, 0, KTEST_ANY);
	ktest_check_pages("second moved half after scans", moved2, HALF, 1, 0);
	ktest_check_pages("first moved half after scans", moved + KTEST_PAGE, HALF - 1, 1, 0);
	ktest_fill_page(moved2 + KTEST_PAGE, 8);
	ktest_check_pages("written second moved page", moved2 + KTEST_PAGE, 1, 8, 0);
	ktest_check_pages("its neighbour", moved2, 1, 1, 0);

	/* Gone for good once unmapped. */
	munmap(moved, HALF * KTEST_PAGE);
	munmap(moved2, HALF * KTEST_PAGE);
	ktest_wait_global(dev, 0, 0, KTEST_ANY, 5000);

	ktest_scanner(dev, 100000, 1000, 0);
	close(sma);
	close(dev);
	return 0;
}

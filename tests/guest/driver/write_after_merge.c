// SPDX-License-Identifier: GPL-2.0-only
/*
 * A merged page is write-protected: a write to it gives the writer a
 * private copy (copy on write) holding the written bytes, while the other
 * pages stay on the KSM page with their bytes.  Even a write that stores
 * the same value breaks the sharing; such a page, and a page written back
 * to the common content, merge into the existing KSM page again.
 */
#include <sys/mman.h>
#include <unistd.h>
#include "ktest.h"

#define NPAGES	10

int main(void)
{
	int dev = ktest_open_dev();
	int sma = ktest_create_area(dev);
	char *p = ktest_map(NPAGES);
	volatile uint64_t *w1 = (volatile uint64_t *)(p + KTEST_PAGE);
	uint64_t kpfn, pfn0, pfn1;
	struct ksm_stats g;

	kpfn = ktest_merge_identical(dev, sma, p, NPAGES);

	/* No rescanning while we look at copy on write alone. */
	ktest_scanner(dev, 100000, 1000, 0);

	/* Page 0 gets different content. */
	ktest_fill_page(p, 2);
	pfn0 = ktest_pfn(p);
	ktest_assert(pfn0 && pfn0 != kpfn, "written page 0 maps pfn %#llx, KSM page %#llx",
		     (unsigned long long)pfn0, (unsigned long long)kpfn);
	ktest_assert(ktest_check_page(p, 2), "page 0 lost the write");
	ktest_check_pages("others after write to page 0", p + KTEST_PAGE, NPAGES - 1, 1, 0);
	ktest_expect_same_pfn("others after write to page 0", p + KTEST_PAGE, NPAGES - 1);
	ktest_assert(ktest_pfn(p + KTEST_PAGE) == kpfn, "others moved off the KSM page");

	/* Page 1 gets the very same value written back: still a copy. */
	w1[7] = w1[7];
	pfn1 = ktest_pfn(p + KTEST_PAGE);
	ktest_assert(pfn1 && pfn1 != kpfn && pfn1 != pfn0,
		     "page 1 maps pfn %#llx after a write (KSM %#llx, page 0 %#llx)",
		     (unsigned long long)pfn1, (unsigned long long)kpfn,
		     (unsigned long long)pfn0);
	ktest_check_pages("page 1 after same-value write", p + KTEST_PAGE, 1, 1, 0);
	ktest_expect_same_pfn("pages 2.. after writes", p + 2 * KTEST_PAGE, NPAGES - 2);
	ktest_assert(ktest_pfn(p + 2 * KTEST_PAGE) == kpfn, "pages 2.. moved off the KSM page");
	ktest_check_pages("pages 2.. after writes", p + 2 * KTEST_PAGE, NPAGES - 2, 1, 0);

	/* Page 1 merges into the existing KSM page again, page 0 stays apart. */
	ktest_scan_and_wait(dev);
	ktest_global_stats(dev, &g);
	ktest_expect_stats("global after rescan", &g, 1, NPAGES - 2, NPAGES - 1, 1);
	ktest_assert(ktest_pfn(p + KTEST_PAGE) == kpfn, "page 1 did not merge back into %#llx",
		     (unsigned long long)kpfn);
	ktest_expect_same_pfn("pages 1.. after rescan", p + KTEST_PAGE, NPAGES - 1);
	ktest_assert(ktest_pfn(p) != kpfn, "page 0 (different content) merged");
	ktest_assert(ktest_check_page(p, 2), "page 0 bytes after rescan");
	ktest_check_pages("pages 1.. after rescan", p + KTEST_PAGE, NPAGES - 1, 1, 0);

	/* Page 0 written back to the common content merges too. */
	ktest_fill_page(p, 1);
	ktest_wait_scans(dev, 3, 60);
	ktest_global_stats(dev, &g);
	ktest_expect_stats("global after page 0 rewritten", &g, 1, NPAGES - 1, NPAGES, 1);
	ktest_assert(ktest_expect_same_pfn("all after page 0 rewritten", p, NPAGES) == kpfn,
		     "merged into a new KSM page instead of %#llx", (unsigned long long)kpfn);
	ktest_check_pages("all at the end", p, NPAGES, 1, 0);

	ktest_scanner(dev, 100000, 1000, 0);
	close(sma);
	close(dev);
	munmap(p, NPAGES * KTEST_PAGE);
	return 0;
}

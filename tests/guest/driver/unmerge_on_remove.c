// SPDX-License-Identifier: GPL-2.0-only
/*
 * KSM_REMOVE_MEMORY_REGION unmerges: when it returns, every page of the
 * removed range has its own private copy (distinct PFNs, bytes intact),
 * the pages of another region stay merged, the removed range is no longer
 * scanned (it does not merge again), and removing it twice gives ENOENT.
 */
#include <sys/mman.h>
#include <unistd.h>
#include "ktest.h"

#define NPAGES	10

int main(void)
{
	int dev = ktest_open_dev();
	int sma = ktest_create_area(dev);
	char *a = ktest_map(NPAGES);
	char *b = ktest_map(NPAGES);
	struct ksm_stats g, st;
	uint64_t kpfn;
	int rc;

	ktest_fill_pages(a, NPAGES, 1, 0);
	ktest_fill_pages(b, NPAGES, 1, 0);
	ktest_must_register(sma, a, NPAGES, "a");
	ktest_must_register(sma, b, NPAGES, "b");

	ktest_scan_and_wait(dev);
	ktest_global_stats(dev, &g);
	ktest_expect_stats("global after merge", &g, 1, 2 * NPAGES - 1, 2 * NPAGES, 2);
	kpfn = ktest_expect_same_pfn("a after merge", a, NPAGES);
	ktest_assert(ktest_expect_same_pfn("b after merge", b, NPAGES) == kpfn,
		     "a and b merged into different pages");

	/* Scanner keeps running: removal must not race with it. */
	rc = ktest_remove(sma, a);
	ktest_assert(rc == 0, "remove a: %s", strerror(-rc));
	ktest_expect_unmerged("a right after remove", a, NPAGES, kpfn);
	ktest_check_pages("a right after remove", a, NPAGES, 1, 0);
	ktest_assert(ktest_expect_same_pfn("b after removing a", b, NPAGES) == kpfn,
		     "b moved off the KSM page");
	ktest_check_pages("b after removing a", b, NPAGES, 1, 0);

	ktest_area_stats(sma, &st);
	ktest_expect_stats("area right after remove", &st, KTEST_ANY, KTEST_ANY, NPAGES, 1);
	ktest_wait_global(dev, 1, NPAGES - 1, 1, 5000);
	ktest_area_stats(sma, &st);
	ktest_expect_stats("area after remove", &st, 1, NPAGES - 1, NPAGES, 1);

	rc = ktest_remove(sma, a);
	ktest_assert(rc == -ENOENT, "second remove of a gave %d, want -ENOENT", rc);

	/* a is not tracked any more: it must not merge again. */
	ktest_wait_scans(dev, 3, 60);
	ktest_expect_distinct_pfns("a after more scans", a, NPAGES);
	ktest_global_stats(dev, &g);
	ktest_expect_stats("global after more scans", &g, 1, NPAGES - 1, NPAGES, 1);

	rc = ktest_remove(sma, b);
	ktest_assert(rc == 0, "remove b: %s", strerror(-rc));
	ktest_expect_distinct_pfns("b right after remove", b, NPAGES);
	ktest_check_pages("b right after remove", b, NPAGES, 1, 0);
	ktest_check_pages("a at the end", a, NPAGES, 1, 0);
	ktest_area_stats(sma, &st);
	ktest_expect_stats("area after removing all", &st, 0, 0, 0, 0);
	ktest_wait_global(dev, 0, 0, 0, 5000);

	/* The pages are ordinary private memory again. */
	ktest_fill_page(a, 5);
	ktest_fill_page(b, 6);
	ktest_check_pages("a page 0 rewritten", a, 1, 5, 0);
	ktest_check_pages("b page 0 rewritten", b, 1, 6, 0);

	ktest_scanner(dev, 100000, 1000, 0);
	close(sma);
	close(dev);
	munmap(a, NPAGES * KTEST_PAGE);
	munmap(b, NPAGES * KTEST_PAGE);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unmerging works on memory the process cannot access: merged pages that
 * were made PROT_NONE (or PROT_READ) get their own private copies when the
 * region is removed or its SMA is closed, as for ordinary memory - seen
 * through pagemap while still inaccessible, and with every byte intact
 * once access is restored.
 */
#include <sys/mman.h>
#include <unistd.h>
#include "ktest.h"

#define NPAGES	10

int main(void)
{
	int dev = ktest_open_dev();
	int sma1 = ktest_create_area(dev);
	int sma2 = ktest_create_area(dev);
	char *a = ktest_map(NPAGES);
	char *b = ktest_map(NPAGES);
	char *c = ktest_map(NPAGES);
	struct ksm_stats g;
	uint64_t kpfn;
	int rc;

	ktest_fill_pages(a, NPAGES, 1, 0);
	ktest_fill_pages(b, NPAGES, 1, 0);
	ktest_fill_pages(c, NPAGES, 1, 0);
	ktest_must_register(sma1, a, NPAGES, "a");
	ktest_must_register(sma2, b, NPAGES, "b");
	ktest_must_register(sma2, c, NPAGES, "c");
	ktest_scan_and_wait(dev);
	ktest_global_stats(dev, &g);
	ktest_expect_stats("global after merge", &g, 1, 3 * NPAGES - 1, 3 * NPAGES, 3);
	kpfn = ktest_expect_same_pfn("a after merge", a, NPAGES);
	ktest_assert(ktest_expect_same_pfn("b after merge", b, NPAGES) == kpfn, "b apart");
	ktest_assert(ktest_expect_same_pfn("c after merge", c, NPAGES) == kpfn, "c apart");

	ktest_assert(!mprotect(a, NPAGES * KTEST_PAGE, PROT_NONE), "mprotect a: %s", strerror(errno));
	ktest_assert(!mprotect(b, NPAGES * KTEST_PAGE, PROT_NONE), "mprotect b: %s", strerror(errno));
	ktest_assert(!mprotect(c, NPAGES * KTEST_PAGE, PROT_READ), "mprotect c: %s", strerror(errno));
	ktest_assert(ktest_pfn(a) == kpfn, "mprotect alone changed the mapping of a");

	rc = ktest_remove(sma1, a);
	ktest_assert(rc == 0, "remove PROT_NONE region: %s", strerror(-rc));
	ktest_expect_unmerged("PROT_NONE a after remove", a, NPAGES, kpfn);
	ktest_assert(ktest_pfn(b) == kpfn, "removing a unmerged b");

	ktest_scanner(dev, 100000, 1000, 0);
	close(sma2);
	ktest_expect_unmerged("PROT_NONE b after close", b, NPAGES, kpfn);
	ktest_expect_unmerged("PROT_READ c after close", c, NPAGES, kpfn);
	ktest_check_pages("PROT_READ c after close", c, NPAGES, 1, 0);

	ktest_assert(!mprotect(a, NPAGES * KTEST_PAGE, PROT_READ | PROT_WRITE), "mprotect a back");
	ktest_assert(!mprotect(b, NPAGES * KTEST_PAGE, PROT_READ | PROT_WRITE), "mprotect b back");
	ktest_assert(!mprotect(c, NPAGES * KTEST_PAGE, PROT_READ | PROT_WRITE), "mprotect c back");
	ktest_check_pages("a after restoring access", a, NPAGES, 1, 0);
	ktest_check_pages("b after restoring access", b, NPAGES, 1, 0);
	ktest_check_pages("c after restoring access", c, NPAGES, 1, 0);
	/* All of them are private pages now: writing one changes only it. */
	ktest_fill_page(a, 2);
	ktest_fill_page(b + KTEST_PAGE, 3);
	ktest_check_pages("a page 0 written", a, 1, 2, 0);
	ktest_check_pages("a others", a + KTEST_PAGE, NPAGES - 1, 1, 0);
	ktest_check_pages("b page 0", b, 1, 1, 0);
	ktest_check_pages("b page 1 written", b + KTEST_PAGE, 1, 3, 0);
	ktest_check_pages("b others", b + 2 * KTEST_PAGE, NPAGES - 2, 1, 0);

	ktest_scanner(dev, 100000, 1000, 1);
	ktest_wait_global(dev, 0, 0, 0, 5000);
	ktest_scanner(dev, 100000, 1000, 0);
	close(sma1);
	close(dev);
	return 0;
}

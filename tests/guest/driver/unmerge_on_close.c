// SPDX-License-Identifier: GPL-2.0-only
/*
 * Closing an SMA fd unmerges all of its regions: when the last reference
 * to the SMA file is closed, every page of its regions has its own private
 * copy (distinct PFNs, bytes intact), while the regions of another SMA stay
 * merged.  The ranges are free again and can be registered on another SMA,
 * where they merge again.  Closing one of two dup'ed fds changes nothing.
 */
#include <sys/mman.h>
#include <unistd.h>
#include "ktest.h"

#define NA	10
#define NB	10
#define NC	5

int main(void)
{
	int dev = ktest_open_dev();
	int sma1 = ktest_create_area(dev);
	int sma2 = ktest_create_area(dev);
	char *a = ktest_map(NA);
	char *b = ktest_map(NB);
	char *c = ktest_map(NC);
	struct ksm_stats g, st;
	uint64_t kpfn;
	int dupfd;

	ktest_fill_pages(a, NA, 1, 0);
	ktest_fill_pages(b, NB, 1, 0);
	ktest_fill_pages(c, NC, 1, 0);
	ktest_must_register(sma1, a, NA, "a");
	ktest_must_register(sma1, c, NC, "c");
	ktest_must_register(sma2, b, NB, "b");

	ktest_scan_and_wait(dev);
	ktest_global_stats(dev, &g);
	ktest_expect_stats("global after merge", &g, 1, NA + NB + NC - 1, NA + NB + NC, 3);
	ktest_area_stats(sma1, &st);
	ktest_expect_stats("area 1 after merge", &st, KTEST_ANY, KTEST_ANY, NA + NC, 2);
	kpfn = ktest_expect_same_pfn("a after merge", a, NA);
	ktest_assert(ktest_expect_same_pfn("b after merge", b, NB) == kpfn, "b not on a's page");
	ktest_assert(ktest_expect_same_pfn("c after merge", c, NC) == kpfn, "c not on a's page");

	/* Scanner keeps running while the SMA goes away. */
	close(sma1);
	ktest_expect_unmerged("a right after close", a, NA, kpfn);
	ktest_expect_unmerged("c right after close", c, NC, kpfn);
	ktest_check_pages("a right after close", a, NA, 1, 0);
	ktest_check_pages("c right after close", c, NC, 1, 0);
	ktest_assert(ktest_expect_same_pfn("b after closing sma1", b, NB) == kpfn,
		     "b moved off the KSM page");
	ktest_check_pages("b after closing sma1", b, NB, 1, 0);
	ktest_wait_global(dev, 1, NB - 1, 1, 5000);

	/* Nothing of sma1 is scanned any more. */
	ktest_wait_scans(dev, 3, 60);
	ktest_expect_distinct_pfns("a after more scans", a, NA);
	ktest_expect_distinct_pfns("c after more scans", c, NC);
	ktest_global_stats(dev, &g);
	ktest_expect_stats("global after more scans", &g, 1, NB - 1, NB, 1);

	/* a is free to be registered on sma2, where it merges again. */
	ktest_must_register(sma2, a, NA, "a again, on sma2");
	ktest_wait_scans(dev, 3, 60);
	ktest_global_stats(dev, &g);
	ktest_expect_stats("global after re-register", &g, 1, NA + NB - 1, NA + NB, 2);
	ktest_assert(ktest_expect_same_pfn("a after re-register", a, NA) == kpfn,
		     "a did not merge into the existing KSM page");

	/* Closing one of two fds of the SMA does not release it. */
	dupfd = dup(sma2);
	ktest_assert(dupfd >= 0, "dup: %s", strerror(errno));
	close(sma2);
	ktest_assert(ktest_pfn(a) == kpfn && ktest_pfn(b) == kpfn,
		     "closing a dup'ed SMA fd unmerged");
	ktest_area_stats(dupfd, &st);
	ktest_expect_stats("area via dup", &st, KTEST_ANY, KTEST_ANY, NA + NB, 2);

	ktest_scanner(dev, 100000, 1000, 0);
	close(dupfd);
	ktest_expect_distinct_pfns("a after last close", a, NA);
	ktest_expect_distinct_pfns("b after last close", b, NB);
	for (int i = 0; i < NA; i++)
		ktest_assert(ktest_pfn(a + i * KTEST_PAGE) != kpfn &&
			     ktest_pfn(a + i * KTEST_PAGE) != ktest_pfn(b + i * KTEST_PAGE),
			     "a page %d still shares a page after the last close", i);
	ktest_check_pages("a at the end", a, NA, 1, 0);
	ktest_check_pages("b at the end", b, NB, 1, 0);
	ktest_check_pages("c at the end", c, NC, 1, 0);
	ktest_scanner(dev, 100000, 1000, 1);
	ktest_wait_global(dev, 0, 0, 0, 5000);
	ktest_scanner(dev, 100000, 1000, 0);

	close(dev);
	munmap(a, NA * KTEST_PAGE);
	munmap(b, NB * KTEST_PAGE);
	munmap(c, NC * KTEST_PAGE);
	return 0;
}

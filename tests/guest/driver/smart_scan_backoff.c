// SPDX-License-Identifier: GPL-2.0-only
/*
 * Smart scanning: pages that stay unique and unchanged are skipped with a
 * growing back-off (pages_skipped grows while pages_scanned grows slower
 * than one visit per page per pass), and a duplicate that appears later
 * still merges with such a page, within the back-off bound (8 passes).
 */
#include <unistd.h>
#include "ktest.h"

#define NPAGES 64

int main(void)
{
	int dev = ktest_open_dev(), sma = ktest_create_area(dev);
	char *p = ktest_map(NPAGES), *q = ktest_map(1);
	struct ksm_stats a, b;
	unsigned long long visits, passes;

	/* Off by default. */
	ktest_assert(system("echo 1 > /sys/module/ksmdev/parameters/smart_scan") == 0,
		     "smart_scan on");
	ktest_fill_pages(p, NPAGES, 100, 1);	/* all different */
	ktest_must_register(sma, p, NPAGES, NULL);
	ktest_scanner(dev, 100000, 1000, 1);
	ktest_wait_scans(dev, 4, 60);
	ktest_global_stats(dev, &a);
	ktest_wait_scans(dev, 12, 120);
	ktest_global_stats(dev, &b);
	visits = b.pages_scanned - a.pages_scanned;
	passes = b.full_scans - a.full_scans;
	ktest_info("%llu passes: %llu visits done, %llu skipped", passes,
		   visits - (b.pages_skipped - a.pages_skipped),
		   (unsigned long long)(b.pages_skipped - a.pages_skipped));
	ktest_assert(b.pages_skipped - a.pages_skipped >= NPAGES * passes / 2,
		     "only %llu of %llu visits skipped",
		     (unsigned long long)(b.pages_skipped - a.pages_skipped), visits);
	ktest_assert(b.pages_shared == 0, "unique pages merged");

	/* A late duplicate of page 7 merges with it within the bound. */
	ktest_fill_page(q, 107);
	ktest_must_register(sma, q, 1, "duplicate");
	ktest_wait_scans(dev, 10, 120);
	ktest_global_stats(dev, &b);
	ktest_expect_stats("after the late duplicate", &b, 1, 1, 2, 2);
	ktest_assert(ktest_pfn(q) == ktest_pfn(p + 7 * KTEST_PAGE), "not the same page");
	ktest_check_pages("unique pages", p, NPAGES, 100, 1);
	ktest_assert(ktest_check_page(q, 107), "duplicate changed");
	ktest_scanner(dev, 100, 20000, 0);
	return 0;
}

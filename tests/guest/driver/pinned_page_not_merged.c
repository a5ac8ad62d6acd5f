// SPDX-License-Identifier: GPL-2.0-only
/*
 * A page with a reference beyond its mappings is never merged: here
 * vmsplice() into a pipe holds one (as GUP pins and O_DIRECT do).  Its
 * duplicates merge; once the pipe has been drained, it merges too.
 */
#include <unistd.h>
#include "ktest.h"

#define NPAGES 8

int main(void)
{
	int dev = ktest_open_dev(), sma = ktest_create_area(dev);
	char *p = ktest_map(NPAGES), *buf;
	char *pinned = p + (NPAGES - 1) * KTEST_PAGE;
	struct ksm_stats st;
	int pfd[2];

	ktest_fill_pages(p, NPAGES, 7, 0);
	/* The pipe now holds a reference to the last page. */
	ktest_pin_page(pinned, pfd);

	ktest_must_register(sma, p, NPAGES, NULL);
	ktest_scan_and_wait(dev);
	ktest_global_stats(dev, &st);
	ktest_expect_stats("while pinned", &st, 1, NPAGES - 2, -1, -1);
	ktest_expect_same_pfn("unpinned duplicates", p, NPAGES - 1);
	ktest_assert(ktest_pfn(pinned) != ktest_pfn(p),
		     "the pinned page was merged");
	ktest_check_pages("while pinned", p, NPAGES, 7, 0);

	/* Drain the pipe: the extra reference is gone, the page merges. */
	buf = ktest_unpin_page(pfd);
	ktest_assert(ktest_check_page(buf, 7), "the pipe carried wrong bytes");
	ktest_wait_scans(dev, 3, 60);
	ktest_global_stats(dev, &st);
	ktest_expect_stats("after unpinning", &st, 1, NPAGES - 1, -1, -1);
	ktest_expect_same_pfn("all duplicates", p, NPAGES);
	ktest_check_pages("after unpinning", p, NPAGES, 7, 0);
	ktest_scanner(dev, 100, 20000, 0);
	return 0;
}

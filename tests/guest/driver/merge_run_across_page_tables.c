// SPDX-License-Identifier: GPL-2.0-only
/*
 * A long run of identical pages is merged a page table's stretch at a time
 * (one lock, one TLB flush per batch), with every page compared whole once
 * it is write-protected.  In a run of 700 copies that crosses two page-table
 * boundaries (2 MiB), a copy differing in one byte that the scanner's
 * sampled words do not cover, and a copy pinned by a pipe, are both left
 * alone; all the others share one frame.  Every byte is verified, and
 * once the pipe lets go, the pinned copy merges too.
 */
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>
#include "ktest.h"

#define NPAGES		700
#define PMD_PAGES	512
#define BOUNDARY	90	/* first page of the second page table */
#define PINNED_PAGE	50	/* inside a batch */
#define ODD_PAGE	(BOUNDARY + 40)
#define ODD_BYTE	1000	/* between the sampled cache lines */

/* The run starts BOUNDARY pages before a 2 MiB boundary (a new page table). */
static char *map_run(void)
{
	size_t span = 4 * PMD_PAGES * KTEST_PAGE;
	char *base = mmap(NULL, span, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uintptr_t aligned;

	if (base == MAP_FAILED)
		ktest_fail("mmap: %s", strerror(errno));
	madvise(base, span, MADV_NOHUGEPAGE);
	aligned = ((uintptr_t)base + PMD_PAGES * KTEST_PAGE - 1) &
		  ~(uintptr_t)(PMD_PAGES * KTEST_PAGE - 1);
	return (char *)aligned + (PMD_PAGES - BOUNDARY) * KTEST_PAGE;
}

int main(void)
{
	int dev = ktest_open_dev(), sma = ktest_create_area(dev);
	char *p = map_run(), *odd, *pinned, *buf;
	char expect_odd[KTEST_PAGE];
	uint64_t kpfn;
	struct ksm_stats st;
	int pfd[2];

	ktest_fill_pages(p, NPAGES, 5, 0);
	odd = p + (size_t)ODD_PAGE * KTEST_PAGE;
	pinned = p + (size_t)PINNED_PAGE * KTEST_PAGE;
	odd[ODD_BYTE] = 0x11;
	memcpy(expect_odd, odd, KTEST_PAGE);
	ktest_pin_page(pinned, pfd);

	ktest_must_register(sma, p, NPAGES, NULL);
	ktest_scan_and_wait(dev);
	ktest_global_stats(dev, &st);
	ktest_expect_stats("while pinned", &st, 1, NPAGES - 3, -1, 1);
	kpfn = ktest_expect_same_pfn("copies before the odd page", p, PINNED_PAGE);
	ktest_assert(ktest_pfn(p + (size_t)(PINNED_PAGE + 1) * KTEST_PAGE) == kpfn &&
		     ktest_pfn(odd + KTEST_PAGE) == kpfn &&
		     ktest_pfn(p + (size_t)(NPAGES - 1) * KTEST_PAGE) == kpfn,
		     "copies after the pinned and the odd page not merged with the others");
	ktest_expect_same_pfn("copies after the odd page", odd + KTEST_PAGE,
			      NPAGES - ODD_PAGE - 1);
	ktest_assert(ktest_pfn(odd) != kpfn, "the page differing in one byte was merged");
	ktest_assert(ktest_pfn(pinned) != kpfn, "the pinned page was merged");
	ktest_assert(!memcmp(odd, expect_odd, KTEST_PAGE), "the odd page changed");
	for (int i = 0; i < NPAGES; i++)
		if (i != ODD_PAGE)
			ktest_assert(ktest_check_page(p + (size_t)i * KTEST_PAGE, 5),
				     "while pinned: page %d holds wrong bytes", i);

	/* Drain the pipe: the pinned copy merges with the others. */
	buf = ktest_unpin_page(pfd);
	ktest_assert(ktest_check_page(buf, 5), "the pipe carried wrong bytes");
	ktest_wait_scans(dev, 3, 60);
	ktest_global_stats(dev, &st);
	ktest_expect_stats("after unpinning", &st, 1, NPAGES - 2, -1, 1);
	ktest_assert(ktest_pfn(pinned) == kpfn, "the unpinned page did not merge");
	ktest_assert(ktest_pfn(odd) != kpfn, "the page differing in one byte was merged");
	ktest_assert(!memcmp(odd, expect_odd, KTEST_PAGE), "the odd page changed");
	for (int i = 0; i < NPAGES; i++)
		if (i != ODD_PAGE)
			ktest_assert(ktest_check_page(p + (size_t)i * KTEST_PAGE, 5),
				     "after unpinning: page %d holds wrong bytes", i);

	/* A write still copies: the written page gets its own frame. */
	ktest_scanner(dev, 100, 20000, 0);
	for (int i = 0; i < NPAGES; i += 7) {
		volatile char *c = p + (size_t)i * KTEST_PAGE + 8;

		if (i == ODD_PAGE)
			continue;
		*c = *c;
		ktest_assert(ktest_pfn(p + (size_t)i * KTEST_PAGE) != kpfn,
			     "page %d still maps the KSM page after a write", i);
	}
	for (int i = 0; i < NPAGES; i++)
		if (i != ODD_PAGE)
			ktest_assert(ktest_check_page(p + (size_t)i * KTEST_PAGE, 5),
				     "after writes: page %d holds wrong bytes", i);
	free(buf);
	close(sma);
	close(dev);
	return 0;
}

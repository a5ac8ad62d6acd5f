// SPDX-License-Identifier: GPL-2.0-only
/*
 * Zero-filled pages that were written (filled, then cleared with memset)
 * merge like any other identical pages: 10 of them end up on one KSM page
 * (pages_shared 1, pages_sharing 9) and read back as zeros; pages that
 * were never written (untouched, or only read through the shared zero
 * page) are not anonymous pages of their own and are not merged.  A write
 * to a merged zero page gives the writer its own copy.
 */
#include <sys/mman.h>
#include <unistd.h>
#include "ktest.h"

#define NZERO	10	/* written, then cleared */
#define NREAD	5	/* only read: zero page */
#define NNONE	5	/* never touched */
#define NUNIQ	5
#define NPAGES	(NZERO + NREAD + NNONE + NUNIQ)

int main(void)
{
	int dev = ktest_open_dev();
	int sma = ktest_create_area(dev);
	char *p = ktest_map(NPAGES);
	char *rd = p + NZERO * KTEST_PAGE;
	char *uniq = rd + (NREAD + NNONE) * KTEST_PAGE;
	volatile char sink = 0;
	struct ksm_stats g, a;
	uint64_t kpfn;

	ktest_fill_pages(p, NZERO, 1, 1);
	memset(p, 0, NZERO * KTEST_PAGE);
	for (int i = 0; i < NREAD; i++)
		sink += rd[i * KTEST_PAGE];
	ktest_fill_pages(uniq, NUNIQ, 100, 1);
	ktest_expect_distinct_pfns("zeroed pages before merging", p, NZERO);

	ktest_must_register(sma, p, NPAGES, NULL);
	ktest_scan_and_wait(dev);
	ktest_global_stats(dev, &g);
	ktest_area_stats(sma, &a);
	ktest_expect_stats("global", &g, 1, NZERO - 1, NZERO, 1);
	ktest_expect_stats("area", &a, 1, NZERO - 1, NZERO, 1);

	kpfn = ktest_expect_same_pfn("zeroed pages", p, NZERO);
	ktest_expect_zero("zeroed pages after merging", p, NZERO);
	ktest_expect_zero("read-only pages after merging", rd, NREAD + NNONE);
	ktest_check_pages("unique pages", uniq, NUNIQ, 100, 1);
	ktest_expect_distinct_pfns("unique pages", uniq, NUNIQ);

	ktest_scanner(dev, 100000, 1000, 0);
	p[3 * KTEST_PAGE + 5] = 42;
	ktest_assert(ktest_pfn(p + 3 * KTEST_PAGE) != kpfn, "write did not copy");
	ktest_assert(p[3 * KTEST_PAGE + 5] == 42, "write lost");
	p[3 * KTEST_PAGE + 5] = 0;
	ktest_expect_zero("zeroed pages after a write", p, NZERO);
	ktest_assert(ktest_pfn(p) == kpfn && ktest_pfn(p + 9 * KTEST_PAGE) == kpfn,
		     "other zeroed pages moved off the KSM page");

	close(sma);
	close(dev);
	(void)sink;
	return 0;
}

// SPDX-License-Identifier: GPL-2.0-only
/*
 * Pages beyond a long stretch of empty page tables still merge.  A walk
 * of page tables costs the scanner's batch (at most 16 tables per look,
 * then the driver's lock may be dropped), so a region whose first 126
 * MiB are page tables emptied by MADV_DONTNEED must still be walked to
 * its end: the two identical pages in its last 2 MiB merge, by the
 * scanner and by KSM_MERGE_NOW, and keep their bytes.
 */
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "ktest.h"

#define TABLE	(2UL << 20)
#define LEN	(128UL << 20)
#define NPAGES	(LEN / KTEST_PAGE)

static char *setup(int sma)
{
	char *p = ktest_map(NPAGES);
	char *last = p + LEN - TABLE;

	ktest_expect_ok(madvise(p, LEN, MADV_NOHUGEPAGE));
	/* A page in every page table, then all but the last table emptied. */
	for (unsigned long off = 0; off < LEN; off += TABLE)
		p[off] = 1;
	ktest_expect_ok(madvise(p, LEN - TABLE, MADV_DONTNEED));
	ktest_fill_page(last, 42);
	ktest_fill_page(last + KTEST_PAGE, 42);
	ktest_must_register(sma, p, NPAGES, NULL);
	return last;
}

int main(void)
{
	int dev = ktest_open_dev();
	int sma = ktest_create_area(dev);
	char *last = setup(sma);
	long r;

	ktest_scanner(dev, 100, 1000, 1);
	ktest_wait_global(dev, KTEST_ANY, 1, KTEST_ANY, 60000);
	ktest_scanner(dev, 100, 1000, 0);
	ktest_assert(ktest_pfn(last) == ktest_pfn(last + KTEST_PAGE),
		     "the scanner did not merge the pages after 63 empty page tables");
	ktest_check_pages("scanner-merged", last, 2, 42, 0);
	close(sma);

	sma = ktest_create_area(dev);
	last = setup(sma);
	r = ioctl(sma, KSM_MERGE_NOW, 0);
	ktest_assert(r == 2, "KSM_MERGE_NOW merged %ld pages after 63 empty page tables, want 2", r);
	ktest_assert(ktest_pfn(last) == ktest_pfn(last + KTEST_PAGE), "not one frame");
	ktest_check_pages("merged now", last, 2, 42, 0);
	close(sma);
	close(dev);
	return 0;
}

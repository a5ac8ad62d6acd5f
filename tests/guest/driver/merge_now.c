// SPDX-License-Identifier: GPL-2.0-only
/*
 * KSM_MERGE_NOW merges an area's memory in the caller's context, with the
 * scanner stopped, against the caller's memory on its other areas of the
 * domain, and returns how many of its pages it merged (that it touches no
 * other process's memory: merge_now_own_memory_only); bytes stay intact and a write
 * still gives the writer its own copy.
 */
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include "ktest.h"

#define NPAGES 32

int main(void)
{
	int dev = ktest_open_dev(), other = ktest_create_area(dev), mine = ktest_create_area(dev);
	char *p = ktest_map(NPAGES), *q = ktest_map(NPAGES);
	struct ksm_stats st;
	struct ksm_kthread_info info;
	long merged;

	/* Scanner stopped (fresh module); another area holds the same data. */
	ktest_assert(ioctl(dev, KSM_GET_INFO_KTHREAD, &info) == 0 && !info.flags,
		     "scanner running");
	ktest_fill_pages(p, NPAGES, 77, 1);
	ktest_fill_pages(q, NPAGES, 77, 1);
	ktest_must_register(other, p, NPAGES, "other");
	ktest_must_register(mine, q, NPAGES, "mine");

	merged = ioctl(mine, KSM_MERGE_NOW, 0);
	ktest_assert(merged == NPAGES, "KSM_MERGE_NOW returned %ld (%s)", merged,
		     merged < 0 ? strerror(errno) : "");
	ktest_global_stats(dev, &st);
	ktest_expect_stats("after merge now", &st, NPAGES, NPAGES, 2 * NPAGES, 2);
	ktest_assert(st.full_scans == 0, "the scanner ran (%llu scans)",
		     (unsigned long long)st.full_scans);
	for (int i = 0; i < NPAGES; i++)
		ktest_assert(ktest_pfn(p + i * KTEST_PAGE) == ktest_pfn(q + i * KTEST_PAGE),
			     "page %d not shared", i);
	ktest_check_pages("other", p, NPAGES, 77, 1);
	ktest_check_pages("mine", q, NPAGES, 77, 1);

	/* Again: nothing more to merge. */
	merged = ioctl(mine, KSM_MERGE_NOW, 0);
	ktest_assert(merged == 0, "second KSM_MERGE_NOW returned %ld", merged);

	/* COW still works. */
	q[5] ^= 1;
	ktest_assert(p[5] != q[5] && ktest_pfn(q) != ktest_pfn(p), "write did not copy");
	q[5] ^= 1;
	ktest_check_pages("mine after write", q, NPAGES, 77, 1);
	errno = 0;
	ktest_assert(ioctl(dev, KSM_MERGE_NOW, 0) == -1 && errno == ENOTTY,
		     "KSM_MERGE_NOW on /dev/ksm gave errno %d", errno);
	return 0;
}

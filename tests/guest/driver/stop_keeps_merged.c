// SPDX-License-Identifier: GPL-2.0-only
/*
 * Stopping the scanner leaves merged pages merged: after the stop, the
 * PFNs stay equal, the stats stay put and no scanning happens (full_scans
 * and pages_scanned do not move, new duplicates are not merged).  Starting
 * it again resumes merging into the same KSM page; unmerging on close
 * needs no scanner.
 */
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "ktest.h"

#define NDUP	10
#define NLATE	3
#define NPAGES	(NDUP + NLATE)

int main(void)
{
	int dev = ktest_open_dev();
	int sma = ktest_create_area(dev);
	char *p = ktest_map(NPAGES);
	char *late = p + NDUP * KTEST_PAGE;
	struct ksm_kthread_info k;
	struct ksm_stats g, g2;
	uint64_t kpfn;

	ktest_fill_pages(p, NDUP, 1, 0);
	ktest_fill_pages(late, NLATE, 10, 1);
	ktest_must_register(sma, p, NPAGES, NULL);
	ktest_scan_and_wait(dev);
	kpfn = ktest_expect_same_pfn("after merge", p, NDUP);

	ktest_scanner(dev, 100000, 1000, 0);
	memset(&k, 0xff, sizeof(k));
	ktest_assert(!ioctl(dev, KSM_GET_INFO_KTHREAD, &k), "GET_INFO: %s", strerror(errno));
	ktest_assert(k.flags == 0, "flags %#x after stop", k.flags);

	usleep(200000);
	ktest_global_stats(dev, &g);
	ktest_expect_stats("global after stop", &g, 1, NDUP - 1, NDUP, 1);
	/* Duplicates appearing now are not merged while stopped. */
	ktest_fill_pages(late, NLATE, 1, 0);
	sleep(1);
	ktest_global_stats(dev, &g2);
	ktest_expect_stats("global 1 s after stop", &g2, 1, NDUP - 1, NDUP, 1);
	ktest_assert(g2.full_scans == g.full_scans && g2.pages_scanned == g.pages_scanned,
		     "scanning while stopped: full_scans %llu -> %llu, pages_scanned %llu -> %llu",
		     (unsigned long long)g.full_scans, (unsigned long long)g2.full_scans,
		     (unsigned long long)g.pages_scanned, (unsigned long long)g2.pages_scanned);
	ktest_assert(ktest_expect_same_pfn("1 s after stop", p, NDUP) == kpfn,
		     "merged pages moved while stopped");
	ktest_expect_unmerged("late duplicates while stopped", late, NLATE, kpfn);
	ktest_check_pages("all while stopped", p, NPAGES, 1, 0);

	/* Restarted, it merges the late duplicates into the same KSM page. */
	ktest_scan_and_wait(dev);
	ktest_scanner(dev, 100000, 1000, 0);
	ktest_global_stats(dev, &g);
	ktest_expect_stats("global after restart", &g, 1, NPAGES - 1, NPAGES, 1);
	ktest_assert(ktest_expect_same_pfn("after restart", p, NPAGES) == kpfn,
		     "merged into a different KSM page");
	ktest_check_pages("all after restart", p, NPAGES, 1, 0);

	/* Scanner stopped: closing still unmerges. */
	close(sma);
	ktest_expect_distinct_pfns("after close with the scanner stopped", p, NPAGES);
	ktest_check_pages("all after close", p, NPAGES, 1, 0);
	close(dev);
	return 0;
}

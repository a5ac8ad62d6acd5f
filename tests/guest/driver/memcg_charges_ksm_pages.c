// SPDX-License-Identifier: GPL-2.0-only
/*
 * A KSM page is charged to the memory cgroup of the page whose content it
 * first held: in a cgroup, 1024 pairs of identical pages (2048 pages)
 * merged by KSM_MERGE_NOW into 1024 KSM pages lower memory.current by
 * about 1024 pages (each pair frees two pages and is charged one), not by
 * 2048 as when KSM pages were charged to nobody.  The pairs share one
 * frame each, and every page keeps its bytes.
 */
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "ktest.h"

#define NPAIRS	1024
#define CG	"ksmdev-memcg-charge"

int main(void)
{
	long long before, after, drop;
	int dev, sma;
	long merged;
	char *p;

	ktest_cgroup_make(CG, -1);
	ktest_cgroup_enter(CG);
	dev = ktest_open_dev();
	sma = ktest_create_area(dev);
	p = ktest_map(2 * NPAIRS);
	for (int i = 0; i < 2 * NPAIRS; i++)
		ktest_fill_page(p + i * KTEST_PAGE, 1 + i % NPAIRS);
	ktest_must_register(sma, p, 2 * NPAIRS, NULL);

	before = ktest_cgroup_current(CG);
	merged = ioctl(sma, KSM_MERGE_NOW, 0);
	ktest_assert(merged == 2 * NPAIRS, "KSM_MERGE_NOW returned %ld (errno %d), want %d",
		     merged, errno, 2 * NPAIRS);
	after = ktest_cgroup_current(CG);
	drop = (before - after) / (long long)KTEST_PAGE;
	ktest_info("memory.current %lld -> %lld bytes: %lld pages less for %d pairs merged",
		   before, after, drop, NPAIRS);

	for (int i = 0; i < NPAIRS; i++)
		ktest_assert(ktest_pfn(p + i * KTEST_PAGE) == ktest_pfn(p + (i + NPAIRS) * KTEST_PAGE),
			     "pair %d does not share a frame", i);
	ktest_check_pages("after merge", p, NPAIRS, 1, 1);
	ktest_check_pages("after merge, second copies", p + NPAIRS * KTEST_PAGE, NPAIRS, 1, 1);
	/* The KSM pages are charged: about half the pages are gone, not all. */
	ktest_assert(drop >= NPAIRS - NPAIRS / 4 && drop <= NPAIRS + NPAIRS / 4,
		     "memory.current fell by %lld pages for %d merged pairs; want about %d (%d if KSM pages were not charged)",
		     drop, NPAIRS, NPAIRS, 2 * NPAIRS);

	close(sma);
	close(dev);
	munmap(p, 2 * NPAIRS * KTEST_PAGE);
	ktest_cgroup_remove(CG);
	ktest_summary("memcg_charges_ksm_pages", "memory.current fell by %lld pages for %d pairs",
		      drop, NPAIRS);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0-only
/*
 * The module parameter max_kernel_pages caps the number of KSM pages.
 * Loaded with max_kernel_pages=2 and given 5 different groups of identical
 * pages, the driver keeps pages_shared <= 2, reports max_kernel_pages 2
 * and counts cap_refusals; groups that got a KSM page merge completely,
 * and pages that later duplicate an existing KSM page still merge into it
 * while duplicates of the refused groups still find no new KSM page.
 */
#include <sys/mman.h>
#include <unistd.h>
#include "ktest.h"

#define NGROUPS	5
#define GSIZE	4
#define NLATE	2
#define NPAGES	(NGROUPS * GSIZE + NLATE)
#define CAP	2

static char *page(char *p, int group, int i)
{
	return p + (group * GSIZE + i) * KTEST_PAGE;
}

int main(void)
{
	int dev, sma;
	char *p, *late;
	struct ksm_stats g, g2;
	uint64_t gpfn[NGROUPS];
	int merged[NGROUPS], nmerged = 0, mg = -1, ug = -1;

	/* The per-user limit (a quarter of the cap by default) as high as the cap. */
	ktest_reload_module("max_kernel_pages=2 max_user_pages=2");
	dev = ktest_open_dev();
	ktest_global_stats(dev, &g);
	ktest_assert(g.size >= sizeof(g), "stats size %u", g.size);
	ktest_expect_stats("fresh module", &g, 0, 0, 0, 0);
	ktest_assert(g.max_kernel_pages == CAP, "max_kernel_pages %llu, want %d",
		     (unsigned long long)g.max_kernel_pages, CAP);
	ktest_assert(ktest_sysfs_stat("max_kernel_pages") == CAP, "sysfs max_kernel_pages %lld",
		     ktest_sysfs_stat("max_kernel_pages"));

	sma = ktest_create_area(dev);
	p = ktest_map(NPAGES);
	late = p + NGROUPS * GSIZE * KTEST_PAGE;
	for (int grp = 0; grp < NGROUPS; grp++)
		ktest_fill_pages(page(p, grp, 0), GSIZE, 1 + grp, 0);
	/* The late pages stay untouched (unmapped) for now. */
	ktest_must_register(sma, p, NPAGES, NULL);

	ktest_scan_and_wait(dev);
	ktest_global_stats(dev, &g);
	ktest_print_stats("global", &g);
	ktest_assert(g.pages_shared >= 1 && g.pages_shared <= CAP,
		     "pages_shared %llu with max_kernel_pages %d",
		     (unsigned long long)g.pages_shared, CAP);
	ktest_assert(g.pages_sharing == (GSIZE - 1) * g.pages_shared,
		     "pages_sharing %llu: groups with a KSM page did not merge completely",
		     (unsigned long long)g.pages_sharing);
	ktest_assert(g.cap_refusals > 0, "cap_refusals is 0 with %d groups and a cap of %d",
		     NGROUPS, CAP);
	ktest_assert(g.max_kernel_pages == CAP, "max_kernel_pages %llu",
		     (unsigned long long)g.max_kernel_pages);
	ktest_assert(ktest_sysfs_stat("cap_refusals") > 0, "sysfs cap_refusals %lld",
		     ktest_sysfs_stat("cap_refusals"));

	for (int grp = 0; grp < NGROUPS; grp++) {
		gpfn[grp] = ktest_pfn(page(p, grp, 0));
		merged[grp] = ktest_pfn(page(p, grp, 1)) == gpfn[grp];
		if (merged[grp]) {
			char what[32];

			snprintf(what, sizeof(what), "merged group %d", grp);
			ktest_expect_same_pfn(what, page(p, grp, 0), GSIZE);
			nmerged++;
			mg = grp;
		} else {
			char what[32];

			snprintf(what, sizeof(what), "refused group %d", grp);
			ktest_expect_distinct_pfns(what, page(p, grp, 0), GSIZE);
			ug = grp;
		}
		ktest_check_pages("group", page(p, grp, 0), GSIZE, 1 + grp, 0);
	}
	ktest_assert((uint64_t)nmerged == g.pages_shared, "%d groups merged, pages_shared %llu",
		     nmerged, (unsigned long long)g.pages_shared);
	ktest_assert(mg >= 0 && ug >= 0, "need a merged and a refused group");

	/* Late duplicates: of a merged group (merges), of a refused one (stays). */
	ktest_fill_page(late, 1 + mg);
	ktest_fill_page(late + KTEST_PAGE, 1 + ug);
	ktest_wait_scans(dev, 3, 60);
	ktest_global_stats(dev, &g2);
	ktest_print_stats("global after late duplicates", &g2);
	ktest_assert(g2.pages_shared == g.pages_shared, "pages_shared went from %llu to %llu",
		     (unsigned long long)g.pages_shared, (unsigned long long)g2.pages_shared);
	ktest_assert(g2.pages_sharing == g.pages_sharing + 1,
		     "pages_sharing %llu -> %llu: the late duplicate of a KSM page did not merge",
		     (unsigned long long)g.pages_sharing, (unsigned long long)g2.pages_sharing);
	ktest_assert(ktest_pfn(late) == gpfn[mg], "late duplicate of group %d not on its KSM page",
		     mg);
	ktest_assert(ktest_pfn(late + KTEST_PAGE) != ktest_pfn(page(p, ug, 0)),
		     "late duplicate of refused group %d merged with it", ug);
	ktest_assert(g2.cap_refusals >= g.cap_refusals, "cap_refusals went down");
	ktest_check_pages("late duplicate of a merged group", late, 1, 1 + mg, 0);
	ktest_check_pages("late duplicate of a refused group", late + KTEST_PAGE, 1, 1 + ug, 0);
	for (int grp = 0; grp < NGROUPS; grp++)
		ktest_check_pages("group at the end", page(p, grp, 0), GSIZE, 1 + grp, 0);

	ktest_scanner(dev, 100000, 1000, 0);
	close(sma);
	close(dev);
	/* ksmdev stays loaded with max_kernel_pages=2; the runner reloads it. */
	return 0;
}

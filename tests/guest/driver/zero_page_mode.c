// SPDX-License-Identifier: GPL-2.0-only
/*
 * Zero-page mode (use_zero_pages=1): written pages that are all zero are
 * mapped to the kernel's zero page, counted in zero_pages and not in the
 * KSM page counts; other duplicates still merge into KSM pages; a write
 * gives a private page; removing the region gives every zero-mapped page
 * its own page again.  Bytes verified throughout.
 */
#include <sys/mman.h>
#include <unistd.h>
#include "ktest.h"

#define NZERO 48
#define NDATA 8

static void set_zero_pages(const char *v)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "echo %s > /sys/module/ksmdev/parameters/use_zero_pages", v);
	ktest_assert(system(cmd) == 0, "set use_zero_pages");
}

int main(void)
{
	int dev = ktest_open_dev(), sma = ktest_create_area(dev);
	char *z = ktest_map(NZERO), *d = ktest_map(NDATA), *probe = ktest_map(1);
	uint64_t zero_pfn;
	struct ksm_stats st;
	volatile char c;

	set_zero_pages("1");
	c = probe[0];		/* a read fault maps the zero page: learn its frame */
	(void)c;
	zero_pfn = ktest_pfn(probe);
	ktest_assert(zero_pfn, "no zero page frame");

	memset(z, 0xaa, NZERO * KTEST_PAGE);	/* written, then zeroed */
	memset(z, 0, NZERO * KTEST_PAGE);
	ktest_fill_pages(d, NDATA, 5, 0);
	ktest_must_register(sma, z, NZERO, "zeroes");
	ktest_must_register(sma, d, NDATA, "data");
	ktest_scan_and_wait(dev);
	ktest_global_stats(dev, &st);
	ktest_print_stats("merged", &st);
	ktest_assert(st.zero_pages == NZERO, "zero_pages %llu", (unsigned long long)st.zero_pages);
	ktest_expect_stats("data pages", &st, 1, NDATA - 1, NDATA, 2);
	for (int i = 0; i < NZERO; i++)
		ktest_assert(ktest_pfn(z + i * KTEST_PAGE) == zero_pfn,
			     "page %d not on the zero page", i);
	ktest_expect_zero("zero-mapped", z, NZERO);
	ktest_check_pages("data", d, NDATA, 5, 0);
	ktest_assert(ktest_sysfs_stat("zero_pages") == NZERO, "sysfs zero_pages");

	/* A write gets its own page; the next scan stops counting it. */
	z[3 * KTEST_PAGE + 7] = 1;
	ktest_assert(ktest_pfn(z + 3 * KTEST_PAGE) != zero_pfn, "write stayed on zero page");
	ktest_wait_scans(dev, 2, 60);
	ktest_global_stats(dev, &st);
	ktest_assert(st.zero_pages == NZERO - 1, "zero_pages %llu after a write",
		     (unsigned long long)st.zero_pages);
	z[3 * KTEST_PAGE + 7] = 0;

	/* Remove: every page its own again, still zero; data intact. */
	ktest_scanner(dev, 100, 20000, 0);
	ktest_assert(ktest_remove(sma, z) == 0, "remove");
	for (int i = 0; i < NZERO; i++)
		ktest_assert(ktest_pfn(z + i * KTEST_PAGE) != zero_pfn,
			     "page %d still on the zero page after remove", i);
	ktest_expect_distinct_pfns("after remove", z, NZERO);
	ktest_expect_zero("after remove", z, NZERO);
	ktest_global_stats(dev, &st);
	ktest_assert(st.zero_pages == 0, "zero_pages %llu after remove",
		     (unsigned long long)st.zero_pages);
	ktest_check_pages("data", d, NDATA, 5, 0);
	set_zero_pages("0");
	return 0;
}

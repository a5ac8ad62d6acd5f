// SPDX-License-Identifier: GPL-2.0-only
/*
 * /sys/kernel/mm/ksmdev/ mirrors KSM_GET_STATS: each of pages_shared,
 * pages_sharing, pages_unshared, pages_volatile, pages_merged, full_scans,
 * pages_scanned, regions, max_kernel_pages and cap_refusals exists, is
 * read-only, and reads the same value as the ioctl - checked with pages
 * merged and again after they were unmerged.
 */
#include <fcntl.h>
#include <stddef.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ktest.h"

static const struct {
	const char *name;
	size_t off;
} fields[] = {
	{ "pages_shared", offsetof(struct ksm_stats, pages_shared) },
	{ "pages_sharing", offsetof(struct ksm_stats, pages_sharing) },
	{ "pages_unshared", offsetof(struct ksm_stats, pages_unshared) },
	{ "pages_volatile", offsetof(struct ksm_stats, pages_volatile) },
	{ "pages_merged", offsetof(struct ksm_stats, pages_merged) },
	{ "full_scans", offsetof(struct ksm_stats, full_scans) },
	{ "pages_scanned", offsetof(struct ksm_stats, pages_scanned) },
	{ "regions", offsetof(struct ksm_stats, regions) },
	{ "max_kernel_pages", offsetof(struct ksm_stats, max_kernel_pages) },
	{ "cap_refusals", offsetof(struct ksm_stats, cap_refusals) },
};

#define NFIELDS	(sizeof(fields) / sizeof(fields[0]))

static void compare(int dev, const char *when)
{
	struct ksm_stats st;

	ktest_global_stats(dev, &st);
	for (size_t i = 0; i < NFIELDS; i++) {
		uint64_t v = *(const uint64_t *)((const char *)&st + fields[i].off);
		long long s = ktest_sysfs_stat(fields[i].name);

		if (s < 0 || (uint64_t)s != v) {
			ktest_print_stats("ioctl", &st);
			ktest_fail("%s: sysfs %s reads %lld, KSM_GET_STATS has %llu", when,
				   fields[i].name, s, (unsigned long long)v);
		}
	}
}

int main(void)
{
	int dev = ktest_open_dev();
	int sma = ktest_create_area(dev);
	char *p = ktest_map(15);
	struct ksm_stats st;

	for (size_t i = 0; i < NFIELDS; i++) {
		char path[128];
		struct stat sb;
		int fd;

		snprintf(path, sizeof(path), "/sys/kernel/mm/ksmdev/%s", fields[i].name);
		ktest_assert(!stat(path, &sb), "%s: %s", path, strerror(errno));
		ktest_assert(S_ISREG(sb.st_mode) && !(sb.st_mode & 0222) && (sb.st_mode & 0444),
			     "%s has mode %o, want read-only", path, sb.st_mode);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		ktest_assert(fd < 0, "%s opens for writing", path);
	}

	ktest_fill_pages(p, 10, 1, 0);
	ktest_fill_pages(p + 10 * KTEST_PAGE, 5, 20, 1);
	ktest_must_register(sma, p, 15, NULL);
	compare(dev, "registered, not scanned");

	ktest_scan_and_wait(dev);
	ktest_scanner(dev, 100000, 1000, 0);
	usleep(100000);
	ktest_global_stats(dev, &st);
	ktest_expect_stats("global", &st, 1, 9, 10, 1);
	ktest_assert(st.full_scans >= 3 && st.pages_scanned >= 15, "no scanning shown");
	compare(dev, "merged");
	ktest_assert(ktest_sysfs_stat("pages_shared") == 1 && ktest_sysfs_stat("pages_sharing") == 9,
		     "sysfs does not show the merge");
	ktest_check_pages("merged pages", p, 10, 1, 0);
	ktest_check_pages("unique pages", p + 10 * KTEST_PAGE, 5, 20, 1);

	close(sma);
	ktest_scanner(dev, 100000, 1000, 1);
	ktest_wait_global(dev, 0, 0, 0, 5000);
	ktest_scanner(dev, 100000, 1000, 0);
	usleep(100000);
	compare(dev, "unmerged");
	ktest_assert(ktest_sysfs_stat("regions") == 0, "sysfs regions after close");
	close(dev);
	return 0;
}

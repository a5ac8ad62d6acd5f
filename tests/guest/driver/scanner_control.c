// SPDX-License-Identifier: GPL-2.0-only
/*
 * Scanner control: KSM_GET_INFO_KTHREAD reports the settings last given
 * to KSM_START_STOP_KTHREAD (sleep, pages_to_scan, flags); a running
 * scanner is a kernel thread named "ksmdevd" that scans at most
 * pages_to_scan pages per batch with the given sleep between batches;
 * stopping sets flags 0 and scanning stops; starting again resumes it.
 */
#include <dirent.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "ktest.h"

#define NPAGES	16

static void expect_info(int dev, uint32_t sleep, uint32_t pages, uint32_t flags)
{
	struct ksm_kthread_info k;

	memset(&k, 0xff, sizeof(k));
	ktest_assert(!ioctl(dev, KSM_GET_INFO_KTHREAD, &k), "GET_INFO: %s", strerror(errno));
	ktest_assert(k.sleep == sleep && k.pages_to_scan == pages && k.flags == flags,
		     "GET_INFO: sleep %u pages_to_scan %u flags %#x, want %u %u %#x",
		     k.sleep, k.pages_to_scan, k.flags, sleep, pages, flags);
}

static int count_threads(const char *name)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	ktest_assert(d, "opendir /proc: %s", strerror(errno));
	while ((e = readdir(d))) {
		char path[300], comm[64] = "";
		FILE *f;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", e->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f)) {
			comm[strcspn(comm, "\n")] = 0;
			if (!strcmp(comm, name))
				n++;
		}
		fclose(f);
	}
	closedir(d);
	return n;
}

static uint32_t info_flags(int dev)
{
	struct ksm_kthread_info k;

	memset(&k, 0xff, sizeof(k));
	ktest_assert(!ioctl(dev, KSM_GET_INFO_KTHREAD, &k), "GET_INFO: %s", strerror(errno));
	return k.flags;
}

int main(void)
{
	int dev = ktest_open_dev();
	int sma = ktest_create_area(dev);
	char *p = ktest_map(NPAGES);
	struct ksm_stats a, b;
	uint64_t s0, s1, t0, elapsed;
	uint32_t f;
	int n;

	/* A fresh module's scanner is not running. */
	f = info_flags(dev);
	ktest_assert(f == 0, "flags %#x on a fresh module, want 0", f);

	/* Something to scan: present, all different. */
	ktest_fill_pages(p, NPAGES, 1, 1);
	ktest_must_register(sma, p, NPAGES, NULL);

	/* Slow: one page per batch, 200 ms between batches. */
	ktest_scanner(dev, 1, 200000, 1);
	expect_info(dev, 200000, 1, ksm_control_flags_run);
	n = count_threads("ksmdevd");
	ktest_assert(n == 1, "%d threads named ksmdevd while running, want 1", n);
	s0 = ktest_pages_scanned(dev);
	for (unsigned int i = 0; i < 300 * ktest_slow() && ktest_pages_scanned(dev) == s0; i++)
		usleep(10000);
	/*
	 * A slow guest oversleeps: the bound is on the time that really
	 * passed, from before the first count (a stall between the two would
	 * scan pages the time does not count).
	 */
	t0 = ktest_now_ms();
	s0 = ktest_pages_scanned(dev);
	ktest_assert(s0 > 0, "nothing scanned within %u s", 3 * ktest_slow());
	usleep(1000000);
	s1 = ktest_pages_scanned(dev);
	elapsed = ktest_now_ms() - t0;
	ktest_info("1 page per 200 ms batch: %llu pages scanned in %llu ms",
		   (unsigned long long)(s1 - s0), (unsigned long long)elapsed);
	ktest_assert(s1 - s0 <= elapsed / 200 + 6,
		     "%llu pages scanned in %llu ms at 1 page per 200 ms",
		     (unsigned long long)(s1 - s0), (unsigned long long)elapsed);

	/* New settings while running take effect and are reported. */
	ktest_scanner(dev, 100000, 1000, 1);
	expect_info(dev, 1000, 100000, ksm_control_flags_run);
	ktest_global_stats(dev, &a);
	ktest_wait_scans(dev, 3, 60);
	ktest_global_stats(dev, &b);
	ktest_assert(b.pages_scanned >= a.pages_scanned + 2 * NPAGES,
		     "3 full scans of %d pages scanned only %llu pages", NPAGES,
		     (unsigned long long)(b.pages_scanned - a.pages_scanned));

	/* Stop: flags 0, the rest as given, no more scanning. */
	ktest_scanner(dev, 100000, 1000, 0);
	expect_info(dev, 1000, 100000, 0);
	usleep(200000);
	ktest_global_stats(dev, &a);
	usleep(700000);
	ktest_global_stats(dev, &b);
	ktest_assert(a.full_scans == b.full_scans && a.pages_scanned == b.pages_scanned,
		     "scanning while stopped: full_scans %llu -> %llu, pages_scanned %llu -> %llu",
		     (unsigned long long)a.full_scans, (unsigned long long)b.full_scans,
		     (unsigned long long)a.pages_scanned, (unsigned long long)b.pages_scanned);

	/* Stopping twice is fine; starting again resumes scanning. */
	ktest_scanner(dev, 50, 2000, 0);
	expect_info(dev, 2000, 50, 0);
	ktest_scanner(dev, 100000, 1000, 1);
	expect_info(dev, 1000, 100000, ksm_control_flags_run);
	n = count_threads("ksmdevd");
	ktest_assert(n == 1, "%d threads named ksmdevd after restart, want 1", n);
	ktest_wait_scans(dev, 2, 60);

	ktest_scanner(dev, 100000, 1000, 0);
	ktest_check_pages("scanned pages", p, NPAGES, 1, 1);
	close(sma);
	close(dev);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0-only
/*
 * Auto-tuned rate: with auto-tuning on, the scanner raises a tiny batch
 * size until a full scan takes about the target time (a target chosen
 * from what a full scan costs on this machine), and keeps its CPU
 * share near the budget when the budget is the tighter bound; its choice
 * is visible in KSM_GET_INFO_KTHREAD and the stats.  Only root may set it.
 * (The size rules of struct ksm_autotune: struct_size_rules.)
 */
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "ktest.h"

#define NPAGES 8192

static void autotune(int dev, __u32 flags, __u32 target, __u32 permille)
{
	struct ksm_autotune at = { .size = sizeof(at), .flags = flags,
				   .target_scan_ms = target, .max_cpu_permille = permille };

	ktest_assert(ioctl(dev, KSM_SET_AUTOTUNE, &at) == 0, "KSM_SET_AUTOTUNE: %s",
		     strerror(errno));
}

static unsigned int batch(int dev)
{
	struct ksm_kthread_info k;

	ktest_assert(ioctl(dev, KSM_GET_INFO_KTHREAD, &k) == 0, "info");
	return k.pages_to_scan;
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

/*
 * The batch and the CPU share follow the last few batches, and one batch
 * the host preempted skews them: take the median of 21 readings over
 * about a second.
 */
#define SAMPLES 21
static unsigned int median_batch(int dev, __u64 *cpu_permille)
{
	__u64 b[SAMPLES], c[SAMPLES];
	struct ksm_stats st;

	for (int i = 0; i < SAMPLES; i++) {
		b[i] = batch(dev);
		ktest_global_stats(dev, &st);
		c[i] = st.scanner_cpu_permille;
		usleep(50000);
	}
	qsort(b, SAMPLES, sizeof(b[0]), cmp_u64);
	qsort(c, SAMPLES, sizeof(c[0]), cmp_u64);
	ktest_info("batch from %llu to %llu, cpu from %llu to %llu permille over %d readings",
		   (unsigned long long)b[0], (unsigned long long)b[SAMPLES - 1],
		   (unsigned long long)c[0], (unsigned long long)c[SAMPLES - 1], SAMPLES);
	*cpu_permille = c[SAMPLES / 2];
	return (unsigned int)b[SAMPLES / 2];
}

int main(void)
{
	int dev = ktest_open_dev(), sma = ktest_create_area(dev);
	struct ksm_autotune at = { .size = sizeof(at), .flags = KSM_AUTOTUNE_ON,
				   .target_scan_ms = 50, .max_cpu_permille = 100 };
	char *p = ktest_map(NPAGES);
	struct ksm_stats st;
	unsigned int b1, b2, b3, cost, target, expect;
	__u64 cpu;
	int status;
	pid_t child;

	ktest_fill_pages(p, NPAGES, 1000, 1);	/* unique pages */
	ktest_assert(ktest_register(sma, p, NPAGES) == 0, "register");
	/* Bad settings are refused. */
	ktest_assert(ioctl(dev, KSM_SET_AUTOTUNE, &at) == -1 && errno == EINVAL,
		     "target 50 ms accepted");
	at.target_scan_ms = 500;
	at.max_cpu_permille = 1001;
	ktest_assert(ioctl(dev, KSM_SET_AUTOTUNE, &at) == -1 && errno == EINVAL,
		     "1001 permille accepted");

	/* Every page costs a visit: no smart-scan back-off in this test. */
	ktest_assert(system("echo 0 > /sys/module/ksmdev/parameters/smart_scan") == 0,
		     "smart_scan");

	/*
	 * What a full scan costs on this machine (a debug kernel is many
	 * times slower): all pages in one batch, one 10 ms sleep per pass.
	 */
	ktest_scanner(dev, NPAGES, 10000, 1);
	ktest_wait_scans(dev, 2, 120);
	ktest_global_stats(dev, &st);
	cost = st.last_scan_ms;
	/* Rate bound: a target the machine can meet with room to sleep. */
	target = cost * 4 < 1000 ? 1000 : (cost * 4 + 99) / 100 * 100;
	expect = NPAGES * 10 / (target - (cost > 10 ? cost - 10 : 0));
	ktest_info("full scan at full speed: %u ms; target %u ms, expected batch ~%u",
		   cost, target, expect);

	ktest_scanner(dev, 16, 10000, 1);
	autotune(dev, KSM_AUTOTUNE_ON, target, 1000);
	ktest_wait_scans(dev, 3, 120 + 3 * target / 1000);
	b1 = median_batch(dev, &cpu);
	ktest_global_stats(dev, &st);
	ktest_info("%u ms target: batch %u, last scan %llu ms, cpu %llu permille", target, b1,
		   (unsigned long long)st.last_scan_ms, (unsigned long long)cpu);
	ktest_assert(b1 > expect / 3 && b1 < expect * 3, "batch %u for ~%u pages per 10 ms",
		     b1, expect);
	ktest_assert(st.last_scan_ms < 4 * target, "scan took %llu ms for a %u ms target",
		     (unsigned long long)st.last_scan_ms, target);
	ktest_assert(ktest_sysfs_stat("last_scan_ms") >= 0, "no last_scan_ms in sysfs");

	/* A 100 ms target with no CPU limit: bigger batches. */
	autotune(dev, KSM_AUTOTUNE_ON, 100, 1000);
	ktest_wait_scans(dev, 3, 120);
	b2 = median_batch(dev, &cpu);
	ktest_global_stats(dev, &st);
	ktest_info("100 ms target: batch %u, last scan %llu ms, cpu %llu permille", b2,
		   (unsigned long long)st.last_scan_ms, (unsigned long long)cpu);
	ktest_assert(b2 > 3 * b1, "batch %u not well above %u", b2, b1);

	/* The same target within 2% of a CPU: the budget wins. */
	autotune(dev, KSM_AUTOTUNE_ON, 100, 20);
	ktest_wait_scans(dev, 2, 180);
	sleep(1);
	b3 = median_batch(dev, &cpu);
	ktest_global_stats(dev, &st);
	ktest_info("2%% budget: batch %u, last scan %llu ms, cpu %llu permille", b3,
		   (unsigned long long)st.last_scan_ms, (unsigned long long)cpu);
	ktest_assert(b3 < b2, "batch %u did not shrink below %u", b3, b2);
	ktest_assert(cpu <= 100, "cpu share %llu permille (median) for a 20 budget",
		     (unsigned long long)cpu);

	/* Off: the batch stays where it is; GET reports the settings. */
	autotune(dev, 0, 0, 0);
	at.flags = 1;
	ktest_assert(ioctl(dev, KSM_GET_AUTOTUNE, &at) == 0 && at.flags == 0 &&
		     at.target_scan_ms == 100 && at.max_cpu_permille == 20, "GET_AUTOTUNE");

	chmod("/dev/ksm", 0666);
	child = fork();
	if (!child) {
		int d;

		ktest_drop_privileges();
		d = ktest_open_dev();
		at.flags = KSM_AUTOTUNE_ON;
		_exit(ioctl(d, KSM_SET_AUTOTUNE, &at) == -1 && errno == EPERM ? 0 : 1);
	}
	waitpid(child, &status, 0);
	chmod("/dev/ksm", 0660);
	ktest_assert(WIFEXITED(status) && !WEXITSTATUS(status), "unprivileged set allowed");
	ktest_check_pages("unique pages", p, NPAGES, 1000, 1);
	ktest_scanner(dev, 100, 20000, 0);
	return 0;
}

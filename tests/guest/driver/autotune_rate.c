// SPDX-License-Identifier: GPL-2.0-only
/*
 * Auto-tuned rate: with auto-tuning on, the scanner chooses pages_to_scan
 * after every batch from its own run time per page, so that a full scan
 * takes about the target time, and keeps within the CPU budget when that
 * is the tighter bound (shrinking the batch, and lengthening the sleep
 * when even the smallest batch is over it).  Only root may set it.  (The
 * size rules of struct ksm_autotune: struct_size_rules.)
 *
 * The verdicts use what the driver measured and chose - scan_ns_per_page,
 * scan_sleep_us and pages_to_scan - not the scanner's wall-clock CPU
 * share or pass time: in an emulated guest those grow with the host's
 * load (a vCPU the host deschedules mid-batch makes the batch look long),
 * so they are only reported.
 */
#include <stddef.h>
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

/* The scanner's plan: its batch, its cost per page and its sleep. */
struct plan {
	__u64 batch, ns_per_page, sleep_us;
	__u64 cpu_permille;	/* what batch, cost and sleep come to */
	__u64 batch_ms;		/* a batch and its sleep */
	__u64 pass_ms;		/* a pass over NPAGES pages at that rate */
	__u64 seen_permille;	/* the wall-clock share it reports */
};

static unsigned int batch(int dev)
{
	struct ksm_kthread_info k;

	ktest_assert(ioctl(dev, KSM_GET_INFO_KTHREAD, &k) == 0, "info");
	return k.pages_to_scan;
}

/*
 * The batch, and the cost it was chosen for: the scanner publishes its
 * cost per page, then the batch it chose for it, so a batch that reads
 * the same before and after the stats belongs with their cost.
 */
static struct plan read_plan(int dev)
{
	struct ksm_stats st;
	struct plan p;
	__u64 busy_ns, batches;
	unsigned int b;

	for (int tries = 0;; tries++) {
		b = batch(dev);
		ktest_global_stats(dev, &st);
		if (batch(dev) == b || tries == 100)
			break;
	}
	ktest_assert(st.size >= offsetof(struct ksm_stats, scan_sleep_us) + 8,
		     "stats of %u bytes: no scan_ns_per_page, scan_sleep_us", st.size);
	p.batch = b;
	p.ns_per_page = st.scan_ns_per_page;
	p.sleep_us = st.scan_sleep_us;
	busy_ns = p.batch * p.ns_per_page;
	p.cpu_permille = busy_ns * 1000 / (busy_ns + p.sleep_us * 1000 + 1);
	p.batch_ms = (busy_ns + p.sleep_us * 1000) / 1000000;
	batches = (NPAGES + p.batch - 1) / p.batch;
	p.pass_ms = batches * (busy_ns + p.sleep_us * 1000) / 1000000;
	p.seen_permille = st.scanner_cpu_permille;
	return p;
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

/*
 * The plan follows the last batch, and a batch the host preempted skews
 * one plan: take the median of each figure over 21 readings, about a
 * second.
 */
#define SAMPLES 21
static struct plan median_plan(int dev, const char *what)
{
	__u64 v[7][SAMPLES];
	struct plan p;

	for (int i = 0; i < SAMPLES; i++) {
		p = read_plan(dev);
		v[0][i] = p.batch;
		v[1][i] = p.ns_per_page;
		v[2][i] = p.sleep_us;
		v[3][i] = p.cpu_permille;
		v[4][i] = p.pass_ms;
		v[5][i] = p.seen_permille;
		v[6][i] = p.batch_ms;
		usleep(50000);
	}
	for (int j = 0; j < 7; j++)
		qsort(v[j], SAMPLES, sizeof(v[j][0]), cmp_u64);
	p.batch = v[0][SAMPLES / 2];
	p.ns_per_page = v[1][SAMPLES / 2];
	p.sleep_us = v[2][SAMPLES / 2];
	p.cpu_permille = v[3][SAMPLES / 2];
	p.pass_ms = v[4][SAMPLES / 2];
	p.seen_permille = v[5][SAMPLES / 2];
	p.batch_ms = v[6][SAMPLES / 2];
	ktest_info("%s: batch %llu (%llu-%llu), %llu ns per page, sleep %llu us: "
		   "%llu permille of a CPU, a pass in %llu ms (reported: %llu permille)", what,
		   (unsigned long long)p.batch, (unsigned long long)v[0][0],
		   (unsigned long long)v[0][SAMPLES - 1], (unsigned long long)p.ns_per_page,
		   (unsigned long long)p.sleep_us, (unsigned long long)p.cpu_permille,
		   (unsigned long long)p.pass_ms, (unsigned long long)p.seen_permille);
	return p;
}

int main(void)
{
	int dev = ktest_open_dev(), sma = ktest_create_area(dev);
	struct ksm_autotune at = { .size = sizeof(at), .flags = KSM_AUTOTUNE_ON,
				   .target_scan_ms = 50, .max_cpu_permille = 100 };
	char *p = ktest_map(NPAGES);
	struct ksm_stats st;
	struct plan p1, p2, p3;
	unsigned int cost, target;
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
	 * What a full scan costs here (a debug kernel is many times slower),
	 * by the scanner's own measure: all pages in one batch.  The rate
	 * target leaves room to sleep at 8 times that cost.
	 */
	ktest_scanner(dev, NPAGES, 10000, 1);
	ktest_wait_scans(dev, 2, 120);
	ktest_global_stats(dev, &st);
	cost = (unsigned int)(st.scan_ns_per_page * NPAGES / 1000000);
	target = cost * 8 < 1000 ? 1000 : (cost * 8 + 99) / 100 * 100;
	ktest_info("full scan at full speed: %u ms by the scanner's cost per page (wall: %llu ms); "
		   "target %u ms", cost, (unsigned long long)st.last_scan_ms, target);

	/*
	 * Rate bound, no CPU limit: a pass planned in about the target (the
	 * last batch of a pass may be a whole batch beyond it).
	 */
	ktest_scanner(dev, 16, 10000, 1);
	autotune(dev, KSM_AUTOTUNE_ON, target, 1000);
	ktest_wait_scans(dev, 3, 120 + 3 * target / 1000);
	p1 = median_plan(dev, "rate bound");
	ktest_assert(p1.pass_ms <= target + target / 10 + p1.batch_ms && p1.pass_ms >= target / 2,
		     "a pass planned in %llu ms for a %u ms target",
		     (unsigned long long)p1.pass_ms, target);
	ktest_assert(p1.sleep_us == 10000, "sleep %llu us, not the configured 10000",
		     (unsigned long long)p1.sleep_us);
	ktest_assert(ktest_sysfs_stat("last_scan_ms") >= 0, "no last_scan_ms in sysfs");
	ktest_assert(ktest_sysfs_stat("scan_ns_per_page") >= 0, "no scan_ns_per_page in sysfs");

	/* A 100 ms target with no CPU limit: bigger batches. */
	autotune(dev, KSM_AUTOTUNE_ON, 100, 1000);
	ktest_wait_scans(dev, 3, 120);
	p2 = median_plan(dev, "100 ms target");
	ktest_assert(p2.batch > 3 * p1.batch, "batch %llu not well above %llu",
		     (unsigned long long)p2.batch, (unsigned long long)p1.batch);
	ktest_assert(p2.pass_ms <= 110 + p2.batch_ms || p2.batch >= NPAGES,
		     "a pass planned in %llu ms for a 100 ms target, in batches of %llu",
		     (unsigned long long)p2.pass_ms, (unsigned long long)p2.batch);

	/* The same target within 2% of a CPU: the budget wins. */
	autotune(dev, KSM_AUTOTUNE_ON, 100, 20);
	ktest_wait_scans(dev, 2, 180);
	sleep(1);
	p3 = median_plan(dev, "2% budget");
	ktest_assert(p3.batch < p2.batch, "batch %llu did not shrink below %llu",
		     (unsigned long long)p3.batch, (unsigned long long)p2.batch);
	ktest_assert(p2.cpu_permille > 20, "the budget was not the tighter bound (%llu permille)",
		     (unsigned long long)p2.cpu_permille);
	ktest_assert(p3.cpu_permille <= 22, "%llu permille of a CPU planned for a 20 budget",
		     (unsigned long long)p3.cpu_permille);
	ktest_assert(p3.batch > 16 || p3.sleep_us >= 10000,
		     "smallest batch with a sleep of %llu us", (unsigned long long)p3.sleep_us);

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

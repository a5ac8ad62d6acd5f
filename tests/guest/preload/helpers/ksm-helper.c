// SPDX-License-Identifier: GPL-2.0-only
/*
 * ksm-helper - what the preload tests need of /dev/ksm from a shell script.
 *
 *   ksm-helper start [PAGES [SLEEP_US]]   start the scanner (100000, 1000)
 *   ksm-helper stop                       stop it
 *   ksm-helper stats                      global statistics, name=value
 *   ksm-helper areas                      one line per area:
 *       pid=P regions=R registered=N merged=M shared=S sharing=H comm=C
 *   ksm-helper wait-sharing N SECS        until pages_sharing >= N (exit 1
 *                                         on timeout); prints the stats
 *   ksm-helper wait-scans N SECS          until full_scans grew by N
 *                                         (SECS times $KTEST_SLOW if set)
 *
 * Not a test itself; built to build/tests/guest/preload/helpers/ksm-helper.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <linux/ksmdev.h>

static int dev(void)
{
	const char *p = getenv("KSMDEV_DEVICE");
	int fd = open(p && *p ? p : "/dev/ksm", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		perror("ksm-helper: /dev/ksm");
		exit(2);
	}
	return fd;
}

static void stats(int fd, struct ksm_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	if (ioctl(fd, KSM_GET_STATS, st) < 0) {
		perror("ksm-helper: KSM_GET_STATS");
		exit(2);
	}
}

static void print_stats(const struct ksm_stats *st)
{
	printf("pages_shared=%llu pages_sharing=%llu pages_merged=%llu pages_unshared=%llu "
	       "pages_volatile=%llu full_scans=%llu regions=%llu\n",
	       (unsigned long long)st->pages_shared, (unsigned long long)st->pages_sharing,
	       (unsigned long long)st->pages_merged, (unsigned long long)st->pages_unshared,
	       (unsigned long long)st->pages_volatile, (unsigned long long)st->full_scans,
	       (unsigned long long)st->regions);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int usage(void)
{
	fprintf(stderr, "usage: ksm-helper start [PAGES [SLEEP_US]] | stop | stats | areas |\n"
			"       wait-sharing N SECS | wait-scans N SECS\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct ksm_stats st;
	int fd;

	if (argc < 2)
		return usage();
	fd = dev();
	if (!strcmp(argv[1], "start") || !strcmp(argv[1], "stop")) {
		struct ksm_kthread_info k = { 0 };

		k.pages_to_scan = argc > 2 ? strtoul(argv[2], NULL, 0) : 100000;
		k.sleep = argc > 3 ? strtoul(argv[3], NULL, 0) : 1000;
		k.flags = !strcmp(argv[1], "start") ? ksm_control_flags_run : 0;
		if (ioctl(fd, KSM_START_STOP_KTHREAD, &k) < 0) {
			perror("ksm-helper: KSM_START_STOP_KTHREAD");
			return 1;
		}
		return 0;
	}
	if (!strcmp(argv[1], "stats")) {
		stats(fd, &st);
		print_stats(&st);
		return 0;
	}
	if (!strcmp(argv[1], "areas")) {
		static struct ksm_area_info a[4096];
		struct ksm_area_list l = { 0 };
		unsigned int i;

		l.entry_size = sizeof(a[0]);
		l.count = sizeof(a) / sizeof(a[0]);
		l.entries = (uintptr_t)a;
		if (ioctl(fd, KSM_LIST_AREAS, &l) < 0) {
			perror("ksm-helper: KSM_LIST_AREAS");
			return 1;
		}
		for (i = 0; i < l.count; i++)
			printf("pid=%u regions=%llu registered=%llu merged=%llu shared=%llu "
			       "sharing=%llu uid=%u domain=%#llx comm=%.16s\n", a[i].pid,
			       (unsigned long long)a[i].regions,
			       (unsigned long long)a[i].pages_registered,
			       (unsigned long long)a[i].pages_merged,
			       (unsigned long long)a[i].pages_shared,
			       (unsigned long long)a[i].pages_sharing, a[i].uid,
			       (unsigned long long)a[i].domain, a[i].comm);
		return 0;
	}
	if (argc == 4 && (!strcmp(argv[1], "wait-sharing") || !strcmp(argv[1], "wait-scans"))) {
		unsigned long long want = strtoull(argv[2], NULL, 0), base = 0;
		const char *slow = getenv("KTEST_SLOW");
		unsigned long factor = slow ? strtoul(slow, NULL, 10) : 1;
		/* as ktest_slow() in the guest tests: unset or 0 means 1 */
		double end = now() + strtod(argv[3], NULL) * (factor ? factor : 1);
		int scans = !strcmp(argv[1], "wait-scans");

		stats(fd, &st);
		if (scans)
			base = st.full_scans;
		for (;;) {
			stats(fd, &st);
			if (scans ? st.full_scans >= base + want : st.pages_sharing >= want)
				break;
			if (now() > end) {
				print_stats(&st);
				fprintf(stderr, "ksm-helper: %s %llu: timed out\n", argv[1], want);
				return 1;
			}
			usleep(50000);
		}
		print_stats(&st);
		return 0;
	}
	return usage();
}

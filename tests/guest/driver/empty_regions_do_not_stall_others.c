// SPDX-License-Identifier: GPL-2.0-only
/*
 * A flood of empty regions is bounded and does not stall other users.
 * uid 1000 registers 65536 one-page regions (64 areas of 1024) over
 * memory it never maps; the next one is refused with ENOSPC
 * (max_user_regions).  The scanner runs over them (batches of 1000, 10 ms
 * apart): a pass visits every region and finds no page (regions passed
 * without a page count against the batch, and the driver's lock is
 * dropped every 32 of them).  Meanwhile uid 1001 runs rounds of create,
 * register, stats and close until it ran 30 and the scanner two more
 * passes (seen in full_scans, which KSM_GET_STATS reads without the lock):
 * at least three rounds must lie wholly inside one pass, and the median
 * round take at most a quarter of the median pass
 * (ktest_expect_no_stall()).  Before empty regions counted against the
 * batch, a pass was one batch under the lock.
 */
#include <fcntl.h>
#include <grp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "ktest.h"

#define AREAS	64
#define PER	1024
#define ROUNDS	30

static void flooder(int dev, int ready, int stopfd)
{
	size_t len = (size_t)AREAS * PER * 2 * KTEST_PAGE;
	char *p, c;
	int sma = -1;

	if (setgroups(0, NULL) || setresgid(1000, 1000, 1000) || setresuid(1000, 1000, 1000))
		ktest_fail("becoming uid 1000: %s", strerror(errno));
	/* Address space only: every other page a region, nothing mapped. */
	p = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ktest_assert(p != MAP_FAILED, "mmap: %s", strerror(errno));
	munmap(p, len);
	for (int a = 0; a < AREAS; a++) {
		sma = ktest_create_area(dev);
		for (int i = 0; i < PER; i++)
			ktest_must_register(sma, p + ((size_t)a * PER + i) * 2 * KTEST_PAGE, 1,
					    "empty region");
	}
	ktest_assert(ktest_register(ktest_create_area(dev), p + len, 1) == -ENOSPC,
		     "region %d of uid 1000 was not refused with ENOSPC", AREAS * PER + 1);
	if (write(ready, "r", 1) != 1)
		ktest_fail("ready: %s", strerror(errno));
	if (read(stopfd, &c, 1) < 0)
		ktest_fail("stop: %s", strerror(errno));
	exit(0);
}

int main(void)
{
	int dev = ktest_open_dev(), ready[2], stopfd[2], status;
	struct ktest_spans *passes = ktest_spans_new(1000), *rounds = ktest_spans_new(2000);
	struct ksm_stats g;
	unsigned long scans;
	uint64_t t0 = 0;
	pid_t x, b;
	char c;

	ktest_assert(!pipe(ready) && !pipe(stopfd), "pipe: %s", strerror(errno));
	fflush(NULL);
	x = fork();
	ktest_assert(x >= 0, "fork: %s", strerror(errno));
	if (!x) {
		close(ready[0]);
		close(stopfd[1]);
		flooder(dev, ready[1], stopfd[0]);
	}
	close(ready[1]);
	close(stopfd[0]);
	ktest_assert(read(ready[0], &c, 1) == 1, "uid 1000 did not register its regions");
	ktest_global_stats(dev, &g);
	ktest_assert(g.regions >= AREAS * PER, "only %llu regions registered",
		     (unsigned long long)g.regions);
	ktest_scanner(dev, 1000, 10000, 1);

	/* The passes, from one change of full_scans to the next, beside the rounds. */
	b = ktest_user_rounds_start(dev, 1001, rounds, ROUNDS, passes, 2);
	ktest_global_stats(dev, &g);
	scans = g.full_scans;
	while (waitpid(b, &status, WNOHANG) == 0) {
		ktest_global_stats(dev, &g);
		if (g.full_scans != scans) {
			uint64_t now = ktest_now_ms();

			if (t0 && g.full_scans == scans + 1)
				ktest_spans_add(passes, t0, now);
			t0 = now;
			scans = g.full_scans;
		}
		usleep(1000);
	}
	ktest_assert(WIFEXITED(status) && !WEXITSTATUS(status), "the rounds failed (%#x)", status);

	ktest_scanner(dev, 100000, 1000, 0);
	ktest_assert(write(stopfd[1], "s", 1) == 1, "stop: %s", strerror(errno));
	ktest_assert(waitpid(x, &status, 0) == x && WIFEXITED(status) && !WEXITSTATUS(status),
		     "uid 1000 failed (%#x)", status);
	ktest_expect_no_stall("passes over 65536 empty regions", passes, rounds);
	close(dev);
	ktest_summary("empty_regions_do_not_stall_others",
		      "median round of uid 1001 %llu ms beside %llu ms passes, %d rounds inside one",
		      (unsigned long long)ktest_spans_median(rounds),
		      (unsigned long long)ktest_spans_median(passes), ktest_spans_inside(passes, rounds));
	return 0;
}

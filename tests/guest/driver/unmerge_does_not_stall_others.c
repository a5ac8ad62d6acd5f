// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unmerging a large region does not stall other users.  uid 1000 merges
 * 512 MiB of identical pages with KSM_MERGE_NOW and closes its area, in a
 * loop: each close gives 131072 pages private copies again, for a second
 * or more here.  Meanwhile uid 1001 runs rounds of create, register,
 * stats and close until it ran 30 and uid 1000 closed twice more: at
 * least three rounds must lie wholly inside one close, and the median
 * round take at most a quarter of the median close
 * (ktest_expect_no_stall()): the unmerge runs with the driver's lock
 * dropped (the region off the scan list).  On the previous driver the
 * whole unmerge held it.  uid 1000's bytes are checked after every close.
 */
#include <fcntl.h>
#include <grp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "ktest.h"

/* Smaller on slow (debug) kernels, where an unmerge is slow anyway. */
#define NX	(131072 / (int)ktest_slow())
#define ROUNDS	30

/* uid 1000: merge, close, until told to stop; each close logged in @closes. */
static void unmerger(int dev, int ready, int stopfd, struct ktest_spans *closes)
{
	char *p, c;
	int n = 0;

	if (setgroups(0, NULL) || setresgid(1000, 1000, 1000) || setresuid(1000, 1000, 1000))
		ktest_fail("becoming uid 1000: %s", strerror(errno));
	p = ktest_map(NX);
	ktest_expect_ok(madvise(p, NX * KTEST_PAGE, MADV_NOHUGEPAGE));
	ktest_fill_pages(p, NX, 77, 0);
	for (;;) {
		int sma = ktest_create_area(dev);
		uint64_t t0;
		long r;

		ktest_must_register(sma, p, NX, NULL);
		r = ioctl(sma, KSM_MERGE_NOW, 0);
		ktest_assert(r >= NX / 2, "KSM_MERGE_NOW merged %ld of %d", r, NX);
		if (!n++ && write(ready, "r", 1) != 1)
			ktest_fail("ready: %s", strerror(errno));
		t0 = ktest_now_ms();
		close(sma);
		ktest_spans_add(closes, t0, ktest_now_ms());
		ktest_check_pages("after close", p, NX, 77, 0);
		if (read(stopfd, &c, 1) == 1)
			break;
	}
	exit(0);
}

int main(void)
{
	int dev = ktest_open_dev(), ready[2], stopfd[2], status;
	struct ktest_spans *closes = ktest_spans_new(1000), *rounds = ktest_spans_new(2000);
	pid_t x;
	char c;

	ktest_assert(!pipe(ready) && !pipe(stopfd), "pipe: %s", strerror(errno));
	fflush(NULL);
	x = fork();
	ktest_assert(x >= 0, "fork: %s", strerror(errno));
	if (!x) {
		close(ready[0]);
		close(stopfd[1]);
		fcntl(stopfd[0], F_SETFL, O_NONBLOCK);
		unmerger(dev, ready[1], stopfd[0], closes);
	}
	close(ready[1]);
	close(stopfd[0]);
	ktest_assert(read(ready[0], &c, 1) == 1, "uid 1000 did not merge");

	ktest_user_rounds_wait(ktest_user_rounds_start(dev, 1001, rounds, ROUNDS, closes, 2));

	ktest_assert(write(stopfd[1], "s", 1) == 1, "stop: %s", strerror(errno));
	ktest_assert(waitpid(x, &status, 0) == x && WIFEXITED(status) && !WEXITSTATUS(status),
		     "uid 1000 failed (%#x)", status);
	ktest_expect_no_stall("closes of uid 1000", closes, rounds);
	close(dev);
	ktest_summary("unmerge_does_not_stall_others",
		      "median round of uid 1001 %llu ms beside %llu ms closes of uid 1000, %d rounds inside one",
		      (unsigned long long)ktest_spans_median(rounds),
		      (unsigned long long)ktest_spans_median(closes), ktest_spans_inside(closes, rounds));
	return 0;
}

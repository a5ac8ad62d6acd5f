// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unmerging a large region does not stall other users.  uid 1000 merges
 * 512 MiB of identical pages with KSM_MERGE_NOW and closes its area, in a
 * loop: each close gives 131072 pages private copies again, for a second
 * or more here.  Meanwhile uid 1001's rounds of create, register, stats
 * and close must each take at most a quarter of uid 1000's longest close
 * (nor 2 s times KTEST_SLOW): the unmerge runs with the driver's lock
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
#define BOUND_MS 2000	/* a hang; the verdict is the quarter */

static void unmerger(int dev, int ready, int stopfd)
{
	uint64_t longest = 0;
	char *p, c;
	int n = 0;

	if (setgroups(0, NULL) || setresgid(1000, 1000, 1000) || setresuid(1000, 1000, 1000))
		ktest_fail("becoming uid 1000: %s", strerror(errno));
	p = ktest_map(NX);
	ktest_expect_ok(madvise(p, NX * KTEST_PAGE, MADV_NOHUGEPAGE));
	ktest_fill_pages(p, NX, 77, 0);
	for (;;) {
		int sma = ktest_create_area(dev);
		uint64_t t0, dt;
		long r;

		ktest_must_register(sma, p, NX, NULL);
		r = ioctl(sma, KSM_MERGE_NOW, 0);
		ktest_assert(r >= NX / 2, "KSM_MERGE_NOW merged %ld of %d", r, NX);
		if (!n++ && write(ready, "r", 1) != 1)
			ktest_fail("ready: %s", strerror(errno));
		t0 = ktest_now_ms();
		close(sma);
		dt = ktest_now_ms() - t0;
		longest = dt > longest ? dt : longest;
		ktest_check_pages("after close", p, NX, 77, 0);
		if (read(stopfd, &c, 1) == 1)
			break;
	}
	ktest_info("uid 1000: %d closes, the longest %llu ms", n, (unsigned long long)longest);
	if (write(ready, &longest, sizeof(longest)) != sizeof(longest))
		ktest_fail("answer: %s", strerror(errno));
	exit(0);
}

int main(void)
{
	int dev = ktest_open_dev(), ready[2], stopfd[2], status;
	uint64_t bound = BOUND_MS * ktest_slow(), longest_x = 0, longest_b;
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
		unmerger(dev, ready[1], stopfd[0]);
	}
	close(ready[1]);
	close(stopfd[0]);
	ktest_assert(read(ready[0], &c, 1) == 1, "uid 1000 did not merge");

	longest_b = ktest_user_rounds_longest_ms(dev, 1001, ROUNDS);

	ktest_assert(write(stopfd[1], "s", 1) == 1, "stop: %s", strerror(errno));
	ktest_assert(read(ready[0], &longest_x, sizeof(longest_x)) == sizeof(longest_x),
		     "uid 1000 gave no answer");
	ktest_assert(waitpid(x, &status, 0) == x && WIFEXITED(status) && !WEXITSTATUS(status),
		     "uid 1000 failed (%#x)", status);
	ktest_info("uid 1000's longest close %llu ms; uid 1001's longest round %llu ms; bound %llu ms",
		   (unsigned long long)longest_x, (unsigned long long)longest_b,
		   (unsigned long long)bound);
	ktest_assert(longest_x >= 600, "uid 1000's closes took only %llu ms: too short to show a stall",
		     (unsigned long long)longest_x);
	ktest_assert(longest_b <= bound && 4 * longest_b <= longest_x,
		     "uid 1001 waited %llu ms in one round while uid 1000 unmerged (bound %llu ms, and a quarter of %llu ms)",
		     (unsigned long long)longest_b, (unsigned long long)bound,
		     (unsigned long long)longest_x);
	close(dev);
	ktest_summary("unmerge_does_not_stall_others",
		      "longest round of uid 1001 %llu ms beside %llu ms closes of uid 1000",
		      (unsigned long long)longest_b, (unsigned long long)longest_x);
	return 0;
}

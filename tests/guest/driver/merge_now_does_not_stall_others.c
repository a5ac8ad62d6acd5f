// SPDX-License-Identifier: GPL-2.0-only
/*
 * One user's long KSM_MERGE_NOW does not stall another user.  uid 1000
 * registers 131072 unique pages (512 MiB) and calls KSM_MERGE_NOW over
 * them again and again, each call a pass of a second or more; meanwhile
 * uid 1001 does what every user of the driver does, in rounds: create an
 * area, register 16 pages, read its statistics, close it, until it ran 30
 * rounds and uid 1000 two more calls.  At least three rounds must lie
 * wholly inside one call, and the median round take at most a quarter of
 * the median call (ktest_expect_no_stall()): the pass drops the driver's
 * lock every batch instead of holding it throughout.  On the previous
 * driver the rounds waited for whole passes (none inside a call; the test
 * timed out).  uid 1000's pages keep their bytes.
 */
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "ktest.h"

/* Smaller on slow (debug) kernels, where a pass is slow anyway. */
#define NX	(131072 / ktest_slow())
#define ROUNDS	30

static void become(uid_t uid)
{
	if (setgroups(0, NULL) || setresgid(uid, uid, uid) || setresuid(uid, uid, uid))
		ktest_fail("becoming uid %u: %s", uid, strerror(errno));
}

/* uid 1000: MERGE_NOW until told to stop, each call logged in @calls. */
static void flooder(int dev, int ready, int stop, struct ktest_spans *calls)
{
	char *p;
	int sma;

	become(1000);
	sma = ktest_create_area(dev);
	p = ktest_map(NX);
	for (unsigned long i = 0; i < NX; i++)
		ktest_fill_page(p + i * KTEST_PAGE, 1000000 + i);
	ktest_must_register(sma, p, NX, NULL);
	if (write(ready, "r", 1) != 1)
		ktest_fail("ready: %s", strerror(errno));
	for (;;) {
		uint64_t t0 = ktest_now_ms();
		char c;

		if (ioctl(sma, KSM_MERGE_NOW, 0) < 0)
			ktest_fail("KSM_MERGE_NOW: %s", strerror(errno));
		ktest_spans_add(calls, t0, ktest_now_ms());
		if (read(stop, &c, 1) == 1)
			break;
	}
	ktest_check_pages("uid 1000's pages", p, NX, 1000000, 1);
	exit(0);
}

int main(void)
{
	int dev = ktest_open_dev(), ready[2], stop[2], status;
	struct ktest_spans *calls = ktest_spans_new(1000), *rounds = ktest_spans_new(2000);
	pid_t x;
	char c;

	ktest_assert(!pipe(ready) && !pipe(stop), "pipe: %s", strerror(errno));
	fflush(NULL);
	x = fork();
	ktest_assert(x >= 0, "fork: %s", strerror(errno));
	if (!x) {
		close(ready[0]);
		close(stop[1]);
		fcntl(stop[0], F_SETFL, O_NONBLOCK);
		flooder(dev, ready[1], stop[0], calls);
	}
	close(ready[1]);
	close(stop[0]);
	ktest_assert(read(ready[0], &c, 1) == 1, "uid 1000 did not get ready");
	usleep(200000);		/* its first pass is under way */

	ktest_user_rounds_wait(ktest_user_rounds_start(dev, 1001, rounds, ROUNDS, calls, 2));

	ktest_assert(write(stop[1], "s", 1) == 1, "stop: %s", strerror(errno));
	ktest_assert(waitpid(x, &status, 0) == x && WIFEXITED(status) && !WEXITSTATUS(status),
		     "uid 1000 failed (%#x)", status);
	ktest_expect_no_stall("KSM_MERGE_NOW of uid 1000", calls, rounds);
	close(dev);
	ktest_summary("merge_now_does_not_stall_others",
		      "median round of uid 1001 %llu ms beside %llu ms passes of uid 1000, %d rounds inside one",
		      (unsigned long long)ktest_spans_median(rounds),
		      (unsigned long long)ktest_spans_median(calls), ktest_spans_inside(calls, rounds));
	return 0;
}

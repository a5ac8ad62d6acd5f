// SPDX-License-Identifier: GPL-2.0-only
/*
 * One user's long KSM_MERGE_NOW does not stall another user.  uid 1000
 * registers 131072 unique pages (512 MiB) and calls KSM_MERGE_NOW over
 * them again and again, each call a pass of a second or more; meanwhile
 * uid 1001 does, 30 times, what every user of the driver does: create an
 * area, register 16 pages, read its statistics, close it.  No round may
 * take more than a quarter of uid 1000's longest KSM_MERGE_NOW (nor 2 s
 * times KTEST_SLOW): the pass drops the driver's lock every batch instead
 * of holding it throughout.  The bound is relative because a busy host
 * can deschedule the vCPU that holds the lock for any length of time; on
 * the previous driver the rounds waited for whole passes, and the test
 * timed out.  uid 1000's pages keep their bytes.
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
#define BOUND_MS 2000	/* a hang; the verdict is the quarter */

static void become(uid_t uid)
{
	if (setgroups(0, NULL) || setresgid(uid, uid, uid) || setresuid(uid, uid, uid))
		ktest_fail("becoming uid %u: %s", uid, strerror(errno));
}

/* uid 1000: MERGE_NOW until told to stop; answers its longest call in ms. */
static void flooder(int dev, int ready, int stop)
{
	uint64_t longest = 0;
	long calls = 0;
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
		uint64_t t0 = ktest_now_ms(), dt;
		char c;

		if (ioctl(sma, KSM_MERGE_NOW, 0) < 0)
			ktest_fail("KSM_MERGE_NOW: %s", strerror(errno));
		dt = ktest_now_ms() - t0;
		longest = dt > longest ? dt : longest;
		calls++;
		if (read(stop, &c, 1) == 1)
			break;
	}
	ktest_check_pages("uid 1000's pages", p, NX, 1000000, 1);
	ktest_info("uid 1000: %ld KSM_MERGE_NOW calls, the longest %llu ms", calls,
		   (unsigned long long)longest);
	if (write(ready, &longest, sizeof(longest)) != sizeof(longest))
		ktest_fail("answer: %s", strerror(errno));
	exit(0);
}

int main(void)
{
	int dev = ktest_open_dev(), ready[2], stop[2], status;
	uint64_t bound = BOUND_MS * ktest_slow(), longest_x = 0, longest_b;
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
		flooder(dev, ready[1], stop[0]);
	}
	close(ready[1]);
	close(stop[0]);
	ktest_assert(read(ready[0], &c, 1) == 1, "uid 1000 did not get ready");
	usleep(200000);		/* its first pass is under way */

	longest_b = ktest_user_rounds_longest_ms(dev, 1001, ROUNDS);

	ktest_assert(write(stop[1], "s", 1) == 1, "stop: %s", strerror(errno));
	ktest_assert(read(ready[0], &longest_x, sizeof(longest_x)) == sizeof(longest_x),
		     "uid 1000 gave no answer");
	ktest_assert(waitpid(x, &status, 0) == x && WIFEXITED(status) && !WEXITSTATUS(status),
		     "uid 1000 failed (%#x)", status);
	ktest_info("uid 1000's longest KSM_MERGE_NOW %llu ms; uid 1001's longest round %llu ms; bound %llu ms",
		   (unsigned long long)longest_x, (unsigned long long)longest_b,
		   (unsigned long long)bound);
	ktest_assert(longest_x >= 1000,
		     "uid 1000's KSM_MERGE_NOW took only %llu ms: too short to show a stall",
		     (unsigned long long)longest_x);
	ktest_assert(longest_b <= bound && 4 * longest_b <= longest_x,
		     "uid 1001 waited %llu ms in one round while uid 1000 merged (bound %llu ms, and a quarter of %llu ms)",
		     (unsigned long long)longest_b, (unsigned long long)bound,
		     (unsigned long long)longest_x);
	close(dev);
	ktest_summary("merge_now_does_not_stall_others",
		      "longest round of uid 1001 %llu ms beside %llu ms passes of uid 1000",
		      (unsigned long long)longest_b, (unsigned long long)longest_x);
	return 0;
}

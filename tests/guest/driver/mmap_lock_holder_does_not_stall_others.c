// SPDX-License-Identifier: GPL-2.0-only
/*
 * A process that holds its own mmap_lock for a long time does not stall
 * other users.  uid 1000 registers 256 MiB of unique small pages, maps
 * 56000 more one-page VMAs, and a thread of it forks in a loop: each
 * fork() holds its mmap_lock for write while it copies the VMAs and page
 * tables, for hundreds of milliseconds here.  The scanner runs over it.
 * Meanwhile uid 1001 runs rounds of create, register, stats and close
 * until it ran 30 and uid 1000 three more forks: at least three rounds
 * must lie wholly inside one fork, and the median round take at most a
 * quarter of the median fork (ktest_expect_no_stall()): nothing waits for
 * uid 1000's mmap_lock while holding the driver's lock (the scanner
 * passes a busy region by).  On the previous driver the scanner waited
 * for each fork with the lock held (rounds of 347 ms beside 395 ms
 * forks).  uid 1000's pages keep their bytes.
 */
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "ktest.h"

/* Smaller on slow (debug) kernels, where a fork is slow anyway. */
#define NX	(65536 / ktest_slow())
#define NVMAS	(28000 / ktest_slow())
#define ROUNDS	30

static volatile int stop;
static struct ktest_spans *forks;

static void *forker(void *arg)
{
	while (!stop) {
		uint64_t t0 = ktest_now_ms();
		pid_t pid = fork();

		if (pid < 0)
			ktest_fail("fork: %s", strerror(errno));
		if (!pid)
			_exit(0);
		/* The parent is back: the copy is done, the lock released. */
		ktest_spans_add(forks, t0, ktest_now_ms());
		waitpid(pid, NULL, 0);
	}
	return NULL;
}

static void holder(int dev, int ready, int stopfd)
{
	pthread_t th;
	char *p, *q, c;
	int sma;

	if (setgroups(0, NULL) || setresgid(1000, 1000, 1000) || setresuid(1000, 1000, 1000))
		ktest_fail("becoming uid 1000: %s", strerror(errno));
	sma = ktest_create_area(dev);
	p = ktest_map(NX);
	ktest_expect_ok(madvise(p, NX * KTEST_PAGE, MADV_NOHUGEPAGE));
	/* Many VMAs make fork slow: every other page read-only, all touched. */
	q = ktest_map(2 * NVMAS);
	for (unsigned long i = 0; i < 2 * NVMAS; i++)
		q[i * KTEST_PAGE] = 1;
	for (unsigned long i = 0; i < NVMAS; i++)
		ktest_expect_ok(mprotect(q + 2 * i * KTEST_PAGE, KTEST_PAGE, PROT_READ));
	for (unsigned long i = 0; i < NX; i++)
		ktest_fill_page(p + i * KTEST_PAGE, 3000000 + i);
	ktest_must_register(sma, p, NX, NULL);
	ktest_assert(!pthread_create(&th, NULL, forker, NULL), "pthread_create");
	if (write(ready, "r", 1) != 1)
		ktest_fail("ready: %s", strerror(errno));
	if (read(stopfd, &c, 1) < 0)
		ktest_fail("stop: %s", strerror(errno));
	stop = 1;
	pthread_join(th, NULL);
	ktest_check_pages("uid 1000's pages", p, NX, 3000000, 1);
	exit(0);
}

int main(void)
{
	int dev = ktest_open_dev(), ready[2], stopfd[2], status;
	struct ktest_spans *rounds = ktest_spans_new(2000);
	pid_t x;
	char c;

	forks = ktest_spans_new(1000);

	ktest_assert(!pipe(ready) && !pipe(stopfd), "pipe: %s", strerror(errno));
	fflush(NULL);
	x = fork();
	ktest_assert(x >= 0, "fork: %s", strerror(errno));
	if (!x) {
		close(ready[0]);
		close(stopfd[1]);
		holder(dev, ready[1], stopfd[0]);
	}
	close(ready[1]);
	close(stopfd[0]);
	ktest_assert(read(ready[0], &c, 1) == 1, "uid 1000 did not get ready");
	ktest_scanner(dev, 2000, 1000, 1);
	usleep(300000);

	ktest_user_rounds_wait(ktest_user_rounds_start(dev, 1001, rounds, ROUNDS, forks, 3));

	ktest_assert(write(stopfd[1], "s", 1) == 1, "stop: %s", strerror(errno));
	ktest_assert(waitpid(x, &status, 0) == x && WIFEXITED(status) && !WEXITSTATUS(status),
		     "uid 1000 failed (%#x)", status);
	ktest_scanner(dev, 2000, 1000, 0);
	ktest_expect_no_stall("forks of uid 1000", forks, rounds);
	close(dev);
	ktest_summary("mmap_lock_holder_does_not_stall_others",
		      "median round of uid 1001 %llu ms beside %llu ms forks of uid 1000, %d rounds inside one",
		      (unsigned long long)ktest_spans_median(rounds),
		      (unsigned long long)ktest_spans_median(forks), ktest_spans_inside(forks, rounds));
	return 0;
}

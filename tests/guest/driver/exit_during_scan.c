// SPDX-License-Identifier: GPL-2.0-only
/*
 * Processes that exit - here killed with SIGKILL at random moments while
 * the scanner works flat out on their regions and they keep rewriting
 * pages - leave nothing behind: once all are gone the global stats return
 * to regions 0, pages_shared 0, pages_sharing 0, and the driver still
 * merges correctly afterwards.
 */
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "ktest.h"

#define NCHILD	8
#define NPAGES	256
#define NSEEDS	32
#define ROUNDS	2

static void child(int idx, int ready_wr)
{
	int dev = ktest_open_dev();
	int sma = ktest_create_area(dev);
	char *p = ktest_map(NPAGES);
	unsigned long k = (unsigned long)idx * 7;
	int rc;

	/* Lots of duplicates within and across the children. */
	for (int i = 0; i < NPAGES; i++)
		ktest_fill_page(p + i * KTEST_PAGE, (uint64_t)(i % NSEEDS));
	rc = ktest_register(sma, p, NPAGES);
	if (rc)
		ktest_fail("child %d: register: %s", idx, strerror(-rc));
	if (write(ready_wr, "r", 1) != 1)
		ktest_fail("child %d: pipe: %s", idx, strerror(errno));
	close(ready_wr);
	/* Keep breaking merged pages (COW) and changing others until killed. */
	for (;;) {
		unsigned long i = k % NPAGES;

		if (k & 1)
			ktest_fill_page(p + i * KTEST_PAGE, (uint64_t)(i % NSEEDS));
		else
			p[i * KTEST_PAGE + 8] ^= 1;
		k += 13;
		usleep(500);
	}
}

static void round_of_kills(int dev, int round)
{
	struct ksm_stats before, st;
	pid_t pid[NCHILD];
	int ready[2];
	char c;

	if (pipe(ready))
		ktest_fail("pipe: %s", strerror(errno));
	for (int i = 0; i < NCHILD; i++) {
		pid[i] = fork();
		ktest_assert(pid[i] >= 0, "fork: %s", strerror(errno));
		if (!pid[i]) {
			close(ready[0]);
			child(i, ready[1]);
		}
	}
	close(ready[1]);
	for (int i = 0; i < NCHILD; i++)
		if (read(ready[0], &c, 1) != 1)
			ktest_fail("round %d: a child failed during setup", round);
	close(ready[0]);

	ktest_global_stats(dev, &before);
	ktest_expect_stats("global with all children registered", &before,
			   KTEST_ANY, KTEST_ANY, KTEST_ANY, NCHILD);
	if (round == 0) {
		/* Let merging get going first: kill with KSM pages in use. */
		uint64_t t0 = ktest_now_ms();

		do {
			ktest_global_stats(dev, &st);
			if (ktest_now_ms() - t0 > 90000ULL * ktest_slow()) {
				ktest_print_stats("global", &st);
				ktest_fail("nothing merged within 90 s");
			}
			usleep(20000);
		} while (!st.pages_sharing);
		ktest_print_stats("round 0, merging under way", &st);
	} else {
		/* The kills must land while the scanner walks these mms. */
		uint64_t t0 = ktest_now_ms();

		while (ktest_pages_scanned(dev) == before.pages_scanned) {
			if (ktest_now_ms() - t0 > 30000ULL * ktest_slow())
				ktest_fail("round %d: the scanner did not scan within 30 s", round);
			usleep(1000);
		}
	}
	for (int i = 0; i < NCHILD; i++) {
		usleep(10000 + (unsigned int)(rand() % 250000));
		kill(pid[i], SIGKILL);
	}
	for (int i = 0; i < NCHILD; i++) {
		int status = 0;

		if (waitpid(pid[i], &status, 0) != pid[i])
			ktest_fail("waitpid: %s", strerror(errno));
		ktest_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
			     "round %d: child %d ended with status %#x, not by the kill",
			     round, i, status);
	}
	ktest_global_stats(dev, &st);
	ktest_print_stats("right after the kills", &st);
	ktest_assert(st.pages_scanned > before.pages_scanned,
		     "round %d: the scanner did not scan while the children lived", round);

	ktest_wait_global(dev, 0, 0, 0, 5000);
	ktest_global_stats(dev, &st);
	ktest_expect_stats("global after the exits", &st, 0, 0, 0, 0);
}

int main(void)
{
	int dev = ktest_open_dev();
	struct ksm_stats g;
	int sma;
	char *p;

	srand((unsigned int)time(NULL) ^ (unsigned int)getpid());
	/* Flat out: big batches, no sleep between them. */
	ktest_scanner(dev, 256, 0, 1);
	for (int r = 0; r < ROUNDS; r++)
		round_of_kills(dev, r);

	/* The driver still works. */
	ktest_scanner(dev, 100000, 1000, 1);
	sma = ktest_create_area(dev);
	p = ktest_map(10);
	ktest_fill_pages(p, 10, 1, 0);
	ktest_must_register(sma, p, 10, NULL);
	ktest_wait_scans(dev, 3, 60);
	ktest_global_stats(dev, &g);
	ktest_expect_stats("global, merging after the kills", &g, 1, 9, 10, 1);
	ktest_expect_same_pfn("merging after the kills", p, 10);
	ktest_check_pages("merging after the kills", p, 10, 1, 0);
	close(sma);
	ktest_wait_global(dev, 0, 0, 0, 5000);
	ktest_scanner(dev, 100000, 1000, 0);
	close(dev);
	return 0;
}

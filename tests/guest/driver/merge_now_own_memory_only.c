// SPDX-License-Identifier: GPL-2.0-only
/*
 * KSM_MERGE_NOW works on the caller's own memory only, even where other
 * processes of the same user, in the same domain and the same area, hold
 * identical pages: it never merges, or even reads, their pages.
 *
 * With the scanner stopped, the parent registers two pages of seed 7 and
 * one of seed 9 on area A; a sibling registers one page of seed 9 on an
 * area of its own; a child registers two pages of seed 8 and one of seed 9
 * on A, the parent's area, and calls KSM_MERGE_NOW on A: it returns 2
 * (the child's pair), the child's seed-9 page stays as it is although two
 * other processes hold one alike, and none of the parent's or sibling's
 * pages is a KSM page (pagemap).  Then the scanner, which works for the
 * whole domain, merges all of it: the seed-9 pages of the three
 * processes and the parent's pair.  Bytes are checked throughout.
 */
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include "ktest.h"

/* The PM_FILE bit (KSM page of ksmdev) of @addr in process @pid. */
static int is_ksm(pid_t pid, const void *addr)
{
	return !!(ktest_pagemap(pid, addr) & KTEST_PM_FILE);
}

/* A child that registers @n pages of seeds @seeds on @area, answers over @done. */
static pid_t holder(int area, const uint64_t *seeds, int n, int merge_now, int done[2],
		    char **base)
{
	char *p = ktest_map(n);
	pid_t pid;

	for (int i = 0; i < n; i++)
		ktest_fill_page(p + i * KTEST_PAGE, seeds[i]);
	*base = p;
	fflush(NULL);
	pid = fork();
	ktest_assert(pid >= 0, "fork");
	if (!pid) {
		long r = 0;
		char c;

		ktest_must_register(area, p, n, "holder");
		if (merge_now) {
			r = ioctl(area, KSM_MERGE_NOW, 0);
			if (r < 0)
				r = -errno;
		}
		if (write(done[1], &r, sizeof(r)) != sizeof(r) || read(done[0], &c, 1) != 1)
			_exit(2);
		for (int i = 0; i < n; i++)
			if (!ktest_check_page(p + i * KTEST_PAGE, seeds[i]))
				_exit(3);
		_exit(0);
	}
	return pid;
}

int main(void)
{
	static const uint64_t parent_seeds[] = { 7, 7, 9 }, sibling_seeds[] = { 9 },
			      child_seeds[] = { 8, 8, 9 };
	int dev = ktest_open_dev(), a = ktest_create_area(dev), b = ktest_create_area(dev);
	int sib_pipe[2][2], child_pipe[2][2], status;
	char *mine = ktest_map(3), *sp, *cp;
	struct ksm_kthread_info info;
	struct ksm_stats st;
	pid_t sib, child;
	long r;

	ktest_assert(ioctl(dev, KSM_GET_INFO_KTHREAD, &info) == 0 && !info.flags,
		     "scanner running");
	for (int i = 0; i < 3; i++)
		ktest_fill_page(mine + i * KTEST_PAGE, parent_seeds[i]);
	ktest_must_register(a, mine, 3, "parent");
	for (int i = 0; i < 2; i++) {
		ktest_assert(!pipe(sib_pipe[i]) && !pipe(child_pipe[i]), "pipe");
	}
	/* [0]: holder -> test, [1]: test -> holder */
	{
		int sd[2] = { sib_pipe[1][0], sib_pipe[0][1] };
		int cd[2] = { child_pipe[1][0], child_pipe[0][1] };

		sib = holder(b, sibling_seeds, 1, 0, sd, &sp);
		ktest_assert(read(sib_pipe[0][0], &r, sizeof(r)) == sizeof(r) && !r, "sibling");
		child = holder(a, child_seeds, 3, 1, cd, &cp);
		ktest_assert(read(child_pipe[0][0], &r, sizeof(r)) == sizeof(r), "child");
	}
	ktest_assert(r == 2, "the child's KSM_MERGE_NOW returned %ld, want 2 (its own pair)", r);
	ktest_assert(is_ksm(child, cp) && is_ksm(child, cp + KTEST_PAGE), "child's pair not merged");
	ktest_assert(!is_ksm(child, cp + 2 * KTEST_PAGE), "child's seed-9 page merged");
	for (int i = 0; i < 3; i++)
		ktest_assert(!is_ksm(getpid(), mine + i * KTEST_PAGE),
			     "the parent's page %d was merged by the child's KSM_MERGE_NOW", i);
	ktest_assert(!is_ksm(sib, sp), "the sibling's page was merged by the child's KSM_MERGE_NOW");
	ktest_global_stats(dev, &st);
	ktest_expect_stats("after the child's KSM_MERGE_NOW", &st, 1, 1, 2, 3);

	/* The scanner merges the domain: pair 7 of the parent, the three 9s. */
	ktest_scan_and_wait(dev);
	ktest_scanner(dev, 100, 20000, 0);
	ktest_global_stats(dev, &st);
	ktest_expect_stats("after the scanner", &st, 3, 4, 7, 3);
	ktest_assert(is_ksm(getpid(), mine + 2 * KTEST_PAGE) && is_ksm(sib, sp) &&
		     is_ksm(child, cp + 2 * KTEST_PAGE), "the scanner did not merge the 9s");
	ktest_check_pages("parent's pair", mine, 2, 7, 0);
	ktest_check_pages("parent's 9", mine + 2 * KTEST_PAGE, 1, 9, 0);

	ktest_assert(write(sib_pipe[1][1], "q", 1) == 1 && write(child_pipe[1][1], "q", 1) == 1,
		     "pipes");
	ktest_assert(waitpid(sib, &status, 0) == sib && WIFEXITED(status) && !WEXITSTATUS(status),
		     "sibling: %#x", status);
	ktest_assert(waitpid(child, &status, 0) == child && WIFEXITED(status) &&
		     !WEXITSTATUS(status), "child: %#x", status);
	close(a);
	close(b);
	ktest_wait_global(dev, 0, 0, 0, 30000);
	return 0;
}

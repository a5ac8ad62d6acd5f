// SPDX-License-Identifier: GPL-2.0-only
/*
 * fork of merged memory: the child sees the right bytes (on the same KSM
 * page), a write in the child gives the child its own copy and leaves the
 * parent's pages merged and unchanged, and the child's exit (it inherited
 * the SMA fd) does not unmerge or unregister anything of the parent's.
 */
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "ktest.h"

#define NPAGES	10

int main(void)
{
	int dev = ktest_open_dev();
	int sma = ktest_create_area(dev);
	char *p = ktest_map(NPAGES);
	struct ksm_stats g;
	uint64_t kpfn;
	int status = 0;
	pid_t pid;

	kpfn = ktest_merge_identical(dev, sma, p, NPAGES);

	pid = fork();
	ktest_assert(pid >= 0, "fork: %s", strerror(errno));
	if (!pid) {
		uint64_t cpfn;

		ktest_check_pages("child before writing", p, NPAGES, 1, 0);
		ktest_assert(ktest_expect_same_pfn("child before writing", p, NPAGES) == kpfn,
			     "child does not map the KSM page");
		ktest_fill_page(p, 2);
		cpfn = ktest_pfn(p);
		ktest_assert(cpfn && cpfn != kpfn, "child's written page maps pfn %#llx",
			     (unsigned long long)cpfn);
		ktest_check_pages("child's written page", p, 1, 2, 0);
		ktest_check_pages("child's other pages", p + KTEST_PAGE, NPAGES - 1, 1, 0);
		ktest_assert(ktest_pfn(p + KTEST_PAGE) == kpfn, "child's other pages moved");
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		ktest_fail("child failed, status %#x", status);

	ktest_check_pages("parent after child wrote", p, NPAGES, 1, 0);
	ktest_assert(ktest_expect_same_pfn("parent after child wrote", p, NPAGES) == kpfn,
		     "parent moved off the KSM page");

	/* The child's exit changed nothing for the parent's region. */
	ktest_wait_scans(dev, 3, 60);
	ktest_global_stats(dev, &g);
	ktest_expect_stats("global after child exit", &g, 1, NPAGES - 1, NPAGES, 1);
	ktest_assert(ktest_expect_same_pfn("parent after child exit", p, NPAGES) == kpfn,
		     "parent moved off the KSM page");
	ktest_check_pages("parent at the end", p, NPAGES, 1, 0);

	/* The parent's own write still gives it a copy. */
	ktest_fill_page(p + 3 * KTEST_PAGE, 3);
	ktest_assert(ktest_pfn(p + 3 * KTEST_PAGE) != kpfn, "parent's write did not copy");
	ktest_check_pages("parent's written page", p + 3 * KTEST_PAGE, 1, 3, 0);
	ktest_check_pages("parent's page 0", p, 1, 1, 0);

	ktest_scanner(dev, 100000, 1000, 0);
	close(sma);
	close(dev);
	return 0;
}

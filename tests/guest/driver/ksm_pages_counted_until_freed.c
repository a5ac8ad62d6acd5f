// SPDX-License-Identifier: GPL-2.0-only
/*
 * A KSM page counts against max_kernel_pages, and against its cgroup,
 * until it is freed, however the driver stopped tracking it.  Loaded with
 * max_kernel_pages=256, a uid-1000 process in a cgroup (memory.max 64M)
 * does 20 rounds of: 512 pages in pairs, KSM_MERGE_NOW, mremap the range
 * out of its region (the driver loses sight of the pages, which stay
 * mapped).  The driver must refuse merges at the cap: at most 256 KSM
 * pages are ever mapped, kernel_pages stays <= 256, cap_refusals counts,
 * and memory.current covers everything the process holds (its private
 * pages plus its KSM pages).  Once the process has exited, its KSM pages
 * stop counting (the driver notices within a second, when a limit is
 * reached or a pass starts): another user merges 256 pairs.  Every page
 * keeps its bytes.
 */
#include <grp.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "ktest.h"

#define CAP	256
#define ROUNDS	20
#define NPAGES	512
#define CG	"ksmdev-cap-mremap"

#define PM_PRESENT	(1ULL << 63)
#define PM_FILE		(1ULL << 61)

static uint64_t seed(int round, int i)
{
	return 1 + round * 1000 + i % (NPAGES / 2);
}

static void child(int dev)
{
	char *moved[ROUNDS];
	long ksm = 0, anon = 0, merged_total = 0;
	long long current;
	struct ksm_stats g;
	int sma;

	ktest_cgroup_enter(CG);
	if (setgroups(0, NULL) || setresgid(1000, 1000, 1000) || setresuid(1000, 1000, 1000))
		ktest_fail("becoming uid 1000: %s", strerror(errno));
	prctl(PR_SET_DUMPABLE, 1);	/* its own pagemap stays readable */
	sma = ktest_create_area(dev);
	for (int r = 0; r < ROUNDS; r++) {
		char *p = ktest_map(NPAGES), *to;
		long m;

		for (int i = 0; i < NPAGES; i++)
			ktest_fill_page(p + i * KTEST_PAGE, seed(r, i));
		ktest_must_register(sma, p, NPAGES, NULL);
		m = ioctl(sma, KSM_MERGE_NOW, 0);
		ktest_assert(m >= 0, "round %d: KSM_MERGE_NOW: %s", r, strerror(errno));
		merged_total += m;
		/* Out of the region: a fresh place, then forget the region. */
		to = mmap(NULL, NPAGES * KTEST_PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ktest_assert(to != MAP_FAILED, "mmap: %s", strerror(errno));
		moved[r] = mremap(p, NPAGES * KTEST_PAGE, NPAGES * KTEST_PAGE,
				  MREMAP_MAYMOVE | MREMAP_FIXED, to);
		ktest_assert(moved[r] == to, "mremap: %s", strerror(errno));
		ktest_expect_ok(ioctl(sma, KSM_REMOVE_MEMORY_REGION, (unsigned long)p));
		ktest_global_stats(dev, &g);
		ktest_assert(g.kernel_pages <= CAP, "round %d: kernel_pages %llu over the cap %d",
			     r, (unsigned long long)g.kernel_pages, CAP);
	}
	for (int r = 0; r < ROUNDS; r++) {
		ktest_check_pages("moved", moved[r], NPAGES / 2, seed(r, 0), 1);
		ktest_check_pages("moved, copies", moved[r] + NPAGES / 2 * KTEST_PAGE,
				  NPAGES / 2, seed(r, 0), 1);
		for (int i = 0; i < NPAGES; i++) {
			uint64_t e = ktest_pagemap(0, moved[r] + i * KTEST_PAGE);

			if (!(e & PM_PRESENT))
				continue;
			if (e & PM_FILE)
				ksm++;
			else
				anon++;
		}
	}
	ktest_global_stats(dev, &g);
	current = ktest_cgroup_current(CG);
	ktest_info("merged %ld PTEs in %d rounds; mapped now: %ld KSM PTEs, %ld private pages; kernel_pages %llu, cap_refusals %llu; memory.current %lld KiB",
		   merged_total, ROUNDS, ksm, anon, (unsigned long long)g.kernel_pages,
		   (unsigned long long)g.cap_refusals, current / 1024);
	/* Each KSM page is mapped twice (a pair). */
	ktest_assert(ksm <= 2 * CAP, "%ld PTEs map KSM pages: more than the cap of %d pages allows",
		     ksm, CAP);
	ktest_assert(g.kernel_pages <= CAP && g.cap_refusals > 0,
		     "kernel_pages %llu, cap_refusals %llu", (unsigned long long)g.kernel_pages,
		     (unsigned long long)g.cap_refusals);
	ktest_assert(current >= (long long)((anon + ksm / 2) * KTEST_PAGE) * 9 / 10,
		     "memory.current %lld KiB, but the process holds %ld pages (%ld KiB)",
		     current / 1024, anon + ksm / 2, (anon + ksm / 2) * 4);
	exit(0);
}

int main(void)
{
	struct ksm_stats g;
	int dev, status, sma;
	pid_t pid;
	char *p;
	long m;

	ktest_reload_module("max_kernel_pages=256 max_user_pages=256");
	ktest_cgroup_make(CG, 64LL << 20);
	dev = ktest_open_dev();
	fflush(NULL);
	pid = fork();
	ktest_assert(pid >= 0, "fork: %s", strerror(errno));
	if (!pid)
		child(dev);
	ktest_assert(waitpid(pid, &status, 0) == pid, "waitpid: %s", strerror(errno));
	ktest_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		     "the uid-1000 process failed (status %#x)", status);

	/* Its KSM pages are freed: they no longer count. */
	sma = ktest_create_area(dev);
	p = ktest_map(2 * CAP);
	for (int i = 0; i < 2 * CAP; i++)
		ktest_fill_page(p + i * KTEST_PAGE, 77 + i % CAP);
	ktest_must_register(sma, p, 2 * CAP, NULL);
	m = 0;
	for (int t = 0; t < 20 && m < 2 * CAP; t++) {
		long r = ioctl(sma, KSM_MERGE_NOW, 0);

		ktest_assert(r >= 0, "KSM_MERGE_NOW: %s", strerror(errno));
		m += r;
		if (m < 2 * CAP)
			usleep(250000);
	}
	ktest_global_stats(dev, &g);
	ktest_info("after the exit: root merged %ld, kernel_pages %llu", m,
		   (unsigned long long)g.kernel_pages);
	ktest_assert(m == 2 * CAP, "root merged %ld of %d pages: dead KSM pages still count", m,
		     2 * CAP);
	ktest_check_pages("root's pages", p, CAP, 77, 1);
	ktest_check_pages("root's copies", p + CAP * KTEST_PAGE, CAP, 77, 1);
	close(sma);
	close(dev);
	ktest_cgroup_remove(CG);
	ktest_summary("ksm_pages_counted_until_freed", "cap %d held through mremap; %llu refusals",
		      CAP, (unsigned long long)g.cap_refusals);
	return 0;
}

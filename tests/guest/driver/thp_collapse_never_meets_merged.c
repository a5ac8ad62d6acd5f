// SPDX-License-Identifier: GPL-2.0-only
/*
 * khugepaged and MADV_COLLAPSE never meet a page merged behind their back.
 * They check a range under mmap_read_lock and isolate its pages under the
 * write lock, asserting each is anonymous (VM_BUG_ON on DEBUG_VM kernels);
 * a merged page is not.  Registering a range marks it VM_NOHUGEPAGE, which
 * both re-check under the write lock, and the driver merges only where the
 * mark is.  Here a THP-backed 4 MiB region (MADV_HUGEPAGE, 512 pairs of
 * identical pages) is registered: its VMA shows "nh"; with the scanner
 * merging, MADV_COLLAPSE runs in a loop and is refused, while the pairs
 * merge.  Then the program asks for huge pages again (MADV_HUGEPAGE): the
 * scanner stops merging there, MADV_COLLAPSE meets the merged pages and
 * backs out, and the driver marks the range again.  Every byte is checked
 * throughout; after close nothing stays merged or counted.  Skips without
 * transparent huge pages (PREEMPT_RT kernels).
 */
#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>
#include "ktest.h"

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE	25
#endif

#define HPAGE	(2UL << 20)
#define LEN	(4UL << 20)
#define NPAGES	(LEN / KTEST_PAGE)

static char *p;
static volatile int stop;
static long collapsed, refused;

/* Does the VMA at @addr show VmFlags "nh" in smaps? */
static int vma_nohuge(void *addr)
{
	FILE *f = fopen("/proc/self/smaps", "re");
	char line[512];
	int in = 0, nh = -1;

	ktest_assert(f, "smaps: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		unsigned long s, e;

		if (sscanf(line, "%lx-%lx ", &s, &e) == 2) {
			in = (unsigned long)addr >= s && (unsigned long)addr < e;
			continue;
		}
		if (in && !strncmp(line, "VmFlags:", 8)) {
			nh = strstr(line, " nh") != NULL;
			break;
		}
	}
	fclose(f);
	ktest_assert(nh >= 0, "no VMA at %p in smaps", addr);
	return nh;
}

static void *collapser(void *arg)
{
	while (!stop) {
		if (madvise(p, LEN, MADV_COLLAPSE))
			__atomic_add_fetch(&refused, 1, __ATOMIC_RELAXED);
		else
			__atomic_add_fetch(&collapsed, 1, __ATOMIC_RELAXED);
		usleep(2000);
	}
	return NULL;
}

static void check_bytes(const char *what)
{
	for (unsigned long i = 0; i < NPAGES; i++)
		if (!ktest_check_page(p + i * KTEST_PAGE, 1 + i / 2))
			ktest_fail("%s: page %lu lost its bytes", what, i);
}

int main(void)
{
	struct ksm_stats g;
	pthread_t th;
	char *raw;
	int dev, sma, t;

	if (access("/sys/kernel/mm/transparent_hugepage/enabled", F_OK)) {
		ktest_info("SKIP: no transparent huge pages in this kernel");
		return KTEST_SKIP;
	}
	dev = ktest_open_dev();
	raw = mmap(NULL, LEN + HPAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ktest_assert(raw != MAP_FAILED, "mmap: %s", strerror(errno));
	p = (char *)(((unsigned long)raw + HPAGE - 1) & ~(HPAGE - 1));
	ktest_expect_ok(madvise(p, LEN, MADV_HUGEPAGE));
	for (unsigned long i = 0; i < NPAGES; i++)
		ktest_fill_page(p + i * KTEST_PAGE, 1 + i / 2);
	ktest_assert(!vma_nohuge(p), "MADV_HUGEPAGE memory shows nh before registering");

	sma = ktest_create_area(dev);
	ktest_must_register(sma, p, NPAGES, NULL);
	ktest_assert(vma_nohuge(p), "the registered range is not marked VM_NOHUGEPAGE");
	ktest_scanner(dev, 100000, 1000, 1);
	ktest_assert(!pthread_create(&th, NULL, collapser, NULL), "pthread_create");
	for (t = 0; t < 600 * (int)ktest_slow(); t++) {
		ktest_global_stats(dev, &g);
		if (g.pages_sharing >= NPAGES / 2)
			break;
		usleep(100000);
	}
	ktest_info("merged: %llu KSM pages, %llu sharing; MADV_COLLAPSE %ld done, %ld refused",
		   (unsigned long long)g.pages_shared, (unsigned long long)g.pages_sharing,
		   collapsed, refused);
	if (g.pages_sharing < NPAGES / 2) {
		ktest_print_stats("global", &g);
		ktest_info("kernel_pages %llu user_refusals %llu charge_refusals %llu cap_refusals %llu",
			   (unsigned long long)g.kernel_pages, (unsigned long long)g.user_refusals,
			   (unsigned long long)g.charge_refusals, (unsigned long long)g.cap_refusals);
	}
	ktest_assert(g.pages_sharing >= NPAGES / 2, "only %llu pages sharing with collapse running",
		     (unsigned long long)g.pages_sharing);
	ktest_assert(!collapsed, "MADV_COLLAPSE collapsed registered memory %ld times", collapsed);
	check_bytes("merged, collapse running");

	/* Huge pages asked for again: no merging there until marked again. */
	ktest_expect_ok(madvise(p, LEN, MADV_HUGEPAGE));
	for (t = 0; t < 200 * (int)ktest_slow() && !vma_nohuge(p); t++)
		usleep(50000);
	ktest_info("after MADV_HUGEPAGE: marked again after about %d ms; MADV_COLLAPSE %ld done, %ld refused",
		   t * 50, collapsed, refused);
	ktest_assert(vma_nohuge(p), "the range was not marked VM_NOHUGEPAGE again");
	check_bytes("after MADV_HUGEPAGE and collapse");
	stop = 1;
	pthread_join(th, NULL);

	ktest_scanner(dev, 100000, 1000, 0);
	close(sma);
	check_bytes("after close");
	ktest_global_stats(dev, &g);
	ktest_assert(g.pages_shared == 0 && g.kernel_pages == 0,
		     "after close: %llu KSM pages shared, %llu held",
		     (unsigned long long)g.pages_shared, (unsigned long long)g.kernel_pages);
	munmap(raw, LEN + HPAGE);
	close(dev);
	ktest_summary("thp_collapse_never_meets_merged", "%ld MADV_COLLAPSE refused, none collapsed merged memory",
		      refused);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0-only
/*
 * Only private anonymous memory is merged.  MAP_SHARED anonymous memory,
 * a MAP_PRIVATE mapping of a file and (when available) hugetlb memory,
 * all holding the very content of a merged private page, register without
 * error but are never merged: after three full scans their pages_merged is
 * 0, they map their own PFNs and keep their bytes, while two private
 * anonymous pages of that content (the control) did merge.
 */
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "ktest.h"

#define NPAGES	10
#define HPAGE	(2UL << 20)

static long read_long(const char *path)
{
	FILE *f = fopen(path, "re");
	long v = -1;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static int write_long(const char *path, long v)
{
	FILE *f = fopen(path, "we");
	int ok;

	if (!f)
		return -1;
	ok = fprintf(f, "%ld\n", v) > 0;
	return (fclose(f) == 0 && ok) ? 0 : -1;
}

static void *map_hugetlb(long *restore)
{
	const char *nr = "/proc/sys/vm/nr_hugepages";
	int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB;
	void *h = mmap(NULL, HPAGE, PROT_READ | PROT_WRITE, flags, -1, 0);
	long old;

	*restore = -1;
	if (h != MAP_FAILED)
		return h;
	old = read_long(nr);
	if (old < 0 || write_long(nr, old + 1))
		return NULL;
	*restore = old;
	h = mmap(NULL, HPAGE, PROT_READ | PROT_WRITE, flags, -1, 0);
	return h == MAP_FAILED ? NULL : h;
}

static void expect_own_pages(const char *what, const char *p, unsigned long npages,
			     uint64_t kpfn)
{
	for (unsigned long i = 0; i < npages; i++) {
		uint64_t pfn = ktest_pfn(p + i * KTEST_PAGE);

		ktest_assert(pfn != kpfn, "%s: page %lu maps the KSM page", what, i);
	}
}

int main(void)
{
	int dev = ktest_open_dev();
	int ctl_sma = ktest_create_area(dev);
	int sma = ktest_create_area(dev);
	char *ctl = ktest_map(2);
	char *shm, *file, *huge;
	char path[] = "/tmp/ksmdev-file-XXXXXX";
	char page[KTEST_PAGE];
	struct ksm_stats g, a, c;
	long restore_nr;
	uint64_t kpfn;
	int fd, nregions = 3;

	/* The control: private anonymous pages that must merge. */
	ktest_fill_pages(ctl, 2, 1, 0);
	ktest_must_register(ctl_sma, ctl, 2, "control");

	shm = mmap(NULL, NPAGES * KTEST_PAGE, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ktest_assert(shm != MAP_FAILED, "mmap shared: %s", strerror(errno));
	ktest_fill_pages(shm, NPAGES, 1, 0);
	ktest_must_register(sma, shm, NPAGES, "MAP_SHARED memory");

	fd = mkstemp(path);
	ktest_assert(fd >= 0, "mkstemp: %s", strerror(errno));
	unlink(path);
	ktest_fill_page(page, 1);
	for (int i = 0; i < NPAGES; i++)
		ktest_assert(write(fd, page, KTEST_PAGE) == KTEST_PAGE, "write: %s", strerror(errno));
	file = mmap(NULL, NPAGES * KTEST_PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
	ktest_assert(file != MAP_FAILED, "mmap file: %s", strerror(errno));
	close(fd);
	ktest_check_pages("file before scanning", file, NPAGES, 1, 0);
	ktest_must_register(sma, file, NPAGES, "file mapping");

	huge = map_hugetlb(&restore_nr);
	if (huge) {
		ktest_fill_pages(huge, HPAGE / KTEST_PAGE, 1, 0);
		ktest_must_register(sma, huge, HPAGE / KTEST_PAGE, "hugetlb memory");
		nregions++;
	} else {
		ktest_info("no hugetlb page available: hugetlb part not run");
	}

	ktest_scan_and_wait(dev);
	ktest_scanner(dev, 100000, 1000, 0);
	ktest_global_stats(dev, &g);
	ktest_area_stats(sma, &a);
	ktest_area_stats(ctl_sma, &c);
	ktest_print_stats("global", &g);
	ktest_print_stats("area of shared/file/hugetlb", &a);
	ktest_expect_stats("area of shared/file/hugetlb", &a, 0, 0, 0, nregions - 1);
	ktest_expect_stats("control area", &c, 1, 1, 2, 1);
	ktest_expect_stats("global", &g, 1, 1, 2, nregions);
	kpfn = ktest_expect_same_pfn("control", ctl, 2);

	ktest_expect_distinct_pfns("MAP_SHARED pages", shm, NPAGES);
	expect_own_pages("MAP_SHARED pages", shm, NPAGES, kpfn);
	ktest_expect_distinct_pfns("file pages", file, NPAGES);
	expect_own_pages("file pages", file, NPAGES, kpfn);
	ktest_check_pages("MAP_SHARED pages", shm, NPAGES, 1, 0);
	ktest_check_pages("file pages", file, NPAGES, 1, 0);
	ktest_check_pages("control", ctl, 2, 1, 0);
	if (huge) {
		expect_own_pages("hugetlb pages", huge, HPAGE / KTEST_PAGE, kpfn);
		ktest_check_pages("hugetlb pages", huge, HPAGE / KTEST_PAGE, 1, 0);
	}

	/* MAP_SHARED memory is still writable as shared memory. */
	ktest_fill_page(shm, 2);
	ktest_check_pages("written MAP_SHARED page", shm, 1, 2, 0);

	close(sma);
	close(ctl_sma);
	close(dev);
	munmap(shm, NPAGES * KTEST_PAGE);
	munmap(file, NPAGES * KTEST_PAGE);
	if (huge)
		munmap(huge, HPAGE);
	if (restore_nr >= 0)
		write_long("/proc/sys/vm/nr_hugepages", restore_nr);
	return 0;
}

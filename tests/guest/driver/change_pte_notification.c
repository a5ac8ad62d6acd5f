// SPDX-License-Identifier: GPL-2.0-only
/*
 * Merging tells the secondary MMUs (mmu_notifier users such as KVM) about
 * every PTE it replaces: with a recording mmu_notifier on this process's
 * mm (test module ksmdev_mntest), merging 32 identical pages (all 32 PTEs
 * switched to the KSM page, pages_sharing 31) puts every one of the 32
 * pages inside an .invalidate_range_start range (the scanner may cover
 * several PTEs with one range), and on Linux 6.1, which still has
 * .change_pte, gives every one of them its own .change_pte call.  The
 * merged bytes are verified.
 */
#include <fcntl.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>
#include "ktest.h"

#define NPAGES	32

static int mnfd = -1;
static int loaded;

static void cleanup(void)
{
	if (mnfd >= 0)
		close(mnfd);
	mnfd = -1;
	if (loaded && system("rmmod ksmdev_mntest") != 0)
		fprintf(stderr, "rmmod ksmdev_mntest failed\n");
	loaded = 0;
}

struct mn_counts {
	long long change_pte, invalidate_range_start;
	int watched_change_pte, watched_invalidated;	/* pages of the window */
};

static void counters(struct mn_counts *c)
{
	char text[192];
	ssize_t n = pread(mnfd, text, sizeof(text) - 1, 0);

	if (n <= 0)
		ktest_fail("read /dev/ksmdev_mntest: %s", n ? strerror(errno) : "empty");
	text[n] = 0;
	if (sscanf(text, "change_pte %lld invalidate_range_start %lld "
		   "watched_change_pte %d watched_invalidated %d",
		   &c->change_pte, &c->invalidate_range_start,
		   &c->watched_change_pte, &c->watched_invalidated) != 4)
		ktest_fail("cannot parse '%s'", text);
}

/* Record which pages of [@p, @p + @npages pages) the callbacks cover. */
static void watch(void *p, int npages)
{
	char cmd[64];
	int len = snprintf(cmd, sizeof(cmd), "watch %lx %d", (unsigned long)p, npages);

	if (write(mnfd, cmd, len) != len)
		ktest_fail("write '%s' to /dev/ksmdev_mntest: %s", cmd, strerror(errno));
}

/* 1 if the running kernel still has mmu_notifier .change_pte (before 6.9). */
static int kernel_has_change_pte(void)
{
	const char *k = getenv("KTEST_KERNEL");
	struct utsname u;
	int maj = 0, min = 0;

	if (k && *k) {
		if (!strcmp(k, "6.1"))
			return 1;
		if (!strcmp(k, "6.12"))
			return 0;
	}
	if (uname(&u) || sscanf(u.release, "%d.%d", &maj, &min) != 2)
		ktest_fail("cannot tell the kernel version");
	return maj < 6 || (maj == 6 && min < 9);
}

int main(void)
{
	const char *dir = getenv("KTEST_KMOD_DIR");
	int has_change_pte = kernel_has_change_pte();
	struct mn_counts c0, c1;
	char path[512];
	struct ksm_stats g;
	int dev, sma, rc;
	char *p;

	if (!dir || !*dir)
		ktest_fail("KTEST_KMOD_DIR is not set");
	snprintf(path, sizeof(path), "%s/test/ksmdev_mntest.ko", dir);
	if (access(path, R_OK))
		ktest_fail("%s: %s (test modules not built?)", path, strerror(errno));
	atexit(cleanup);
	rc = system("rmmod ksmdev_mntest 2>/dev/null; insmod \"$KTEST_KMOD_DIR/test/ksmdev_mntest.ko\"");
	if (rc == -1 || !WIFEXITED(rc) || WEXITSTATUS(rc))
		ktest_fail("insmod %s failed (status %#x)", path, rc);
	loaded = 1;
	for (int i = 0; i < 100 && access("/dev/ksmdev_mntest", F_OK); i++)
		usleep(50000);
	mnfd = open("/dev/ksmdev_mntest", O_RDWR | O_CLOEXEC);
	if (mnfd < 0)
		ktest_fail("open /dev/ksmdev_mntest: %s", strerror(errno));

	dev = ktest_open_dev();
	sma = ktest_create_area(dev);
	p = ktest_map(NPAGES);
	ktest_fill_pages(p, NPAGES, 1, 0);
	ktest_must_register(sma, p, NPAGES, NULL);
	watch(p, NPAGES);
	counters(&c0);
	ktest_assert(c0.watched_change_pte == 0 && c0.watched_invalidated == 0,
		     "window already marked before merging (%d, %d pages)",
		     c0.watched_change_pte, c0.watched_invalidated);

	ktest_scan_and_wait(dev);
	ktest_scanner(dev, 100000, 1000, 0);
	ktest_global_stats(dev, &g);
	ktest_expect_stats("global", &g, 1, NPAGES - 1, NPAGES, 1);
	ktest_expect_same_pfn("merged pages", p, NPAGES);
	counters(&c1);
	ktest_info("kernel %s: change_pte +%lld (%d of %d pages), invalidate_range_start +%lld "
		   "(covering %d of %d pages) while merging",
		   has_change_pte ? "with change_pte" : "without change_pte",
		   c1.change_pte - c0.change_pte, c1.watched_change_pte, NPAGES,
		   c1.invalidate_range_start - c0.invalidate_range_start,
		   c1.watched_invalidated, NPAGES);

	ktest_assert(c1.watched_invalidated == NPAGES,
		     "only %d of %d switched PTEs inside an invalidate_range_start range",
		     c1.watched_invalidated, NPAGES);
	if (has_change_pte) {
		ktest_assert(c1.watched_change_pte == NPAGES,
			     "only %d of %d switched PTEs got a change_pte notification",
			     c1.watched_change_pte, NPAGES);
		ktest_assert(c1.change_pte - c0.change_pte >= NPAGES,
			     "only %lld change_pte notifications for %d switched PTEs",
			     c1.change_pte - c0.change_pte, NPAGES);
	} else {
		ktest_assert(c1.change_pte == 0 && c1.watched_change_pte == 0,
			     "change_pte counted %lld on a kernel without it", c1.change_pte);
	}
	ktest_check_pages("merged pages", p, NPAGES, 1, 0);

	close(sma);
	close(dev);
	cleanup();
	return 0;
}

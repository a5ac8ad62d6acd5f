// SPDX-License-Identifier: GPL-2.0-only
/*
 * An unprivileged user who may open /dev/ksm (mode 0660 root:root by
 * default, so the test makes it 0666 for the duration) can register its
 * own memory and have it merged, but cannot control the scanner:
 * KSM_START_STOP_KTHREAD needs CAP_SYS_ADMIN and fails with EPERM.
 */
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "ktest.h"

#define NDUP	10
#define NUNIQ	2
#define NPAGES	(NDUP + NUNIQ)

static pid_t parent;
static mode_t orig_mode = 0660;

static void restore_mode(void)
{
	if (getpid() == parent)
		chmod("/dev/ksm", orig_mode);
}

static uint64_t pfn_of(pid_t pid, uint64_t addr)
{
	return ktest_pagemap_pfn(ktest_pagemap(pid, (const void *)(uintptr_t)addr));
}

static int run_child(void (*fn)(int, int), int *to_child, int *from_child, pid_t *pid)
{
	int c2p[2], p2c[2];

	if (pipe(c2p) || pipe(p2c))
		ktest_fail("pipe: %s", strerror(errno));
	*pid = fork();
	if (*pid < 0)
		ktest_fail("fork: %s", strerror(errno));
	if (!*pid) {
		close(c2p[0]);
		close(p2c[1]);
		ktest_drop_privileges();
		fn(p2c[0], c2p[1]);
		_exit(0);
	}
	close(c2p[1]);
	close(p2c[0]);
	*to_child = p2c[1];
	*from_child = c2p[0];
	return 0;
}

static void wait_child(pid_t pid, const char *what)
{
	int status = 0;

	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		ktest_fail("%s: child failed, status %#x", what, status);
}

/* With the default mode, nobody may not even open /dev/ksm. */
static void child_no_access(int in, int out)
{
	int fd = open("/dev/ksm", O_RDWR | O_CLOEXEC);

	(void)in;
	(void)out;
	ktest_assert(fd < 0 && errno == EACCES,
		     "unprivileged open of a 0660 root:root /dev/ksm gave fd %d errno %d",
		     fd, errno);
}

static void child_user(int in, int out)
{
	struct ksm_kthread_info k = { .sleep = 1000, .pages_to_scan = 100, .flags = 1 };
	int dev = ktest_open_dev();
	int sma;
	char *p = ktest_map(NPAGES);
	struct ksm_stats st;
	uint64_t addr = (uint64_t)(uintptr_t)p;
	long r;
	char c;
	int rc;

	ktest_assert(getuid() == 65534 && geteuid() == 65534, "still privileged");
	r = ioctl(dev, KSM_GET_API_VERSION, 0);
	ktest_assert(r == KSM_API_VERSION, "KSM_GET_API_VERSION as user: %ld", r);
	errno = 0;
	r = ioctl(dev, KSM_START_STOP_KTHREAD, &k);
	ktest_assert(r == -1 && errno == EPERM, "start scanner as user: %ld errno %d", r, errno);
	k.flags = 0;
	errno = 0;
	r = ioctl(dev, KSM_START_STOP_KTHREAD, &k);
	ktest_assert(r == -1 && errno == EPERM, "stop scanner as user: %ld errno %d", r, errno);

	sma = ktest_create_area(dev);
	ktest_fill_pages(p, NDUP, 1, 0);
	ktest_fill_pages(p + NDUP * KTEST_PAGE, NUNIQ, 50, 1);
	ktest_must_register(sma, p, NPAGES, "as user");
	rc = ktest_register(sma, p + KTEST_PAGE, 1);
	ktest_assert(rc == -EEXIST, "overlap as user: %d", rc);
	if (write(out, &addr, sizeof(addr)) != sizeof(addr))
		ktest_fail("pipe: %s", strerror(errno));

	/* The parent (root) runs the scanner and checks our PFNs. */
	if (read(in, &c, 1) != 1)
		ktest_fail("parent went away");
	ktest_area_stats(sma, &st);
	ktest_expect_stats("user's area", &st, 1, NDUP - 1, NDUP, 1);
	ktest_check_pages("user's identical pages", p, NDUP, 1, 0);
	ktest_check_pages("user's unique pages", p + NDUP * KTEST_PAGE, NUNIQ, 50, 1);
	ktest_fill_page(p, 9);
	ktest_check_pages("user's written page", p, 1, 9, 0);
	ktest_check_pages("user's other pages", p + KTEST_PAGE, NDUP - 1, 1, 0);
	if (write(out, "d", 1) != 1)
		ktest_fail("pipe: %s", strerror(errno));
	/* Stay until the parent looked at the written page. */
	if (read(in, &c, 1) < 0)
		ktest_fail("pipe: %s", strerror(errno));
	close(sma);
	close(dev);
}

int main(void)
{
	struct stat sb;
	struct ksm_stats g;
	int to_child, from_child, dev;
	uint64_t addr, kpfn;
	pid_t pid;
	char c;

	parent = getpid();
	ktest_assert(!stat("/dev/ksm", &sb), "stat /dev/ksm: %s", strerror(errno));
	ktest_assert((sb.st_mode & 07777) == 0660 && sb.st_uid == 0 && sb.st_gid == 0,
		     "/dev/ksm is mode %o uid %d gid %d, want 0660 root:root",
		     sb.st_mode & 07777, (int)sb.st_uid, (int)sb.st_gid);
	orig_mode = sb.st_mode & 07777;

	run_child(child_no_access, &to_child, &from_child, &pid);
	wait_child(pid, "open without permission");
	close(to_child);
	close(from_child);

	atexit(restore_mode);
	ktest_assert(!chmod("/dev/ksm", 0666), "chmod: %s", strerror(errno));

	dev = ktest_open_dev();
	run_child(child_user, &to_child, &from_child, &pid);
	if (read(from_child, &addr, sizeof(addr)) != sizeof(addr))
		ktest_fail("unprivileged child failed before registering");

	ktest_scan_and_wait(dev);
	ktest_scanner(dev, 100000, 1000, 0);
	ktest_global_stats(dev, &g);
	ktest_expect_stats("global", &g, 1, NDUP - 1, NDUP, 1);
	kpfn = pfn_of(pid, addr);
	ktest_assert(kpfn, "child's page 0 not present");
	for (int i = 1; i < NPAGES; i++) {
		uint64_t pfn = pfn_of(pid, addr + i * KTEST_PAGE);

		if (i < NDUP)
			ktest_assert(pfn == kpfn, "child's page %d maps %#llx, page 0 %#llx", i,
				     (unsigned long long)pfn, (unsigned long long)kpfn);
		else
			ktest_assert(pfn && pfn != kpfn, "child's unique page %d maps %#llx", i,
				     (unsigned long long)pfn);
	}

	if (write(to_child, "g", 1) != 1 || read(from_child, &c, 1) != 1)
		ktest_fail("unprivileged child failed after merging");
	ktest_assert(pfn_of(pid, addr) != kpfn, "child's write did not copy");
	ktest_assert(pfn_of(pid, addr + KTEST_PAGE) == kpfn, "child's page 1 moved");
	close(to_child);
	wait_child(pid, "unprivileged user");
	close(from_child);

	ktest_scanner(dev, 100000, 1000, 1);
	ktest_wait_global(dev, 0, 0, 0, 5000);
	ktest_scanner(dev, 100000, 1000, 0);
	close(dev);
	restore_mode();
	ktest_assert(!stat("/dev/ksm", &sb) && (sb.st_mode & 07777) == orig_mode,
		     "mode not restored");
	return 0;
}

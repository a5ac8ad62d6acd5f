// SPDX-License-Identifier: GPL-2.0-only
/*
 * mock-ksm.c - a stand-in for /dev/ksm inside the shim, for developing and
 * checking the shim's bookkeeping on a machine without the driver.
 *
 * Linked into a test build of the shim with -Wl,--wrap=syscall, it serves
 * the path "/mock/ksm" (KSMDEV_DEVICE=/mock/ksm): API version, area
 * creation and, on area fds, registration and removal of regions with the
 * driver's rules (page-aligned, npages >= 1, no overlap with a region this
 * process registered in any area: EEXIST, at most MOCK_LIMIT regions per
 * area: ENOSPC, removal by exact start: ENOENT otherwise).  Every call the
 * driver would refuse is reported on stderr as "MOCK: ...".  At exit the
 * regions left that no mapping overlaps are listed ("MOCK: unmapped ..."):
 * a mapping the shim missed the munmap of shows up there, and so do, by
 * design, the brk coverage ahead of the break and deleted arena heaps not
 * yet noticed (64 MiB).
 * Not a test itself: built into the shim as
 * build/tests/unit/helpers/libksmdev-preload-mock.so, which
 * tests/unit/preload_mock_device.sh runs programs under.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/ksmdev.h>

long __real_syscall(long nr, ...);

#define MOCK_LIMIT	1024
#define MOCK_MAX	8192

struct mregion {
	uint64_t start, end;
	int area;
	int pid;
};

static struct mregion regs[MOCK_MAX];
static int nregs;
static int dev_fds[16], area_fds[64];
static int ndev, narea;

static void report(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	__real_syscall(SYS_write, 2, buf, n);
}

static long fail(long err)
{
	errno = (int)err;
	return -1;
}

static int is_in(const int *fds, int n, long fd)
{
	int i;

	for (i = 0; i < n; i++)
		if (fds[i] == fd)
			return 1;
	return 0;
}

static long mock_register(long fd, const struct ksm_memory_region *r)
{
	int pid = (int)__real_syscall(SYS_getpid);
	uint64_t s = r->addr, e = r->addr + (uint64_t)r->npages * 4096;
	int i, n = 0;

	if (!r->npages || (s & 4095)) {
		report("MOCK: register 0x%llx npages %u: EINVAL", (unsigned long long)s, r->npages);
		return fail(EINVAL);
	}
	for (i = 0; i < nregs; i++) {
		if (regs[i].area == fd && regs[i].pid == pid)
			n++;
		if (regs[i].pid == pid && regs[i].start < e && s < regs[i].end) {
			report("MOCK: register 0x%llx-0x%llx overlaps 0x%llx-0x%llx: EEXIST",
			       (unsigned long long)s, (unsigned long long)e,
			       (unsigned long long)regs[i].start, (unsigned long long)regs[i].end);
			return fail(EEXIST);
		}
	}
	if (n >= MOCK_LIMIT || nregs >= MOCK_MAX)
		return fail(ENOSPC);
	regs[nregs].start = s;
	regs[nregs].end = e;
	regs[nregs].area = (int)fd;
	regs[nregs].pid = pid;
	nregs++;
	return 0;
}

static long mock_remove(long fd, uint64_t s)
{
	int pid = (int)__real_syscall(SYS_getpid);
	int i;

	for (i = 0; i < nregs; i++) {
		if (regs[i].area == fd && regs[i].pid == pid && regs[i].start == s) {
			regs[i] = regs[--nregs];
			return 0;
		}
	}
	report("MOCK: remove 0x%llx: no such region: ENOENT", (unsigned long long)s);
	return fail(ENOENT);
}

static void mock_close(long fd)
{
	int i;

	for (i = 0; i < nregs;) {
		if (regs[i].area == fd)
			regs[i] = regs[--nregs];
		else
			i++;
	}
	for (i = 0; i < narea; i++)
		if (area_fds[i] == fd)
			area_fds[i] = -1;
	for (i = 0; i < ndev; i++)
		if (dev_fds[i] == fd)
			dev_fds[i] = -1;
}

long __wrap_syscall(long nr, long a, long b, long c, long d, long e, long f)
{
	if (nr == SYS_openat && !strcmp((const char *)b, "/mock/ksm")) {
		long fd = __real_syscall(SYS_openat, AT_FDCWD, "/dev/null", O_RDWR | O_CLOEXEC);

		if (fd >= 0 && ndev < 16)
			dev_fds[ndev++] = (int)fd;
		return fd;
	}
	if (nr == SYS_fcntl && b == F_DUPFD_CLOEXEC && (is_in(dev_fds, ndev, a) || is_in(area_fds, narea, a))) {
		long fd = __real_syscall(nr, a, b, c);
		int i;

		if (fd < 0)
			return fd;
		for (i = 0; i < ndev; i++)
			if (dev_fds[i] == a)
				dev_fds[i] = (int)fd;
		for (i = 0; i < narea; i++)
			if (area_fds[i] == a)
				area_fds[i] = (int)fd;
		for (i = 0; i < nregs; i++)
			if (regs[i].area == a)
				regs[i].area = (int)fd;
		return fd;
	}
	if (nr == SYS_close && (is_in(dev_fds, ndev, a) || is_in(area_fds, narea, a))) {
		mock_close(a);
		return __real_syscall(nr, a);
	}
	if (nr == SYS_ioctl && is_in(dev_fds, ndev, a)) {
		if ((unsigned long)b == KSM_GET_API_VERSION)
			return KSM_API_VERSION;
		if ((unsigned long)b == KSM_CREATE_SHARED_MEMORY_AREA) {
			long fd = __real_syscall(SYS_openat, AT_FDCWD, "/dev/null", O_RDWR | O_CLOEXEC);

			if (fd >= 0 && narea < 64)
				area_fds[narea++] = (int)fd;
			return fd;
		}
		return fail(ENOTTY);
	}
	if (nr == SYS_ioctl && is_in(area_fds, narea, a)) {
		if ((unsigned long)b == KSM_REGISTER_MEMORY_REGION)
			return mock_register(a, (const struct ksm_memory_region *)c);
		if ((unsigned long)b == KSM_REMOVE_MEMORY_REGION)
			return mock_remove(a, (uint64_t)c);
		return fail(ENOTTY);
	}
	return __real_syscall(nr, a, b, c, d, e, f);
}

/* At exit: regions of this process that no mapping overlaps any more. */
__attribute__((destructor)) static void mock_check(void)
{
	int pid = (int)__real_syscall(SYS_getpid);
	static char buf[1 << 20];
	long n = 0, r;
	int fd, i;

	fd = (int)__real_syscall(SYS_openat, AT_FDCWD, "/proc/self/maps", O_RDONLY);
	if (fd < 0)
		return;
	while ((r = __real_syscall(SYS_read, fd, buf + n, sizeof(buf) - 1 - n)) > 0)
		n += r;
	__real_syscall(SYS_close, fd);
	buf[n] = 0;
	for (i = 0; i < nregs; i++) {
		char *p = buf;
		int mapped = 0;

		if (regs[i].pid != pid)
			continue;
		while (*p) {
			unsigned long long s, e;

			if (sscanf(p, "%llx-%llx", &s, &e) == 2 && s < regs[i].end && regs[i].start < e)
				mapped = 1;
			p = strchr(p, '\n');
			if (!p)
				break;
			p++;
		}
		if (!mapped)
			report("MOCK: unmapped region 0x%llx-0x%llx (%llu KiB) at exit",
			       (unsigned long long)regs[i].start, (unsigned long long)regs[i].end,
			       (unsigned long long)(regs[i].end - regs[i].start) >> 10);
	}
}

// SPDX-License-Identifier: GPL-2.0-only
/*
 * Merge domains: identical memory in areas of different domains never
 * shares a page; in the same domain it does.  The default policy lets
 * only CAP_SYS_ADMIN join numbered domains; a user's private domain
 * merges only that user's areas; with domain_policy=2 even the legacy
 * create puts an unprivileged caller in its user's domain.
 */
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "ktest.h"

#define NPAGES 16

static int create(int dev, __u64 domain, __u32 flags)
{
	struct ksm_area_params p = { .size = sizeof(p), .flags = flags, .domain = domain };
	int fd = ioctl(dev, KSM_CREATE_AREA, &p);

	return fd < 0 ? -errno : fd;
}

/* Map NPAGES pages of seed @seed and register them on @area. */
static char *fill_register(int area, uint64_t seed)
{
	char *p = ktest_map(NPAGES);

	ktest_fill_pages(p, NPAGES, seed, 0);
	ktest_must_register(area, p, NPAGES, NULL);
	return p;
}

static void set_policy(const char *v)
{
	int fd = open("/sys/module/ksmdev/parameters/domain_policy", O_WRONLY);

	ktest_assert(fd >= 0 && write(fd, v, strlen(v)) == (ssize_t)strlen(v),
		     "set domain_policy: %s", strerror(errno));
	close(fd);
}

int main(void)
{
	int dev = ktest_open_dev();
	int a = create(dev, 1, 0), b = create(dev, 2, 0), c = create(dev, 1, 0);
	struct ksm_stats st;
	char *pa, *pb, *pc;
	int status;
	pid_t child;

	ktest_assert(a >= 0 && b >= 0 && c >= 0, "create as root: %d %d %d", a, b, c);
	ktest_assert(create(dev, 1ULL << 63, 0) == -EINVAL, "user bit accepted");
	ktest_assert(create(dev, 5, KSM_AREA_USER_DOMAIN) == -EINVAL, "domain + user flag");
	ktest_assert(create(dev, 0, 0x80) == -EINVAL, "unknown flag accepted");

	pa = fill_register(a, 9);	/* domain 1 */
	pb = fill_register(b, 9);	/* domain 2, same contents */
	ktest_scan_and_wait(dev);
	ktest_global_stats(dev, &st);
	/* Each domain merges its own 16 pages: two KSM pages, 30 saved. */
	ktest_expect_stats("two domains", &st, 2, 30, 32, 2);
	ktest_assert(ktest_expect_same_pfn("domain 1", pa, NPAGES) !=
		     ktest_expect_same_pfn("domain 2", pb, NPAGES),
		     "pages of different domains share a frame");

	pc = fill_register(c, 9);	/* domain 1 again: joins a's page */
	ktest_wait_scans(dev, 3, 60);
	ktest_assert(ktest_pfn(pc) == ktest_pfn(pa), "same domain did not merge");
	ktest_assert(ktest_pfn(pc) != ktest_pfn(pb), "merged across domains");
	ktest_check_pages("domain 1", pa, NPAGES, 9, 0);
	ktest_check_pages("domain 2", pb, NPAGES, 9, 0);
	ktest_check_pages("domain 1 again", pc, NPAGES, 9, 0);

	/* Unprivileged: numbered domain refused; user domain and legacy fine. */
	chmod("/dev/ksm", 0666);
	child = fork();
	if (!child) {
		int d, u, legacy;
		struct ksm_area_info e[4];
		struct ksm_area_list l = { .entry_size = sizeof(e[0]), .count = 4,
					   .entries = (uintptr_t)e };

		ktest_drop_privileges();
		d = open("/dev/ksm", O_RDWR);
		if (d < 0 || create(d, 1, 0) != -EPERM)
			_exit(10);
		u = create(d, 0, KSM_AREA_USER_DOMAIN);
		legacy = ioctl(d, KSM_CREATE_SHARED_MEMORY_AREA, 0);
		if (u < 0 || legacy < 0 || ioctl(d, KSM_LIST_AREAS, &l) || l.count != 2)
			_exit(11);
		if (e[0].domain != ((1ULL << 63) | 65534) || e[1].domain != 0)
			_exit(12);
		_exit(0);
	}
	waitpid(child, &status, 0);
	ktest_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		     "unprivileged, policy 1: status %#x", status);

	set_policy("2");
	child = fork();
	if (!child) {
		int d, legacy;
		struct ksm_area_info e[2];
		struct ksm_area_list l = { .entry_size = sizeof(e[0]), .count = 2,
					   .entries = (uintptr_t)e };

		ktest_drop_privileges();
		d = open("/dev/ksm", O_RDWR);
		legacy = d < 0 ? -1 : ioctl(d, KSM_CREATE_SHARED_MEMORY_AREA, 0);
		if (legacy < 0 || ioctl(d, KSM_LIST_AREAS, &l) || l.count != 1 ||
		    e[0].domain != ((1ULL << 63) | 65534))
			_exit(13);
		_exit(0);
	}
	waitpid(child, &status, 0);
	set_policy("1");
	chmod("/dev/ksm", 0660);
	ktest_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		     "unprivileged, policy 2: status %#x", status);
	ktest_scanner(dev, 100, 20000, 0);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0-only
/*
 * KSM_LIST_AREAS lists every shared memory area to root (pid, uid, comm,
 * regions, registered and merged pages) and only the caller's own user's
 * areas to anyone else; sizes and counts behave as documented.
 */
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "ktest.h"

static int list(int dev, struct ksm_area_info *e, unsigned int cap, unsigned int *count)
{
	struct ksm_area_list l = {
		.entry_size = sizeof(*e), .count = cap, .entries = (uintptr_t)e,
	};

	if (ioctl(dev, KSM_LIST_AREAS, &l))
		return -errno;
	*count = l.count;
	return (int)l.total;
}

int main(void)
{
	int dev = ktest_open_dev(), a1 = ktest_create_area(dev), a2 = ktest_create_area(dev);
	struct ksm_area_info e[8];
	struct ksm_area_list bad = { .entry_size = 4 };
	char *p = ktest_map(16);
	unsigned int n;
	int total, rc, status;
	pid_t child;

	ktest_fill_pages(p, 16, 3, 0);
	ktest_must_register(a1, p, 10, NULL);
	ktest_must_register(a2, p + 10 * KTEST_PAGE, 6, NULL);
	ktest_scan_and_wait(dev);

	total = list(dev, e, 8, &n);
	ktest_assert(total == 2 && n == 2, "total %d count %u", total, n);
	ktest_assert(e[0].pid == (unsigned)getpid() && e[0].uid == 0 &&
		     !strcmp(e[0].comm, "list_areas"), "entry 0: pid %u uid %u comm %s",
		     e[0].pid, e[0].uid, e[0].comm);
	ktest_assert(e[0].regions == 1 && e[0].pages_registered == 10 &&
		     e[1].pages_registered == 6, "regions %llu pages %llu/%llu",
		     (unsigned long long)e[0].regions, (unsigned long long)e[0].pages_registered,
		     (unsigned long long)e[1].pages_registered);
	ktest_assert(e[0].pages_merged + e[1].pages_merged == 16 &&
		     e[0].pages_shared + e[1].pages_shared == 1 &&
		     e[0].pages_sharing + e[1].pages_sharing == 15,
		     "merged %llu+%llu", (unsigned long long)e[0].pages_merged,
		     (unsigned long long)e[1].pages_merged);
	/* Capacity 1: one entry written, total still 2; capacity 0 sizes. */
	total = list(dev, e, 1, &n);
	ktest_assert(total == 2 && n == 1, "cap 1: total %d count %u", total, n);
	total = list(dev, NULL, 0, &n);
	ktest_assert(total == 2 && n == 0, "cap 0: total %d count %u", total, n);
	errno = 0;
	ktest_assert(ioctl(dev, KSM_LIST_AREAS, &bad) == -1 && errno == EINVAL,
		     "entry_size 4 gave errno %d", errno);
	ktest_assert(ioctl(dev, KSM_LIST_AREAS, NULL) == -1 && errno == EFAULT,
		     "NULL gave errno %d", errno);
	rc = list(dev, (void *)8, 2, &n);
	ktest_assert(rc == -EFAULT, "bad entries pointer gave %d", rc);

	/* Another user sees its own area only. */
	chmod("/dev/ksm", 0666);
	child = fork();
	if (!child) {
		int d, a;

		ktest_drop_privileges();
		d = open("/dev/ksm", O_RDWR);
		if (d < 0)
			_exit(10);
		a = ioctl(d, KSM_CREATE_SHARED_MEMORY_AREA, 0);
		total = list(d, e, 8, &n);
		if (a < 0 || total != 1 || n != 1 || e[0].uid != 65534 ||
		    e[0].pid != (unsigned)getpid())
			_exit(11);
		_exit(0);
	}
	waitpid(child, &status, 0);
	chmod("/dev/ksm", 0660);
	ktest_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		     "unprivileged listing failed (status %#x)", status);
	ktest_scanner(dev, 100, 20000, 0);
	return 0;
}

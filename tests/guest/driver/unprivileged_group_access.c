// SPDX-License-Identifier: GPL-2.0-only
/*
 * Access through a group, as udev/60-ksmdev.rules sets it up (/dev/ksm
 * root:ksmdev 0660), simulated with group 4242:
 *
 *  - a user (nobody) whose supplementary groups are [4242] can open
 *    /dev/ksm and register its own memory, which merges; so can a user
 *    whose primary group is 4242;
 *  - it cannot control the scanner (KSM_START_STOP_KTHREAD, and
 *    KSM_SET_AUTOTUNE where the ABI has it, fail with EPERM);
 *  - addresses are its own address space: removing the start address of
 *    root's region from its own SMA fails with ENOENT; registering,
 *    writing and removing its own memory at the very virtual address of
 *    root's region, and registering a range it has not even mapped where
 *    root has memory, leave root's region registered, merged (same KSM
 *    page) and intact;
 *  - KSM_LIST_AREAS shows it only its own areas (root sees all), and
 *    root's SMA fds are out of its reach (/proc/<pid>/fd, pidfd_getfd);
 *  - a user not in the group cannot open /dev/ksm at all (EACCES).
 *
 * /dev/ksm's owner, group and mode are restored at the end.
 */
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "ktest.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#define GROUP		4242
#define USER		65534
#define OUTSIDER	65533
#define NROOT		16	/* root's region: identical pages */
#define NUSER		12	/* user's: NUSER - 2 identical, 2 unique */
#define PG		KTEST_PAGE

static struct stat orig;
static pid_t parent;

static void restore_dev(void)
{
	if (getpid() != parent)
		return;
	if (chown("/dev/ksm", orig.st_uid, orig.st_gid) || chmod("/dev/ksm", orig.st_mode & 07777))
		fprintf(stderr, "restoring /dev/ksm: %s\n", strerror(errno));
}

/* What root tells the user process. */
struct plan {
	uint64_t root_region;	/* start of root's registered region */
	uint64_t root_other;	/* root memory the user has not mapped */
	int root_sma;		/* root's SMA fd number */
	pid_t root_pid;
};

static void become(gid_t gid, const gid_t *groups, size_t ngroups, uid_t uid)
{
	if (setgroups(ngroups, groups) || setgid(gid) || setuid(uid))
		ktest_fail("becoming uid %u gid %u: %s", (unsigned int)uid, (unsigned int)gid,
			   strerror(errno));
	ktest_assert(geteuid() == uid && getegid() == gid, "still privileged");
}

static int list_areas(int dev, struct ksm_area_info *e, unsigned int cap, unsigned int *count)
{
	struct ksm_area_list l = {
		.entry_size = sizeof(*e), .count = cap, .entries = (uintptr_t)e,
	};

	if (ioctl(dev, KSM_LIST_AREAS, &l))
		ktest_fail("KSM_LIST_AREAS: %s", strerror(errno));
	*count = l.count;
	return (int)l.total;
}

static void wait_area(int sma, long long shared, long long sharing)
{
	uint64_t t0 = ktest_now_ms();
	struct ksm_stats st;

	for (;;) {
		ktest_area_stats(sma, &st);
		if (st.pages_shared == (uint64_t)shared && st.pages_sharing == (uint64_t)sharing)
			return;
		if (ktest_now_ms() - t0 > 30000ULL * ktest_slow()) {
			ktest_print_stats("area", &st);
			ktest_fail("area did not reach shared %lld sharing %lld", shared, sharing);
		}
		usleep(20000);
	}
}

/*
 * @npages of fresh memory that do not overlap [@avoid, @avoid + @nbusy
 * pages).  The member's address space is root's as of the fork, so the
 * kernel's top-down placement would put its first mapping exactly where
 * root mapped its memory after the fork: keep such a mapping as a blocker
 * while mapping again, then drop it.
 */
static char *map_away(unsigned long npages, uint64_t avoid, unsigned long nbusy)
{
	char *blocker[4];
	int nb = 0;
	char *m;

	for (;;) {
		uint64_t a;

		m = ktest_map(npages);
		a = (uintptr_t)m;
		if (a + npages * PG <= avoid || a >= avoid + nbusy * PG)
			break;
		ktest_assert(nb < 4, "mmap keeps placing memory over %#llx",
			     (unsigned long long)avoid);
		blocker[nb++] = m;
	}
	while (nb--)
		munmap(blocker[nb], npages * PG);
	return m;
}

/* The group member: runs as nobody with supplementary group GROUP. */
static void member(int in, int out, int primary)
{
	const gid_t groups[] = { GROUP };
	struct ksm_kthread_info k = { .sleep = 1000, .pages_to_scan = 100, .flags = 1 };
	struct ksm_area_info e[64];
	struct plan pl;
	unsigned int count;
	int dev, sma, total, rc;
	char path[64], *u, *r;
	char c;

	if (read(in, &pl, sizeof(pl)) != sizeof(pl))
		ktest_fail("member: no plan");
	if (primary)
		become(GROUP, NULL, 0, USER);
	else
		become(USER, groups, 1, USER);

	dev = open("/dev/ksm", O_RDWR | O_CLOEXEC);
	ktest_assert(dev >= 0, "open /dev/ksm as uid %d in group %d (%s): %s", USER, GROUP,
		     primary ? "primary" : "supplementary", strerror(errno));
	ktest_assert(ioctl(dev, KSM_GET_API_VERSION, 0) == KSM_API_VERSION, "api version");

	/* No control over the scanner. */
	ktest_expect_err(ioctl(dev, KSM_START_STOP_KTHREAD, &k), EPERM);
	k.flags = 0;
	ktest_expect_err(ioctl(dev, KSM_START_STOP_KTHREAD, &k), EPERM);
#ifdef KSM_SET_AUTOTUNE
	{
		struct ksm_autotune at = { .size = sizeof(at) };

		ktest_expect_err(ioctl(dev, KSM_SET_AUTOTUNE, &at), EPERM);
	}
#endif

	sma = ktest_create_area(dev);
	if (primary) {
		/* Just that a primary group is enough: own memory merges. */
		u = ktest_map(4);
		ktest_fill_pages(u, 4, 61, 0);
		ktest_must_register(sma, u, 4, NULL);
		if (write(out, "r", 1) != 1)
			ktest_fail("pipe");
		wait_area(sma, 1, 3);
		ktest_check_pages("primary-group user's pages", u, 4, 61, 0);
		if (write(out, "d", 1) != 1 || read(in, &c, 1) < 0)
			ktest_fail("pipe");
		_exit(0);
	}

	/* Its own memory, registered: merges. */
	u = map_away(NUSER, pl.root_other, NROOT);
	ktest_fill_pages(u, NUSER - 2, 21, 0);
	ktest_fill_pages(u + (NUSER - 2) * PG, 2, 22, 1);
	ktest_must_register(sma, u, NUSER, "own memory");

	/* Root's region start is not a region of this SMA (or this mm). */
	ktest_expect_err(ioctl(sma, KSM_REMOVE_MEMORY_REGION, (unsigned long)pl.root_region),
			 ENOENT);

	/*
	 * The same virtual address in its own address space: its own fresh
	 * memory there (the inherited copy replaced), registered, written,
	 * removed again.
	 */
	r = mmap((void *)(uintptr_t)pl.root_region, NROOT * PG, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ktest_assert(r == (void *)(uintptr_t)pl.root_region, "mmap at root's address: %s",
		     strerror(errno));
	ktest_fill_pages(r, NROOT, 31, 0);
	ktest_must_register(sma, r, NROOT, "own memory at root's address");
	/* A range it has not mapped, where root has memory: its own (empty) space. */
	ktest_must_register(sma, (void *)(uintptr_t)pl.root_other, NROOT, "an unmapped range");
	/* Kernel addresses are nobody's. */
	rc = ktest_register(sma, (void *)0xffffffff81000000ULL, 1);
	ktest_assert(rc == -EINVAL, "register a kernel address: %d", rc);

	/* Root's SMA is out of reach. */
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)pl.root_pid, pl.root_sma);
	errno = 0;
	rc = open(path, O_RDWR | O_CLOEXEC);
	ktest_assert(rc < 0 && (errno == EACCES || errno == EPERM),
		     "open %s as a user gave %d (%s)", path, rc, strerror(errno));
	{
		int pfd = (int)syscall(SYS_pidfd_open, pl.root_pid, 0);

		if (pfd >= 0) {
			errno = 0;
			rc = (int)syscall(SYS_pidfd_getfd, pfd, pl.root_sma, 0);
			ktest_assert(rc < 0 && errno == EPERM,
				     "pidfd_getfd of root's SMA as a user gave %d (%s)", rc,
				     strerror(errno));
			close(pfd);
		} else {
			ktest_assert(errno == ENOSYS || errno == EPERM || errno == EACCES,
				     "pidfd_open: %s", strerror(errno));
		}
	}

	/* Only its own areas are listed. */
	total = list_areas(dev, e, 64, &count);
	ktest_assert(total == 1 && count == 1, "user sees %d areas (%u listed), want 1", total,
		     count);
	ktest_assert(e[0].uid == USER && e[0].pid == (uint32_t)getpid() && e[0].regions == 3,
		     "user's area entry: uid %u pid %u regions %llu", e[0].uid, e[0].pid,
		     (unsigned long long)e[0].regions);

	if (write(out, "r", 1) != 1)
		ktest_fail("pipe");
	/* Root runs the scanner: its own duplicates merge (own 10 + the 16 at root's address). */
	wait_area(sma, 2, (NUSER - 2 - 1) + (NROOT - 1));
	ktest_check_pages("user's identical pages", u, NUSER - 2, 21, 0);
	ktest_check_pages("user's unique pages", u + (NUSER - 2) * PG, 2, 22, 1);
	ktest_check_pages("user's pages at root's address", r, NROOT, 31, 0);
	ktest_fill_page(r, 32);
	ktest_assert(!ktest_remove(sma, r), "remove own region at root's address");
	ktest_assert(!ktest_remove(sma, (void *)(uintptr_t)pl.root_other), "remove unmapped range");
	ktest_check_pages("user's written page", r, 1, 32, 0);
	ktest_check_pages("user's other pages at root's address", r + PG, NROOT - 1, 31, 0);
	ktest_expect_err(ioctl(sma, KSM_REMOVE_MEMORY_REGION, (unsigned long)pl.root_region),
			 ENOENT);
	if (write(out, "d", 1) != 1)
		ktest_fail("pipe");
	/* Stay until root has looked at its own region. */
	if (read(in, &c, 1) < 0)
		ktest_fail("pipe");
	close(sma);
	close(dev);
	_exit(0);
}

static void outsider(void)
{
	int fd;

	become(OUTSIDER, NULL, 0, OUTSIDER);
	errno = 0;
	fd = open("/dev/ksm", O_RDWR | O_CLOEXEC);
	ktest_assert(fd < 0 && errno == EACCES, "open by a user outside the group: fd %d (%s)", fd,
		     strerror(errno));
	errno = 0;
	fd = open("/dev/ksm", O_RDONLY | O_CLOEXEC);
	ktest_assert(fd < 0 && errno == EACCES, "read-only open by a user outside the group: fd %d (%s)",
		     fd, strerror(errno));
	_exit(0);
}

static pid_t start(void (*fn)(int, int, int), int arg, int *to, int *from)
{
	int p2c[2], c2p[2];
	pid_t pid;

	ktest_assert(!pipe(p2c) && !pipe(c2p), "pipe: %s", strerror(errno));
	fflush(NULL);
	pid = fork();
	ktest_assert(pid >= 0, "fork: %s", strerror(errno));
	if (!pid) {
		close(p2c[1]);
		close(c2p[0]);
		fn(p2c[0], c2p[1], arg);
		_exit(0);
	}
	close(p2c[0]);
	close(c2p[1]);
	*to = p2c[1];
	*from = c2p[0];
	return pid;
}

static void reap(pid_t pid, const char *what)
{
	int status = 0;

	ktest_assert(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && !WEXITSTATUS(status),
		     "%s failed: status %#x", what, status);
}

int main(void)
{
	struct ksm_area_info e[64];
	struct stat sb;
	struct plan pl;
	unsigned int count;
	int dev, sma, to, from, total;
	char *p, *q, c;
	uint64_t kpfn;
	pid_t pid;

	parent = getpid();
	ktest_assert(!stat("/dev/ksm", &orig), "stat /dev/ksm: %s", strerror(errno));
	atexit(restore_dev);
	/* What udev/60-ksmdev.rules does, with group GROUP for "ksmdev". */
	ktest_assert(!chown("/dev/ksm", 0, GROUP) && !chmod("/dev/ksm", 0660),
		     "chgrp/chmod /dev/ksm: %s", strerror(errno));

	/* A user outside the group cannot even open it. */
	fflush(NULL);
	pid = fork();
	ktest_assert(pid >= 0, "fork");
	if (!pid)
		outsider();
	reap(pid, "outsider");

	/* Root's region: NROOT identical pages, merged. */
	dev = ktest_open_dev();
	sma = ktest_create_area(dev);
	p = ktest_map(NROOT);
	ktest_fill_pages(p, NROOT, 11, 0);
	ktest_must_register(sma, p, NROOT, NULL);
	ktest_scanner(dev, 10000, 1000, 1);
	ktest_wait_global(dev, 1, NROOT - 1, 1, 30000);
	kpfn = ktest_expect_same_pfn("root's region", p, NROOT);

	/* The group member, forked now: root's pages are in its address space too. */
	pid = start(member, 0, &to, &from);
	/* Root memory mapped after the fork: not in the member's address space. */
	q = ktest_map(NROOT);
	ktest_fill_pages(q, NROOT, 12, 0);
	ktest_must_register(sma, q, NROOT, NULL);
	ktest_wait_global(dev, 2, 2 * (NROOT - 1), 2, 30000);
	pl = (struct plan){
		.root_region = (uintptr_t)p, .root_other = (uintptr_t)q, .root_sma = sma,
		.root_pid = getpid(),
	};
	ktest_assert(write(to, &pl, sizeof(pl)) == sizeof(pl), "pipe");
	ktest_assert(read(from, &c, 1) == 1, "group member failed before registering");

	/* Root sees every area: its own and the member's. */
	total = list_areas(dev, e, 64, &count);
	ktest_assert(total == 2 && count == 2, "root sees %d areas (%u listed), want 2", total, count);

	ktest_assert(read(from, &c, 1) == 1, "group member failed");
	{
		struct ksm_stats st;

		ktest_area_stats(sma, &st);
		if (st.regions != 2 || st.pages_shared != 2 || st.pages_sharing != 2 * (NROOT - 1)) {
			ktest_print_stats("root's area after the member's calls", &st);
			ktest_fail("the member's calls changed root's area");
		}
	}
	ktest_assert(ktest_expect_same_pfn("root's region after the member's calls", p, NROOT) ==
		     kpfn, "root's KSM page changed");
	ktest_check_pages("root's region after the member's calls", p, NROOT, 11, 0);
	ktest_check_pages("root's other region after the member's calls", q, NROOT, 12, 0);
	ktest_expect_same_pfn("root's other region", q, NROOT);
	close(to);
	reap(pid, "group member");
	close(from);

	/* A primary group is as good as a supplementary one. */
	pid = start(member, 1, &to, &from);
	ktest_assert(write(to, &pl, sizeof(pl)) == sizeof(pl), "pipe");
	ktest_assert(read(from, &c, 1) == 1 && read(from, &c, 1) == 1,
		     "primary-group member failed");
	close(to);
	reap(pid, "primary-group member");
	close(from);

	ktest_assert(ktest_expect_same_pfn("root's region at the end", p, NROOT) == kpfn,
		     "root's KSM page changed");
	close(sma);
	ktest_wait_global(dev, 0, 0, 0, 5000);
	ktest_scanner(dev, 100, 20000, 0);
	close(dev);

	restore_dev();
	ktest_assert(!stat("/dev/ksm", &sb) && sb.st_uid == orig.st_uid && sb.st_gid == orig.st_gid &&
		     (sb.st_mode & 07777) == (orig.st_mode & 07777),
		     "/dev/ksm not restored: mode %o uid %d gid %d", sb.st_mode & 07777,
		     (int)sb.st_uid, (int)sb.st_gid);
	return 0;
}

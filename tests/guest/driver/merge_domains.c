// SPDX-License-Identifier: GPL-2.0-only
/*
 * Merge domains: identical memory in areas of different domains never
 * shares a page; in the same domain it does, across users too when an
 * administrator made it a shared domain.
 *
 *  - root (CAP_SYS_ADMIN) joins any numbered domain; domains 1 and 2
 *    merge apart, a second area of domain 1 joins the first's pages.
 *  - group domain 4242: users 1000 and 1001, both members of group 4242,
 *    share it and their identical pages merge; user 1002, not a member, is
 *    refused it (EPERM) and a domain above 2^32 (CAP_SYS_ADMIN only).
 *  - an unprivileged caller's areas without a number, by the 2009 ioctl
 *    and by KSM_CREATE_AREA, are in its user's domain, listed as
 *    (1 << 63) | uid; domain_policy 2 means the same.
 *  - domain_policy 0 (open, the 2009 behaviour, an admin's choice): two
 *    users' default areas share domain 0 and merge; anyone joins any
 *    numbered domain.
 */
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "ktest.h"

#define NPAGES 16
#define GROUP 4242

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

static void root_part(int dev)
{
	int a = create(dev, 1, 0), b = create(dev, 2, 0), c = create(dev, 1, 0);
	struct ksm_stats st;
	char *pa, *pb, *pc;

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
	close(a);
	close(b);
	close(c);
	ktest_scanner(dev, 100, 20000, 0);
	ktest_wait_global(dev, 0, 0, 0, 30000);
}

/* Two tenants of @o (uids 1000, 1001) merge all their pages with each other. */
static void expect_shared(int dev, struct ktest_tenant_opts *o, const char *what)
{
	struct ktest_tenant a, b;
	struct ksm_stats st;

	o->uid = 1000;
	ktest_tenant_start(&a, dev, o);
	o->uid = 1001;
	ktest_tenant_start(&b, dev, o);
	ktest_assert(!a.create_err && !b.create_err, "%s: create: %ld %ld", what, a.create_err,
		     b.create_err);
	ktest_scan_and_wait(dev);
	ktest_scanner(dev, 100, 20000, 0);
	ktest_global_stats(dev, &st);
	ktest_expect_stats(what, &st, NPAGES, NPAGES, 2 * NPAGES, 2);
	for (unsigned long i = 0; i < NPAGES; i++)
		ktest_assert(ktest_tenant_pfn(&a, i) == ktest_tenant_pfn(&b, i),
			     "%s: page %lu of the two users not merged", what, i);
	ktest_assert(!ktest_tenant_bad_pages(&a) && !ktest_tenant_bad_pages(&b),
		     "%s: bytes changed", what);
	ktest_tenant_stop(&a);
	ktest_tenant_stop(&b);
	ktest_wait_global(dev, 0, 0, 0, 30000);
}

/* A tenant of uid 1002 asking for @domain: its -errno (0 if granted). */
static long outsider(int dev, uint64_t domain)
{
	struct ktest_tenant_opts o = { .uid = 1002, .domain = domain, .npages = 1, .seed = 3 };
	struct ktest_tenant t;
	long err;

	ktest_tenant_start(&t, dev, &o);
	err = t.create_err;
	ktest_tenant_stop(&t);
	return err;
}

static void group_part(int dev)
{
	struct ktest_tenant_opts o = { .group = GROUP, .domain = GROUP, .npages = NPAGES,
				       .seed = 700, .step = 1 };

	expect_shared(dev, &o, "group domain");
	ktest_assert(outsider(dev, GROUP) == -EPERM, "a non-member joined group domain %d", GROUP);
	ktest_assert(outsider(dev, 1ULL << 32) == -EPERM, "an unprivileged user joined domain 2^32");
}

/* As uid 65534: the domains of its areas without a number are its user's. */
static void unprivileged_defaults(const char *policy)
{
	pid_t child;
	int status;

	child = fork();
	if (!child) {
		struct ksm_area_info e[4];
		struct ksm_area_list l = { .entry_size = sizeof(e[0]), .count = 4,
					   .entries = (uintptr_t)e };
		int d, u, def, legacy;

		ktest_drop_privileges();
		d = open("/dev/ksm", O_RDWR);
		if (d < 0 || create(d, 1, 0) != -EPERM)
			_exit(10);
		u = create(d, 0, KSM_AREA_USER_DOMAIN);
		def = create(d, 0, 0);
		legacy = ioctl(d, KSM_CREATE_SHARED_MEMORY_AREA, 0);
		if (u < 0 || def < 0 || legacy < 0 || ioctl(d, KSM_LIST_AREAS, &l) || l.count != 3)
			_exit(11);
		for (int i = 0; i < 3; i++)
			if (e[i].domain != ((1ULL << 63) | 65534) || e[i].uid != 65534)
				_exit(12 + i);
		_exit(0);
	}
	waitpid(child, &status, 0);
	ktest_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		     "unprivileged defaults, policy %s: status %#x", policy, status);
}

static void open_part(int dev)
{
	struct ktest_tenant_opts o = { .npages = NPAGES, .seed = 800, .step = 1 };

	set_policy("0");
	expect_shared(dev, &o, "open policy, default areas");
	ktest_assert(outsider(dev, 1ULL << 40) == 0, "open policy refused a numbered domain");
	set_policy("1");
}

int main(void)
{
	int dev = ktest_open_dev();

	root_part(dev);
	chmod("/dev/ksm", 0666);
	group_part(dev);
	unprivileged_defaults("1");
	set_policy("2");
	unprivileged_defaults("2");
	set_policy("1");
	open_part(dev);
	chmod("/dev/ksm", 0660);
	return 0;
}

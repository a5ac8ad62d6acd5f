#include <stdarg.h>
// SPDX-License-Identifier: GPL-2.0-only
#include <fcntl.h>
#include <grp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "ktest.h"

int ktest_open_dev(void)
{
	int fd = open("/dev/ksm", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		ktest_fail("open /dev/ksm: %s", strerror(errno));
	return fd;
}

int ktest_create_area(int devfd)
{
	int fd = ioctl(devfd, KSM_CREATE_SHARED_MEMORY_AREA, 0);

	if (fd < 0)
		ktest_fail("KSM_CREATE_SHARED_MEMORY_AREA: %s", strerror(errno));
	return fd;
}

int ktest_register(int smafd, void *addr, unsigned long npages)
{
	struct ksm_memory_region r = {
		.npages = (__u32)npages,
		.addr = (__u64)(uintptr_t)addr,
	};

	return ioctl(smafd, KSM_REGISTER_MEMORY_REGION, &r) ? -errno : 0;
}

void ktest_must_register(int smafd, void *addr, unsigned long npages, const char *what)
{
	int rc = ktest_register(smafd, addr, npages);

	if (rc)
		ktest_fail("register%s%s: %s", what ? " " : "", what ? what : "", strerror(-rc));
}

int ktest_remove(int smafd, void *addr)
{
	return ioctl(smafd, KSM_REMOVE_MEMORY_REGION, (unsigned long)addr) ? -errno : 0;
}

void ktest_scanner(int devfd, unsigned int pages_to_scan, unsigned int sleep_us, int run)
{
	struct ksm_kthread_info k = {
		.sleep = sleep_us,
		.pages_to_scan = pages_to_scan,
		.flags = run ? ksm_control_flags_run : 0,
	};

	if (ioctl(devfd, KSM_START_STOP_KTHREAD, &k))
		ktest_fail("KSM_START_STOP_KTHREAD: %s", strerror(errno));
}

static void get_stats(int fd, unsigned long cmd, struct ksm_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	if (ioctl(fd, cmd, st))
		ktest_fail("stats ioctl: %s", strerror(errno));
}

void ktest_global_stats(int devfd, struct ksm_stats *st)
{
	get_stats(devfd, KSM_GET_STATS, st);
}

void ktest_area_stats(int smafd, struct ksm_stats *st)
{
	get_stats(smafd, KSM_GET_AREA_STATS, st);
}

uint64_t ktest_pages_scanned(int devfd)
{
	struct ksm_stats st;

	ktest_global_stats(devfd, &st);
	return st.pages_scanned;
}

unsigned int ktest_slow(void)
{
	const char *s = getenv("KTEST_SLOW");
	unsigned int f = s ? (unsigned int)strtoul(s, NULL, 10) : 1;

	return f ? f : 1;
}

void ktest_wait_scans(int devfd, unsigned int n, unsigned int timeout_s)
{
	struct ksm_stats st;
	struct timespec t0, t;
	uint64_t target;

	timeout_s *= ktest_slow();
	ktest_global_stats(devfd, &st);
	target = st.full_scans + n;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		ktest_global_stats(devfd, &st);
		if (st.full_scans >= target)
			return;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec > (time_t)timeout_s)
			ktest_fail("only %llu of %u full scans after %us",
				   (unsigned long long)(st.full_scans + n - target), n, timeout_s);
		usleep(10000);
	}
}

void ktest_scan_and_wait(int devfd)
{
	ktest_scanner(devfd, 100000, 1000, 1);
	ktest_wait_scans(devfd, 3, 60);
}

void *ktest_map(unsigned long npages)
{
	void *p = mmap(NULL, npages * KTEST_PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		ktest_fail("mmap %lu pages: %s", npages, strerror(errno));
	madvise(p, npages * KTEST_PAGE, MADV_NOHUGEPAGE);
	return p;
}

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	return x ^ (x >> 33);
}

void ktest_fill_page(void *page, uint64_t seed)
{
	uint64_t *w = page;

	for (unsigned int i = 0; i < KTEST_PAGE / 8; i++)
		w[i] = mix(seed * 4096 + i + 1);
}

int ktest_check_page(const void *page, uint64_t seed)
{
	const uint64_t *w = page;

	for (unsigned int i = 0; i < KTEST_PAGE / 8; i++)
		if (w[i] != mix(seed * 4096 + i + 1))
			return 0;
	return 1;
}

uint64_t ktest_pagemap(pid_t pid, const void *addr)
{
	char path[64];
	uint64_t ent = 0;
	int fd;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/pagemap");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		ktest_fail("open %s: %s", path, strerror(errno));
	if (pread(fd, &ent, 8, (off_t)((uintptr_t)addr / KTEST_PAGE) * 8) != 8)
		ktest_fail("read %s: %s", path, strerror(errno));
	close(fd);
	return ent;
}

uint64_t ktest_pagemap_pfn(uint64_t ent)
{
	return (ent & KTEST_PM_PRESENT) ? ent & ((1ULL << 55) - 1) : 0;
}

uint64_t ktest_pfn(const void *addr)
{
	return ktest_pagemap_pfn(ktest_pagemap(0, addr));
}

long long ktest_sysfs_stat(const char *name)
{
	char path[256];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/mm/ksmdev/%s", name);
	f = fopen(path, "re");
	if (!f)
		return -1;
	if (fscanf(f, "%lld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

void ktest_pin_page(const void *page, int pipefd[2])
{
	struct iovec iov = { .iov_base = (void *)page, .iov_len = KTEST_PAGE };

	if (pipe(pipefd))
		ktest_fail("pipe: %s", strerror(errno));
	if (vmsplice(pipefd[1], &iov, 1, 0) != (ssize_t)KTEST_PAGE)
		ktest_fail("vmsplice: %s", strerror(errno));
}

char *ktest_unpin_page(int pipefd[2])
{
	char *buf = malloc(KTEST_PAGE);

	if (!buf)
		ktest_fail("out of memory");
	if (read(pipefd[0], buf, KTEST_PAGE) != (ssize_t)KTEST_PAGE)
		ktest_fail("read pipe: %s", strerror(errno));
	return buf;
}

void ktest_drop_privileges(void)
{
	if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
		ktest_fail("dropping privileges: %s", strerror(errno));
}

int ktest_cpu_has_la57(void)
{
	FILE *f = fopen("/proc/cpuinfo", "re");
	char line[4096];
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		if (!strncmp(line, "flags", 5) && strstr(line, " la57"))
			found = 1;
	fclose(f);
	return found;
}

void ktest_print_stats(const char *what, const struct ksm_stats *st)
{
	fprintf(stderr,
		"%s: size %u shared %llu sharing %llu unshared %llu volatile %llu merged %llu full_scans %llu scanned %llu regions %llu max_kernel_pages %llu cap_refusals %llu\n",
		what, st->size,
		(unsigned long long)st->pages_shared, (unsigned long long)st->pages_sharing,
		(unsigned long long)st->pages_unshared, (unsigned long long)st->pages_volatile,
		(unsigned long long)st->pages_merged, (unsigned long long)st->full_scans,
		(unsigned long long)st->pages_scanned, (unsigned long long)st->regions,
		(unsigned long long)st->max_kernel_pages, (unsigned long long)st->cap_refusals);
}

static int stat_ok(uint64_t v, long long want)
{
	return want < 0 || v == (uint64_t)want;
}

void ktest_expect_stats(const char *what, const struct ksm_stats *st,
			long long shared, long long sharing, long long merged,
			long long regions)
{
	if (stat_ok(st->pages_shared, shared) && stat_ok(st->pages_sharing, sharing) &&
	    stat_ok(st->pages_merged, merged) && stat_ok(st->regions, regions))
		return;
	ktest_print_stats(what, st);
	ktest_fail("%s: expected shared %lld sharing %lld merged %lld regions %lld (-1: any)",
		   what, shared, sharing, merged, regions);
}

void ktest_wait_global(int devfd, long long shared, long long sharing,
		       long long regions, unsigned int timeout_ms)
{
	uint64_t t0 = ktest_now_ms();
	struct ksm_stats st;

	timeout_ms *= ktest_slow();
	for (;;) {
		ktest_global_stats(devfd, &st);
		if (stat_ok(st.pages_shared, shared) && stat_ok(st.pages_sharing, sharing) &&
		    stat_ok(st.regions, regions))
			return;
		if (ktest_now_ms() - t0 > timeout_ms) {
			ktest_print_stats("global", &st);
			ktest_fail("global stats did not reach shared %lld sharing %lld regions %lld within %u ms",
				   shared, sharing, regions, timeout_ms);
		}
		usleep(50000);
	}
}

void ktest_fill_pages(void *base, unsigned long npages, uint64_t seed, uint64_t step)
{
	for (unsigned long i = 0; i < npages; i++)
		ktest_fill_page((char *)base + i * KTEST_PAGE, seed + i * step);
}

void ktest_check_pages(const char *what, const void *base, unsigned long npages,
		       uint64_t seed, uint64_t step)
{
	for (unsigned long i = 0; i < npages; i++)
		if (!ktest_check_page((const char *)base + i * KTEST_PAGE, seed + i * step))
			ktest_fail("%s: page %lu does not hold seed %llu", what, i,
				   (unsigned long long)(seed + i * step));
}

uint64_t ktest_expect_same_pfn(const char *what, const void *base, unsigned long npages)
{
	uint64_t pfn0 = ktest_pfn(base);

	if (!pfn0)
		ktest_fail("%s: page 0 not present", what);
	for (unsigned long i = 1; i < npages; i++) {
		uint64_t pfn = ktest_pfn((const char *)base + i * KTEST_PAGE);

		if (pfn != pfn0)
			ktest_fail("%s: page %lu maps pfn %#llx, page 0 maps %#llx (not merged)",
				   what, i, (unsigned long long)pfn, (unsigned long long)pfn0);
	}
	return pfn0;
}

void ktest_expect_distinct_pfns(const char *what, const void *base, unsigned long npages)
{
	uint64_t *pfn = calloc(npages ? npages : 1, sizeof(*pfn));

	if (!pfn)
		ktest_fail("out of memory");
	for (unsigned long i = 0; i < npages; i++) {
		pfn[i] = ktest_pfn((const char *)base + i * KTEST_PAGE);
		if (!pfn[i])
			ktest_fail("%s: page %lu not present", what, i);
		for (unsigned long j = 0; j < i; j++)
			if (pfn[j] == pfn[i])
				ktest_fail("%s: pages %lu and %lu both map pfn %#llx",
					   what, j, i, (unsigned long long)pfn[i]);
	}
	free(pfn);
}

void ktest_expect_unmerged(const char *what, const void *base, unsigned long npages,
			   uint64_t kpfn)
{
	ktest_expect_distinct_pfns(what, base, npages);
	for (unsigned long i = 0; i < npages; i++)
		if (ktest_pfn((const char *)base + i * KTEST_PAGE) == kpfn)
			ktest_fail("%s: page %lu still maps the KSM page %#llx", what, i,
				   (unsigned long long)kpfn);
}

uint64_t ktest_merge_identical(int devfd, int smafd, void *base, unsigned long npages)
{
	struct ksm_stats g;

	ktest_fill_pages(base, npages, 1, 0);
	ktest_must_register(smafd, base, npages, NULL);
	ktest_scan_and_wait(devfd);
	ktest_global_stats(devfd, &g);
	ktest_expect_stats("global after merge", &g, 1, npages - 1, npages, 1);
	return ktest_expect_same_pfn("after merge", base, npages);
}

void ktest_expect_zero(const char *what, const void *base, unsigned long npages)
{
	const unsigned char *p = base;

	for (unsigned long i = 0; i < npages * KTEST_PAGE; i++)
		if (p[i])
			ktest_fail("%s: byte %lu is %#x, want 0", what, i, p[i]);
}

void ktest_reload_module(const char *params)
{
	const char *ko = getenv("KTEST_KO");
	char cmd[1024];
	int rc;

	if (!ko || !*ko)
		ktest_fail("KTEST_KO is not set: cannot reload ksmdev");
	snprintf(cmd, sizeof(cmd),
		 "i=0; while grep -q '^ksmdev ' /proc/modules && ! rmmod ksmdev; do "
		 "i=$((i + 1)); [ $i -ge 50 ] && exit 1; sleep 0.1; done; "
		 "insmod \"$KTEST_KO\" %s", params);
	rc = system(cmd);
	if (rc == -1 || !WIFEXITED(rc) || WEXITSTATUS(rc))
		ktest_fail("reloading ksmdev with '%s' failed (status %#x)", params, rc);
	for (int i = 0; i < 100 && access("/dev/ksm", F_OK); i++)
		usleep(50000);
	ktest_info("reloaded ksmdev with '%s'", params);
}

uint64_t ktest_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

void ktest_summary(const char *test, const char *fmt, ...)
{
	char line[600];
	int n, fd;
	va_list ap;

	n = snprintf(line, sizeof(line), "ksmdev-test %s: ", test);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	ktest_info("%s", line + n);
	strcat(line, "\n");
	fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t w = write(fd, line, strlen(line));

		(void)w;
		close(fd);
	}
}

/* ------------------------------------------------------------ tenants */

static void tenant_write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : write(fd, text, strlen(text));

	if (n != (ssize_t)strlen(text))
		ktest_fail("tenant: write %s: %s", path, strerror(errno));
	close(fd);
}

/* Become uid o->uid (and, with o->userns, 0 in a user namespace of its own). */
static void tenant_switch(const struct ktest_tenant_opts *o)
{
	char map[64];

	if (o->uid) {
		if (setgroups(o->group ? 1 : 0, &o->group) || setresgid(o->uid, o->uid, o->uid) ||
		    setresuid(o->uid, o->uid, o->uid))
			ktest_fail("tenant: become uid %u: %s", o->uid, strerror(errno));
	}
	if (!o->userns)
		return;
	/*
	 * A change of uid made us non-dumpable: /proc/self would be root's
	 * and the maps below could not be written.
	 */
	if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0))
		ktest_fail("tenant: PR_SET_DUMPABLE: %s", strerror(errno));
	if (unshare(CLONE_NEWUSER)) {
		/* EINVAL: a kernel without CONFIG_USER_NS */
		if (errno == EPERM || errno == ENOSPC || errno == EINVAL) {
			ktest_info("tenant: unshare(CLONE_NEWUSER): %s", strerror(errno));
			exit(KTEST_SKIP);
		}
		ktest_fail("tenant: unshare(CLONE_NEWUSER): %s", strerror(errno));
	}
	tenant_write_file("/proc/self/setgroups", "deny");
	snprintf(map, sizeof(map), "0 %u 1", o->uid);
	tenant_write_file("/proc/self/uid_map", map);
	tenant_write_file("/proc/self/gid_map", map);
}

static void tenant_answer(int fd, long v)
{
	if (write(fd, &v, sizeof(v)) != sizeof(v))
		_exit(3);
}

static void tenant_main(int in, int out, int devfd, const struct ktest_tenant_opts *o)
{
	unsigned long period = o->period ? o->period : o->npages;
	struct ksm_area_params ap = { .size = sizeof(ap), .domain = o->domain };
	struct ksm_area_info info[16];
	struct ksm_area_list l = { .entry_size = sizeof(info[0]), .count = 16,
				   .entries = (uintptr_t)info };
	struct ksm_stats st;
	long area, bad;
	char *p, cmd;

	if (o->cgroup)
		ktest_cgroup_enter(o->cgroup);
	tenant_switch(o);
	p = ktest_map(o->npages);
	for (unsigned long i = 0; i < o->npages; i++)
		ktest_fill_page(p + i * KTEST_PAGE, o->seed + (i % period) * o->step);
	area = ioctl(devfd, KSM_CREATE_AREA, &ap);
	if (area < 0) {
		tenant_answer(out, -errno);
	} else {
		ktest_must_register((int)area, p, o->npages, "tenant");
		tenant_answer(out, (long)(uintptr_t)p);
	}
	while (read(in, &cmd, 1) == 1) {
		switch (cmd) {
		case 'm': {
			long r = ioctl((int)area, KSM_MERGE_NOW, 0);

			tenant_answer(out, r < 0 ? -errno : r);
			break;
		}
		case 'c':
			bad = 0;
			for (unsigned long i = 0; i < o->npages; i++)
				bad += !ktest_check_page(p + i * KTEST_PAGE,
							 o->seed + (i % period) * o->step);
			tenant_answer(out, bad);
			break;
		case 's':
			memset(&st, 0, sizeof(st));
			st.size = sizeof(st);
			if (ioctl((int)area, KSM_GET_AREA_STATS, &st) ||
			    write(out, &st, sizeof(st)) != sizeof(st))
				_exit(4);
			break;
		case 'l':
			tenant_answer(out, ioctl(devfd, KSM_LIST_AREAS, &l) ? -errno : (long)l.total);
			break;
		case 'f':	/* pid, uid and domain of the first area it sees */
			l.count = 16;
			if (ioctl(devfd, KSM_LIST_AREAS, &l) || !l.count) {
				info[0].pid = (__u32)-1;
				info[0].uid = (__u32)-1;
				info[0].domain = (__u64)-1;
			}
			tenant_answer(out, (long)info[0].pid);
			tenant_answer(out, (long)info[0].uid);
			tenant_answer(out, (long)info[0].domain);
			break;
		case 'q':
			_exit(0);
		}
	}
	_exit(5);
}

void ktest_tenant_start(struct ktest_tenant *t, int devfd, const struct ktest_tenant_opts *o)
{
	int p2c[2], c2p[2];
	long v;

	ktest_assert(!pipe(p2c) && !pipe(c2p), "pipe: %s", strerror(errno));
	fflush(NULL);
	t->pid = fork();
	ktest_assert(t->pid >= 0, "fork: %s", strerror(errno));
	if (!t->pid) {
		close(p2c[1]);
		close(c2p[0]);
		tenant_main(p2c[0], c2p[1], devfd, o);
	}
	close(p2c[0]);
	close(c2p[1]);
	t->to = p2c[1];
	t->from = c2p[0];
	t->npages = o->npages;
	if (read(t->from, &v, sizeof(v)) != sizeof(v)) {
		int status = 0;

		waitpid(t->pid, &status, 0);
		if (WIFEXITED(status) && WEXITSTATUS(status) == KTEST_SKIP) {
			ktest_info("SKIP: no user namespaces for tenants here");
			exit(KTEST_SKIP);
		}
		ktest_fail("tenant uid %u did not start: status %#x", o->uid, status);
	}
	t->create_err = v < 0 ? v : 0;
	t->base = v < 0 ? 0 : (uintptr_t)v;
}

static long tenant_call(struct ktest_tenant *t, char cmd)
{
	long v;

	ktest_assert(write(t->to, &cmd, 1) == 1 && read(t->from, &v, sizeof(v)) == sizeof(v),
		     "tenant %d: command %c failed", (int)t->pid, cmd);
	return v;
}

long ktest_tenant_merge_now(struct ktest_tenant *t)
{
	return tenant_call(t, 'm');
}

long ktest_tenant_bad_pages(struct ktest_tenant *t)
{
	return tenant_call(t, 'c');
}

long ktest_tenant_visible_areas(struct ktest_tenant *t)
{
	return tenant_call(t, 'l');
}

void ktest_tenant_first_area(struct ktest_tenant *t, uint32_t *pid, uint32_t *uid,
			     uint64_t *domain)
{
	long v[3];

	v[0] = tenant_call(t, 'f');
	ktest_assert(read(t->from, &v[1], sizeof(v[1])) == sizeof(v[1]) &&
		     read(t->from, &v[2], sizeof(v[2])) == sizeof(v[2]),
		     "tenant %d: first area", (int)t->pid);
	*pid = (uint32_t)v[0];
	*uid = (uint32_t)v[1];
	*domain = (uint64_t)v[2];
}

void ktest_tenant_stats(struct ktest_tenant *t, struct ksm_stats *st)
{
	char cmd = 's';

	ktest_assert(write(t->to, &cmd, 1) == 1 && read(t->from, st, sizeof(*st)) == sizeof(*st),
		     "tenant %d: stats failed", (int)t->pid);
}

uint64_t ktest_tenant_pagemap(struct ktest_tenant *t, unsigned long i)
{
	return ktest_pagemap(t->pid, (const void *)(t->base + i * KTEST_PAGE));
}

uint64_t ktest_tenant_pfn(struct ktest_tenant *t, unsigned long i)
{
	return ktest_pagemap_pfn(ktest_tenant_pagemap(t, i));
}

void ktest_tenant_stop(struct ktest_tenant *t)
{
	char cmd = 'q';
	int status = 0;

	ktest_assert(write(t->to, &cmd, 1) == 1, "tenant %d: quit", (int)t->pid);
	ktest_assert(waitpid(t->pid, &status, 0) == t->pid && WIFEXITED(status) &&
		     !WEXITSTATUS(status), "tenant %d: exit status %#x", (int)t->pid, status);
	close(t->to);
	close(t->from);
}

/* ------------------------------------------------------------ two tenants apart */

#define APART_N		16
#define APART_SECRET	77

static void tenants_expect_apart(struct ktest_tenant *a, struct ktest_tenant *b, const char *what)
{
	for (unsigned long i = 0; i < a->npages; i++)
		for (unsigned long j = 0; j < b->npages; j++)
			ktest_assert(ktest_tenant_pfn(a, i) != ktest_tenant_pfn(b, j),
				     "%s: page %lu of the first and page %lu of the second share a frame",
				     what, i, j);
}

static void tenants_apart_scanner(int dev, struct ktest_tenant_opts oa,
				  struct ktest_tenant_opts ob, const char *what)
{
	struct ktest_tenant a, b;
	struct ksm_stats st;

	oa.npages = ob.npages = 2 * APART_N;
	oa.period = ob.period = APART_N;
	oa.seed = ob.seed = 500;
	oa.step = ob.step = 1;
	ktest_tenant_start(&a, dev, &oa);
	ktest_tenant_start(&b, dev, &ob);
	ktest_assert(!a.create_err && !b.create_err, "%s: create: %ld %ld", what, a.create_err,
		     b.create_err);
	ktest_scan_and_wait(dev);
	ktest_scanner(dev, 100, 20000, 0);

	ktest_global_stats(dev, &st);
	ktest_expect_stats(what, &st, 2 * APART_N, 2 * APART_N, 4 * APART_N, 2);
	for (struct ktest_tenant *t = &a; t; t = t == &a ? &b : NULL) {
		ktest_tenant_stats(t, &st);
		ktest_expect_stats("one tenant's area", &st, APART_N, APART_N, 2 * APART_N, 1);
		for (unsigned long i = 0; i < APART_N; i++)
			ktest_assert(ktest_tenant_pfn(t, i) && ktest_tenant_pfn(t, i) ==
				     ktest_tenant_pfn(t, i + APART_N),
				     "%s: own pair %lu not merged", what, i);
	}
	tenants_expect_apart(&a, &b, what);
	ktest_assert(!ktest_tenant_bad_pages(&a) && !ktest_tenant_bad_pages(&b),
		     "%s: bytes changed", what);
	ktest_tenant_stop(&a);
	ktest_tenant_stop(&b);
	ktest_wait_global(dev, 0, 0, 0, 30000);
}

static void tenants_apart_merge_now(int dev, struct ktest_tenant_opts ov,
				    struct ktest_tenant_opts op, const char *what)
{
	struct ktest_tenant victim, prober;
	struct ksm_stats st;
	long merged;

	ov.npages = 1;
	ov.period = 0;
	ov.seed = 9000 + APART_SECRET;
	ov.step = 0;
	ktest_tenant_start(&victim, dev, &ov);
	/* Guesses 0..255, then guess 0 again: seeds 9000 + (i % 256). */
	op.npages = 257;
	op.period = 256;
	op.seed = 9000;
	op.step = 1;
	ktest_tenant_start(&prober, dev, &op);
	ktest_assert(!victim.create_err && !prober.create_err, "%s: create", what);

	merged = ktest_tenant_merge_now(&prober);
	ktest_assert(merged == 2, "%s: KSM_MERGE_NOW of the prober returned %ld, want 2", what,
		     merged);
	ktest_tenant_stats(&prober, &st);
	ktest_expect_stats("prober's area", &st, 1, 1, 2, 1);
	for (unsigned long i = 0; i < 257; i++) {
		int ksm = !!(ktest_tenant_pagemap(&prober, i) & KTEST_PM_FILE);

		ktest_assert(ksm == (i == 0 || i == 256),
			     "%s: prober's page %lu (guess %lu) is%s a KSM page", what, i, i % 256,
			     ksm ? "" : " not");
	}
	ktest_assert(ktest_tenant_pfn(&prober, APART_SECRET) != ktest_tenant_pfn(&victim, 0),
		     "%s: the guess shares the secret's frame", what);
	ktest_assert(!(ktest_tenant_pagemap(&victim, 0) & KTEST_PM_FILE),
		     "%s: victim's page merged", what);
	ktest_tenant_stats(&victim, &st);
	ktest_expect_stats("victim's area", &st, 0, 0, 0, 1);
	ktest_assert(!ktest_tenant_bad_pages(&victim) && !ktest_tenant_bad_pages(&prober),
		     "%s: bytes changed", what);
	ktest_tenant_stop(&victim);
	ktest_tenant_stop(&prober);
}

void ktest_tenants_apart(int dev, const struct ktest_tenant_opts *a,
			 const struct ktest_tenant_opts *b, const char *what)
{
	tenants_apart_scanner(dev, *a, *b, what);
	tenants_apart_merge_now(dev, *a, *b, what);
	ktest_info("%s: own duplicates merged, nothing shared with the other, by the scanner "
		   "and by KSM_MERGE_NOW", what);
}

/* ------------------------------------------------------------ cgroups */

#define KTEST_CGROOT "/sys/fs/cgroup"

static void cg_write(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	ktest_assert(fd >= 0, "open %s: %s", path, strerror(errno));
	n = write(fd, value, strlen(value));
	ktest_assert(n == (ssize_t)strlen(value), "write '%s' to %s: %s", value, path,
		     strerror(errno));
	close(fd);
}

static int cg_read(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	return 0;
}

void ktest_cgroup_make(const char *name, long long max_bytes)
{
	char path[256], buf[512];

	if (access(KTEST_CGROOT "/cgroup.controllers", F_OK)) {
		mkdir(KTEST_CGROOT, 0755);
		if (mount("cgroup2", KTEST_CGROOT, "cgroup2", 0, NULL))
			ktest_fail("mount cgroup2 on " KTEST_CGROOT ": %s", strerror(errno));
	}
	if (cg_read(KTEST_CGROOT "/cgroup.controllers", buf, sizeof(buf)) ||
	    !strstr(buf, "memory")) {
		ktest_info("SKIP: no memory cgroup controller here");
		exit(KTEST_SKIP);
	}
	cg_read(KTEST_CGROOT "/cgroup.subtree_control", buf, sizeof(buf));
	if (!strstr(buf, "memory"))
		cg_write(KTEST_CGROOT "/cgroup.subtree_control", "+memory");
	snprintf(path, sizeof(path), KTEST_CGROOT "/%s", name);
	if (mkdir(path, 0755) && errno != EEXIST)
		ktest_fail("mkdir %s: %s", path, strerror(errno));
	snprintf(path, sizeof(path), KTEST_CGROOT "/%s/memory.max", name);
	if (max_bytes < 0)
		snprintf(buf, sizeof(buf), "max");
	else
		snprintf(buf, sizeof(buf), "%lld", max_bytes);
	cg_write(path, buf);
}

void ktest_cgroup_enter(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), KTEST_CGROOT "/%s/cgroup.procs", name);
	cg_write(path, "0");
}

long long ktest_cgroup_current(const char *name)
{
	char path[256], buf[64];

	snprintf(path, sizeof(path), KTEST_CGROOT "/%s/memory.current", name);
	ktest_assert(!cg_read(path, buf, sizeof(buf)), "read %s: %s", path, strerror(errno));
	return atoll(buf);
}

long long ktest_cgroup_stat(const char *name, const char *key)
{
	char path[256], buf[8192], *line;
	size_t len = strlen(key);

	snprintf(path, sizeof(path), KTEST_CGROOT "/%s/memory.stat", name);
	ktest_assert(!cg_read(path, buf, sizeof(buf)), "read %s: %s", path, strerror(errno));
	for (line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
		if (!strncmp(line, key, len) && line[len] == ' ')
			return atoll(line + len + 1);
	return -1;
}

void ktest_cgroup_remove(const char *name)
{
	char path[256];

	cg_write(KTEST_CGROOT "/cgroup.procs", "0");
	snprintf(path, sizeof(path), KTEST_CGROOT "/%s", name);
	for (int i = 0; rmdir(path) && i < 100; i++)
		usleep(20000);	/* exited members leave asynchronously */
}

void ktest_set_param(const char *param, const char *value)
{
	char path[256];

	snprintf(path, sizeof(path), "/sys/module/ksmdev/parameters/%s", param);
	cg_write(path, value);
}

/* ------------------------------------------------------------ stalls */

struct ktest_spans *ktest_spans_new(int cap)
{
	struct ktest_spans *l = mmap(NULL, sizeof(*l) + (size_t)cap * sizeof(l->s[0]),
				     PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	ktest_assert(l != MAP_FAILED, "mmap: %s", strerror(errno));
	l->cap = cap;
	return l;
}

void ktest_spans_add(struct ktest_spans *l, uint64_t start, uint64_t end)
{
	int i = __atomic_load_n(&l->n, __ATOMIC_RELAXED);

	if (i >= l->cap)
		return;		/* enough to judge by */
	l->s[i].start = start;
	l->s[i].end = end;
	__atomic_store_n(&l->n, i + 1, __ATOMIC_RELEASE);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t spans_len(const struct ktest_spans *l, int median)
{
	int n = __atomic_load_n(&l->n, __ATOMIC_ACQUIRE);
	uint64_t *len = calloc(n ? n : 1, sizeof(*len)), v;

	ktest_assert(len, "calloc");
	for (int i = 0; i < n; i++)
		len[i] = l->s[i].end - l->s[i].start;
	qsort(len, n, sizeof(*len), cmp_u64);
	v = !n ? 0 : median ? len[n / 2] : len[n - 1];
	free(len);
	return v;
}

uint64_t ktest_spans_median(const struct ktest_spans *l)
{
	return spans_len(l, 1);
}

uint64_t ktest_spans_longest(const struct ktest_spans *l)
{
	return spans_len(l, 0);
}

int ktest_spans_inside(const struct ktest_spans *outer, const struct ktest_spans *inner)
{
	int no = __atomic_load_n(&outer->n, __ATOMIC_ACQUIRE);
	int ni = __atomic_load_n(&inner->n, __ATOMIC_ACQUIRE), most = 0;

	for (int o = 0; o < no; o++) {
		int k = 0;

		for (int i = 0; i < ni; i++)
			k += inner->s[i].start >= outer->s[o].start &&
			     inner->s[i].end <= outer->s[o].end;
		most = k > most ? k : most;
	}
	return most;
}

#define KTEST_ROUNDS_MAX	2000

pid_t ktest_user_rounds_start(int devfd, uid_t uid, struct ktest_spans *rounds, int min,
			      const struct ktest_spans *staller, int min_staller)
{
	uint64_t step[4] = { 0 };
	int r, goal;
	pid_t pid;
	char *p;

	fflush(NULL);
	pid = fork();
	ktest_assert(pid >= 0, "fork: %s", strerror(errno));
	if (pid)
		return pid;
	if (setgroups(0, NULL) || setresgid(uid, uid, uid) || setresuid(uid, uid, uid))
		ktest_fail("becoming uid %u: %s", uid, strerror(errno));
	p = ktest_map(16);
	ktest_fill_pages(p, 16, 7, 1);
	goal = __atomic_load_n(&staller->n, __ATOMIC_ACQUIRE) + min_staller;
	for (r = 0; r < KTEST_ROUNDS_MAX; r++) {
		uint64_t t[5];
		struct ksm_stats st;
		int sma;

		if (r >= min && __atomic_load_n(&staller->n, __ATOMIC_ACQUIRE) >= goal)
			break;
		t[0] = ktest_now_ms();
		sma = ktest_create_area(devfd);
		t[1] = ktest_now_ms();
		ktest_must_register(sma, p, 16, NULL);
		t[2] = ktest_now_ms();
		ktest_area_stats(sma, &st);
		t[3] = ktest_now_ms();
		close(sma);
		t[4] = ktest_now_ms();
		for (int i = 0; i < 4; i++)
			if (t[i + 1] - t[i] > step[i])
				step[i] = t[i + 1] - t[i];
		ktest_spans_add(rounds, t[0], t[4]);
		usleep(10000);
	}
	ktest_info("uid %u: %d rounds of create, register, stats, close: median %llu ms, the longest %llu ms (steps at most %llu, %llu, %llu, %llu ms)",
		   uid, r, (unsigned long long)ktest_spans_median(rounds),
		   (unsigned long long)ktest_spans_longest(rounds), (unsigned long long)step[0],
		   (unsigned long long)step[1], (unsigned long long)step[2],
		   (unsigned long long)step[3]);
	exit(0);
}

void ktest_user_rounds_wait(pid_t pid)
{
	int status;

	ktest_assert(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && !WEXITSTATUS(status),
		     "the rounds failed (%#x)", status);
}

void ktest_expect_no_stall(const char *what, const struct ktest_spans *staller,
			   const struct ktest_spans *rounds)
{
	int inside = ktest_spans_inside(staller, rounds);
	uint64_t mr = ktest_spans_median(rounds), ms = ktest_spans_median(staller);

	ktest_info("%s: %d operations, median %llu ms, the longest %llu ms; %d rounds, median %llu ms, the longest %llu ms; at most %d rounds inside one operation",
		   what, staller->n, (unsigned long long)ms,
		   (unsigned long long)ktest_spans_longest(staller), rounds->n,
		   (unsigned long long)mr, (unsigned long long)ktest_spans_longest(rounds), inside);
	ktest_assert(inside >= KTEST_ROUNDS_INSIDE,
		     "%s: at most %d rounds of the other user lay inside one operation (want %d): they waited for it",
		     what, inside, KTEST_ROUNDS_INSIDE);
	ktest_assert(4 * mr <= ms,
		     "%s: the other user's median round took %llu ms, over a quarter of the median operation (%llu ms)",
		     what, (unsigned long long)mr, (unsigned long long)ms);
}

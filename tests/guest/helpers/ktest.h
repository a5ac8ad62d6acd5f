/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ktest.h - small helpers for the in-guest tests.
 *
 * Each test is one program about one behaviour; it exits 0 on success,
 * KTEST_SKIP (77) to skip, anything else on failure after printing what
 * went wrong.  Tests run as root in the guest with ksmdev.ko loaded; the
 * scanner is stopped when a test starts (tests start it as they need).
 */
#ifndef KTEST_H
#define KTEST_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <linux/ksmdev.h>

#define KTEST_SKIP 77
#define KTEST_PAGE 4096UL

#define ktest_fail(...) do {						\
	fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);		\
	fprintf(stderr, __VA_ARGS__);					\
	fputc('\n', stderr);						\
	exit(1);							\
} while (0)

#define ktest_assert(cond, ...) do {					\
	if (!(cond)) {							\
		fprintf(stderr, "assertion '%s' failed\n", #cond);	\
		ktest_fail(__VA_ARGS__);				\
	}								\
} while (0)

/**
 * ktest_expect_err() - fail unless a call is refused with one errno
 * @call: an expression returning -1 and setting errno on failure (ioctl())
 * @err: the errno it must set
 *
 * Fails, naming the call, unless @call returns exactly -1 (not another
 * negative or a positive value) with errno @err.
 */
#define ktest_expect_err(call, err) do {				\
	long _r;							\
	errno = 0;							\
	_r = (call);							\
	if (_r != -1 || errno != (err))					\
		ktest_fail("%s: returned %ld, errno %d (%s); want -1, errno %d (%s)", \
			   #call, _r, errno, strerror(errno), (err), strerror(err)); \
} while (0)

/**
 * ktest_expect_ok() - fail unless a call returns 0
 * @call: an expression returning 0 on success and setting errno on failure
 */
#define ktest_expect_ok(call) do {					\
	long _r;							\
	errno = 0;							\
	_r = (call);							\
	if (_r != 0)							\
		ktest_fail("%s: returned %ld, errno %d (%s); want 0",	\
			   #call, _r, errno, strerror(errno));		\
} while (0)

#define ktest_info(...) do { printf(__VA_ARGS__); putchar('\n'); fflush(stdout); } while (0)

/* Open /dev/ksm (O_RDWR|O_CLOEXEC) or fail the test. */
int ktest_open_dev(void);
/* KSM_CREATE_SHARED_MEMORY_AREA or fail the test; returns the SMA fd. */
int ktest_create_area(int devfd);
/* KSM_REGISTER_MEMORY_REGION; returns 0 or -errno (does not fail). */
int ktest_register(int smafd, void *addr, unsigned long npages);
/* KSM_REMOVE_MEMORY_REGION; returns 0 or -errno (does not fail). */
int ktest_remove(int smafd, void *addr);
/**
 * ktest_must_register() - register a region that the test needs
 * @smafd: the SMA to register on
 * @addr: start of the region
 * @npages: its length in pages
 * @what: names the region in the failure message ("register <what>: <error>"),
 *        or NULL ("register: <error>")
 *
 * ktest_register() for setup that must succeed: fails the test otherwise.
 */
void ktest_must_register(int smafd, void *addr, unsigned long npages, const char *what);
/* Start (run=1) or stop the scanner; fails the test on error. */
void ktest_scanner(int devfd, unsigned int pages_to_scan, unsigned int sleep_us, int run);
/* Global (KSM_GET_STATS on devfd) or area (KSM_GET_AREA_STATS on an SMA fd). */
void ktest_global_stats(int devfd, struct ksm_stats *st);
void ktest_area_stats(int smafd, struct ksm_stats *st);
/* The global pages_scanned counter. */
uint64_t ktest_pages_scanned(int devfd);
/*
 * The factor $KTEST_SLOW (default 1) by which every time limit of a test
 * is multiplied: the debug kernel runs the suite several times slower.
 */
unsigned int ktest_slow(void);
/* Wait until full_scans has grown by @n from now; fails after @timeout_s. */
void ktest_wait_scans(int devfd, unsigned int n, unsigned int timeout_s);
/**
 * ktest_scan_and_wait() - let the scanner merge what can merge
 * @devfd: /dev/ksm
 *
 * Starts the scanner at full speed (100000 pages a batch, 1 ms between
 * batches) and waits for three full scans (ktest_wait_scans(), 60 s): a
 * page merges on the second full scan to find it unchanged, so by then
 * every page that can merge has.  The scanner keeps running.
 */
void ktest_scan_and_wait(int devfd);
/* Anonymous private read/write mapping of @npages pages, no THP; fails on error. */
void *ktest_map(unsigned long npages);
/* Fill page @i of @base with a pattern that depends only on @seed. */
void ktest_fill_page(void *page, uint64_t seed);
/* 1 if page equals ktest_fill_page(seed) content, else 0. */
int ktest_check_page(const void *page, uint64_t seed);
/* Physical frame number mapping @addr via /proc/self/pagemap; 0 if none. */
uint64_t ktest_pfn(const void *addr);
/* Bits of a pagemap entry: present, and "file page or shared anon" (KSM pages of ksmdev). */
#define KTEST_PM_PRESENT	(1ULL << 63)
#define KTEST_PM_FILE		(1ULL << 61)
/* The pagemap entry of @addr in process @pid (0: this one); fails the test if unreadable. */
uint64_t ktest_pagemap(pid_t pid, const void *addr);
/* The PFN of a pagemap entry, 0 if the page is not present. */
uint64_t ktest_pagemap_pfn(uint64_t ent);
/* Sum of a field over the system: read /sys/kernel/mm/ksmdev/<name>; -1 if absent. */
long long ktest_sysfs_stat(const char *name);
/**
 * ktest_pin_page() - hold a reference to a page beyond its mapping
 * @page: the page (present)
 * @pipefd: gets the pipe that holds the reference
 *
 * vmsplice()s @page into a new pipe, which keeps a reference to it as a
 * GUP pin or O_DIRECT would, until ktest_unpin_page() drains the pipe.
 * Fails the test if the pipe or the splice cannot be made.
 */
void ktest_pin_page(const void *page, int pipefd[2]);
/**
 * ktest_unpin_page() - drain the pipe of ktest_pin_page()
 * @pipefd: the pipe ktest_pin_page() made
 *
 * Reads the page back out of the pipe, which drops the pipe's reference.
 *
 * Return: a malloc()ed copy of the page as the pipe carried it (the test
 * checks its bytes); fails the test if it cannot be read.
 */
char *ktest_unpin_page(int pipefd[2]);
/* Drop to an unprivileged user (nobody, 65534). */
void ktest_drop_privileges(void);
/**
 * ktest_cpu_has_la57() - whether the CPU has 5-level paging
 *
 * Return: 1 if /proc/cpuinfo lists the la57 flag (user space may then
 * reach beyond 47 bits of address), 0 if not or if it cannot be read.
 */
int ktest_cpu_has_la57(void);

/*
 * Additions: diagnostics and common checks.  Expected values of -1 mean
 * "don't care".
 */
#define KTEST_ANY (-1LL)

/* Print every field of @st, prefixed by @what, to stderr. */
void ktest_print_stats(const char *what, const struct ksm_stats *st);
/* Fail (printing @st) unless the four counts match the expected ones. */
void ktest_expect_stats(const char *what, const struct ksm_stats *st,
			long long shared, long long sharing, long long merged,
			long long regions);
/*
 * Poll global stats every 50 ms until pages_shared, pages_sharing and
 * regions match (-1: any); fail after @timeout_ms printing the last stats.
 */
void ktest_wait_global(int devfd, long long shared, long long sharing,
		       long long regions, unsigned int timeout_ms);
/* Fill @npages pages from @base, page i with seed @seed + i * @step. */
void ktest_fill_pages(void *base, unsigned long npages, uint64_t seed, uint64_t step);
/* Fail unless page i of @base holds seed @seed + i * @step. */
void ktest_check_pages(const char *what, const void *base, unsigned long npages,
		       uint64_t seed, uint64_t step);
/* Fail unless @npages pages from @base all map one and the same nonzero PFN; returns it. */
uint64_t ktest_expect_same_pfn(const char *what, const void *base, unsigned long npages);
/* Fail unless @npages pages from @base map pairwise distinct nonzero PFNs. */
void ktest_expect_distinct_pfns(const char *what, const void *base, unsigned long npages);
/**
 * ktest_expect_unmerged() - fail unless pages have their own frames again
 * @what: names the pages in the failure message
 * @base: the first page
 * @npages: how many pages from @base
 * @kpfn: the PFN of the KSM page they were merged into
 *
 * Each page is present on a frame of its own: the PFNs are nonzero and
 * pairwise distinct (ktest_expect_distinct_pfns()), and none is @kpfn.
 */
void ktest_expect_unmerged(const char *what, const void *base, unsigned long npages,
			   uint64_t kpfn);
/**
 * ktest_merge_identical() - a region of identical pages, merged into one
 * @devfd: /dev/ksm
 * @smafd: the SMA to register the region on
 * @base: @npages pages of ktest_map() memory
 * @npages: how many
 *
 * The common start of a test about merged memory: fills every page with
 * seed 1, registers them as one region (ktest_must_register()), lets the
 * scanner merge them (ktest_scan_and_wait()) and fails unless the global
 * stats then count one KSM page, @npages - 1 pages sharing it, @npages
 * merged and one region, and every page maps one and the same frame.  The
 * test must have no other region; the scanner keeps running.
 *
 * Return: the PFN of the KSM page.
 */
uint64_t ktest_merge_identical(int devfd, int smafd, void *base, unsigned long npages);
/**
 * ktest_expect_zero() - fail unless pages read back as zeros
 * @what: names the pages in the failure message
 * @base: the first page
 * @npages: how many pages from @base
 *
 * Reads every byte (faulting in the shared zero page where nothing is
 * mapped) and fails at the first one that is not 0.
 */
void ktest_expect_zero(const char *what, const void *base, unsigned long npages);
/*
 * Unload ksmdev (retrying while busy) and load $KTEST_KO again with the
 * module parameters @params (may be ""); waits for /dev/ksm.  The caller
 * must have closed every /dev/ksm and SMA fd first.
 */
void ktest_reload_module(const char *params);
/* Milliseconds of CLOCK_MONOTONIC. */
uint64_t ktest_now_ms(void);
/*
 * A result line: printed like ktest_info() and written to the kernel log
 * as "ksmdev-test <test>: <text>", so the figures are kept in the guest's
 * console log next to whatever the kernel said meanwhile.
 */
void ktest_summary(const char *test, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Memory cgroups (v2, mounted on /sys/fs/cgroup if it is not yet): a child
 * group @name of the root with the memory controller and memory.max
 * @max_bytes (< 0: no limit).  The test skips where the kernel has no
 * memory controller.  ktest_cgroup_enter() moves the calling process into
 * it; ktest_cgroup_remove() moves the caller back to the root and removes
 * the group (its other processes must have exited).
 */
void ktest_cgroup_make(const char *name, long long max_bytes);
void ktest_cgroup_enter(const char *name);
/* memory.current of the group, in bytes. */
long long ktest_cgroup_current(const char *name);
/* A key of the group's memory.stat (-1 if absent). */
long long ktest_cgroup_stat(const char *name, const char *key);
void ktest_cgroup_remove(const char *name);
/*
 * Stall tests.  A user's long operation (the staller's) must not stall
 * another user's rounds of what every user of the driver does.  Both log
 * their spans of time (ms of ktest_now_ms()) in shared memory; the verdict
 * counts rounds that lie wholly inside one operation - a user whose rounds
 * wait for a whole operation has none - and compares medians: counts and
 * medians, not the longest, because a busy host deschedules a vCPU for any
 * length of time now and then.
 */
struct ktest_span {
	uint64_t start, end;
};
struct ktest_spans {
	int n;			/* spans logged */
	int cap;
	struct ktest_span s[];
};
/* A log of up to @cap spans that forked children share. */
struct ktest_spans *ktest_spans_new(int cap);
/* Log a span (one process logs into a log; beyond @cap, dropped). */
void ktest_spans_add(struct ktest_spans *l, uint64_t start, uint64_t end);
uint64_t ktest_spans_median(const struct ktest_spans *l);
uint64_t ktest_spans_longest(const struct ktest_spans *l);
/* The most spans of @inner that lie wholly inside one span of @outer. */
int ktest_spans_inside(const struct ktest_spans *outer, const struct ktest_spans *inner);
/*
 * A child as @uid runs rounds of create an area, register 16 pages, read
 * its statistics, close it (10 ms apart), each logged in @rounds, until it
 * ran @min rounds and @staller logged @min_staller more operations (2000
 * rounds at most).  Return: its pid, for ktest_user_rounds_wait().
 */
pid_t ktest_user_rounds_start(int devfd, uid_t uid, struct ktest_spans *rounds, int min,
			      const struct ktest_spans *staller, int min_staller);
void ktest_user_rounds_wait(pid_t pid);
/* Rounds a staller's operation must hold whole. */
#define KTEST_ROUNDS_INSIDE	3
/*
 * The verdict: at least KTEST_ROUNDS_INSIDE rounds inside one operation of
 * @staller, and the median round at most a quarter of the median operation.
 */
void ktest_expect_no_stall(const char *what, const struct ktest_spans *staller,
			   const struct ktest_spans *rounds);

/* Write @value to /sys/module/ksmdev/parameters/@param. */
void ktest_set_param(const char *param, const char *value);

/*
 * Tenants: child processes with credentials of their own, each with one
 * area and one region of @npages pages (page i holds seed + (i % period)
 * * step, so pages i and i + period are duplicates of the tenant's own),
 * driven over pipes by the test, which stays root.
 */
struct ktest_tenant_opts {
	uid_t uid;		/* setresuid/setresgid to this (0: stay root) */
	gid_t group;		/* nonzero: the one supplementary group */
	int userns;		/* then unshare a user namespace, be 0 in it */
	uint64_t domain;	/* KSM_CREATE_AREA domain (0: the default) */
	const char *cgroup;	/* nonzero: enter this group (ktest_cgroup_make()) first */
	unsigned long npages;
	unsigned long period;	/* 0: npages */
	uint64_t seed, step;
};

struct ktest_tenant {
	pid_t pid;
	int to, from;		/* command and answer pipes */
	uintptr_t base;		/* its region, in its address space */
	unsigned long npages;
	long create_err;	/* -errno if its area could not be made */
};

/*
 * Start a tenant; @devfd (/dev/ksm, opened by root) is inherited.  If its
 * area cannot be created, t->create_err says why and the tenant waits
 * for ktest_tenant_stop() with nothing registered.
 */
void ktest_tenant_start(struct ktest_tenant *t, int devfd, const struct ktest_tenant_opts *o);
/* KSM_MERGE_NOW in the tenant: its return value, or -errno. */
long ktest_tenant_merge_now(struct ktest_tenant *t);
/* How many of the tenant's pages do not hold what they should. */
long ktest_tenant_bad_pages(struct ktest_tenant *t);
/* KSM_GET_AREA_STATS of the tenant's area, read in it. */
void ktest_tenant_stats(struct ktest_tenant *t, struct ksm_stats *st);
/* KSM_LIST_AREAS total as the tenant sees it (-errno on error). */
long ktest_tenant_visible_areas(struct ktest_tenant *t);
/* pid, uid and domain of the first area KSM_LIST_AREAS shows the tenant (all ~0: none). */
void ktest_tenant_first_area(struct ktest_tenant *t, uint32_t *pid, uint32_t *uid,
			     uint64_t *domain);
/* The tenant's pagemap entry of its page @i (read by root). */
uint64_t ktest_tenant_pagemap(struct ktest_tenant *t, unsigned long i);
/* PFN of the tenant's page @i (0 if not present). */
uint64_t ktest_tenant_pfn(struct ktest_tenant *t, unsigned long i);
/* Tell the tenant to exit; fail unless it exits 0. */
void ktest_tenant_stop(struct ktest_tenant *t);
/*
 * Two tenants made from @a and @b (their uid, group, userns, domain; the
 * pages are chosen here) are apart: each one's duplicates merge, nothing
 * of one shares a frame with the other, by the scanner (stats and PFNs
 * agree) and by KSM_MERGE_NOW (the second registers all 256 guesses of
 * the first's secret byte: only its own copy merges, as its pagemap
 * shows).  Every page's bytes are checked.
 */
void ktest_tenants_apart(int dev, const struct ktest_tenant_opts *a,
			 const struct ktest_tenant_opts *b, const char *what);

#endif

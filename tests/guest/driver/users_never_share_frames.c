// SPDX-License-Identifier: GPL-2.0-only
/*
 * Two users with the same memory, default settings: their pages never
 * share a frame, while each user's own duplicates still merge.
 *
 *  - scanner: users 1000 and 1001 each register 2N pages, pages i and
 *    i + N alike, both users alike.  After the scanner has merged what it
 *    can, each user's pairs share a frame (N KSM pages each) and no page of
 *    one user is on a frame of the other; area stats and pagemap agree.
 *  - KSM_MERGE_NOW, the attack of issue 17: user 1000 holds one page with
 *    a secret byte; user 1001 registers all 256 guesses (and a copy of its
 *    guess 0) and asks KSM_MERGE_NOW.  Only its own copy merges: the call
 *    returns 2, its stats count 2 merged pages, and in its pagemap only
 *    those two pages are KSM pages (PM_FILE), not the guess equal to the
 *    secret.
 * Every page's bytes are checked in its process at the end.
 */
#include <sys/ioctl.h>
#include "ktest.h"

#define N 16
#define SECRET 77

static void expect_apart(struct ktest_tenant *a, struct ktest_tenant *b)
{
	for (unsigned long i = 0; i < 2 * N; i++)
		for (unsigned long j = 0; j < 2 * N; j++)
			ktest_assert(ktest_tenant_pfn(a, i) != ktest_tenant_pfn(b, j),
				     "page %lu of uid 1000 and page %lu of uid 1001 share a frame", i, j);
}

static void scanner_part(int dev)
{
	struct ktest_tenant_opts o = { .uid = 1000, .npages = 2 * N, .period = N,
				       .seed = 500, .step = 1 };
	struct ktest_tenant a, b;
	struct ksm_stats st;

	ktest_tenant_start(&a, dev, &o);
	o.uid = 1001;
	ktest_tenant_start(&b, dev, &o);
	ktest_assert(!a.create_err && !b.create_err, "create: %ld %ld", a.create_err, b.create_err);
	ktest_scan_and_wait(dev);
	ktest_scanner(dev, 100, 20000, 0);

	ktest_global_stats(dev, &st);
	ktest_expect_stats("two users", &st, 2 * N, 2 * N, 4 * N, 2);
	for (struct ktest_tenant *t = &a; t; t = t == &a ? &b : NULL) {
		ktest_tenant_stats(t, &st);
		ktest_expect_stats("one user's area", &st, N, N, 2 * N, 1);
		for (unsigned long i = 0; i < N; i++)
			ktest_assert(ktest_tenant_pfn(t, i) && ktest_tenant_pfn(t, i) ==
				     ktest_tenant_pfn(t, i + N), "own pair %lu not merged", i);
	}
	expect_apart(&a, &b);
	ktest_assert(!ktest_tenant_bad_pages(&a) && !ktest_tenant_bad_pages(&b), "bytes changed");
	ktest_tenant_stop(&a);
	ktest_tenant_stop(&b);
	ktest_wait_global(dev, 0, 0, 0, 30000);
}

static void merge_now_part(int dev)
{
	struct ktest_tenant_opts o = { .uid = 1000, .npages = 1, .seed = 9000 + SECRET };
	struct ktest_tenant victim, prober;
	struct ksm_stats st;
	long merged;

	ktest_tenant_start(&victim, dev, &o);
	/* Guesses 0..255, then guess 0 again: seeds 9000 + (i % 256). */
	o = (struct ktest_tenant_opts){ .uid = 1001, .npages = 257, .period = 256,
					.seed = 9000, .step = 1 };
	ktest_tenant_start(&prober, dev, &o);
	ktest_assert(!victim.create_err && !prober.create_err, "create");

	merged = ktest_tenant_merge_now(&prober);
	ktest_assert(merged == 2, "KSM_MERGE_NOW of the prober returned %ld, want 2", merged);
	ktest_tenant_stats(&prober, &st);
	ktest_expect_stats("prober's area", &st, 1, 1, 2, 1);
	for (unsigned long i = 0; i < 257; i++) {
		int ksm = !!(ktest_tenant_pagemap(&prober, i) & KTEST_PM_FILE);

		ktest_assert(ksm == (i == 0 || i == 256),
			     "prober's page %lu (guess %lu) is%s a KSM page", i, i % 256,
			     ksm ? "" : " not");
	}
	ktest_assert(ktest_tenant_pfn(&prober, SECRET) != ktest_tenant_pfn(&victim, 0),
		     "the guess shares the secret's frame");
	ktest_assert(!(ktest_tenant_pagemap(&victim, 0) & KTEST_PM_FILE), "victim's page merged");
	ktest_tenant_stats(&victim, &st);
	ktest_expect_stats("victim's area", &st, 0, 0, 0, 1);
	ktest_assert(!ktest_tenant_bad_pages(&victim) && !ktest_tenant_bad_pages(&prober),
		     "bytes changed");
	ktest_tenant_stop(&victim);
	ktest_tenant_stop(&prober);
}

int main(void)
{
	int dev = ktest_open_dev();

	scanner_part(dev);
	merge_now_part(dev);
	return 0;
}

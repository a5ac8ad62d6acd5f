// SPDX-License-Identifier: GPL-2.0-only
/*
 * max_user_pages bounds one user's KSM pages without stopping anyone
 * else: with the limit at 128, uid 1000 asking KSM_MERGE_NOW for 256 pairs
 * gets exactly 128 KSM pages (its area says so, user_pages is 128 and
 * user_refusals counts the rest), while uid 1001 then merges all of its
 * 64 pairs.  A second flood of uid 1000 gains nothing.  Every page of both
 * keeps its bytes.
 */
#include <fcntl.h>
#include <stddef.h>
#include <unistd.h>
#include "ktest.h"

#define LIMIT	128

static void read_param(const char *name, char *buf, size_t size)
{
	char path[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/module/ksmdev/parameters/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ktest_assert(fd >= 0, "open %s: %s (no per-user limit?)", path, strerror(errno));
	n = read(fd, buf, size - 1);
	ktest_assert(n > 0, "read %s", path);
	buf[n] = 0;
	close(fd);
}

int main(void)
{
	struct ktest_tenant_opts oa = { .uid = 1000, .npages = 512, .period = 256,
					.seed = 100, .step = 1 };
	struct ktest_tenant_opts ob = { .uid = 1001, .npages = 128, .period = 64,
					.seed = 5000, .step = 1 };
	struct ktest_tenant a, b;
	struct ksm_stats sa, sb, g;
	char saved[32], lim[32];
	long r;
	int dev;

	read_param("max_user_pages", saved, sizeof(saved));
	snprintf(lim, sizeof(lim), "%d", LIMIT);
	ktest_set_param("max_user_pages", lim);
	dev = ktest_open_dev();

	ktest_tenant_start(&a, dev, &oa);
	ktest_tenant_start(&b, dev, &ob);
	r = ktest_tenant_merge_now(&a);
	ktest_tenant_stats(&a, &sa);
	ktest_info("uid 1000: KSM_MERGE_NOW %ld, pages_shared %llu, user_pages %llu", r,
		   (unsigned long long)sa.pages_shared, (unsigned long long)sa.user_pages);
	ktest_assert(sa.size >= offsetof(struct ksm_stats, charge_refusals) + 8,
		     "area stats size %u: no user_pages", sa.size);
	ktest_assert(sa.pages_shared == LIMIT, "uid 1000 holds %llu KSM pages; limit %d",
		     (unsigned long long)sa.pages_shared, LIMIT);
	ktest_assert(sa.user_pages == LIMIT, "user_pages %llu, want %d",
		     (unsigned long long)sa.user_pages, LIMIT);
	ktest_global_stats(dev, &g);
	ktest_assert(g.max_user_pages == LIMIT, "max_user_pages %llu",
		     (unsigned long long)g.max_user_pages);
	ktest_assert(g.user_refusals >= 256 - LIMIT, "user_refusals %llu, want >= %d",
		     (unsigned long long)g.user_refusals, 256 - LIMIT);

	r = ktest_tenant_merge_now(&b);
	ktest_tenant_stats(&b, &sb);
	ktest_info("uid 1001: KSM_MERGE_NOW %ld, pages_shared %llu", r,
		   (unsigned long long)sb.pages_shared);
	ktest_assert(r == 128 && sb.pages_shared == 64 && sb.user_pages == 64,
		     "uid 1001 merged %ld pages into %llu KSM pages (user_pages %llu); want 128 into 64",
		     r, (unsigned long long)sb.pages_shared, (unsigned long long)sb.user_pages);

	r = ktest_tenant_merge_now(&a);
	ktest_tenant_stats(&a, &sa);
	ktest_assert(r == 0 && sa.pages_shared == LIMIT,
		     "uid 1000's second flood: %ld more merged, %llu KSM pages", r,
		     (unsigned long long)sa.pages_shared);
	ktest_assert(ktest_tenant_bad_pages(&a) == 0, "uid 1000's pages changed");
	ktest_assert(ktest_tenant_bad_pages(&b) == 0, "uid 1001's pages changed");
	ktest_tenant_stop(&a);
	ktest_tenant_stop(&b);
	saved[strcspn(saved, "\n")] = 0;
	ktest_set_param("max_user_pages", saved);
	close(dev);
	ktest_summary("user_limit_keeps_others_merging",
		      "uid 1000 capped at %d KSM pages, uid 1001 merged 64 of 64", LIMIT);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0-only
/*
 * account.c - who pays for what the driver holds: memory cgroups and
 * per-user limits.
 *
 * Memory cgroups.  Everything a user makes the driver allocate is charged
 * to a memory cgroup, so that memory.max and the memcg OOM killer see it:
 *
 *   - allocations in the user's own context (areas, regions, mm slots,
 *     KSM_LIST_AREAS buffers) with GFP_KERNEL_ACCOUNT, to the caller's;
 *   - allocations the scanner makes for an area (tracking items, their
 *     xarray nodes) to the cgroup of the area's creator, which the area
 *     keeps a reference to (ksmdev_memcg_enter());
 *   - a KSM page, and its stable node, to the cgroup of the page whose
 *     content it first held, as in-kernel KSM keeps the charge of the page
 *     it promotes (ksmdev_kpage_alloc()).  Each merged copy is then freed
 *     and uncharged: merging N copies of a page within one cgroup lowers
 *     its memory.current by N - 1 pages.
 *
 * The scanner charges with ksmdev_lock held, so it never waits for
 * reclaim or the OOM killer of a tenant's cgroup (a user would control how
 * long everyone waits): its charges are GFP_NOWAIT, and a charge over the
 * limit fails and the page is left alone.  One exception: a KSM page
 * about to replace a page that only one PTE maps may go over memory.max
 * for the instant until that page is freed (__GFP_HIGH), since the merge
 * lowers the cgroup's usage by a page; without it a cgroup at its limit,
 * where merging helps most, could never merge.
 *
 * Per-user limits.  A struct ksmdev_user per user (effective kuid as the
 * initial user namespace sees it: a user namespace does not make a new
 * user, so nobody multiplies their limits by making namespaces) counts
 * the KSM pages charged to it, from allocation until the page is freed,
 * whoever maps it by then (tables.c keeps untracked KSM pages counted),
 * and its registered regions.  max_user_pages and max_user_regions bound
 * them; max_kernel_pages bounds all users' KSM pages together.
 *
 * Locking: ksmdev_user_lock (mutex) protects the hash table of users and
 * every user's refcount; it is a leaf.  The counters are atomic, checked
 * and raised in one step, so a limit holds without any other lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cred.h>
#include <linux/gfp.h>
#include <linux/hashtable.h>
#include <linux/highmem.h>
#include <linux/memcontrol.h>
#include <linux/moduleparam.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include "ksmdev.h"
#include "compat.h"

unsigned int ksmdev_max_kernel_pages;
module_param_named(max_kernel_pages, ksmdev_max_kernel_pages, uint, 0444);
MODULE_PARM_DESC(max_kernel_pages,
		 "cap on KSM pages, which cannot be swapped (default 0 = a quarter of RAM)");

unsigned int ksmdev_max_user_pages;
module_param_named(max_user_pages, ksmdev_max_user_pages, uint, 0644);
MODULE_PARM_DESC(max_user_pages,
		 "KSM pages one user may hold (default 0 at load = a quarter of max_kernel_pages)");

unsigned int ksmdev_max_user_regions = 65536;
module_param_named(max_user_regions, ksmdev_max_user_regions, uint, 0644);
MODULE_PARM_DESC(max_user_regions, "regions one user may register (default 65536)");

atomic_long_t ksmdev_kernel_pages;	/* KSM pages allocated, not yet freed */
atomic_long_t ksmdev_cap_refusals;	/* refused by max_kernel_pages */
atomic_long_t ksmdev_user_refusals;	/* refused by max_user_pages */
atomic_long_t ksmdev_charge_refusals;	/* refused by a memory cgroup */

static DEFINE_MUTEX(ksmdev_user_lock);
static DEFINE_HASHTABLE(ksmdev_users, 8);

/**
 * ksmdev_user_get - the account of the caller's user, made if new
 *
 * Return: the account with a reference for the caller, or NULL out of
 * memory.
 */
struct ksmdev_user *ksmdev_user_get(void)
{
	kuid_t uid = current_euid();
	u32 key = __kuid_val(uid);
	struct ksmdev_user *u;

	mutex_lock(&ksmdev_user_lock);
	hash_for_each_possible(ksmdev_users, u, hnode, key)
		if (uid_eq(u->uid, uid))
			goto found;
	u = kzalloc(sizeof(*u), GFP_KERNEL_ACCOUNT);
	if (!u)
		goto out;
	u->uid = uid;
	hash_add(ksmdev_users, &u->hnode, key);
found:
	u->refs++;
out:
	mutex_unlock(&ksmdev_user_lock);
	return u;
}

/**
 * ksmdev_user_hold - one more reference to an account
 * @u: the account, referenced by the caller
 */
void ksmdev_user_hold(struct ksmdev_user *u)
{
	mutex_lock(&ksmdev_user_lock);
	u->refs++;
	mutex_unlock(&ksmdev_user_lock);
}

/**
 * ksmdev_user_put - drop a reference to an account
 * @u: the account; freed with its last reference, when it holds nothing
 */
void ksmdev_user_put(struct ksmdev_user *u)
{
	mutex_lock(&ksmdev_user_lock);
	if (--u->refs) {
		u = NULL;
	} else {
		WARN_ON(atomic_long_read(&u->kpages) || atomic_long_read(&u->regions));
		hash_del(&u->hnode);
	}
	mutex_unlock(&ksmdev_user_lock);
	kfree(u);
}

/* Raise @count by one unless it is at @limit. */
static bool ksmdev_count_within(atomic_long_t *count, unsigned long limit)
{
	long v = atomic_long_read(count);

	do {
		if (v >= (long)limit)
			return false;
	} while (!atomic_long_try_cmpxchg(count, &v, v + 1));
	return true;
}

/**
 * ksmdev_user_add_region - count a new region of a user
 * @u: the user's account
 *
 * Return: 0, or -ENOSPC if the user has max_user_regions regions.
 */
int ksmdev_user_add_region(struct ksmdev_user *u)
{
	return ksmdev_count_within(&u->regions, READ_ONCE(ksmdev_max_user_regions)) ?
	       0 : -ENOSPC;
}

/**
 * ksmdev_user_del_region - a region of a user is gone
 * @u: the user's account
 */
void ksmdev_user_del_region(struct ksmdev_user *u)
{
	atomic_long_dec(&u->regions);
}

/**
 * ksmdev_user_limit_reached - may @u get no more KSM pages?
 * @u: the user's account
 *
 * Return: whether the user holds max_user_pages KSM pages, or all users
 * together max_kernel_pages: the cheap test before anything is allocated.
 */
bool ksmdev_user_limit_reached(struct ksmdev_user *u)
{
	return atomic_long_read(&u->kpages) >= READ_ONCE(ksmdev_max_user_pages) ||
	       atomic_long_read(&ksmdev_kernel_pages) >= ksmdev_max_kernel_pages;
}

/**
 * ksmdev_memcg_of_current - the memory cgroup of the calling task's mm
 *
 * Return: it, with a reference for ksmdev_memcg_put(); NULL without
 * memory cgroups.
 */
struct mem_cgroup *ksmdev_memcg_of_current(void)
{
	return get_mem_cgroup_from_mm(current->mm);
}

/**
 * ksmdev_memcg_put - drop a reference from ksmdev_memcg_of_current()
 * @memcg: the cgroup, or NULL
 */
void ksmdev_memcg_put(struct mem_cgroup *memcg)
{
	mem_cgroup_put(memcg);
}

/**
 * ksmdev_memcg_enter - charge __GFP_ACCOUNT allocations to @memcg
 * @memcg: the cgroup (referenced by the caller), or NULL for the caller's own
 *
 * Return: the previous scope, for ksmdev_memcg_leave().
 */
struct mem_cgroup *ksmdev_memcg_enter(struct mem_cgroup *memcg)
{
	return set_active_memcg(memcg);
}

/**
 * ksmdev_memcg_leave - end the scope of ksmdev_memcg_enter()
 * @old: what it returned
 */
void ksmdev_memcg_leave(struct mem_cgroup *old)
{
	set_active_memcg(old);
}

/* The cgroup @page is charged to, with a reference; NULL if none. */
static struct mem_cgroup *ksmdev_memcg_of_page(struct page *page)
{
#ifdef CONFIG_MEMCG
	struct mem_cgroup *memcg;

	if (mem_cgroup_disabled())
		return NULL;
	rcu_read_lock();
	memcg = folio_memcg(page_folio(page));
	if (memcg && !css_tryget(&memcg->css))
		memcg = NULL;
	rcu_read_unlock();
	return memcg;
#else
	return NULL;
#endif
}

/**
 * ksmdev_kpage_alloc - a new KSM page holding a copy of @page, paid for
 * @u: the account of @page's area
 * @page: the page whose content the KSM page will hold (not locked)
 * @memcgp: out: the cgroup charged, referenced, for the stable node's own
 *          allocation (ksmdev_memcg_put() it); NULL if none
 *
 * Counts the page against @u and max_kernel_pages, and charges it to
 * @page's memory cgroup (see the header comment for the gfp rules).
 * Undone when the page is freed: ksmdev_kpage_release().
 *
 * Return: the page, filled, with one reference; or ERR_PTR() of -EDQUOT
 * (max_user_pages), -ENOSPC (max_kernel_pages) or -ENOMEM (the cgroup or
 * the page allocator), each refusal counted.
 */
struct page *ksmdev_kpage_alloc(struct ksmdev_user *u, struct page *page,
				struct mem_cgroup **memcgp)
{
	gfp_t charge = GFP_NOWAIT | __GFP_NOWARN;
	struct mem_cgroup *memcg, *old;
	struct page *kpage;
	int err;

	*memcgp = NULL;
	if (!ksmdev_count_within(&ksmdev_kernel_pages, ksmdev_max_kernel_pages)) {
		atomic_long_inc(&ksmdev_cap_refusals);
		return ERR_PTR(-ENOSPC);
	}
	err = -EDQUOT;
	if (!ksmdev_count_within(&u->kpages, READ_ONCE(ksmdev_max_user_pages))) {
		atomic_long_inc(&ksmdev_user_refusals);
		goto out_global;
	}
	err = -ENOMEM;
	kpage = alloc_page(GFP_HIGHUSER | __GFP_NOWARN);
	if (!kpage)
		goto out_user;
	memcg = ksmdev_memcg_of_page(page);
	if (memcg) {
		/* Replacing a page one PTE maps frees it: a net saving. */
		if (ksmdev_page_mapcount(page) == 1)
			charge |= __GFP_HIGH;
		old = ksmdev_memcg_enter(memcg);
		if (ksmdev_charge_remote(kpage, charge)) {
			ksmdev_memcg_leave(old);
			ksmdev_memcg_put(memcg);
			atomic_long_inc(&ksmdev_charge_refusals);
			put_page(kpage);
			goto out_user;
		}
		ksmdev_memcg_leave(old);
	}
	copy_highpage(kpage, page);
	*memcgp = memcg;
	return kpage;

out_user:
	atomic_long_dec(&u->kpages);
out_global:
	atomic_long_dec(&ksmdev_kernel_pages);
	return ERR_PTR(err);
}

/**
 * ksmdev_kpage_release - free a KSM page nobody maps any more
 * @u: the account that ksmdev_kpage_alloc() counted it against
 * @kpage: the page, whose only reference is the caller's
 *
 * Its cgroup charge goes with the page.
 */
void ksmdev_kpage_release(struct ksmdev_user *u, struct page *kpage)
{
	put_page(kpage);
	atomic_long_dec(&ksmdev_kernel_pages);
	atomic_long_dec(&u->kpages);
}

/**
 * ksmdev_account_init - settle the default limits
 */
void ksmdev_account_init(void)
{
	if (!ksmdev_max_kernel_pages)
		ksmdev_max_kernel_pages = min_t(unsigned long, totalram_pages() / 4, UINT_MAX);
	if (!ksmdev_max_user_pages)
		ksmdev_max_user_pages = max(ksmdev_max_kernel_pages / 4, 1U);
}

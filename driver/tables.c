// SPDX-License-Identifier: GPL-2.0-only
/*
 * tables.c - the driver-wide lock and counters, the stable and unstable
 * tables, and the life of a KSM page.
 *
 * Both tables are hash tables keyed by checksum (xxh64 of the page) and
 * merge domain; an entry is only ever a candidate, equality is decided by
 * merge.c comparing whole pages.
 *
 *   The stable table holds one struct ksmdev_stable per KSM page.  A KSM page
 *   never changes (every mapping of it is read-only), so its checksum is
 *   exact.  The table grows with the number of KSM pages, at the start of
 *   a pass (ksmdev_stable_resize()).
 *
 *   The unstable table holds the items seen in this pass that are merge
 *   candidates.  It is emptied, and sized for the number of tracked items,
 *   at the start of every pass (ksmdev_unstable_reset()), as mm/ksm.c does
 *   with its unstable tree, so stale candidates never accumulate.
 *
 * A KSM page is born with ksmdev_stable_new() when two pages merge into it,
 * collects the items mapping it with ksmdev_stable_attach(), and loses them
 * with ksmdev_stable_detach().  The first item on a node's list counts the
 * page in its area's pages_shared, so summing over areas gives the global
 * count.  A node without items is an orphan: its page may still be mapped
 * where we track nothing (a forked child, memory moved out of a region by
 * mremap, a region whose unmerge failed).  It stays in the stable table,
 * so such mappings can be adopted again and new copies can merge into it,
 * and on ksmdev_orphans, holding our reference: the page stays counted
 * against max_kernel_pages and its user's max_user_pages (account.c)
 * until ksmdev_orphans_reap() finds that reference the only one left and
 * frees it.  A user cannot keep KSM pages beyond the limits by moving them
 * out of our sight.
 *
 * ksmdev_recent is the KSM page merged into last: merge.c tries it before
 * anything is checksummed.  It is cleared here when its node goes.
 *
 * Locking: ksmdev_lock (defined here, see ksmdev.h) protects everything in
 * this file; counters are also read without it, word by word (stats.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hash.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include "ksmdev.h"

#define KSMDEV_TABLE_MIN_BITS	10
#define KSMDEV_TABLE_MAX_BITS	22

DEFINE_MUTEX(ksmdev_lock);
struct ksmdev_counters ksmdev_global;
unsigned long ksmdev_full_scans;

static struct kmem_cache *ksmdev_stable_cache;
unsigned long ksmdev_nr_items;
static unsigned long ksmdev_nr_stable;
static LIST_HEAD(ksmdev_orphans);
unsigned long ksmdev_nr_orphans;
static unsigned long ksmdev_orphans_reaped_at;
unsigned int ksmdev_seq;

struct ksmdev_table {
	struct hlist_head *buckets;
	unsigned int bits;
};

static struct ksmdev_table ksmdev_stable_table;
static struct ksmdev_table ksmdev_unstable_table;

/* ------------------------------------------------------------ counters */

static void ksmdev_item_count(struct ksmdev_item *item, int delta)
{
	struct ksmdev_counters *a = &item->region->area->stats;

	switch (item->state) {
	case KSMDEV_ITEM_UNSTABLE:
		ksmdev_global.pages_unshared += delta;
		a->pages_unshared += delta;
		break;
	case KSMDEV_ITEM_VOLATILE:
		ksmdev_global.pages_volatile += delta;
		a->pages_volatile += delta;
		break;
	case KSMDEV_ITEM_STABLE:
		ksmdev_global.pages_merged += delta;
		a->pages_merged += delta;
		break;
	}
}

/**
 * ksmdev_item_set_state - move an item to another state, counting it
 * @item: the item
 * @state: its new state
 *
 * The global and area counters of pages unshared, volatile and merged
 * follow the item's state.
 */
void ksmdev_item_set_state(struct ksmdev_item *item, enum ksmdev_item_state state)
{
	ksmdev_item_count(item, -1);
	item->state = state;
	ksmdev_item_count(item, 1);
}

/* ------------------------------------------------------------ tables */

/* Tables are keyed by checksum and merge domain. */
static struct hlist_head *ksmdev_bucket(struct ksmdev_table *t, u64 sum, u64 domain)
{
	return &t->buckets[hash_64(sum ^ (domain * GOLDEN_RATIO_64), t->bits)];
}

static int ksmdev_table_alloc(struct ksmdev_table *t, unsigned int bits)
{
	struct hlist_head *b = kvmalloc_array(1UL << bits, sizeof(*b),
					      GFP_KERNEL | __GFP_NOWARN);
	unsigned long i;

	if (!b)
		return -ENOMEM;
	for (i = 0; i < (1UL << bits); i++)
		INIT_HLIST_HEAD(&b[i]);
	t->buckets = b;
	t->bits = bits;
	return 0;
}

static unsigned int ksmdev_table_bits(unsigned long entries)
{
	unsigned int bits = entries > 1 ? ilog2(entries - 1) + 1 : 0;

	return clamp_t(unsigned int, bits, KSMDEV_TABLE_MIN_BITS, KSMDEV_TABLE_MAX_BITS);
}

/**
 * ksmdev_unstable_unhash - take an item out of the unstable table, if in it
 * @item: the item
 */
void ksmdev_unstable_unhash(struct ksmdev_item *item)
{
	if (item->hashed) {
		hlist_del(&item->unode);
		item->hashed = false;
	}
}

/**
 * ksmdev_unstable_insert - make an item a candidate of this pass
 * @item: the item, under its current checksum; not in the table
 * @pfn: the frame of its page now
 */
void ksmdev_unstable_insert(struct ksmdev_item *item, unsigned long pfn)
{
	item->pfn = pfn;
	hlist_add_head(&item->unode, ksmdev_bucket(&ksmdev_unstable_table, item->checksum,
						   ksmdev_item_domain(item)));
	item->hashed = true;
	item->seq = ksmdev_seq;
	ksmdev_item_set_state(item, KSMDEV_ITEM_UNSTABLE);
}

/**
 * ksmdev_unstable_reset - empty the unstable table for a new pass
 *
 * It is sized for the number of items tracked now; if that allocation
 * fails the old buckets stay.
 */
void ksmdev_unstable_reset(void)
{
	struct ksmdev_table *t = &ksmdev_unstable_table;
	unsigned int bits = ksmdev_table_bits(ksmdev_nr_items);
	unsigned long i;

	for (i = 0; i < (1UL << t->bits); i++) {
		struct hlist_node *tmp;
		struct ksmdev_item *item;

		hlist_for_each_entry_safe(item, tmp, &t->buckets[i], unode) {
			hlist_del(&item->unode);
			item->hashed = false;
		}
	}
	if (bits != t->bits) {
		struct ksmdev_table old = *t;

		if (!ksmdev_table_alloc(t, bits))
			kvfree(old.buckets);
	}
}

/**
 * ksmdev_stable_resize - grow the stable table when it gets crowded
 *
 * Called at the start of a pass; if the allocation fails the table keeps
 * its size.
 */
void ksmdev_stable_resize(void)
{
	struct ksmdev_table *t = &ksmdev_stable_table, old = *t;
	unsigned int bits = ksmdev_table_bits(ksmdev_nr_stable);
	unsigned long i;

	if (bits <= t->bits || ksmdev_table_alloc(t, bits))
		return;
	for (i = 0; i < (1UL << old.bits); i++) {
		struct ksmdev_stable *node;
		struct hlist_node *tmp;

		hlist_for_each_entry_safe(node, tmp, &old.buckets[i], hnode) {
			hlist_del(&node->hnode);
			hlist_add_head(&node->hnode,
				       ksmdev_bucket(t, node->checksum, node->domain));
		}
	}
	kvfree(old.buckets);
}

/**
 * ksmdev_stable_find_kpage - the stable node of a KSM page
 * @sum: the page's checksum
 * @domain: the merge domain asked about
 * @kpage: the page, found mapped (a fork or mremap of one of ours)
 *
 * Return: the node, or NULL if @kpage is not ours in @domain.
 */
struct ksmdev_stable *ksmdev_stable_find_kpage(u64 sum, u64 domain,
					       struct page *kpage)
{
	struct ksmdev_stable *node;

	hlist_for_each_entry(node, ksmdev_bucket(&ksmdev_stable_table, sum, domain), hnode)
		if (node->kpage == kpage && node->domain == domain)
			return node;
	return NULL;
}

/**
 * ksmdev_stable_new - a stable node for a new KSM page
 * @kpage: the KSM page, from ksmdev_kpage_alloc(); the node takes over the
 *         caller's reference
 * @sum: its checksum (of what it holds: it never changes)
 * @domain: its merge domain
 * @user: the account @kpage is counted against; the node holds it
 *
 * Allocated in the caller's memcg scope (the KSM page's cgroup).
 *
 * Return: the node, an orphan with no items yet, in the stable table; NULL
 * if out of memory.
 */
struct ksmdev_stable *ksmdev_stable_new(struct page *kpage, u64 sum, u64 domain,
					struct ksmdev_user *user)
{
	struct ksmdev_stable *node;

	lockdep_assert_held(&ksmdev_lock);
	node = kmem_cache_zalloc(ksmdev_stable_cache, GFP_NOWAIT | __GFP_ACCOUNT | __GFP_NOWARN);
	if (!node)
		return NULL;
	node->kpage = kpage;
	node->checksum = sum;
	node->domain = domain;
	node->user = user;
	ksmdev_user_hold(user);
	INIT_LIST_HEAD(&node->items);
	list_add_tail(&node->olink, &ksmdev_orphans);
	ksmdev_nr_orphans++;
	hlist_add_head(&node->hnode, ksmdev_bucket(&ksmdev_stable_table, sum, domain));
	ksmdev_nr_stable++;
	return node;
}

/*
 * The KSM page the scanner merged into last: runs of identical pages
 * (zeroed or pre-filled buffers) are compared with it before anything is
 * checksummed.  Cleared when that node goes.
 *
 * ksmdev_recent_run: the last page merged into it and nothing has failed a
 * compare with it since: the next page is probably one more copy, and
 * sampled words are enough to try the merge, which compares the whole page
 * once nobody can write it.  A page that then differs ends the run, so the
 * next one is compared whole before its PTE is touched.
 */
struct ksmdev_stable *ksmdev_recent;
bool ksmdev_recent_run;

/**
 * ksmdev_recent_set - @node just got a merge: the scanner's first guess for
 * the next page
 * @node: the stable node
 */
void ksmdev_recent_set(struct ksmdev_stable *node)
{
	ksmdev_recent = node;
	ksmdev_recent_run = true;
}

/* Free an orphan and its KSM page, which nothing else references. */
static void ksmdev_stable_destroy(struct ksmdev_stable *node)
{
	struct ksmdev_user *user = node->user;

	if (ksmdev_recent == node) {
		ksmdev_recent = NULL;
		ksmdev_recent_run = false;
	}
	hlist_del(&node->hnode);
	list_del(&node->olink);
	ksmdev_nr_orphans--;
	ksmdev_nr_stable--;
	ksmdev_kpage_release(user, node->kpage);
	kmem_cache_free(ksmdev_stable_cache, node);
	ksmdev_user_put(user);
}

/* Is the only reference to an orphan's page ours? */
static bool ksmdev_orphan_unused(struct ksmdev_stable *node)
{
	return page_ref_count(node->kpage) == 1;
}

/**
 * ksmdev_stable_free - release a node that has no items (an orphan)
 * @node: the node
 *
 * Freed with its page now if nothing maps the page; else it stays an
 * orphan, counted until ksmdev_orphans_reap() frees it.
 */
void ksmdev_stable_free(struct ksmdev_stable *node)
{
	lockdep_assert_held(&ksmdev_lock);
	WARN_ON(node->nr_items);
	if (ksmdev_orphan_unused(node))
		ksmdev_stable_destroy(node);
}

/**
 * ksmdev_orphans_reap - free the orphans whose pages nobody maps any more
 * @soon: a limit refused a KSM page: reap unless it was done this second
 *
 * Called at the start of every pass, and when a limit is reached.  Costs a
 * look at each orphan, and orphans are bounded by max_kernel_pages.
 *
 * Return: how many were freed.
 */
unsigned long ksmdev_orphans_reap(bool soon)
{
	struct ksmdev_stable *node, *tmp;
	unsigned long freed = 0;

	lockdep_assert_held(&ksmdev_lock);
	if (soon && time_before(jiffies, ksmdev_orphans_reaped_at + HZ))
		return 0;
	ksmdev_orphans_reaped_at = jiffies;
	list_for_each_entry_safe(node, tmp, &ksmdev_orphans, olink) {
		if (ksmdev_orphan_unused(node)) {
			ksmdev_stable_destroy(node);
			freed++;
		}
	}
	return freed;
}

/**
 * ksmdev_stable_attach - record that an item maps a KSM page now
 * @node: the KSM page's node
 * @item: the item, out of the unstable table afterwards
 *
 * The first item of a node counts the page in its area's pages_shared.
 */
void ksmdev_stable_attach(struct ksmdev_stable *node, struct ksmdev_item *item)
{
	lockdep_assert_held(&ksmdev_lock);
	ksmdev_unstable_unhash(item);
	if (list_empty(&node->items)) {
		item->region->area->stats.pages_shared++;
		ksmdev_global.pages_shared++;
		list_del(&node->olink);		/* adopted: no orphan now */
		ksmdev_nr_orphans--;
	}
	list_add_tail(&item->slink, &node->items);
	node->nr_items++;
	item->stable = node;
	ksmdev_item_set_state(item, KSMDEV_ITEM_STABLE);
}

/**
 * ksmdev_stable_detach - record that an item no longer maps its KSM page
 * @item: the item (a new one again)
 *
 * The page's pages_shared moves to the area of the next item; with its last
 * item the node becomes an orphan, freed with its page if nothing maps it.
 */
void ksmdev_stable_detach(struct ksmdev_item *item)
{
	struct ksmdev_stable *node = item->stable;
	bool owner = list_first_entry(&node->items, struct ksmdev_item, slink) == item;

	list_del(&item->slink);
	node->nr_items--;
	item->stable = NULL;
	ksmdev_item_set_state(item, KSMDEV_ITEM_NEW);
	if (owner) {
		item->region->area->stats.pages_shared--;
		if (!list_empty(&node->items))
			list_first_entry(&node->items, struct ksmdev_item, slink)
				->region->area->stats.pages_shared++;
	}
	if (!node->nr_items) {
		ksmdev_global.pages_shared--;
		list_add_tail(&node->olink, &ksmdev_orphans);
		ksmdev_nr_orphans++;
		ksmdev_stable_free(node);
	}
}

/**
 * ksmdev_stable_bucket - the stable table's bucket for a checksum
 * @sum: the checksum
 * @domain: the merge domain
 *
 * Return: the bucket; its nodes still need their checksum and domain
 * compared.
 */
struct hlist_head *ksmdev_stable_bucket(u64 sum, u64 domain)
{
	return ksmdev_bucket(&ksmdev_stable_table, sum, domain);
}

/**
 * ksmdev_unstable_bucket - the unstable table's bucket for a checksum
 * @sum: the checksum
 * @domain: the merge domain
 *
 * Return: the bucket; its items still need their checksum and domain
 * compared.
 */
struct hlist_head *ksmdev_unstable_bucket(u64 sum, u64 domain)
{
	return ksmdev_bucket(&ksmdev_unstable_table, sum, domain);
}

/**
 * ksmdev_unstable_has_candidate - is there a candidate with an item's checksum?
 * @item: the item, under its current checksum
 * @pfn: the frame of its page now
 * @only_mm: look only at candidates of this mm (KSM_MERGE_NOW), or NULL
 * @same: out: whether a candidate was that very frame (a page shared
 *        through fork, found through another mapping of it)
 *
 * Return: whether another item of its domain with that checksum, on
 * another frame, is in the unstable table.
 */
bool ksmdev_unstable_has_candidate(struct ksmdev_item *item, unsigned long pfn,
				   struct mm_struct *only_mm, bool *same)
{
	u64 domain = ksmdev_item_domain(item);
	struct ksmdev_item *cand;
	bool other = false;

	*same = false;
	hlist_for_each_entry(cand, ksmdev_bucket(&ksmdev_unstable_table, item->checksum, domain),
			     unode) {
		if (cand == item || cand->checksum != item->checksum ||
		    ksmdev_item_domain(cand) != domain ||
		    (only_mm && cand->region->slot->mn.mm != only_mm))
			continue;
		if (cand->pfn == pfn)
			*same = true;
		else
			other = true;
		if (other && *same)
			break;
	}
	return other;
}

/**
 * ksmdev_tables_init - allocate both tables and the stable nodes' cache
 *
 * Return: 0 or -ENOMEM.
 */
int ksmdev_tables_init(void)
{
	ksmdev_stable_cache = KMEM_CACHE(ksmdev_stable, SLAB_ACCOUNT);
	if (!ksmdev_stable_cache)
		goto fail;
	if (ksmdev_table_alloc(&ksmdev_stable_table, KSMDEV_TABLE_MIN_BITS))
		goto fail;
	if (ksmdev_table_alloc(&ksmdev_unstable_table, KSMDEV_TABLE_MIN_BITS))
		goto fail;
	return 0;
fail:
	kvfree(ksmdev_stable_table.buckets);
	kmem_cache_destroy(ksmdev_stable_cache);
	return -ENOMEM;
}

/**
 * ksmdev_tables_exit - free the tables (no item or KSM page left)
 */
void ksmdev_tables_exit(void)
{
	struct ksmdev_stable *node, *tmp;

	/*
	 * Orphans still mapped somewhere keep their pages (and cgroup
	 * charges) through those mappings; they are no longer ours to count.
	 */
	mutex_lock(&ksmdev_lock);
	list_for_each_entry_safe(node, tmp, &ksmdev_orphans, olink)
		ksmdev_stable_destroy(node);
	mutex_unlock(&ksmdev_lock);
	WARN_ON(ksmdev_nr_items || ksmdev_nr_stable);
	kvfree(ksmdev_unstable_table.buckets);
	kvfree(ksmdev_stable_table.buckets);
	kmem_cache_destroy(ksmdev_stable_cache);
}

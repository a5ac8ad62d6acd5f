// SPDX-License-Identifier: GPL-2.0-only
/*
 * tables.c - the driver-wide lock and counters, the stable and unstable
 * tables, and the life of a KSM page.
 *
 * Both tables are hash tables keyed by checksum (xxh64 of the page) and
 * merge domain; an entry is only ever a candidate, equality is decided by
 * merge.c comparing whole pages.
 *
 *   The stable table holds one struct ksm_stable per KSM page.  A KSM page
 *   never changes (every mapping of it is read-only), so its checksum is
 *   exact.  The table grows with the number of KSM pages, at the start of
 *   a pass (ksm_stable_resize()).
 *
 *   The unstable table holds the items seen in this pass that are merge
 *   candidates.  It is emptied, and sized for the number of tracked items,
 *   at the start of every pass (ksm_unstable_reset()), as mm/ksm.c does
 *   with its unstable tree, so stale candidates never accumulate.
 *
 * A KSM page is born with ksm_stable_new() when two pages merge into it,
 * collects the items mapping it with ksm_stable_attach(), and is released
 * by ksm_stable_detach() of its last item: we drop our reference, and
 * mappings we do not track (a forked child) keep the page alive through
 * theirs.  The first item on a node's list counts the page in its area's
 * pages_shared, so summing over areas gives the global count.
 *
 * ksm_recent is the KSM page merged into last: merge.c tries it before
 * anything is checksummed.  It is cleared here when its node goes.
 *
 * Locking: ksm_lock (defined here, see ksmdev.h) protects everything in
 * this file; counters are also read without it, word by word (stats.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hash.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include "ksmdev.h"

#define KSM_TABLE_MIN_BITS	10
#define KSM_TABLE_MAX_BITS	22

DEFINE_MUTEX(ksm_lock);
struct ksm_counters ksm_global;
unsigned long ksm_full_scans;

static struct kmem_cache *ksm_stable_cache;
unsigned long ksm_nr_items;
static unsigned long ksm_nr_stable;
unsigned int ksm_seq;

struct ksm_table {
	struct hlist_head *buckets;
	unsigned int bits;
};

static struct ksm_table ksm_stable_table;
static struct ksm_table ksm_unstable_table;

/* ------------------------------------------------------------ counters */

static void ksm_item_count(struct ksm_item *item, int delta)
{
	struct ksm_counters *a = &item->region->area->stats;

	switch (item->state) {
	case KSM_ITEM_UNSTABLE:
		ksm_global.pages_unshared += delta;
		a->pages_unshared += delta;
		break;
	case KSM_ITEM_VOLATILE:
		ksm_global.pages_volatile += delta;
		a->pages_volatile += delta;
		break;
	case KSM_ITEM_STABLE:
		ksm_global.pages_merged += delta;
		a->pages_merged += delta;
		break;
	}
}

void ksm_item_set_state(struct ksm_item *item, enum ksm_item_state state)
{
	ksm_item_count(item, -1);
	item->state = state;
	ksm_item_count(item, 1);
}

/* ------------------------------------------------------------ tables */

/* Tables are keyed by checksum and merge domain. */
static struct hlist_head *ksm_bucket(struct ksm_table *t, u64 sum, u64 domain)
{
	return &t->buckets[hash_64(sum ^ (domain * GOLDEN_RATIO_64), t->bits)];
}

static int ksm_table_alloc(struct ksm_table *t, unsigned int bits)
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

static unsigned int ksm_table_bits(unsigned long entries)
{
	unsigned int bits = entries > 1 ? ilog2(entries - 1) + 1 : 0;

	return clamp_t(unsigned int, bits, KSM_TABLE_MIN_BITS, KSM_TABLE_MAX_BITS);
}

void ksm_unstable_unhash(struct ksm_item *item)
{
	if (item->hashed) {
		hlist_del(&item->unode);
		item->hashed = false;
	}
}

void ksm_unstable_insert(struct ksm_item *item)
{
	hlist_add_head(&item->unode, ksm_bucket(&ksm_unstable_table, item->checksum,
						ksm_item_domain(item)));
	item->hashed = true;
	item->seq = ksm_seq;
	ksm_item_set_state(item, KSM_ITEM_UNSTABLE);
}

/* Empty the unstable table and size it for the coming pass. */
void ksm_unstable_reset(void)
{
	struct ksm_table *t = &ksm_unstable_table;
	unsigned int bits = ksm_table_bits(ksm_nr_items);
	unsigned long i;

	for (i = 0; i < (1UL << t->bits); i++) {
		struct hlist_node *tmp;
		struct ksm_item *item;

		hlist_for_each_entry_safe(item, tmp, &t->buckets[i], unode) {
			hlist_del(&item->unode);
			item->hashed = false;
		}
	}
	if (bits != t->bits) {
		struct ksm_table old = *t;

		if (!ksm_table_alloc(t, bits))
			kvfree(old.buckets);
	}
}

/* Grow the stable table when it gets crowded. */
void ksm_stable_resize(void)
{
	struct ksm_table *t = &ksm_stable_table, old = *t;
	unsigned int bits = ksm_table_bits(ksm_nr_stable);
	unsigned long i;

	if (bits <= t->bits || ksm_table_alloc(t, bits))
		return;
	for (i = 0; i < (1UL << old.bits); i++) {
		struct ksm_stable *node;
		struct hlist_node *tmp;

		hlist_for_each_entry_safe(node, tmp, &old.buckets[i], hnode) {
			hlist_del(&node->hnode);
			hlist_add_head(&node->hnode,
				       ksm_bucket(t, node->checksum, node->domain));
		}
	}
	kvfree(old.buckets);
}

struct ksm_stable *ksm_stable_find_kpage(u64 sum, u64 domain,
					      struct page *kpage)
{
	struct ksm_stable *node;

	hlist_for_each_entry(node, ksm_bucket(&ksm_stable_table, sum, domain), hnode)
		if (node->kpage == kpage && node->domain == domain)
			return node;
	return NULL;
}

struct ksm_stable *ksm_stable_new(struct page *kpage, u64 sum, u64 domain)
{
	struct ksm_stable *node = kmem_cache_zalloc(ksm_stable_cache, GFP_KERNEL);

	if (!node)
		return NULL;
	node->kpage = kpage;
	node->checksum = sum;
	node->domain = domain;
	INIT_LIST_HEAD(&node->items);
	hlist_add_head(&node->hnode, ksm_bucket(&ksm_stable_table, sum, domain));
	ksm_nr_stable++;
	ksm_global.pages_shared++;
	return node;
}

/*
 * The KSM page the scanner merged into last: runs of identical pages
 * (zeroed or pre-filled buffers) are compared with it before anything is
 * checksummed.  Cleared when that node goes.
 *
 * ksm_recent_run: the last page merged into it and nothing has failed a
 * compare with it since: the next page is probably one more copy, and
 * sampled words are enough to try the merge, which compares the whole page
 * once nobody can write it.  A page that then differs ends the run, so the
 * next one is compared whole before its PTE is touched.
 */
struct ksm_stable *ksm_recent;
bool ksm_recent_run;

/* @node just got a merge: the scanner's first guess for the next page. */
void ksm_recent_set(struct ksm_stable *node)
{
	ksm_recent = node;
	ksm_recent_run = true;
}

void ksm_stable_free(struct ksm_stable *node)
{
	if (ksm_recent == node) {
		ksm_recent = NULL;
		ksm_recent_run = false;
	}
	hlist_del(&node->hnode);
	put_page(node->kpage);
	ksm_nr_stable--;
	ksm_global.pages_shared--;
	kmem_cache_free(ksm_stable_cache, node);
}

void ksm_stable_attach(struct ksm_stable *node, struct ksm_item *item)
{
	ksm_unstable_unhash(item);
	if (list_empty(&node->items))
		item->region->area->stats.pages_shared++;
	list_add_tail(&item->slink, &node->items);
	node->nr_items++;
	item->stable = node;
	ksm_item_set_state(item, KSM_ITEM_STABLE);
}

void ksm_stable_detach(struct ksm_item *item)
{
	struct ksm_stable *node = item->stable;
	bool owner = list_first_entry(&node->items, struct ksm_item, slink) == item;

	list_del(&item->slink);
	node->nr_items--;
	item->stable = NULL;
	ksm_item_set_state(item, KSM_ITEM_NEW);
	if (owner) {
		item->region->area->stats.pages_shared--;
		if (!list_empty(&node->items))
			list_first_entry(&node->items, struct ksm_item, slink)
				->region->area->stats.pages_shared++;
	}
	if (!node->nr_items)
		ksm_stable_free(node);
}

/* The bucket of the stable table for @sum in @domain. */
struct hlist_head *ksm_stable_bucket(u64 sum, u64 domain)
{
	return ksm_bucket(&ksm_stable_table, sum, domain);
}

/* The bucket of the unstable table for @sum in @domain. */
struct hlist_head *ksm_unstable_bucket(u64 sum, u64 domain)
{
	return ksm_bucket(&ksm_unstable_table, sum, domain);
}

/* Is there an unstable candidate with @item's checksum? */
bool ksm_unstable_has_candidate(struct ksm_item *item)
{
	struct ksm_item *cand;

	u64 domain = ksm_item_domain(item);

	hlist_for_each_entry(cand, ksm_bucket(&ksm_unstable_table, item->checksum, domain),
			     unode)
		if (cand != item && cand->checksum == item->checksum &&
		    ksm_item_domain(cand) == domain)
			return true;
	return false;
}

int ksm_tables_init(void)
{
	ksm_stable_cache = KMEM_CACHE(ksm_stable, 0);
	if (!ksm_stable_cache)
		goto fail;
	if (ksm_table_alloc(&ksm_stable_table, KSM_TABLE_MIN_BITS))
		goto fail;
	if (ksm_table_alloc(&ksm_unstable_table, KSM_TABLE_MIN_BITS))
		goto fail;
	return 0;
fail:
	kvfree(ksm_stable_table.buckets);
	kmem_cache_destroy(ksm_stable_cache);
	return -ENOMEM;
}

void ksm_tables_exit(void)
{
	WARN_ON(ksm_nr_items || ksm_nr_stable);
	kvfree(ksm_unstable_table.buckets);
	kvfree(ksm_stable_table.buckets);
	kmem_cache_destroy(ksm_stable_cache);
}

// SPDX-License-Identifier: GPL-2.0-only
/*
 * scan.c - the scanner thread "ksmdevd": finds identical pages in all
 * registered regions and merges them into KSM pages.
 *
 * The algorithm.  The scanner walks every registered region in turn, page
 * by page (only pages already mapped: nothing is faulted in), in batches
 * of pages_to_scan pages separated by a sleep.  One walk over all regions
 * is a full scan.  Each page it meets gets a tracking item, and is
 * checksummed (xxh64) and looked up:
 *
 *   1. in the stable table: KSM pages by checksum.  A KSM page never
 *      changes (every mapping of it is read-only), so its checksum is
 *      exact.  On a full-content match the page is write-protected,
 *      compared again, and replaced by the KSM page.
 *   2. in the unstable table: candidates seen earlier in this full scan, by
 *      checksum.  On a full-content match with the candidate's current page
 *      a new KSM page is allocated, filled with a copy, and both pages are
 *      replaced by it; it enters the stable table.
 *   3. otherwise the page becomes a candidate in the unstable table, unless
 *      its checksum changed since the scanner last saw it (volatile).
 *
 * Before all this, a page is compared with the KSM page the scanner merged
 * into last (ksm_recent): a run of identical pages merges without being
 * checksummed at all, and, once in a run, each page is read whole only
 * once, by the compare under write protection that decides the merge.
 * In a run, the copies that follow a page in its page table (up to
 * KSM_MERGE_BATCH) merge with it as one batch: one walk, one notifier
 * range, one page-table lock and one TLB flush for all of them.
 *
 * Equality is always decided by comparing whole pages; the checksum only
 * finds candidates.  Because a candidate is matched as soon as its
 * duplicate is seen, stable duplicates merge within the first full scan
 * that sees both; the unstable table is emptied at the start of every full
 * scan, as in mm/ksm.c, so stale candidates do not accumulate.
 *
 * An item whose PTE no longer maps its KSM page (written, unmapped) is
 * detached when the scanner next passes, or sooner when the mmu notifier
 * reports the range (notifier.c).  A KSM page with no items left is
 * released; mappings of it that we do not track (a forked child) keep it
 * alive through their own references.
 *
 * Locking: everything here runs under ksm_lock (see ksmdev.h), which the
 * scanner drops every KSM_BATCH_LOCK pages so ioctls are not starved.  The
 * scan cursor is fixed up by ksm_scan_region_removing() when its region
 * goes away.  One mm's mmap_lock is taken at a time, never while another is
 * held.  The thread is freezable and reschedules after every page.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/freezer.h>
#include <linux/highmem.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/pagemap.h>
#include <linux/rmap.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/wait.h>
#include <linux/xxhash.h>
#include "ksmdev.h"
#include "compat.h"

#define KSM_BATCH_LOCK		32
#define KSM_TABLE_MIN_BITS	10
#define KSM_TABLE_MAX_BITS	22

DEFINE_MUTEX(ksm_lock);
struct ksm_counters ksm_global;
unsigned long ksm_full_scans;
unsigned long ksm_cap_refusals;
unsigned long ksm_pages_skipped;

/* Auto-tuned rate: settings (KSM_SET_AUTOTUNE) and measurements. */
bool ksm_autotune;
unsigned int ksm_target_scan_ms = 10000;
unsigned int ksm_max_cpu_permille = 100;
unsigned long ksm_last_scan_ms;
unsigned long ksm_cpu_permille;
static u64 ksm_pass_start_ns;

static LIST_HEAD(ksm_scan_list);
static struct kmem_cache *ksm_item_cache;
static struct kmem_cache *ksm_stable_cache;
static unsigned long ksm_nr_items;
static unsigned long ksm_nr_stable;
static unsigned int ksm_seq;

struct ksm_table {
	struct hlist_head *buckets;
	unsigned int bits;
};

static struct ksm_table ksm_stable_table;
static struct ksm_table ksm_unstable_table;

static struct {
	struct ksm_region *region;	/* NULL: end of the current pass */
	unsigned long addr;
	bool in_pass;
} ksm_cursor;

static struct task_struct *ksm_thread;
static struct task_struct *ksm_unmerge_task;	/* in ksm_unmerge_range() */
static DECLARE_WAIT_QUEUE_HEAD(ksm_thread_wait);

/* ------------------------------------------------------------ pages */

static u64 ksm_page_checksum(struct page *page)
{
	void *addr = kmap_local_page(page);
	u64 sum = xxh64(addr, PAGE_SIZE, 0);

	kunmap_local(addr);
	return sum;
}

/*
 * Three cache lines of @a and @b (start, middle, end): the cheap test that
 * picks a candidate in a run of copies.  Never enough for a merge: that
 * always compares the whole page under write protection.
 */
static bool ksm_pages_sample_equal(struct page *a, struct page *b)
{
	static const unsigned int at[] = {
		0, PAGE_SIZE / sizeof(u64) / 2, PAGE_SIZE / sizeof(u64) - 8,
	};
	const u64 *pa = kmap_local_page(a);
	const u64 *pb = kmap_local_page(b);
	u64 diff = 0;
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(at); i++)
		for (j = 0; j < 8; j++)
			diff |= pa[at[i] + j] ^ pb[at[i] + j];
	kunmap_local(pb);
	kunmap_local(pa);
	return !diff;
}

static bool ksm_pages_identical(struct page *a, struct page *b)
{
	const u64 *pa = kmap_local_page(a);
	const u64 *pb = kmap_local_page(b);
	bool same = true;
	unsigned int i;

	for (i = 0; i < PAGE_SIZE / sizeof(u64); i += 4) {
		if ((pa[i] ^ pb[i]) | (pa[i + 1] ^ pb[i + 1]) |
		    (pa[i + 2] ^ pb[i + 2]) | (pa[i + 3] ^ pb[i + 3])) {
			same = false;
			break;
		}
	}
	kunmap_local(pb);
	kunmap_local(pa);
	return same;
}

/**
 * ksm_vma_mergeable - may pages of @vma be merged?
 * @vma: a VMA of a registered region
 *
 * Private anonymous memory only: file-backed, shared, hugetlb, I/O and PFN
 * mappings, mlocked memory and userfaultfd-armed ranges are skipped (never
 * an error, never merged).
 */
bool ksm_vma_mergeable(struct vm_area_struct *vma)
{
	if (!vma_is_anonymous(vma) || vma->vm_file)
		return false;
	if (vma->vm_flags & (VM_SHARED | VM_MAYSHARE | VM_PFNMAP | VM_IO |
			     VM_DONTEXPAND | VM_HUGETLB | VM_MIXEDMAP |
			     VM_LOCKED | VM_LOCKONFAULT | VM_UFFD_MISSING))
		return false;
#ifdef VM_UFFD_WP
	if (vma->vm_flags & VM_UFFD_WP)
		return false;
#endif
	return vma->anon_vma != NULL;
}

static u64 ksm_zero_checksum;

static bool ksm_page_is_zero(struct page *page)
{
	void *addr = kmap_local_page(page);
	bool zero = !memchr_inv(addr, 0, PAGE_SIZE);

	kunmap_local(addr);
	return zero;
}

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

static void ksm_item_set_state(struct ksm_item *item, enum ksm_item_state state)
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

static void ksm_unstable_unhash(struct ksm_item *item)
{
	if (item->hashed) {
		hlist_del(&item->unode);
		item->hashed = false;
	}
}

static void ksm_unstable_insert(struct ksm_item *item)
{
	hlist_add_head(&item->unode, ksm_bucket(&ksm_unstable_table, item->checksum,
						ksm_item_domain(item)));
	item->hashed = true;
	item->seq = ksm_seq;
	ksm_item_set_state(item, KSM_ITEM_UNSTABLE);
}

/* Empty the unstable table and size it for the coming pass. */
static void ksm_unstable_reset(void)
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
static void ksm_stable_resize(void)
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

static struct ksm_stable *ksm_stable_find_kpage(u64 sum, u64 domain,
						struct page *kpage)
{
	struct ksm_stable *node;

	hlist_for_each_entry(node, ksm_bucket(&ksm_stable_table, sum, domain), hnode)
		if (node->kpage == kpage && node->domain == domain)
			return node;
	return NULL;
}

static struct ksm_stable *ksm_stable_new(struct page *kpage, u64 sum, u64 domain)
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
static struct ksm_stable *ksm_recent;
static bool ksm_recent_run;

/* @node just got a merge: the scanner's first guess for the next page. */
static void ksm_recent_set(struct ksm_stable *node)
{
	ksm_recent = node;
	ksm_recent_run = true;
}

static void ksm_stable_free(struct ksm_stable *node)
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

static void ksm_stable_attach(struct ksm_stable *node, struct ksm_item *item)
{
	ksm_unstable_unhash(item);
	if (list_empty(&node->items))
		item->region->area->stats.pages_shared++;
	list_add_tail(&item->slink, &node->items);
	node->nr_items++;
	item->stable = node;
	ksm_item_set_state(item, KSM_ITEM_STABLE);
}

static void ksm_stable_detach(struct ksm_item *item)
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

/* ------------------------------------------------------------ items */

static unsigned long ksm_item_index(struct ksm_region *region, unsigned long addr)
{
	return (addr - region->start) >> PAGE_SHIFT;
}

/* Zero-page mode (use_zero_pages) records, per region. */

static void ksm_zero_count(struct ksm_region *region, long delta)
{
	ksm_global.zero_pages += delta;
	region->area->stats.zero_pages += delta;
}

/* Forget that [start, end) of @region was merged into the zero page. */
static void ksm_zero_forget(struct ksm_region *region, unsigned long start,
			    unsigned long end)
{
	unsigned long idx;
	void *entry;

	if (start >= end || xa_empty(&region->zero))
		return;
	xa_for_each_range(&region->zero, idx, entry, ksm_item_index(region, start),
			  ksm_item_index(region, end - 1)) {
		xa_erase(&region->zero, idx);
		ksm_zero_count(region, -1);
	}
}

/* Drop zero-page records of [start, end) whose PTE maps something else now. */
static void ksm_zero_revalidate(struct ksm_region *region, struct mm_struct *mm,
				unsigned long start, unsigned long end)
{
	unsigned long idx;
	void *entry;

	if (start >= end || xa_empty(&region->zero))
		return;
	xa_for_each_range(&region->zero, idx, entry, ksm_item_index(region, start),
			  ksm_item_index(region, end - 1)) {
		unsigned long addr = region->start + (idx << PAGE_SHIFT);
		struct vm_area_struct *vma = vma_lookup(mm, addr);

		if (!vma || !ksm_pte_maps_zero(vma, addr)) {
			xa_erase(&region->zero, idx);
			ksm_zero_count(region, -1);
		}
	}
}

static struct ksm_item *ksm_item_get(struct ksm_region *region, unsigned long addr)
{
	unsigned long idx = ksm_item_index(region, addr);
	struct ksm_item *item = xa_load(&region->items, idx);

	if (item)
		return item;
	item = kmem_cache_zalloc(ksm_item_cache, GFP_KERNEL);
	if (!item)
		return NULL;
	item->region = region;
	item->addr = addr;
	item->state = KSM_ITEM_NEW;
	if (xa_err(xa_store(&region->items, idx, item, GFP_KERNEL))) {
		kmem_cache_free(ksm_item_cache, item);
		return NULL;
	}
	ksm_nr_items++;
	return item;
}

/* Take @item out of the tables and free it; the caller unlinks the xarray. */
static void __ksm_item_free(struct ksm_item *item)
{
	if (item->stable)
		ksm_stable_detach(item);
	ksm_unstable_unhash(item);
	ksm_item_set_state(item, KSM_ITEM_NEW);
	ksm_nr_items--;
	kmem_cache_free(ksm_item_cache, item);
}

static void ksm_item_free(struct ksm_item *item)
{
	struct ksm_region *region = item->region;

	xa_erase(&region->items, ksm_item_index(region, item->addr));
	__ksm_item_free(item);
}

/* Free every item of @region: one xarray teardown instead of an erase each. */
static void ksm_forget_region(struct ksm_region *region)
{
	struct ksm_item *item;
	unsigned long idx;

	xa_for_each(&region->items, idx, item) {
		__ksm_item_free(item);
		if (!(idx % 1024))
			cond_resched();
	}
	xa_destroy(&region->items);
	ksm_zero_forget(region, region->start, region->end);
	xa_destroy(&region->zero);
}

/**
 * ksm_forget_range - drop the tracking of [@start, @end) of @region
 * @region: the region
 * @start: first address (inside the region)
 * @end: end address
 *
 * Called with ksm_lock held when the scanner finds nothing mapped there,
 * and when a region goes away.
 */
void ksm_forget_range(struct ksm_region *region, unsigned long start,
		      unsigned long end)
{
	struct ksm_item *item;
	unsigned long idx;

	if (start >= end)
		return;
	xa_for_each_range(&region->items, idx, item, ksm_item_index(region, start),
			  ksm_item_index(region, end - 1))
		ksm_item_free(item);
}

/*
 * The page mapped at @item's address now, with a reference; NULL if none or
 * if it may not be merged.
 */
static struct page *ksm_item_page(struct ksm_item *item)
{
	struct mm_struct *mm = item->region->slot->mn.mm;
	struct vm_area_struct *vma;
	struct page *page = NULL;
	unsigned long addr = item->addr;

	if (item->region->slot->dead || !mmget_not_zero(mm))
		return NULL;
	mmap_read_lock(mm);
	vma = vma_lookup(mm, addr);
	if (vma && ksm_vma_mergeable(vma))
		page = ksm_next_page(vma, &addr, item->addr + PAGE_SIZE);
	mmap_read_unlock(mm);
	mmput(mm);
	return page;
}

/**
 * ksm_revalidate_range - bring tracking of part of a region up to date
 * @region: the region
 * @start: first address
 * @end: end address
 *
 * After the mmu notifier reported an unmap or clear: items whose page is
 * gone are freed, items whose PTE no longer maps their KSM page are
 * detached from it.  ksm_lock held; takes mmap_lock once for the range.
 */
void ksm_revalidate_range(struct ksm_region *region, unsigned long start,
			  unsigned long end)
{
	struct mm_struct *mm = region->slot->mn.mm;
	struct vm_area_struct *vma = NULL;
	struct ksm_item *item;
	unsigned long idx;

	if (start >= end || region->slot->dead || !mmget_not_zero(mm))
		return;
	mmap_read_lock(mm);
	xa_for_each_range(&region->items, idx, item, ksm_item_index(region, start),
			  ksm_item_index(region, end - 1)) {
		unsigned long addr = item->addr;
		struct page *page = NULL;

		if (!vma || addr < vma->vm_start || addr >= vma->vm_end)
			vma = vma_lookup(mm, addr);
		if (vma && ksm_vma_mergeable(vma))
			page = ksm_next_page(vma, &addr, item->addr + PAGE_SIZE);
		if (!page) {
			ksm_item_free(item);
			continue;
		}
		if (item->stable && item->stable->kpage != page)
			ksm_stable_detach(item);
		put_page(page);
		cond_resched();
	}
	ksm_zero_revalidate(region, mm, start, end);
	mmap_read_unlock(mm);
	mmput(mm);
}

/* ------------------------------------------------------------ merging */

/*
 * Replace @page, mapped at @item's address in @vma, by @kpage: lock the
 * page, split it if it is part of a THP, write-protect it, compare it with
 * @kpage and switch the PTE.  mmap_lock held; @page carries one reference
 * of ours.  Return: 0 if merged, -EAGAIN if the contents differ.
 */
static int ksm_merge_locked(struct vm_area_struct *vma, struct ksm_item *item,
			    struct page *page, struct page *kpage)
{
	struct ksm_wp wp;
	int err;

	if (!PageAnon(page) || PageKsm(page))
		return -EFAULT;
	if (!trylock_page(page))
		return -EBUSY;
	if (PageTransCompound(page)) {
		err = ksm_split_huge_page(page);
		if (err)
			goto out_unlock;
	}
	err = page_wrprotect(vma, item->addr, page, &wp);
	if (err)
		goto out_unlock;
	/* Nobody can write it now: compare what is really there. */
	if (ksm_pages_identical(page, kpage)) {
		replace_page(page, kpage, &wp);
	} else {
		page_wrprotect_undo(&wp);
		err = -EAGAIN;
	}
out_unlock:
	unlock_page(page);
	return err;
}

/*
 * Zero-page mode: point the PTE of an all-zero @page at the zero page.
 * mmap_lock held.  Return: 0 if done; the item is freed then.
 */
static int ksm_merge_zero(struct vm_area_struct *vma, struct ksm_item *item,
			  struct page *page)
{
	struct ksm_region *region = item->region;
	unsigned long idx = ksm_item_index(region, item->addr);
	struct ksm_wp wp;
	int err;

	if (xa_err(xa_store(&region->zero, idx, xa_mk_value(1), GFP_KERNEL)))
		return -ENOMEM;
	err = -EBUSY;
	if (!trylock_page(page))
		goto out;
	if (PageTransCompound(page)) {
		err = ksm_split_huge_page(page);
		if (err)
			goto out_unlock;
	}
	err = page_wrprotect(vma, item->addr, page, &wp);
	if (err)
		goto out_unlock;
	if (ksm_page_is_zero(page)) {
		replace_page_zero(page, &wp);
	} else {
		page_wrprotect_undo(&wp);
		err = -EAGAIN;
	}
out_unlock:
	unlock_page(page);
out:
	if (err) {
		xa_erase(&region->zero, idx);
		return err;
	}
	ksm_zero_count(region, 1);
	ksm_item_free(item);
	return 0;
}

/* ksm_merge_locked() for a page whose mm is not locked yet. */
static int ksm_merge_one(struct ksm_item *item, struct page *page,
			 struct page *kpage)
{
	struct mm_struct *mm = item->region->slot->mn.mm;
	struct vm_area_struct *vma;
	int err = -EFAULT;

	if (!mmget_not_zero(mm))
		return -ESRCH;
	mmap_read_lock(mm);
	vma = vma_lookup(mm, item->addr);
	if (vma && ksm_vma_mergeable(vma))
		err = ksm_merge_locked(vma, item, page, kpage);
	mmap_read_unlock(mm);
	mmput(mm);
	return err;
}

/*
 * Find a candidate in the unstable table with the contents of @page.
 * Return: the candidate, its page in *@cpage (with a reference), or NULL.
 */
static struct ksm_item *ksm_unstable_find(struct ksm_item *item,
					  struct page *page, struct page **cpage)
{
	u64 domain = ksm_item_domain(item);
	struct hlist_head *head = ksm_bucket(&ksm_unstable_table, item->checksum, domain);
	struct ksm_item *cand;
	struct hlist_node *tmp;

	hlist_for_each_entry_safe(cand, tmp, head, unode) {
		struct page *p;

		if (cand == item || cand->checksum != item->checksum ||
		    ksm_item_domain(cand) != domain)
			continue;
		p = ksm_item_page(cand);
		if (p && p != page && PageAnon(p) && !PageKsm(p) &&
		    ksm_pages_identical(page, p)) {
			*cpage = p;
			return cand;
		}
		if (p && p == page) {
			put_page(p);
			continue;	/* same page: nothing to gain */
		}
		/* Gone or changed: no candidate now; look at it properly next. */
		if (p)
			put_page(p);
		ksm_unstable_unhash(cand);
		ksm_item_set_state(cand, KSM_ITEM_NEW);
		cand->skip_until = 0;
		cand->age = 0;
	}
	return NULL;
}

/* Is there an unstable candidate with @item's checksum? */
static bool ksm_unstable_has_candidate(struct ksm_item *item)
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

/*
 * Smart scanning: a page seen unique and unchanged in consecutive passes
 * is not read for a growing number of passes (1, 2, 4, then 8 at most):
 * it is not checksummed, but stays in the tables under its last checksum,
 * so a new duplicate merges with it as soon as it appears (the merge
 * compares the real contents).  Any change, or a merge, starts it over.
 */
static void ksm_smart_backoff(struct ksm_item *item)
{
	if (item->age < 8)
		item->age++;
	if (ksm_smart_scan && item->age >= 2)
		item->skip_until = ksm_full_scans + min(1UL << (item->age - 2), 8UL) + 1;
}

static bool ksm_cap_reached(void)
{
	return ksm_global.pages_shared >= ksm_max_kernel_pages;
}

/* Merge @page and the candidate's page into a new KSM page. */
static void ksm_merge_pair(struct ksm_item *item, struct page *page,
			   struct ksm_item *cand, struct page *cpage)
{
	struct ksm_stable *node;
	struct page *kpage;

	if (ksm_cap_reached()) {
		ksm_cap_refusals++;
		return;
	}
	kpage = alloc_page(GFP_HIGHUSER | __GFP_NOWARN);
	if (!kpage)
		return;
	copy_highpage(kpage, page);
	/*
	 * @page may have changed since it was checksummed: index the KSM
	 * page by what it holds (it never changes from here on).
	 */
	node = ksm_stable_new(kpage, ksm_page_checksum(kpage), ksm_item_domain(item));
	if (!node) {
		put_page(kpage);
		return;
	}
	if (ksm_merge_one(item, page, kpage)) {
		ksm_stable_free(node);
		return;
	}
	ksm_stable_attach(node, item);
	ksm_recent_set(node);
	ksm_unstable_unhash(cand);
	if (!ksm_merge_one(cand, cpage, kpage))
		ksm_stable_attach(node, cand);
	else
		ksm_item_set_state(cand, KSM_ITEM_NEW);
}

/*
 * The mm of the page being looked at stays locked from finding the page
 * through a merge into the stable table; looking at candidates in the
 * unstable table (other mms) needs it unlocked first.
 */
struct ksm_scan_ctx {
	struct mm_struct *mm;
	struct vm_area_struct *vma;
	bool sync;		/* KSM_MERGE_NOW: no back-off, no volatility gate */
	unsigned long *cursor;	/* where ksm_region_next() goes on */
	unsigned int budget;	/* pages a batch may take beyond the current one */
	unsigned int extra;	/* pages the last batch took beyond it */
};

static void ksm_ctx_unlock(struct ksm_scan_ctx *ctx)
{
	if (ctx->mm) {
		mmap_read_unlock(ctx->mm);
		mmput(ctx->mm);
		ctx->mm = NULL;
		ctx->vma = NULL;
	}
}

/*
 * The pages after @page in its page table that are copies of @node's KSM
 * page by sampled words, with their items: pages[1..] of the batch (each
 * with a reference).  Then all of them, @page first, are locked.
 * Return: the size of the batch, @page included; 0 if @page is busy.
 */
static int ksm_batch_gather(struct ksm_scan_ctx *ctx, struct ksm_item *item,
			    struct ksm_stable *node, struct page **pages,
			    struct ksm_item **items)
{
	struct ksm_region *region = item->region;
	/* All in the page table of @page. */
	unsigned long end = pmd_addr_end(item->addr, min(ctx->vma->vm_end, region->end));
	int i, n = 1, max = min_t(unsigned int, ctx->budget + 1, KSM_MERGE_BATCH);

	if (max > 1 && item->addr + PAGE_SIZE < end)
		n += ksm_gather_run(ctx->vma, item->addr + PAGE_SIZE, end,
				    pages + 1, max - 1);
	for (i = 1; i < n; i++) {
		if (!ksm_pages_sample_equal(pages[i], node->kpage))
			break;
		items[i] = ksm_item_get(region, item->addr + i * PAGE_SIZE);
		if (!items[i])
			break;
		/*
		 * Merged once, written since: forget that merge, unless that
		 * frees @node, the KSM page this batch merges into.
		 */
		if (items[i]->stable) {
			if (items[i]->stable == node && node->nr_items == 1)
				break;
			ksm_stable_detach(items[i]);
		}
	}
	if (i < n)
		release_pages(pages + i, n - i);
	/* Locked only now: allocating an item may wait for page locks. */
	for (n = i, i = 0; i < n; i++)
		if (!trylock_page(pages[i]))
			break;
	if (!i) {
		/* @page is busy (its reference is the caller's): no batch. */
		if (n > 1)
			release_pages(pages + 1, n - 1);
		return 0;
	}
	if (i < n)
		release_pages(pages + i, n - i);
	return i;
}

/*
 * In a run of copies of @node's KSM page: merge @page and the copies
 * mapped right after it in the same page table as one batch, under one
 * walk, one notifier range, one page-table lock and one TLB flush.  Each
 * page is compared whole once it is write-protected.  The scan cursor
 * moves past the pages the batch looked at up to the first one it could
 * not merge, which the scanner then looks at the normal way; the run ends
 * at any failure.  Return: whether @page merged.
 */
static bool ksm_recent_batch(struct ksm_scan_ctx *ctx, struct ksm_item *item,
			     struct page *page, struct ksm_stable *node)
{
	struct page *pages[KSM_MERGE_BATCH];
	struct ksm_item *items[KSM_MERGE_BATCH];
	bool same[KSM_MERGE_BATCH];
	struct ksm_region *region = item->region;
	struct ksm_wp_batch wb;
	int i, n, merged = 0, next;

	pages[0] = page;
	items[0] = item;
	n = ksm_batch_gather(ctx, item, node, pages, items);
	if (!n) {
		ksm_recent_run = false;
		return false;
	}
	if (page_wrprotect_batch(ctx->vma, item->addr, pages, n, &wb)) {
		for (i = 0; i < n; i++)
			wb.held[i] = false;
	} else {
		/* Nobody can write them now: compare what is really there. */
		for (i = 0; i < n; i++)
			same[i] = wb.held[i] && ksm_pages_identical(pages[i], node->kpage);
		merged = replace_page_batch(pages, node->kpage, same, &wb);
	}
	for (i = 0; i < n; i++) {
		unlock_page(pages[i]);
		if (!wb.held[i])
			continue;
		items[i]->checksum = node->checksum;	/* same contents */
		items[i]->checksummed = true;
		ksm_stable_attach(node, items[i]);
	}
	ksm_recent_run = merged == n;
	for (next = 1; next < n && wb.held[next]; next++)
		;
	if (wb.held[0] && next > 1) {
		ctx->extra = next - 1;
		*ctx->cursor = item->addr + next * PAGE_SIZE;
		if (!xa_empty(&region->zero))
			ksm_zero_forget(region, item->addr + PAGE_SIZE, *ctx->cursor);
		ksm_global.pages_scanned += ctx->extra;
		region->area->stats.pages_scanned += ctx->extra;
	}
	if (n > 1)
		release_pages(pages + 1, n - 1);
	return wb.held[0];
}

/*
 * Merge @page into the KSM page merged into last, if it is a copy of it:
 * no checksum, no table lookup.  The unlocked compare (of samples, in a
 * run) only picks the candidate; the merge compares the whole page once
 * nobody can write it.  In a run, the copies after @page in its page
 * table merge with it as one batch.
 */
static bool ksm_recent_merge(struct ksm_scan_ctx *ctx, struct ksm_item *item,
			     struct page *page)
{
	struct ksm_stable *node = ksm_recent;

	if (!node || node->domain != ksm_item_domain(item) ||
	    (node->checksum == ksm_zero_checksum && READ_ONCE(ksm_use_zero_pages)))
		return false;
	if (ksm_recent_run ? !ksm_pages_sample_equal(page, node->kpage) :
			     !ksm_pages_identical(page, node->kpage))
		return false;
	if (ksm_recent_run && PageAnon(page) && !PageTransCompound(page))
		return ksm_recent_batch(ctx, item, page, node);
	if (ksm_merge_locked(ctx->vma, item, page, node->kpage)) {
		ksm_recent_run = false;
		return false;
	}
	ksm_recent_run = true;
	item->checksum = node->checksum;	/* same contents */
	item->checksummed = true;
	ksm_stable_attach(node, item);
	return true;
}

/*
 * Merge @page into a KSM page of the same checksum.  The checksum only
 * finds candidates: ksm_merge_locked() compares the write-protected page.
 */
static bool ksm_stable_merge(struct ksm_scan_ctx *ctx, struct ksm_item *item,
			     struct page *page, bool *found)
{
	struct ksm_stable *node;

	*found = false;
	u64 domain = ksm_item_domain(item);

	hlist_for_each_entry(node, ksm_bucket(&ksm_stable_table, item->checksum, domain),
			     hnode) {
		int err;

		if (node->checksum != item->checksum || node->domain != domain)
			continue;
		err = ksm_merge_locked(ctx->vma, item, page, node->kpage);
		if (!err) {
			ksm_stable_attach(node, item);
			ksm_recent_set(node);
			return true;
		}
		if (err != -EAGAIN) {
			*found = true;	/* busy now: retry next pass */
			return false;
		}
	}
	return false;
}

/*
 * Look at one page of a region; @page carries one reference of ours and
 * its mm is locked in @ctx (this may unlock it).
 */
static void ksm_cmp_and_merge(struct ksm_scan_ctx *ctx, struct ksm_item *item,
			      struct page *page)
{
	struct ksm_stable *node;
	struct ksm_item *cand;
	struct page *cpage;
	bool changed, busy, skipped = false;
	u64 sum;

	if (item->stable) {
		if (item->stable->kpage == page)
			return;		/* still merged */
		ksm_stable_detach(item);
	}
	if (!PageAnon(page)) {
		/* One of our KSM pages (fork, mremap): adopt the mapping. */
		sum = ksm_page_checksum(page);
		node = ksm_stable_find_kpage(sum, ksm_item_domain(item), page);
		if (node)
			ksm_stable_attach(node, item);
		return;
	}
	if (PageKsm(page))
		return;		/* in-kernel KSM's page, not ours to touch */
	if (ksm_recent_merge(ctx, item, page))
		return;
	if (item->skip_until > ksm_full_scans && !ctx->sync && item->checksummed) {
		/*
		 * Unique for a while: back off from reading the page, but
		 * keep it findable under its last checksum (every match is
		 * verified by a full compare), so a new duplicate still
		 * merges with it in the first pass that sees both.
		 */
		ksm_pages_skipped++;
		skipped = true;
		sum = item->checksum;
		changed = false;
	} else {
		sum = ksm_page_checksum(page);
		changed = item->checksummed && item->checksum != sum;
	}
	ksm_unstable_unhash(item);
	item->checksum = sum;
	item->checksummed = true;

	if (sum == ksm_zero_checksum && READ_ONCE(ksm_use_zero_pages) &&
	    ksm_page_is_zero(page)) {
		ksm_merge_zero(ctx->vma, item, page);	/* frees item if done */
		return;
	}
	if (ksm_stable_merge(ctx, item, page, &busy) || busy)
		return;

	cand = NULL;
	if (ksm_unstable_has_candidate(item)) {
		/* Candidates live in other mms (or ours): unlock first. */
		ksm_ctx_unlock(ctx);
		cand = ksm_unstable_find(item, page, &cpage);
	}
	if (cand) {
		ksm_merge_pair(item, page, cand, cpage);
		put_page(cpage);
		if (item->stable) {
			item->age = 0;
			return;
		}
	}
	if (changed && !ctx->sync) {
		item->age = 0;
		ksm_item_set_state(item, KSM_ITEM_VOLATILE);
		return;
	}
	ksm_unstable_insert(item);
	if (!skipped)
		ksm_smart_backoff(item);
}

/* ------------------------------------------------------------ scanning */

static void ksm_pass_start(void)
{
	ksm_pass_start_ns = ktime_get_ns();
	ksm_seq++;
	ksm_unstable_reset();
	ksm_stable_resize();
	/* Pages sitting in per-CPU LRU batches hold an extra reference. */
	ksm_lru_add_drain_all();
}

/*
 * Find the next mapped page of @region at or after *@addr; returns it with
 * a reference, its item in *@itemp and its mm locked in @ctx (the lock is
 * kept from one page to the next of the same mm), advancing *@addr past
 * it.  Tracking of the ranges found empty is dropped on the way.
 */
static struct page *ksm_region_next(struct ksm_region *region, unsigned long *addr,
				    struct ksm_item **itemp, struct ksm_scan_ctx *ctx)
{
	struct mm_struct *mm = region->slot->mn.mm;
	struct page *page = NULL;

	if (ctx->mm != mm) {
		ksm_ctx_unlock(ctx);
		ctx->vma = NULL;
		if (region->slot->dead || !mmget_not_zero(mm)) {
			*addr = region->end;
			return NULL;
		}
		mmap_read_lock(mm);
		ctx->mm = mm;
	}
	while (*addr < region->end) {
		struct vm_area_struct *vma = ctx->vma;
		unsigned long end, a;

		/* Consecutive pages mostly share a VMA: skip the lookup. */
		if (!vma || *addr < vma->vm_start || *addr >= vma->vm_end)
			vma = ctx->vma = find_vma(mm, *addr);

		if (!vma || vma->vm_start >= region->end) {
			ksm_zero_forget(region, *addr, region->end);
			ksm_forget_range(region, *addr, region->end);
			*addr = region->end;
			break;
		}
		if (vma->vm_start > *addr) {
			ksm_zero_forget(region, *addr, vma->vm_start);
			ksm_forget_range(region, *addr, vma->vm_start);
			*addr = vma->vm_start;
		}
		end = min(vma->vm_end, region->end);
		if (!ksm_vma_mergeable(vma)) {
			ksm_forget_range(region, *addr, end);
			*addr = end;
			continue;
		}
		a = *addr;
		page = ksm_next_page(vma, &a, end);
		ksm_forget_range(region, *addr, a);
		*addr = a;
		if (!page)
			continue;
		/* A page where we put the zero page: written since. */
		if (!xa_empty(&region->zero))
			ksm_zero_forget(region, a, a + PAGE_SIZE);
		*itemp = ksm_item_get(region, a);
		*addr = a + PAGE_SIZE;
		if (*itemp) {
			ctx->vma = vma;
			ctx->cursor = addr;
			return page;
		}
		put_page(page);
		page = NULL;
	}
	return NULL;
}

static struct ksm_region *ksm_next_region(struct ksm_region *region)
{
	if (list_is_last(&region->scan_link, &ksm_scan_list))
		return NULL;
	return list_next_entry(region, scan_link);
}

/* Next page to look at (mm locked in @ctx), or NULL at the end of a pass. */
static struct page *ksm_scan_next(struct ksm_item **itemp, struct ksm_scan_ctx *ctx)
{
	for (;;) {
		struct ksm_region *region;
		struct page *page;

		if (!ksm_cursor.in_pass) {
			if (list_empty(&ksm_scan_list))
				return NULL;
			ksm_pass_start();
			region = list_first_entry(&ksm_scan_list, struct ksm_region,
						  scan_link);
			ksm_cursor.region = region;
			ksm_cursor.addr = region->start;
			ksm_cursor.in_pass = true;
		}
		region = ksm_cursor.region;
		if (!region) {
			ksm_cursor.in_pass = false;
			WRITE_ONCE(ksm_last_scan_ms,
				   div_u64(ktime_get_ns() - ksm_pass_start_ns, NSEC_PER_MSEC));
			WRITE_ONCE(ksm_full_scans, ksm_full_scans + 1);
			return NULL;
		}
		page = ksm_region_next(region, &ksm_cursor.addr, itemp, ctx);
		if (page)
			return page;
		ksm_cursor.region = ksm_next_region(region);
		if (ksm_cursor.region)
			ksm_cursor.addr = ksm_cursor.region->start;
		cond_resched();
	}
}

static bool ksm_should_run(void)
{
	return READ_ONCE(ksm_run) && READ_ONCE(ksm_global.regions);
}

/*
 * One batch: look at up to @budget pages, stopping at the end of a pass,
 * or as soon as the scanner is told to stop (a batch can be a whole pass
 * long: stopping does not wait for it).
 * Return: the number of pages looked at.
 */
static unsigned int ksm_do_scan(unsigned int budget)
{
	unsigned int done = 0, locked = 0;
	struct ksm_scan_ctx ctx = { };

	mutex_lock(&ksm_lock);
	while (done < budget && !kthread_should_stop() && ksm_should_run()) {
		struct ksm_item *item;
		struct page *page = ksm_scan_next(&item, &ctx);

		if (!page)
			break;
		ksm_global.pages_scanned++;
		item->region->area->stats.pages_scanned++;
		ctx.budget = budget - done - 1;
		ctx.extra = 0;
		ksm_cmp_and_merge(&ctx, item, page);
		put_page(page);
		done += 1 + ctx.extra;
		locked += 1 + ctx.extra;
		if (locked >= KSM_BATCH_LOCK) {
			locked = 0;
			ksm_ctx_unlock(&ctx);
			mutex_unlock(&ksm_lock);
			cond_resched();
			mutex_lock(&ksm_lock);
		} else {
			cond_resched();
		}
	}
	ksm_ctx_unlock(&ctx);
	mutex_unlock(&ksm_lock);
	return done;
}

#define KSM_AUTOTUNE_MIN_BATCH		16
#define KSM_AUTOTUNE_MAX_SLEEP_US	(10 * USEC_PER_SEC)
/* Sleep the CPU budget needs beyond the configured one (0: none). */
static unsigned int ksm_autotune_sleep_us;

/**
 * ksm_autotune_batch - choose pages_to_scan from the last batch
 * @pages: pages it looked at
 * @cpu_ns: time it took
 * @sleep_us: the sleep after each batch
 *
 * Rate bound: a full scan of the tracked pages in ksm_target_scan_ms.
 * CPU bound: cpu / (cpu + sleep) <= ksm_max_cpu_permille.  The smaller wins.
 * When the CPU bound is below the smallest batch, the sleep is lengthened
 * (ksm_autotune_sleep_us) instead.
 */
static void ksm_autotune_batch(unsigned int pages, u64 cpu_ns, unsigned int sleep_us)
{
	u64 per_page = div_u64(cpu_ns, max(pages, 1U)) + 1;
	u64 sleep_ns = max_t(u64, sleep_us, 1000) * NSEC_PER_USEC;
	u64 pass_pages = max(READ_ONCE(ksm_nr_items), 1UL);
	u64 target_ns = (u64)READ_ONCE(ksm_target_scan_ms) * NSEC_PER_MSEC;
	u64 budget = READ_ONCE(ksm_max_cpu_permille);
	u64 by_rate, by_cpu, batch;

	/* pages per batch so that pass_pages take target_ns at (b*per_page + sleep) per b */
	if (target_ns > pass_pages * per_page)
		by_rate = div64_u64(pass_pages * sleep_ns, target_ns - pass_pages * per_page) + 1;
	else
		by_rate = U32_MAX;
	by_cpu = budget >= 1000 ? U32_MAX :
		 div64_u64(budget * sleep_ns, per_page * (1000 - budget));
	batch = clamp_t(u64, min(by_rate, by_cpu), KSM_AUTOTUNE_MIN_BATCH, 1U << 20);
	WRITE_ONCE(ksm_pages_to_scan, (unsigned int)batch);
	/*
	 * Even the smallest batch is over the CPU budget (a slow machine, a
	 * tiny budget): sleep longer instead, so that the budget holds.
	 */
	if (by_cpu < KSM_AUTOTUNE_MIN_BATCH) {
		u64 busy = KSM_AUTOTUNE_MIN_BATCH * per_page;

		WRITE_ONCE(ksm_autotune_sleep_us,
			   (unsigned int)min_t(u64, div64_u64(busy * (1000 - budget),
							     max(budget, 1ULL) * NSEC_PER_USEC),
					       KSM_AUTOTUNE_MAX_SLEEP_US));
	} else {
		WRITE_ONCE(ksm_autotune_sleep_us, 0);
	}
}

/* Bumped by every settings change, so a long sleep ends at once. */
unsigned int ksm_settings_gen;

/* The sleep after a batch: the configured one, or auto-tuning's longer one. */
static unsigned int ksm_scan_sleep_us(void)
{
	unsigned int sleep_us = READ_ONCE(ksm_sleep_usecs);

	if (READ_ONCE(ksm_autotune))
		sleep_us = max(sleep_us, READ_ONCE(ksm_autotune_sleep_us));
	return sleep_us;
}

static int ksm_scan_thread(void *unused)
{
	set_freezable();
	set_user_nice(current, 5);

	while (!kthread_should_stop()) {
		u64 t0 = ktime_get_ns();
		unsigned int sleep_us, pages = 0;
		unsigned int gen = READ_ONCE(ksm_settings_gen);

		if (ksm_should_run())
			pages = ksm_do_scan(READ_ONCE(ksm_pages_to_scan));
		if (pages) {
			/*
			 * The batch's wall time stands for its CPU time: the
			 * thread computes throughout a batch, and scheduler
			 * runtime is only updated at ticks (too coarse for
			 * short batches).  Preemption can only overstate it.
			 */
			u64 busy = ktime_get_ns() - t0;
			u64 wall = busy + (u64)ksm_scan_sleep_us() * NSEC_PER_USEC;

			/* share of batch + sleep, smoothed over ~4 batches */
			WRITE_ONCE(ksm_cpu_permille,
				   (3 * ksm_cpu_permille + div64_u64(busy * 1000, wall + 1)) / 4);
			if (READ_ONCE(ksm_autotune))
				ksm_autotune_batch(pages, busy, READ_ONCE(ksm_sleep_usecs));
		}
		try_to_freeze();
		if (!ksm_should_run()) {
			wait_event_freezable(ksm_thread_wait,
					     ksm_should_run() || kthread_should_stop());
			continue;
		}
		sleep_us = ksm_scan_sleep_us();
		if (sleep_us >= 20000)
			wait_event_freezable_timeout(ksm_thread_wait,
						     kthread_should_stop() || !ksm_should_run() ||
						     READ_ONCE(ksm_settings_gen) != gen,
						     usecs_to_jiffies(sleep_us));
		else if (sleep_us)
			usleep_range(sleep_us, sleep_us + sleep_us / 8 + 1);
		else
			cond_resched();
	}
	return 0;
}

/**
 * ksm_own_context - is the current task working for the driver?
 *
 * True in the scanner thread and in a task unmerging a region: mmu
 * notifier events they cause need no revalidation.
 */
bool ksm_own_context(void)
{
	return current == ksm_thread || current == READ_ONCE(ksm_unmerge_task);
}

void ksm_scan_wake(void)
{
	wake_up_interruptible(&ksm_thread_wait);
}

/**
 * ksm_scan_region_added - put a new region on the scan list
 * @region: the region; ksm_lock held
 */
void ksm_scan_region_added(struct ksm_region *region)
{
	list_add_tail(&region->scan_link, &ksm_scan_list);
	ksm_scan_wake();
}

/**
 * ksm_scan_region_removing - take a region off the scan list
 * @region: the region; ksm_lock held.  Its tracking is dropped too.
 */
void ksm_scan_region_removing(struct ksm_region *region)
{
	if (ksm_cursor.region == region) {
		ksm_cursor.region = ksm_next_region(region);
		if (ksm_cursor.region)
			ksm_cursor.addr = ksm_cursor.region->start;
	}
	list_del(&region->scan_link);
	ksm_forget_region(region);
	if (list_empty(&ksm_scan_list))
		ksm_cursor.in_pass = false;
}

/* Look at every mapped page of @region once, as the scanner does. */
static int ksm_scan_region_once(struct ksm_region *region, struct ksm_scan_ctx *ctx)
{
	unsigned long addr = region->start;
	struct ksm_item *item;
	struct page *page;

	while ((page = ksm_region_next(region, &addr, &item, ctx))) {
		ksm_global.pages_scanned++;
		region->area->stats.pages_scanned++;
		ctx->budget = KSM_MERGE_BATCH;
		ksm_cmp_and_merge(ctx, item, page);
		put_page(page);
		cond_resched();
		if (fatal_signal_pending(current))
			return -EINTR;
	}
	return 0;
}

/**
 * ksm_merge_area_now - merge an area's memory in the caller's context
 * @area: the area (KSM_MERGE_NOW)
 *
 * Its pages are looked at first (merging into existing KSM pages and with
 * each other, and becoming candidates), then every other region of the
 * same domain (whose duplicates merge with those candidates).  Smart-scan
 * back-off and the volatility gate do not apply: the caller says its
 * memory is stable now.  Works whether the scanner runs or not.
 *
 * Return: how many more of the area's pages are merged than before (>= 0),
 * or -EINTR if the caller was killed.
 */
long ksm_merge_area_now(struct ksm_area *area)
{
	struct ksm_scan_ctx ctx = { .sync = true };
	unsigned long before;
	struct ksm_region *r;
	int err = 0;

	/* Fresh pages sit in per-CPU LRU batches with an extra reference. */
	ksm_lru_add_drain_all();
	mutex_lock(&ksm_lock);
	before = area->stats.pages_merged;
	list_for_each_entry(r, &area->regions, area_link) {
		err = ksm_scan_region_once(r, &ctx);
		if (err)
			goto out;
	}
	list_for_each_entry(r, &ksm_scan_list, scan_link) {
		if (r->area == area || r->area->domain != area->domain)
			continue;
		err = ksm_scan_region_once(r, &ctx);
		if (err)
			goto out;
	}
out:
	ksm_ctx_unlock(&ctx);
	if (!err)
		err = area->stats.pages_merged > before ?
		      area->stats.pages_merged - before : 0;
	mutex_unlock(&ksm_lock);
	return err;
}

/**
 * ksm_unmerge_range - give every page of @region mapping a KSM page its
 * own private copy again
 * @region: the region; ksm_lock held
 *
 * Covers the whole range, tracked or not, whatever its protection.
 *
 * Return: 0, or -ENOMEM (nothing lost: pages not yet copied stay merged).
 */
int ksm_unmerge_range(struct ksm_region *region)
{
	struct mm_struct *mm = region->slot->mn.mm;
	unsigned long addr = region->start;
	int err = 0;

	if (region->slot->dead || !mmget_not_zero(mm))
		return 0;
	WRITE_ONCE(ksm_unmerge_task, current);
	mmap_read_lock(mm);
	while (addr < region->end && !err) {
		struct vm_area_struct *vma = find_vma(mm, addr);
		unsigned long end;

		if (!vma || vma->vm_start >= region->end)
			break;
		addr = max(addr, vma->vm_start);
		end = min(vma->vm_end, region->end);
		if (!vma_is_anonymous(vma) || vma->vm_file ||
		    (vma->vm_flags & (VM_SHARED | VM_PFNMAP | VM_IO | VM_MIXEDMAP | VM_HUGETLB))) {
			addr = end;
			continue;
		}
		/* Our zero pages first: each gets a page of its own again. */
		if (!xa_empty(&region->zero)) {
			unsigned long idx;
			void *entry;

			xa_for_each_range(&region->zero, idx, entry,
					  ksm_item_index(region, addr),
					  ksm_item_index(region, end - 1)) {
				unsigned long za = region->start + (idx << PAGE_SHIFT);

				if (ksm_pte_maps_zero(vma, za))
					err = ksm_break_cow(vma, za);
				if (err)
					break;
				xa_erase(&region->zero, idx);
				ksm_zero_count(region, -1);
				cond_resched();
			}
		}
		/*
		 * Batched copies, one TLB flush per page table; then the
		 * check below finds what changed meanwhile (or everything,
		 * where batching does not apply) and faults it one by one.
		 */
		if (vma->anon_vma && !(vma->vm_flags & VM_LOCKED)) {
			unsigned long b = addr;

			while (b < end && !err) {
				err = ksm_unshare_kpages(vma, &b, end);
				if (err > 0)
					err = 0;
				cond_resched();
			}
		}
		while (addr < end && !err) {
			unsigned long found[64], start = addr, a;
			int i, n, tries = 0;

			n = ksm_collect_kpages(vma, &addr, end, found, NULL,
					       ARRAY_SIZE(found));
			/* Fault them all, then look again at [start, addr). */
			while (n && !err) {
				for (i = 0; i < n && !err; i++)
					err = ksm_break_cow(vma, found[i]);
				cond_resched();
				if (!err && ++tries > 8)
					err = -EAGAIN;	/* cannot happen under ksm_lock */
				a = start;
				if (!err)
					n = ksm_collect_kpages(vma, &a, addr, found,
							       NULL, ARRAY_SIZE(found));
			}
		}
	}
	mmap_read_unlock(mm);
	WRITE_ONCE(ksm_unmerge_task, NULL);
	mmput(mm);
	return err;
}

int ksm_scan_init(void)
{
	int err = -ENOMEM;
	void *zero = (void *)get_zeroed_page(GFP_KERNEL);

	if (!zero)
		return -ENOMEM;
	ksm_zero_checksum = xxh64(zero, PAGE_SIZE, 0);
	free_page((unsigned long)zero);

	ksm_item_cache = KMEM_CACHE(ksm_item, 0);
	ksm_stable_cache = KMEM_CACHE(ksm_stable, 0);
	if (!ksm_item_cache || !ksm_stable_cache)
		goto fail;
	if (ksm_table_alloc(&ksm_stable_table, KSM_TABLE_MIN_BITS))
		goto fail;
	if (ksm_table_alloc(&ksm_unstable_table, KSM_TABLE_MIN_BITS))
		goto fail;
	ksm_thread = kthread_run(ksm_scan_thread, NULL, "ksmdevd");
	if (IS_ERR(ksm_thread)) {
		err = PTR_ERR(ksm_thread);
		goto fail;
	}
	return 0;
fail:
	kvfree(ksm_unstable_table.buckets);
	kvfree(ksm_stable_table.buckets);
	kmem_cache_destroy(ksm_stable_cache);
	kmem_cache_destroy(ksm_item_cache);
	return err;
}

void ksm_scan_exit(void)
{
	kthread_stop(ksm_thread);
	WARN_ON(ksm_nr_items || ksm_nr_stable);
	kvfree(ksm_unstable_table.buckets);
	kvfree(ksm_stable_table.buckets);
	kmem_cache_destroy(ksm_stable_cache);
	kmem_cache_destroy(ksm_item_cache);
}

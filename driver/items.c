// SPDX-License-Identifier: GPL-2.0-only
/*
 * items.c - tracking items: what the driver knows about each page of a
 * region, and how that knowledge is dropped or brought up to date.
 *
 * An item (struct ksmdev_item) is allocated the first time the scanner sees a
 * page present in a region, and lives in the region's xarray under the
 * page's index: registering a huge range costs nothing until its pages
 * are touched.  Pages merged into the zero page (use_zero_pages) have no
 * item, only a mark in the region's second xarray.
 *
 * Items go away
 *   - when the scanner finds nothing mapped, or nothing mergeable, where
 *     they were (ksmdev_forget_range());
 *   - when the mmu notifier reported an unmap or a clear of the range
 *     (region.c calls ksmdev_revalidate_range()): items whose page is gone
 *     are freed, items whose PTE no longer maps their KSM page are
 *     detached from it;
 *   - with their region (ksmdev_forget_region()).
 * An item whose PTE no longer maps its KSM page (written, remapped) is
 * otherwise detached when the scanner next passes (merge.c).
 *
 * Locking: ksmdev_lock held throughout.  Looking at the page behind an item
 * takes the mmap_lock of its mm for read, one mm at a time.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include "ksmdev.h"
#include "compat.h"

static struct kmem_cache *ksmdev_item_cache;

/* Private anonymous memory, not locked, not armed by userfaultfd. */
static bool ksmdev_vma_private_anon(struct vm_area_struct *vma)
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
	return true;
}

/*
 * May khugepaged or MADV_COLLAPSE collapse @vma?  Both recheck this under
 * the mmap_lock held for write before they isolate pages.
 */
static bool ksmdev_vma_may_collapse(struct vm_area_struct *vma)
{
	return IS_ENABLED(CONFIG_TRANSPARENT_HUGEPAGE) && !(vma->vm_flags & VM_NOHUGEPAGE);
}

/**
 * ksmdev_vma_mergeable - may pages of @vma be merged?
 * @vma: a VMA of a registered region
 *
 * Private anonymous memory only: file-backed, shared, hugetlb, I/O and PFN
 * mappings, mlocked memory and userfaultfd-armed ranges are skipped (never
 * an error, never merged).  Where transparent huge pages exist, only in a
 * VMA marked VM_NOHUGEPAGE (see ksmdev_vma_needs_nohuge()).
 *
 * Return: true if the scanner may merge pages of @vma.
 */
bool ksmdev_vma_mergeable(struct vm_area_struct *vma)
{
	return ksmdev_vma_private_anon(vma) && !ksmdev_vma_may_collapse(vma) &&
	       vma->anon_vma != NULL;
}

/**
 * ksmdev_vma_needs_nohuge - would @vma be mergeable, were it VM_NOHUGEPAGE?
 * @vma: a VMA of a registered region
 *
 * Return: true if marking it (ksmdev_want_nohuge()) would let it merge.
 */
bool ksmdev_vma_needs_nohuge(struct vm_area_struct *vma)
{
	return ksmdev_vma_private_anon(vma) && ksmdev_vma_may_collapse(vma);
}

/* ------------------------------------------------------------ no collapse */

/*
 * A merged page is not anonymous.  khugepaged and MADV_COLLAPSE check a
 * PMD range under mmap_read_lock, drop it, and isolate its pages under
 * the write lock, asserting that each is anonymous: a page merged in
 * between trips VM_BUG_ON_PAGE(!PageAnon) on a DEBUG_VM kernel
 * (production kernels back out), and a collapse would copy merged pages
 * back into a huge page anyway.  Both re-check VM_NOHUGEPAGE under the
 * write lock, so pages merge only in VMAs so marked: registering a range
 * marks its private anonymous VMAs (MADV_NOHUGEPAGE, as the caller could
 * have), and a VMA of a region found without the mark (mapped into the
 * region later, or given MADV_HUGEPAGE since) is not merged; its slot is
 * queued here, and a work item marks the slot's regions again, outside
 * ksmdev_lock: marking takes the mm's mmap_lock for write.
 *
 * Locking: ksmdev_nohuge_lock (spinlock, innermost) protects the queue and
 * every slot's nohuge_link and on_nohuge_list.
 */
static DEFINE_SPINLOCK(ksmdev_nohuge_lock);
static LIST_HEAD(ksmdev_nohuge_slots);
static void ksmdev_nohuge_work_fn(struct work_struct *work);
static DECLARE_WORK(ksmdev_nohuge_work, ksmdev_nohuge_work_fn);

#define KSMDEV_NOHUGE_RANGES	16

/**
 * ksmdev_mark_nohuge - mark the private anonymous VMAs of a range VM_NOHUGEPAGE
 * @mm: the mm, with a reference; neither ksmdev_lock nor its mmap_lock held
 * @start: first address
 * @end: end address
 */
void ksmdev_mark_nohuge(struct mm_struct *mm, unsigned long start, unsigned long end)
{
	unsigned long r[KSMDEV_NOHUGE_RANGES][2], addr = start;

	lockdep_assert_not_held(&ksmdev_lock);
	if (!IS_ENABLED(CONFIG_TRANSPARENT_HUGEPAGE))
		return;
	while (addr < end) {
		struct vm_area_struct *vma;
		int i, n = 0;

		mmap_read_lock(mm);
		for (vma = find_vma(mm, addr); vma && vma->vm_start < end;
		     vma = find_vma(mm, addr)) {
			if (n == KSMDEV_NOHUGE_RANGES)
				break;
			if (ksmdev_vma_needs_nohuge(vma)) {
				r[n][0] = max(addr, vma->vm_start);
				r[n][1] = min(end, vma->vm_end);
				n++;
			}
			addr = vma->vm_end;
		}
		if (!vma || vma->vm_start >= end)
			addr = end;
		mmap_read_unlock(mm);
		for (i = 0; i < n; i++)
			ksmdev_madvise_nohugepage(mm, r[i][0], r[i][1] - r[i][0]);
		cond_resched();
	}
}

/**
 * ksmdev_want_nohuge - have the regions of a slot marked VM_NOHUGEPAGE again
 * @slot: the slot; ksmdev_lock held
 */
void ksmdev_want_nohuge(struct ksmdev_mm_slot *slot)
{
	lockdep_assert_held(&ksmdev_lock);
	spin_lock(&ksmdev_nohuge_lock);
	if (!slot->on_nohuge_list) {
		list_add_tail(&slot->nohuge_link, &ksmdev_nohuge_slots);
		slot->on_nohuge_list = true;
	}
	spin_unlock(&ksmdev_nohuge_lock);
	schedule_work(&ksmdev_nohuge_work);
}

/**
 * ksmdev_nohuge_forget - take a slot being freed off the queue
 * @slot: the slot
 */
void ksmdev_nohuge_forget(struct ksmdev_mm_slot *slot)
{
	spin_lock(&ksmdev_nohuge_lock);
	if (slot->on_nohuge_list)
		list_del(&slot->nohuge_link);
	slot->on_nohuge_list = false;
	spin_unlock(&ksmdev_nohuge_lock);
}

static void ksmdev_nohuge_work_fn(struct work_struct *work)
{
	for (;;) {
		unsigned long r[KSMDEV_NOHUGE_RANGES][2];
		struct ksmdev_mm_slot *slot;
		struct mm_struct *mm;
		struct rb_node *node;
		int i, n = 0;

		mutex_lock(&ksmdev_lock);
		spin_lock(&ksmdev_nohuge_lock);
		slot = list_first_entry_or_null(&ksmdev_nohuge_slots, struct ksmdev_mm_slot,
						nohuge_link);
		if (slot) {
			list_del(&slot->nohuge_link);
			slot->on_nohuge_list = false;
		}
		spin_unlock(&ksmdev_nohuge_lock);
		if (!slot) {
			mutex_unlock(&ksmdev_lock);
			return;
		}
		/* A slot with regions is not freed while ksmdev_lock is held. */
		mm = slot->mn.mm;
		if (!slot->nr_regions || slot->dead || !mmget_not_zero(mm)) {
			mutex_unlock(&ksmdev_lock);
			continue;
		}
		for (node = rb_first(&slot->regions); node && n < KSMDEV_NOHUGE_RANGES;
		     node = rb_next(node)) {
			struct ksmdev_region *region = rb_entry(node, struct ksmdev_region, node);

			r[n][0] = region->start;
			r[n][1] = region->end;
			n++;
		}
		mutex_unlock(&ksmdev_lock);
		for (i = 0; i < n; i++)
			ksmdev_mark_nohuge(mm, r[i][0], r[i][1]);
		mmput_async(mm);
		cond_resched();
	}
}

/**
 * ksmdev_nohuge_exit - wait for the marking work (at unload, no region left)
 */
void ksmdev_nohuge_exit(void)
{
	cancel_work_sync(&ksmdev_nohuge_work);
}

/* ------------------------------------------------------------ items */

/* Zero-page mode (use_zero_pages) records, per region. */

/**
 * ksmdev_zero_count - count zero-page mappings made or dropped
 * @region: the region they are in
 * @delta: how many more (negative: fewer)
 */
void ksmdev_zero_count(struct ksmdev_region *region, long delta)
{
	ksmdev_global.zero_pages += delta;
	region->area->stats.zero_pages += delta;
}

/**
 * ksmdev_zero_forget - forget that part of a region was merged into the
 * zero page
 * @region: the region
 * @start: first address
 * @end: end address
 */
void ksmdev_zero_forget(struct ksmdev_region *region, unsigned long start,
			unsigned long end)
{
	unsigned long idx;
	void *entry;

	if (start >= end || xa_empty(&region->zero))
		return;
	xa_for_each_range(&region->zero, idx, entry, ksmdev_item_index(region, start),
			  ksmdev_item_index(region, end - 1)) {
		xa_erase(&region->zero, idx);
		ksmdev_zero_count(region, -1);
	}
}

/* Drop zero-page records of [start, end) whose PTE maps something else now. */
static void ksmdev_zero_revalidate(struct ksmdev_region *region, struct mm_struct *mm,
				   unsigned long start, unsigned long end)
{
	unsigned long idx;
	void *entry;

	if (start >= end || xa_empty(&region->zero))
		return;
	xa_for_each_range(&region->zero, idx, entry, ksmdev_item_index(region, start),
			  ksmdev_item_index(region, end - 1)) {
		unsigned long addr = region->start + (idx << PAGE_SHIFT);
		struct vm_area_struct *vma = vma_lookup(mm, addr);

		if (!vma || !ksmdev_pte_maps_zero(vma, addr)) {
			xa_erase(&region->zero, idx);
			ksmdev_zero_count(region, -1);
		}
	}
}

/**
 * ksmdev_item_get - the tracking item of a page, allocated if new
 * @region: the region of @addr
 * @addr: page-aligned address in @region
 *
 * Charged to the memory cgroup of the area's creator, without reclaim.
 *
 * Return: the item, or NULL if out of memory or over the cgroup's limit.
 */
struct ksmdev_item *ksmdev_item_get(struct ksmdev_region *region, unsigned long addr)
{
	unsigned long idx = ksmdev_item_index(region, addr);
	struct ksmdev_item *item = xa_load(&region->items, idx);
	struct mem_cgroup *old;

	if (item)
		return item;
	/* The area's creator pays; no reclaim under ksmdev_lock (account.c). */
	old = ksmdev_memcg_enter(region->area->memcg);
	item = kmem_cache_zalloc(ksmdev_item_cache, KSMDEV_GFP_SCAN);
	if (item && xa_err(xa_store(&region->items, idx, item, KSMDEV_GFP_SCAN))) {
		kmem_cache_free(ksmdev_item_cache, item);
		item = NULL;
	}
	ksmdev_memcg_leave(old);
	if (!item)
		return NULL;
	item->region = region;
	item->addr = addr;
	item->state = KSMDEV_ITEM_NEW;
	ksmdev_nr_items++;
	return item;
}

/* Take @item out of the tables and free it; the caller unlinks the xarray. */
static void __ksmdev_item_free(struct ksmdev_item *item)
{
	if (item->stable)
		ksmdev_stable_detach(item);
	ksmdev_unstable_unhash(item);
	ksmdev_item_set_state(item, KSMDEV_ITEM_NEW);
	ksmdev_nr_items--;
	kmem_cache_free(ksmdev_item_cache, item);
}

/**
 * ksmdev_item_free - take an item out of its region and the tables, free it
 * @item: the item; detached from its KSM page first if it maps one
 */
void ksmdev_item_free(struct ksmdev_item *item)
{
	struct ksmdev_region *region = item->region;

	xa_erase(&region->items, ksmdev_item_index(region, item->addr));
	__ksmdev_item_free(item);
}

/**
 * ksmdev_forget_region - free every item and zero-page record of a region
 * @region: the region, going away
 *
 * One xarray teardown instead of an erase per item.
 */
void ksmdev_forget_region(struct ksmdev_region *region)
{
	ksmdev_forget_items(region, false);
	ksmdev_zero_forget(region, region->start, region->end);
	xa_destroy(&region->zero);
}

/**
 * ksmdev_forget_items - drop the tracking items of a region, keep its
 * zero-page records (an unmerge needs them)
 * @region: the region; ksmdev_lock held
 * @dying: the region is dying (off the scan list): nobody else adds or
 *         frees its items, so ksmdev_lock is dropped every
 *         KSMDEV_FORGET_BATCH items, however large the region
 */
void ksmdev_forget_items(struct ksmdev_region *region, bool dying)
{
	struct ksmdev_item *item;
	unsigned long idx, n = 0;

	lockdep_assert_held(&ksmdev_lock);
	xa_for_each(&region->items, idx, item) {
		xa_erase(&region->items, idx);
		__ksmdev_item_free(item);
		if (++n % KSMDEV_FORGET_BATCH)
			continue;
		if (dying) {
			mutex_unlock(&ksmdev_lock);
			cond_resched();
			mutex_lock(&ksmdev_lock);
		} else {
			cond_resched();
		}
	}
	xa_destroy(&region->items);
}

/**
 * ksmdev_forget_range - drop the tracking of [@start, @end) of @region
 * @region: the region
 * @start: first address (inside the region)
 * @end: end address
 *
 * Called with ksmdev_lock held when the scanner finds nothing it may merge
 * mapped there.
 */
void ksmdev_forget_range(struct ksmdev_region *region, unsigned long start,
			 unsigned long end)
{
	struct ksmdev_item *item;
	unsigned long idx;

	lockdep_assert_held(&ksmdev_lock);
	if (start >= end)
		return;
	xa_for_each_range(&region->items, idx, item, ksmdev_item_index(region, start),
			  ksmdev_item_index(region, end - 1))
		ksmdev_item_free(item);
}

/**
 * ksmdev_item_page - the page mapped at an item's address now
 * @item: the item
 *
 * Tries the mmap_lock of the item's mm for read (none may be held); under
 * ksmdev_lock nobody waits for another mm's lock.
 *
 * Return: the page with a reference, or NULL if nothing mergeable is
 * mapped there, the mm is gone or its mmap_lock is busy.
 */
struct page *ksmdev_item_page(struct ksmdev_item *item)
{
	struct mm_struct *mm = item->region->slot->mn.mm;
	struct vm_area_struct *vma;
	struct page *page = NULL;
	unsigned long addr = item->addr;

	if (item->region->slot->dead || !mmget_not_zero(mm))
		return NULL;
	/* Its owner may hold the lock as long as it likes: never wait. */
	if (mmap_read_trylock(mm)) {
		vma = vma_lookup(mm, addr);
		if (vma && ksmdev_vma_mergeable(vma))
			page = ksmdev_next_page(vma, &addr, item->addr + PAGE_SIZE);
		mmap_read_unlock(mm);
	}
	mmput_async(mm);
	return page;
}

/**
 * ksmdev_revalidate_range - bring tracking of part of a region up to date
 * @region: the region
 * @start: first address
 * @end: end address
 *
 * After the mmu notifier reported an unmap or clear: items whose page is
 * gone are freed, items whose PTE no longer maps their KSM page are
 * detached from it.  ksmdev_lock held; takes mmap_lock once for the range,
 * if it is free: if not, the scanner's next pass does the same work.
 */
void ksmdev_revalidate_range(struct ksmdev_region *region, unsigned long start,
			     unsigned long end)
{
	struct mm_struct *mm = region->slot->mn.mm;
	struct vm_area_struct *vma = NULL;
	struct ksmdev_item *item;
	unsigned long idx;

	lockdep_assert_held(&ksmdev_lock);
	if (start >= end || region->slot->dead || !mmget_not_zero(mm))
		return;
	if (!mmap_read_trylock(mm)) {
		mmput_async(mm);
		return;
	}
	xa_for_each_range(&region->items, idx, item, ksmdev_item_index(region, start),
			  ksmdev_item_index(region, end - 1)) {
		unsigned long addr = item->addr;
		struct page *page = NULL;

		if (!vma || addr < vma->vm_start || addr >= vma->vm_end)
			vma = vma_lookup(mm, addr);
		if (vma && ksmdev_vma_mergeable(vma))
			page = ksmdev_next_page(vma, &addr, item->addr + PAGE_SIZE);
		if (!page) {
			ksmdev_item_free(item);
			continue;
		}
		if (item->stable && item->stable->kpage != page)
			ksmdev_stable_detach(item);
		put_page(page);
		cond_resched();
	}
	ksmdev_zero_revalidate(region, mm, start, end);
	mmap_read_unlock(mm);
	mmput_async(mm);
}

/**
 * ksmdev_items_init - create the items' slab cache
 *
 * Return: 0 or -ENOMEM.
 */
int ksmdev_items_init(void)
{
	ksmdev_item_cache = KMEM_CACHE(ksmdev_item, 0);
	return ksmdev_item_cache ? 0 : -ENOMEM;
}

/**
 * ksmdev_items_exit - destroy the items' slab cache (no item left)
 */
void ksmdev_items_exit(void)
{
	kmem_cache_destroy(ksmdev_item_cache);
}

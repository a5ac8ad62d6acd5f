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
#include <linux/xarray.h>
#include "ksmdev.h"

static struct kmem_cache *ksmdev_item_cache;

/**
 * ksmdev_vma_mergeable - may pages of @vma be merged?
 * @vma: a VMA of a registered region
 *
 * Private anonymous memory only: file-backed, shared, hugetlb, I/O and PFN
 * mappings, mlocked memory and userfaultfd-armed ranges are skipped (never
 * an error, never merged).
 *
 * Return: true if the scanner may merge pages of @vma.
 */
bool ksmdev_vma_mergeable(struct vm_area_struct *vma)
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
	struct ksmdev_item *item;
	unsigned long idx;

	xa_for_each(&region->items, idx, item) {
		__ksmdev_item_free(item);
		if (!(idx % 1024))
			cond_resched();
	}
	xa_destroy(&region->items);
	ksmdev_zero_forget(region, region->start, region->end);
	xa_destroy(&region->zero);
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

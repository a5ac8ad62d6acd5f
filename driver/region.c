// SPDX-License-Identifier: GPL-2.0-only
/*
 * region.c - the life of a registered region, and of the mm slot and mmu
 * notifier that watch its mm.
 *
 * A region is [start, end) of one mm, registered on one area.  Adding one
 * takes a reference on the slot of its mm (struct ksmdev_mm_slot), obtained
 * with mmu_notifier_get(): one reference per region of that mm, so the mm
 * itself is never kept alive (the notifier holds only mm_count, like every
 * mmu notifier).  The slot keeps its regions in an rbtree by start
 * address, which also refuses overlapping registrations.  Destroying a
 * region drops its tracking (scan.c, items.c) and its slot reference; the
 * last put frees the slot after an SRCU grace period (->free_notifier).
 * Removing a region unmerges it first (unmerge.c): it is marked dying and
 * taken off the scan list, then unmerged with ksmdev_lock released, then
 * destroyed (ksmdev_region_unmerge()); the worker and KSM_MERGE_NOW pass
 * dying regions by, and only their unmerger destroys them.
 *
 * Through the notifier the driver learns
 *
 *   ->release: the mm is exiting.  The regions of the mm are destroyed and
 *   their tracking and KSM pages released, without waiting for the SMA fd
 *   to be closed.
 *
 *   ->invalidate_range_start with MMU_NOTIFY_UNMAP (munmap, mremap) or a
 *   MMU_NOTIFY_CLEAR of more than one page (MADV_DONTNEED).  The range is
 *   revalidated: items whose page is gone are freed, items no longer
 *   mapping their KSM page are detached from it.  One-page clears are
 *   copy-on-write faults; the scanner sees those on its next pass.
 *
 * Ranges the driver invalidates itself carry &ksmdev_notifier_owner, and
 * faults or splits it causes itself come from its own context; both are
 * ignored.  Events are handled after a short delay so bursts coalesce.
 *
 * Locking: regions and slots' region trees are under ksmdev_lock.  The
 * callbacks may run in atomic or non-blocking contexts (OOM reaper) and
 * under mmap_lock, so they only record the event under ksmdev_pending_lock
 * and kick a work item; the work item does the rest under ksmdev_lock.  A
 * slot can be freed (->free_notifier, after the SRCU grace period that
 * follows its last put) only once it is off the pending list; the worker
 * handles a slot only while it has regions, which it checks under both
 * locks, so it never sees a slot being freed.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/moduleparam.h>
#include <linux/rbtree.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include "ksmdev.h"
#include "compat.h"

unsigned int ksmdev_regions_per_fd = 1024;
module_param_named(regions_per_fd, ksmdev_regions_per_fd, uint, 0444);
MODULE_PARM_DESC(regions_per_fd, "regions one SMA may hold (default 1024)");

/* ------------------------------------------------------------ notifier */

static DEFINE_SPINLOCK(ksmdev_pending_lock);
static LIST_HEAD(ksmdev_pending_slots);
static void ksmdev_pending_work_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(ksmdev_pending_work, ksmdev_pending_work_fn);

/* Events come in bursts (a loop of COW faults): let them coalesce. */
#define KSMDEV_PENDING_DELAY	(HZ / 20)

static struct ksmdev_mm_slot *ksmdev_slot_of(struct mmu_notifier *mn)
{
	return container_of(mn, struct ksmdev_mm_slot, mn);
}

/* Queue @slot for the worker; ksmdev_pending_lock held. */
static void ksmdev_slot_queue(struct ksmdev_mm_slot *slot)
{
	lockdep_assert_held(&ksmdev_pending_lock);
	if (!slot->on_pending_list) {
		list_add_tail(&slot->pending_link, &ksmdev_pending_slots);
		slot->on_pending_list = true;
	}
}

static void ksmdev_mn_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	struct ksmdev_mm_slot *slot = ksmdev_slot_of(mn);

	spin_lock(&ksmdev_pending_lock);
	slot->pending_release = true;
	ksmdev_slot_queue(slot);
	spin_unlock(&ksmdev_pending_lock);
	schedule_delayed_work(&ksmdev_pending_work, KSMDEV_PENDING_DELAY);
}

static int ksmdev_mn_invalidate_range_start(struct mmu_notifier *mn,
					    const struct mmu_notifier_range *range)
{
	struct ksmdev_mm_slot *slot = ksmdev_slot_of(mn);
	unsigned int i;

	if (range->owner == &ksmdev_notifier_owner || ksmdev_own_context())
		return 0;
	if (range->event != MMU_NOTIFY_UNMAP && range->event != MMU_NOTIFY_CLEAR)
		return 0;
	/*
	 * A one-page clear is a copy-on-write fault (or a one-page
	 * MADV_DONTNEED): the scanner notices it on its next pass; recording
	 * it would put this work on every write to a merged page.
	 */
	if (range->event == MMU_NOTIFY_CLEAR && range->end - range->start <= PAGE_SIZE)
		return 0;

	spin_lock(&ksmdev_pending_lock);
	for (i = 0; i < slot->nr_pending; i++) {
		/* Coalesce with an overlapping or adjacent range. */
		if (range->start <= slot->pending_end[i] &&
		    range->end >= slot->pending_start[i]) {
			slot->pending_start[i] = min(slot->pending_start[i], range->start);
			slot->pending_end[i] = max(slot->pending_end[i], range->end);
			break;
		}
	}
	if (i == slot->nr_pending) {
		if (i == KSMDEV_MAX_PENDING) {
			/* Full: fold everything into the last entry. */
			i--;
			slot->pending_start[i] = min(slot->pending_start[i], range->start);
			slot->pending_end[i] = max(slot->pending_end[i], range->end);
		} else {
			slot->pending_start[i] = range->start;
			slot->pending_end[i] = range->end;
			slot->nr_pending++;
		}
	}
	ksmdev_slot_queue(slot);
	spin_unlock(&ksmdev_pending_lock);
	schedule_delayed_work(&ksmdev_pending_work, KSMDEV_PENDING_DELAY);
	return 0;
}

static struct mmu_notifier *ksmdev_mn_alloc(struct mm_struct *mm)
{
	struct ksmdev_mm_slot *slot = kzalloc(sizeof(*slot), GFP_KERNEL_ACCOUNT);

	if (!slot)
		return ERR_PTR(-ENOMEM);
	slot->regions = RB_ROOT;
	return &slot->mn;
}

static void ksmdev_mn_free(struct mmu_notifier *mn)
{
	struct ksmdev_mm_slot *slot = ksmdev_slot_of(mn);

	spin_lock(&ksmdev_pending_lock);
	if (slot->on_pending_list)
		list_del(&slot->pending_link);
	spin_unlock(&ksmdev_pending_lock);
	ksmdev_nohuge_forget(slot);
	kfree(slot);
}

static const struct mmu_notifier_ops ksmdev_mn_ops = {
	.release		= ksmdev_mn_release,
	.invalidate_range_start	= ksmdev_mn_invalidate_range_start,
	.alloc_notifier		= ksmdev_mn_alloc,
	.free_notifier		= ksmdev_mn_free,
};

/**
 * ksmdev_slot_get - the slot of @mm, with one more reference
 * @mm: current->mm; neither ksmdev_lock nor mmap_lock held
 *
 * mmu_notifier_get() takes @mm's mmap_lock for write, which a thread of the
 * caller may hold for as long as it likes: never under ksmdev_lock.
 *
 * Return: the slot or an ERR_PTR().
 */
struct ksmdev_mm_slot *ksmdev_slot_get(struct mm_struct *mm)
{
	struct mmu_notifier *mn;

	lockdep_assert_not_held(&ksmdev_lock);
	lockdep_assert_not_held(&mm->mmap_lock);	/* mmu_notifier_get() takes it */
	mn = mmu_notifier_get(&ksmdev_mn_ops, mm);
	return IS_ERR(mn) ? ERR_CAST(mn) : ksmdev_slot_of(mn);
}

/**
 * ksmdev_slot_put - drop a reference taken by ksmdev_slot_get()
 * @slot: the slot; must not be used afterwards if it has no regions left
 */
void ksmdev_slot_put(struct ksmdev_mm_slot *slot)
{
	mmu_notifier_put(&slot->mn);
}

/**
 * ksmdev_process_pending - act on what the notifier callbacks recorded
 *
 * ksmdev_lock held.
 */
void ksmdev_process_pending(void)
{
	lockdep_assert_held(&ksmdev_lock);
	for (;;) {
		unsigned long start[KSMDEV_MAX_PENDING], end[KSMDEV_MAX_PENDING];
		struct ksmdev_mm_slot *slot;
		unsigned int i, n;
		bool release;

		spin_lock(&ksmdev_pending_lock);
		slot = list_first_entry_or_null(&ksmdev_pending_slots,
						struct ksmdev_mm_slot, pending_link);
		if (!slot) {
			spin_unlock(&ksmdev_pending_lock);
			return;
		}
		list_del(&slot->pending_link);
		slot->on_pending_list = false;
		if (!slot->nr_regions) {
			/* Its last region is gone: it may be freed any time. */
			spin_unlock(&ksmdev_pending_lock);
			continue;
		}
		release = slot->pending_release;
		n = slot->nr_pending;
		for (i = 0; i < n; i++) {
			start[i] = slot->pending_start[i];
			end[i] = slot->pending_end[i];
		}
		slot->nr_pending = 0;
		slot->pending_release = false;
		spin_unlock(&ksmdev_pending_lock);

		if (release) {
			struct rb_node *node;

			slot->dead = true;
			/*
			 * Destroying the last region puts the slot: stop then.
			 * A region being unmerged is its unmerger's to destroy.
			 */
			for (node = rb_first(&slot->regions); node;) {
				struct ksmdev_region *r = rb_entry(node, struct ksmdev_region, node);
				bool last = slot->nr_regions == 1;

				node = rb_next(node);
				if (r->dying)
					continue;
				ksmdev_region_destroy(r);
				if (last)
					break;
				cond_resched();		/* up to max_user_regions of them */
			}
			continue;
		}
		for (i = 0; i < n; i++) {
			struct rb_node *node;

			for (node = rb_first(&slot->regions); node; node = rb_next(node)) {
				struct ksmdev_region *r = rb_entry(node, struct ksmdev_region, node);

				if (r->end <= start[i] || r->start >= end[i] || r->dying)
					continue;
				ksmdev_revalidate_range(r, max(start[i], r->start),
							min(end[i], r->end));
				cond_resched();
			}
		}
	}
}

static void ksmdev_pending_work_fn(struct work_struct *work)
{
	mutex_lock(&ksmdev_lock);
	ksmdev_process_pending();
	mutex_unlock(&ksmdev_lock);
}

/**
 * ksmdev_notifier_exit - wait for notifier callbacks and frees to finish
 *
 * At unload, once every region is gone.
 */
void ksmdev_notifier_exit(void)
{
	mmu_notifier_synchronize();
	cancel_delayed_work_sync(&ksmdev_pending_work);
	ksmdev_nohuge_exit();
}

/* ------------------------------------------------------------ regions */

static struct ksmdev_region *ksmdev_region_find_overlap(struct ksmdev_mm_slot *slot,
							unsigned long start,
							unsigned long end)
{
	struct rb_node *n = slot->regions.rb_node;

	while (n) {
		struct ksmdev_region *r = rb_entry(n, struct ksmdev_region, node);

		if (end <= r->start)
			n = n->rb_left;
		else if (start >= r->end)
			n = n->rb_right;
		else
			return r;
	}
	return NULL;
}

static void ksmdev_region_insert(struct ksmdev_mm_slot *slot, struct ksmdev_region *region)
{
	struct rb_node **p = &slot->regions.rb_node, *parent = NULL;

	while (*p) {
		struct ksmdev_region *r = rb_entry(*p, struct ksmdev_region, node);

		parent = *p;
		p = region->start < r->start ? &(*p)->rb_left : &(*p)->rb_right;
	}
	rb_link_node(&region->node, parent, p);
	rb_insert_color(&region->node, &slot->regions);
}

/**
 * ksmdev_region_destroy - forget a region: tracking, lists, slot reference
 * @region: the region; ksmdev_lock held.  Does not unmerge (see
 *          ksmdev_unmerge_range()); the slot may be freed after this.
 */
void ksmdev_region_destroy(struct ksmdev_region *region)
{
	struct ksmdev_mm_slot *slot = region->slot;
	struct ksmdev_area *area = region->area;

	lockdep_assert_held(&ksmdev_lock);
	ksmdev_scan_region_removing(region);
	WARN_ON(!xa_empty(&region->items));
	rb_erase(&region->node, &slot->regions);
	slot->nr_regions--;
	list_del(&region->area_link);
	area->stats.regions--;
	area->pages_registered -= (region->end - region->start) >> PAGE_SHIFT;
	ksmdev_global.regions--;
	ksmdev_user_del_region(area->user);
	kfree(region);
	ksmdev_slot_put(slot);
	/* No pass comes to notice freed KSM pages without regions: now. */
	if (!ksmdev_global.regions)
		ksmdev_orphans_reap(false);
}

/**
 * ksmdev_region_add - register [@start, @end) of @mm on @area
 * @area: the area (an SMA fd of the caller)
 * @mm: current->mm
 * @start: page-aligned start address
 * @end: end address, above @start
 *
 * Return: 0; -ENOMEM; -ENOSPC if @area holds regions_per_fd regions
 * already, or its user max_user_regions; -EEXIST if the range overlaps a
 * region of @mm; -EINTR if the caller was killed while waiting; or the
 * error of mmu_notifier_get().
 */
long ksmdev_region_add(struct ksmdev_area *area, struct mm_struct *mm,
		       unsigned long start, unsigned long end)
{
	struct ksmdev_mm_slot *slot;
	struct ksmdev_region *region;
	long err;

	region = kzalloc(sizeof(*region), GFP_KERNEL_ACCOUNT);
	if (!region)
		return -ENOMEM;
	region->start = start;
	region->end = end;
	region->area = area;
	xa_init_flags(&region->items, XA_FLAGS_ACCOUNT);
	xa_init_flags(&region->zero, XA_FLAGS_ACCOUNT);

	slot = ksmdev_slot_get(mm);
	if (IS_ERR(slot)) {
		err = PTR_ERR(slot);
		goto out_free;
	}
	err = ksmdev_user_add_region(area->user);
	if (err)
		goto out_put;
	err = mutex_lock_killable(&ksmdev_lock);
	if (err)
		goto out_user;
	err = -ENOSPC;
	if (area->stats.regions >= ksmdev_regions_per_fd)
		goto out_unlock;
	err = -EEXIST;
	if (ksmdev_region_find_overlap(slot, region->start, region->end))
		goto out_unlock;
	region->slot = slot;
	ksmdev_region_insert(slot, region);
	slot->nr_regions++;
	list_add_tail(&region->area_link, &area->regions);
	area->stats.regions++;
	area->pages_registered += (region->end - region->start) >> PAGE_SHIFT;
	ksmdev_global.regions++;
	ksmdev_scan_region_added(region);
	mutex_unlock(&ksmdev_lock);
	return 0;

out_unlock:
	mutex_unlock(&ksmdev_lock);
out_user:
	ksmdev_user_del_region(area->user);
out_put:
	ksmdev_slot_put(slot);
out_free:
	kfree(region);
	return err;
}

/**
 * ksmdev_region_unmerge - unmerge a region without holding ksmdev_lock
 * @region: the region; ksmdev_lock held on entry and on return, dropped
 *          in between
 *
 * The region is taken off the scan list and marked dying first, so that
 * nothing merges in it (the scanner, KSM_MERGE_NOW) and nobody else
 * destroys it (the notifier's worker, KSM_REMOVE_MEMORY_REGION) while
 * its pages are copied, for as long as its size takes.  Afterwards the
 * caller destroys it, or gives it back with ksmdev_region_undying().
 *
 * Return: the error of ksmdev_unmerge_range().
 */
int ksmdev_region_unmerge(struct ksmdev_region *region)
{
	int err;

	lockdep_assert_held(&ksmdev_lock);
	region->dying = true;
	ksmdev_scan_region_detach(region);
	mutex_unlock(&ksmdev_lock);
	err = ksmdev_unmerge_range(region);
	mutex_lock(&ksmdev_lock);
	ksmdev_zero_count(region, -(long)region->zero_unmerged);
	region->zero_unmerged = 0;
	return err;
}

/* A region whose unmerge failed is scanned again.  ksmdev_lock held. */
static void ksmdev_region_undying(struct ksmdev_region *region)
{
	lockdep_assert_held(&ksmdev_lock);
	region->dying = false;
	ksmdev_scan_region_added(region);
}

/**
 * ksmdev_region_remove - unmerge and destroy the caller's region at @start
 * @area: the area it is registered on
 * @start: the region's start address
 *
 * Events the notifier queued are applied first, so that the regions of an
 * exited mm are gone.
 *
 * Return: 0; -ENOENT if @area has no region of current->mm at @start;
 * or the error of ksmdev_unmerge_range() (the region stays).
 */
long ksmdev_region_remove(struct ksmdev_area *area, unsigned long start)
{
	struct ksmdev_region *region;
	long err = -ENOENT;

	if (mutex_lock_killable(&ksmdev_lock))
		return -EINTR;
	/* Apply what the notifier queued first: a dead mm's regions go. */
	ksmdev_process_pending();
	list_for_each_entry(region, &area->regions, area_link) {
		if (region->start == start && region->slot->mn.mm == current->mm &&
		    !region->dying) {
			err = ksmdev_region_unmerge(region);
			if (err)
				ksmdev_region_undying(region);
			else
				ksmdev_region_destroy(region);
			break;
		}
	}
	mutex_unlock(&ksmdev_lock);
	return err;
}

// SPDX-License-Identifier: GPL-2.0-only
/*
 * unmerge.c - giving every page of a region its own private copy again,
 * when the region is removed or its area closed.
 *
 * The whole range is covered, tracked or not, whatever its protection:
 * first the zero-page mappings we made get a page each, then the KSM
 * pages of each page table are copied in batches (ksmdev_unshare_kpages():
 * one TLB flush per page table), and a final walk finds whatever changed
 * meanwhile, or could not be batched, and faults it one page at a time
 * (ksmdev_break_cow()).  Out of memory loses nothing: what was not copied
 * stays merged, and a write still copies it.
 *
 * The batch copies in three stages, so that nobody sees a new PTE before
 * every old one is flushed: under the page-table lock take a reference on
 * each KSM page of the stretch; unlocked, allocate, charge and fill the
 * copies; under the lock again, clear, flush once, map the copies.
 *
 * Locking: ksmdev_lock is not held: the region is dying, off the scan
 * list (region.c, ksmdev_region_unmerge()), so nothing merges behind the
 * walk, and nobody else touches its zero-page records; the mm's
 * mmap_lock is held for read for the whole region; the page-table lock
 * only inside ksmdev_unshare_kpages().  The faults and invalidations this
 * causes come from ksmdev_unmerge_task, which the notifier ignores
 * (ksmdev_own_context()); with two unmergers at once the other one's may
 * be recorded, and the worker passes dying regions by.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/mmu_notifier.h>
#include <linux/pgtable.h>
#include <linux/sched/mm.h>
#include <linux/xarray.h>
#include "ksmdev.h"
#include "compat.h"

/* One page table's worth of KSM pages being unshared. */
#define KSMDEV_UNSHARE_BATCH	32

/* Stage 3, under the lock: switch the PTEs that still map their KSM page. */
static int ksmdev_unshare_switch(struct vm_area_struct *vma, pte_t *ptep,
				 unsigned long base, int n, unsigned long *where,
				 struct page **kpages, struct page **copies)
{
	struct mm_struct *mm = vma->vm_mm;
	unsigned long first = where[0], last = where[n - 1];
	pte_t old[KSMDEV_UNSHARE_BATCH];
	int i, done = 0;

	/* Clear them all, then one flush, before any new PTE is visible. */
	for (i = 0; i < n; i++) {
		pte_t *pte = ptep + ((where[i] - base) >> PAGE_SHIFT);

		if (ksmdev_pte_page(ptep_get(pte)) != kpages[i]) {
			where[i] = 0;	/* changed under us: not ours to touch */
			continue;
		}
		old[i] = ptep_get_and_clear(mm, where[i], pte);
		done++;
	}
	if (!done)
		return 0;
	ksmdev_flush_tlb_range(vma, first, last + PAGE_SIZE);

	for (i = 0; i < n; i++) {
		pte_t *pte = ptep + ((where[i] - base) >> PAGE_SHIFT);
		pte_t entry;

		if (!where[i])
			continue;
		/* As an unshare fault maps it: the VMA's protection, no write. */
		entry = mk_pte(copies[i], vma->vm_page_prot);
		if (pte_soft_dirty(old[i]))
			entry = pte_mksoft_dirty(entry);
		if (pte_uffd_wp(old[i]))
			entry = pte_mkuffd_wp(entry);
		ksmdev_add_new_anon(copies[i], vma, where[i]);
		set_pte_at(mm, where[i], pte, entry);
		copies[i] = NULL;	/* the mapping owns it now */

		ksmdev_remove_rmap(kpages[i], vma);
		put_page(kpages[i]);	/* the old mapping's reference */
		ksmdev_mm_counter_add(mm, MM_FILEPAGES, -1);
		ksmdev_mm_counter_add(mm, MM_ANONPAGES, 1);
	}
	return done;
}

/**
 * ksmdev_unshare_kpages - give the KSM pages mapped in part of one page table
 * private copies, with one TLB flush
 * @vma: an anonymous VMA with an anon_vma, not VM_LOCKED; mmap_lock held
 *       for read (it is not dropped)
 * @addr: in: where to start; out: where the next call starts
 * @end: stop here (at most vma->vm_end)
 *
 * The batched equivalent of an unshare fault per page, for unmerging a
 * region: (1) under the page-table lock, take a reference on each KSM page
 * mapped in the next stretch of at most %KSMDEV_UNSHARE_BATCH pages of this
 * page table; (2) unlocked, allocate, charge and fill the copies; (3) in
 * one mmu-notifier range, under the lock again, clear every PTE that
 * still maps its KSM page, flush them from all TLBs once, then map the
 * copies (exclusive anonymous pages, mapped as an unshare fault maps them:
 * the VMA's protection, soft-dirty and uffd-wp kept) and drop the KSM
 * pages' rmap and references.  Nobody sees a new PTE before every old one
 * is flushed, so no CPU can read the old page after a write to a copy.  A
 * PTE that changed in between is left alone: the caller's check finds it.
 *
 * Return: the number of PTEs switched (>= 0), -ENOMEM (nothing lost:
 * what was not copied stays merged), or -EINTR if the caller is being
 * killed.
 */
static int ksmdev_unshare_kpages(struct vm_area_struct *vma, unsigned long *addr,
				 unsigned long end)
{
	struct page *kpages[KSMDEV_UNSHARE_BATCH], *copies[KSMDEV_UNSHARE_BATCH];
	unsigned long where[KSMDEV_UNSHARE_BATCH], base;
	struct mm_struct *mm = vma->vm_mm;
	struct mmu_notifier_range range;
	int i, n, nr, done = 0, err = 0;
	spinlock_t *ptl;
	pte_t *ptep;
	pmd_t *pmd;

	ksmdev_mmap_assert_locked(mm);
	if (fatal_signal_pending(current))
		return -EINTR;
	/* Stage 1: the next KSM pages, all in one page table. */
	nr = n = ksmdev_collect_kpages(vma, addr, end, where, kpages,
				       KSMDEV_UNSHARE_BATCH);
	if (!n)
		return 0;

	for (i = 0; i < n; i++) {
		copies[i] = alloc_page_vma(GFP_HIGHUSER_MOVABLE, vma, where[i]);
		if (!copies[i] || ksmdev_charge_anon(copies[i], mm)) {
			if (copies[i])
				put_page(copies[i]);
			n = i;		/* unshare what we have */
			err = -ENOMEM;
			break;
		}
		copy_user_highpage(copies[i], kpages[i], where[i], vma);
		__SetPageUptodate(copies[i]);
	}
	if (!n)
		goto out;

	base = where[0] & PMD_MASK;
	ksmdev_mn_range_init(&range, vma, where[0], where[n - 1] + PAGE_SIZE,
			     &ksmdev_notifier_owner);
	ksmdev_mn_range_start(&range);
	pmd = ksmdev_pte_table(mm, base);
	ptep = pmd ? ksmdev_pte_offset_map_lock(mm, pmd, base, &ptl) : NULL;
	if (ptep) {
		ksmdev_pte_mapped_locked(ptl);
		done = ksmdev_unshare_switch(vma, ptep, base, n, where, kpages, copies);
		pte_unmap_unlock(ptep, ptl);
	}
	ksmdev_mn_range_end(&range);
out:
	for (i = 0; i < n; i++) {
		if (copies[i])
			put_page(copies[i]);	/* not used: freed, uncharged */
	}
	for (i = 0; i < nr; i++)
		put_page(kpages[i]);		/* ours, from stage 1 */
	return err ? err : done;
}

/**
 * ksmdev_break_cow - fault a private copy of a KSM page into a PTE
 * @vma: an anonymous VMA; mmap_lock held for read (it is not dropped)
 * @addr: user address of a PTE the caller found mapping a KSM page
 *
 * One copy-on-write fault (an unshare fault where the kernel copies
 * non-anonymous pages on it, a write fault otherwise: the PTE keeps the
 * VMA's protection either way, PROT_NONE included).  The caller checks
 * the result with ksmdev_collect_kpages() and calls again if needed.
 *
 * Return: 0, or -ENOMEM if the copy could not be allocated, -EFAULT on
 * another fault error, -EINTR if the caller is being killed.
 */
static int ksmdev_break_cow(struct vm_area_struct *vma, unsigned long addr)
{
	vm_fault_t ret;

	ksmdev_mmap_assert_locked(vma->vm_mm);
	if (fatal_signal_pending(current))
		return -EINTR;
	ret = handle_mm_fault(vma, addr, ksmdev_cow_fault_flags(), NULL);
	if (ret & VM_FAULT_OOM)
		return -ENOMEM;
	if (ret & VM_FAULT_ERROR)
		return -EFAULT;
	return 0;
}

struct task_struct *ksmdev_unmerge_task;	/* in ksmdev_unmerge_range() */

/**
 * ksmdev_unmerge_range - give every page of @region mapping a KSM page its
 * own private copy again
 * @region: the region, dying (off the scan list); ksmdev_lock not held
 *
 * Covers the whole range, tracked or not, whatever its protection.  The
 * zero-page records it drops are counted in @region->zero_unmerged, for
 * the caller to take off the counters under ksmdev_lock.
 *
 * Return: 0, or -ENOMEM (nothing lost: pages not yet copied stay merged).
 */
int ksmdev_unmerge_range(struct ksmdev_region *region)
{
	struct mm_struct *mm = region->slot->mn.mm;
	unsigned long addr = region->start;
	int err = 0;

	lockdep_assert_not_held(&ksmdev_lock);
	if (READ_ONCE(region->slot->dead) || !mmget_not_zero(mm))
		return 0;
	WRITE_ONCE(ksmdev_unmerge_task, current);
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
					  ksmdev_item_index(region, addr),
					  ksmdev_item_index(region, end - 1)) {
				unsigned long za = region->start + (idx << PAGE_SHIFT);

				if (ksmdev_pte_maps_zero(vma, za))
					err = ksmdev_break_cow(vma, za);
				if (err)
					break;
				xa_erase(&region->zero, idx);
				region->zero_unmerged++;
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
				err = ksmdev_unshare_kpages(vma, &b, end);
				if (err > 0)
					err = 0;
				cond_resched();
			}
		}
		while (addr < end && !err) {
			unsigned long found[64], start = addr, a;
			int i, n, tries = 0;

			n = ksmdev_collect_kpages(vma, &addr, end, found, NULL,
						  ARRAY_SIZE(found));
			/* Fault them all, then look again at [start, addr). */
			while (n && !err) {
				for (i = 0; i < n && !err; i++)
					err = ksmdev_break_cow(vma, found[i]);
				cond_resched();
				if (!err && ++tries > 8)
					err = -EAGAIN;	/* cannot happen: nothing merges here */
				a = start;
				if (!err)
					n = ksmdev_collect_kpages(vma, &a, addr, found,
								  NULL, ARRAY_SIZE(found));
			}
		}
	}
	mmap_read_unlock(mm);
	WRITE_ONCE(ksmdev_unmerge_task, NULL);
	mmput_async(mm);
	return err;
}

// SPDX-License-Identifier: GPL-2.0-only
/*
 * pagetable.c - the page-table side of merging: find the page mapped at an
 * address, write-protect it, replace it with a KSM page or the zero page,
 * find the KSM pages mapped in a range.  (Copying them back, for
 * unmerging, is in unmerge.c.)
 *
 * A merge of one anonymous page into a KSM page is two steps, as in the
 * 2009 driver and today's mm/ksm.c, but under one page-table lock and one
 * TLB flush:
 *
 *   ksmdev_page_wrprotect(): under the page-table lock, clear the PTE and
 *   flush it from every TLB, then check that nobody but its mappings and our
 *   own reference holds the page (GUP pins, O_DIRECT in flight); if somebody
 *   does, put the PTE back and give up.  From now on the contents cannot
 *   change: no PTE maps the page writable anywhere.
 *
 *   The caller compares the page with the KSM page, still under the lock.
 *
 *   ksmdev_replace_page(): point the PTE at the KSM page (read-only), move
 *   the rmap and RSS accounting from the anonymous page to the KSM page and
 *   drop the anonymous page.  Or ksmdev_page_wrprotect_undo(): the contents
 *   differed, put the old PTE back.
 *
 * mm/ksm.c write-protects and unlocks in between, because it compares pages
 * it may have to wait for; our comparison is a bounded 4 KiB memcmp, so
 * holding the PTE lock saves the second flush and the second walk.
 * ksmdev_page_wrprotect_batch() and ksmdev_replace_page_batch() do the same
 * for up to KSMDEV_MERGE_BATCH consecutive pages of one page table: every PTE
 * is cleared, then one TLB flush covers them all before any is compared.
 *
 * KSM pages are kernel pages mapped with file rmap accounting, never
 * anonymous: a later write fault takes the normal copy-on-write path for a
 * non-anonymous page in a private mapping and gives the writer a private
 * anonymous copy.  In an anonymous VMA, a present non-anonymous page other
 * than the zero page can only be one of ours; ksmdev_collect_kpages() and
 * unmerge.c rely on it.
 *
 * Secondary MMUs: both steps run inside an mmu-notifier invalidate range;
 * on kernels that still have ->change_pte (before 6.9) the PTE switch is
 * also announced through it, as set_pte_at_notify() did.  Our own notifier
 * recognises these ranges by their owner (&ksmdev_notifier_owner).
 *
 * Locking: callers hold mmap_lock of the mm (read) and a reference on the
 * page; ksmdev_page_wrprotect() and ksmdev_replace_page() also want the page
 * locked.  Between ksmdev_page_wrprotect() and
 * ksmdev_replace_page()/ksmdev_page_wrprotect_undo() the page-table spinlock
 * is held: nothing in between may sleep.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/mm_inline.h>
#include <linux/pagemap.h>
#include <linux/pgtable.h>
#include <linux/rmap.h>
#include <linux/huge_mm.h>
#include <linux/swap.h>
#include <asm/tlbflush.h>
#include "ksmdev.h"
#include "compat.h"

int ksmdev_notifier_owner;

static pmd_t *ksmdev_find_pmd(struct mm_struct *mm, unsigned long addr,
			      unsigned long *skip_to)
{
	pgd_t *pgd;
	p4d_t *p4d;
	pud_t *pud;

	pgd = pgd_offset(mm, addr);
	if (pgd_none(*pgd) || unlikely(pgd_bad(*pgd))) {
		*skip_to = pgd_addr_end(addr, ULONG_MAX);
		return NULL;
	}
	p4d = p4d_offset(pgd, addr);
	if (p4d_none(*p4d) || unlikely(p4d_bad(*p4d))) {
		*skip_to = p4d_addr_end(addr, ULONG_MAX);
		return NULL;
	}
	pud = pud_offset(p4d, addr);
	if (pud_none(*pud) || !pud_present(*pud) || pud_trans_huge(*pud) ||
	    unlikely(pud_bad(*pud))) {
		*skip_to = pud_addr_end(addr, ULONG_MAX);
		return NULL;
	}
	return pmd_offset(pud, addr);
}

/**
 * ksmdev_pte_page - the normal page a PTE maps
 * @pte: a PTE value
 *
 * Return: the page, or NULL if @pte is not present or maps the zero page,
 * a special or an invalid PFN.
 */
struct page *ksmdev_pte_page(pte_t pte)
{
	unsigned long pfn;

	if (!pte_present(pte) || pte_special(pte))
		return NULL;
	pfn = pte_pfn(pte);
	if (is_zero_pfn(pfn) || !pfn_valid(pfn))
		return NULL;
	return pfn_to_page(pfn);
}

/**
 * ksmdev_next_page - find the first mapped page at or after *@addr
 * @vma: the VMA containing *@addr
 * @addr: in: where to start; out: the address of the page found, or @end
 * @end: stop here (at most vma->vm_end)
 *
 * Walks the page tables without faulting anything in; holes are skipped a
 * whole table at a time.  For a PMD-mapped THP the subpage at *@addr is
 * returned.  Requires mmap_lock held for read.  At most
 * KSMDEV_WALK_TABLES page tables are looked at in one call, so that a
 * user's empty page tables (left by MADV_DONTNEED) cost the caller's
 * budget, not one unbounded walk.
 *
 * Return: the page with a reference taken, or NULL when there is none
 * before @end, or none in the first KSMDEV_WALK_TABLES page tables
 * (*@addr is then below @end, where the walk stopped).
 */
struct page *ksmdev_next_page(struct vm_area_struct *vma, unsigned long *addr,
			      unsigned long end)
{
	struct mm_struct *mm = vma->vm_mm;
	unsigned long a = *addr;
	unsigned int tables = 0;

	ksmdev_mmap_assert_locked(mm);
	while (a < end) {
		unsigned long next, pmd_end = pmd_addr_end(a, end);
		struct page *page = NULL;
		spinlock_t *ptl;
		pte_t *ptep, *pte;
		pmd_t *pmd, pmdval;

		pmd = ksmdev_find_pmd(mm, a, &next);
		if (!pmd) {
			a = next;
			continue;
		}
		pmdval = ksmdev_pmd_read(pmd);
		if (pmd_none(pmdval) || !pmd_present(pmdval)) {
			a = pmd_end;
			continue;
		}
		if (pmd_trans_huge(pmdval)) {
			ptl = pmd_lock(mm, pmd);
			pmdval = *pmd;
			if (pmd_trans_huge(pmdval) && pmd_present(pmdval)) {
				page = pmd_page(pmdval);
				if (is_zero_pfn(page_to_pfn(page)) || !PageAnon(page)) {
					page = NULL;	/* huge zero page */
				} else {
					page += (a & ~HPAGE_PMD_MASK) >> PAGE_SHIFT;
					get_page(page);
				}
			}
			spin_unlock(ptl);
			if (page) {
				*addr = a;
				return page;
			}
			if (pmd_trans_huge(pmdval)) {
				a = pmd_end;
				continue;
			}
			/* split under us: look at the PTEs */
		}
		ptep = ksmdev_pte_offset_map_lock(mm, pmd, a, &ptl);
		if (!ptep)
			continue;	/* the PMD changed; look again */
		ksmdev_pte_mapped_locked(ptl);
		for (pte = ptep; a < pmd_end; a += PAGE_SIZE, pte++) {
			page = ksmdev_pte_page(ptep_get(pte));
			if (page) {
				get_page(page);
				break;
			}
		}
		pte_unmap_unlock(ptep, ptl);
		if (page) {
			*addr = a;
			return page;
		}
		if (++tables >= KSMDEV_WALK_TABLES && a < end) {
			*addr = a;
			return NULL;
		}
	}
	*addr = end;
	return NULL;
}

/**
 * ksmdev_pte_table - the PMD of an address, if it maps a page table
 * @mm: the mm
 * @addr: user address
 *
 * Return: the PMD, or NULL if there is none or it maps a huge page.
 */
pmd_t *ksmdev_pte_table(struct mm_struct *mm, unsigned long addr)
{
	unsigned long skip;
	pmd_t *pmd, pmdval;

	pmd = ksmdev_find_pmd(mm, addr, &skip);
	if (!pmd)
		return NULL;
	pmdval = ksmdev_pmd_read(pmd);
	if (!pmd_present(pmdval) || pmd_trans_huge(pmdval))
		return NULL;
	return pmd;
}


/**
 * ksmdev_page_wrprotect - take every access to @page at @addr away, for a merge
 * @vma: the VMA of @addr; mmap_lock held for read
 * @addr: user address mapping @page
 * @page: a small anonymous page, locked, with one reference held by the
 *        caller besides those of its mappings
 * @wp: out: the state ksmdev_replace_page() or ksmdev_page_wrprotect_undo()
 *      needs
 *
 * Opens an mmu-notifier range, takes the page-table lock, clears the PTE
 * and flushes it from every TLB, and only then checks the reference count,
 * so that a concurrent lockless GUP has either been counted or will find
 * no PTE.  A page with references beyond its mappings and ours (GUP pins,
 * O_DIRECT, a pipe) is left alone.  On success the page can neither be
 * written nor read through this mapping until the caller, still holding
 * the lock, either replaces it (ksmdev_replace_page()) or puts the PTE back
 * (ksmdev_page_wrprotect_undo()).  One TLB flush serves the whole merge.
 *
 * Return: 0 with the PTE cleared and locked; -EFAULT if @page is not
 * mapped there any more, -EBUSY if someone else holds a reference.
 */
int ksmdev_page_wrprotect(struct vm_area_struct *vma, unsigned long addr,
			  struct page *page, struct ksmdev_wp *wp)
{
	struct mm_struct *mm = vma->vm_mm;
	int swapped;
	pmd_t *pmd;
	pte_t entry;

	ksmdev_mmap_assert_locked(mm);
	ksmdev_mn_range_init(&wp->range, vma, addr, addr + PAGE_SIZE, &ksmdev_notifier_owner);
	ksmdev_mn_range_start(&wp->range);
	pmd = ksmdev_pte_table(mm, addr);
	if (!pmd)
		goto out_mn;
	wp->ptep = ksmdev_pte_offset_map_lock(mm, pmd, addr, &wp->ptl);
	if (!wp->ptep)
		goto out_mn;
	ksmdev_pte_mapped_locked(wp->ptl);
	entry = ptep_get(wp->ptep);
	if (ksmdev_pte_page(entry) != page)
		goto out_unlock;

	swapped = ksmdev_page_swapcache(page);
	flush_cache_page(vma, addr, page_to_pfn(page));
	/* Secondary TLBs (IOMMU SVA) too, before the caller compares. */
	wp->orig = ptep_get_and_clear(mm, addr, wp->ptep);
	ksmdev_flush_tlb_range(vma, addr, addr + PAGE_SIZE);
	if (ksmdev_page_mapcount(page) + 1 + swapped != page_count(page)) {
		set_pte_at(mm, addr, wp->ptep, wp->orig);
		pte_unmap_unlock(wp->ptep, wp->ptl);
		ksmdev_mn_range_end(&wp->range);
		return -EBUSY;
	}
	wp->vma = vma;
	wp->addr = addr;
	ksmdev_pte_mapped_handoff(wp->ptl);	/* sparse: held until replace/undo */
	return 0;

out_unlock:
	pte_unmap_unlock(wp->ptep, wp->ptl);
out_mn:
	ksmdev_mn_range_end(&wp->range);
	return -EFAULT;
}

/**
 * ksmdev_page_wrprotect_undo - put back the PTE ksmdev_page_wrprotect() took
 * away
 * @wp: the state of a successful ksmdev_page_wrprotect()
 *
 * The page is mapped again exactly as before; the lock and the notifier
 * range are released.
 */
void ksmdev_page_wrprotect_undo(struct ksmdev_wp *wp)
{
	ksmdev_pte_mapped_locked(wp->ptl);
	lockdep_assert_held(wp->ptl);
	set_pte_at(wp->vma->vm_mm, wp->addr, wp->ptep, wp->orig);
	pte_unmap_unlock(wp->ptep, wp->ptl);
	ksmdev_mn_range_end(&wp->range);
}

/*
 * Point the PTE @ptep of @addr, cleared and flushed by the caller (whose
 * old value was @orig), at the KSM page @kpage, read-only, and move rmap
 * and RSS accounting from @page to it.  Page-table lock held.
 */
static void ksmdev_install_kpage(struct vm_area_struct *vma, unsigned long addr,
				 pte_t *ptep, pte_t orig, struct page *page,
				 struct page *kpage)
{
	struct mm_struct *mm = vma->vm_mm;
	pte_t newpte;

	get_page(kpage);
	ksmdev_add_file_rmap(kpage, vma);
	newpte = pte_wrprotect(mk_pte(kpage, vma->vm_page_prot));
	if (pte_soft_dirty(orig))
		newpte = pte_mksoft_dirty(newpte);
	if (pte_uffd_wp(orig))
		newpte = pte_mkuffd_wp(newpte);
	ksmdev_set_pte_notify(mm, addr, ptep, newpte);

	ksmdev_remove_rmap(page, vma);
	ksmdev_mm_counter_add(mm, MM_ANONPAGES, -1);
	ksmdev_mm_counter_add(mm, MM_FILEPAGES, 1);
	put_page(page);			/* the reference of the old mapping */
}

/**
 * ksmdev_replace_page - map the KSM page @kpage where ksmdev_page_wrprotect()
 * took @page
 * @page: the anonymous page, locked; same contents as @kpage (compared by
 *        the caller after ksmdev_page_wrprotect())
 * @kpage: the KSM page
 * @wp: the state of a successful ksmdev_page_wrprotect()
 *
 * Installs @kpage read-only (secondary MMUs learn it through change_pte
 * where it exists, and through the range), moves rmap and RSS accounting
 * from @page to @kpage, drops the mapping's reference on @page, and
 * releases the lock and the notifier range.
 */
void ksmdev_replace_page(struct page *page, struct page *kpage, struct ksmdev_wp *wp)
{
	ksmdev_pte_mapped_locked(wp->ptl);
	lockdep_assert_held(wp->ptl);
	ksmdev_install_kpage(wp->vma, wp->addr, wp->ptep, wp->orig, page, kpage);
	pte_unmap_unlock(wp->ptep, wp->ptl);
	ksmdev_mn_range_end(&wp->range);
}

/**
 * ksmdev_gather_run - the pages mapped at consecutive addresses of one page
 * table, for a batched merge
 * @vma: the VMA of @addr; mmap_lock held for read
 * @addr: the first address
 * @end: stop here (at most vma->vm_end)
 * @pages: out: the page mapped at @addr + i * PAGE_SIZE, with a reference
 * @max: room in @pages (at most %KSMDEV_MERGE_BATCH)
 *
 * Stops at the end of the page table, at the first PTE that does not map
 * a small anonymous page (a hole, the zero page, a KSM page, a THP), or
 * after @max pages.  One walk and one page-table lock for them all.
 *
 * Return: the number of pages stored (0 to @max).
 */
int ksmdev_gather_run(struct vm_area_struct *vma, unsigned long addr,
		      unsigned long end, struct page **pages, int max)
{
	struct mm_struct *mm = vma->vm_mm;
	spinlock_t *ptl;
	pte_t *ptep;
	pmd_t *pmd;
	int n = 0;

	ksmdev_mmap_assert_locked(mm);
	end = min(end, pmd_addr_end(addr, end));
	if (addr >= end)
		return 0;
	pmd = ksmdev_pte_table(mm, addr);
	if (!pmd)
		return 0;
	ptep = ksmdev_pte_offset_map_lock(mm, pmd, addr, &ptl);
	if (!ptep)
		return 0;
	ksmdev_pte_mapped_locked(ptl);
	for (; addr < end && n < max; addr += PAGE_SIZE, n++) {
		struct page *page = ksmdev_pte_page(ptep_get(ptep + n));

		if (!page || !PageAnon(page) || PageKsm(page) ||
		    PageTransCompound(page))
			break;
		get_page(page);
		pages[n] = page;
	}
	pte_unmap_unlock(ptep, ptl);
	return n;
}

/**
 * ksmdev_page_wrprotect_batch - ksmdev_page_wrprotect() for consecutive pages
 * of one page table, with one notifier range, one lock and one TLB flush
 * @vma: the VMA; mmap_lock held for read
 * @addr: the address of @pages[0]; @pages[i] is at @addr + i * PAGE_SIZE
 * @pages: small anonymous pages, each locked, with one reference held by
 *         the caller besides those of its mappings
 * @n: how many (1 to %KSMDEV_MERGE_BATCH), all in the page table of @addr
 * @wb: out: the state ksmdev_replace_page_batch() needs; @wb->held[i] says
 *      whether @pages[i] is write-protected
 *
 * Every PTE that still maps its page is cleared, then all are flushed
 * from every TLB at once, and only then are reference counts checked (as
 * ksmdev_page_wrprotect() does, for lockless GUP); a page someone else
 * holds gets its PTE back at once.  The caller compares the held pages,
 * still under the lock, and calls ksmdev_replace_page_batch().
 *
 * Return: 0 with the page-table lock held; -EFAULT (nothing held) if
 * the page table is gone, -EINVAL if the pages are not in one table.
 */
int ksmdev_page_wrprotect_batch(struct vm_area_struct *vma, unsigned long addr,
				struct page **pages, int n, struct ksmdev_wp_batch *wb)
{
	struct mm_struct *mm = vma->vm_mm;
	int i, cleared = 0;
	pmd_t *pmd;

	ksmdev_mmap_assert_locked(mm);
	if (n < 1 || n > KSMDEV_MERGE_BATCH ||
	    (addr & PMD_MASK) != ((addr + (n - 1) * PAGE_SIZE) & PMD_MASK))
		return -EINVAL;
	wb->vma = vma;
	wb->addr = addr;
	wb->n = n;
	ksmdev_mn_range_init(&wb->range, vma, addr, addr + n * PAGE_SIZE,
			     &ksmdev_notifier_owner);
	ksmdev_mn_range_start(&wb->range);
	pmd = ksmdev_pte_table(mm, addr);
	wb->ptep = pmd ? ksmdev_pte_offset_map_lock(mm, pmd, addr, &wb->ptl) : NULL;
	if (!wb->ptep) {
		ksmdev_mn_range_end(&wb->range);
		return -EFAULT;
	}
	ksmdev_pte_mapped_locked(wb->ptl);
	for (i = 0; i < n; i++) {
		unsigned long a = addr + i * PAGE_SIZE;

		wb->held[i] = ksmdev_pte_page(ptep_get(wb->ptep + i)) == pages[i];
		if (!wb->held[i])
			continue;
		flush_cache_page(vma, a, page_to_pfn(pages[i]));
		wb->orig[i] = ptep_get_and_clear(mm, a, wb->ptep + i);
		cleared++;
	}
	if (cleared)
		ksmdev_flush_tlb_range(vma, addr, addr + n * PAGE_SIZE);
	for (i = 0; i < n; i++) {
		struct page *page = pages[i];

		if (!wb->held[i])
			continue;
		if (ksmdev_page_mapcount(page) + 1 + ksmdev_page_swapcache(page) !=
		    page_count(page)) {
			set_pte_at(mm, addr + i * PAGE_SIZE, wb->ptep + i, wb->orig[i]);
			wb->held[i] = false;
		}
	}
	ksmdev_pte_mapped_handoff(wb->ptl);	/* sparse: held until replace */
	return 0;
}

/**
 * ksmdev_replace_page_batch - finish ksmdev_page_wrprotect_batch()
 * @pages: the pages given to ksmdev_page_wrprotect_batch()
 * @kpage: the KSM page
 * @same: which held pages the caller found identical to @kpage
 * @wb: the state of a successful ksmdev_page_wrprotect_batch()
 *
 * Each held page found the same is replaced by @kpage as ksmdev_replace_page()
 * does; every other held PTE is put back as it was.  Then the lock and
 * the notifier range are released.
 *
 * Return: the number of pages replaced; @wb->held[i] then says which.
 */
int ksmdev_replace_page_batch(struct page **pages, struct page *kpage,
			      const bool *same, struct ksmdev_wp_batch *wb)
{
	struct vm_area_struct *vma = wb->vma;
	int i, done = 0;

	ksmdev_pte_mapped_locked(wb->ptl);
	lockdep_assert_held(wb->ptl);
	for (i = 0; i < wb->n; i++) {
		unsigned long a = wb->addr + i * PAGE_SIZE;

		if (!wb->held[i])
			continue;
		if (!same[i]) {
			set_pte_at(vma->vm_mm, a, wb->ptep + i, wb->orig[i]);
			wb->held[i] = false;
			continue;
		}
		ksmdev_install_kpage(vma, a, wb->ptep + i, wb->orig[i], pages[i], kpage);
		done++;
	}
	pte_unmap_unlock(wb->ptep, wb->ptl);
	ksmdev_mn_range_end(&wb->range);
	return done;
}

/**
 * ksmdev_replace_page_zero - map the zero page where ksmdev_page_wrprotect()
 * took @page
 * @page: the anonymous page, locked, found all zero after
 *        ksmdev_page_wrprotect()
 * @wp: the state of a successful ksmdev_page_wrprotect()
 *
 * Zero-page mode: no KSM page is needed for zeroes.  The PTE becomes a
 * special read-only mapping of the kernel's zero page, as a read fault on
 * untouched memory makes; a write fault gives a fresh zeroed page.
 */
void ksmdev_replace_page_zero(struct page *page, struct ksmdev_wp *wp)
{
	struct vm_area_struct *vma = wp->vma;
	struct mm_struct *mm = vma->vm_mm;
	pte_t newpte;

	ksmdev_pte_mapped_locked(wp->ptl);
	lockdep_assert_held(wp->ptl);
	newpte = pte_mkspecial(pfn_pte(my_zero_pfn(wp->addr), vma->vm_page_prot));
	if (pte_soft_dirty(wp->orig))
		newpte = pte_mksoft_dirty(newpte);
	ksmdev_set_pte_notify(mm, wp->addr, wp->ptep, newpte);
	ksmdev_remove_rmap(page, vma);
	ksmdev_mm_counter_add(mm, MM_ANONPAGES, -1);
	put_page(page);
	pte_unmap_unlock(wp->ptep, wp->ptl);
	ksmdev_mn_range_end(&wp->range);
}

/**
 * ksmdev_pte_maps_zero - does the PTE of @addr map the zero page?
 * @vma: the VMA of @addr; mmap_lock held for read
 * @addr: user address
 *
 * Return: true if the PTE is present and maps the zero page.
 */
bool ksmdev_pte_maps_zero(struct vm_area_struct *vma, unsigned long addr)
{
	struct mm_struct *mm = vma->vm_mm;
	spinlock_t *ptl;
	pte_t *ptep, pte;
	pmd_t *pmd;

	ksmdev_mmap_assert_locked(mm);
	pmd = ksmdev_pte_table(mm, addr);
	if (!pmd)
		return false;
	ptep = ksmdev_pte_offset_map_lock(mm, pmd, addr, &ptl);
	if (!ptep)
		return false;
	ksmdev_pte_mapped_locked(ptl);
	pte = ptep_get(ptep);
	pte_unmap_unlock(ptep, ptl);
	return pte_present(pte) && is_zero_pfn(pte_pfn(pte));
}

/**
 * ksmdev_collect_kpages - find the PTEs mapping KSM pages in part of a VMA
 * @vma: an anonymous VMA; mmap_lock held for read
 * @addr: in: where to start; out: where to continue
 * @end: stop here (at most vma->vm_end)
 * @found: out: addresses of PTEs mapping a non-anonymous page (ours)
 * @kpages: out, if not NULL: the pages mapped there, each with a
 *          reference taken under the page-table lock; the walk then ends
 *          with the first page table that maps any, so that the caller
 *          can handle them as one batch under one lock
 * @max: room in @found (and @kpages)
 *
 * One page-table lock per page table instead of one walk per page.  A PMD
 * that changes under the walk is read again; empty stretches of the
 * address space are skipped a whole page directory at a time.  Sleeps
 * (cond_resched) between page tables.
 *
 * Return: the number of addresses stored.
 */
int ksmdev_collect_kpages(struct vm_area_struct *vma, unsigned long *addr,
			  unsigned long end, unsigned long *found,
			  struct page **kpages, int max)
{
	struct mm_struct *mm = vma->vm_mm;
	unsigned long a = *addr;
	int n = 0;

	ksmdev_mmap_assert_locked(mm);
	while (a < end && n < max) {
		unsigned long next, pmd_end = pmd_addr_end(a, end);
		spinlock_t *ptl;
		pte_t *ptep, *pte;
		pmd_t *pmd, pmdval;

		pmd = ksmdev_find_pmd(mm, a, &next);
		if (!pmd) {
			a = min(next, end);
			continue;
		}
		pmdval = ksmdev_pmd_read(pmd);
		if (pmd_none(pmdval) || !pmd_present(pmdval) || pmd_trans_huge(pmdval)) {
			a = pmd_end;	/* huge pages are anonymous: not ours */
			continue;
		}
		ptep = ksmdev_pte_offset_map_lock(mm, pmd, a, &ptl);
		if (!ptep)
			continue;
		ksmdev_pte_mapped_locked(ptl);
		for (pte = ptep; a < pmd_end && n < max; a += PAGE_SIZE, pte++) {
			struct page *page = ksmdev_pte_page(ptep_get(pte));

			if (!page || PageAnon(page))
				continue;
			if (kpages) {
				get_page(page);
				kpages[n] = page;
			}
			found[n++] = a;
		}
		pte_unmap_unlock(ptep, ptl);
		if (kpages && n)
			break;
		cond_resched();
	}
	*addr = a;
	return n;
}

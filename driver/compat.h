/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * compat.h - the one interface between ksmdev and the core-mm internals of
 * the kernel it runs on.
 *
 * ksmdev builds against unmodified kernels.  The core-mm functions it
 * needs but that the kernel does not export are looked up by name when the
 * module loads (ksmdev_compat_init()); if one is missing the module refuses to
 * load and names it.  The differences between the Linux 6.1 page/rmap API
 * and the 6.12 folio API, and between the mmu-notifier interfaces (6.1
 * still has change_pte, removed in 6.9), live here and in compat.c only.
 */
#ifndef KSMDEV_COMPAT_H
#define KSMDEV_COMPAT_H

#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/mmdebug.h>
#include <linux/mmu_notifier.h>
#include <linux/version.h>

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 9, 0)
#define KSMDEV_HAVE_CHANGE_PTE	0
#else
#define KSMDEV_HAVE_CHANGE_PTE	1
#endif

int ksmdev_compat_init(void);

/*
 * mmap_assert_locked(): @mm's mmap_lock is held, for read or write.
 * Before 6.8 it reports a failure through dump_mm(), which is not exported:
 * on a DEBUG_VM kernel a module using it would not load.  There, lockdep
 * checks it as mmap_assert_locked() does, and DEBUG_VM warns.
 */
static inline void ksmdev_mmap_assert_locked(struct mm_struct *mm)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 8, 0)
	mmap_assert_locked(mm);
#else
	lockdep_assert_held(&mm->mmap_lock);
	VM_WARN_ON_ONCE(!rwsem_is_locked(&mm->mmap_lock));
#endif
}

/* A PMD value read without the lock (may be stale; recheck under it). */
static inline pmd_t ksmdev_pmd_read(pmd_t *pmd)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0)
	return pmdp_get_lockless(pmd);
#else
	return pmd_read_atomic(pmd);
#endif
}

static inline bool ksmdev_page_swapcache(struct page *page)
{
	return folio_test_swapcache(page_folio(page));
}

/* Range notification of secondary MMUs around a PTE change. */
void ksmdev_mn_range_init(struct mmu_notifier_range *range,
			  struct vm_area_struct *vma, unsigned long start,
			  unsigned long end, void *owner);
void ksmdev_mn_range_start(struct mmu_notifier_range *range);
void ksmdev_mn_range_end(struct mmu_notifier_range *range);

/*
 * Install @pte replacing a cleared entry.  On kernels with change_pte this
 * is set_pte_at_notify(): secondary MMUs (KVM) get the new PTE directly.
 */
void ksmdev_set_pte_notify(struct mm_struct *mm, unsigned long addr,
			   pte_t *ptep, pte_t pte);

/* Map/lock the PTE of @addr under @pmd; NULL if the PMD changed under us. */
pte_t *__ksmdev_pte_offset_map_lock(struct mm_struct *mm, pmd_t *pmd,
				    unsigned long addr, spinlock_t **ptlp);
/*
 * Returns with *@ptlp held when non-NULL; callers tell sparse with
 * ksmdev_pte_mapped_locked(ptl) after their NULL check.
 */
#define ksmdev_pte_offset_map_lock __ksmdev_pte_offset_map_lock
/* For sparse: a successful ksmdev_pte_offset_map_lock() holds these. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0)
#define ksmdev_pte_mapped_locked(ptl)	do { __acquire(ptl); __acquire(RCU); } while (0)
#define ksmdev_pte_mapped_handoff(ptl)	do { __release(ptl); __release(RCU); } while (0)
#else
#define ksmdev_pte_mapped_locked(ptl)	__acquire(ptl)
#define ksmdev_pte_mapped_handoff(ptl)	__release(ptl)
#endif

/* rmap of a single small page mapped by one PTE. */
void ksmdev_add_file_rmap(struct page *page, struct vm_area_struct *vma);
void ksmdev_remove_rmap(struct page *page, struct vm_area_struct *vma);
/* page_try_share_anon_rmap(): 0 on success, -EBUSY if pinned. */
int ksmdev_try_share_anon_rmap(struct page *page);
int ksmdev_page_mapcount(struct page *page);
int ksmdev_split_huge_page(struct page *page);
void ksmdev_lru_add_drain_all(void);
/* This CPU's LRU batches only. */
void ksmdev_lru_add_drain(void);
/*
 * madvise(MADV_NOHUGEPAGE) on [start, start + len) of @mm (referenced, its
 * mmap_lock not held: it is taken for write); 0 without THP.
 */
int ksmdev_madvise_nohugepage(struct mm_struct *mm, unsigned long start, unsigned long len);
void ksmdev_mm_counter_add(struct mm_struct *mm, int member, long value);

/*
 * A freshly allocated page becoming a private anonymous page of @vma at
 * @addr: memcg charge (may sleep), then, under the page-table lock, the
 * exclusive anonymous rmap and the LRU (or the mlock list).
 */
int ksmdev_charge_anon(struct page *page, struct mm_struct *mm);
/*
 * Charge a page that is not anonymous memory of any mm (a KSM page) to the
 * caller's active memcg (set_active_memcg()); freeing it uncharges it.
 */
int ksmdev_charge_remote(struct page *page, gfp_t gfp);
void ksmdev_add_new_anon(struct page *page, struct vm_area_struct *vma,
			 unsigned long addr);
/* Flush [start, end) of @vma from every CPU's TLB and from IOMMU TLBs. */
void ksmdev_flush_tlb_range(struct vm_area_struct *vma, unsigned long start,
			    unsigned long end);

/* Flags for handle_mm_fault() that give the faulting PTE a private copy. */
unsigned int ksmdev_cow_fault_flags(void);

struct kobject *ksmdev_mm_kobj(void);

#endif /* KSMDEV_COMPAT_H */

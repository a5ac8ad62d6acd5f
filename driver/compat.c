// SPDX-License-Identifier: GPL-2.0-only
/*
 * compat.c - load-time resolution of core-mm internals, and the per-kernel
 * differences of the page-table and rmap primitives ksmdev uses.
 *
 * Resolution: kallsyms_lookup_name() is not exported since Linux 5.7, but a
 * kprobe on it yields its address; through it every symbol in
 * ksmdev_symbols[] is looked up once, in ksmdev_compat_init(), before the
 * device exists.  A missing symbol fails the load with a message naming it.
 * On CPUs with indirect branch tracking an entry point without ENDBR cannot
 * be called through a pointer, so such a symbol counts as missing too.
 *
 * Locking: none of its own; callers hold what each primitive documents.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kprobes.h>
#include <linux/mm.h>
#include <linux/rmap.h>
#include <linux/huge_mm.h>
#include <linux/swap.h>
#include <linux/kobject.h>
#include <linux/memcontrol.h>
#include <linux/mman.h>
#include <asm/tlbflush.h>
#include "compat.h"

#ifdef CONFIG_X86_KERNEL_IBT
#include <asm/ibt.h>
#endif

static unsigned long (*ksmdev_kallsyms_lookup_name)(const char *name);

static int (*ksmdev_mn_start_fn)(struct mmu_notifier_range *range);
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 6, 0)
static void (*ksmdev_mn_end_fn)(struct mmu_notifier_range *range);
#else
static void (*ksmdev_mn_end_fn)(struct mmu_notifier_range *range, bool only_end);
#endif
static void (*ksmdev_lru_add_drain_all_fn)(void);
static void (*ksmdev_lru_add_drain_fn)(void);
#ifdef CONFIG_TRANSPARENT_HUGEPAGE
static int (*ksmdev_do_madvise_fn)(struct mm_struct *mm, unsigned long start,
				   size_t len, int behavior);
#endif
static void (*ksmdev_folio_add_lru_vma_fn)(struct folio *folio,
					   struct vm_area_struct *vma);
static void (*ksmdev_flush_tlb_mm_range_fn)(struct mm_struct *mm, unsigned long start,
					    unsigned long end, unsigned int stride_shift,
					    bool freed_tables);
#ifdef CONFIG_MEMCG
static int (*ksmdev_memcg_charge_fn)(struct folio *folio, struct mm_struct *mm,
				     gfp_t gfp);
#endif
/* IOMMU/secondary TLBs that share the CPU page tables (SVA). */
static void (*ksmdev_secondary_tlbs_fn)(struct mm_struct *mm, unsigned long start,
					unsigned long end);
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 6, 0)
#define KSMDEV_SECONDARY_TLBS_NAME	"__mmu_notifier_arch_invalidate_secondary_tlbs"
#else
#define KSMDEV_SECONDARY_TLBS_NAME	"__mmu_notifier_invalidate_range"
#endif
static struct kobject **ksmdev_mm_kobj_ptr;

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0)
static pte_t *(*ksmdev_pte_map_lock_fn)(struct mm_struct *mm, pmd_t *pmd,
					unsigned long addr, spinlock_t **ptlp);
#endif

#if KSMDEV_HAVE_CHANGE_PTE
static void (*ksmdev_change_pte_fn)(struct mm_struct *mm, unsigned long addr,
				    pte_t pte);
#endif

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 8, 0)
static void (*ksmdev_add_file_rmap_fn)(struct folio *folio, struct page *page,
				       int nr_pages, struct vm_area_struct *vma);
static void (*ksmdev_remove_rmap_fn)(struct folio *folio, struct page *page,
				     int nr_pages, struct vm_area_struct *vma);
static int (*ksmdev_split_fn)(struct page *page, struct list_head *list,
			      unsigned int new_order);
static void (*ksmdev_add_new_anon_fn)(struct folio *folio, struct vm_area_struct *vma,
				      unsigned long addr, rmap_t flags);
#define KSMDEV_ADD_NEW_ANON_NAME	"folio_add_new_anon_rmap"
#define KSMDEV_ADD_RMAP_NAME		"folio_add_file_rmap_ptes"
#define KSMDEV_REMOVE_RMAP_NAME		"folio_remove_rmap_ptes"
#define KSMDEV_SPLIT_NAME		"split_huge_page_to_list_to_order"
#else
static void (*ksmdev_add_file_rmap_fn)(struct page *page,
				       struct vm_area_struct *vma, bool compound);
static void (*ksmdev_remove_rmap_fn)(struct page *page,
				     struct vm_area_struct *vma, bool compound);
static int (*ksmdev_split_fn)(struct page *page, struct list_head *list);
static void (*ksmdev_add_new_anon_fn)(struct page *page, struct vm_area_struct *vma,
				      unsigned long addr);
#define KSMDEV_ADD_NEW_ANON_NAME	"page_add_new_anon_rmap"
#define KSMDEV_ADD_RMAP_NAME		"page_add_file_rmap"
#define KSMDEV_REMOVE_RMAP_NAME		"page_remove_rmap"
#define KSMDEV_SPLIT_NAME		"split_huge_page_to_list"
#endif

struct ksmdev_symbol {
	const char *name;
	void **addr;
	bool is_function;
};

#define KSMDEV_FN(n, p)		{ n, (void **)&(p), true }
#define KSMDEV_VAR(n, p)	{ n, (void **)&(p), false }

static const struct ksmdev_symbol ksmdev_symbols[] = {
	KSMDEV_FN("__mmu_notifier_invalidate_range_start", ksmdev_mn_start_fn),
	KSMDEV_FN("__mmu_notifier_invalidate_range_end", ksmdev_mn_end_fn),
	KSMDEV_FN("lru_add_drain_all", ksmdev_lru_add_drain_all_fn),
	KSMDEV_FN("lru_add_drain", ksmdev_lru_add_drain_fn),
#ifdef CONFIG_TRANSPARENT_HUGEPAGE
	KSMDEV_FN("do_madvise", ksmdev_do_madvise_fn),
#endif
	KSMDEV_FN(KSMDEV_ADD_RMAP_NAME, ksmdev_add_file_rmap_fn),
	KSMDEV_FN(KSMDEV_REMOVE_RMAP_NAME, ksmdev_remove_rmap_fn),
	KSMDEV_FN(KSMDEV_SPLIT_NAME, ksmdev_split_fn),
	KSMDEV_FN(KSMDEV_ADD_NEW_ANON_NAME, ksmdev_add_new_anon_fn),
	KSMDEV_FN("folio_add_lru_vma", ksmdev_folio_add_lru_vma_fn),
	KSMDEV_FN("flush_tlb_mm_range", ksmdev_flush_tlb_mm_range_fn),
	KSMDEV_FN(KSMDEV_SECONDARY_TLBS_NAME, ksmdev_secondary_tlbs_fn),
#ifdef CONFIG_MEMCG
	KSMDEV_FN("__mem_cgroup_charge", ksmdev_memcg_charge_fn),
#endif
#if KSMDEV_HAVE_CHANGE_PTE
	KSMDEV_FN("__mmu_notifier_change_pte", ksmdev_change_pte_fn),
#endif
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0)
	KSMDEV_FN("__pte_offset_map_lock", ksmdev_pte_map_lock_fn),
#endif
	KSMDEV_VAR("mm_kobj", ksmdev_mm_kobj_ptr),
};

/* An address we may call through a pointer (ENDBR present under IBT). */
static bool ksmdev_callable(unsigned long addr)
{
#ifdef CONFIG_X86_KERNEL_IBT
	if (cpu_feature_enabled(X86_FEATURE_IBT))
		return is_endbr(*(u32 *)addr);
#endif
	return true;
}

static int ksmdev_find_kallsyms(void)
{
	struct kprobe kp = { .symbol_name = "kallsyms_lookup_name" };
	unsigned long addr;
	int err;

	err = register_kprobe(&kp);
	if (err) {
		pr_err("cannot find kallsyms_lookup_name (kprobe: %d); "
		       "this kernel needs CONFIG_KPROBES and CONFIG_KALLSYMS\n", err);
		return err;
	}
	addr = (unsigned long)kp.addr;
	unregister_kprobe(&kp);
#ifdef CONFIG_X86_KERNEL_IBT
	/* kprobes put the probe after the ENDBR of a function entry. */
	if (!ksmdev_callable(addr) && ksmdev_callable(addr - ENDBR_INSN_SIZE))
		addr -= ENDBR_INSN_SIZE;
#endif
	if (!ksmdev_callable(addr)) {
		pr_err("kallsyms_lookup_name is not callable under IBT\n");
		return -ENOENT;
	}
	ksmdev_kallsyms_lookup_name = (void *)addr;
	return 0;
}

/*
 * One more symbol to require, for testing the refusal path: loading with
 * require_symbol=<name of no symbol> must fail and name it.
 */
static char *ksmdev_require_symbol;
module_param_named(require_symbol, ksmdev_require_symbol, charp, 0444);
MODULE_PARM_DESC(require_symbol, "also require this kernel symbol (for testing)");

/**
 * ksmdev_compat_init - resolve every core-mm internal ksmdev needs
 *
 * Return: 0, or -ENOENT after logging the name of each missing symbol.
 */
int ksmdev_compat_init(void)
{
	unsigned int i;
	int err, missing = 0;

	err = ksmdev_find_kallsyms();
	if (err)
		return err;
	if (ksmdev_require_symbol && !ksmdev_kallsyms_lookup_name(ksmdev_require_symbol)) {
		pr_err("core-mm symbol %s not found in this kernel; ksmdev cannot load\n",
		       ksmdev_require_symbol);
		missing++;
	}
	for (i = 0; i < ARRAY_SIZE(ksmdev_symbols); i++) {
		const struct ksmdev_symbol *s = &ksmdev_symbols[i];
		unsigned long addr;

		cond_resched();		/* each lookup walks the symbol table */
		addr = ksmdev_kallsyms_lookup_name(s->name);

		if (addr && s->is_function && !ksmdev_callable(addr)) {
			pr_err("core-mm function %s cannot be called under IBT\n",
			       s->name);
			addr = 0;
		}
		if (!addr) {
			pr_err("core-mm symbol %s not found in this kernel; "
			       "ksmdev cannot load\n", s->name);
			missing++;
			continue;
		}
		*s->addr = (void *)addr;
	}
	return missing ? -ENOENT : 0;
}

void ksmdev_mn_range_init(struct mmu_notifier_range *range,
			  struct vm_area_struct *vma, unsigned long start,
			  unsigned long end, void *owner)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	mmu_notifier_range_init_owner(range, MMU_NOTIFY_CLEAR, 0, vma->vm_mm,
				      start, end, owner);
#else
	mmu_notifier_range_init_owner(range, MMU_NOTIFY_CLEAR, 0, vma,
				      vma->vm_mm, start, end, owner);
#endif
}

void ksmdev_mn_range_start(struct mmu_notifier_range *range)
{
	might_sleep();
	if (mm_has_notifiers(range->mm)) {
		range->flags |= MMU_NOTIFIER_RANGE_BLOCKABLE;
		ksmdev_mn_start_fn(range);
	}
}

void ksmdev_mn_range_end(struct mmu_notifier_range *range)
{
	if (mm_has_notifiers(range->mm)) {
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 6, 0)
		ksmdev_mn_end_fn(range);
#else
		ksmdev_mn_end_fn(range, false);
#endif
	}
}

void ksmdev_set_pte_notify(struct mm_struct *mm, unsigned long addr,
			   pte_t *ptep, pte_t pte)
{
#if KSMDEV_HAVE_CHANGE_PTE
	if (mm_has_notifiers(mm))
		ksmdev_change_pte_fn(mm, addr, pte);
#endif
	set_pte_at(mm, addr, ptep, pte);
}

pte_t *__ksmdev_pte_offset_map_lock(struct mm_struct *mm, pmd_t *pmd,
				    unsigned long addr, spinlock_t **ptlp)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0)
	return ksmdev_pte_map_lock_fn(mm, pmd, addr, ptlp);
#else
	pte_t *pte = pte_offset_map_lock(mm, pmd, addr, ptlp);

	__release(*ptlp);	/* for sparse: the caller counts it */
	return pte;
#endif
}

void ksmdev_add_file_rmap(struct page *page, struct vm_area_struct *vma)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 8, 0)
	ksmdev_add_file_rmap_fn(page_folio(page), page, 1, vma);
#else
	ksmdev_add_file_rmap_fn(page, vma, false);
#endif
}

void ksmdev_remove_rmap(struct page *page, struct vm_area_struct *vma)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 8, 0)
	ksmdev_remove_rmap_fn(page_folio(page), page, 1, vma);
#else
	ksmdev_remove_rmap_fn(page, vma, false);
#endif
}

int ksmdev_try_share_anon_rmap(struct page *page)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 8, 0)
	return folio_try_share_anon_rmap_pte(page_folio(page), page);
#else
	return page_try_share_anon_rmap(page);
#endif
}

int ksmdev_page_mapcount(struct page *page)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 8, 0)
	return folio_mapcount(page_folio(page));
#else
	return page_mapcount(page);
#endif
}

int ksmdev_split_huge_page(struct page *page)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 8, 0)
	return ksmdev_split_fn(page, NULL, 0);
#else
	return ksmdev_split_fn(page, NULL);
#endif
}

void ksmdev_lru_add_drain_all(void)
{
	ksmdev_lru_add_drain_all_fn();
}

void ksmdev_lru_add_drain(void)
{
	ksmdev_lru_add_drain_fn();
}

int ksmdev_madvise_nohugepage(struct mm_struct *mm, unsigned long start, unsigned long len)
{
#ifdef CONFIG_TRANSPARENT_HUGEPAGE
	return ksmdev_do_madvise_fn(mm, start, len, MADV_NOHUGEPAGE);
#else
	return 0;
#endif
}

void ksmdev_mm_counter_add(struct mm_struct *mm, int member, long value)
{
	/* add_mm_counter() without its (unexported) tracepoint. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
	percpu_counter_add(&mm->rss_stat[member], value);
#else
	atomic_long_add(value, &mm->rss_stat.count[member]);
#endif
}

int ksmdev_charge_anon(struct page *page, struct mm_struct *mm)
{
#ifdef CONFIG_MEMCG
	/* mem_cgroup_charge() without the unexported call behind it. */
	if (!mem_cgroup_disabled())
		return ksmdev_memcg_charge_fn(page_folio(page), mm, GFP_KERNEL);
#endif
	return 0;
}

int ksmdev_charge_remote(struct page *page, gfp_t gfp)
{
#ifdef CONFIG_MEMCG
	/* No mm: the charge goes to the active memcg (set_active_memcg()). */
	if (!mem_cgroup_disabled())
		return ksmdev_memcg_charge_fn(page_folio(page), NULL, gfp);
#endif
	return 0;
}

void ksmdev_add_new_anon(struct page *page, struct vm_area_struct *vma,
			 unsigned long addr)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 8, 0)
	ksmdev_add_new_anon_fn(page_folio(page), vma, addr, RMAP_EXCLUSIVE);
#else
	ksmdev_add_new_anon_fn(page, vma, addr);	/* exclusive, always */
#endif
	ksmdev_folio_add_lru_vma_fn(page_folio(page), vma);
}

void ksmdev_flush_tlb_range(struct vm_area_struct *vma, unsigned long start,
			    unsigned long end)
{
	/* flush_tlb_range() on x86, then what ptep_clear_flush_notify() adds. */
	ksmdev_flush_tlb_mm_range_fn(vma->vm_mm, start, end, PAGE_SHIFT, false);
	if (mm_has_notifiers(vma->vm_mm))
		ksmdev_secondary_tlbs_fn(vma->vm_mm, start, end);
}

unsigned int ksmdev_cow_fault_flags(void)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 8, 0)
	/* Since 6.x an unshare fault copies non-anonymous pages too. */
	return FAULT_FLAG_UNSHARE | FAULT_FLAG_REMOTE;
#else
	/* 6.1 ignores unshare on non-anonymous pages: use a write fault. */
	return FAULT_FLAG_WRITE | FAULT_FLAG_REMOTE;
#endif
}

struct kobject *ksmdev_mm_kobj(void)
{
	return *ksmdev_mm_kobj_ptr;
}

/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ksmdev.h - internal structures of the ksmdev driver.
 *
 * Objects and who owns them:
 *
 *   ksm_area    one per shared-memory-area fd (SMA).  Holds regions.
 *   ksm_mm_slot one per mm that has regions; embeds our mmu_notifier,
 *               obtained with mmu_notifier_get() (one reference per region),
 *               freed through ->free_notifier after the last put.
 *   ksm_region  [start, end) of one mm, registered on one area.  Lives on
 *               the area's list, its slot's interval tree, and the global
 *               scan list.  Its tracked pages are an xarray of items.
 *   ksm_item    one per page the scanner has seen present in a region.
 *               Allocated lazily: registering a huge range costs nothing.
 *   ksm_stable  one per KSM page: a kernel page (not anonymous, not on the
 *               LRU, never swapped) holding content shared by all the items
 *               listed on it, each mapping it read-only.
 *
 * All of these, every counter and both hash tables are protected by the
 * global mutex ksm_lock, except the pending-invalidation record of a slot,
 * protected by slot->pending_lock (the mmu notifier callbacks take only
 * that spinlock and never sleep on ksm_lock).
 *
 * Lock order: ksm_lock -> mmap_lock (read, or write inside
 * mmu_notifier_get) -> page lock -> page-table lock -> slot->pending_lock.
 * Only one mm's mmap_lock is ever held at a time.
 *
 * Layering (bottom up; each file uses only the files above it):
 *   compat.c
 *   pagetable.c
 *   tables.c
 *   items.c
 *   merge.c
 *   unmerge.c
 *   scan.c
 *   region.c
 *   stats.c
 *   main.c
 *
 */
#ifndef KSMDEV_INTERNAL_H
#define KSMDEV_INTERNAL_H

#include <linux/list.h>
#include <linux/mmu_notifier.h>
#include <linux/mutex.h>
#include <linux/rbtree.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/xarray.h>
#include <linux/ksmdev.h>

/* Counters kept both globally and per area. */
struct ksm_counters {
	unsigned long pages_shared;	/* KSM pages (owned, in area scope) */
	unsigned long pages_merged;	/* items mapping a KSM page */
	unsigned long pages_unshared;	/* items in the unstable table */
	unsigned long pages_volatile;	/* items whose content changed */
	unsigned long pages_scanned;
	unsigned long regions;
	unsigned long zero_pages;	/* PTEs we pointed at the zero page */
};

struct ksm_area {
	struct list_head regions;	/* ksm_region.area_link */
	struct list_head link;		/* ksm_areas */
	struct ksm_counters stats;
	pid_t pid;			/* creator, in the init pid namespace */
	kuid_t uid;			/* creator's effective uid */
	u64 domain;			/* merge domain */
	unsigned long pages_registered;
	char comm[TASK_COMM_LEN];
};

#define KSM_MAX_PENDING	8

struct ksm_mm_slot {
	struct mmu_notifier mn;		/* mn.mm is the mm */
	struct rb_root regions;		/* by start address */
	unsigned long nr_regions;
	bool dead;			/* ->release seen (under ksm_lock) */

	spinlock_t pending_lock;
	bool pending_release;		/* ->release ran, cleanup owed */
	unsigned int nr_pending;	/* ranges to revalidate */
	unsigned long pending_start[KSM_MAX_PENDING];
	unsigned long pending_end[KSM_MAX_PENDING];
	struct list_head pending_link;	/* ksm_pending_slots, pending_lock */
	bool on_pending_list;
};

struct ksm_region {
	struct rb_node node;		/* slot->regions */
	struct list_head area_link;	/* area->regions */
	struct list_head scan_link;	/* ksm_scan_list */
	struct ksm_area *area;
	struct ksm_mm_slot *slot;
	unsigned long start, end;
	struct xarray items;		/* page index in region -> ksm_item */
	struct xarray zero;		/* page indices merged into the zero page */
};

enum ksm_item_state {
	KSM_ITEM_NEW,		/* seen, not in any table */
	KSM_ITEM_UNSTABLE,	/* candidate in the unstable table */
	KSM_ITEM_VOLATILE,	/* content changed since last seen */
	KSM_ITEM_STABLE,	/* maps a KSM page */
};

struct ksm_item {
	struct ksm_region *region;
	unsigned long addr;
	u64 checksum;
	union {
		struct hlist_node unode;	/* unstable bucket */
		struct list_head slink;		/* stable->items */
	};
	struct ksm_stable *stable;
	unsigned int seq;		/* pass in which it entered the table */
	u8 state;
	u8 age;				/* passes seen unique and unchanged */
	bool hashed;			/* unode is on a bucket */
	bool checksummed;
	unsigned long skip_until;	/* smart scan: skip until this pass */
};

struct ksm_stable {
	struct hlist_node hnode;	/* stable bucket */
	struct page *kpage;
	u64 checksum;
	u64 domain;
	struct list_head items;		/* first item's area owns it */
	unsigned long nr_items;
};

/* The user domains: bit 63 set, the uid below. */
#define KSM_USER_DOMAIN_BIT	(1ULL << 63)

static inline u64 ksm_item_domain(const struct ksm_item *item)
{
	return item->region->area->domain;
}

static inline unsigned long ksm_item_index(struct ksm_region *region, unsigned long addr)
{
	return (addr - region->start) >> PAGE_SHIFT;
}

/* pagetable.c */
extern int ksm_notifier_owner;
struct page *ksm_pte_page(pte_t pte);
pmd_t *ksm_pte_table(struct mm_struct *mm, unsigned long addr);
struct page *ksm_next_page(struct vm_area_struct *vma, unsigned long *addr,
			   unsigned long end);
/* Between page_wrprotect() and replace_page()/page_wrprotect_undo(). */
struct ksm_wp {
	struct mmu_notifier_range range;
	struct vm_area_struct *vma;
	unsigned long addr;
	pte_t *ptep;
	spinlock_t *ptl;
	pte_t orig;
};

/* Between page_wrprotect_batch() and replace_page_batch(). */
#define KSM_MERGE_BATCH		32
struct ksm_wp_batch {
	struct mmu_notifier_range range;
	struct vm_area_struct *vma;
	unsigned long addr;
	pte_t *ptep;
	spinlock_t *ptl;
	int n;
	bool held[KSM_MERGE_BATCH];
	pte_t orig[KSM_MERGE_BATCH];
};

int page_wrprotect(struct vm_area_struct *vma, unsigned long addr,
		   struct page *page, struct ksm_wp *wp);
int ksm_gather_run(struct vm_area_struct *vma, unsigned long addr,
		   unsigned long end, struct page **pages, int max);
int page_wrprotect_batch(struct vm_area_struct *vma, unsigned long addr,
			 struct page **pages, int n, struct ksm_wp_batch *wb);
int replace_page_batch(struct page **pages, struct page *kpage,
		       const bool *same, struct ksm_wp_batch *wb);
void page_wrprotect_undo(struct ksm_wp *wp);
void replace_page(struct page *page, struct page *kpage, struct ksm_wp *wp);
void replace_page_zero(struct page *page, struct ksm_wp *wp);
bool ksm_pte_maps_zero(struct vm_area_struct *vma, unsigned long addr);
int ksm_collect_kpages(struct vm_area_struct *vma, unsigned long *addr,
		       unsigned long end, unsigned long *found,
		       struct page **kpages, int max);

/* tables.c */
extern struct mutex ksm_lock;
extern struct ksm_counters ksm_global;
extern unsigned long ksm_full_scans;
extern unsigned long ksm_nr_items;
extern unsigned int ksm_seq;
extern struct ksm_stable *ksm_recent;
extern bool ksm_recent_run;
void ksm_item_set_state(struct ksm_item *item, enum ksm_item_state state);
void ksm_unstable_unhash(struct ksm_item *item);
void ksm_unstable_insert(struct ksm_item *item);
void ksm_unstable_reset(void);
bool ksm_unstable_has_candidate(struct ksm_item *item);
struct hlist_head *ksm_unstable_bucket(u64 sum, u64 domain);
struct hlist_head *ksm_stable_bucket(u64 sum, u64 domain);
void ksm_stable_resize(void);
struct ksm_stable *ksm_stable_find_kpage(u64 sum, u64 domain, struct page *kpage);
struct ksm_stable *ksm_stable_new(struct page *kpage, u64 sum, u64 domain);
void ksm_stable_free(struct ksm_stable *node);
void ksm_recent_set(struct ksm_stable *node);
void ksm_stable_attach(struct ksm_stable *node, struct ksm_item *item);
void ksm_stable_detach(struct ksm_item *item);
int ksm_tables_init(void);
void ksm_tables_exit(void);

/* items.c */
bool ksm_vma_mergeable(struct vm_area_struct *vma);
void ksm_zero_count(struct ksm_region *region, long delta);
void ksm_zero_forget(struct ksm_region *region, unsigned long start,
		     unsigned long end);
struct ksm_item *ksm_item_get(struct ksm_region *region, unsigned long addr);
void ksm_item_free(struct ksm_item *item);
void ksm_forget_region(struct ksm_region *region);
void ksm_forget_range(struct ksm_region *region, unsigned long start,
		      unsigned long end);
struct page *ksm_item_page(struct ksm_item *item);
void ksm_revalidate_range(struct ksm_region *region, unsigned long start,
			  unsigned long end);
int ksm_items_init(void);
void ksm_items_exit(void);

/* merge.c */
extern unsigned int ksm_max_kernel_pages;
extern bool ksm_smart_scan;
extern bool ksm_use_zero_pages;
extern unsigned long ksm_cap_refusals;
extern unsigned long ksm_pages_skipped;
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
void ksm_ctx_unlock(struct ksm_scan_ctx *ctx);
void ksm_cmp_and_merge(struct ksm_scan_ctx *ctx, struct ksm_item *item,
		       struct page *page);
int ksm_merge_init(void);

/* unmerge.c */
extern struct task_struct *ksm_unmerge_task;
int ksm_unmerge_range(struct ksm_region *region);

/* scan.c */
extern unsigned int ksm_pages_to_scan;
extern unsigned int ksm_sleep_usecs;
extern bool ksm_run;
extern bool ksm_autotune;
extern unsigned int ksm_target_scan_ms;
extern unsigned int ksm_max_cpu_permille;
extern unsigned long ksm_last_scan_ms;
extern unsigned long ksm_cpu_permille;
extern unsigned int ksm_settings_gen;
int ksm_scan_init(void);
void ksm_scan_exit(void);
void ksm_scan_wake(void);
void ksm_scan_region_added(struct ksm_region *region);
void ksm_scan_region_removing(struct ksm_region *region);
long ksm_merge_area_now(struct ksm_area *area);
bool ksm_own_context(void);

/* region.c */
extern unsigned int ksm_regions_per_fd;
struct ksm_mm_slot *ksm_slot_get(struct mm_struct *mm);
void ksm_slot_put(struct ksm_mm_slot *slot);
void ksm_process_pending(void);
void ksm_notifier_exit(void);
void ksm_region_destroy(struct ksm_region *region);
long ksm_region_add(struct ksm_area *area, struct mm_struct *mm,
		    unsigned long start, unsigned long end);
long ksm_remove_region(struct ksm_area *area, unsigned long start);

/* stats.c */
void ksm_fill_stats(struct ksm_stats *st, const struct ksm_counters *c,
		    bool global);
int ksm_sysfs_init(void);
void ksm_sysfs_exit(void);

#endif /* KSMDEV_INTERNAL_H */

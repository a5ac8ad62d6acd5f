/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ksmdev.h - internal structures of the ksmdev driver.
 *
 * Objects and who owns them:
 *
 *   ksmdev_area     one per shared-memory-area fd (SMA).  Holds regions.
 *   ksmdev_mm_slot  one per mm that has regions; embeds our mmu_notifier,
 *                   obtained with mmu_notifier_get() (one reference per
 *                   region), freed through ->free_notifier after the last
 *                   put.
 *   ksmdev_region   [start, end) of one mm, registered on one area.  Lives
 *                   on the area's list, in its slot's rbtree of regions (by
 *                   start address; regions of one mm never overlap), and on
 *                   the global scan list.  Its tracked pages are an xarray
 *                   of items.
 *   ksmdev_item     one per page the scanner has seen present in a region.
 *                   Allocated lazily: registering a huge range costs
 *                   nothing.
 *   ksmdev_stable   one per KSM page: a kernel page (not anonymous, not on
 *                   the LRU, never swapped) holding content shared by all
 *                   the items listed on it, each mapping it read-only;
 *                   kept, as an orphan, while anything maps the page.
 *   ksmdev_user     one per user with areas: what it holds, against the
 *                   per-user limits (account.c).
 *
 * Locks:
 *
 *   ksmdev_lock (mutex, tables.c) protects all of these, every counter,
 *   both hash tables and the scan cursor, except what follows.  Counters
 *   and settings are also read without it, one word at a time
 *   (READ_ONCE()).
 *
 *   ksmdev_pending_lock (spinlock, region.c) protects every slot's
 *   pending-event record (pending_release, nr_pending, pending_start/end),
 *   its pending_link and on_pending_list, and the list of pending slots.
 *   The mmu notifier callbacks take only this lock (they may run where
 *   sleeping is not allowed, and never wait for ksmdev_lock); the worker
 *   takes it under ksmdev_lock to collect the events.  One global lock,
 *   not one per slot: the list it guards is global, and it is held for a
 *   few instructions at a time.
 *
 * Lock order: ksmdev_lock -> mmap_lock (read, and only with
 * mmap_read_trylock(): a user can hold its mmap_lock as long as it likes;
 * mmu_notifier_get(), which takes it for write, the unmerge of a dying
 * region and the MADV_NOHUGEPAGE marking run without ksmdev_lock) -> page
 * lock -> page-table lock.  ksmdev_user_lock and ksmdev_domain_lock are
 * leaves.  Allocations under ksmdev_lock never wait for reclaim
 * (KSMDEV_GFP_SCAN, account.c).  ksmdev_pending_lock
 * is innermost: nothing is taken under it, and it is taken inside whatever
 * the core mm holds when it calls a notifier (mmap_lock, rmap locks, a
 * page lock), and inside ksmdev_lock.  Only one mm's mmap_lock is ever
 * held at a time.
 * Where a function requires a lock, it says so with lockdep_assert_held()
 * or ksmdev_mmap_assert_locked() (compat.h), which a PROVE_LOCKING kernel
 * checks.
 *
 * Layering (bottom up; each file uses only the files above it):
 *   compat.c     the one interface to core-mm internals of each kernel
 *   pagetable.c  find a mapped page, write-protect, replace, collect
 *   account.c    memory cgroups and per-user limits: who pays for what
 *   tables.c     ksmdev_lock, counters, stable/unstable tables, KSM pages
 *   items.c      tracking items; forget and revalidate ranges
 *   merge.c      look at one page: merge it (one, zero page, pair, batch)
 *   unmerge.c    give a region's merged pages private copies again
 *   scan.c       the scanner thread, its cursor and rate; KSM_MERGE_NOW
 *   region.c     region lifetime, the mm slot and its mmu notifier
 *   stats.c      statistics snapshot and /sys/kernel/mm/ksmdev
 *   domain.c     merge domains: which one an area joins, who may use it
 *   main.c       /dev/ksm, SMA fds, ioctls, module load and unload
 *
 * driver/check-layers.sh checks this order against the built objects;
 * read the files in it, from the bottom or from the top.
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

struct cred;
struct pid;
struct mem_cgroup;
struct ksmdev_domain;

/* What one user holds (account.c). */
struct ksmdev_user {
	struct hlist_node hnode;	/* ksmdev_users */
	kuid_t uid;
	unsigned long refs;		/* under ksmdev_user_lock */
	atomic_long_t kpages;		/* KSM pages counted against it */
	atomic_long_t regions;
	unsigned long drained_at;	/* jiffies of its last lru_add_drain_all() */
};

/* Counters kept both globally and per area. */
struct ksmdev_counters {
	unsigned long pages_shared;	/* KSM pages (owned, in area scope) */
	unsigned long pages_merged;	/* items mapping a KSM page */
	unsigned long pages_unshared;	/* items in the unstable table */
	unsigned long pages_volatile;	/* items whose content changed */
	unsigned long pages_scanned;
	unsigned long regions;
	unsigned long zero_pages;	/* PTEs we pointed at the zero page */
};

struct ksmdev_area {
	struct list_head regions;	/* ksmdev_region.area_link */
	struct list_head link;		/* ksmdev_areas */
	struct ksmdev_counters stats;
	struct pid *pid;		/* creator's process (domain.c) */
	const struct cred *cred;	/* creator's credentials (domain.c) */
	struct ksmdev_domain *udom;	/* its user domain, or NULL */
	struct ksmdev_user *user;	/* creator's account (account.c) */
	struct mem_cgroup *memcg;	/* creator's cgroup: pays for items */
	u64 domain;			/* merge domain id (domain.c) */
	unsigned long pages_registered;
	char comm[TASK_COMM_LEN];
};

#define KSMDEV_MAX_PENDING	8

struct ksmdev_mm_slot {
	struct mmu_notifier mn;		/* mn.mm is the mm */
	struct rb_root regions;		/* by start address */
	unsigned long nr_regions;
	bool dead;			/* ->release seen (under ksmdev_lock) */

	/* Under ksmdev_pending_lock (region.c): */
	bool pending_release;		/* ->release ran, cleanup owed */
	unsigned int nr_pending;	/* ranges to revalidate */
	unsigned long pending_start[KSMDEV_MAX_PENDING];
	unsigned long pending_end[KSMDEV_MAX_PENDING];
	struct list_head pending_link;	/* ksmdev_pending_slots */
	bool on_pending_list;

	/* Under ksmdev_nohuge_lock (items.c): */
	struct list_head nohuge_link;	/* ksmdev_nohuge_slots */
	bool on_nohuge_list;
};

struct ksmdev_region {
	struct rb_node node;		/* slot->regions */
	struct list_head area_link;	/* area->regions */
	struct list_head scan_link;	/* ksmdev_scan_list */
	struct ksmdev_area *area;
	struct ksmdev_mm_slot *slot;
	unsigned long start, end;
	struct xarray items;		/* page index in region -> ksmdev_item */
	struct xarray zero;		/* page indices merged into the zero page */
	bool dying;			/* being unmerged, off the scan list */
	unsigned long zero_unmerged;	/* by the unmerger, counted at the end */
};

enum ksmdev_item_state {
	KSMDEV_ITEM_NEW,	/* seen, not in any table */
	KSMDEV_ITEM_UNSTABLE,	/* candidate in the unstable table */
	KSMDEV_ITEM_VOLATILE,	/* content changed since last seen */
	KSMDEV_ITEM_STABLE,	/* maps a KSM page */
};

struct ksmdev_item {
	struct ksmdev_region *region;
	unsigned long addr;
	u64 checksum;
	union {
		struct hlist_node unode;	/* unstable bucket */
		struct list_head slink;		/* stable->items */
	};
	struct ksmdev_stable *stable;
	unsigned int seq;		/* pass in which it entered the table */
	unsigned long pfn;		/* its frame when it entered the table */
	u8 state;
	u8 age;				/* passes seen unique and unchanged */
	bool hashed;			/* unode is on a bucket */
	bool checksummed;
	unsigned long skip_until;	/* smart scan: skip until this pass */
};

struct ksmdev_stable {
	struct hlist_node hnode;	/* stable bucket */
	struct page *kpage;
	u64 checksum;
	u64 domain;
	struct list_head items;		/* first item's area owns it */
	unsigned long nr_items;
	struct list_head olink;		/* ksmdev_orphans, while no items */
	struct ksmdev_user *user;	/* whom the page is counted against */
};

/* User domains have ids with bit 63 set; numbered ones are below. */
#define KSMDEV_USER_DOMAIN_BIT	(1ULL << 63)

static inline u64 ksmdev_item_domain(const struct ksmdev_item *item)
{
	return item->region->area->domain;
}

static inline unsigned long ksmdev_item_index(struct ksmdev_region *region, unsigned long addr)
{
	return (addr - region->start) >> PAGE_SHIFT;
}

/* pagetable.c */
#define KSMDEV_WALK_TABLES	16	/* page tables per ksmdev_next_page() */
extern int ksmdev_notifier_owner;
struct page *ksmdev_pte_page(pte_t pte);
pmd_t *ksmdev_pte_table(struct mm_struct *mm, unsigned long addr);
struct page *ksmdev_next_page(struct vm_area_struct *vma, unsigned long *addr,
			      unsigned long end);
/* Between ksmdev_page_wrprotect() and ksmdev_replace_page() or _undo(). */
struct ksmdev_wp {
	struct mmu_notifier_range range;
	struct vm_area_struct *vma;
	unsigned long addr;
	pte_t *ptep;
	spinlock_t *ptl;
	pte_t orig;
};

/* Between ksmdev_page_wrprotect_batch() and ksmdev_replace_page_batch(). */
#define KSMDEV_MERGE_BATCH		32
struct ksmdev_wp_batch {
	struct mmu_notifier_range range;
	struct vm_area_struct *vma;
	unsigned long addr;
	pte_t *ptep;
	spinlock_t *ptl;
	int n;
	bool held[KSMDEV_MERGE_BATCH];
	pte_t orig[KSMDEV_MERGE_BATCH];
};

int ksmdev_page_wrprotect(struct vm_area_struct *vma, unsigned long addr,
			  struct page *page, struct ksmdev_wp *wp);
int ksmdev_gather_run(struct vm_area_struct *vma, unsigned long addr,
		      unsigned long end, struct page **pages, int max);
int ksmdev_page_wrprotect_batch(struct vm_area_struct *vma, unsigned long addr,
				struct page **pages, int n, struct ksmdev_wp_batch *wb);
int ksmdev_replace_page_batch(struct page **pages, struct page *kpage,
			      const bool *same, struct ksmdev_wp_batch *wb);
void ksmdev_page_wrprotect_undo(struct ksmdev_wp *wp);
void ksmdev_replace_page(struct page *page, struct page *kpage, struct ksmdev_wp *wp);
void ksmdev_replace_page_zero(struct page *page, struct ksmdev_wp *wp);
bool ksmdev_pte_maps_zero(struct vm_area_struct *vma, unsigned long addr);
int ksmdev_collect_kpages(struct vm_area_struct *vma, unsigned long *addr,
			  unsigned long end, unsigned long *found,
			  struct page **kpages, int max);

/*
 * What the scanner allocates for a user, under ksmdev_lock: charged to the
 * scope set with ksmdev_memcg_enter(), never waiting for reclaim.
 */
#define KSMDEV_GFP_SCAN		(GFP_NOWAIT | __GFP_ACCOUNT | __GFP_NOWARN)

/* account.c */
extern unsigned int ksmdev_max_kernel_pages;
extern unsigned int ksmdev_max_user_pages;
extern unsigned int ksmdev_max_user_regions;
extern atomic_long_t ksmdev_kernel_pages;
extern atomic_long_t ksmdev_cap_refusals;
extern atomic_long_t ksmdev_user_refusals;
extern atomic_long_t ksmdev_charge_refusals;
struct ksmdev_user *ksmdev_user_get(void);
void ksmdev_user_hold(struct ksmdev_user *u);
void ksmdev_user_put(struct ksmdev_user *u);
int ksmdev_user_add_region(struct ksmdev_user *u);
void ksmdev_user_del_region(struct ksmdev_user *u);
bool ksmdev_user_limit_reached(struct ksmdev_user *u);
struct mem_cgroup *ksmdev_memcg_of_current(void);
void ksmdev_memcg_put(struct mem_cgroup *memcg);
struct mem_cgroup *ksmdev_memcg_enter(struct mem_cgroup *memcg);
void ksmdev_memcg_leave(struct mem_cgroup *old);
struct page *ksmdev_kpage_alloc(struct ksmdev_user *u, struct page *page,
				struct mem_cgroup **memcgp);
void ksmdev_kpage_release(struct ksmdev_user *u, struct page *kpage);
void ksmdev_account_init(void);

/* tables.c */
extern struct mutex ksmdev_lock;
extern struct ksmdev_counters ksmdev_global;
extern unsigned long ksmdev_full_scans;
extern unsigned long ksmdev_nr_items;
extern unsigned int ksmdev_seq;
extern struct ksmdev_stable *ksmdev_recent;
extern bool ksmdev_recent_run;
void ksmdev_item_set_state(struct ksmdev_item *item, enum ksmdev_item_state state);
void ksmdev_unstable_unhash(struct ksmdev_item *item);
void ksmdev_unstable_insert(struct ksmdev_item *item, unsigned long pfn);
void ksmdev_unstable_reset(void);
bool ksmdev_unstable_has_candidate(struct ksmdev_item *item, unsigned long pfn,
				   struct mm_struct *only_mm, bool *same);
struct hlist_head *ksmdev_unstable_bucket(u64 sum, u64 domain);
struct hlist_head *ksmdev_stable_bucket(u64 sum, u64 domain);
void ksmdev_stable_resize(void);
struct ksmdev_stable *ksmdev_stable_find_kpage(u64 sum, u64 domain, struct page *kpage);
struct ksmdev_stable *ksmdev_stable_new(struct page *kpage, u64 sum, u64 domain,
					struct ksmdev_user *user);
void ksmdev_stable_free(struct ksmdev_stable *node);
unsigned long ksmdev_orphans_reap(bool soon);
extern unsigned long ksmdev_nr_orphans;
void ksmdev_recent_set(struct ksmdev_stable *node);
void ksmdev_stable_attach(struct ksmdev_stable *node, struct ksmdev_item *item);
void ksmdev_stable_detach(struct ksmdev_item *item);
int ksmdev_tables_init(void);
void ksmdev_tables_exit(void);

/* items.c */
bool ksmdev_vma_mergeable(struct vm_area_struct *vma);
bool ksmdev_vma_needs_nohuge(struct vm_area_struct *vma);
void ksmdev_mark_nohuge(struct mm_struct *mm, unsigned long start, unsigned long end);
void ksmdev_want_nohuge(struct ksmdev_mm_slot *slot);
void ksmdev_nohuge_forget(struct ksmdev_mm_slot *slot);
void ksmdev_nohuge_exit(void);
void ksmdev_zero_count(struct ksmdev_region *region, long delta);
void ksmdev_zero_forget(struct ksmdev_region *region, unsigned long start,
			unsigned long end);
struct ksmdev_item *ksmdev_item_get(struct ksmdev_region *region, unsigned long addr);
void ksmdev_item_free(struct ksmdev_item *item);
void ksmdev_forget_region(struct ksmdev_region *region);
#define KSMDEV_FORGET_BATCH	256
void ksmdev_forget_items(struct ksmdev_region *region, bool dying);
void ksmdev_forget_range(struct ksmdev_region *region, unsigned long start,
			 unsigned long end);
struct page *ksmdev_item_page(struct ksmdev_item *item);
void ksmdev_revalidate_range(struct ksmdev_region *region, unsigned long start,
			     unsigned long end);
int ksmdev_items_init(void);
void ksmdev_items_exit(void);

/* merge.c */
extern bool ksmdev_smart_scan;
extern bool ksmdev_use_zero_pages;
extern unsigned long ksmdev_pages_skipped;
/*
 * The mm of the page being looked at stays locked from finding the page
 * through a merge into the stable table; looking at candidates in the
 * unstable table (other mms) needs it unlocked first.
 */
struct ksmdev_scan_ctx {
	struct mm_struct *mm;
	struct vm_area_struct *vma;
	bool sync;		/* KSM_MERGE_NOW: no back-off, no volatility gate */
	struct mm_struct *only_mm; /* KSM_MERGE_NOW: merge with no other mm's pages */
	unsigned long *cursor;	/* where ksmdev_region_next_page() goes on */
	unsigned int budget;	/* pages a batch may take beyond the current one */
	unsigned int extra;	/* pages the last batch took beyond it */
	bool busy;		/* the region's mmap_lock was busy: not scanned */
	unsigned int visited;	/* regions passed without a page */
};
void ksmdev_ctx_unlock(struct ksmdev_scan_ctx *ctx);
void ksmdev_cmp_and_merge(struct ksmdev_scan_ctx *ctx, struct ksmdev_item *item,
			  struct page *page);
int ksmdev_merge_init(void);

/* unmerge.c */
extern struct task_struct *ksmdev_unmerge_task;
int ksmdev_unmerge_range(struct ksmdev_region *region);

/* scan.c */
extern unsigned int ksmdev_pages_to_scan;
extern unsigned int ksmdev_sleep_usecs;
extern bool ksmdev_run;
extern bool ksmdev_autotune_on;
extern unsigned int ksmdev_target_scan_ms;
extern unsigned int ksmdev_max_cpu_permille;
extern unsigned long ksmdev_last_scan_ms;
extern unsigned long ksmdev_cpu_permille;
extern unsigned long ksmdev_scan_ns_per_page;
extern unsigned int ksmdev_settings_gen;
unsigned int ksmdev_scan_sleep_us(void);
int ksmdev_scan_init(void);
void ksmdev_scan_exit(void);
void ksmdev_scan_wake(void);
void ksmdev_scan_region_added(struct ksmdev_region *region);
void ksmdev_scan_region_removing(struct ksmdev_region *region);
void ksmdev_scan_region_detach(struct ksmdev_region *region);
long ksmdev_merge_area_now(struct ksmdev_area *area, struct ksmdev_mm_slot *slot);
bool ksmdev_own_context(void);

/* region.c */
extern unsigned int ksmdev_regions_per_fd;
struct ksmdev_mm_slot *ksmdev_slot_get(struct mm_struct *mm);
void ksmdev_slot_put(struct ksmdev_mm_slot *slot);
void ksmdev_process_pending(void);
void ksmdev_notifier_exit(void);
void ksmdev_region_destroy(struct ksmdev_region *region);
long ksmdev_region_add(struct ksmdev_area *area, struct mm_struct *mm,
		       unsigned long start, unsigned long end);
long ksmdev_region_remove(struct ksmdev_area *area, unsigned long start);
int ksmdev_region_unmerge(struct ksmdev_region *region);

/* stats.c */
void ksmdev_fill_stats(struct ksm_stats *st, const struct ksmdev_counters *c,
		       bool global);
int ksmdev_sysfs_init(void);
void ksmdev_sysfs_exit(void);

/* domain.c */
int ksmdev_domain_join(struct ksmdev_area *area, u64 number, bool user);
void ksmdev_domain_leave(struct ksmdev_area *area);
bool ksmdev_area_of_caller(const struct ksmdev_area *area);
void ksmdev_area_describe(const struct ksmdev_area *area, struct ksm_area_info *ai);

#endif /* KSMDEV_INTERNAL_H */

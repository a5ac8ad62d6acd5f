// SPDX-License-Identifier: GPL-2.0-only
/*
 * scan.c - the scanner thread "ksmdevd": its cursor over all registered
 * regions, the pass, the rate (fixed or auto-tuned), and KSM_MERGE_NOW.
 *
 * The scanner walks every registered region in turn (the scan list, in
 * order of registration), page by page, only pages already mapped:
 * nothing is faulted in.  It looks at pages_to_scan pages per batch,
 * sleeping between batches.  One walk over all regions is a pass (a full
 * scan); each pass starts by emptying the unstable table and sizing both
 * tables (tables.c).  Each page found gets a tracking item (items.c) and
 * is handed to ksmdev_cmp_and_merge() (merge.c).  Ranges found empty or not
 * mergeable lose their tracking on the way.
 *
 * With auto-tuning (KSM_SET_AUTOTUNE) the thread sets pages_to_scan after
 * every batch from what the batch cost, so that a pass takes about the
 * target time within the CPU budget (ksmdev_autotune_batch()).
 *
 * KSM_MERGE_NOW does one pass over the caller's regions in the area's
 * domain, in the caller's context, dropping ksmdev_lock every batch.
 *
 * Locking: a batch runs under ksmdev_lock, which the scanner drops every
 * KSMDEV_BATCH_LOCK pages so ioctls are not starved; the scan cursor is fixed
 * up by ksmdev_scan_region_removing() when its region goes away.  One mm's
 * mmap_lock is taken at a time (kept from one page to the next of the same
 * mm), never while another is held, and only with mmap_read_trylock():
 * under ksmdev_lock nobody waits for a lock a user can hold; a busy
 * region is passed by until the next pass.  Settings are read with
 * READ_ONCE().
 * The thread is freezable and reschedules after every page.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/freezer.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/moduleparam.h>
#include <linux/sched/mm.h>
#include <linux/wait.h>
#include "ksmdev.h"
#include "compat.h"

unsigned int ksmdev_pages_to_scan = 100;
module_param_named(pages_to_scan, ksmdev_pages_to_scan, uint, 0444);
MODULE_PARM_DESC(pages_to_scan, "initial pages per scanner batch (default 100)");

unsigned int ksmdev_sleep_usecs = 20000;
module_param_named(sleep, ksmdev_sleep_usecs, uint, 0444);
MODULE_PARM_DESC(sleep, "initial microseconds between batches (default 20000)");

bool ksmdev_run;

#define KSMDEV_BATCH_LOCK		32

/* Auto-tuned rate: settings (KSM_SET_AUTOTUNE) and measurements. */
bool ksmdev_autotune_on;
unsigned int ksmdev_target_scan_ms = 10000;
unsigned int ksmdev_max_cpu_permille = 100;
unsigned long ksmdev_last_scan_ms;
unsigned long ksmdev_cpu_permille;
/* The last batch's run time per page, what auto-tuning plans with. */
unsigned long ksmdev_scan_ns_per_page;
static u64 ksmdev_pass_start_ns;

static LIST_HEAD(ksmdev_scan_list);

static struct {
	struct ksmdev_region *region;	/* NULL: end of the current pass */
	unsigned long addr;
	bool in_pass;
} ksmdev_cursor;

static struct task_struct *ksmdev_thread;
static DECLARE_WAIT_QUEUE_HEAD(ksmdev_thread_wait);

/* ------------------------------------------------------------ scanning */

static void ksmdev_pass_start(void)
{
	ksmdev_pass_start_ns = ktime_get_ns();
	ksmdev_seq++;
	ksmdev_unstable_reset();
	ksmdev_orphans_reap(false);
	ksmdev_stable_resize();
	/* Pages sitting in per-CPU LRU batches hold an extra reference. */
	ksmdev_lru_add_drain_all();
}

/*
 * Find the next mapped page of @region at or after *@addr; returns it with
 * a reference, its item in *@itemp and its mm locked in @ctx (the lock is
 * kept from one page to the next of the same mm), advancing *@addr past
 * it.  Tracking of the ranges found empty is dropped on the way.
 */
static struct page *ksmdev_region_next_page(struct ksmdev_region *region, unsigned long *addr,
					    struct ksmdev_item **itemp, struct ksmdev_scan_ctx *ctx)
{
	struct mm_struct *mm = region->slot->mn.mm;
	struct page *page = NULL;

	if (ctx->mm != mm) {
		ksmdev_ctx_unlock(ctx);
		ctx->vma = NULL;
		if (region->slot->dead || !mmget_not_zero(mm)) {
			*addr = region->end;
			return NULL;
		}
		/*
		 * Its owner may hold the lock (or wait for it, for write) as
		 * long as it likes: under ksmdev_lock nobody waits for it.
		 * The scanner passes the region by this time; KSM_MERGE_NOW
		 * waits with ksmdev_lock dropped (ctx->busy).
		 */
		if (!mmap_read_trylock(mm)) {
			mmput_async(mm);
			ctx->busy = true;
			return NULL;
		}
		ctx->mm = mm;
	}
	while (*addr < region->end) {
		struct vm_area_struct *vma = ctx->vma;
		unsigned long end, a;

		/* Consecutive pages mostly share a VMA: skip the lookup. */
		if (!vma || *addr < vma->vm_start || *addr >= vma->vm_end)
			vma = ctx->vma = find_vma(mm, *addr);

		if (!vma || vma->vm_start >= region->end) {
			ksmdev_zero_forget(region, *addr, region->end);
			ksmdev_forget_range(region, *addr, region->end);
			*addr = region->end;
			break;
		}
		if (vma->vm_start > *addr) {
			ksmdev_zero_forget(region, *addr, vma->vm_start);
			ksmdev_forget_range(region, *addr, vma->vm_start);
			*addr = vma->vm_start;
		}
		end = min(vma->vm_end, region->end);
		if (!ksmdev_vma_mergeable(vma)) {
			/* Collapsible (items.c): mark it, merge it next time. */
			if (ksmdev_vma_needs_nohuge(vma))
				ksmdev_want_nohuge(region->slot);
			ksmdev_forget_range(region, *addr, end);
			*addr = end;
			continue;
		}
		a = *addr;
		page = ksmdev_next_page(vma, &a, end);
		ksmdev_forget_range(region, *addr, a);
		*addr = a;
		if (!page) {
			/* Empty page tables walked cost the batch too. */
			if (a < end && ++ctx->visited >= KSMDEV_BATCH_LOCK)
				return NULL;
			continue;
		}
		/* A page where we put the zero page: written since. */
		if (!xa_empty(&region->zero))
			ksmdev_zero_forget(region, a, a + PAGE_SIZE);
		*itemp = ksmdev_item_get(region, a);
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

static struct ksmdev_region *ksmdev_scan_next_region(struct ksmdev_region *region)
{
	if (list_is_last(&region->scan_link, &ksmdev_scan_list))
		return NULL;
	return list_next_entry(region, scan_link);
}

/*
 * Next page to look at (mm locked in @ctx), or NULL at the end of a pass,
 * or when KSMDEV_BATCH_LOCK regions were passed without a page
 * (ctx->visited says so).
 */
static struct page *ksmdev_scan_next_page(struct ksmdev_item **itemp, struct ksmdev_scan_ctx *ctx)
{
	for (;;) {
		struct ksmdev_region *region;
		struct page *page;

		if (!ksmdev_cursor.in_pass) {
			if (list_empty(&ksmdev_scan_list))
				return NULL;
			ksmdev_pass_start();
			region = list_first_entry(&ksmdev_scan_list, struct ksmdev_region,
						  scan_link);
			ksmdev_cursor.region = region;
			ksmdev_cursor.addr = region->start;
			ksmdev_cursor.in_pass = true;
		}
		region = ksmdev_cursor.region;
		if (!region) {
			ksmdev_cursor.in_pass = false;
			WRITE_ONCE(ksmdev_last_scan_ms,
				   div_u64(ktime_get_ns() - ksmdev_pass_start_ns, NSEC_PER_MSEC));
			WRITE_ONCE(ksmdev_full_scans, ksmdev_full_scans + 1);
			return NULL;
		}
		page = ksmdev_region_next_page(region, &ksmdev_cursor.addr, itemp, ctx);
		if (page)
			return page;
		/* A long walk of empty page tables: on in this region later. */
		if (ctx->visited >= KSMDEV_BATCH_LOCK && ksmdev_cursor.addr < region->end)
			return NULL;
		ctx->busy = false;	/* its mm's lock was busy: next pass */
		ksmdev_cursor.region = ksmdev_scan_next_region(region);
		if (ksmdev_cursor.region)
			ksmdev_cursor.addr = ksmdev_cursor.region->start;
		/*
		 * Regions with nothing mapped cost a visit each: they count
		 * against the batch, so a flood of empty regions cannot keep
		 * ksmdev_lock held for a whole pass.
		 */
		if (++ctx->visited >= KSMDEV_BATCH_LOCK)
			return NULL;
		cond_resched();
	}
}

static bool ksmdev_should_run(void)
{
	return READ_ONCE(ksmdev_run) && READ_ONCE(ksmdev_global.regions);
}

/*
 * One batch: look at up to @budget pages (a region passed with nothing
 * mapped counts as one), stopping at the end of a pass, or as soon as the
 * scanner is told to stop (a batch can be a whole pass long: stopping
 * does not wait for it).
 * Return: the number of pages looked at and empty regions passed.
 */
static unsigned int ksmdev_scan_batch(unsigned int budget)
{
	unsigned int done = 0, locked = 0;
	struct ksmdev_scan_ctx ctx = { };

	mutex_lock(&ksmdev_lock);
	while (done < budget && !kthread_should_stop() && ksmdev_should_run()) {
		struct ksmdev_item *item;
		struct page *page;

		ctx.visited = 0;
		page = ksmdev_scan_next_page(&item, &ctx);
		if (!page && ctx.visited < KSMDEV_BATCH_LOCK)
			break;
		if (!page) {
			/* Empty regions: a page's worth each, then a lock break. */
			done += ctx.visited;
			locked = 0;
			ksmdev_ctx_unlock(&ctx);
			mutex_unlock(&ksmdev_lock);
			cond_resched();
			mutex_lock(&ksmdev_lock);
			continue;
		}
		ksmdev_global.pages_scanned++;
		item->region->area->stats.pages_scanned++;
		ctx.budget = budget - done - 1;
		ctx.extra = 0;
		ksmdev_cmp_and_merge(&ctx, item, page);
		put_page(page);
		done += 1 + ctx.extra;
		locked += 1 + ctx.extra;
		if (locked >= KSMDEV_BATCH_LOCK) {
			locked = 0;
			ksmdev_ctx_unlock(&ctx);
			mutex_unlock(&ksmdev_lock);
			cond_resched();
			mutex_lock(&ksmdev_lock);
		} else {
			cond_resched();
		}
	}
	ksmdev_ctx_unlock(&ctx);
	mutex_unlock(&ksmdev_lock);
	return done;
}

#define KSMDEV_AUTOTUNE_MIN_BATCH	16
#define KSMDEV_AUTOTUNE_MAX_SLEEP_US	(10 * USEC_PER_SEC)
/* Sleep the CPU budget needs beyond the configured one (0: none). */
static unsigned int ksmdev_autotune_sleep_us;

/**
 * ksmdev_autotune_batch - choose pages_to_scan from the last batch
 * @per_page: the time the last batch took per page it looked at, in ns
 * @sleep_us: the configured sleep after each batch
 *
 * Rate bound: a full scan of the tracked pages in ksmdev_target_scan_ms.
 * CPU bound: cpu / (cpu + sleep) <= ksmdev_max_cpu_permille.  The smaller wins.
 * When the CPU bound is below the smallest batch, the sleep is lengthened
 * (ksmdev_autotune_sleep_us) instead.
 */
static void ksmdev_autotune_batch(u64 per_page, unsigned int sleep_us)
{
	u64 sleep_ns = max_t(u64, sleep_us, 1000) * NSEC_PER_USEC;
	u64 pass_pages = max(READ_ONCE(ksmdev_nr_items), 1UL);
	u64 target_ns = (u64)READ_ONCE(ksmdev_target_scan_ms) * NSEC_PER_MSEC;
	u64 budget = READ_ONCE(ksmdev_max_cpu_permille);
	u64 by_rate, by_cpu, batch;

	/* pages per batch so that pass_pages take target_ns at (b*per_page + sleep) per b */
	if (target_ns > pass_pages * per_page)
		by_rate = div64_u64(pass_pages * sleep_ns, target_ns - pass_pages * per_page) + 1;
	else
		by_rate = U32_MAX;
	by_cpu = budget >= 1000 ? U32_MAX :
		 div64_u64(budget * sleep_ns, per_page * (1000 - budget));
	batch = clamp_t(u64, min(by_rate, by_cpu), KSMDEV_AUTOTUNE_MIN_BATCH, 1U << 20);
	WRITE_ONCE(ksmdev_pages_to_scan, (unsigned int)batch);
	/*
	 * Even the smallest batch is over the CPU budget (a slow machine, a
	 * tiny budget): sleep longer instead, so that the budget holds.
	 */
	if (by_cpu < KSMDEV_AUTOTUNE_MIN_BATCH) {
		u64 busy = KSMDEV_AUTOTUNE_MIN_BATCH * per_page;

		WRITE_ONCE(ksmdev_autotune_sleep_us,
			   (unsigned int)min_t(u64, div64_u64(busy * (1000 - budget),
							     max(budget, 1ULL) * NSEC_PER_USEC),
					       KSMDEV_AUTOTUNE_MAX_SLEEP_US));
	} else {
		WRITE_ONCE(ksmdev_autotune_sleep_us, 0);
	}
}

/* Bumped by every settings change, so a long sleep ends at once. */
unsigned int ksmdev_settings_gen;

/**
 * ksmdev_scan_sleep_us - the sleep after a batch
 *
 * Return: the configured sleep, or auto-tuning's longer one, in us.
 */
unsigned int ksmdev_scan_sleep_us(void)
{
	unsigned int sleep_us = READ_ONCE(ksmdev_sleep_usecs);

	if (READ_ONCE(ksmdev_autotune_on))
		sleep_us = max(sleep_us, READ_ONCE(ksmdev_autotune_sleep_us));
	return sleep_us;
}

static int ksmdev_scan_thread(void *unused)
{
	set_freezable();
	set_user_nice(current, 5);

	while (!kthread_should_stop()) {
		u64 t0 = ktime_get_ns();
		unsigned int sleep_us, pages = 0;
		unsigned int gen = READ_ONCE(ksmdev_settings_gen);

		if (ksmdev_should_run())
			pages = ksmdev_scan_batch(READ_ONCE(ksmdev_pages_to_scan));
		if (pages) {
			/*
			 * The batch's wall time stands for its CPU time: the
			 * thread computes throughout a batch, and scheduler
			 * runtime is only updated at ticks (too coarse for
			 * short batches).  Preemption can only overstate it.
			 */
			u64 busy = ktime_get_ns() - t0;
			u64 wall = busy + (u64)ksmdev_scan_sleep_us() * NSEC_PER_USEC;
			u64 per_page = div_u64(busy, pages) + 1;

			/* share of batch + sleep, smoothed over ~4 batches */
			WRITE_ONCE(ksmdev_cpu_permille,
				   (3 * ksmdev_cpu_permille + div64_u64(busy * 1000, wall + 1)) / 4);
			WRITE_ONCE(ksmdev_scan_ns_per_page, per_page);
			if (READ_ONCE(ksmdev_autotune_on))
				ksmdev_autotune_batch(per_page, READ_ONCE(ksmdev_sleep_usecs));
		}
		try_to_freeze();
		if (!ksmdev_should_run()) {
			wait_event_freezable(ksmdev_thread_wait,
					     ksmdev_should_run() || kthread_should_stop());
			continue;
		}
		sleep_us = ksmdev_scan_sleep_us();
		if (sleep_us >= 20000)
			wait_event_freezable_timeout(ksmdev_thread_wait,
						     kthread_should_stop() || !ksmdev_should_run() ||
						     READ_ONCE(ksmdev_settings_gen) != gen,
						     usecs_to_jiffies(sleep_us));
		else if (sleep_us)
			usleep_range(sleep_us, sleep_us + sleep_us / 8 + 1);
		else
			cond_resched();
	}
	return 0;
}

/**
 * ksmdev_own_context - is the current task working for the driver?
 *
 * Return: true in the scanner thread and in a task unmerging a region:
 * mmu notifier events they cause need no revalidation.
 */
bool ksmdev_own_context(void)
{
	return current == ksmdev_thread || current == READ_ONCE(ksmdev_unmerge_task);
}

/**
 * ksmdev_scan_wake - wake the scanner: a setting changed, or a region came
 */
void ksmdev_scan_wake(void)
{
	wake_up_interruptible(&ksmdev_thread_wait);
}

/**
 * ksmdev_scan_region_added - put a new region on the scan list
 * @region: the region; ksmdev_lock held
 */
void ksmdev_scan_region_added(struct ksmdev_region *region)
{
	lockdep_assert_held(&ksmdev_lock);
	list_add_tail(&region->scan_link, &ksmdev_scan_list);
	ksmdev_scan_wake();
}

/**
 * ksmdev_scan_region_detach - take a region off the scan list, to unmerge it
 * @region: the region; ksmdev_lock held.  Its items are dropped, its
 *          zero-page records kept; nothing merges in it any more.
 */
void ksmdev_scan_region_detach(struct ksmdev_region *region)
{
	lockdep_assert_held(&ksmdev_lock);
	if (ksmdev_cursor.region == region) {
		ksmdev_cursor.region = ksmdev_scan_next_region(region);
		if (ksmdev_cursor.region)
			ksmdev_cursor.addr = ksmdev_cursor.region->start;
	}
	list_del(&region->scan_link);
	if (list_empty(&ksmdev_scan_list))
		ksmdev_cursor.in_pass = false;
	ksmdev_forget_items(region, region->dying);
}

/**
 * ksmdev_scan_region_removing - take a region off the scan list for good
 * @region: the region (off it already if dying); ksmdev_lock held.  Its
 *          tracking is dropped too.
 */
void ksmdev_scan_region_removing(struct ksmdev_region *region)
{
	lockdep_assert_held(&ksmdev_lock);
	if (!region->dying)
		ksmdev_scan_region_detach(region);
	ksmdev_forget_region(region);
}

/* The first region of @slot that ends after @addr, or NULL.  ksmdev_lock held. */
static struct ksmdev_region *ksmdev_slot_region_after(struct ksmdev_mm_slot *slot,
						      unsigned long addr)
{
	struct rb_node *n = slot->regions.rb_node;
	struct ksmdev_region *best = NULL;

	/* Regions of one mm never overlap: ends are ordered as starts are. */
	while (n) {
		struct ksmdev_region *r = rb_entry(n, struct ksmdev_region, node);

		if (r->end > addr) {
			best = r;
			n = n->rb_left;
		} else {
			n = n->rb_right;
		}
	}
	return best;
}

/* The next region of @slot at or after @addr in @domain, or NULL. */
static struct ksmdev_region *ksmdev_now_next_region(struct ksmdev_mm_slot *slot,
						    unsigned long addr, u64 domain)
{
	struct ksmdev_region *r = ksmdev_slot_region_after(slot, addr);

	while (r && (r->area->domain != domain || r->dying)) {
		struct rb_node *n = rb_next(&r->node);

		r = n ? rb_entry(n, struct ksmdev_region, node) : NULL;
	}
	return r;
}

/*
 * Fresh pages sit in per-CPU LRU batches with an extra reference, which
 * a merge refuses.  The caller's CPU is drained every time; all CPUs (a
 * global mutex and work on every CPU) at most once a second per user.
 */
static void ksmdev_now_drain(struct ksmdev_user *user)
{
	unsigned long last = READ_ONCE(user->drained_at);

	ksmdev_lru_add_drain();
	if (time_in_range(jiffies, last, last + HZ) && last)
		return;
	WRITE_ONCE(user->drained_at, jiffies ? jiffies : 1);
	ksmdev_lru_add_drain_all();
}

/* Drop ksmdev_lock (and the mm in @ctx) for a moment; -EINTR if killed. */
static int ksmdev_now_yield(struct ksmdev_scan_ctx *ctx, bool wait_mm)
{
	struct mm_struct *mm = current->mm;

	ksmdev_ctx_unlock(ctx);
	mutex_unlock(&ksmdev_lock);
	if (wait_mm) {
		/* Our own mmap_lock is busy: wait for it, holding nothing. */
		if (mmap_read_lock_killable(mm))
			return -EINTR;
		mmap_read_unlock(mm);
	} else {
		cond_resched();
	}
	if (fatal_signal_pending(current))
		return -EINTR;
	return mutex_lock_killable(&ksmdev_lock) ? -EINTR : 0;
}

/**
 * ksmdev_merge_area_now - merge the caller's memory in an area, now
 * @area: the area (KSM_MERGE_NOW); the caller is its user
 * @slot: the caller's mm slot, referenced by the caller (stays valid)
 *
 * Only the caller's own memory is looked at: its regions (on this area and
 * its other areas of the same domain), in address order.  Its pages merge
 * into KSM pages that already exist in the domain and with each other,
 * never with another process's pages, which are not even read
 * (ctx.only_mm): a tenant must not be able to pull another's memory into a
 * merge by asking, and the pass costs only what the caller registered.
 * The scanner later merges the new candidates with the rest of the
 * domain.  Smart-scan back-off and the volatility gate do not apply: the
 * caller says its memory is stable now.  Works whether the scanner runs
 * or not.
 *
 * ksmdev_lock is dropped every KSMDEV_BATCH_LOCK pages, so that however
 * much the caller registered, nobody waits longer than one batch; the
 * pass goes on from the address it reached (regions may come and go
 * meanwhile).  It never waits for its own mmap_lock with ksmdev_lock
 * held, and it ends at a fatal signal.
 *
 * Return: how many more of the area's pages are merged than before (>= 0),
 * or -EINTR if the caller was killed.
 */
long ksmdev_merge_area_now(struct ksmdev_area *area, struct ksmdev_mm_slot *slot)
{
	struct mm_struct *mm = current->mm;
	struct ksmdev_scan_ctx ctx = { .sync = true, .only_mm = mm };
	unsigned long addr = 0, before;
	unsigned int locked = 0;
	long err = 0;

	ksmdev_now_drain(area->user);
	if (mutex_lock_killable(&ksmdev_lock))
		return -EINTR;
	before = area->stats.pages_merged;
	for (;;) {
		struct ksmdev_region *r = ksmdev_now_next_region(slot, addr, area->domain);
		struct ksmdev_item *item;
		struct page *page;

		if (!r)
			break;
		addr = max(addr, r->start);
		page = ksmdev_region_next_page(r, &addr, &item, &ctx);
		if (!page) {
			/* @addr is past the region; an empty one costs a visit. */
			if (ctx.busy || ++locked >= KSMDEV_BATCH_LOCK ||
			    ctx.visited >= KSMDEV_BATCH_LOCK) {
				err = ksmdev_now_yield(&ctx, ctx.busy);
				ctx.busy = false;
				ctx.visited = 0;
				locked = 0;
				if (err)
					return err;
			}
			continue;
		}
		ksmdev_global.pages_scanned++;
		r->area->stats.pages_scanned++;
		ctx.budget = KSMDEV_MERGE_BATCH;
		ctx.extra = 0;
		ksmdev_cmp_and_merge(&ctx, item, page);
		put_page(page);
		locked += 1 + ctx.extra;
		if (locked >= KSMDEV_BATCH_LOCK || fatal_signal_pending(current)) {
			locked = 0;
			err = ksmdev_now_yield(&ctx, false);
			if (err)
				return err;
		}
	}
	ksmdev_ctx_unlock(&ctx);
	err = area->stats.pages_merged > before ? area->stats.pages_merged - before : 0;
	mutex_unlock(&ksmdev_lock);
	return err;
}

/**
 * ksmdev_scan_init - set up the tables and items and start the scanner
 *
 * Return: 0 or a negative errno.
 */
int ksmdev_scan_init(void)
{
	int err;

	err = ksmdev_merge_init();
	if (err)
		return err;
	err = ksmdev_items_init();
	if (err)
		return err;
	err = ksmdev_tables_init();
	if (err)
		goto out_items;
	ksmdev_thread = kthread_run(ksmdev_scan_thread, NULL, "ksmdevd");
	if (IS_ERR(ksmdev_thread)) {
		err = PTR_ERR(ksmdev_thread);
		goto out_tables;
	}
	return 0;
out_tables:
	ksmdev_tables_exit();
out_items:
	ksmdev_items_exit();
	return err;
}

/**
 * ksmdev_scan_exit - stop the scanner and free what ksmdev_scan_init() set up
 *
 * At unload, once every region is gone.
 */
void ksmdev_scan_exit(void)
{
	kthread_stop(ksmdev_thread);
	ksmdev_tables_exit();
	ksmdev_items_exit();
}

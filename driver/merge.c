// SPDX-License-Identifier: GPL-2.0-only
/*
 * merge.c - merging: one page looked at, and the merges it can lead to.
 *
 * ksmdev_cmp_and_merge() looks at one page the scanner (or KSM_MERGE_NOW)
 * found in a region, with its mm locked:
 *
 *   0. Compared with the KSM page merged into last (ksmdev_recent): a run of
 *      identical pages merges without being checksummed at all, and, once
 *      in a run, each page is read whole only once, by the compare under
 *      write protection that decides the merge.  In a run, the copies that
 *      follow a page in its page table (up to KSMDEV_MERGE_BATCH) merge with
 *      it as one batch: one walk, one notifier range, one page-table lock
 *      and one TLB flush for all of them (ksmdev_recent_batch()).
 *   1. Checksummed (xxh64) and looked up in the stable table.  On a
 *      checksum match the page is write-protected, compared whole, and
 *      replaced by the KSM page (ksmdev_merge_locked()).
 *   2. Looked up in the unstable table.  On a full-content match with the
 *      candidate's current page a new KSM page is allocated, filled with a
 *      copy, and both pages are replaced by it (ksmdev_merge_pair()); it
 *      enters the stable table.
 *   3. Otherwise it becomes a candidate in the unstable table, unless its
 *      checksum changed since the scanner last saw it (volatile).  Smart
 *      scanning backs off from reading pages that stay unique.
 *
 * An all-zero page in zero-page mode is mapped to the kernel's zero page
 * instead (ksmdev_merge_zero()).  Equality is always decided by comparing
 * whole pages once nobody can write them; the checksum only finds
 * candidates.  Because a candidate is matched as soon as its duplicate is
 * seen, stable duplicates merge within the first full scan that sees both.
 *
 * Locking: ksmdev_lock held throughout.  The mm of the page being looked at
 * stays read-locked in struct ksmdev_scan_ctx from finding the page through a
 * merge into the stable table; looking at candidates of the unstable table
 * (other mms) unlocks it first, and each candidate's mm is then locked on
 * its own.  Pages are locked with trylock_page() only.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/moduleparam.h>
#include <linux/pagemap.h>
#include <linux/sched/mm.h>
#include <linux/swap.h>
#include <linux/xxhash.h>
#include "ksmdev.h"
#include "compat.h"

/*
 * Off by default: measured (make bench), the back-off lost more merges of
 * pages that changed while skipped than it saved CPU.
 */
bool ksmdev_smart_scan;
module_param_named(smart_scan, ksmdev_smart_scan, bool, 0644);
MODULE_PARM_DESC(smart_scan,
		 "skip pages that stayed unique for several scans, with growing back-off (default 0)");

bool ksmdev_use_zero_pages;
module_param_named(use_zero_pages, ksmdev_use_zero_pages, bool, 0644);
MODULE_PARM_DESC(use_zero_pages,
		 "map all-zero pages to the kernel's zero page instead of a KSM page (default 0)");

unsigned long ksmdev_pages_skipped;

/* ------------------------------------------------------------ pages */

static u64 ksmdev_page_checksum(struct page *page)
{
	void *addr = kmap_local_page(page);
	u64 sum = xxh64(addr, PAGE_SIZE, 0);

	kunmap_local(addr);
	return sum;
}

/*
 * Three cache lines of @a and @b (start, middle, end): the cheap test that
 * picks a candidate in a run of copies.  Never enough for a merge: that
 * always compares the whole page under write protection.
 */
static bool ksmdev_pages_sample_equal(struct page *a, struct page *b)
{
	static const unsigned int at[] = {
		0, PAGE_SIZE / sizeof(u64) / 2, PAGE_SIZE / sizeof(u64) - 8,
	};
	const u64 *pa = kmap_local_page(a);
	const u64 *pb = kmap_local_page(b);
	u64 diff = 0;
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(at); i++)
		for (j = 0; j < 8; j++)
			diff |= pa[at[i] + j] ^ pb[at[i] + j];
	kunmap_local(pb);
	kunmap_local(pa);
	return !diff;
}

static bool ksmdev_pages_identical(struct page *a, struct page *b)
{
	const u64 *pa = kmap_local_page(a);
	const u64 *pb = kmap_local_page(b);
	bool same = true;
	unsigned int i;

	for (i = 0; i < PAGE_SIZE / sizeof(u64); i += 4) {
		if ((pa[i] ^ pb[i]) | (pa[i + 1] ^ pb[i + 1]) |
		    (pa[i + 2] ^ pb[i + 2]) | (pa[i + 3] ^ pb[i + 3])) {
			same = false;
			break;
		}
	}
	kunmap_local(pb);
	kunmap_local(pa);
	return same;
}

static u64 ksmdev_zero_checksum;

static bool ksmdev_page_is_zero(struct page *page)
{
	void *addr = kmap_local_page(page);
	bool zero = !memchr_inv(addr, 0, PAGE_SIZE);

	kunmap_local(addr);
	return zero;
}

/* ------------------------------------------------------------ merging */

/*
 * Replace @page, mapped at @item's address in @vma, by @kpage: lock the
 * page, split it if it is part of a THP, write-protect it, compare it with
 * @kpage and switch the PTE.  mmap_lock held; @page carries one reference
 * of ours.  Return: 0 if merged, -EAGAIN if the contents differ.
 */
static int ksmdev_merge_locked(struct vm_area_struct *vma, struct ksmdev_item *item,
			       struct page *page, struct page *kpage)
{
	struct ksmdev_wp wp;
	int err;

	ksmdev_mmap_assert_locked(vma->vm_mm);
	if (!PageAnon(page) || PageKsm(page))
		return -EFAULT;
	if (!trylock_page(page))
		return -EBUSY;
	if (PageTransCompound(page)) {
		err = ksmdev_split_huge_page(page);
		if (err)
			goto out_unlock;
	}
	err = ksmdev_page_wrprotect(vma, item->addr, page, &wp);
	if (err)
		goto out_unlock;
	/* Nobody can write it now: compare what is really there. */
	if (ksmdev_pages_identical(page, kpage)) {
		ksmdev_replace_page(page, kpage, &wp);
	} else {
		ksmdev_page_wrprotect_undo(&wp);
		err = -EAGAIN;
	}
out_unlock:
	unlock_page(page);
	return err;
}

/*
 * Zero-page mode: point the PTE of an all-zero @page at the zero page.
 * mmap_lock held.  Return: 0 if done; the item is freed then.
 */
static int ksmdev_merge_zero(struct vm_area_struct *vma, struct ksmdev_item *item,
			     struct page *page)
{
	struct ksmdev_region *region = item->region;
	unsigned long idx = ksmdev_item_index(region, item->addr);
	struct ksmdev_wp wp;
	struct mem_cgroup *old;
	int err;

	ksmdev_mmap_assert_locked(vma->vm_mm);
	old = ksmdev_memcg_enter(region->area->memcg);
	err = xa_err(xa_store(&region->zero, idx, xa_mk_value(1), KSMDEV_GFP_SCAN));
	ksmdev_memcg_leave(old);
	if (err)
		return -ENOMEM;
	err = -EBUSY;
	if (!trylock_page(page))
		goto out;
	if (PageTransCompound(page)) {
		err = ksmdev_split_huge_page(page);
		if (err)
			goto out_unlock;
	}
	err = ksmdev_page_wrprotect(vma, item->addr, page, &wp);
	if (err)
		goto out_unlock;
	if (ksmdev_page_is_zero(page)) {
		ksmdev_replace_page_zero(page, &wp);
	} else {
		ksmdev_page_wrprotect_undo(&wp);
		err = -EAGAIN;
	}
out_unlock:
	unlock_page(page);
out:
	if (err) {
		xa_erase(&region->zero, idx);
		return err;
	}
	ksmdev_zero_count(region, 1);
	ksmdev_item_free(item);
	return 0;
}

/* ksmdev_merge_locked() for a page whose mm is not locked yet. */
static int ksmdev_merge_one(struct ksmdev_item *item, struct page *page,
			    struct page *kpage)
{
	struct mm_struct *mm = item->region->slot->mn.mm;
	struct vm_area_struct *vma;
	int err = -EFAULT;

	if (!mmget_not_zero(mm))
		return -ESRCH;
	/* Never wait for another mm's lock under ksmdev_lock. */
	if (!mmap_read_trylock(mm)) {
		mmput_async(mm);
		return -EBUSY;
	}
	vma = vma_lookup(mm, item->addr);
	if (vma && ksmdev_vma_mergeable(vma))
		err = ksmdev_merge_locked(vma, item, page, kpage);
	mmap_read_unlock(mm);
	mmput_async(mm);
	return err;
}

/*
 * Find a candidate in the unstable table with the contents of @page; with
 * @only_mm, only among that mm's pages (other mms are not even looked at).
 * Return: the candidate, its page in *@cpage (with a reference), or NULL.
 */
static struct ksmdev_item *ksmdev_unstable_find(struct ksmdev_item *item, struct page *page,
						struct mm_struct *only_mm,
						struct page **cpage)
{
	u64 domain = ksmdev_item_domain(item);
	struct hlist_head *head = ksmdev_unstable_bucket(item->checksum, domain);
	unsigned long pfn = page_to_pfn(page);
	struct ksmdev_item *cand;
	struct hlist_node *tmp;

	hlist_for_each_entry_safe(cand, tmp, head, unode) {
		struct page *p;

		if (cand == item || cand->checksum != item->checksum ||
		    ksmdev_item_domain(cand) != domain ||
		    (only_mm && cand->region->slot->mn.mm != only_mm))
			continue;
		/* Our own frame, through another mapping: nothing to gain. */
		if (cand->pfn == pfn)
			continue;
		p = ksmdev_item_page(cand);
		if (p && p != page && PageAnon(p) && !PageKsm(p) &&
		    ksmdev_pages_identical(page, p)) {
			*cpage = p;
			return cand;
		}
		if (p && p == page) {
			put_page(p);
			continue;	/* same page: nothing to gain */
		}
		/* Gone or changed: no candidate now; look at it properly next. */
		if (p)
			put_page(p);
		ksmdev_unstable_unhash(cand);
		ksmdev_item_set_state(cand, KSMDEV_ITEM_NEW);
		cand->skip_until = 0;
		cand->age = 0;
	}
	return NULL;
}

/* Are @page and the candidate's @cpage subpages of one huge page? */
static bool ksmdev_pair_in_one_folio(struct page *page, struct page *cpage)
{
	return PageTransCompound(page) && page_folio(page) == page_folio(cpage);
}

/*
 * The two pages of a pair in one huge page: the reference to the second
 * would keep the first from splitting (a split wants one pin), so drop
 * it, split the huge page, and take the candidate's page again.
 * Return: the candidate, its page in *@cpage, or NULL (nothing to merge).
 */
static struct ksmdev_item *ksmdev_pair_split(struct page *page, struct ksmdev_item *cand,
					     struct page **cpage)
{
	struct page *p;

	put_page(*cpage);
	*cpage = NULL;
	if (!trylock_page(page))
		return NULL;
	if (PageTransCompound(page))
		ksmdev_split_huge_page(page);
	unlock_page(page);
	p = ksmdev_item_page(cand);
	if (!p || p == page || !PageAnon(p) || PageKsm(p) || PageTransCompound(p) ||
	    !ksmdev_pages_identical(page, p)) {
		if (p)
			put_page(p);
		return NULL;
	}
	*cpage = p;
	return cand;
}

/*
 * Smart scanning: a page seen unique and unchanged in consecutive passes
 * is not read for a growing number of passes (1, 2, 4, then 8 at most):
 * it is not checksummed, but stays in the tables under its last checksum,
 * so a new duplicate merges with it as soon as it appears (the merge
 * compares the real contents).  Any change, or a merge, starts it over.
 */
static void ksmdev_smart_backoff(struct ksmdev_item *item)
{
	if (item->age < 8)
		item->age++;
	if (ksmdev_smart_scan && item->age >= 2)
		item->skip_until = ksmdev_full_scans + min(1UL << (item->age - 2), 8UL) + 1;
}

/*
 * Merge @page and the candidate's page into a new KSM page, paid for by
 * @item's user and @page's memory cgroup (account.c).
 */
static void ksmdev_merge_pair(struct ksmdev_item *item, struct page *page,
			      struct ksmdev_item *cand, struct page *cpage)
{
	struct ksmdev_user *user = item->region->area->user;
	struct ksmdev_stable *node;
	struct mem_cgroup *memcg, *old;
	struct page *kpage;

	kpage = ksmdev_kpage_alloc(user, page, &memcg);
	/* At a limit: KSM pages nobody maps any more may be counted still. */
	if (IS_ERR(kpage) && PTR_ERR(kpage) != -ENOMEM && ksmdev_orphans_reap(true))
		kpage = ksmdev_kpage_alloc(user, page, &memcg);
	if (IS_ERR(kpage))
		return;
	/*
	 * @page may have changed since it was copied: index the KSM page by
	 * what it holds (it never changes from here on).
	 */
	old = ksmdev_memcg_enter(memcg);
	node = ksmdev_stable_new(kpage, ksmdev_page_checksum(kpage), ksmdev_item_domain(item),
				 user);
	ksmdev_memcg_leave(old);
	ksmdev_memcg_put(memcg);
	if (!node) {
		ksmdev_kpage_release(user, kpage);
		return;
	}
	if (ksmdev_merge_one(item, page, kpage)) {
		ksmdev_stable_free(node);
		return;
	}
	ksmdev_stable_attach(node, item);
	ksmdev_recent_set(node);
	ksmdev_unstable_unhash(cand);
	if (!ksmdev_merge_one(cand, cpage, kpage))
		ksmdev_stable_attach(node, cand);
	else
		ksmdev_item_set_state(cand, KSMDEV_ITEM_NEW);
}

/**
 * ksmdev_ctx_unlock - unlock the mm a scan context holds, if any
 * @ctx: the context; holds no mm and no VMA afterwards
 */
void ksmdev_ctx_unlock(struct ksmdev_scan_ctx *ctx)
{
	if (ctx->mm) {
		mmap_read_unlock(ctx->mm);
		/* The last reference of an exited mm: exit_mmap() elsewhere. */
		mmput_async(ctx->mm);
		ctx->mm = NULL;
		ctx->vma = NULL;
	}
}

/*
 * The pages after @page in its page table that are copies of @node's KSM
 * page by sampled words, with their items: pages[1..] of the batch (each
 * with a reference).  Then all of them, @page first, are locked.
 * Return: the size of the batch, @page included; 0 if @page is busy.
 */
static int ksmdev_batch_gather(struct ksmdev_scan_ctx *ctx, struct ksmdev_item *item,
			       struct ksmdev_stable *node, struct page **pages,
			       struct ksmdev_item **items)
{
	struct ksmdev_region *region = item->region;
	/* All in the page table of @page. */
	unsigned long end = pmd_addr_end(item->addr, min(ctx->vma->vm_end, region->end));
	int i, n = 1, max = min_t(unsigned int, ctx->budget + 1, KSMDEV_MERGE_BATCH);

	if (max > 1 && item->addr + PAGE_SIZE < end)
		n += ksmdev_gather_run(ctx->vma, item->addr + PAGE_SIZE, end,
				       pages + 1, max - 1);
	for (i = 1; i < n; i++) {
		if (!ksmdev_pages_sample_equal(pages[i], node->kpage))
			break;
		items[i] = ksmdev_item_get(region, item->addr + i * PAGE_SIZE);
		if (!items[i])
			break;
		/*
		 * Merged once, written since: forget that merge, unless that
		 * frees @node, the KSM page this batch merges into.
		 */
		if (items[i]->stable) {
			if (items[i]->stable == node && node->nr_items == 1)
				break;
			ksmdev_stable_detach(items[i]);
		}
	}
	if (i < n)
		release_pages(pages + i, n - i);
	/* Locked only now: allocating an item may wait for page locks. */
	for (n = i, i = 0; i < n; i++)
		if (!trylock_page(pages[i]))
			break;
	if (!i) {
		/* @page is busy (its reference is the caller's): no batch. */
		if (n > 1)
			release_pages(pages + 1, n - 1);
		return 0;
	}
	if (i < n)
		release_pages(pages + i, n - i);
	return i;
}

/*
 * In a run of copies of @node's KSM page: merge @page and the copies
 * mapped right after it in the same page table as one batch, under one
 * walk, one notifier range, one page-table lock and one TLB flush.  Each
 * page is compared whole once it is write-protected.  The scan cursor
 * moves past the pages the batch looked at up to the first one it could
 * not merge, which the scanner then looks at the normal way; the run ends
 * at any failure.  Return: whether @page merged.
 */
static bool ksmdev_recent_batch(struct ksmdev_scan_ctx *ctx, struct ksmdev_item *item,
				struct page *page, struct ksmdev_stable *node)
{
	struct page *pages[KSMDEV_MERGE_BATCH];
	struct ksmdev_item *items[KSMDEV_MERGE_BATCH];
	bool same[KSMDEV_MERGE_BATCH];
	struct ksmdev_region *region = item->region;
	struct ksmdev_wp_batch wb;
	int i, n, merged = 0, next;

	pages[0] = page;
	items[0] = item;
	n = ksmdev_batch_gather(ctx, item, node, pages, items);
	if (!n) {
		ksmdev_recent_run = false;
		return false;
	}
	if (ksmdev_page_wrprotect_batch(ctx->vma, item->addr, pages, n, &wb)) {
		for (i = 0; i < n; i++)
			wb.held[i] = false;
	} else {
		/* Nobody can write them now: compare what is really there. */
		for (i = 0; i < n; i++)
			same[i] = wb.held[i] && ksmdev_pages_identical(pages[i], node->kpage);
		merged = ksmdev_replace_page_batch(pages, node->kpage, same, &wb);
	}
	for (i = 0; i < n; i++) {
		unlock_page(pages[i]);
		if (!wb.held[i])
			continue;
		items[i]->checksum = node->checksum;	/* same contents */
		items[i]->checksummed = true;
		ksmdev_stable_attach(node, items[i]);
	}
	ksmdev_recent_run = merged == n;
	for (next = 1; next < n && wb.held[next]; next++)
		;
	if (wb.held[0] && next > 1) {
		ctx->extra = next - 1;
		*ctx->cursor = item->addr + next * PAGE_SIZE;
		if (!xa_empty(&region->zero))
			ksmdev_zero_forget(region, item->addr + PAGE_SIZE, *ctx->cursor);
		ksmdev_global.pages_scanned += ctx->extra;
		region->area->stats.pages_scanned += ctx->extra;
	}
	if (n > 1)
		release_pages(pages + 1, n - 1);
	return wb.held[0];
}

/*
 * Merge @page into the KSM page merged into last, if it is a copy of it:
 * no checksum, no table lookup.  The unlocked compare (of samples, in a
 * run) only picks the candidate; the merge compares the whole page once
 * nobody can write it.  In a run, the copies after @page in its page
 * table merge with it as one batch.
 */
static bool ksmdev_recent_merge(struct ksmdev_scan_ctx *ctx, struct ksmdev_item *item,
				struct page *page)
{
	struct ksmdev_stable *node = ksmdev_recent;

	if (!node || node->domain != ksmdev_item_domain(item) ||
	    (node->checksum == ksmdev_zero_checksum && READ_ONCE(ksmdev_use_zero_pages)))
		return false;
	if (ksmdev_recent_run ? !ksmdev_pages_sample_equal(page, node->kpage) :
			     !ksmdev_pages_identical(page, node->kpage))
		return false;
	if (ksmdev_recent_run && PageAnon(page) && !PageTransCompound(page))
		return ksmdev_recent_batch(ctx, item, page, node);
	if (ksmdev_merge_locked(ctx->vma, item, page, node->kpage)) {
		ksmdev_recent_run = false;
		return false;
	}
	ksmdev_recent_run = true;
	item->checksum = node->checksum;	/* same contents */
	item->checksummed = true;
	ksmdev_stable_attach(node, item);
	return true;
}

/*
 * Merge @page into a KSM page of the same checksum.  The checksum only
 * finds candidates: ksmdev_merge_locked() compares the write-protected page.
 */
static bool ksmdev_stable_merge(struct ksmdev_scan_ctx *ctx, struct ksmdev_item *item,
				struct page *page, bool *found)
{
	struct ksmdev_stable *node;

	*found = false;
	u64 domain = ksmdev_item_domain(item);

	hlist_for_each_entry(node, ksmdev_stable_bucket(item->checksum, domain),
			     hnode) {
		int err;

		if (node->checksum != item->checksum || node->domain != domain)
			continue;
		err = ksmdev_merge_locked(ctx->vma, item, page, node->kpage);
		if (!err) {
			ksmdev_stable_attach(node, item);
			ksmdev_recent_set(node);
			return true;
		}
		if (err != -EAGAIN) {
			*found = true;	/* busy now: retry next pass */
			return false;
		}
	}
	return false;
}

/**
 * ksmdev_cmp_and_merge - look at one page of a region, and merge it if it can
 * @ctx: the scan context; the page's mm is locked in it (this may unlock it)
 * @item: the page's tracking item
 * @page: the page mapped at @item's address, with one reference of ours
 *
 * The steps are the file's header: the last KSM page, the stable table,
 * the unstable table, else a candidate.  @item may be freed (zero-page
 * mode).  ksmdev_lock held.
 */
void ksmdev_cmp_and_merge(struct ksmdev_scan_ctx *ctx, struct ksmdev_item *item,
			  struct page *page)
{
	struct ksmdev_stable *node;
	struct ksmdev_item *cand;
	struct page *cpage;
	unsigned long pfn = page_to_pfn(page);
	bool changed, busy, same, skipped = false;
	u64 sum;

	lockdep_assert_held(&ksmdev_lock);
	ksmdev_mmap_assert_locked(ctx->mm);
	if (item->stable) {
		if (item->stable->kpage == page)
			return;		/* still merged */
		ksmdev_stable_detach(item);
	}
	if (!PageAnon(page)) {
		/* One of our KSM pages (fork, mremap): adopt the mapping. */
		sum = ksmdev_page_checksum(page);
		node = ksmdev_stable_find_kpage(sum, ksmdev_item_domain(item), page);
		if (node)
			ksmdev_stable_attach(node, item);
		return;
	}
	if (PageKsm(page))
		return;		/* in-kernel KSM's page, not ours to touch */
	if (ksmdev_recent_merge(ctx, item, page))
		return;
	if (item->skip_until > ksmdev_full_scans && !ctx->sync && item->checksummed) {
		/*
		 * Unique for a while: back off from reading the page, but
		 * keep it findable under its last checksum (every match is
		 * verified by a full compare), so a new duplicate still
		 * merges with it in the first pass that sees both.
		 */
		ksmdev_pages_skipped++;
		skipped = true;
		sum = item->checksum;
		changed = false;
	} else {
		sum = ksmdev_page_checksum(page);
		changed = item->checksummed && item->checksum != sum;
	}
	ksmdev_unstable_unhash(item);
	item->checksum = sum;
	item->checksummed = true;

	if (sum == ksmdev_zero_checksum && READ_ONCE(ksmdev_use_zero_pages) &&
	    ksmdev_page_is_zero(page)) {
		ksmdev_merge_zero(ctx->vma, item, page);	/* frees item if done */
		return;
	}
	if (ksmdev_stable_merge(ctx, item, page, &busy) || busy)
		return;

	cand = NULL;
	if (ksmdev_unstable_has_candidate(item, pfn, ctx->only_mm, &same)) {
		/* Candidates live in other mms (or ours): unlock first. */
		ksmdev_ctx_unlock(ctx);
		cand = ksmdev_unstable_find(item, page, ctx->only_mm, &cpage);
		if (cand && ksmdev_pair_in_one_folio(page, cpage))
			cand = ksmdev_pair_split(page, cand, &cpage);
	}
	if (cand) {
		ksmdev_merge_pair(item, page, cand, cpage);
		put_page(cpage);
		if (item->stable) {
			item->age = 0;
			return;
		}
	}
	if (changed && !ctx->sync) {
		item->age = 0;
		ksmdev_item_set_state(item, KSMDEV_ITEM_VOLATILE);
		return;
	}
	if (same) {
		/*
		 * Its frame is a candidate already, through another mapping
		 * (a page shared through fork by K processes that each
		 * registered it): one entry per frame keeps the pass O(N·K)
		 * instead of O(N·K²).  Unique for now, but not in the table.
		 */
		ksmdev_item_set_state(item, KSMDEV_ITEM_UNSTABLE);
	} else {
		ksmdev_unstable_insert(item, pfn);
	}
	if (!skipped)
		ksmdev_smart_backoff(item);
}

/**
 * ksmdev_merge_init - compute the checksum of an all-zero page
 *
 * Return: 0 or -ENOMEM.
 */
int ksmdev_merge_init(void)
{
	void *zero = (void *)get_zeroed_page(GFP_KERNEL);

	if (!zero)
		return -ENOMEM;
	ksmdev_zero_checksum = xxh64(zero, PAGE_SIZE, 0);
	free_page((unsigned long)zero);
	return 0;
}

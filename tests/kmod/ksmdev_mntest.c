// SPDX-License-Identifier: GPL-2.0-only
/*
 * ksmdev_mntest - test-only helper for tests/guest/driver/change_pte_notification.
 *
 * Opening /dev/ksmdev_mntest registers an mmu_notifier on the opener's mm
 * that counts the .change_pte (kernels before 6.9 only) and
 * .invalidate_range_start callbacks it receives.  Writing "watch ADDR N"
 * (hex address, at most 64 pages) also records which pages of that window
 * each kind of callback covered.  Reading the device returns, as text:
 *
 *	change_pte N
 *	invalidate_range_start M
 *	watched_change_pte P		(pages of the window given a change_pte)
 *	watched_invalidated Q		(pages inside an invalidated range)
 *
 * Closing it unregisters the notifier.  This lets a test check that the
 * driver tells secondary MMUs (KVM, ...) about every PTE it replaces.
 */
#include <linux/atomic.h>
#include <linux/bitmap.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/version.h>

#define MNTEST_WATCH_MAX	64

struct mntest {
	struct mmu_notifier mn;
	struct mm_struct *mm;
	atomic64_t change_pte;
	atomic64_t invalidate_range_start;
	spinlock_t lock;		/* the window and its bitmaps */
	unsigned long watch_start;
	unsigned long watch_pages;
	DECLARE_BITMAP(changed, MNTEST_WATCH_MAX);
	DECLARE_BITMAP(invalidated, MNTEST_WATCH_MAX);
};

/* Mark the window's pages in [@start, @end) in @map. */
static void mntest_mark(struct mntest *n, unsigned long *map,
			unsigned long start, unsigned long end)
{
	unsigned long wend, first, last;

	spin_lock(&n->lock);
	wend = n->watch_start + n->watch_pages * PAGE_SIZE;
	if (n->watch_pages && start < wend && end > n->watch_start) {
		first = (max(start, n->watch_start) - n->watch_start) >> PAGE_SHIFT;
		last = (min(end, wend) - n->watch_start + PAGE_SIZE - 1) >> PAGE_SHIFT;
		bitmap_set(map, first, last - first);
	}
	spin_unlock(&n->lock);
}

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 9, 0)
static void mntest_change_pte(struct mmu_notifier *mn, struct mm_struct *mm,
			      unsigned long address, pte_t pte)
{
	struct mntest *n = container_of(mn, struct mntest, mn);

	atomic64_inc(&n->change_pte);
	mntest_mark(n, n->changed, address & PAGE_MASK, (address & PAGE_MASK) + PAGE_SIZE);
}
#endif

static int mntest_invalidate_range_start(struct mmu_notifier *mn,
					 const struct mmu_notifier_range *range)
{
	struct mntest *n = container_of(mn, struct mntest, mn);

	atomic64_inc(&n->invalidate_range_start);
	mntest_mark(n, n->invalidated, range->start, range->end);
	return 0;
}

static const struct mmu_notifier_ops mntest_ops = {
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 9, 0)
	.change_pte = mntest_change_pte,
#endif
	.invalidate_range_start = mntest_invalidate_range_start,
};

static int mntest_open(struct inode *inode, struct file *file)
{
	struct mntest *n;
	int ret;

	if (!current->mm)
		return -EINVAL;
	n = kzalloc(sizeof(*n), GFP_KERNEL);
	if (!n)
		return -ENOMEM;
	spin_lock_init(&n->lock);
	n->mn.ops = &mntest_ops;
	n->mm = current->mm;
	/* Holds a reference on the mm (mm_count) until unregistered. */
	ret = mmu_notifier_register(&n->mn, n->mm);
	if (ret) {
		kfree(n);
		return ret;
	}
	file->private_data = n;
	return 0;
}

static int mntest_release(struct inode *inode, struct file *file)
{
	struct mntest *n = file->private_data;

	mmu_notifier_unregister(&n->mn, n->mm);
	kfree(n);
	return 0;
}

static ssize_t mntest_read(struct file *file, char __user *buf, size_t count,
			   loff_t *ppos)
{
	struct mntest *n = file->private_data;
	unsigned int changed, invalidated;
	char text[160];
	int len;

	spin_lock(&n->lock);
	changed = bitmap_weight(n->changed, MNTEST_WATCH_MAX);
	invalidated = bitmap_weight(n->invalidated, MNTEST_WATCH_MAX);
	spin_unlock(&n->lock);
	len = scnprintf(text, sizeof(text),
			"change_pte %lld\ninvalidate_range_start %lld\n"
			"watched_change_pte %u\nwatched_invalidated %u\n",
			(long long)atomic64_read(&n->change_pte),
			(long long)atomic64_read(&n->invalidate_range_start),
			changed, invalidated);
	return simple_read_from_buffer(buf, count, ppos, text, len);
}

/* "watch ADDR NPAGES": start recording which pages of a window are hit. */
static ssize_t mntest_write(struct file *file, const char __user *buf,
			    size_t count, loff_t *ppos)
{
	struct mntest *n = file->private_data;
	unsigned long start, pages;
	char text[64];

	if (count >= sizeof(text))
		return -EINVAL;
	if (copy_from_user(text, buf, count))
		return -EFAULT;
	text[count] = 0;
	if (sscanf(text, "watch %lx %lu", &start, &pages) != 2 ||
	    start & ~PAGE_MASK || !pages || pages > MNTEST_WATCH_MAX)
		return -EINVAL;
	spin_lock(&n->lock);
	n->watch_start = start;
	n->watch_pages = pages;
	bitmap_zero(n->changed, MNTEST_WATCH_MAX);
	bitmap_zero(n->invalidated, MNTEST_WATCH_MAX);
	spin_unlock(&n->lock);
	return count;
}

static const struct file_operations mntest_fops = {
	.owner = THIS_MODULE,
	.open = mntest_open,
	.release = mntest_release,
	.read = mntest_read,
	.write = mntest_write,
	.llseek = default_llseek,
};

static struct miscdevice mntest_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "ksmdev_mntest",
	.fops = &mntest_fops,
	.mode = 0600,
};

module_misc_device(mntest_misc);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("ksmdev test helper: counts mmu_notifier callbacks of the opener's mm");

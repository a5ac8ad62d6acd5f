// SPDX-License-Identifier: GPL-2.0-only
/*
 * ksmdev_mntest - test-only helper for tests/guest/change_pte_notification.
 *
 * Opening /dev/ksmdev_mntest registers an mmu_notifier on the opener's mm
 * that counts the .change_pte (kernels before 6.9 only) and
 * .invalidate_range_start callbacks it receives; reading the device
 * returns both counts as text:
 *
 *	change_pte N
 *	invalidate_range_start M
 *
 * Closing it unregisters the notifier.  This lets a test check that the
 * driver tells secondary MMUs (KVM, ...) about the PTEs it replaces.
 */
#include <linux/atomic.h>
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

struct mntest {
	struct mmu_notifier mn;
	struct mm_struct *mm;
	atomic64_t change_pte;
	atomic64_t invalidate_range_start;
};

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 9, 0)
static void mntest_change_pte(struct mmu_notifier *mn, struct mm_struct *mm,
			      unsigned long address, pte_t pte)
{
	struct mntest *n = container_of(mn, struct mntest, mn);

	atomic64_inc(&n->change_pte);
}
#endif

static int mntest_invalidate_range_start(struct mmu_notifier *mn,
					 const struct mmu_notifier_range *range)
{
	struct mntest *n = container_of(mn, struct mntest, mn);

	atomic64_inc(&n->invalidate_range_start);
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
	char text[96];
	int len;

	len = scnprintf(text, sizeof(text), "change_pte %lld\ninvalidate_range_start %lld\n",
			(long long)atomic64_read(&n->change_pte),
			(long long)atomic64_read(&n->invalidate_range_start));
	return simple_read_from_buffer(buf, count, ppos, text, len);
}

static const struct file_operations mntest_fops = {
	.owner = THIS_MODULE,
	.open = mntest_open,
	.release = mntest_release,
	.read = mntest_read,
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

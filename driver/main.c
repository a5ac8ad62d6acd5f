// SPDX-License-Identifier: GPL-2.0-only
/*
 * ksmdev - /dev/ksm: merge identical pages of registered memory regions.
 *
 * This file: the misc device /dev/ksm and its ioctls, the shared memory
 * area (SMA) file descriptors and their ioctls, load and unload.  It parses
 * and checks what userspace passes and calls the layers below (see
 * ksmdev.h for the reading order): domain.c for merge domains and who may
 * use an area, region.c for regions, scan.c for the scanner, stats.c for
 * statistics.
 *
 * The ABI is the 2009 /dev/ksm one (include/uapi/linux/ksmdev.h): a
 * process opens /dev/ksm, creates an SMA (a new anon-inode fd), registers
 * ranges of its own memory on it; closing the SMA fd or removing a region
 * gives every merged page of it a private copy again.  The scanner
 * (scan.c) does the merging.
 *
 * Locking: ksmdev_lock (tables.c) protects the list of areas and each area's
 * regions.  Scanner settings are written under it and read by the scanner
 * with READ_ONCE().  No user copy happens with it held.  See ksmdev.h for
 * the full order.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "ksmdev.h"
#include "compat.h"

static bool ksmdev_run_param;
module_param_named(run, ksmdev_run_param, bool, 0444);
MODULE_PARM_DESC(run, "start the scanner at load (default 0)");

static LIST_HEAD(ksmdev_areas);

/* ------------------------------------------------------------ stats ioctls */

/*
 * Copy stats out, size-versioned: the caller's ->size says how much it
 * knows; the size encoded in the ioctl number is ignored.
 */
static long ksmdev_copy_stats(void __user *uarg, const struct ksmdev_counters *c,
			      bool global)
{
	struct ksm_stats st;
	u32 size, flags;

	if (get_user(size, (u32 __user *)uarg) ||
	    get_user(flags, (u32 __user *)uarg + 1))
		return -EFAULT;
	if (size < KSM_STATS_SIZE_MIN || flags)
		return -EINVAL;
	size = min_t(u32, size, sizeof(st));

	ksmdev_fill_stats(&st, c, global);
	st.size = size;
	if (copy_to_user(uarg, &st, size))
		return -EFAULT;
	return 0;
}

/* Area scope: the counters of @area, and its user's KSM pages. */
static long ksmdev_copy_area_stats(void __user *uarg, const struct ksmdev_area *area)
{
	long err = ksmdev_copy_stats(uarg, &area->stats, false);
	u32 size;

	if (err)
		return err;
	if (get_user(size, (u32 __user *)uarg))
		return -EFAULT;
	if (size < offsetofend(struct ksm_stats, user_pages))
		return 0;
	return put_user((u64)atomic_long_read(&area->user->kpages),
			(u64 __user *)(uarg + offsetof(struct ksm_stats, user_pages))) ? -EFAULT : 0;
}

/*
 * An ioctl whose struct carries its own size: the size in the command
 * number is that of the caller's header, so only type, number and
 * direction say which command it is; the struct's size field rules.
 */
static bool ksmdev_is_sized_cmd(unsigned int cmd, unsigned int known)
{
	return _IOC_TYPE(cmd) == _IOC_TYPE(known) && _IOC_NR(cmd) == _IOC_NR(known) &&
	       _IOC_DIR(cmd) == _IOC_DIR(known);
}

static bool ksmdev_is_stats_cmd(unsigned int cmd, unsigned int nr)
{
	return _IOC_TYPE(cmd) == KSMIO && _IOC_NR(cmd) == nr &&
	       _IOC_DIR(cmd) == (_IOC_READ | _IOC_WRITE) &&
	       _IOC_SIZE(cmd) >= KSM_STATS_SIZE_MIN;
}

/* ------------------------------------------------------------ regions */

static long ksmdev_sma_register(struct ksmdev_area *area, void __user *uarg)
{
	struct ksm_memory_region mr;
	unsigned long start, len;
	struct mm_struct *mm = current->mm;
	long err;

	if (copy_from_user(&mr, uarg, sizeof(mr)))
		return -EFAULT;
	if (!mr.npages || mr.pad || mr.reserved_bits)
		return -EINVAL;
	start = mr.addr;
	len = (unsigned long)mr.npages << PAGE_SHIFT;
	if (mr.addr != start || offset_in_page(start) ||
	    start >= TASK_SIZE || len > TASK_SIZE - start)
		return -EINVAL;
	if (!mm)
		return -EINVAL;
	if (!ksmdev_area_of_caller(area))
		return -EPERM;
	err = ksmdev_region_add(area, mm, start, start + len);
	/* Merged pages must not meet a THP collapse (items.c). */
	if (!err)
		ksmdev_mark_nohuge(mm, start, start + len);
	return err;
}

/*
 * KSM_MERGE_NOW: the caller's mm slot is held for the pass (taking it may
 * wait for the caller's own mmap_lock, before ksmdev_lock).
 */
static long ksmdev_sma_merge_now(struct ksmdev_area *area)
{
	struct ksmdev_mm_slot *slot;
	long ret;

	if (!current->mm)
		return -EINVAL;
	if (!ksmdev_area_of_caller(area))
		return -EPERM;
	slot = ksmdev_slot_get(current->mm);
	if (IS_ERR(slot))
		return PTR_ERR(slot);
	ret = ksmdev_merge_area_now(area, slot);
	ksmdev_slot_put(slot);
	return ret;
}

/* ------------------------------------------------------------ SMA fd */

static long ksmdev_sma_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct ksmdev_area *area = file->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case KSM_REGISTER_MEMORY_REGION:
		return ksmdev_sma_register(area, uarg);
	case KSM_REMOVE_MEMORY_REGION:
		return ksmdev_region_remove(area, arg);
	case KSM_MERGE_NOW:
		return ksmdev_sma_merge_now(area);
	}
	if (ksmdev_is_stats_cmd(cmd, _IOC_NR(KSM_GET_AREA_STATS)))
		return ksmdev_copy_area_stats(uarg, area);
	return -ENOTTY;
}

/* Drop what ksmdev_create_area() took for an area, and free it. */
static void ksmdev_area_free(struct ksmdev_area *area)
{
	ksmdev_domain_leave(area);
	if (area->user)
		ksmdev_user_put(area->user);
	ksmdev_memcg_put(area->memcg);
	kfree(area);
}

static int ksmdev_sma_release(struct inode *inode, struct file *file)
{
	struct ksmdev_area *area = file->private_data;
	struct ksmdev_region *region;

	mutex_lock(&ksmdev_lock);
	ksmdev_process_pending();
	/*
	 * Nobody else uses the area now; the notifier's worker may destroy
	 * regions of exited mms while the lock is dropped for an unmerge.
	 */
	while ((region = list_first_entry_or_null(&area->regions, struct ksmdev_region,
						  area_link))) {
		/*
		 * Unmerge while the mm lives.  Out of memory (or a fatal
		 * signal of the closing task) cannot be reported here; the
		 * pages stay merged and stay correct (a write still copies).
		 */
		int err = ksmdev_region_unmerge(region);

		if (err == -ENOMEM)
			pr_warn_ratelimited("out of memory unmerging a closed area; pages stay shared\n");
		ksmdev_region_destroy(region);
		cond_resched();
	}
	list_del(&area->link);
	mutex_unlock(&ksmdev_lock);
	ksmdev_area_free(area);
	return 0;
}

static const struct file_operations ksmdev_sma_fops = {
	.owner		= THIS_MODULE,
	.release	= ksmdev_sma_release,
	.unlocked_ioctl	= ksmdev_sma_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

/*
 * A new area of the caller, in domain @number (0: its user's, or the open
 * domain; see domain.c), and its fd.
 */
static long ksmdev_create_area(u64 number, bool user)
{
	struct ksmdev_area *area = kzalloc(sizeof(*area), GFP_KERNEL_ACCOUNT);
	int fd;

	if (!area)
		return -ENOMEM;
	INIT_LIST_HEAD(&area->regions);
	fd = ksmdev_domain_join(area, number, user);
	if (fd)
		goto out_free;
	fd = -ENOMEM;
	area->user = ksmdev_user_get();
	if (!area->user)
		goto out_free;
	area->memcg = ksmdev_memcg_of_current();
	get_task_comm(area->comm, current);
	fd = mutex_lock_killable(&ksmdev_lock);
	if (fd)
		goto out_free;
	list_add_tail(&area->link, &ksmdev_areas);
	mutex_unlock(&ksmdev_lock);

	fd = anon_inode_getfd("[ksm-sma]", &ksmdev_sma_fops, area, O_RDWR | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	mutex_lock(&ksmdev_lock);
	list_del(&area->link);
	mutex_unlock(&ksmdev_lock);
out_free:
	ksmdev_area_free(area);
	return fd;
}

/* ------------------------------------------------------------ /dev/ksm */

/*
 * Extensible structs start with their size, which is at least that of
 * their first version; copy_struct_from_user() takes the rest: a smaller
 * (older) struct is zero-extended, a larger (newer) one is accepted when
 * the bytes beyond ours are zero (else -E2BIG).
 */
#define KSMDEV_AREA_PARAMS_SIZE_VER0	offsetofend(struct ksm_area_params, domain)
#define KSMDEV_AUTOTUNE_SIZE_VER0	24	/* through @reserved */
static_assert(KSMDEV_AUTOTUNE_SIZE_VER0 <= sizeof(struct ksm_autotune));

/**
 * ksmdev_struct_size - the size field of an extensible struct
 * @uarg: the caller's struct, whose first __u32 is its size
 * @min: the size of the struct's first version
 * @size: out: the caller's size
 *
 * A size above a page is refused, as clone3() and openat2() refuse it:
 * copy_struct_from_user() reads every byte beyond ours to see that it is
 * zero, and a caller must not make an ioctl read up to 4 GiB of its
 * memory in one loop that never reschedules.
 *
 * Return: 0, -EFAULT, -EINVAL if the size is below @min, or -E2BIG if it
 * is above PAGE_SIZE.
 */
static int ksmdev_struct_size(const void __user *uarg, u32 min, u32 *size)
{
	if (get_user(*size, (const u32 __user *)uarg))
		return -EFAULT;
	if (*size < min)
		return -EINVAL;
	return *size > PAGE_SIZE ? -E2BIG : 0;
}

static long ksmdev_create_area_params(void __user *uarg)
{
	struct ksm_area_params p;
	u32 size;
	int err;

	err = ksmdev_struct_size(uarg, KSMDEV_AREA_PARAMS_SIZE_VER0, &size);
	if (err)
		return err;
	err = copy_struct_from_user(&p, sizeof(p), uarg, size);
	if (err)
		return err;
	if (p.flags & ~KSM_AREA_USER_DOMAIN || p.reserved[0] || p.reserved[1] ||
	    (p.domain & KSMDEV_USER_DOMAIN_BIT) ||
	    ((p.flags & KSM_AREA_USER_DOMAIN) && p.domain))
		return -EINVAL;
	return ksmdev_create_area(p.domain, p.flags & KSM_AREA_USER_DOMAIN);
}

static long ksmdev_start_stop(void __user *uarg)
{
	struct ksm_kthread_info info;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (copy_from_user(&info, uarg, sizeof(info)))
		return -EFAULT;
	if (info.pad || info.reserved_bits || (info.flags & ~ksm_control_flags_run))
		return -EINVAL;
	if ((info.flags & ksm_control_flags_run) && !info.pages_to_scan)
		return -EINVAL;

	if (mutex_lock_killable(&ksmdev_lock))
		return -EINTR;
	if (info.pages_to_scan)
		WRITE_ONCE(ksmdev_pages_to_scan, info.pages_to_scan);
	WRITE_ONCE(ksmdev_sleep_usecs, info.sleep);
	WRITE_ONCE(ksmdev_run, !!(info.flags & ksm_control_flags_run));
	WRITE_ONCE(ksmdev_settings_gen, ksmdev_settings_gen + 1);
	mutex_unlock(&ksmdev_lock);
	ksmdev_scan_wake();
	return 0;
}

static long ksmdev_get_info(void __user *uarg)
{
	struct ksm_kthread_info info = {
		.sleep = READ_ONCE(ksmdev_sleep_usecs),
		.pages_to_scan = READ_ONCE(ksmdev_pages_to_scan),
		.flags = READ_ONCE(ksmdev_run) ? ksm_control_flags_run : 0,
	};

	return copy_to_user(uarg, &info, sizeof(info)) ? -EFAULT : 0;
}

static void ksmdev_fill_area_info(struct ksm_area_info *ai, const struct ksmdev_area *area)
{
	const struct ksmdev_counters *c = &area->stats;

	memset(ai, 0, sizeof(*ai));
	ksmdev_area_describe(area, ai);
	ai->regions = c->regions;
	ai->pages_registered = area->pages_registered;
	ai->pages_merged = c->pages_merged;
	ai->pages_shared = c->pages_shared;
	ai->pages_sharing = c->pages_merged - min(c->pages_merged, c->pages_shared);
	ai->pages_scanned = c->pages_scanned;
	memcpy(ai->comm, area->comm, min(sizeof(ai->comm), sizeof(area->comm)));
}

/*
 * KSM_LIST_AREAS: copy out up to @count entries of @entry_size bytes.
 * Entries are gathered under ksmdev_lock into a kernel buffer first, so no
 * user copy happens with the lock held.
 */
static long ksmdev_list_areas(void __user *uarg)
{
	bool all = capable(CAP_SYS_ADMIN);
	struct ksm_area_list hdr;
	struct ksm_area_info *buf;
	struct ksmdev_area *area;
	u32 n = 0, total = 0, i, esize;
	long err = 0;

	if (copy_from_user(&hdr, uarg, sizeof(hdr)))
		return -EFAULT;
	if (hdr.flags || hdr.entry_size < offsetofend(struct ksm_area_info, regions))
		return -EINVAL;
	esize = min_t(u32, hdr.entry_size, sizeof(*buf));
	hdr.count = min_t(u32, hdr.count, 65536);
	buf = kvcalloc(max_t(u32, hdr.count, 1), sizeof(*buf), GFP_KERNEL_ACCOUNT);
	if (!buf)
		return -ENOMEM;

	err = mutex_lock_killable(&ksmdev_lock);
	if (err) {
		kvfree(buf);
		return err;
	}
	list_for_each_entry(area, &ksmdev_areas, link) {
		if (!all && !ksmdev_area_of_caller(area))
			continue;
		if (n < hdr.count)
			ksmdev_fill_area_info(&buf[n++], area);
		total++;
	}
	mutex_unlock(&ksmdev_lock);

	for (i = 0; i < n && !err; i++)
		if (copy_to_user(u64_to_user_ptr(hdr.entries) + (u64)i * hdr.entry_size,
				 &buf[i], esize))
			err = -EFAULT;
	kvfree(buf);
	if (err)
		return err;
	hdr.count = n;
	hdr.total = total;
	return copy_to_user(uarg, &hdr, sizeof(hdr)) ? -EFAULT : 0;
}

static long ksmdev_set_autotune(void __user *uarg)
{
	struct ksm_autotune at;
	u32 size;
	int err;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	err = ksmdev_struct_size(uarg, KSMDEV_AUTOTUNE_SIZE_VER0, &size);
	if (err)
		return err;
	err = copy_struct_from_user(&at, sizeof(at), uarg, size);
	if (err)
		return err;
	if ((at.flags & ~KSM_AUTOTUNE_ON) || at.reserved)
		return -EINVAL;
	if ((at.flags & KSM_AUTOTUNE_ON) &&
	    (at.target_scan_ms < 100 || !at.max_cpu_permille || at.max_cpu_permille > 1000))
		return -EINVAL;
	if (mutex_lock_killable(&ksmdev_lock))
		return -EINTR;
	if (at.flags & KSM_AUTOTUNE_ON) {
		WRITE_ONCE(ksmdev_target_scan_ms, at.target_scan_ms);
		WRITE_ONCE(ksmdev_max_cpu_permille, at.max_cpu_permille);
	}
	WRITE_ONCE(ksmdev_autotune_on, !!(at.flags & KSM_AUTOTUNE_ON));
	WRITE_ONCE(ksmdev_settings_gen, ksmdev_settings_gen + 1);
	mutex_unlock(&ksmdev_lock);
	ksmdev_scan_wake();
	return 0;
}

static long ksmdev_get_autotune(void __user *uarg)
{
	struct ksm_autotune at = {
		.size = sizeof(at),
		.flags = READ_ONCE(ksmdev_autotune_on) ? KSM_AUTOTUNE_ON : 0,
		.target_scan_ms = READ_ONCE(ksmdev_target_scan_ms),
		.max_cpu_permille = READ_ONCE(ksmdev_max_cpu_permille),
	};

	return copy_to_user(uarg, &at, sizeof(at)) ? -EFAULT : 0;
}

static long ksmdev_dev_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case KSM_GET_API_VERSION:
		return KSM_API_VERSION;
	case KSM_CREATE_SHARED_MEMORY_AREA:
		return ksmdev_create_area(0, false);
	case KSM_GET_AUTOTUNE:
		return ksmdev_get_autotune(uarg);
	case KSM_START_STOP_KTHREAD:
		return ksmdev_start_stop(uarg);
	case KSM_GET_INFO_KTHREAD:
		return ksmdev_get_info(uarg);
	case KSM_LIST_AREAS:
		return ksmdev_list_areas(uarg);
	}
	if (ksmdev_is_sized_cmd(cmd, KSM_CREATE_AREA))
		return ksmdev_create_area_params(uarg);
	if (ksmdev_is_sized_cmd(cmd, KSM_SET_AUTOTUNE))
		return ksmdev_set_autotune(uarg);
	if (ksmdev_is_stats_cmd(cmd, _IOC_NR(KSM_GET_STATS)))
		return ksmdev_copy_stats(uarg, &ksmdev_global, true);
	return -ENOTTY;
}

static const struct file_operations ksmdev_dev_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= ksmdev_dev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice ksmdev_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "ksm",
	.fops	= &ksmdev_dev_fops,
	.mode	= 0660,
};

/* ------------------------------------------------------------ module */

static int __init ksmdev_init(void)
{
	int err;

	err = ksmdev_compat_init();
	if (err)
		return err;
	ksmdev_account_init();
	if (!ksmdev_pages_to_scan)
		ksmdev_pages_to_scan = 100;
	ksmdev_run = ksmdev_run_param;

	/* Nothing can register a notifier before misc_register(). */
	err = ksmdev_scan_init();
	if (err)
		return err;
	err = ksmdev_sysfs_init();
	if (err)
		goto out_scan;
	err = misc_register(&ksmdev_misc);
	if (err)
		goto out_sysfs;
	return 0;

out_sysfs:
	ksmdev_sysfs_exit();
out_scan:
	ksmdev_scan_exit();
	return err;
}

static void __exit ksmdev_exit(void)
{
	misc_deregister(&ksmdev_misc);
	ksmdev_sysfs_exit();
	/* No fd is open, so no region exists: wait for notifier frees. */
	ksmdev_notifier_exit();
	ksmdev_scan_exit();
}

module_init(ksmdev_init);
module_exit(ksmdev_exit);
MODULE_LICENSE("GPL");
MODULE_AUTHOR("ksmdev developers");
MODULE_DESCRIPTION("/dev/ksm: merge identical pages of registered memory");

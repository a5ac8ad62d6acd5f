// SPDX-License-Identifier: GPL-2.0-only
/*
 * stats.c - statistics: the snapshot KSM_GET_STATS and KSM_GET_AREA_STATS
 * copy out, and the read-only sysfs directory /sys/kernel/mm/ksmdev.
 *
 * Locking: none.  Counters are read without ksmdev_lock, so that watching the
 * stats never stalls the scanner; each is a single word written under the
 * lock, and a reader may see one batch half applied.  Settings are read
 * with READ_ONCE().
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kobject.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include "ksmdev.h"
#include "compat.h"

/**
 * ksmdev_fill_stats - a snapshot of counters, as KSM_GET_STATS returns it
 * @st: out: every field (size not set)
 * @c: the counters: ksmdev_global or an area's
 * @global: whether @c is global (the driver-wide fields are filled then)
 *
 * Read without ksmdev_lock, word by word.
 */
void ksmdev_fill_stats(struct ksm_stats *st, const struct ksmdev_counters *c,
		       bool global)
{
	unsigned long shared = READ_ONCE(c->pages_shared);
	unsigned long merged = READ_ONCE(c->pages_merged);

	memset(st, 0, sizeof(*st));
	st->pages_shared = shared;
	st->pages_merged = merged;
	st->pages_sharing = merged - min(merged, shared);
	st->pages_unshared = READ_ONCE(c->pages_unshared);
	st->pages_volatile = READ_ONCE(c->pages_volatile);
	st->full_scans = READ_ONCE(ksmdev_full_scans);
	st->pages_scanned = READ_ONCE(c->pages_scanned);
	st->regions = READ_ONCE(c->regions);
	st->max_kernel_pages = ksmdev_max_kernel_pages;
	st->cap_refusals = global ? atomic_long_read(&ksmdev_cap_refusals) : 0;
	st->pages_skipped = global ? READ_ONCE(ksmdev_pages_skipped) : 0;
	st->last_scan_ms = READ_ONCE(ksmdev_last_scan_ms);
	st->scanner_cpu_permille = READ_ONCE(ksmdev_cpu_permille);
	st->zero_pages = READ_ONCE(c->zero_pages);
	st->kernel_pages = global ? atomic_long_read(&ksmdev_kernel_pages) : 0;
	st->max_user_pages = READ_ONCE(ksmdev_max_user_pages);
	st->user_refusals = global ? atomic_long_read(&ksmdev_user_refusals) : 0;
	st->charge_refusals = global ? atomic_long_read(&ksmdev_charge_refusals) : 0;
	st->scan_ns_per_page = READ_ONCE(ksmdev_scan_ns_per_page);
	st->scan_sleep_us = ksmdev_scan_sleep_us();
}

/* ------------------------------------------------------------ sysfs */

/* The read-only file @_name, shown by ksmdev_<_name>_show(). */
#define KSMDEV_ATTR_RO(_name)						\
static struct kobj_attribute ksmdev_##_name##_attr =			\
	__ATTR(_name, 0444, ksmdev_##_name##_show, NULL)

/* The read-only file of the global counter @_name of struct ksm_stats. */
#define KSMDEV_STAT_ATTR(_name)						\
static ssize_t ksmdev_##_name##_show(struct kobject *kobj,		\
				     struct kobj_attribute *attr, char *buf) \
{									\
	struct ksm_stats st;						\
									\
	ksmdev_fill_stats(&st, &ksmdev_global, true);			\
	return sysfs_emit(buf, "%llu\n", (unsigned long long)st._name);	\
}									\
KSMDEV_ATTR_RO(_name)

KSMDEV_STAT_ATTR(pages_shared);
KSMDEV_STAT_ATTR(pages_sharing);
KSMDEV_STAT_ATTR(pages_unshared);
KSMDEV_STAT_ATTR(pages_volatile);
KSMDEV_STAT_ATTR(pages_merged);
KSMDEV_STAT_ATTR(full_scans);
KSMDEV_STAT_ATTR(pages_scanned);
KSMDEV_STAT_ATTR(regions);
KSMDEV_STAT_ATTR(max_kernel_pages);
KSMDEV_STAT_ATTR(cap_refusals);
KSMDEV_STAT_ATTR(pages_skipped);
KSMDEV_STAT_ATTR(last_scan_ms);
KSMDEV_STAT_ATTR(scanner_cpu_permille);
KSMDEV_STAT_ATTR(zero_pages);
KSMDEV_STAT_ATTR(kernel_pages);
KSMDEV_STAT_ATTR(max_user_pages);
KSMDEV_STAT_ATTR(user_refusals);
KSMDEV_STAT_ATTR(charge_refusals);
KSMDEV_STAT_ATTR(scan_ns_per_page);
KSMDEV_STAT_ATTR(scan_sleep_us);

static ssize_t ksmdev_run_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(ksmdev_run));
}
KSMDEV_ATTR_RO(run);

static ssize_t ksmdev_pages_to_scan_show(struct kobject *kobj,
					 struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(ksmdev_pages_to_scan));
}
KSMDEV_ATTR_RO(pages_to_scan);

static ssize_t ksmdev_sleep_usecs_show(struct kobject *kobj,
				       struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(ksmdev_sleep_usecs));
}
KSMDEV_ATTR_RO(sleep_usecs);

static ssize_t ksmdev_autotune_show(struct kobject *kobj,
				    struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d target_scan_ms=%u max_cpu_permille=%u\n",
			  READ_ONCE(ksmdev_autotune_on), READ_ONCE(ksmdev_target_scan_ms),
			  READ_ONCE(ksmdev_max_cpu_permille));
}
KSMDEV_ATTR_RO(autotune);

static struct attribute *ksmdev_attrs[] = {
	&ksmdev_pages_shared_attr.attr,
	&ksmdev_pages_sharing_attr.attr,
	&ksmdev_pages_unshared_attr.attr,
	&ksmdev_pages_volatile_attr.attr,
	&ksmdev_pages_merged_attr.attr,
	&ksmdev_full_scans_attr.attr,
	&ksmdev_pages_scanned_attr.attr,
	&ksmdev_regions_attr.attr,
	&ksmdev_max_kernel_pages_attr.attr,
	&ksmdev_cap_refusals_attr.attr,
	&ksmdev_pages_skipped_attr.attr,
	&ksmdev_last_scan_ms_attr.attr,
	&ksmdev_scanner_cpu_permille_attr.attr,
	&ksmdev_zero_pages_attr.attr,
	&ksmdev_kernel_pages_attr.attr,
	&ksmdev_max_user_pages_attr.attr,
	&ksmdev_user_refusals_attr.attr,
	&ksmdev_charge_refusals_attr.attr,
	&ksmdev_scan_ns_per_page_attr.attr,
	&ksmdev_scan_sleep_us_attr.attr,
	&ksmdev_autotune_attr.attr,
	&ksmdev_run_attr.attr,
	&ksmdev_pages_to_scan_attr.attr,
	&ksmdev_sleep_usecs_attr.attr,
	NULL,
};

static const struct attribute_group ksmdev_attr_group = {
	.attrs = ksmdev_attrs,
};

static struct kobject *ksmdev_kobj;

/**
 * ksmdev_sysfs_init - create /sys/kernel/mm/ksmdev
 *
 * Return: 0 or a negative errno.
 */
int ksmdev_sysfs_init(void)
{
	int err;

	ksmdev_kobj = kobject_create_and_add("ksmdev", ksmdev_mm_kobj());
	if (!ksmdev_kobj)
		return -ENOMEM;
	err = sysfs_create_group(ksmdev_kobj, &ksmdev_attr_group);
	if (err)
		kobject_put(ksmdev_kobj);
	return err;
}

/**
 * ksmdev_sysfs_exit - remove /sys/kernel/mm/ksmdev
 */
void ksmdev_sysfs_exit(void)
{
	kobject_put(ksmdev_kobj);
}

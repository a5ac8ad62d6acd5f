// SPDX-License-Identifier: GPL-2.0-only
/*
 * stats.c - statistics: the snapshot KSM_GET_STATS and KSM_GET_AREA_STATS
 * copy out, and the read-only sysfs directory /sys/kernel/mm/ksmdev.
 *
 * Locking: none.  Counters are read without ksm_lock, so that watching the
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

void ksm_fill_stats(struct ksm_stats *st, const struct ksm_counters *c,
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
	st->full_scans = READ_ONCE(ksm_full_scans);
	st->pages_scanned = READ_ONCE(c->pages_scanned);
	st->regions = READ_ONCE(c->regions);
	st->max_kernel_pages = ksm_max_kernel_pages;
	st->cap_refusals = global ? READ_ONCE(ksm_cap_refusals) : 0;
	st->pages_skipped = global ? READ_ONCE(ksm_pages_skipped) : 0;
	st->last_scan_ms = READ_ONCE(ksm_last_scan_ms);
	st->scanner_cpu_permille = READ_ONCE(ksm_cpu_permille);
	st->zero_pages = READ_ONCE(c->zero_pages);
}

/* ------------------------------------------------------------ sysfs */

#define KSM_STAT_ATTR(_name)						\
static ssize_t _name##_show(struct kobject *kobj,			\
			    struct kobj_attribute *attr, char *buf)	\
{									\
	struct ksm_stats st;						\
									\
	ksm_fill_stats(&st, &ksm_global, true);				\
	return sysfs_emit(buf, "%llu\n", (unsigned long long)st._name);	\
}									\
static struct kobj_attribute _name##_attr = __ATTR_RO(_name)

KSM_STAT_ATTR(pages_shared);
KSM_STAT_ATTR(pages_sharing);
KSM_STAT_ATTR(pages_unshared);
KSM_STAT_ATTR(pages_volatile);
KSM_STAT_ATTR(pages_merged);
KSM_STAT_ATTR(full_scans);
KSM_STAT_ATTR(pages_scanned);
KSM_STAT_ATTR(regions);
KSM_STAT_ATTR(max_kernel_pages);
KSM_STAT_ATTR(cap_refusals);
KSM_STAT_ATTR(pages_skipped);
KSM_STAT_ATTR(last_scan_ms);
KSM_STAT_ATTR(scanner_cpu_permille);
KSM_STAT_ATTR(zero_pages);

static ssize_t run_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(ksm_run));
}
static struct kobj_attribute run_attr = __ATTR_RO(run);

static ssize_t pages_to_scan_show(struct kobject *kobj, struct kobj_attribute *attr,
				  char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(ksm_pages_to_scan));
}
static struct kobj_attribute pages_to_scan_attr = __ATTR_RO(pages_to_scan);

static ssize_t sleep_usecs_show(struct kobject *kobj, struct kobj_attribute *attr,
				char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(ksm_sleep_usecs));
}
static struct kobj_attribute sleep_usecs_attr = __ATTR_RO(sleep_usecs);

static ssize_t autotune_show(struct kobject *kobj, struct kobj_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "%d target_scan_ms=%u max_cpu_permille=%u\n",
			  READ_ONCE(ksm_autotune), READ_ONCE(ksm_target_scan_ms),
			  READ_ONCE(ksm_max_cpu_permille));
}
static struct kobj_attribute autotune_attr = __ATTR_RO(autotune);

static struct attribute *ksm_attrs[] = {
	&pages_shared_attr.attr,
	&pages_sharing_attr.attr,
	&pages_unshared_attr.attr,
	&pages_volatile_attr.attr,
	&pages_merged_attr.attr,
	&full_scans_attr.attr,
	&pages_scanned_attr.attr,
	&regions_attr.attr,
	&max_kernel_pages_attr.attr,
	&cap_refusals_attr.attr,
	&pages_skipped_attr.attr,
	&last_scan_ms_attr.attr,
	&scanner_cpu_permille_attr.attr,
	&zero_pages_attr.attr,
	&autotune_attr.attr,
	&run_attr.attr,
	&pages_to_scan_attr.attr,
	&sleep_usecs_attr.attr,
	NULL,
};

static const struct attribute_group ksm_attr_group = {
	.attrs = ksm_attrs,
};

static struct kobject *ksm_kobj;

int ksm_sysfs_init(void)
{
	int err;

	ksm_kobj = kobject_create_and_add("ksmdev", ksm_mm_kobj());
	if (!ksm_kobj)
		return -ENOMEM;
	err = sysfs_create_group(ksm_kobj, &ksm_attr_group);
	if (err)
		kobject_put(ksm_kobj);
	return err;
}

void ksm_sysfs_exit(void)
{
	kobject_put(ksm_kobj);
}

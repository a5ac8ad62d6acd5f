/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note OR LGPL-2.1-or-later */
/*
 * ksmdev.h - userspace ABI of /dev/ksm, the ksmdev page-merging driver.
 *
 * Binary compatible with the 2009 /dev/ksm ABI (KSMIO 0xAB, API version 1,
 * same ioctl numbers and structure layouts); every extension is additive.
 *
 * Usage: open /dev/ksm, KSM_CREATE_SHARED_MEMORY_AREA returns a new file
 * descriptor (a "shared memory area", SMA); register ranges of your own
 * memory on the SMA fd with KSM_REGISTER_MEMORY_REGION.  The driver's
 * scanner thread merges identical pages of all registered regions into
 * write-protected shared pages; a write gives the writer its own copy.
 * Closing the SMA fd (or KSM_REMOVE_MEMORY_REGION) unmerges its regions.
 *
 * Needs only <linux/types.h> and <linux/ioctl.h>.
 */
#ifndef _UAPI_LINUX_KSMDEV_H
#define _UAPI_LINUX_KSMDEV_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define KSM_API_VERSION		1

#define KSMIO			0xAB

/* Register @npages pages of the caller's memory starting at @addr. */
struct ksm_memory_region {
	__u32 npages;		/* >= 1 */
	__u32 pad;		/* must be 0 */
	__u64 addr;		/* page aligned, caller's address space */
	__u64 reserved_bits;	/* must be 0 */
};

/* Scanner settings, KSM_START_STOP_KTHREAD and KSM_GET_INFO_KTHREAD. */
struct ksm_kthread_info {
	__u32 sleep;		/* microseconds between batches */
	__u32 pages_to_scan;	/* pages per batch */
	__u32 flags;		/* ksm_control_flags_run */
	__u32 pad;		/* must be 0 */
	__u64 reserved_bits;	/* must be 0 */
};

#define ksm_control_flags_run	1

/*
 * Statistics, KSM_GET_STATS (whole system) and KSM_GET_AREA_STATS (the
 * regions of one SMA).  Size-versioned: set @size to sizeof(struct
 * ksm_stats) as your program knows it; the driver fills at most that many
 * bytes, sets @size to the number of bytes it filled and leaves the rest
 * alone.  New fields are only ever appended.
 *
 * In area scope the page counts cover the area's regions; each KSM page is
 * counted in pages_shared of exactly one area (the area of its first
 * mapping), so summing over areas gives the global counts.
 */
struct ksm_stats {
	__u32 size;		/* in: bytes the caller knows; out: bytes filled */
	__u32 flags;		/* must be 0 */
	__u64 pages_shared;	/* KSM pages in use */
	__u64 pages_sharing;	/* further PTEs mapping KSM pages = pages saved */
	__u64 pages_unshared;	/* unique pages tracked as merge candidates */
	__u64 pages_volatile;	/* pages that changed since last looked at */
	__u64 pages_merged;	/* PTEs in scope mapping a KSM page */
	__u64 full_scans;	/* completed passes over all regions */
	__u64 pages_scanned;	/* pages examined since load */
	__u64 regions;		/* registered regions in scope */
	/* --- appended after the 2009 ABI; present when size covers them --- */
	__u64 max_kernel_pages;	/* cap on KSM pages (global scope) */
	__u64 cap_refusals;	/* merges not done because of the cap */
	__u64 pages_skipped;	/* visits skipped by smart scanning (global) */
	__u64 last_scan_ms;	/* wall time of the last full scan */
	__u64 scanner_cpu_permille; /* scanner CPU share, recent batches */
	__u64 zero_pages;	/* all-zero pages mapped to the zero page
				 * (module parameter use_zero_pages); each
				 * saves a page and is not in pages_sharing */
	/* --- appended: every KSM page accounted --- */
	__u64 kernel_pages;	/* KSM pages allocated and not yet freed,
				 * tracked or not (a page moved out of a
				 * region, a fork child's): what
				 * max_kernel_pages caps (global scope) */
	__u64 max_user_pages;	/* cap on one user's KSM pages */
	__u64 user_pages;	/* area scope: KSM pages counted against
				 * the area's user (global scope: 0) */
	__u64 user_refusals;	/* merges refused by max_user_pages */
	__u64 charge_refusals;	/* merges refused by a memory cgroup */
	/* --- appended: what the scanner measures and chooses --- */
	__u64 scan_ns_per_page;	/* the last batch's run time per page */
	__u64 scan_sleep_us;	/* the sleep after each batch: the
				 * configured one, or the longer one
				 * auto-tuning's CPU budget needs */
};

/*
 * KSM_LIST_AREAS: one entry per shared memory area.  Callers without
 * CAP_SYS_ADMIN see only areas created by their own user: the same user
 * namespace and effective uid as the caller has now.  @entry_size is
 * sizeof(struct ksm_area_info) as the caller knows it (entries grow only
 * at the end); @count is the capacity of @entries on input, the number of
 * entries written on output; @total the number of visible areas.
 */
struct ksm_area_info {
	__u32 pid;		/* process that created the area, in the
				 * caller's pid namespace; 0 if it is not
				 * in it or has exited */
	__u32 uid;		/* its effective uid, in the caller's user
				 * namespace (65534 if unmapped) */
	__u64 regions;
	__u64 pages_registered;	/* sum of region sizes, in pages */
	__u64 pages_merged;	/* PTEs mapping KSM pages */
	__u64 pages_shared;	/* KSM pages this area owns */
	__u64 pages_sharing;	/* pages saved by this area */
	__u64 pages_scanned;
	char comm[16];		/* creator's command name */
	/* --- appended: present when entry_size covers it --- */
	__u64 domain;		/* merge domain: (1 << 63) | uid for a
				 * user's domain, else its number (see
				 * struct ksm_area_params) */
};

struct ksm_area_list {
	__u32 entry_size;	/* in */
	__u32 count;		/* in: capacity; out: entries written */
	__u32 total;		/* out: visible areas */
	__u32 flags;		/* must be 0 */
	__u64 entries;		/* user pointer to the array */
};

/*
 * KSM_CREATE_AREA: KSM_CREATE_SHARED_MEMORY_AREA with parameters.  Pages
 * merge only with pages of areas in the same merge domain: a merge is
 * observable (pagemap, statistics, copy-on-write timing), so merging
 * across mutually untrusted tenants would leak their data.
 *
 * With the default module parameter domain_policy=1, an area with @domain
 * 0 (and every area of KSM_CREATE_SHARED_MEMORY_AREA) is in the private
 * domain of its creator's user: one per user namespace and effective uid.
 * Other values of @domain, below 2^63, name a domain shared by
 * administrators' choice: a @domain below 2^32 is the domain of the group
 * with that gid, which its members may join; any numbered domain may be
 * joined with CAP_SYS_ADMIN; else EPERM (EINVAL for a gid that the
 * caller's user namespace does not map).  KSM_AREA_USER_DOMAIN (with
 * @domain 0) asks for the user's domain explicitly.  domain_policy=0 is
 * the 2009 behaviour, for hosts whose users trust each other: areas
 * without a number share domain 0, and anyone joins any numbered domain.
 *
 * An area is bound to the credentials of the task that created it:
 * KSM_REGISTER_MEMORY_REGION and KSM_MERGE_NOW from a task with another
 * user namespace or effective uid (a child after setuid(), a process that
 * was passed the fd, a setuid program) fail with EPERM; such a task
 * creates an area of its own.
 *
 * @size is sizeof(struct ksm_area_params) as the caller's header has it:
 * at least 16 (through @domain), else EINVAL; a larger struct from a newer
 * header is accepted if every byte beyond what the driver knows is zero,
 * else E2BIG; above 4096 bytes (a page), E2BIG.
 */
#define KSM_AREA_USER_DOMAIN	(1U << 0)

struct ksm_area_params {
	__u32 size;		/* sizeof(struct ksm_area_params) */
	__u32 flags;		/* KSM_AREA_* */
	__u64 domain;
	__u64 reserved[2];	/* must be 0 */
};

/*
 * KSM_SET_AUTOTUNE / KSM_GET_AUTOTUNE: with KSM_AUTOTUNE_ON the scanner
 * sets its own pages_to_scan after every batch so that a full scan takes
 * about @target_scan_ms, without using more than @max_cpu_permille of a
 * CPU (the CPU bound wins).  The sleep between batches stays as set by
 * KSM_START_STOP_KTHREAD.  Setting needs CAP_SYS_ADMIN.
 *
 * KSM_SET_AUTOTUNE reads @size bytes: at least 24 (this first version),
 * else EINVAL; a larger struct from a newer header is accepted if every
 * byte beyond what the driver knows is zero, else E2BIG; above a page,
 * E2BIG.  KSM_GET_AUTOTUNE
 * writes sizeof(struct ksm_autotune) as the driver knows it, @size
 * included.
 */
#define KSM_AUTOTUNE_ON		(1U << 0)

struct ksm_autotune {
	__u32 size;		/* sizeof(struct ksm_autotune) */
	__u32 flags;		/* KSM_AUTOTUNE_ON */
	__u32 target_scan_ms;	/* >= 100 */
	__u32 max_cpu_permille;	/* 1..1000 */
	__u64 reserved;		/* must be 0 */
};

/* The smallest @size the driver accepts: size and flags. */
#define KSM_STATS_SIZE_MIN	8
/* Size of the 2009-era structure (through @regions). */
#define KSM_STATS_SIZE_V1	72

/* ioctls on /dev/ksm */
#define KSM_GET_API_VERSION		_IO(KSMIO, 0x00)
#define KSM_CREATE_SHARED_MEMORY_AREA	_IO(KSMIO, 0x01)
#define KSM_START_STOP_KTHREAD		_IOW(KSMIO, 0x02, struct ksm_kthread_info)
/* The kernel writes the struct; _IOW kept for binary compatibility. */
#define KSM_GET_INFO_KTHREAD		_IOW(KSMIO, 0x03, struct ksm_kthread_info)
/* The size encoded in the number is ignored; ksm_stats.size rules. */
#define KSM_GET_STATS			_IOWR(KSMIO, 0x04, struct ksm_stats)
/* Added after the 2009 ABI: list shared memory areas (see above). */
#define KSM_LIST_AREAS			_IOWR(KSMIO, 0x05, struct ksm_area_list)
/* Added: create an area in a merge domain; returns its fd. */
#define KSM_CREATE_AREA			_IOW(KSMIO, 0x06, struct ksm_area_params)
/* Added: auto-tuned scan rate (see struct ksm_autotune). */
#define KSM_SET_AUTOTUNE		_IOW(KSMIO, 0x07, struct ksm_autotune)
#define KSM_GET_AUTOTUNE		_IOR(KSMIO, 0x08, struct ksm_autotune)

/* ioctls on an SMA fd */
#define KSM_REGISTER_MEMORY_REGION	_IOW(KSMIO, 0x20, struct ksm_memory_region)
/* arg: the start address of a region of this SMA */
#define KSM_REMOVE_MEMORY_REGION	_IO(KSMIO, 0x21)
#define KSM_GET_AREA_STATS		_IOWR(KSMIO, 0x22, struct ksm_stats)
/*
 * Added: merge the caller's own memory registered on this area now, in
 * the caller's context (works with the scanner stopped): its pages with
 * each other, with its other regions of the same domain and with KSM
 * pages already in the domain; never with another process's pages.
 * Returns how many more of the area's pages are merged than before.
 */
#define KSM_MERGE_NOW			_IO(KSMIO, 0x23)

#endif /* _UAPI_LINUX_KSMDEV_H */

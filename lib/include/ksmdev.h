/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ksmdev.h - libksmdev, the C library of the ksmdev page-merging driver.
 *
 * Every function returns 0 or a positive value on success and a negative
 * errno value on failure; none sets errno on purpose or keeps global state,
 * so all are safe to call from several threads at once on different or the
 * same file descriptors.  ksmdev_strerror() turns an error into words.
 *
 * See ksmdev(7) for the device and its ABI, and one man page per function.
 */
#ifndef LIBKSMDEV_H
#define LIBKSMDEV_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>
#include <linux/ksmdev.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KSMDEV_DEFAULT_PATH	"/dev/ksm"

#define LIBKSMDEV_VERSION_MAJOR	1
#define LIBKSMDEV_VERSION_MINOR	0

/* Open the device (@path NULL: /dev/ksm), close-on-exec.  Returns an fd. */
int ksmdev_open(const char *path);
/* Close a device or area fd. */
int ksmdev_close(int fd);
/* The driver's API version (1). */
int ksmdev_api_version(int devfd);

/* Create a shared memory area; returns its fd.  Destroy it to unmerge. */
int ksmdev_area_create(int devfd);
int ksmdev_area_destroy(int areafd);
/*
 * Create an area in merge domain @domain (0: the caller's user's domain;
 * below 2^32: the shared domain of that group, for its members), or with
 * KSM_AREA_USER_DOMAIN in @flags in the caller's user's domain whatever
 * the policy.  Pages merge only within one domain.  Returns its fd.
 * (LIBKSMDEV_1.1)
 */
int ksmdev_area_create_domain(int devfd, uint64_t domain, unsigned int flags);
/*
 * Merge the caller's own memory registered on the area now, in the calling
 * thread, with itself and with KSM pages already in its domain; returns how
 * many more of its pages are merged than before.  (LIBKSMDEV_1.1)
 */
int ksmdev_merge_now(int areafd);

/*
 * Register the whole pages inside [addr, addr + len) of the caller's own
 * memory: the start is rounded up and the end down to page boundaries, so
 * no byte outside the range is ever registered.  Returns the number of
 * pages registered.
 */
int ksmdev_register(int areafd, const void *addr, size_t len);
/* Unregister a range given exactly as to ksmdev_register(); unmerges it. */
int ksmdev_unregister(int areafd, const void *addr, size_t len);

/* Scanner control (CAP_SYS_ADMIN). */
int ksmdev_scanner_start(int devfd, unsigned int pages_to_scan,
			 unsigned int sleep_usecs);
int ksmdev_scanner_stop(int devfd);
int ksmdev_scanner_info(int devfd, struct ksm_kthread_info *info);
/*
 * Let the scanner choose its batch size: a full scan in about
 * @target_scan_ms, at most @max_cpu_permille of a CPU.  @target_scan_ms 0
 * turns auto-tuning off.  (CAP_SYS_ADMIN; LIBKSMDEV_1.1)
 */
int ksmdev_autotune_set(int devfd, unsigned int target_scan_ms,
			unsigned int max_cpu_permille);
/* Current auto-tuning settings.  (LIBKSMDEV_1.1) */
int ksmdev_autotune_get(int devfd, struct ksm_autotune *at);

/*
 * Statistics: whole system, or one area.  @st is filled completely: with
 * what the driver knows, zeroes beyond.
 *
 * The structures grow at the end from one release to the next, so the
 * library is told how big the caller's are: the *_sized functions are
 * the library's entry points, the short names pass sizeof for you.  A
 * program built against an older header keeps working with a newer
 * library, and the reverse.
 */
int ksmdev_stats_sized(int devfd, struct ksm_stats *st, size_t size);
int ksmdev_area_stats_sized(int areafd, struct ksm_stats *st, size_t size);

static inline int ksmdev_stats(int devfd, struct ksm_stats *st)
{
	return ksmdev_stats_sized(devfd, st, sizeof(*st));
}

static inline int ksmdev_area_stats(int areafd, struct ksm_stats *st)
{
	return ksmdev_area_stats_sized(areafd, st, sizeof(*st));
}

/*
 * List shared memory areas (all with CAP_SYS_ADMIN, else the caller's
 * user's): fills up to @max entries, returns how many areas there are
 * (which may be more than @max).  @entries may be NULL when @max is 0.
 */
int ksmdev_list_areas_sized(int devfd, struct ksm_area_info *entries,
			    size_t entry_size, unsigned int max);

static inline int ksmdev_list_areas(int devfd, struct ksm_area_info *entries,
				    unsigned int max)
{
	return ksmdev_list_areas_sized(devfd, entries, sizeof(*entries), max);
}

/*
 * Bytes of memory the merged pages in @st save: pages_sharing, plus
 * zero_pages when the driver filled that field, times the page size.
 */
static inline uint64_t ksmdev_bytes_saved(const struct ksm_stats *st)
{
	uint64_t pages;

	if (!st)
		return 0;
	pages = st->pages_sharing;
	if (st->size >= offsetof(struct ksm_stats, zero_pages) + sizeof(st->zero_pages))
		pages += st->zero_pages;
	return pages * (uint64_t)sysconf(_SC_PAGESIZE);
}

/* A description of @err (a negative errno from this library). */
const char *ksmdev_strerror(int err);

#ifdef __cplusplus
}
#endif

#endif /* LIBKSMDEV_H */

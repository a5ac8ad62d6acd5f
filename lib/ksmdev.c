// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libksmdev - small wrappers around the /dev/ksm ioctls.
 *
 * One funnel (ksmdev_ioctl) issues every ioctl and turns failures into
 * -errno; nothing here touches global state, so every function is
 * thread-safe.
 */
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "ksmdev.h"

#define KSMDEV_EXPORT __attribute__((visibility("default")))

static int ksmdev_ioctl(int fd, unsigned long cmd, unsigned long arg)
{
	int ret;

	if (fd < 0)
		return -EBADF;
	ret = ioctl(fd, cmd, arg);
	return ret < 0 ? -errno : ret;
}

static size_t ksmdev_page_size(void)
{
	long sz = sysconf(_SC_PAGESIZE);

	return sz > 0 ? (size_t)sz : 4096;
}

KSMDEV_EXPORT int ksmdev_open(const char *path)
{
	int fd = open(path ? path : KSMDEV_DEFAULT_PATH, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

KSMDEV_EXPORT int ksmdev_close(int fd)
{
	if (fd < 0)
		return -EBADF;
	return close(fd) ? -errno : 0;
}

KSMDEV_EXPORT int ksmdev_api_version(int devfd)
{
	return ksmdev_ioctl(devfd, KSM_GET_API_VERSION, 0);
}

KSMDEV_EXPORT int ksmdev_area_create(int devfd)
{
	return ksmdev_ioctl(devfd, KSM_CREATE_SHARED_MEMORY_AREA, 0);
}

KSMDEV_EXPORT int ksmdev_area_create_domain(int devfd, uint64_t domain, unsigned int flags)
{
	struct ksm_area_params p = {
		.size = sizeof(p),
		.flags = flags,
		.domain = domain,
	};

	return ksmdev_ioctl(devfd, KSM_CREATE_AREA, (unsigned long)&p);
}

KSMDEV_EXPORT int ksmdev_merge_now(int areafd)
{
	return ksmdev_ioctl(areafd, KSM_MERGE_NOW, 0);
}

KSMDEV_EXPORT int ksmdev_area_destroy(int areafd)
{
	return ksmdev_close(areafd);
}

/*
 * The whole pages inside [addr, addr + len): start rounded up, end rounded
 * down.  Returns the page count, or -EINVAL when no whole page is inside or
 * the count does not fit the ABI's 32 bits.
 */
static int ksmdev_range(const void *addr, size_t len, uint64_t *start,
			uint32_t *npages)
{
	size_t ps = ksmdev_page_size();
	uintptr_t a = (uintptr_t)addr, first, last;
	uint64_t n;

	if (len > UINTPTR_MAX - a)
		return -EINVAL;
	first = (a + ps - 1) & ~(uintptr_t)(ps - 1);
	last = (a + len) & ~(uintptr_t)(ps - 1);
	if (first < a || last <= first)
		return -EINVAL;
	n = (last - first) / ps;
	if (n > INT32_MAX)
		return -EINVAL;
	*start = first;
	*npages = (uint32_t)n;
	return (int)n;
}

KSMDEV_EXPORT int ksmdev_register(int areafd, const void *addr, size_t len)
{
	struct ksm_memory_region r = { 0 };
	uint32_t npages;
	uint64_t start;
	int n, ret;

	n = ksmdev_range(addr, len, &start, &npages);
	if (n < 0)
		return n;
	r.npages = npages;
	r.addr = start;
	ret = ksmdev_ioctl(areafd, KSM_REGISTER_MEMORY_REGION, (unsigned long)&r);
	return ret < 0 ? ret : n;
}

KSMDEV_EXPORT int ksmdev_unregister(int areafd, const void *addr, size_t len)
{
	uint32_t npages;
	uint64_t start;
	int n = ksmdev_range(addr, len, &start, &npages);

	if (n < 0)
		return n;
	return ksmdev_ioctl(areafd, KSM_REMOVE_MEMORY_REGION, (unsigned long)start);
}

static int ksmdev_scanner_set(int devfd, unsigned int pages, unsigned int sleep_usecs,
			      unsigned int flags)
{
	struct ksm_kthread_info k = {
		.sleep = sleep_usecs,
		.pages_to_scan = pages,
		.flags = flags,
	};

	return ksmdev_ioctl(devfd, KSM_START_STOP_KTHREAD, (unsigned long)&k);
}

KSMDEV_EXPORT int ksmdev_scanner_start(int devfd, unsigned int pages_to_scan,
				       unsigned int sleep_usecs)
{
	if (!pages_to_scan)
		return -EINVAL;
	return ksmdev_scanner_set(devfd, pages_to_scan, sleep_usecs,
				  ksm_control_flags_run);
}

KSMDEV_EXPORT int ksmdev_scanner_stop(int devfd)
{
	struct ksm_kthread_info k;
	int ret = ksmdev_scanner_info(devfd, &k);

	/* Keep the current settings; only the run flag changes. */
	if (ret < 0)
		return ret;
	return ksmdev_scanner_set(devfd, k.pages_to_scan, k.sleep, 0);
}

KSMDEV_EXPORT int ksmdev_scanner_info(int devfd, struct ksm_kthread_info *info)
{
	if (!info)
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	return ksmdev_ioctl(devfd, KSM_GET_INFO_KTHREAD, (unsigned long)info);
}

KSMDEV_EXPORT int ksmdev_autotune_set(int devfd, unsigned int target_scan_ms,
				      unsigned int max_cpu_permille)
{
	struct ksm_autotune at = {
		.size = sizeof(at),
		.flags = target_scan_ms ? KSM_AUTOTUNE_ON : 0,
		.target_scan_ms = target_scan_ms,
		.max_cpu_permille = max_cpu_permille,
	};

	return ksmdev_ioctl(devfd, KSM_SET_AUTOTUNE, (unsigned long)&at);
}

KSMDEV_EXPORT int ksmdev_autotune_get(int devfd, struct ksm_autotune *at)
{
	if (!at)
		return -EINVAL;
	memset(at, 0, sizeof(*at));
	return ksmdev_ioctl(devfd, KSM_GET_AUTOTUNE, (unsigned long)at);
}

/*
 * Size-versioned stats: the caller's structure is @size bytes (its
 * sizeof); ask the driver for that much.  An older module fills less (its
 * ->size says how much) and the rest stays zero; a newer one never writes
 * beyond @size.
 */
static int ksmdev_get_stats(int fd, unsigned long cmd, struct ksm_stats *st,
			    size_t size)
{
	int ret;

	if (!st || size < KSM_STATS_SIZE_MIN || size > UINT32_MAX)
		return -EINVAL;
	memset(st, 0, size);
	st->size = (uint32_t)size;
	ret = ksmdev_ioctl(fd, cmd, (unsigned long)st);
	if (ret < 0)
		return ret;
	if (st->size < KSM_STATS_SIZE_MIN || st->size > size)
		return -EPROTO;
	return 0;
}

KSMDEV_EXPORT int ksmdev_stats_sized(int devfd, struct ksm_stats *st, size_t size)
{
	return ksmdev_get_stats(devfd, KSM_GET_STATS, st, size);
}

KSMDEV_EXPORT int ksmdev_area_stats_sized(int areafd, struct ksm_stats *st, size_t size)
{
	return ksmdev_get_stats(areafd, KSM_GET_AREA_STATS, st, size);
}

KSMDEV_EXPORT int ksmdev_list_areas_sized(int devfd, struct ksm_area_info *entries,
					  size_t entry_size, unsigned int max)
{
	struct ksm_area_list l = {
		.count = max,
		.entries = (uintptr_t)entries,
	};
	int ret;

	if ((max && !entries) || entry_size < offsetof(struct ksm_area_info, pages_registered) ||
	    entry_size > UINT32_MAX)
		return -EINVAL;
	l.entry_size = (uint32_t)entry_size;
	if (entries)
		memset(entries, 0, (size_t)max * entry_size);
	ret = ksmdev_ioctl(devfd, KSM_LIST_AREAS, (unsigned long)&l);
	if (ret < 0)
		return ret;
	return l.total > INT32_MAX ? INT32_MAX : (int)l.total;
}

/*
 * The one place that puts ksmdev's errors into words.  Where a description
 * gives the usual cause or what to do, that advice ends it, in parentheses
 * after a space: ksmctl shows just that part after strerror()'s text.
 */
KSMDEV_EXPORT const char *ksmdev_strerror(int err)
{
	switch (-err) {
	case 0:
		return "success";
	case ENOENT:
		return "no such device or region (is the ksmdev module loaded?)";
	case EACCES:
		return "permission denied "
		       "(needs read-write access: run as root or as a member of the device's group)";
	case EPERM:
		return "operation not permitted "
		       "(scanner control needs CAP_SYS_ADMIN; an area takes memory only from the user "
		       "that made it, a numbered domain only members of its group)";
	case ENOTTY:
		return "inappropriate ioctl for this descriptor "
		       "(not a ksmdev device, or the loaded ksmdev module is too old for this call)";
	case EEXIST:
		return "the range overlaps a region this process already registered";
	case ENOSPC:
		return "this area holds the maximum number of regions (module parameter regions_per_fd)";
	case EINVAL:
		return "invalid argument (range without a whole page, or out of the address space)";
	case EFAULT:
		return "bad address";
	case EBADF:
		return "bad file descriptor";
	case ENOMEM:
		return "out of memory";
	case EPROTO:
		return "protocol error "
		       "(the ksmdev module answered in a format this library does not know)";
	default:
		return strerror(-err);
	}
}

// SPDX-License-Identifier: GPL-2.0-only
/*
 * Invalid input is refused with the documented errno, as -1 with errno
 * set (never a positive return), and changes nothing:
 *  - KSM_START_STOP_KTHREAD: run with pages_to_scan 0, nonzero pad or
 *    reserved_bits, unknown flag bits -> EINVAL (settings unchanged);
 *  - KSM_GET_STATS / KSM_GET_AREA_STATS: size < 8 or flags != 0 -> EINVAL;
 *  - KSM_REGISTER_MEMORY_REGION: npages 0, unaligned addr, addr + len
 *    overflowing, range beyond user space, nonzero pad or reserved_bits ->
 *    EINVAL; overlap with a region of this process on the same or another
 *    SMA -> EEXIST (adjacent is fine, unmapped ranges are fine); more than
 *    regions_per_fd regions on one SMA -> ENOSPC;
 *  - KSM_REMOVE_MEMORY_REGION of an address that is not the start of a
 *    region of this SMA -> ENOENT;
 *  - bad pointers (NULL, (void *)1) as ioctl argument -> EFAULT;
 *  - unknown ioctls on either fd kind -> ENOTTY.
 */
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "ktest.h"

#define P(i)	((unsigned long)(i) * KTEST_PAGE)

static long reg(int sma, uint64_t addr, uint32_t npages, uint32_t pad, uint64_t reserved)
{
	struct ksm_memory_region r = {
		.npages = npages,
		.pad = pad,
		.addr = addr,
		.reserved_bits = reserved,
	};

	return ioctl(sma, KSM_REGISTER_MEMORY_REGION, &r);
}

static long rm(int sma, uint64_t addr)
{
	return ioctl(sma, KSM_REMOVE_MEMORY_REGION, (unsigned long)addr);
}

static long kthread(int dev, uint32_t sleep, uint32_t pages, uint32_t flags,
		    uint32_t pad, uint64_t reserved)
{
	struct ksm_kthread_info k = {
		.sleep = sleep,
		.pages_to_scan = pages,
		.flags = flags,
		.pad = pad,
		.reserved_bits = reserved,
	};

	return ioctl(dev, KSM_START_STOP_KTHREAD, &k);
}

static long stats(int fd, unsigned long cmd, uint32_t size, uint32_t flags)
{
	struct ksm_stats st;

	memset(&st, 0, sizeof(st));
	st.size = size;
	st.flags = flags;
	return ioctl(fd, cmd, &st);
}

static void dev_ioctls(int dev)
{
	struct ksm_kthread_info k;

	/* A known state first; no refused call may change it. */
	ktest_expect_ok(kthread(dev, 7777, 77, ksm_control_flags_run, 0, 0));
	ktest_expect_err(kthread(dev, 1000, 0, ksm_control_flags_run, 0, 0), EINVAL);
	ktest_expect_err(kthread(dev, 1000, 100, ksm_control_flags_run, 1, 0), EINVAL);
	ktest_expect_err(kthread(dev, 1000, 100, 0, 0x80000000u, 0), EINVAL);
	ktest_expect_err(kthread(dev, 1000, 100, ksm_control_flags_run, 0, 1), EINVAL);
	ktest_expect_err(kthread(dev, 1000, 100, 0, 0, 1ULL << 63), EINVAL);
	ktest_expect_err(kthread(dev, 1000, 100, 2, 0, 0), EINVAL);
	ktest_expect_err(kthread(dev, 1000, 100, ksm_control_flags_run | 2, 0, 0), EINVAL);
	ktest_expect_err(kthread(dev, 1000, 100, 0x80000000u | ksm_control_flags_run, 0, 0),
			 EINVAL);
	memset(&k, 0, sizeof(k));
	ktest_expect_ok(ioctl(dev, KSM_GET_INFO_KTHREAD, &k));
	ktest_assert(k.sleep == 7777 && k.pages_to_scan == 77 && k.flags == ksm_control_flags_run,
		     "refused calls changed the settings: sleep %u pages_to_scan %u flags %#x",
		     k.sleep, k.pages_to_scan, k.flags);
	ktest_expect_ok(kthread(dev, 7777, 77, 0, 0, 0));

	ktest_expect_err(ioctl(dev, KSM_START_STOP_KTHREAD, NULL), EFAULT);
	ktest_expect_err(ioctl(dev, KSM_START_STOP_KTHREAD, (void *)1), EFAULT);
	ktest_expect_err(ioctl(dev, KSM_GET_INFO_KTHREAD, NULL), EFAULT);
	ktest_expect_err(ioctl(dev, KSM_GET_INFO_KTHREAD, (void *)1), EFAULT);
	ktest_expect_err(ioctl(dev, KSM_GET_STATS, NULL), EFAULT);
	ktest_expect_err(ioctl(dev, KSM_GET_STATS, (void *)1), EFAULT);

	ktest_expect_err(stats(dev, KSM_GET_STATS, 0, 0), EINVAL);
	ktest_expect_err(stats(dev, KSM_GET_STATS, KSM_STATS_SIZE_MIN - 1, 0), EINVAL);
	ktest_expect_err(stats(dev, KSM_GET_STATS, sizeof(struct ksm_stats), 1), EINVAL);
	ktest_expect_err(stats(dev, KSM_GET_STATS, sizeof(struct ksm_stats), 0x80000000u), EINVAL);
	ktest_expect_ok(stats(dev, KSM_GET_STATS, KSM_STATS_SIZE_MIN, 0));

	ktest_expect_err(ioctl(dev, _IO(KSMIO, 0x7f), 0), ENOTTY);
	ktest_expect_err(ioctl(dev, _IOW(KSMIO, 0x05, int), 0), ENOTTY);
	ktest_expect_err(ioctl(dev, _IO('x', 1), 0), ENOTTY);
}

static void region_ioctls(int dev)
{
	int sma1 = ktest_create_area(dev);
	int sma2 = ktest_create_area(dev);
	char *m = ktest_map(40);
	uint64_t p = (uint64_t)(uintptr_t)m;
	uint64_t hole;
	struct ksm_stats st;
	void *h;

	/* EINVAL: the region itself is malformed. */
	ktest_expect_err(reg(sma1, p, 0, 0, 0), EINVAL);
	ktest_expect_err(reg(sma1, p + 1, 1, 0, 0), EINVAL);
	ktest_expect_err(reg(sma1, p + 2048, 4, 0, 0), EINVAL);
	ktest_expect_err(reg(sma1, p + KTEST_PAGE - 8, 1, 0, 0), EINVAL);
	ktest_expect_err(reg(sma1, 0xfffffffffffff000ULL, 2, 0, 0), EINVAL);
	ktest_expect_err(reg(sma1, 0xffffffff00000000ULL, 0xffffffffu, 0, 0), EINVAL);
	ktest_expect_err(reg(sma1, 0xffff800000000000ULL, 1, 0, 0), EINVAL);
	ktest_expect_err(reg(sma1, 0xffffffffffe00000ULL, 1, 0, 0), EINVAL);
	if (!ktest_cpu_has_la57())
		/* Ends one page beyond the 47-bit user address space. */
		ktest_expect_err(reg(sma1, 0x7fffffffe000ULL, 2, 0, 0), EINVAL);
	else
		ktest_info("la57: the 47-bit boundary case is not checked");
	ktest_expect_err(reg(sma1, p, 1, 1, 0), EINVAL);
	ktest_expect_err(reg(sma1, p, 1, 0x80000000u, 0), EINVAL);
	ktest_expect_err(reg(sma1, p, 1, 0, 1), EINVAL);
	ktest_expect_err(reg(sma1, p, 1, 0, 1ULL << 63), EINVAL);

	/* EFAULT: the argument itself is unreadable. */
	ktest_expect_err(ioctl(sma1, KSM_REGISTER_MEMORY_REGION, NULL), EFAULT);
	ktest_expect_err(ioctl(sma1, KSM_REGISTER_MEMORY_REGION, (void *)1), EFAULT);
	ktest_expect_err(ioctl(sma1, KSM_GET_AREA_STATS, NULL), EFAULT);
	ktest_expect_err(ioctl(sma1, KSM_GET_AREA_STATS, (void *)1), EFAULT);
	ktest_expect_err(stats(sma1, KSM_GET_AREA_STATS, 0, 0), EINVAL);
	ktest_expect_err(stats(sma1, KSM_GET_AREA_STATS, KSM_STATS_SIZE_MIN - 1, 0), EINVAL);
	ktest_expect_err(stats(sma1, KSM_GET_AREA_STATS, sizeof(struct ksm_stats), 1), EINVAL);

	/* Nothing of the above got registered. */
	ktest_area_stats(sma1, &st);
	ktest_expect_stats("area after refused registrations", &st, 0, 0, 0, 0);

	/* Region [10, 20) on sma1; overlaps are refused on either SMA. */
	ktest_expect_ok(reg(sma1, p + P(10), 10, 0, 0));
	ktest_expect_err(reg(sma1, p + P(10), 10, 0, 0), EEXIST);
	ktest_expect_err(reg(sma1, p + P(5), 10, 0, 0), EEXIST);
	ktest_expect_err(reg(sma1, p + P(15), 10, 0, 0), EEXIST);
	ktest_expect_err(reg(sma1, p, 30, 0, 0), EEXIST);
	ktest_expect_err(reg(sma1, p + P(12), 1, 0, 0), EEXIST);
	ktest_expect_err(reg(sma1, p + P(19), 1, 0, 0), EEXIST);
	ktest_expect_err(reg(sma1, p + P(9), 2, 0, 0), EEXIST);
	ktest_expect_err(reg(sma2, p + P(10), 10, 0, 0), EEXIST);
	ktest_expect_err(reg(sma2, p + P(10), 1, 0, 0), EEXIST);
	ktest_expect_err(reg(sma2, p + P(5), 10, 0, 0), EEXIST);
	ktest_expect_err(reg(sma2, p + P(19), 5, 0, 0), EEXIST);
	ktest_expect_err(reg(sma2, p, 40, 0, 0), EEXIST);
	/* Adjacent ranges do not overlap. */
	ktest_expect_ok(reg(sma1, p + P(9), 1, 0, 0));
	ktest_expect_ok(reg(sma2, p + P(20), 1, 0, 0));
	ktest_expect_err(reg(sma1, p + P(20), 1, 0, 0), EEXIST);
	ktest_expect_err(reg(sma2, p + P(8), 2, 0, 0), EEXIST);

	/* A range that is not mapped at all registers fine. */
	h = mmap(NULL, P(8), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ktest_assert(h != MAP_FAILED, "mmap: %s", strerror(errno));
	munmap(h, P(8));
	hole = (uint64_t)(uintptr_t)h;
	ktest_expect_ok(reg(sma2, hole, 8, 0, 0));

	ktest_area_stats(sma1, &st);
	ktest_expect_stats("sma1 regions", &st, KTEST_ANY, KTEST_ANY, KTEST_ANY, 2);
	ktest_area_stats(sma2, &st);
	ktest_expect_stats("sma2 regions", &st, KTEST_ANY, KTEST_ANY, KTEST_ANY, 2);

	/* ENOENT: not the start of a region of this SMA. */
	ktest_expect_err(rm(sma1, p + P(11)), ENOENT);
	ktest_expect_err(rm(sma1, p + P(19)), ENOENT);
	ktest_expect_err(rm(sma1, p), ENOENT);
	ktest_expect_err(rm(sma1, 0), ENOENT);
	ktest_expect_err(rm(sma2, p + P(10)), ENOENT);	/* sma1's */
	ktest_expect_err(rm(sma1, p + P(20)), ENOENT);	/* sma2's */
	ktest_expect_ok(rm(sma1, p + P(10)));
	ktest_expect_err(rm(sma1, p + P(10)), ENOENT);
	ktest_expect_ok(rm(sma2, hole));
	ktest_expect_err(rm(sma2, hole), ENOENT);
	/* The removed range is free again, also for the other SMA. */
	ktest_expect_ok(reg(sma2, p + P(10), 10, 0, 0));

	/* ENOTTY for unknown ioctls on an SMA fd. */
	ktest_expect_err(ioctl(sma1, _IO(KSMIO, 0x7f), 0), ENOTTY);
	ktest_expect_err(ioctl(sma1, _IO(KSMIO, 0x2f), 0), ENOTTY);
	ktest_expect_err(ioctl(sma1, _IO('x', 1), 0), ENOTTY);

	close(sma1);
	close(sma2);
	munmap(m, P(40));
}

static void regions_per_fd_limit(void)
{
	int dev, sma1, sma2;
	char *m = ktest_map(16);
	uint64_t p = (uint64_t)(uintptr_t)m;
	struct ksm_stats st;

	ktest_reload_module("regions_per_fd=4");
	dev = ktest_open_dev();
	sma1 = ktest_create_area(dev);
	sma2 = ktest_create_area(dev);
	for (int i = 0; i < 4; i++)
		ktest_expect_ok(reg(sma1, p + P(2 * i), 1, 0, 0));
	ktest_expect_err(reg(sma1, p + P(8), 1, 0, 0), ENOSPC);
	ktest_expect_err(reg(sma1, p + P(8), 2, 0, 0), ENOSPC);
	ktest_area_stats(sma1, &st);
	ktest_expect_stats("full SMA", &st, KTEST_ANY, KTEST_ANY, KTEST_ANY, 4);
	/* The limit is per SMA. */
	ktest_expect_ok(reg(sma2, p + P(8), 1, 0, 0));
	/* A removed region frees its slot. */
	ktest_expect_ok(rm(sma1, p));
	ktest_expect_ok(reg(sma1, p + P(10), 1, 0, 0));
	ktest_expect_err(reg(sma1, p + P(12), 1, 0, 0), ENOSPC);
	/* Refused registrations did not count. */
	ktest_area_stats(sma1, &st);
	ktest_expect_stats("full SMA again", &st, KTEST_ANY, KTEST_ANY, KTEST_ANY, 4);
	close(sma1);
	close(sma2);
	close(dev);
	munmap(m, P(16));
	/* ksmdev stays loaded with regions_per_fd=4; the runner reloads it. */
}

int main(void)
{
	int dev = ktest_open_dev();

	dev_ioctls(dev);
	region_ioctls(dev);
	close(dev);
	regions_per_fd_limit();
	return 0;
}

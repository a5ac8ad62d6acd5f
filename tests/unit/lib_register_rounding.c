// SPDX-License-Identifier: GPL-2.0-only
/*
 * libksmdev: ksmdev_register() and ksmdev_unregister() turn an arbitrary
 * byte range into the whole pages inside it (start rounded up, end rounded
 * down) and never ask the driver for anything outside the caller's range.
 *
 * The kernel side is replaced at link time (helpers/lib-wrap.h):
 * mock_ioctl() records every call and copies the region it is given.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <ksmdev.h>
#include "lib-wrap.h"

#define AREA_FD	5

static struct {
	int calls;			/* ioctl calls seen */
	int fd;
	unsigned long req;
	unsigned long arg;
	struct ksm_memory_region region; /* copy of a REGISTER argument */
	int ret;			/* what the "kernel" returns */
	int err;			/* errno when ret < 0 */
} k;

int mock_ioctl(int fd, unsigned long req, void *arg)
{
	k.arg = (unsigned long)arg;
	k.calls++;
	k.fd = fd;
	k.req = req;
	if (req == KSM_REGISTER_MEMORY_REGION)
		memcpy(&k.region, (void *)k.arg, sizeof(k.region));
	if (k.ret < 0)
		errno = k.err;
	return k.ret;
}

static size_t ps;

static int reset(void **state)
{
	(void)state;
	memset(&k, 0, sizeof(k));
	ps = (size_t)sysconf(_SC_PAGESIZE);
	return 0;
}

/* A page-aligned, made-up address: nothing is dereferenced. */
static uintptr_t base(void)
{
	return (uintptr_t)0x10000000 * ps / 4096;
}

static const void *at(uintptr_t a)
{
	return (const void *)a;
}

/* Register [a, a + len); expect @npages pages starting at @first. */
static void expect_register(uintptr_t a, size_t len, uintptr_t first, uint32_t npages)
{
	int ret;

	memset(&k, 0, sizeof(k));
	memset(&k.region, 0xa5, sizeof(k.region));
	ret = ksmdev_register(AREA_FD, at(a), len);
	assert_int_equal(ret, npages);
	assert_int_equal(k.calls, 1);
	assert_int_equal(k.fd, AREA_FD);
	assert_true(k.req == KSM_REGISTER_MEMORY_REGION);
	assert_int_equal(k.region.npages, npages);
	assert_true(k.region.addr == (uint64_t)first);
	assert_int_equal(k.region.pad, 0);
	assert_true(k.region.reserved_bits == 0);
	/* Never a byte the caller did not pass. */
	assert_true(k.region.addr >= a);
	assert_true(k.region.addr + (uint64_t)k.region.npages * ps <= (uint64_t)a + len);
	assert_true(k.region.addr % ps == 0);
}

/* Register [a, a + len) must fail with -EINVAL without reaching the driver. */
static void expect_einval(uintptr_t a, size_t len)
{
	memset(&k, 0, sizeof(k));
	assert_int_equal(ksmdev_register(AREA_FD, at(a), len), -EINVAL);
	assert_int_equal(ksmdev_unregister(AREA_FD, at(a), len), -EINVAL);
	assert_int_equal(k.calls, 0);
}

static void aligned_range_is_passed_unchanged(void **state)
{
	(void)state;
	expect_register(base(), ps, base(), 1);
	expect_register(base(), 16 * ps, base(), 16);
	expect_register(base() + 3 * ps, 1000 * ps, base() + 3 * ps, 1000);
}

static void unaligned_start_is_rounded_up(void **state)
{
	(void)state;
	/* [b+1, b+4ps): pages 1..3 are whole, page 0 is partial. */
	expect_register(base() + 1, 4 * ps - 1, base() + ps, 3);
	/* [b+ps-1, b+5ps-1): pages 1..3 whole, last page partial. */
	expect_register(base() + ps - 1, 4 * ps, base() + ps, 3);
	/* Start one byte before a boundary, end aligned. */
	expect_register(base() + ps - 1, ps + 1, base() + ps, 1);
}

static void unaligned_end_is_rounded_down(void **state)
{
	(void)state;
	expect_register(base(), 3 * ps + 1, base(), 3);
	expect_register(base(), 3 * ps + ps / 2, base(), 3);
	expect_register(base(), 4 * ps - 1, base(), 3);
}

static void both_ends_unaligned(void **state)
{
	(void)state;
	/* [b+ps-1, b+3ps+1): exactly the two whole pages 1 and 2. */
	expect_register(base() + ps - 1, 2 * ps + 2, base() + ps, 2);
	/* [b+1, b+2ps): exactly page 1. */
	expect_register(base() + 1, 2 * ps - 1, base() + ps, 1);
	/* A large odd range. */
	expect_register(base() + 123, 100 * ps, base() + ps, 99);
}

static void no_whole_page_is_einval_without_ioctl(void **state)
{
	(void)state;
	expect_einval(base(), 0);
	expect_einval(base() + 17, 0);
	expect_einval(base(), 1);
	expect_einval(base(), ps - 1);
	expect_einval(base() + 1, ps - 1);
	/* Crosses a boundary but holds no whole page. */
	expect_einval(base() + 1, ps);
	expect_einval(base() + ps / 2, ps);
	expect_einval(base() + 1, 2 * ps - 2);
}

static void length_overflow_is_einval_without_ioctl(void **state)
{
	(void)state;
	/* addr + len wraps around the address space. */
	expect_einval(base(), SIZE_MAX);
	expect_einval(base() + 1, SIZE_MAX - 1);
	expect_einval(UINTPTR_MAX - ps + 1, 2 * ps);
	/* Rounding the start up would wrap. */
	expect_einval(UINTPTR_MAX - 10, 5);
	expect_einval(UINTPTR_MAX - 10, 10);
}

static void page_count_must_fit_int32(void **state)
{
	(void)state;
	if (sizeof(size_t) < 8)
		skip();
	/* INT32_MAX pages: the largest count the int return can carry. */
	expect_register(ps, (size_t)INT32_MAX * ps, ps, INT32_MAX);
	/* Same, unaligned at both ends. */
	expect_register(ps - 1, (size_t)INT32_MAX * ps + 2, ps, INT32_MAX);
	/* One page more does not fit: refused before the driver sees it. */
	expect_einval(ps, ((size_t)INT32_MAX + 1) * ps);
	expect_einval(ps, (size_t)UINT32_MAX * ps);
	expect_einval(ps, ((size_t)UINT32_MAX + 1) * ps);
}

static void register_failure_is_not_a_page_count(void **state)
{
	(void)state;
	k.ret = -1;
	k.err = EEXIST;
	assert_int_equal(ksmdev_register(AREA_FD, at(base() + 1), 8 * ps), -EEXIST);
	assert_int_equal(k.calls, 1);
}

static void unregister_passes_rounded_start(void **state)
{
	(void)state;
	assert_int_equal(ksmdev_unregister(AREA_FD, at(base() + 1), 4 * ps), 0);
	assert_int_equal(k.calls, 1);
	assert_int_equal(k.fd, AREA_FD);
	assert_true(k.req == KSM_REMOVE_MEMORY_REGION);
	assert_true(k.arg == base() + ps);

	k.calls = 0;
	assert_int_equal(ksmdev_unregister(AREA_FD, at(base() + 5 * ps), 3 * ps + 7), 0);
	assert_int_equal(k.calls, 1);
	assert_true(k.arg == base() + 5 * ps);
}

static void unregister_matches_register(void **state)
{
	uintptr_t a = base() + ps - 100;
	size_t len = 7 * ps + 300;
	uint64_t registered;

	(void)state;
	assert_int_equal(ksmdev_register(AREA_FD, at(a), len), 7);
	registered = k.region.addr;
	assert_int_equal(ksmdev_unregister(AREA_FD, at(a), len), 0);
	assert_true(k.req == KSM_REMOVE_MEMORY_REGION);
	assert_true(k.arg == registered);
}

static void unregister_failure_is_negative_errno(void **state)
{
	(void)state;
	k.ret = -1;
	k.err = ENOENT;
	assert_int_equal(ksmdev_unregister(AREA_FD, at(base()), ps), -ENOENT);
	k.err = ENOMEM;
	assert_int_equal(ksmdev_unregister(AREA_FD, at(base()), ps), -ENOMEM);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(aligned_range_is_passed_unchanged, reset),
		cmocka_unit_test_setup(unaligned_start_is_rounded_up, reset),
		cmocka_unit_test_setup(unaligned_end_is_rounded_down, reset),
		cmocka_unit_test_setup(both_ends_unaligned, reset),
		cmocka_unit_test_setup(no_whole_page_is_einval_without_ioctl, reset),
		cmocka_unit_test_setup(length_overflow_is_einval_without_ioctl, reset),
		cmocka_unit_test_setup(page_count_must_fit_int32, reset),
		cmocka_unit_test_setup(register_failure_is_not_a_page_count, reset),
		cmocka_unit_test_setup(unregister_passes_rounded_start, reset),
		cmocka_unit_test_setup(unregister_matches_register, reset),
		cmocka_unit_test_setup(unregister_failure_is_negative_errno, reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

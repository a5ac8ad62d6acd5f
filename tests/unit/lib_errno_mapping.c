// SPDX-License-Identifier: GPL-2.0-only
/*
 * libksmdev: every failure comes back as a negative errno value (never a
 * positive one, never through errno alone), a bad descriptor is refused
 * before any system call, and ksmdev_strerror() explains the errors the
 * driver gives.
 *
 * The kernel side is replaced at link time (helpers/lib-wrap.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <ksmdev.h>
#include "lib-wrap.h"

#define DEV_FD	3
#define AREA_FD	4

static struct {
	int ioctl_calls, open_calls, close_calls;
	unsigned long last_req;
	int last_fd;
	char open_path[64];
	int open_flags;
	int ret;		/* returned by the mocked call */
	int err;		/* errno set when ret < 0 */
	/*
	 * KSM_GET_INFO_KTHREAD: fails with info_err when info_ret < 0, or
	 * like every other call unless info_ok (so that ksmdev_scanner_stop()
	 * reaches its second ioctl).
	 */
	int info_ret, info_err, info_ok;
} k;

int mock_ioctl(int fd, unsigned long req, void *arg)
{
	k.ioctl_calls++;
	k.last_fd = fd;
	k.last_req = req;
	if (req == KSM_GET_INFO_KTHREAD) {
		struct ksm_kthread_info *info = arg;

		if (k.info_ret < 0) {
			errno = k.info_err;
			return -1;
		}
		if (k.ret < 0 && !k.info_ok) {
			errno = k.err;
			return -1;
		}
		info->sleep = 20000;
		info->pages_to_scan = 100;
		info->flags = ksm_control_flags_run;
		return 0;
	}
	if ((req == KSM_GET_STATS || req == KSM_GET_AREA_STATS) && k.ret >= 0)
		((struct ksm_stats *)arg)->size = sizeof(struct ksm_stats);
	if (k.ret < 0)
		errno = k.err;
	return k.ret;
}

int mock_open(const char *path, int flags)
{
	k.open_calls++;
	strncpy(k.open_path, path, sizeof(k.open_path) - 1);
	k.open_flags = flags;
	if (k.ret < 0)
		errno = k.err;
	return k.ret;
}

int mock_close(int fd)
{
	k.close_calls++;
	k.last_fd = fd;
	if (k.ret < 0)
		errno = k.err;
	return k.ret;
}

static int reset(void **state)
{
	(void)state;
	memset(&k, 0, sizeof(k));
	return 0;
}

static void fail_with(int err)
{
	k.ret = -1;
	k.err = err;
}

/* Every library call that ends in an ioctl, on a given fd. */
static int call(int which, int fd)
{
	/* A made-up page-aligned range: never dereferenced. */
	const void *buf = (const void *)(uintptr_t)0x40000000;
	size_t len = (size_t)16 << 20;
	struct ksm_kthread_info info;
	struct ksm_area_info areas[4];
	struct ksm_stats st;
	int ret;

	switch (which) {
	case 0: return ksmdev_api_version(fd);
	case 1: return ksmdev_area_create(fd);
	case 2: return ksmdev_register(fd, buf, len);
	case 3: return ksmdev_unregister(fd, buf, len);
	case 4: return ksmdev_scanner_start(fd, 100, 20000);
	case 5:
		k.info_ok = 1;
		ret = ksmdev_scanner_stop(fd);
		k.info_ok = 0;
		return ret;
	case 6: return ksmdev_scanner_info(fd, &info);
	case 7: return ksmdev_stats(fd, &st);
	case 8: return ksmdev_area_stats(fd, &st);
	case 9: return ksmdev_list_areas(fd, areas, 4);
	case 10: return ksmdev_list_areas(fd, NULL, 0);
	}
	return 0;
}

#define NCALLS 11

static const char *const names[NCALLS] = {
	"api_version", "area_create", "register", "unregister", "scanner_start",
	"scanner_stop", "scanner_info", "stats", "area_stats", "list_areas",
	"list_areas(NULL, 0)",
};

static void ioctl_failure_is_negative_errno(void **state)
{
	static const int errs[] = {
		EINVAL, EEXIST, ENOSPC, EFAULT, EBADF, ENOTTY, EPERM, ENOENT,
		ENOMEM, EACCES, EINTR, EIO,
	};
	size_t e;
	int i, ret;

	(void)state;
	for (i = 0; i < NCALLS; i++) {
		for (e = 0; e < sizeof(errs) / sizeof(errs[0]); e++) {
			fail_with(errs[e]);
			k.ioctl_calls = 0;
			ret = call(i, i == 2 || i == 3 || i == 8 ? AREA_FD : DEV_FD);
			if (ret != -errs[e])
				fail_msg("%s with errno %d returned %d, expected %d",
					 names[i], errs[e], ret, -errs[e]);
			assert_true(k.ioctl_calls >= 1);
		}
	}
}

static void scanner_stop_info_failure_is_negative_errno(void **state)
{
	(void)state;
	k.info_ret = -1;
	k.info_err = ENOTTY;
	assert_int_equal(ksmdev_scanner_stop(DEV_FD), -ENOTTY);
	/* Nothing was written after the failed read. */
	assert_int_equal(k.ioctl_calls, 1);
	assert_true(k.last_req == KSM_GET_INFO_KTHREAD);
}

static void ioctl_success_passes_value_through(void **state)
{
	(void)state;
	k.ret = 1;
	assert_int_equal(ksmdev_api_version(DEV_FD), 1);
	assert_true(k.last_req == KSM_GET_API_VERSION);
	assert_int_equal(k.last_fd, DEV_FD);
	k.ret = 42;
	assert_int_equal(ksmdev_area_create(DEV_FD), 42);
	assert_true(k.last_req == KSM_CREATE_SHARED_MEMORY_AREA);
}

static void negative_fd_is_ebadf_without_ioctl(void **state)
{
	int i, fd;

	(void)state;
	for (fd = -1; fd >= -3; fd -= 2) {
		for (i = 0; i < NCALLS; i++) {
			k.ioctl_calls = 0;
			if (call(i, fd) != -EBADF)
				fail_msg("%s(fd %d) did not return -EBADF", names[i], fd);
			if (k.ioctl_calls)
				fail_msg("%s(fd %d) called ioctl", names[i], fd);
		}
	}
	assert_int_equal(ksmdev_close(-1), -EBADF);
	assert_int_equal(ksmdev_area_destroy(-1), -EBADF);
	assert_int_equal(k.close_calls, 0);
}

static void open_default_path_and_flags(void **state)
{
	(void)state;
	k.ret = 9;
	assert_int_equal(ksmdev_open(NULL), 9);
	assert_int_equal(k.open_calls, 1);
	assert_string_equal(k.open_path, "/dev/ksm");
	assert_string_equal(KSMDEV_DEFAULT_PATH, "/dev/ksm");
	assert_int_equal(k.open_flags & O_ACCMODE, O_RDWR);
	assert_true(k.open_flags & O_CLOEXEC);

	assert_int_equal(ksmdev_open("/tmp/other-ksm"), 9);
	assert_string_equal(k.open_path, "/tmp/other-ksm");
}

static void open_failure_is_negative_errno(void **state)
{
	(void)state;
	fail_with(ENOENT);
	assert_int_equal(ksmdev_open(NULL), -ENOENT);
	fail_with(EACCES);
	assert_int_equal(ksmdev_open(NULL), -EACCES);
	fail_with(ENXIO);
	assert_int_equal(ksmdev_open("/dev/ksm"), -ENXIO);
	assert_int_equal(k.ioctl_calls, 0);
}

static void close_result(void **state)
{
	(void)state;
	assert_int_equal(ksmdev_close(DEV_FD), 0);
	assert_int_equal(k.last_fd, DEV_FD);
	assert_int_equal(ksmdev_area_destroy(AREA_FD), 0);
	assert_int_equal(k.last_fd, AREA_FD);
	assert_int_equal(k.close_calls, 2);
	fail_with(EIO);
	assert_int_equal(ksmdev_close(DEV_FD), -EIO);
	fail_with(EBADF);
	assert_int_equal(ksmdev_area_destroy(AREA_FD), -EBADF);
	assert_int_equal(k.ioctl_calls, 0);
}

static void strerror_texts(void **state)
{
	static const int known[] = {
		ENOENT, EACCES, EPERM, ENOTTY, EEXIST, ENOSPC, EINVAL, EFAULT,
		EBADF, ENOMEM, EPROTO,
	};
	size_t i;

	(void)state;
	assert_non_null(strstr(ksmdev_strerror(-ENOENT), "module"));
	assert_non_null(strstr(ksmdev_strerror(-EPERM), "CAP_SYS_ADMIN"));
	assert_non_null(strstr(ksmdev_strerror(-EPERM), "the user that made it"));
	assert_non_null(strstr(ksmdev_strerror(-ENOSPC), "regions_per_fd"));
	assert_non_null(strstr(ksmdev_strerror(-ENOTTY), "too old"));
	assert_string_equal(ksmdev_strerror(0), "success");
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		const char *s = ksmdev_strerror(-known[i]);

		assert_non_null(s);
		assert_true(strlen(s) > 0);
	}
}

static void strerror_unknown_falls_back(void **state)
{
	static const int other[] = { EXDEV, EIO, EINTR, EAGAIN, ENXIO };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
		char expect[256];

		/* Copy: strerror() may reuse its buffer. */
		strncpy(expect, strerror(other[i]), sizeof(expect) - 1);
		expect[sizeof(expect) - 1] = 0;
		assert_string_equal(ksmdev_strerror(-other[i]), expect);
	}
	assert_non_null(ksmdev_strerror(-4000));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(ioctl_failure_is_negative_errno, reset),
		cmocka_unit_test_setup(scanner_stop_info_failure_is_negative_errno, reset),
		cmocka_unit_test_setup(ioctl_success_passes_value_through, reset),
		cmocka_unit_test_setup(negative_fd_is_ebadf_without_ioctl, reset),
		cmocka_unit_test_setup(open_default_path_and_flags, reset),
		cmocka_unit_test_setup(open_failure_is_negative_errno, reset),
		cmocka_unit_test_setup(close_result, reset),
		cmocka_unit_test_setup(strerror_texts, reset),
		cmocka_unit_test_setup(strerror_unknown_falls_back, reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: GPL-2.0-only
/*
 * libksmdev: size-versioned statistics (a module older than the library
 * fills less and the rest reads as zero; an impossible size is -EPROTO),
 * KSM_LIST_AREAS arguments, and scanner control without surprises
 * (pages_to_scan 0 refused locally, stop keeps the current settings).
 *
 * The kernel side is replaced at link time (helpers/lib-wrap.h):
 * mock_ioctl() checks what it is given and answers like a module of a
 * chosen age would.
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

#define DEV_FD	3
#define AREA_FD	4

#define NCALLS	8

static struct {
	int calls;
	struct {
		int fd;
		unsigned long req;
		/* copies of what the library passed in */
		struct ksm_stats stats_in;
		struct ksm_kthread_info kthread_in;
		struct ksm_area_list list_in;
	} call[NCALLS];

	/* answers */
	int ret, err;			/* ret < 0: fail with errno err */
	uint32_t stats_fill;		/* bytes of ksm_stats the module writes */
	uint32_t stats_size_out;	/* ->size it reports */
	struct ksm_kthread_info info;	/* KSM_GET_INFO_KTHREAD answer */
	uint32_t areas_visible;		/* KSM_LIST_AREAS total */
} k;

/* A full ksm_stats as a current module would fill it. */
static void module_stats(struct ksm_stats *st)
{
	st->pages_shared = 11;
	st->pages_sharing = 22;
	st->pages_unshared = 33;
	st->pages_volatile = 44;
	st->pages_merged = 55;
	st->full_scans = 66;
	st->pages_scanned = 77;
	st->regions = 88;
	st->max_kernel_pages = 99;
	st->cap_refusals = 111;
}

static void answer_stats(void *arg)
{
	struct ksm_stats full;

	memset(&full, 0, sizeof(full));
	module_stats(&full);
	full.size = k.stats_size_out;
	full.flags = 0;
	/* Like the driver: write at most stats_fill bytes, nothing beyond. */
	memcpy(arg, &full, k.stats_fill);
}

static void answer_list(void *arg)
{
	struct ksm_area_list *l = arg;
	struct ksm_area_info *e = (struct ksm_area_info *)(uintptr_t)l->entries;
	uint32_t n = l->count < k.areas_visible ? l->count : k.areas_visible;
	uint32_t i;

	for (i = 0; i < n; i++) {
		memset(&e[i], 0, sizeof(e[i]));
		e[i].pid = 1000 + i;
		e[i].regions = i + 1;
		strcpy(e[i].comm, "proc");
	}
	l->count = n;
	l->total = k.areas_visible;
}

int mock_ioctl(int fd, unsigned long req, void *arg)
{
	int n = k.calls++;

	assert_true(n < NCALLS);
	k.call[n].fd = fd;
	k.call[n].req = req;
	switch (req) {
	case KSM_GET_STATS:
	case KSM_GET_AREA_STATS:
		memcpy(&k.call[n].stats_in, arg, sizeof(struct ksm_stats));
		break;
	case KSM_START_STOP_KTHREAD:
		memcpy(&k.call[n].kthread_in, arg, sizeof(struct ksm_kthread_info));
		break;
	case KSM_LIST_AREAS:
		memcpy(&k.call[n].list_in, arg, sizeof(struct ksm_area_list));
		break;
	}
	if (k.ret < 0) {
		errno = k.err;
		return -1;
	}
	switch (req) {
	case KSM_GET_STATS:
	case KSM_GET_AREA_STATS:
		answer_stats(arg);
		break;
	case KSM_GET_INFO_KTHREAD:
		memcpy(arg, &k.info, sizeof(k.info));
		break;
	case KSM_LIST_AREAS:
		answer_list(arg);
		break;
	}
	return 0;
}

static int reset(void **state)
{
	(void)state;
	memset(&k, 0, sizeof(k));
	k.stats_fill = sizeof(struct ksm_stats);
	k.stats_size_out = sizeof(struct ksm_stats);
	return 0;
}

/* ------------------------------------------------------------ stats */

typedef int (*stats_fn)(int, struct ksm_stats *);

static void check_request(stats_fn fn, int fd, unsigned long req)
{
	struct ksm_stats st;

	memset(&st, 0xff, sizeof(st));
	k.calls = 0;
	assert_int_equal(fn(fd, &st), 0);
	assert_int_equal(k.calls, 1);
	assert_int_equal(k.call[0].fd, fd);
	assert_true(k.call[0].req == req);
	assert_int_equal(k.call[0].stats_in.size, sizeof(struct ksm_stats));
	assert_int_equal(k.call[0].stats_in.flags, 0);
	/* The caller's garbage never reaches the module. */
	assert_true(k.call[0].stats_in.pages_shared == 0);
	assert_true(k.call[0].stats_in.cap_refusals == 0);
	/* A current module fills everything. */
	assert_int_equal(st.size, sizeof(struct ksm_stats));
	assert_true(st.pages_shared == 11);
	assert_true(st.pages_sharing == 22);
	assert_true(st.regions == 88);
	assert_true(st.max_kernel_pages == 99);
	assert_true(st.cap_refusals == 111);
}

static void stats_request_size_and_flags(void **state)
{
	(void)state;
	check_request(ksmdev_stats, DEV_FD, KSM_GET_STATS);
	check_request(ksmdev_area_stats, AREA_FD, KSM_GET_AREA_STATS);
}

static void check_old_module(stats_fn fn, int fd)
{
	struct ksm_stats st;

	/* A 2009-era module: fills 72 bytes and says so. */
	k.stats_fill = KSM_STATS_SIZE_V1;
	k.stats_size_out = KSM_STATS_SIZE_V1;
	memset(&st, 0xff, sizeof(st));
	assert_int_equal(fn(fd, &st), 0);
	assert_int_equal(st.size, 72);
	assert_int_equal(st.flags, 0);
	assert_true(st.pages_shared == 11);
	assert_true(st.pages_sharing == 22);
	assert_true(st.pages_unshared == 33);
	assert_true(st.pages_volatile == 44);
	assert_true(st.pages_merged == 55);
	assert_true(st.full_scans == 66);
	assert_true(st.pages_scanned == 77);
	assert_true(st.regions == 88);
	/* Fields the module does not know read as zero. */
	assert_true(st.max_kernel_pages == 0);
	assert_true(st.cap_refusals == 0);
	assert_true(ksmdev_bytes_saved(&st) == 22 * (uint64_t)sysconf(_SC_PAGESIZE));
}

static void old_module_leaves_new_fields_zero(void **state)
{
	(void)state;
	assert_int_equal(KSM_STATS_SIZE_V1, 72);
	assert_int_equal(offsetof(struct ksm_stats, max_kernel_pages), 72);
	check_old_module(ksmdev_stats, DEV_FD);
	check_old_module(ksmdev_area_stats, AREA_FD);
}

static void header_only_answer_is_accepted(void **state)
{
	struct ksm_stats st;

	(void)state;
	k.stats_fill = KSM_STATS_SIZE_MIN;
	k.stats_size_out = KSM_STATS_SIZE_MIN;
	memset(&st, 0xff, sizeof(st));
	assert_int_equal(ksmdev_stats(DEV_FD, &st), 0);
	assert_int_equal(st.size, KSM_STATS_SIZE_MIN);
	assert_true(st.pages_shared == 0 && st.regions == 0 && st.cap_refusals == 0);
}

static void check_eproto(stats_fn fn, int fd)
{
	static const uint32_t bad[] = {
		0, 1, KSM_STATS_SIZE_MIN - 1, sizeof(struct ksm_stats) + 1,
		sizeof(struct ksm_stats) + 8, 4096, UINT32_MAX,
	};
	struct ksm_stats st;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		k.calls = 0;
		k.stats_size_out = bad[i];
		if (fn(fd, &st) != -EPROTO)
			fail_msg("reported size %u not refused with -EPROTO", bad[i]);
	}
}

static void impossible_size_is_eproto(void **state)
{
	(void)state;
	check_eproto(ksmdev_stats, DEV_FD);
	check_eproto(ksmdev_area_stats, AREA_FD);
}

static void stats_errors(void **state)
{
	struct ksm_stats st;

	(void)state;
	assert_int_equal(ksmdev_stats(DEV_FD, NULL), -EINVAL);
	assert_int_equal(ksmdev_area_stats(AREA_FD, NULL), -EINVAL);
	assert_int_equal(k.calls, 0);
	k.ret = -1;
	k.err = ENOTTY;
	assert_int_equal(ksmdev_stats(DEV_FD, &st), -ENOTTY);
	k.err = EINVAL;
	assert_int_equal(ksmdev_area_stats(AREA_FD, &st), -EINVAL);
	assert_true(ksmdev_bytes_saved(NULL) == 0);
}

/* ------------------------------------------------------------ list areas */

static void list_areas_arguments_and_total(void **state)
{
	struct ksm_area_info e[4];
	int ret;

	(void)state;
	k.areas_visible = 6;
	memset(e, 0xff, sizeof(e));
	ret = ksmdev_list_areas(DEV_FD, e, 4);
	assert_int_equal(ret, 6);
	assert_int_equal(k.calls, 1);
	assert_int_equal(k.call[0].fd, DEV_FD);
	assert_true(k.call[0].req == KSM_LIST_AREAS);
	assert_int_equal(k.call[0].list_in.entry_size, sizeof(struct ksm_area_info));
	assert_int_equal(k.call[0].list_in.count, 4);
	assert_int_equal(k.call[0].list_in.flags, 0);
	assert_true(k.call[0].list_in.entries == (uintptr_t)e);
	assert_int_equal(e[0].pid, 1000);
	assert_int_equal(e[3].pid, 1003);
	assert_string_equal(e[3].comm, "proc");
}

static void list_areas_unused_entries_are_zero(void **state)
{
	struct ksm_area_info e[4];

	(void)state;
	k.areas_visible = 2;
	memset(e, 0xff, sizeof(e));
	assert_int_equal(ksmdev_list_areas(DEV_FD, e, 4), 2);
	assert_int_equal(e[1].pid, 1001);
	assert_int_equal(e[2].pid, 0);
	assert_true(e[3].pages_sharing == 0);
}

static void list_areas_count_only(void **state)
{
	(void)state;
	k.areas_visible = 9;
	assert_int_equal(ksmdev_list_areas(DEV_FD, NULL, 0), 9);
	assert_int_equal(k.call[0].list_in.count, 0);
	assert_true(k.call[0].list_in.entries == 0);
	assert_int_equal(k.call[0].list_in.entry_size, sizeof(struct ksm_area_info));
}

static void list_areas_null_entries_is_einval(void **state)
{
	(void)state;
	assert_int_equal(ksmdev_list_areas(DEV_FD, NULL, 1), -EINVAL);
	assert_int_equal(ksmdev_list_areas(DEV_FD, NULL, 100), -EINVAL);
	assert_int_equal(k.calls, 0);
}

static void list_areas_huge_total_is_clamped(void **state)
{
	(void)state;
	k.areas_visible = UINT32_MAX;
	assert_int_equal(ksmdev_list_areas(DEV_FD, NULL, 0), INT32_MAX);
	k.ret = -1;
	k.err = EFAULT;
	assert_int_equal(ksmdev_list_areas(DEV_FD, NULL, 0), -EFAULT);
}

/* ------------------------------------------------------------ scanner */

static void scanner_start_zero_pages_is_einval(void **state)
{
	(void)state;
	assert_int_equal(ksmdev_scanner_start(DEV_FD, 0, 20000), -EINVAL);
	assert_int_equal(ksmdev_scanner_start(DEV_FD, 0, 0), -EINVAL);
	assert_int_equal(k.calls, 0);
}

static void scanner_start_arguments(void **state)
{
	struct ksm_kthread_info *in = &k.call[0].kthread_in;

	(void)state;
	assert_int_equal(ksmdev_scanner_start(DEV_FD, 500, 2000), 0);
	assert_int_equal(k.calls, 1);
	assert_int_equal(k.call[0].fd, DEV_FD);
	assert_true(k.call[0].req == KSM_START_STOP_KTHREAD);
	assert_int_equal(in->pages_to_scan, 500);
	assert_int_equal(in->sleep, 2000);
	assert_int_equal(in->flags, ksm_control_flags_run);
	assert_int_equal(in->pad, 0);
	assert_true(in->reserved_bits == 0);

	k.ret = -1;
	k.err = EPERM;
	assert_int_equal(ksmdev_scanner_start(DEV_FD, 1, 0), -EPERM);
}

static void scanner_stop_keeps_settings(void **state)
{
	struct ksm_kthread_info *in = &k.call[1].kthread_in;

	(void)state;
	k.info.sleep = 1234;
	k.info.pages_to_scan = 567;
	k.info.flags = ksm_control_flags_run;
	assert_int_equal(ksmdev_scanner_stop(DEV_FD), 0);
	assert_int_equal(k.calls, 2);
	assert_true(k.call[0].req == KSM_GET_INFO_KTHREAD);
	assert_int_equal(k.call[0].fd, DEV_FD);
	assert_true(k.call[1].req == KSM_START_STOP_KTHREAD);
	assert_int_equal(k.call[1].fd, DEV_FD);
	assert_int_equal(in->flags, 0);
	assert_int_equal(in->pages_to_scan, 567);
	assert_int_equal(in->sleep, 1234);
	assert_int_equal(in->pad, 0);
	assert_true(in->reserved_bits == 0);
}

static void scanner_info_result(void **state)
{
	struct ksm_kthread_info info;

	(void)state;
	k.info.sleep = 20000;
	k.info.pages_to_scan = 100;
	memset(&info, 0xff, sizeof(info));
	assert_int_equal(ksmdev_scanner_info(DEV_FD, &info), 0);
	assert_true(k.call[0].req == KSM_GET_INFO_KTHREAD);
	assert_int_equal(info.sleep, 20000);
	assert_int_equal(info.pages_to_scan, 100);
	assert_int_equal(info.flags, 0);
	assert_int_equal(ksmdev_scanner_info(DEV_FD, NULL), -EINVAL);
	assert_int_equal(k.calls, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(stats_request_size_and_flags, reset),
		cmocka_unit_test_setup(old_module_leaves_new_fields_zero, reset),
		cmocka_unit_test_setup(header_only_answer_is_accepted, reset),
		cmocka_unit_test_setup(impossible_size_is_eproto, reset),
		cmocka_unit_test_setup(stats_errors, reset),
		cmocka_unit_test_setup(list_areas_arguments_and_total, reset),
		cmocka_unit_test_setup(list_areas_unused_entries_are_zero, reset),
		cmocka_unit_test_setup(list_areas_count_only, reset),
		cmocka_unit_test_setup(list_areas_null_entries_is_einval, reset),
		cmocka_unit_test_setup(list_areas_huge_total_is_clamped, reset),
		cmocka_unit_test_setup(scanner_start_zero_pages_is_einval, reset),
		cmocka_unit_test_setup(scanner_start_arguments, reset),
		cmocka_unit_test_setup(scanner_stop_keeps_settings, reset),
		cmocka_unit_test_setup(scanner_info_result, reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

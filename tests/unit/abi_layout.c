// SPDX-License-Identifier: GPL-2.0-only
/*
 * The uapi header keeps the 2009 /dev/ksm ABI bit for bit: ioctl numbers
 * and structure layouts as the original driver and qemu-kvm used them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <linux/ksmdev.h>

static void ioctl_numbers_match_2009(void **state)
{
	(void)state;
	assert_int_equal(KSMIO, 0xAB);
	assert_int_equal(KSM_API_VERSION, 1);
	assert_int_equal(KSM_GET_API_VERSION, 0xAB00);
	assert_int_equal(KSM_CREATE_SHARED_MEMORY_AREA, 0xAB01);
	assert_int_equal(KSM_START_STOP_KTHREAD, 0x4018AB02);
	assert_int_equal(KSM_GET_INFO_KTHREAD, 0x4018AB03);
	assert_int_equal(KSM_REGISTER_MEMORY_REGION, 0x4018AB20);
	assert_int_equal(KSM_REMOVE_MEMORY_REGION, 0xAB21);
}

static void struct_layouts_match_2009(void **state)
{
	(void)state;
	assert_int_equal(sizeof(struct ksm_memory_region), 24);
	assert_int_equal(offsetof(struct ksm_memory_region, npages), 0);
	assert_int_equal(offsetof(struct ksm_memory_region, addr), 8);
	assert_int_equal(offsetof(struct ksm_memory_region, reserved_bits), 16);
	assert_int_equal(sizeof(struct ksm_kthread_info), 24);
	assert_int_equal(offsetof(struct ksm_kthread_info, sleep), 0);
	assert_int_equal(offsetof(struct ksm_kthread_info, pages_to_scan), 4);
	assert_int_equal(offsetof(struct ksm_kthread_info, flags), 8);
	assert_int_equal(offsetof(struct ksm_kthread_info, reserved_bits), 16);
	assert_int_equal(ksm_control_flags_run, 1);
}

static void stats_grow_only_at_the_end(void **state)
{
	(void)state;
	assert_int_equal(offsetof(struct ksm_stats, size), 0);
	assert_int_equal(offsetof(struct ksm_stats, flags), 4);
	assert_int_equal(offsetof(struct ksm_stats, pages_shared), 8);
	assert_int_equal(offsetof(struct ksm_stats, regions), 64);
	assert_int_equal(KSM_STATS_SIZE_V1, offsetof(struct ksm_stats, regions) + 8);
	assert_true(sizeof(struct ksm_stats) >= KSM_STATS_SIZE_V1);
	/* Appended later, in this order: never reorder. */
	assert_int_equal(offsetof(struct ksm_stats, max_kernel_pages), 72);
	assert_int_equal(offsetof(struct ksm_stats, cap_refusals), 80);
	assert_int_equal(offsetof(struct ksm_stats, pages_skipped), 88);
	assert_int_equal(offsetof(struct ksm_stats, last_scan_ms), 96);
	assert_int_equal(offsetof(struct ksm_stats, scanner_cpu_permille), 104);
	assert_int_equal(offsetof(struct ksm_stats, zero_pages), 112);
	assert_int_equal(offsetof(struct ksm_stats, kernel_pages), 120);
	assert_int_equal(offsetof(struct ksm_stats, max_user_pages), 128);
	assert_int_equal(offsetof(struct ksm_stats, user_pages), 136);
	assert_int_equal(offsetof(struct ksm_stats, user_refusals), 144);
	assert_int_equal(offsetof(struct ksm_stats, charge_refusals), 152);
	assert_int_equal(offsetof(struct ksm_stats, scan_ns_per_page), 160);
	assert_int_equal(offsetof(struct ksm_stats, scan_sleep_us), 168);
	assert_int_equal(sizeof(struct ksm_stats), 176);
	assert_int_equal(sizeof(struct ksm_autotune), 24);
	assert_int_equal(sizeof(struct ksm_area_params), 32);
	assert_int_equal(sizeof(struct ksm_stats) % 8, 0);
	assert_int_equal(_IOC_NR(KSM_GET_STATS), 0x04);
	assert_int_equal(_IOC_NR(KSM_GET_AREA_STATS), 0x22);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ioctl_numbers_match_2009),
		cmocka_unit_test(struct_layouts_match_2009),
		cmocka_unit_test(stats_grow_only_at_the_end),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

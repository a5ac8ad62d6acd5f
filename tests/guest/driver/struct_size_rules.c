// SPDX-License-Identifier: GPL-2.0-only
/*
 * Extensible structs by their size field: struct ksm_area_params
 * (KSM_CREATE_AREA) and struct ksm_autotune (KSM_SET_AUTOTUNE) carry their
 * size first.  A size below the first version is EINVAL; a larger struct
 * from a newer program is accepted when every byte the driver does not
 * know is zero and refused with E2BIG when one is not; a size above a
 * page is E2BIG whatever it holds (the driver reads no more than a page of
 * a caller's memory for a struct, as clone3 and openat2 do).  A refused
 * call changes nothing: no area fd, auto-tuning as it was.  A program built
 * against a newer header, whose larger struct changes the size encoded in
 * the command number, reaches the same commands.
 */
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "ktest.h"

/* The ioctl @cmd with a struct of @size bytes at @buf; the result or -errno. */
static int call_sized(int dev, unsigned long cmd, char *buf, __u32 size)
{
	int rc;

	memcpy(buf, &size, sizeof(size));
	rc = ioctl(dev, cmd, buf);
	return rc < 0 ? -errno : rc;
}

/* @n pages of zeros, then an unmapped page (a read beyond them faults). */
static char *map_zeros(unsigned long n)
{
	char *p = ktest_map(n + 1);

	memset(p, 0, n * KTEST_PAGE);
	ktest_assert(munmap(p + n * KTEST_PAGE, KTEST_PAGE) == 0, "munmap: %s",
		     strerror(errno));
	return p;
}

static void expect_rc(const char *what, int rc, int want)
{
	ktest_assert(rc == want, "%s: %s, want %s", what, rc < 0 ? strerror(-rc) : "success",
		     want < 0 ? strerror(-want) : "success");
}

/* KSM_CREATE_AREA: an accepted call returns an area fd, closed here. */
static void area_expect(int dev, char *buf, __u32 size, int want, const char *what)
{
	int rc = call_sized(dev, KSM_CREATE_AREA, buf, size);

	if (want == 0) {
		ktest_assert(rc >= 0, "area params %s (size %u): %s", what, size,
			     strerror(-rc));
		close(rc);
		return;
	}
	ktest_assert(rc == want, "area params %s (size %u): %s, want %s", what, size,
		     rc < 0 ? strerror(-rc) : "an area fd", strerror(-want));
}

static void area_params_sizes(int dev)
{
	char *buf = map_zeros(2);
	const __u32 small[] = { 0, 4, 8, 15 };
	int fd_before, fd_after;

	for (unsigned int i = 0; i < sizeof(small) / sizeof(small[0]); i++)
		area_expect(dev, buf, small[i], -EINVAL, "below the first version");
	area_expect(dev, buf, 16, 0, "first version (through domain)");
	area_expect(dev, buf, sizeof(struct ksm_area_params), 0, "this header's");
	area_expect(dev, buf, sizeof(struct ksm_area_params) + 8, 0, "larger, zero tail");
	area_expect(dev, buf, KTEST_PAGE, 0, "a page, zero tail");
	buf[sizeof(struct ksm_area_params) + 5] = 1;
	area_expect(dev, buf, sizeof(struct ksm_area_params) + 8, -E2BIG,
		    "larger, nonzero tail");
	buf[sizeof(struct ksm_area_params) + 5] = 0;
	area_expect(dev, buf, KTEST_PAGE + 1, -E2BIG, "above a page, zero tail");
	area_expect(dev, buf, 2 * KTEST_PAGE, -E2BIG, "two pages, zero tail");
	/* Far beyond the mapping: refused by its size before any read. */
	area_expect(dev, buf, 0xffffffffu, -E2BIG, "4 GiB");

	/* Nothing was created by the refused calls: the next fd is the same. */
	fd_before = dup(dev);
	close(fd_before);
	area_expect(dev, buf, 0xffffffffu, -E2BIG, "4 GiB, again");
	fd_after = dup(dev);
	close(fd_after);
	ktest_assert(fd_before == fd_after, "a refused KSM_CREATE_AREA left an fd open");
	munmap(buf, 2 * KTEST_PAGE);
}

static void autotune_expect_state(int dev, __u32 flags, const char *after)
{
	struct ksm_autotune got = { .size = sizeof(got) };

	ktest_assert(ioctl(dev, KSM_GET_AUTOTUNE, &got) == 0, "KSM_GET_AUTOTUNE: %s",
		     strerror(errno));
	ktest_assert(got.size == sizeof(got) && got.flags == flags &&
		     (!flags || (got.target_scan_ms == 500 && got.max_cpu_permille == 100)),
		     "after %s: size %u flags %#x target %u permille %u", after, got.size,
		     got.flags, got.target_scan_ms, got.max_cpu_permille);
}

static void autotune_sizes(int dev)
{
	char *buf = map_zeros(2);
	struct ksm_autotune *at = (struct ksm_autotune *)buf;
	const __u32 small[] = { 0, 8, 16, sizeof(*at) - 1 };

	at->flags = KSM_AUTOTUNE_ON;
	at->target_scan_ms = 500;
	at->max_cpu_permille = 100;
	for (unsigned int i = 0; i < sizeof(small) / sizeof(small[0]); i++)
		expect_rc("autotune below the first version",
			  call_sized(dev, KSM_SET_AUTOTUNE, buf, small[i]), -EINVAL);
	autotune_expect_state(dev, 0, "refused small sizes");

	expect_rc("autotune larger, zero tail",
		  call_sized(dev, KSM_SET_AUTOTUNE, buf, sizeof(*at) + 16), 0);
	autotune_expect_state(dev, KSM_AUTOTUNE_ON, "a larger SET");
	expect_rc("autotune a page, zero tail",
		  call_sized(dev, KSM_SET_AUTOTUNE, buf, KTEST_PAGE), 0);

	/* Refused from here on, each leaving auto-tuning on. */
	at->flags = 0;
	buf[sizeof(*at) + 3] = 1;
	expect_rc("autotune larger, nonzero tail",
		  call_sized(dev, KSM_SET_AUTOTUNE, buf, sizeof(*at) + 16), -E2BIG);
	buf[sizeof(*at) + 3] = 0;
	buf[KTEST_PAGE - 1] = (char)0x80;
	expect_rc("autotune a page, nonzero last byte",
		  call_sized(dev, KSM_SET_AUTOTUNE, buf, KTEST_PAGE), -E2BIG);
	buf[KTEST_PAGE - 1] = 0;
	expect_rc("autotune above a page, zero tail",
		  call_sized(dev, KSM_SET_AUTOTUNE, buf, KTEST_PAGE + 1), -E2BIG);
	expect_rc("autotune 4 GiB", call_sized(dev, KSM_SET_AUTOTUNE, buf, 0xffffffffu),
		  -E2BIG);
	autotune_expect_state(dev, KSM_AUTOTUNE_ON, "refused SETs");

	/* Exactly the first version turns it off again. */
	expect_rc("autotune first version",
		  call_sized(dev, KSM_SET_AUTOTUNE, buf, sizeof(*at)), 0);
	autotune_expect_state(dev, 0, "a SET of the first version");
	munmap(buf, 2 * KTEST_PAGE);
}

/* The command numbers a newer header with a struct 8 bytes larger makes. */
static void newer_header_numbers(int dev)
{
	char *buf = map_zeros(1);
	struct ksm_autotune *at = (struct ksm_autotune *)buf;
	__u32 asize = sizeof(struct ksm_area_params) + 8, tsize = sizeof(*at) + 8;
	int rc;

	rc = call_sized(dev, _IOC(_IOC_WRITE, KSMIO, _IOC_NR(KSM_CREATE_AREA), asize), buf, asize);
	ktest_assert(rc >= 0, "KSM_CREATE_AREA numbered for %u bytes: %s", asize, strerror(-rc));
	close(rc);
	memset(buf, 0, KTEST_PAGE);
	at->flags = KSM_AUTOTUNE_ON;
	at->target_scan_ms = 500;
	at->max_cpu_permille = 100;
	expect_rc("KSM_SET_AUTOTUNE numbered for a larger struct",
		  call_sized(dev, _IOC(_IOC_WRITE, KSMIO, _IOC_NR(KSM_SET_AUTOTUNE), tsize), buf,
			     tsize), 0);
	autotune_expect_state(dev, KSM_AUTOTUNE_ON, "a SET numbered for a larger struct");
	at->flags = 0;
	expect_rc("autotune off", call_sized(dev, KSM_SET_AUTOTUNE, buf, sizeof(*at)), 0);
	munmap(buf, KTEST_PAGE);
}

int main(void)
{
	int dev = ktest_open_dev();

	area_params_sizes(dev);
	autotune_sizes(dev);
	newer_header_numbers(dev);
	close(dev);
	printf("struct_size_rules: ok\n");
	return 0;
}

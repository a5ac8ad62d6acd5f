// SPDX-License-Identifier: GPL-2.0-only
/*
 * struct ksm_stats is size-versioned: the driver fills min(.size, the size
 * it knows) bytes, writes back .size = bytes filled and leaves every byte
 * beyond untouched; the size encoded in the ioctl number does not matter
 * (a 2009-era caller using _IOWR(KSMIO, 0x04, char[72]) with size 72 gets
 * exactly the V1 fields).  .size < 8 or nonzero .flags give EINVAL.  Both
 * KSM_GET_STATS and KSM_GET_AREA_STATS behave so.
 */
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "ktest.h"

#define SENTINEL	0xa5
#define BUFSZ		4096

#define KSM_GET_STATS_V1	_IOWR(KSMIO, 0x04, char[KSM_STATS_SIZE_V1])
#define KSM_GET_STATS_8		_IOWR(KSMIO, 0x04, char[8])
#define KSM_GET_AREA_STATS_V1	_IOWR(KSMIO, 0x22, char[KSM_STATS_SIZE_V1])
#define KSM_GET_AREA_STATS_8	_IOWR(KSMIO, 0x22, char[8])

static union {
	struct ksm_stats st;
	unsigned char raw[BUFSZ];
} buf;

static union {
	struct ksm_stats st;
	unsigned char raw[sizeof(struct ksm_stats)];
} ref;
static int have_ref;

static void query(int fd, unsigned long cmd, const char *name, uint32_t size,
		  uint32_t expect_filled)
{
	memset(buf.raw, SENTINEL, sizeof(buf.raw));
	buf.st.size = size;
	buf.st.flags = 0;
	errno = 0;
	if (ioctl(fd, cmd, &buf) != 0)
		ktest_fail("%s with size %u: %s", name, size, strerror(errno));
	if (buf.st.size != expect_filled)
		ktest_fail("%s with size %u: filled %u bytes, want %u", name, size,
			   buf.st.size, expect_filled);
	if (expect_filled >= 8 && buf.st.flags != 0)
		ktest_fail("%s with size %u: flags came back %#x", name, size, buf.st.flags);
	for (uint32_t i = 8; have_ref && i < expect_filled; i++)
		if (buf.raw[i] != ref.raw[i])
			ktest_fail("%s with size %u: byte %u is %#x, the full query had %#x",
				   name, size, i, buf.raw[i], ref.raw[i]);
	for (uint32_t i = expect_filled; i < BUFSZ; i++)
		if (buf.raw[i] != SENTINEL)
			ktest_fail("%s with size %u: byte %u beyond the filled %u was written",
				   name, size, i, expect_filled);
}

static void refused(int fd, unsigned long cmd, const char *name, uint32_t size,
		    uint32_t flags)
{
	long r;

	memset(buf.raw, 0, sizeof(buf.raw));
	buf.st.size = size;
	buf.st.flags = flags;
	errno = 0;
	r = ioctl(fd, cmd, &buf);
	if (r != -1 || errno != EINVAL)
		ktest_fail("%s with size %u flags %#x: returned %ld errno %d, want EINVAL",
			   name, size, flags, r, errno);
}

static void check_scope(int fd, unsigned long full, unsigned long v1, unsigned long small,
			const char *name)
{
	const uint32_t known = sizeof(struct ksm_stats);

	/* The reference: a full query (stats are stable: scanner stopped). */
	have_ref = 0;
	query(fd, full, name, known, known);
	memcpy(ref.raw, buf.raw, sizeof(ref.raw));
	have_ref = 1;
	memset(buf.raw, 0, sizeof(buf.raw));
	query(fd, full, name, known, known);

	query(fd, v1, name, KSM_STATS_SIZE_V1, KSM_STATS_SIZE_V1);
	query(fd, full, name, KSM_STATS_SIZE_V1, KSM_STATS_SIZE_V1);
	query(fd, small, name, KSM_STATS_SIZE_MIN, KSM_STATS_SIZE_MIN);
	query(fd, small, name, 16, 16);
	query(fd, full, name, 12, 12);
	query(fd, small, name, known, known);
	query(fd, v1, name, BUFSZ, known);
	query(fd, full, name, 0xffffffffu, known);

	for (uint32_t size = 0; size < KSM_STATS_SIZE_MIN; size++)
		refused(fd, full, name, size, 0);
	refused(fd, full, name, known, 1);
	refused(fd, v1, name, KSM_STATS_SIZE_V1, 2);
	refused(fd, full, name, known, 0x80000000u);
}

int main(void)
{
	int dev = ktest_open_dev();
	int sma = ktest_create_area(dev);
	char *p = ktest_map(10);
	struct ksm_stats g;

	ktest_assert(sizeof(struct ksm_stats) == 176, "struct ksm_stats is %zu bytes",
		     sizeof(struct ksm_stats));
	/* Something to count, then a stable state. */
	ktest_fill_pages(p, 10, 1, 0);
	ktest_must_register(sma, p, 10, NULL);
	ktest_scan_and_wait(dev);
	ktest_scanner(dev, 100000, 1000, 0);
	/*
	 * The scanner updates its CPU share after its last batch, outside
	 * the lock the stop takes: wait until two readings agree.
	 */
	for (int i = 0; i < 100; i++) {
		struct ksm_stats h;

		ktest_global_stats(dev, &g);
		usleep(100000);
		ktest_global_stats(dev, &h);
		if (!memcmp(&g, &h, sizeof(g)))
			break;
	}
	ktest_global_stats(dev, &g);
	ktest_expect_stats("global", &g, 1, 9, 10, 1);

	check_scope(dev, KSM_GET_STATS, KSM_GET_STATS_V1, KSM_GET_STATS_8, "KSM_GET_STATS");
	ktest_assert(ref.st.pages_shared == 1 &&
		     ref.st.regions == 1,
		     "reference global stats do not show the merge");
	check_scope(sma, KSM_GET_AREA_STATS, KSM_GET_AREA_STATS_V1, KSM_GET_AREA_STATS_8,
		    "KSM_GET_AREA_STATS");
	ktest_assert(ref.st.pages_merged == 10 &&
		     ref.st.regions == 1,
		     "reference area stats do not show the merge");
	ktest_check_pages("merged pages", p, 10, 1, 0);

	close(sma);
	close(dev);
	return 0;
}

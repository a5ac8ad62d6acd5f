// SPDX-License-Identifier: GPL-2.0-only
/*
 * Identical pages of different processes merge into one KSM page: four
 * forked processes, each with its own SMA and its own mapping of 16 pages
 * of one common content plus 4 pages unique to it, end up with all 64
 * common pages on one PFN (pages_shared 1, pages_sharing 63), the unique
 * pages apart, every byte intact, and the area stats of the four SMAs
 * summing to the global stats.
 */
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "ktest.h"

#define NPROC	4
#define NDUP	16
#define NUNIQ	4
#define NPAGES	(NDUP + NUNIQ)

struct report {
	int bytes_ok;
	uint64_t pfn[NPAGES];
	struct ksm_stats area;
};

static void xwrite(int fd, const void *buf, size_t len)
{
	if (write(fd, buf, len) != (ssize_t)len)
		ktest_fail("pipe write: %s", strerror(errno));
}

static int xread(int fd, void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = read(fd, (char *)buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

static uint64_t uniq_seed(int proc, int i)
{
	return 1000 + (uint64_t)proc * 100 + (uint64_t)i;
}

static void child(int idx, int cmd_rd, int rep_wr)
{
	int dev = ktest_open_dev();
	int sma = ktest_create_area(dev);
	char *p = ktest_map(NPAGES);
	struct report r;
	char c = 'r';
	int rc;

	ktest_fill_pages(p, NDUP, 1, 0);
	for (int i = 0; i < NUNIQ; i++)
		ktest_fill_page(p + (NDUP + i) * KTEST_PAGE, uniq_seed(idx, i));
	rc = ktest_register(sma, p, NPAGES);
	if (rc)
		ktest_fail("child %d: register: %s", idx, strerror(-rc));
	xwrite(rep_wr, &c, 1);

	/* Wait for the parent to ask for the report. */
	if (xread(cmd_rd, &c, 1))
		ktest_fail("child %d: parent went away", idx);
	memset(&r, 0, sizeof(r));
	r.bytes_ok = 1;
	for (int i = 0; i < NPAGES; i++) {
		uint64_t seed = i < NDUP ? 1 : uniq_seed(idx, i - NDUP);

		r.pfn[i] = ktest_pfn(p + i * KTEST_PAGE);
		if (!ktest_check_page(p + i * KTEST_PAGE, seed))
			r.bytes_ok = 0;
	}
	ktest_area_stats(sma, &r.area);
	xwrite(rep_wr, &r, sizeof(r));

	/* Stay alive (and merged) until the parent is done checking. */
	while (read(cmd_rd, &c, 1) < 0 && errno == EINTR)
		;
	_exit(0);
}

int main(void)
{
	int dev = ktest_open_dev();
	int cmd[NPROC][2], rep[NPROC][2];
	struct report r[NPROC];
	struct ksm_stats g, sum;
	pid_t pid[NPROC];
	uint64_t kpfn;
	char c;

	for (int i = 0; i < NPROC; i++) {
		if (pipe(cmd[i]) || pipe(rep[i]))
			ktest_fail("pipe: %s", strerror(errno));
		pid[i] = fork();
		if (pid[i] < 0)
			ktest_fail("fork: %s", strerror(errno));
		if (!pid[i]) {
			/* Keep no write end of a sibling's pipe: EOF must reach it. */
			for (int j = 0; j < i; j++) {
				close(cmd[j][1]);
				close(rep[j][0]);
			}
			close(cmd[i][1]);
			close(rep[i][0]);
			child(i, cmd[i][0], rep[i][1]);
		}
		close(cmd[i][0]);
		close(rep[i][1]);
	}
	for (int i = 0; i < NPROC; i++)
		if (xread(rep[i][0], &c, 1))
			ktest_fail("child %d failed during setup", i);

	ktest_scan_and_wait(dev);
	ktest_scanner(dev, 100000, 1000, 0);

	ktest_global_stats(dev, &g);
	ktest_print_stats("global", &g);
	ktest_expect_stats("global", &g, 1, NPROC * NDUP - 1, NPROC * NDUP, NPROC);

	memset(&sum, 0, sizeof(sum));
	for (int i = 0; i < NPROC; i++) {
		char what[32];

		c = 'q';
		xwrite(cmd[i][1], &c, 1);
		if (xread(rep[i][0], &r[i], sizeof(r[i])))
			ktest_fail("child %d did not report", i);
		snprintf(what, sizeof(what), "area of child %d", i);
		ktest_print_stats(what, &r[i].area);
		ktest_assert(r[i].bytes_ok, "child %d saw wrong bytes", i);
		ktest_expect_stats(what, &r[i].area, KTEST_ANY, KTEST_ANY, NDUP, 1);
		ktest_assert(r[i].area.pages_shared <= 1, "child %d: area pages_shared %llu",
			     i, (unsigned long long)r[i].area.pages_shared);
		sum.pages_shared += r[i].area.pages_shared;
		sum.pages_sharing += r[i].area.pages_sharing;
		sum.pages_merged += r[i].area.pages_merged;
		sum.regions += r[i].area.regions;
	}
	ktest_assert(sum.pages_shared == g.pages_shared && sum.pages_sharing == g.pages_sharing &&
		     sum.pages_merged == g.pages_merged && sum.regions == g.regions,
		     "sum over areas shared %llu sharing %llu merged %llu regions %llu differs from global",
		     (unsigned long long)sum.pages_shared, (unsigned long long)sum.pages_sharing,
		     (unsigned long long)sum.pages_merged, (unsigned long long)sum.regions);

	kpfn = r[0].pfn[0];
	ktest_assert(kpfn != 0, "child 0 page 0 not present");
	for (int i = 0; i < NPROC; i++) {
		for (int j = 0; j < NDUP; j++)
			ktest_assert(r[i].pfn[j] == kpfn,
				     "child %d page %d maps pfn %#llx, child 0 page 0 maps %#llx",
				     i, j, (unsigned long long)r[i].pfn[j],
				     (unsigned long long)kpfn);
		for (int j = NDUP; j < NPAGES; j++) {
			ktest_assert(r[i].pfn[j] && r[i].pfn[j] != kpfn,
				     "child %d unique page %d maps pfn %#llx", i, j,
				     (unsigned long long)r[i].pfn[j]);
			for (int k = 0; k <= i; k++)
				for (int l = NDUP; l < (k == i ? j : NPAGES); l++)
					ktest_assert(r[k].pfn[l] != r[i].pfn[j],
						     "unique pages %d/%d and %d/%d share pfn %#llx",
						     k, l, i, j, (unsigned long long)r[i].pfn[j]);
		}
	}

	for (int i = 0; i < NPROC; i++) {
		int status = 0;

		close(cmd[i][1]);
		if (waitpid(pid[i], &status, 0) != pid[i] || !WIFEXITED(status) ||
		    WEXITSTATUS(status))
			ktest_fail("child %d exited with status %#x", i, status);
		close(rep[i][0]);
	}
	/* Their exits leave nothing behind (scanner running, as normally). */
	ktest_scanner(dev, 100000, 1000, 1);
	ktest_wait_global(dev, 0, 0, 0, 5000);
	ktest_scanner(dev, 100000, 1000, 0);
	close(dev);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0-only
/*
 * Stopping the scanner takes effect at once, not at the end of its batch:
 * with pages_to_scan larger than all the memory registered (one batch is
 * a whole full scan of 16384 unique pages, which takes the scanner a good
 * fraction of a second here), at most a merge batch (32 pages) more is
 * scanned after KSM_START_STOP_KTHREAD with run off has returned.  Started
 * again, the scanner goes on from where it stopped and completes the pass.
 * The bytes are verified.
 */
#include <unistd.h>
#include "ktest.h"

#define NPAGES		16384
#define MAX_AFTER_STOP	64	/* a batch of 32 in flight, and slack */

int main(void)
{
	int dev = ktest_open_dev(), sma = ktest_create_area(dev);
	char *p = ktest_map(NPAGES);
	uint64_t base, at_stop, later, t0;
	struct ksm_stats st;

	ktest_fill_pages(p, NPAGES, 1000, 1);	/* all different */
	ktest_must_register(sma, p, NPAGES, NULL);

	/* The counters are global and cumulative: count from here. */
	base = ktest_pages_scanned(dev);
	ktest_scanner(dev, 1000000, 0, 1);
	t0 = ktest_now_ms();
	while (ktest_pages_scanned(dev) - base < NPAGES / 8) {
		ktest_assert(ktest_now_ms() - t0 < 30000 * ktest_slow(),
			     "only %llu pages scanned in 30 s", (unsigned long long)(ktest_pages_scanned(dev) - base));
		usleep(1000);
	}
	ktest_scanner(dev, 1000000, 0, 0);
	at_stop = ktest_pages_scanned(dev) - base;
	usleep(500000);
	later = ktest_pages_scanned(dev) - base;
	ktest_info("stopped at %llu of %d pages; %llu more scanned after the stop",
		   (unsigned long long)at_stop, NPAGES, (unsigned long long)(later - at_stop));
	/*
	 * A slow guest may have finished the first pass before the stop:
	 * the scanner is then in the batch of the next one, still mid-batch.
	 */
	ktest_assert(later - at_stop <= MAX_AFTER_STOP,
		     "%llu pages scanned after the scanner was stopped (at most %d expected)",
		     (unsigned long long)(later - at_stop), MAX_AFTER_STOP);

	/* Resumed: the pass completes. */
	ktest_scanner(dev, 1000000, 0, 1);
	ktest_wait_scans(dev, 1, 60);
	ktest_scanner(dev, 1000000, 0, 0);
	ktest_global_stats(dev, &st);
	ktest_assert(st.pages_scanned - base >= NPAGES, "after resuming: %llu pages scanned",
		     (unsigned long long)(st.pages_scanned - base));
	ktest_check_pages("after stop and resume", p, NPAGES, 1000, 1);
	close(sma);
	close(dev);
	return 0;
}

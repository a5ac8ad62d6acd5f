// SPDX-License-Identifier: GPL-2.0-only
/*
 * UFFDIO_MOVE (Linux 6.8+) backs out of a merged page.  It moves only
 * pages it finds anonymous and exclusive (PageAnonExclusive(), which a
 * DEBUG_VM_PGFLAGS kernel asserts is called on anonymous pages only); a
 * merged page is neither, and a production kernel refuses it with EBUSY.
 * Here a page of a registered region, merged by KSM_MERGE_NOW with its
 * copy, is asked to move into a userfaultfd-registered range: EBUSY, the
 * page stays merged and keeps its bytes, nothing arrives at the
 * destination.  A private page of the same region (control) moves.
 * Skips where the kernel has no UFFDIO_MOVE (6.1).
 */
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/userfaultfd.h>
#include "ktest.h"

#ifndef UFFD_FEATURE_MOVE
#define UFFD_FEATURE_MOVE	(1 << 16)
struct uffdio_move {
	__u64 dst, src, len, mode;
	__s64 move;
};
#define UFFDIO_MOVE	_IOWR(UFFDIO, 0x05, struct uffdio_move)
#endif

#define PM_PRESENT	(1ULL << 63)

int main(void)
{
	struct uffdio_api api = { .api = UFFD_API, .features = UFFD_FEATURE_MOVE };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	struct uffdio_move mv = { .len = KTEST_PAGE };
	int dev, sma, uffd;
	uint64_t kpfn;
	char *p, *dst;
	long r;

	uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (uffd < 0) {
		ktest_info("SKIP: no userfaultfd: %s", strerror(errno));
		return KTEST_SKIP;
	}
	if (ioctl(uffd, UFFDIO_API, &api) || !(api.features & UFFD_FEATURE_MOVE)) {
		ktest_info("SKIP: no UFFDIO_MOVE in this kernel");
		return KTEST_SKIP;
	}
	dev = ktest_open_dev();
	sma = ktest_create_area(dev);
	p = ktest_map(3);
	ktest_fill_page(p, 5);
	ktest_fill_page(p + KTEST_PAGE, 5);
	ktest_fill_page(p + 2 * KTEST_PAGE, 6);		/* unique: stays private */
	ktest_must_register(sma, p, 3, NULL);
	r = ioctl(sma, KSM_MERGE_NOW, 0);
	ktest_assert(r == 2, "KSM_MERGE_NOW merged %ld, want 2", r);
	kpfn = ktest_pfn(p);
	ktest_assert(kpfn && kpfn == ktest_pfn(p + KTEST_PAGE), "the pair is not merged");

	dst = ktest_map(2);
	reg.range.start = (uintptr_t)dst;
	reg.range.len = 2 * KTEST_PAGE;
	ktest_expect_ok(ioctl(uffd, UFFDIO_REGISTER, &reg));

	mv.src = (uintptr_t)p;
	mv.dst = (uintptr_t)dst;
	errno = 0;
	r = ioctl(uffd, UFFDIO_MOVE, &mv);
	ktest_assert(r == -1 && errno == EBUSY, "UFFDIO_MOVE of a merged page: %ld, %s; want EBUSY",
		     r, strerror(errno));
	ktest_assert(ktest_pfn(p) == kpfn, "the merged page left its place");
	ktest_assert(!(ktest_pagemap(0, dst) & PM_PRESENT), "something arrived at the destination");
	ktest_check_pages("merged pair", p, 2, 5, 0);

	/* Control: a private page of the region moves. */
	mv.src = (uintptr_t)(p + 2 * KTEST_PAGE);
	mv.dst = (uintptr_t)(dst + KTEST_PAGE);
	mv.move = 0;
	ktest_expect_ok(ioctl(uffd, UFFDIO_MOVE, &mv));
	ktest_check_pages("moved private page", dst + KTEST_PAGE, 1, 6, 0);

	close(uffd);
	close(sma);
	ktest_check_pages("merged pair after close", p, 2, 5, 0);
	close(dev);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0-only
/*
 * preload_mmap_tracking - the shim keeps its registrations in step with
 * the program's memory, checked against the driver's own count of the
 * regions and pages registered by this process (KSM_LIST_AREAS).
 *
 * The test runs itself again with LD_PRELOAD=libksmdev-preload.so; then,
 * from a baseline (the brk coverage), each step expects exact deltas:
 * an anonymous private mmap of 1 MiB is one region of 256 pages; munmap of
 * its middle leaves head and tail registered, of its head the tail only;
 * mremap moves the registration; munmap removes it; mappings below 64 KiB,
 * shared ones and MAP_HUGETLB-free MAP_FIXED ones inside a registered
 * range add nothing; PROT_NONE reservations are registered; malloc,
 * calloc, realloc and posix_memalign blocks served by mmap are registered
 * and go away on free (also after realloc moved them); a thread's first
 * malloc registers its 64 MiB arena heap, a second heap of the arena is
 * registered too and unregistered once glibc deleted it (seen by the next
 * thread that uses the arena); the main arena's coverage grows
 * in few, doubling steps as brk grows; a registration of the program's
 * own that overlaps the shim's wins (the shim steps aside); a forked
 * child has nothing registered until its first allocation, then an area
 * of its own holding everything again.
 */
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "ktest.h"

#define KIB 1024UL
#define MIB (1024UL * 1024)

static int devfd;
static long r0, p0;
/* Blocks go through here: the compiler may not drop a malloc/free pair. */
static void *volatile sink;

static void *keep(void *p)
{
	sink = p;
	return sink;
}

/* Regions and pages this process has registered, over all its areas. */
static void counts(long *regions, long *pages)
{
	static struct ksm_area_info a[64];
	struct ksm_area_list l = { 0 };
	unsigned int i;

	l.entry_size = sizeof(a[0]);
	l.count = 64;
	l.entries = (uintptr_t)a;
	if (ioctl(devfd, KSM_LIST_AREAS, &l) < 0)
		ktest_fail("KSM_LIST_AREAS: %s", strerror(errno));
	*regions = *pages = 0;
	for (i = 0; i < l.count; i++) {
		if (a[i].pid == (unsigned int)getpid()) {
			*regions += (long)a[i].regions;
			*pages += (long)a[i].pages_registered;
		}
	}
}

/* Expect the baseline plus @dr regions and @dp pages (-1: any >= 0). */
static void expect(const char *step, long dr, long dp)
{
	long r, p;

	counts(&r, &p);
	if (r != r0 + dr || (dp >= 0 && p != p0 + dp) || (dp < 0 && p < p0))
		ktest_fail("%s: %ld regions / %ld pages registered, want %ld / %ld",
			   step, r, p, r0 + dr, dp >= 0 ? p0 + dp : -1);
}

static void *map(size_t len, int prot, int flags)
{
	void *p = mmap(NULL, len, prot, flags | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		ktest_fail("mmap %zu: %s", len, strerror(errno));
	memset(p, 0, (prot & PROT_WRITE) ? len : 0);
	return p;
}

static pthread_barrier_t bar;

static void *thread_main(void *arg)
{
	void **out = arg;

	*out = keep(malloc(100));
	pthread_barrier_wait(&bar);	/* main counts */
	pthread_barrier_wait(&bar);
	free(keep(*out));
	return NULL;
}

/* 80 MiB in 100 KiB blocks (a second 64 MiB heap), all freed again. */
static void *grow_and_shrink(void *arg)
{
	static void *p[800];
	int i;

	(void)arg;
	for (i = 0; i < 800; i++) {
		p[i] = keep(malloc(100 * KIB));
		if (!p[i])
			ktest_fail("malloc");
		memset(p[i], 1, 64);
	}
	for (i = 799; i >= 0; i--)
		free(keep(p[i]));
	return NULL;
}

static void *small(void *arg)
{
	(void)arg;
	free(keep(malloc(100)));
	return NULL;
}

static int under_shim(int argc, char **argv)
{
	const char *top = getenv("KTEST_TOP");
	char shim[4096];

	(void)argc;
	if (getenv("KP_TRACKING_CHILD"))
		return 1;
	snprintf(shim, sizeof(shim), "%s/build/lib/libksmdev-preload.so", top ? top : ".");
	if (access(shim, R_OK)) {
		printf("SKIP: %s is not built\n", shim);
		exit(KTEST_SKIP);
	}
	setenv("LD_PRELOAD", shim, 1);
	setenv("KP_TRACKING_CHILD", "1", 1);
	unsetenv("KSMDEV_PRELOAD_DISABLE");
	unsetenv("KSMDEV_DEVICE");
	setenv("KSMDEV_PRELOAD_MIN", "65536", 1);
	execv("/proc/self/exe", argv);
	ktest_fail("exec: %s", strerror(errno));
	return 0;
}

int main(int argc, char **argv)
{
	long r, p, before_r, before_p;
	char *a, *b, *c;
	void *m, *m2, *t_ptr;
	pthread_t th;
	size_t total;
	int own, st, i;
	pid_t pid;

	under_shim(argc, argv);
	devfd = ktest_open_dev();
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);	/* no dynamic threshold */
	counts(&r0, &p0);
	if (r0 < 1)
		ktest_fail("the shim registered nothing (not preloaded?): %ld regions", r0);
	ktest_info("baseline: %ld regions, %ld pages (brk coverage)", r0, p0);

	/* ---- the program's own mmap, munmap, mremap */
	a = map(MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	expect("mmap 1 MiB", 1, 256);
	if (munmap(a + 256 * KIB, 256 * KIB))
		ktest_fail("munmap middle");
	expect("munmap of the middle", 2, 192);
	if (munmap(a, 256 * KIB))
		ktest_fail("munmap head");
	expect("munmap of the head", 1, 128);
	b = mremap(a + 512 * KIB, 512 * KIB, 2 * MIB, MREMAP_MAYMOVE);
	if (b == MAP_FAILED)
		ktest_fail("mremap: %s", strerror(errno));
	expect("mremap to 2 MiB", 1, 512);
	b = mremap(b, 2 * MIB, MIB, 0);
	if (b == MAP_FAILED)
		ktest_fail("mremap shrink: %s", strerror(errno));
	expect("mremap shrink to 1 MiB", 1, 256);
	munmap(b, MIB);
	expect("munmap all", 0, 0);

	c = map(32 * KIB, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	expect("mmap 32 KiB (below KSMDEV_PRELOAD_MIN)", 0, 0);
	munmap(c, 32 * KIB);
	c = map(MIB, PROT_READ | PROT_WRITE, MAP_SHARED);
	expect("shared mmap", 0, 0);
	munmap(c, MIB);
	c = map(MIB, PROT_NONE, MAP_PRIVATE | MAP_NORESERVE);
	expect("PROT_NONE reservation", 1, 256);
	if (mmap(c + 256 * KIB, 256 * KIB, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
		ktest_fail("mmap MAP_FIXED: %s", strerror(errno));
	expect("MAP_FIXED inside a registered range", 1, 256);
	munmap(c, MIB);
	expect("munmap of the reservation", 0, 0);

	/* ---- glibc's mmapped chunks */
	m = keep(malloc(MIB));
	expect("malloc 1 MiB", 1, 257);
	free(keep(m));
	expect("free", 0, 0);
	m = keep(malloc(256 * KIB));
	memset(m, 7, 256 * KIB);
	expect("malloc 256 KiB", 1, 65);
	m2 = keep(realloc(m, 4 * MIB));
	if (!m2)
		ktest_fail("realloc");
	expect("realloc to 4 MiB", 1, 1025);
	for (i = 0; i < 256 * 1024; i++)
		if (((unsigned char *)m2)[i] != 7)
			ktest_fail("realloc lost data at %d", i);
	free(keep(m2));
	expect("free after realloc", 0, 0);
	m = keep(calloc(1, 3 * MIB));
	expect("calloc 3 MiB", 1, 769);
	free(keep(m));
	if (posix_memalign(&m, 64 * KIB, 2 * MIB))
		ktest_fail("posix_memalign");
	if ((uintptr_t)m % (64 * KIB))
		ktest_fail("posix_memalign: misaligned");
	expect("posix_memalign 2 MiB", 1, -1);
	free(keep(m));
	expect("free of the aligned block", 0, 0);

	/* ---- a thread arena heap */
	pthread_barrier_init(&bar, NULL, 2);
	if (pthread_create(&th, NULL, thread_main, &t_ptr))
		ktest_fail("pthread_create");
	pthread_barrier_wait(&bar);
	if (!(((size_t *)t_ptr)[-1] & 4))
		ktest_fail("the thread's block is not in a thread arena");
	expect("a thread's first malloc", 1, 16384);
	pthread_barrier_wait(&bar);
	pthread_join(th, NULL);
	counts(&r0, &p0);	/* the arena stays */

	/* ---- a heap glibc deletes goes when a thread next comes (<= 1/s) */
	if (pthread_create(&th, NULL, grow_and_shrink, NULL))
		ktest_fail("pthread_create");
	pthread_join(th, NULL);
	expect("a second heap of the arena, deleted by glibc but not yet seen", 1, 16384);
	usleep(1100 * 1000);
	if (pthread_create(&th, NULL, small, NULL))
		ktest_fail("pthread_create");
	pthread_join(th, NULL);
	expect("the deleted heap, seen by the next thread", 0, 0);

	/* ---- brk growth: 24 MiB in small blocks, few regions */
	for (total = 0; total < 24 * MIB; total += 1000) {
		char *s = keep(malloc(1000));

		memset(s, 1, 1000);
	}
	counts(&r, &p);
	if (p - p0 < (long)(24 * MIB / 4096) - 256 || r - r0 > 6)
		ktest_fail("brk growth of 24 MiB: %ld more regions, %ld more pages",
			   r - r0, p - p0);
	ktest_info("brk growth of 24 MiB: %ld more regions, %ld more pages", r - r0, p - p0);
	r0 = r;
	p0 = p;

	/* ---- the program registers memory itself: it wins */
	a = map(MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	expect("mmap before the program's own registration", 1, 256);
	own = ioctl(devfd, KSM_CREATE_SHARED_MEMORY_AREA, 0);
	if (own < 0)
		ktest_fail("create area");
	if (ktest_register(own, a, 256))
		ktest_fail("the program's own registration of a shim-registered range failed");
	counts(&r, &p);
	if (r != r0 + 1 || p != p0 + 256)	/* the program's region, not the shim's */
		ktest_fail("after the program's own registration: %ld / %ld, want %ld / %ld",
			   r, p, r0 + 1, p0 + 256);
	close(own);
	expect("the program's area closed", 0, 0);
	munmap(a, MIB);
	expect("munmap of the program's range", 0, 0);

	/*
	 * ---- fork: the child's own area holds everything again, made at
	 * its first allocation (it might change its user before)
	 */
	a = map(MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	counts(&before_r, &before_p);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		ktest_fail("fork");
	if (pid == 0) {
		counts(&r, &p);
		if (r || p) {
			fprintf(stderr, "child: %ld regions / %ld pages before its first allocation\n",
				r, p);
			_exit(4);
		}
		{
			/* volatile: the compiler must not drop the pair */
			void *volatile first = malloc(64);

			free(first);
		}
		counts(&r, &p);
		if (r != before_r || p != before_p) {
			fprintf(stderr, "child: %ld regions / %ld pages, parent had %ld / %ld\n",
				r, p, before_r, before_p);
			_exit(1);
		}
		if (munmap(a, MIB))
			_exit(2);
		counts(&r, &p);
		_exit(r == before_r - 1 && p == before_p - 256 ? 0 : 3);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
		ktest_fail("forked child: status 0x%x", st);
	counts(&r, &p);
	if (r != before_r || p != before_p)
		ktest_fail("parent after the fork: %ld / %ld, want %ld / %ld", r, p, before_r, before_p);
	ktest_info("fork: the child registered %ld regions / %ld pages of its own", before_r, before_p);
	munmap(a, MIB);
	ktest_info("PASS");
	return 0;
}

// SPDX-License-Identifier: GPL-2.0-only
/*
 * malloc-stress - a deterministic allocator workout for the preload tests.
 *
 *   malloc-stress [-t THREADS] [-n OPS] [-p PAUSE_MS] [-w FILE] [-s SEED]
 *
 * THREADS threads (default 4) each run OPS operations (default 3000)
 * chosen by their own PRNG on 64 slots: malloc, calloc, realloc (also to
 * 0 bytes and from NULL), reallocarray, posix_memalign, aligned_alloc,
 * memalign, valloc, pvalloc, free; anonymous mmap (above and below the
 * shim's 64 KiB threshold), mremap (moving and in place), munmap of the
 * head or the tail of a mapping, munmap; and rewriting a block.  Sizes run
 * from 1 byte to 1 MiB, so glibc serves blocks from the main arena, the
 * thread arenas and mmap.
 *
 * Every block holds a pattern that depends only on its seed and the
 * offset, repeating every 4 pages, from 8 seeds: many pages are identical
 * and merge while the program runs.  Each block is checked before it is
 * freed, moved or rewritten; new memory from calloc, mremap and mmap must
 * be zero; alignments are checked.  All words read go into a per-thread
 * checksum, so the output depends on nothing but the arguments:
 *
 *   thread T ops=N checksum=X errors=E
 *   total checksum=X errors=E
 *
 * Halfway (after OPS/2 operations) all threads stop for PAUSE_MS (default
 * 0), and with -w until FILE exists (it creates FILE.halfway then), with
 * their blocks live, so a running
 * scanner can merge them before the second half frees, moves and writes
 * merged pages.  Exit 0 if no error was found.
 */
#include <errno.h>
#include <inttypes.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define SLOTS	64
#define PG	4096UL

enum how { H_NONE, H_MALLOC, H_MMAP };

struct slot {
	unsigned char *p;
	size_t size;		/* bytes valid */
	size_t off;		/* pattern offset of p[0] */
	size_t maplen;		/* H_MMAP: mapped length */
	unsigned int seed;	/* pattern index */
	int how;
};

struct thr {
	pthread_t th;
	int id;
	uint64_t rng;
	uint64_t sum;
	unsigned long errors;
	struct slot s[SLOTS];
};

static long ops = 3000;
static long pause_ms;
static const char *wait_for;	/* -w: halfway, wait until this file exists */
static uint64_t seed0 = 1;
static pthread_barrier_t half, resume;

/* All threads and main meet halfway; main sleeps before letting go. */
static void halfway(void)
{
	pthread_barrier_wait(&half);
	pthread_barrier_wait(&resume);
}

static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static uint64_t rnd(struct thr *t)
{
	t->rng ^= t->rng << 13;
	t->rng ^= t->rng >> 7;
	t->rng ^= t->rng << 17;
	return t->rng;
}

static size_t rnd_range(struct thr *t, size_t lo, size_t hi)
{
	return lo + rnd(t) % (hi - lo + 1);
}

/* The 8 patterns: 4 pages each, from seed0 + k; block bytes repeat them. */
#define NPAT	8
#define PATLEN	(4 * PG)
static unsigned char patterns[NPAT][2 * PATLEN];

static void make_patterns(void)
{
	unsigned int k;
	size_t i;

	for (k = 0; k < NPAT; k++) {
		for (i = 0; i < PATLEN / 8; i++) {
			uint64_t w = mix((seed0 + k) * 4096 + i);

			memcpy(&patterns[k][i * 8], &w, 8);
		}
		memcpy(&patterns[k][PATLEN], patterns[k], PATLEN);
	}
}

/* Pattern bytes of block offsets [from, from + n) go to/come from @p. */
static void fill(struct slot *s, size_t from)
{
	size_t i = from;

	while (i < s->size) {
		size_t o = (s->off + i) % PATLEN, n = s->size - i;

		if (n > PATLEN)
			n = PATLEN;
		memcpy(s->p + i, &patterns[s->seed][o], n);
		i += n;
	}
}

static void add(struct thr *t, uint64_t v)
{
	t->sum = (t->sum ^ v) * 0x100000001b3ULL;
}

static void err(struct thr *t, const char *what, size_t at)
{
	if (t->errors++ < 10)
		fprintf(stderr, "thread %d: %s (offset %zu)\n", t->id, what, at);
}

/* Check bytes [0, n) of the block against its pattern; all go into the sum. */
static void verify(struct thr *t, struct slot *s, size_t n)
{
	uint64_t acc = 0, w;
	size_t i = 0;

	while (i < n) {
		size_t o = (s->off + i) % PATLEN, len = n - i, j;

		if (len > PATLEN)
			len = PATLEN;
		if (memcmp(s->p + i, &patterns[s->seed][o], len)) {
			err(t, "block corrupted", i);
			break;
		}
		for (j = 0; j + 8 <= len; j += 8) {
			memcpy(&w, s->p + i + j, 8);
			acc = acc * 0x9e3779b97f4a7c15ULL + w;
		}
		for (; j < len; j++)
			acc = acc * 31 + s->p[i + j];
		i += len;
	}
	add(t, acc);
	add(t, n);
}

static void zero_check(struct thr *t, const unsigned char *p, size_t from, size_t to)
{
	size_t i;

	for (i = from; i < to; i++) {
		if (p[i]) {
			err(t, "new memory is not zero", i);
			return;
		}
	}
	add(t, to - from);
}

static size_t pick_size(struct thr *t)
{
	unsigned int r = rnd(t) % 100;

	if (r < 55)
		return rnd_range(t, 1, 4096);
	if (r < 80)
		return rnd_range(t, 4097, 120 * 1024);
	return rnd_range(t, 128 * 1024, 640 * 1024);
}

static void release(struct thr *t, struct slot *s)
{
	if (s->how == H_NONE)
		return;
	verify(t, s, s->size);
	if (s->how == H_MMAP) {
		if (munmap(s->p, s->maplen))
			err(t, "munmap failed", 0);
	} else {
		free(s->p);
	}
	s->how = H_NONE;
	s->p = NULL;
}

static void alloc(struct thr *t, struct slot *s)
{
	size_t n = pick_size(t), align = 0;
	unsigned int kind = rnd(t) % 9;
	void *p = NULL;
	int zero = 0;

	s->seed = rnd(t) % NPAT;
	s->off = 0;
	s->how = H_MALLOC;
	switch (kind) {
	case 0:
		p = malloc(n);
		break;
	case 1:
		p = calloc(1 + n / 16, 16);
		n = (1 + n / 16) * 16;
		zero = 1;
		break;
	case 2:
		align = (size_t)8 << (rnd(t) % 10);
		if (posix_memalign(&p, align, n))
			p = NULL;
		break;
	case 3:
		align = (size_t)16 << (rnd(t) % 9);
		p = aligned_alloc(align, n);
		break;
	case 4:
		align = (size_t)16 << (rnd(t) % 12);
		p = memalign(align, n);
		break;
	case 5:
		align = PG;
		p = valloc(n);
		break;
	case 6:
		p = realloc(NULL, n);
		break;
	case 7:
		align = PG;
		p = pvalloc(n);
		break;
	case 8:
		/* mmap: half of them below the shim's default threshold */
		n = rnd(t) % 2 ? rnd_range(t, 1, 60 * 1024) : rnd_range(t, 64 * 1024, 1024 * 1024);
		s->maplen = (n + PG - 1) & ~(PG - 1);
		p = mmap(NULL, s->maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			p = NULL;
		s->how = H_MMAP;
		align = PG;
		zero = 1;
		break;
	}
	add(t, kind);
	add(t, n);
	if (!p) {
		err(t, "allocation failed", n);
		s->how = H_NONE;
		return;
	}
	if (align && (uintptr_t)p % align)
		err(t, "misaligned block", align);
	s->p = p;
	s->size = n;
	if (zero)
		zero_check(t, s->p, 0, n);
	fill(s, 0);
}

static void resize(struct thr *t, struct slot *s)
{
	size_t n = pick_size(t), keep;
	void *p;

	verify(t, s, s->size);
	if (s->how == H_MMAP) {
		size_t newlen = (n + PG - 1) & ~(PG - 1);
		int flags = rnd(t) % 4 ? MREMAP_MAYMOVE : 0;

		if (!flags && newlen > s->maplen)
			newlen = s->maplen;	/* in place: shrink only */
		if (!flags)
			n = newlen;
		p = mremap(s->p, s->maplen, newlen, flags);
		if (p == MAP_FAILED) {
			err(t, "mremap failed", newlen);
			return;
		}
		keep = n < s->size ? n : s->size;
		s->p = p;
		if (newlen > s->maplen)		/* new pages are zero */
			zero_check(t, s->p, s->maplen, newlen);
		s->maplen = newlen;
	} else if (rnd(t) % 16 == 0) {
		p = realloc(s->p, 0);		/* glibc: frees, returns NULL */
		add(t, p == NULL);
		if (p)
			free(p);
		s->how = H_NONE;
		s->p = NULL;
		return;
	} else {
		p = rnd(t) % 4 ? realloc(s->p, n) : reallocarray(s->p, n, 1);
		if (!p) {
			err(t, "realloc failed", n);
			return;
		}
		keep = n < s->size ? n : s->size;
		s->p = p;
	}
	s->size = keep;
	verify(t, s, keep);
	s->size = n;
	fill(s, keep);
}

/* munmap the first or the last pages of a mapping. */
static void trim(struct thr *t, struct slot *s)
{
	size_t pages = s->maplen / PG, cut;

	if (pages < 2)
		return;
	cut = PG * rnd_range(t, 1, pages - 1);
	verify(t, s, s->size);
	if (rnd(t) % 2) {
		if (munmap(s->p, cut))
			err(t, "munmap head failed", cut);
		s->p += cut;
		s->off += cut;
		s->size = s->size > cut ? s->size - cut : 0;
	} else {
		if (munmap(s->p + s->maplen - cut, cut))
			err(t, "munmap tail failed", cut);
		if (s->size > s->maplen - cut)
			s->size = s->maplen - cut;
	}
	s->maplen -= cut;
	verify(t, s, s->size);
}

static void *run(void *arg)
{
	struct thr *t = arg;
	long i;
	int k;

	for (i = 0; i < ops; i++) {
		struct slot *s = &t->s[rnd(t) % SLOTS];
		unsigned int op = rnd(t) % 10;

		if (i == ops / 2)
			halfway();
		add(t, op);
		if (s->how == H_NONE) {
			alloc(t, s);
		} else if (op < 3) {
			release(t, s);
		} else if (op < 6) {
			resize(t, s);
		} else if (op < 7 && s->how == H_MMAP) {
			trim(t, s);
		} else {
			verify(t, s, s->size);
			s->seed = rnd(t) % NPAT;
			fill(s, 0);
		}
	}
	if (ops == 0)
		halfway();
	for (k = 0; k < SLOTS; k++)
		release(t, &t->s[k]);
	return NULL;
}

int main(int argc, char **argv)
{
	static struct thr thr[64];
	int nthreads = 4, opt, i;
	uint64_t total = 0;
	unsigned long errors = 0;

	while ((opt = getopt(argc, argv, "t:n:p:w:s:")) != -1) {
		switch (opt) {
		case 't': nthreads = atoi(optarg); break;
		case 'n': ops = atol(optarg); break;
		case 'p': pause_ms = atol(optarg); break;
		case 'w': wait_for = optarg; break;
		case 's': seed0 = strtoull(optarg, NULL, 0); break;
		default:
			fprintf(stderr, "usage: malloc-stress [-t THREADS] [-n OPS] [-p PAUSE_MS] [-w FILE] [-s SEED]\n");
			return 2;
		}
	}
	if (nthreads < 1 || nthreads > 64 || ops < 0)
		return 2;
	make_patterns();
	pthread_barrier_init(&half, NULL, (unsigned int)nthreads + 1);
	pthread_barrier_init(&resume, NULL, (unsigned int)nthreads + 1);
	for (i = 0; i < nthreads; i++) {
		thr[i].id = i;
		thr[i].rng = mix(seed0 * 1000 + (uint64_t)i) | 1;
		thr[i].sum = 0xcbf29ce484222325ULL;
		if (pthread_create(&thr[i].th, NULL, run, &thr[i])) {
			fprintf(stderr, "malloc-stress: pthread_create failed\n");
			return 2;
		}
	}
	pthread_barrier_wait(&half);
	if (pause_ms) {
		struct timespec ts = { pause_ms / 1000, (pause_ms % 1000) * 1000000 };

		while (nanosleep(&ts, &ts) && errno == EINTR)
			;
	}
	if (wait_for) {
		char here[4096];
		FILE *f;

		snprintf(here, sizeof(here), "%s.halfway", wait_for);
		f = fopen(here, "w");
		if (f)
			fclose(f);
		while (access(wait_for, F_OK))
			usleep(10000);
	}
	pthread_barrier_wait(&resume);
	for (i = 0; i < nthreads; i++) {
		pthread_join(thr[i].th, NULL);
		printf("thread %d ops=%ld checksum=%016" PRIx64 " errors=%lu\n", i, ops,
		       thr[i].sum, thr[i].errors);
		total = (total ^ thr[i].sum) * 0x100000001b3ULL;
		errors += thr[i].errors;
	}
	printf("total checksum=%016" PRIx64 " errors=%lu\n", total, errors);
	return errors ? 1 : 0;
}

// SPDX-License-Identifier: GPL-2.0-only
/*
 * arena-builder - an ordinary program (no ksmdev code) for the preload
 * tests: the main thread and THREADS threads each build the same linked
 * list of small malloc'd nodes, MIB MiB each, then it waits for SIGUSR1,
 * checks every list, rewrites every node (copy-on-write of merged pages),
 * checks again and exits 0 only if all data was intact.
 *
 *   arena-builder [-t THREADS] [-m MIB] [-f INIT_MIB]
 *
 * Nodes are 256-byte chunks (malloc(240)), far below the mmap threshold,
 * so the main thread's list lives in the main arena (brk) and each
 * thread's in its own thread arena.  Links are stored as offsets from the
 * list's first node and node contents depend only on their index, so two
 * runs of the program (or two threads, whose arenas have the same layout)
 * produce byte-identical pages whatever the addresses: the pages merge.
 *
 * -f: build an INIT_MIB list first, then fork(); parent and child then
 * both build the full data (the same allocation sequence from the same
 * heap state, so the same addresses), wait for SIGUSR1 and check; the
 * parent exits non-zero if the child failed.
 *
 * -w WORKERS: fork that many children (who=worker0, worker1, ...) instead
 * of one (who=child).  -u UID: each child becomes user UID (no groups)
 * right after fork, as a server's worker does; with -e the odd-numbered
 * ones first allocate and fill a 1 MiB block (an mmapped chunk, which
 * the shim registers while they are still the parent's user) and keep it
 * to the end, when it is checked too.
 *
 * Prints "READY pid=P lists=L nodes=N node_bytes=B first=0x..." per list
 * holder (the main thread) once built; stdout is flushed.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/wait.h>
#include <unistd.h>

#define NODE_REQ	240			/* chunk of 256 bytes */
#define WORDS		((NODE_REQ - 16) / 8)

struct node {
	int64_t next;		/* offset of the next node from the first, 0 = end */
	uint64_t idx;
	uint64_t w[WORDS];
};

struct list {
	struct node *first;
	size_t n;
	pthread_t th;
};

static size_t nodes_per_list;
static pthread_barrier_t built;

static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static void fill(struct node *n, uint64_t idx, uint64_t gen)
{
	unsigned int k;

	n->idx = idx;
	for (k = 0; k < WORDS; k++)
		n->w[k] = mix(idx * WORDS + k + gen);
}

static void build(struct list *l, size_t count)
{
	struct node *prev = NULL;
	size_t i;

	l->first = NULL;
	l->n = count;
	for (i = 0; i < count; i++) {
		struct node *n = malloc(NODE_REQ);

		if (!n) {
			fprintf(stderr, "arena-builder: out of memory\n");
			exit(3);
		}
		fill(n, i, 0);
		n->next = 0;
		if (prev)
			prev->next = (char *)n - (char *)l->first;
		else
			l->first = n;
		prev = n;
	}
}

/* Walk @l checking contents of generation @gen; rewrite to @regen if set. */
static size_t check(const struct list *l, uint64_t gen, int rewrite, uint64_t regen)
{
	struct node *n = l->first;
	size_t i = 0, bad = 0;
	unsigned int k;

	while (n) {
		int ok = n->idx == i;

		for (k = 0; k < WORDS && ok; k++)
			ok = n->w[k] == mix(i * WORDS + k + gen);
		bad += !ok;
		if (rewrite)
			fill(n, i, regen);
		i++;
		n = n->next ? (struct node *)((char *)l->first + n->next) : NULL;
	}
	if (i != l->n)
		bad += 1 + (i > l->n ? i - l->n : l->n - i);
	return bad;
}

static void *thread_main(void *arg)
{
	struct list *l = arg;

	build(l, nodes_per_list);
	/* Stay alive until all are built: no thread may take over the
	 * arena of one that exited. */
	pthread_barrier_wait(&built);
	return NULL;
}

static int run(int nthreads, const char *who)
{
	struct list *lists = calloc((size_t)nthreads + 1, sizeof(*lists));
	sigset_t set;
	size_t bad = 0;
	int i, sig;

	if (!lists)
		return 3;
	pthread_barrier_init(&built, NULL, (unsigned int)nthreads + 1);
	for (i = 1; i <= nthreads; i++) {
		if (pthread_create(&lists[i].th, NULL, thread_main, &lists[i])) {
			fprintf(stderr, "arena-builder: pthread_create failed\n");
			return 3;
		}
	}
	build(&lists[0], nodes_per_list);
	pthread_barrier_wait(&built);
	for (i = 1; i <= nthreads; i++)
		pthread_join(lists[i].th, NULL);
	printf("READY pid=%d who=%s lists=%d nodes=%zu node_bytes=256 first=%p\n",
	       (int)getpid(), who, nthreads + 1, nodes_per_list, (void *)lists[0].first);
	for (i = 1; i <= nthreads; i++)
		printf("LIST pid=%d thread=%d first=%p\n", (int)getpid(), i,
		       (void *)lists[i].first);
	fflush(stdout);

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	if (sigwait(&set, &sig))
		return 3;
	for (i = 0; i <= nthreads; i++)
		bad += check(&lists[i], 0, 1, 1);
	for (i = 0; i <= nthreads; i++)
		bad += check(&lists[i], 1, 0, 0);
	printf("CHECKED pid=%d who=%s bad_nodes=%zu\n", (int)getpid(), who, bad);
	fflush(stdout);
	return bad ? 1 : 0;
}

#define EARLY_BYTES	(1024 * 1024)

/* A forked child: change user as asked, build, check. */
static int child_main(int k, int nthreads, const char *who, long uid, int early,
		      struct list *init)
{
	unsigned char *block = NULL;
	size_t bad = 0;
	int rc;

	if (early && k % 2) {
		block = malloc(EARLY_BYTES);
		if (!block)
			return 3;
		memset(block, 0xa0 + k, EARLY_BYTES);
	}
	if (uid >= 0 && (setgroups(0, NULL) || setresgid((gid_t)uid, (gid_t)uid, (gid_t)uid) ||
			 setresuid((uid_t)uid, (uid_t)uid, (uid_t)uid))) {
		perror("arena-builder: change user");
		return 3;
	}
	rc = run(nthreads, who);
	if (check(init, 0, 0, 0))
		rc = 1;
	for (size_t i = 0; block && i < EARLY_BYTES; i++)
		bad += block[i] != 0xa0 + k;
	if (bad) {
		fprintf(stderr, "arena-builder: %s: %zu bytes of its early block changed\n", who, bad);
		rc = 1;
	}
	return rc;
}

int main(int argc, char **argv)
{
	int nthreads = 8, mib = 4, init_mib = -1, workers = 0, early = 0, opt, rc, k;
	long uid = -1;
	struct list init;
	pid_t child[16];
	char who[16];
	sigset_t set;

	while ((opt = getopt(argc, argv, "t:m:f:w:u:e")) != -1) {
		switch (opt) {
		case 't': nthreads = atoi(optarg); break;
		case 'm': mib = atoi(optarg); break;
		case 'f': init_mib = atoi(optarg); break;
		case 'w': workers = atoi(optarg); break;
		case 'u': uid = atol(optarg); break;
		case 'e': early = 1; break;
		default:
			fprintf(stderr, "usage: arena-builder [-t THREADS] [-m MIB] [-f INIT_MIB [-w WORKERS] [-u UID [-e]]]\n");
			return 2;
		}
	}
	if (nthreads < 0 || nthreads > 64 || mib < 1 || mib > 60 || workers < 0 || workers > 16)
		return 2;
	nodes_per_list = (size_t)mib * 1024 * 1024 / 256;

	/* SIGUSR1 is taken with sigwait(); every thread inherits the mask. */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	if (init_mib < 0)
		return run(nthreads, "main");

	build(&init, (size_t)init_mib * 1024 * 1024 / 256);
	fflush(stdout);
	for (k = 0; k < (workers ? workers : 1); k++) {
		if (workers)
			snprintf(who, sizeof(who), "worker%d", k);
		else
			snprintf(who, sizeof(who), "child");
		child[k] = fork();
		if (child[k] < 0) {
			perror("arena-builder: fork");
			return 3;
		}
		if (child[k] == 0)
			return child_main(k, nthreads, who, uid, early, &init);
	}
	rc = run(nthreads, "parent");
	if (check(&init, 0, 0, 0))
		rc = 1;
	for (k = 0; k < (workers ? workers : 1); k++) {
		int st;

		if (waitpid(child[k], &st, 0) != child[k] || !WIFEXITED(st) || WEXITSTATUS(st)) {
			fprintf(stderr, "arena-builder: child %d failed (status 0x%x)\n", k, st);
			rc = 1;
		}
	}
	return rc;
}

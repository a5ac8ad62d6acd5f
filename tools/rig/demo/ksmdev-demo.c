// SPDX-License-Identifier: GPL-2.0-only
/*
 * ksmdev-demo - what `make demo` runs in the guest: several processes hold
 * the same data (think: one dataset loaded by every worker), register it
 * through /dev/ksm, and the driver merges it.  Prints the savings, then
 * shows that a write gives the writer its own copy.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <ksmdev.h>

#define WORKERS		4
#define DATA_MIB	8
#define OWN_MIB		1

static void fill(unsigned char *p, size_t len, unsigned int seed)
{
	for (size_t i = 0; i < len; i += 8) {
		unsigned long long v = (i / 8 + 1) * 0x9e3779b97f4a7c15ULL ^ seed;

		memcpy(p + i, &v, 8);
	}
}

static int worker(int id, int go_fd)
{
	size_t data = DATA_MIB << 20, own = OWN_MIB << 20;
	unsigned char *p = mmap(NULL, data + own, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned char *check;
	int dev, area, ret;
	char c;

	if (p == MAP_FAILED)
		return 1;
	fill(p, data, 42);		/* shared dataset */
	fill(p + data, own, 1000 + id);	/* this worker's own data */
	dev = ksmdev_open(NULL);
	area = dev < 0 ? dev : ksmdev_area_create(dev);
	ret = area < 0 ? area : ksmdev_register(area, p, data + own);
	if (ret < 0) {
		fprintf(stderr, "worker %d: %s\n", id, ksmdev_strerror(ret));
		return 1;
	}
	/* Wait until the parent says the demo is over, then verify. */
	if (read(go_fd, &c, 1) < 0)
		return 1;
	check = malloc(data);
	fill(check, data, 42);
	if (memcmp(p, check, data)) {
		fprintf(stderr, "worker %d: data corrupted!\n", id);
		return 1;
	}
	if (id == 0) {
		p[0] ^= 1;	/* a write: copy-on-write, the others keep theirs */
		p[0] ^= 1;
	}
	return memcmp(p, check, data) != 0;
}

int main(void)
{
	int dev = ksmdev_open(NULL), pipefd[2], i, ret, status, bad = 0;
	struct ksm_stats st;
	pid_t pid[WORKERS];
	struct timespec t0, t1;

	if (dev < 0) {
		fprintf(stderr, "ksmdev-demo: /dev/ksm: %s\n", ksmdev_strerror(dev));
		return 1;
	}
	printf("ksmdev demo: %d processes, each with %d MiB of the same data and %d MiB of its own\n",
	       WORKERS, DATA_MIB, OWN_MIB);
	if (pipe(pipefd))
		return 1;
	for (i = 0; i < WORKERS; i++) {
		pid[i] = fork();
		if (pid[i] == 0) {
			close(pipefd[1]);
			_exit(worker(i, pipefd[0]));
		}
	}
	close(pipefd[0]);
	do {
		usleep(100000);
		ksmdev_stats(dev, &st);
	} while (st.regions < WORKERS);
	printf("registered: %llu regions, %d MiB in all\n", (unsigned long long)st.regions,
	       WORKERS * (DATA_MIB + OWN_MIB));

	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = ksmdev_scanner_start(dev, 4096, 1000);
	if (ret < 0) {
		fprintf(stderr, "ksmdev-demo: start scanner: %s\n", ksmdev_strerror(ret));
		return 1;
	}
	for (i = 0; i < 300; i++) {
		usleep(200000);
		ksmdev_stats(dev, &st);
		printf("  after %2llu full scans: %5llu KSM pages shared by %6llu mappings, %6.1f MiB saved\n",
		       (unsigned long long)st.full_scans, (unsigned long long)st.pages_shared,
		       (unsigned long long)st.pages_merged, ksmdev_bytes_saved(&st) / 1048576.0);
		if (st.pages_sharing >= (WORKERS - 1) * (DATA_MIB << 8) && st.full_scans >= 2)
			break;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("merged: %.1f MiB of %d MiB saved in %.1f s (emulated CPU); the %d MiB each process owns stays its own\n",
	       ksmdev_bytes_saved(&st) / 1048576.0, WORKERS * (DATA_MIB + OWN_MIB),
	       (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9, OWN_MIB);
	close(pipefd[1]);	/* workers verify their bytes and write */
	for (i = 0; i < WORKERS; i++) {
		waitpid(pid[i], &status, 0);
		bad |= !WIFEXITED(status) || WEXITSTATUS(status);
	}
	ksmdev_scanner_stop(dev);
	printf("%s\n", bad ? "FAILED: a worker saw wrong data" :
	       "every worker verified its data byte for byte; a write gave the writer its own copy");
	ksmdev_stats(dev, &st);
	printf("after the workers exited: %llu regions, %llu KSM pages left\n",
	       (unsigned long long)st.regions, (unsigned long long)st.pages_shared);
	return bad;
}

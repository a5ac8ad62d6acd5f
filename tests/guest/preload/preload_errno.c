// SPDX-License-Identifier: GPL-2.0-only
/*
 * preload_errno - the shim leaves errno and return values as glibc would.
 *
 * The same sequence of calls runs twice in child processes, without and
 * with LD_PRELOAD=libksmdev-preload.so; each step prints its result and
 * errno (set to a sentinel before every call); the two transcripts must
 * be identical.  The steps succeed and fail in the ways the shim treats
 * differently: small and mmapped malloc blocks, calloc, realloc growing,
 * shrinking and to 0, an impossible malloc (ENOMEM), posix_memalign with
 * a bad alignment (EINVAL), aligned_alloc, memalign, valloc, pvalloc, mmap
 * above and below the threshold, munmap of part and of nothing (EINVAL),
 * mremap, a thread's first malloc (a new arena heap), and an mmap at an
 * address the program registered itself beforehand, where the shim's own
 * registration fails with EEXIST inside the call.
 */
#include <errno.h>
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

#define SENTINEL 4242
#define MIB (1024UL * 1024)

static void *volatile sink;
/* Held by the main thread until it has printed "pthread_create". */
static pthread_mutex_t thread_go = PTHREAD_MUTEX_INITIALIZER;

#define STEP(name, expr) do {						\
	long _r;							\
	errno = SENTINEL;						\
	_r = (long)(expr);						\
	printf("%-28s %s errno=%d\n", name,				\
	       _r == 0 ? "zero" : _r == -1 ? "minus-one" : "value", errno); \
} while (0)

static void *keep(void *p)
{
	sink = p;
	return sink;
}

static void *thread_main(void *arg)
{
	(void)arg;
	/* The transcript's order must not depend on which thread runs first. */
	pthread_mutex_lock(&thread_go);
	pthread_mutex_unlock(&thread_go);
	STEP("thread: malloc", keep(malloc(100)) != NULL);
	STEP("thread: malloc 1 MiB", keep(malloc(MIB)) != NULL);
	return NULL;
}

static void sequence(void)
{
	void *p, *q, *r = NULL;
	char *m;
	pthread_t th;
	int dev, own;

	STEP("malloc 100", (p = keep(malloc(100))) != NULL);
	STEP("malloc 1 MiB", (q = keep(malloc(MIB))) != NULL);
	STEP("free 100", (free(keep(p)), 0));
	STEP("free 1 MiB", (free(keep(q)), 0));
	STEP("calloc 300 KiB", (p = keep(calloc(3, 100 * 1024))) != NULL);
	STEP("realloc to 2 MiB", (p = keep(realloc(p, 2 * MIB))) != NULL);
	STEP("realloc to 10", (p = keep(realloc(p, 10))) != NULL);
	STEP("realloc to 0", keep(realloc(p, 0)) != NULL);
	STEP("malloc huge", keep(malloc(SIZE_MAX / 2)) != NULL);
	STEP("realloc NULL huge", keep(realloc(NULL, SIZE_MAX / 2)) != NULL);
	STEP("posix_memalign bad", posix_memalign(&r, 3, 10));
	STEP("posix_memalign 64K 1 MiB", posix_memalign(&r, 65536, MIB));
	STEP("free aligned", (free(keep(r)), 0));
	STEP("aligned_alloc", keep(aligned_alloc(4096, 200 * 1024)) != NULL);
	STEP("memalign", keep(memalign(256, 100)) != NULL);
	STEP("valloc", keep(valloc(300 * 1024)) != NULL);
	STEP("pvalloc", keep(pvalloc(1)) != NULL);
	STEP("mmap 1 MiB", (m = mmap(NULL, MIB, PROT_READ | PROT_WRITE,
				     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)) != MAP_FAILED);
	STEP("mmap 4 KiB", mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) != MAP_FAILED);
	STEP("mmap bad fd", mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, 12345, 0) != MAP_FAILED);
	STEP("munmap middle", munmap(m + 256 * 1024, 256 * 1024));
	STEP("munmap unaligned", munmap(m + 1, 4096));
	STEP("mremap grow", (m = mremap(m, 256 * 1024, 2 * MIB, MREMAP_MAYMOVE)) != MAP_FAILED);
	STEP("mremap bad", mremap(m, 4096, 8192, 0x7000) != MAP_FAILED);
	STEP("munmap", munmap(m, 2 * MIB));
	pthread_mutex_lock(&thread_go);
	STEP("pthread_create", pthread_create(&th, NULL, thread_main, NULL));
	fflush(stdout);
	pthread_mutex_unlock(&thread_go);
	STEP("pthread_join", pthread_join(th, NULL));

	/* The program registers a range itself, then maps memory there. */
	dev = open("/dev/ksm", O_RDWR | O_CLOEXEC);
	own = ioctl(dev, KSM_CREATE_SHARED_MEMORY_AREA, 0);
	m = mmap(NULL, 4 * MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (dev < 0 || own < 0 || m == MAP_FAILED || ktest_register(own, m, 1024))
		ktest_fail("own registration");
	munmap(m, 4 * MIB);
	STEP("mmap over own region", mmap(m, MIB, PROT_READ | PROT_WRITE,
					  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
					  -1, 0) != MAP_FAILED);
	STEP("own register again", ktest_register(own, m, 256));
	close(own);
	close(dev);
	fflush(stdout);
}

/* Run this program as @mode (plain or shim) and read its transcript. */
static void transcript(const char *mode, const char *shim, char *out, size_t len, char **argv)
{
	int fd[2], st;
	size_t n = 0;
	ssize_t r;
	pid_t pid;

	if (pipe(fd))
		ktest_fail("pipe");
	pid = fork();
	if (pid == 0) {
		dup2(fd[1], 1);
		close(fd[0]);
		setenv("KP_ERRNO_MODE", mode, 1);
		if (!strcmp(mode, "shim"))
			setenv("LD_PRELOAD", shim, 1);
		else
			unsetenv("LD_PRELOAD");
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	close(fd[1]);
	while (n < len - 1 && (r = read(fd[0], out + n, len - 1 - n)) > 0)
		n += (size_t)r;
	out[n] = 0;
	close(fd[0]);
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
		ktest_fail("%s run: status 0x%x; output:\n%s", mode, st, out);
}

int main(int argc, char **argv)
{
	static char plain[8192], shimmed[8192];
	const char *top = getenv("KTEST_TOP");
	char shim[4096];

	(void)argc;
	if (getenv("KP_ERRNO_MODE")) {
		sequence();
		return 0;
	}
	snprintf(shim, sizeof(shim), "%s/build/lib/libksmdev-preload.so", top ? top : ".");
	if (access(shim, R_OK)) {
		printf("SKIP: %s is not built\n", shim);
		return KTEST_SKIP;
	}
	unsetenv("KSMDEV_PRELOAD_DISABLE");
	unsetenv("KSMDEV_PRELOAD_DEBUG");
	unsetenv("KSMDEV_DEVICE");
	transcript("plain", shim, plain, sizeof(plain), argv);
	transcript("shim", shim, shimmed, sizeof(shimmed), argv);
	fputs(plain, stdout);
	if (strcmp(plain, shimmed))
		ktest_fail("with the shim the transcript differs:\n%s", shimmed);
	ktest_info("with the shim: the same results and errno values");
	return 0;
}

// SPDX-License-Identifier: GPL-2.0-only
/*
 * ksmdev-bench - ksmdev against in-kernel KSM, same guest boot, same
 * workload, same scan settings, one after the other with full cleanup in
 * between.  Runs as root in the guest (make bench).
 *
 *   W1 merge throughput: 100 MiB of identical pages, pages_to_scan = all,
 *      no sleep; time until every page is merged -> MiB/s.
 *   W2 convergence: full scans until those pages are merged.
 *   W3 cost on unique memory: 256 MiB of random pages, equal scan rate;
 *      scanner thread CPU (utime+stime) per GiB scanned.
 *   W4 mixed: 8 processes x 32 MiB, half duplicated across processes, a
 *      tenth rewritten continuously; pages saved over time and CPU.
 *   W5 COW break: write every merged page of W1; time.
 *   W6 unmerge: remove the region / MADV_UNMERGEABLE; time.
 *   W1, W5 and W6 run five rounds, alternating which system goes first;
 *   the table shows the medians.
 *   W7 synchronous merge (ksmdev only): W1's memory by KSM_MERGE_NOW.
 *   W8 fork-shared pass (ksmdev only): 1024 unique pages shared through
 *      fork by K = 16 and K = 64 children that each registered them;
 *      seconds per full pass, and their ratio (4 is linear in K).
 *   Smart scanning before/after (full mode): ksmdev's W3 and W4 again with
 *   smart_scan=1 (it is off by default).
 *
 * Usage: ksmdev-bench [all|quick|w1|w8].  quick leaves out W3 and the
 * smart-scanning runs and shortens W4; w1 runs only the W1/W5/W6 rounds
 * and prints the W1 medians and their ratio (for work on the merge path);
 * w8 only the fork-shared passes.
 *
 * Output: a table on stdout, one "BENCHJSON {...}" line with every figure,
 * and "W4SERIES system t saved" lines for the plot.  Pages are 4 KiB, THP
 * is disabled on the workload memory for both systems (MADV_NOHUGEPAGE).
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <ksmdev.h>

#define PAGE		4096UL
#define MIB		(1024UL * 1024)
#define W1_REPS		5	/* rounds of W1/W5/W6; medians reported */

enum sys { KSM, DEV };
static const char *sys_name[] = { "ksm", "ksmdev" };
static int dev_fd = -1;
static double w4_seconds = 20;

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "ksmdev-bench: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* ------------------------------------------------------------ in-kernel KSM */

static void ksm_write(const char *name, unsigned long v)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/mm/ksm/%s", name);
	f = fopen(path, "w");
	if (!f || fprintf(f, "%lu\n", v) < 0 || fclose(f))
		die("write %s: %s", path, strerror(errno));
}

static unsigned long read_ulong(const char *path)
{
	unsigned long v = 0;
	FILE *f = fopen(path, "r");

	if (!f || fscanf(f, "%lu", &v) != 1)
		die("read %s", path);
	fclose(f);
	return v;
}

static unsigned long ksm_read(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/kernel/mm/ksm/%s", name);
	return read_ulong(path);
}

/* ------------------------------------------------------------ common view */

struct snap {
	unsigned long shared, sharing, full_scans;
};

static struct snap snap(enum sys s)
{
	struct snap r;

	if (s == KSM) {
		r.shared = ksm_read("pages_shared");
		r.sharing = ksm_read("pages_sharing");
		r.full_scans = ksm_read("full_scans");
	} else {
		struct ksm_stats st;

		if (ksmdev_stats(dev_fd, &st) < 0)
			die("ksmdev stats");
		r.shared = st.pages_shared;
		r.sharing = st.pages_sharing;
		r.full_scans = st.full_scans;
	}
	return r;
}

static void scanner(enum sys s, unsigned int pages, unsigned int sleep_ms, int run)
{
	if (s == KSM) {
		if (run) {
			ksm_write("pages_to_scan", pages);
			ksm_write("sleep_millisecs", sleep_ms);
			ksm_write("run", 1);
		} else {
			ksm_write("run", 0);
		}
	} else {
		int ret = run ? ksmdev_scanner_start(dev_fd, pages, sleep_ms * 1000)
			      : ksmdev_scanner_stop(dev_fd);

		if (ret < 0)
			die("scanner: %s", ksmdev_strerror(ret));
	}
}

/* utime + stime of the scanner thread, seconds. */
static double thread_cpu(enum sys s)
{
	const char *want = s == KSM ? "ksmd" : "ksmdevd";
	DIR *d = opendir("/proc");
	struct dirent *e;
	double cpu = -1;

	while (d && (e = readdir(d))) {
		char path[300], buf[1024], *p;
		unsigned long ut, st;
		FILE *f;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (!fgets(buf, sizeof(buf), f)) {
			fclose(f);
			continue;
		}
		fclose(f);
		p = strchr(buf, '(');
		if (!p || strncmp(p + 1, want, strlen(want)) || p[1 + strlen(want)] != ')')
			continue;
		p = strrchr(buf, ')');
		/* fields after comm: state(3) ... utime(14) stime(15) */
		if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
			   &ut, &st) == 2)
			cpu = (ut + st) / (double)sysconf(_SC_CLK_TCK);
		break;
	}
	if (d)
		closedir(d);
	if (cpu < 0)
		die("no %s thread", want);
	return cpu;
}

/* Memory given to one system: mergeable (KSM) or registered (ksmdev). */
struct region {
	char *p;
	size_t len;
	int area;
};

static struct region region_map(size_t len)
{
	struct region r = { .len = len, .area = -1 };

	r.p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r.p == MAP_FAILED)
		die("mmap %zu: %s", len, strerror(errno));
	madvise(r.p, len, MADV_NOHUGEPAGE);
	return r;
}

static void region_enable(enum sys s, struct region *r)
{
	if (s == KSM) {
		if (madvise(r->p, r->len, MADV_MERGEABLE))
			die("MADV_MERGEABLE: %s", strerror(errno));
	} else {
		int ret;

		r->area = ksmdev_area_create(dev_fd);
		if (r->area < 0)
			die("area: %s", ksmdev_strerror(r->area));
		ret = ksmdev_register(r->area, r->p, r->len);
		if (ret < 0)
			die("register: %s", ksmdev_strerror(ret));
	}
}

static double region_disable(enum sys s, struct region *r)
{
	double t0 = now();

	if (s == KSM) {
		if (madvise(r->p, r->len, MADV_UNMERGEABLE))
			die("MADV_UNMERGEABLE: %s", strerror(errno));
	} else {
		int ret = ksmdev_unregister(r->area, r->p, r->len);

		if (ret < 0)
			die("unregister: %s", ksmdev_strerror(ret));
		ksmdev_area_destroy(r->area);
	}
	return now() - t0;
}

static void cleanup(enum sys s)
{
	if (s == KSM) {
		ksm_write("run", 2);	/* unmerge everything */
		ksm_write("run", 0);
	} else {
		ksmdev_scanner_stop(dev_fd);
	}
}

static unsigned long long rng_state = 88172645463325252ULL;

static unsigned long long rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* ------------------------------------------------------------ W1 W2 W5 W6 */

struct w1 {
	double mibs, seconds, cow_seconds, unmerge_seconds;
	unsigned long scans;
};

static struct w1 run_w1(enum sys s)
{
	const size_t len = 100 * MIB;
	const unsigned long npages = len / PAGE;
	struct region r = region_map(len);
	struct w1 res;
	struct snap a, b;
	double t0;

	memset(r.p, 0x5a, len);
	region_enable(s, &r);
	a = snap(s);
	t0 = now();
	scanner(s, npages, 0, 1);
	do {
		usleep(2000);
		b = snap(s);
		if (now() - t0 > 300)
			die("W1 %s: not merged after 300 s", sys_name[s]);
	} while (b.shared + b.sharing < npages);
	res.seconds = now() - t0;
	scanner(s, npages, 0, 0);
	res.mibs = 100 / res.seconds;

	/* W5: write every merged page. */
	t0 = now();
	for (size_t off = 0; off < len; off += PAGE)
		r.p[off] = 1;
	res.cow_seconds = now() - t0;

	/*
	 * W6: merge again, then unmerge.  Both systems notice copy-on-write
	 * breaks only when they scan again: wait for two fresh passes.
	 */
	memset(r.p, 0x5a, len);
	a = snap(s);
	scanner(s, npages, 0, 1);
	t0 = now();
	do {
		usleep(2000);
		b = snap(s);
		if (now() - t0 > 300)
			die("W6 %s: not merged again", sys_name[s]);
	} while (b.shared + b.sharing < npages || b.full_scans < a.full_scans + 2);
	scanner(s, npages, 0, 0);
	res.unmerge_seconds = region_disable(s, &r);
	for (size_t off = 0; off < len; off += PAGE)
		if (r.p[off] != 0x5a)
			die("W6 %s: wrong byte after unmerge", sys_name[s]);
	munmap(r.p, len);
	cleanup(s);
	return res;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median_of(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Median over the rounds of each W1/W5/W6 figure of system @s. */
static struct w1 w1_median(struct w1 rounds[][2], enum sys s)
{
	double mibs[W1_REPS], secs[W1_REPS], cow[W1_REPS], unm[W1_REPS];
	struct w1 r = { 0 };

	for (int i = 0; i < W1_REPS; i++) {
		mibs[i] = rounds[i][s].mibs;
		secs[i] = rounds[i][s].seconds;
		cow[i] = rounds[i][s].cow_seconds;
		unm[i] = rounds[i][s].unmerge_seconds;
		fprintf(stderr, "  %s round %d: W1 %.1f MiB/s, W5 %.3f s, W6 %.3f s\n",
			sys_name[s], i + 1, mibs[i], cow[i], unm[i]);
	}
	r.mibs = median_of(mibs, W1_REPS);
	r.seconds = median_of(secs, W1_REPS);
	r.cow_seconds = median_of(cow, W1_REPS);
	r.unmerge_seconds = median_of(unm, W1_REPS);
	return r;
}

/*
 * W2: batches of exactly one pass with a pause after each, so the pass in
 * which merging completed is known: completed passes + 1.
 */
static unsigned long run_w2(enum sys s)
{
	const size_t len = 32 * MIB;
	const unsigned long npages = len / PAGE;
	struct region r = region_map(len);
	struct snap a, b;
	double t0;

	memset(r.p, 0x3c, len);
	region_enable(s, &r);
	a = snap(s);
	t0 = now();
	scanner(s, npages, 400, 1);
	do {
		usleep(5000);
		b = snap(s);
		if (now() - t0 > 120)
			die("W2 %s: not merged", sys_name[s]);
	} while (b.shared + b.sharing < npages);
	scanner(s, npages, 400, 0);
	region_disable(s, &r);
	munmap(r.p, len);
	cleanup(s);
	return b.full_scans - a.full_scans + 1;
}

/* ------------------------------------------------------------ W3 */

struct w3 {
	double cpu_per_gib, cpu, gib;
};

static struct w3 run_w3(enum sys s, unsigned int pages, unsigned int sleep_ms)
{
	const size_t len = 256 * MIB;
	struct region r = region_map(len);
	unsigned long long *w = (unsigned long long *)r.p;
	struct snap a, b;
	struct w3 res;
	double c0, t0;
	const unsigned long scans = 3;

	for (size_t i = 0; i < len / 8; i++)
		w[i] = rnd();
	region_enable(s, &r);
	a = snap(s);
	c0 = thread_cpu(s);
	scanner(s, pages, sleep_ms, 1);
	t0 = now();
	do {
		usleep(20000);
		b = snap(s);
		if (now() - t0 > 600)
			die("W3 %s: too slow", sys_name[s]);
	} while (b.full_scans - a.full_scans < scans + 1);
	res.cpu = thread_cpu(s) - c0;
	scanner(s, pages, sleep_ms, 0);
	/* The first (partial) pass is not counted in the GiB either way. */
	res.gib = (double)(b.full_scans - a.full_scans) * len / (1024.0 * MIB);
	res.cpu_per_gib = res.cpu / res.gib;
	region_disable(s, &r);
	munmap(r.p, len);
	cleanup(s);
	return res;
}

/* ------------------------------------------------------------ W4 */

#define W4_PROCS	8
#define W4_LEN		(32 * MIB)

struct w4 {
	double cpu, mean_saved, final_saved;
};

static void w4_worker(enum sys s, int id, int ready_fd)
{
	struct region r = region_map(W4_LEN);
	const unsigned long npages = W4_LEN / PAGE;
	unsigned long long *w = (unsigned long long *)r.p;

	rng_state += id * 7919;
	for (unsigned long pg = 0; pg < npages; pg++) {
		for (unsigned long i = 0; i < PAGE / 8; i++) {
			unsigned long long *x = &w[pg * PAGE / 8 + i];

			/* first half: same in every process; second half: own */
			*x = pg < npages / 2 ? (pg * 512 + i) * 0x9e3779b97f4a7c15ULL
					     : rnd();
		}
	}
	region_enable(s, &r);
	if (write(ready_fd, "r", 1) != 1)
		_exit(1);
	/* A tenth of the pages (every tenth) rewritten continuously. */
	for (;;) {
		for (unsigned long pg = id % 10; pg < npages; pg += 10) {
			w[pg * PAGE / 8] = rnd();
			if (pg % 640 == 0)
				usleep(1000);
		}
	}
}

static struct w4 run_w4(enum sys s, unsigned int pages, unsigned int sleep_ms, FILE *series)
{
	pid_t pid[W4_PROCS];
	int fds[2], n = 0;
	struct w4 res = { 0 };
	double t0, c0, sum = 0;
	char c;

	if (pipe(fds))
		die("pipe");
	for (int i = 0; i < W4_PROCS; i++) {
		pid[i] = fork();
		if (!pid[i]) {
			if (s == DEV)
				dev_fd = ksmdev_open(NULL);
			w4_worker(s, i, fds[1]);
		}
	}
	for (int i = 0; i < W4_PROCS; i++)
		if (read(fds[0], &c, 1) != 1)
			die("W4 worker failed");
	c0 = thread_cpu(s);
	t0 = now();
	scanner(s, pages, sleep_ms, 1);
	while (now() - t0 < w4_seconds) {
		struct snap b;

		usleep(500000);
		b = snap(s);
		fprintf(series, "W4SERIES %s %.2f %lu\n", sys_name[s], now() - t0, b.sharing);
		sum += b.sharing;
		n++;
		res.final_saved = b.sharing;
	}
	res.cpu = thread_cpu(s) - c0;
	res.mean_saved = n ? sum / n : 0;
	scanner(s, pages, sleep_ms, 0);
	for (int i = 0; i < W4_PROCS; i++) {
		kill(pid[i], SIGKILL);
		waitpid(pid[i], NULL, 0);
	}
	close(fds[0]);
	close(fds[1]);
	cleanup(s);
	sleep(1);
	return res;
}

/* ------------------------------------------------------------ W7 */

/*
 * W7 synchronous merge: the W1 memory merged by KSM_MERGE_NOW in the
 * caller's thread, scanner stopped; seconds from the call to merged.
 */
static double run_w7(void)
{
	const size_t len = 100 * MIB;
	const unsigned long npages = len / PAGE;
	struct region r = region_map(len);
	struct snap b;
	double t0, t;
	int ret;

	memset(r.p, 0x5a, len);
	region_enable(DEV, &r);
	t0 = now();
	ret = ksmdev_merge_now(r.area);
	t = now() - t0;
	if (ret < 0)
		die("merge now: %s", ksmdev_strerror(ret));
	b = snap(DEV);
	if (b.shared + b.sharing < npages)
		die("W7: only %lu of %lu pages merged", b.shared + b.sharing, npages);
	for (size_t off = 0; off < len; off += PAGE)
		if (r.p[off] != 0x5a)
			die("W7: wrong byte");
	region_disable(DEV, &r);
	munmap(r.p, len);
	cleanup(DEV);
	return t;
}

/* ------------------------------------------------------------ W8 */

#define W8_PAGES	1024
#define W8_PASSES	3

/* Seconds per full pass once @n passes more than @from are done. */
static double w8_time_passes(unsigned long from, unsigned long n)
{
	double t0 = now(), deadline = t0 + 600;

	while (snap(DEV).full_scans < from + n) {
		if (now() > deadline)
			die("W8: the scanner did not finish %lu passes in 600 s", n);
		usleep(1000);
	}
	return (now() - t0) / n;
}

/*
 * W8 fork-shared pass: W8_PAGES unique pages written by the parent, then
 * shared through fork by @k children, each of which registers the range
 * on an area of its own (what the shim does after every fork) and waits.
 * The scanner, at full speed, then passes over K regions that all map the
 * same frames; the seconds of one pass (the mean of W8_PASSES, after a
 * first pass that makes the tracking) are returned.
 */
static double run_w8(int k)
{
	const size_t len = W8_PAGES * PAGE;
	struct region r = region_map(len);
	int ready[2], go[2];
	pid_t pid[64];
	unsigned long base;
	double t;
	char c;

	if (k > 64)
		die("W8: at most 64 children");
	for (size_t i = 0; i < len / sizeof(unsigned long long); i++)
		((unsigned long long *)r.p)[i] = rnd();
	if (pipe(ready) || pipe(go))
		die("pipe: %s", strerror(errno));
	for (int i = 0; i < k; i++) {
		pid[i] = fork();
		if (pid[i] < 0)
			die("fork: %s", strerror(errno));
		if (!pid[i]) {
			close(go[1]);
			region_enable(DEV, &r);
			if (write(ready[1], "r", 1) != 1)
				_exit(1);
			(void)!read(go[0], &c, 1);	/* until the parent closes it */
			_exit(0);
		}
	}
	close(go[0]);
	for (int i = 0; i < k; i++)
		if (read(ready[0], &c, 1) != 1)
			die("W8: a child did not register");
	base = snap(DEV).full_scans;
	scanner(DEV, 1U << 20, 0, 1);
	w8_time_passes(base, 1);
	t = w8_time_passes(base + 1, W8_PASSES);
	scanner(DEV, 0, 0, 0);
	close(go[1]);
	for (int i = 0; i < k; i++)
		waitpid(pid[i], NULL, 0);
	close(ready[0]);
	close(ready[1]);
	munmap(r.p, len);
	cleanup(DEV);
	fprintf(stderr, "  W8 K=%d: %.4f s per pass\n", k, t);
	return t;
}

static void set_smart_scan(int on)
{
	FILE *f = fopen("/sys/module/ksmdev/parameters/smart_scan", "w");

	if (!f || fprintf(f, "%d\n", on) < 0 || fclose(f))
		die("smart_scan: %s", strerror(errno));
}

/* ------------------------------------------------------------ main */

int main(int argc, char **argv)
{
	struct w1 w1[2], w1_rounds[W1_REPS][2];
	struct w3 w3[2], w3_smart = { 0 };
	struct w4 w4[2], w4_smart = { 0 };
	double w7 = 0, w8[2];
	const unsigned int rate_pages = 2000, rate_sleep_ms = 20;
	const char *only = argc > 1 ? argv[1] : "all";
	int quick = !strcmp(only, "quick");
	char kernel[128] = "?";
	FILE *f;

	if (quick)
		w4_seconds = 6;
	if (!strcmp(only, "w8")) {
		dev_fd = ksmdev_open(NULL);
		if (dev_fd < 0)
			die("/dev/ksm: %s", ksmdev_strerror(dev_fd));
		w8[0] = run_w8(16);
		w8[1] = run_w8(64);
		printf("W8 fork-shared pass: K=16 %.4f s, K=64 %.4f s, ratio %.2f (target <= 5)\n",
		       w8[0], w8[1], w8[1] / w8[0]);
		return 0;
	}
	dev_fd = ksmdev_open(NULL);
	if (dev_fd < 0)
		die("/dev/ksm: %s", ksmdev_strerror(dev_fd));
	f = fopen("/proc/sys/kernel/osrelease", "r");
	if (f && fgets(kernel, sizeof(kernel), f))
		kernel[strcspn(kernel, "\n")] = 0;
	if (f)
		fclose(f);
	ksm_write("run", 2);
	ksm_write("run", 0);
	ksm_write("max_page_sharing", 256);

	/*
	 * W1, W5 and W6 are short: W1_REPS rounds, the order of the two
	 * systems alternating, and the median of each figure is reported
	 * (a TCG guest's speed drifts with the host's load).
	 */
	for (int rep = 0; rep < W1_REPS; rep++)
		for (int k = 0; k < 2; k++) {
			int s = rep % 2 ? 1 - k : k;

			fprintf(stderr, "W1/W5/W6 %s (round %d of %d)...\n", sys_name[s],
				rep + 1, W1_REPS);
			w1_rounds[rep][s] = run_w1(s);
		}
	for (int s = KSM; s <= DEV; s++) {
		w1[s] = w1_median(w1_rounds, s);
		if (!strcmp(only, "w1")) {
			printf("W1 %s: %.1f MiB/s (median of %d)\n", sys_name[s], w1[s].mibs, W1_REPS);
			continue;
		}
		fprintf(stderr, "W2 %s...\n", sys_name[s]);
		w1[s].scans = run_w2(s);
	}
	if (!strcmp(only, "w1")) {
		printf("W1 ratio ksmdev/KSM: %.2f\n", w1[DEV].mibs / w1[KSM].mibs);
		return 0;
	}
	if (!quick)
		for (int s = KSM; s <= DEV; s++) {
			fprintf(stderr, "W3 %s...\n", sys_name[s]);
			w3[s] = run_w3(s, rate_pages, rate_sleep_ms);
		}
	for (int s = KSM; s <= DEV; s++) {
		fprintf(stderr, "W4 %s...\n", sys_name[s]);
		w4[s] = run_w4(s, rate_pages, rate_sleep_ms, stdout);
	}
	fprintf(stderr, "W7 ksmdev...\n");
	w7 = run_w7();
	fprintf(stderr, "W8 ksmdev...\n");
	w8[0] = run_w8(16);
	w8[1] = run_w8(64);
	if (!quick) {
		/* Smart scanning (off by default) on, for before/after. */
		FILE *devnull = fopen("/dev/null", "w");

		set_smart_scan(1);
		fprintf(stderr, "W3/W4 ksmdev with smart scanning...\n");
		w3_smart = run_w3(DEV, rate_pages, rate_sleep_ms);
		w4_smart = run_w4(DEV, rate_pages, rate_sleep_ms, devnull ? devnull : stderr);
		set_smart_scan(0);
		if (devnull)
			fclose(devnull);
	}

	printf("\nksmdev vs in-kernel KSM, Linux %s, same guest boot%s; W1/W5/W6: median of %d rounds\n", kernel,
	       quick ? " (quick mode: no W3, short W4)" : "", W1_REPS);
	printf("%-44s %12s %12s %9s %s\n", "workload", "KSM", "ksmdev", "ratio", "target");
	printf("%-44s %12.1f %12.1f %8.2fx %s\n", "W1 merge throughput, MiB/s (higher better)",
	       w1[KSM].mibs, w1[DEV].mibs, w1[DEV].mibs / w1[KSM].mibs, ">= 2.0x");
	printf("%-44s %12lu %12lu %8.2fx %s\n", "W2 full scans to merge (lower better)",
	       w1[KSM].scans, w1[DEV].scans, (double)w1[DEV].scans / w1[KSM].scans, "1 scan");
	if (!quick)
		printf("%-44s %12.3f %12.3f %8.2fx %s\n", "W3 scanner CPU s per GiB unique (lower)",
		       w3[KSM].cpu_per_gib, w3[DEV].cpu_per_gib,
		       w3[DEV].cpu_per_gib / w3[KSM].cpu_per_gib, "<= 0.5x");
	printf("%-44s %12.0f %12.0f %8.2fx %s\n", "W4 mean pages saved (higher better)",
	       w4[KSM].mean_saved, w4[DEV].mean_saved,
	       w4[DEV].mean_saved / (w4[KSM].mean_saved ? w4[KSM].mean_saved : 1), ">= 1.0x");
	printf("%-44s %12.2f %12.2f %8.2fx %s\n", "W4 scanner CPU s (lower better)",
	       w4[KSM].cpu, w4[DEV].cpu, w4[DEV].cpu / (w4[KSM].cpu ? w4[KSM].cpu : 0.01),
	       "<= 1.0x");
	printf("%-44s %12.3f %12.3f %8.2fx %s\n", "W5 COW break of 100 MiB, s (lower better)",
	       w1[KSM].cow_seconds, w1[DEV].cow_seconds,
	       w1[DEV].cow_seconds / w1[KSM].cow_seconds, "<= 1.1x");
	printf("%-44s %12.3f %12.3f %8.2fx %s\n", "W6 unmerge 100 MiB, s (lower better)",
	       w1[KSM].unmerge_seconds, w1[DEV].unmerge_seconds,
	       w1[DEV].unmerge_seconds / w1[KSM].unmerge_seconds, "<= 1.0x time");

	printf("%-44s %12.3f %12.3f %8.2fx %s\n", "W7 merge 100 MiB: scanner W1 vs KSM_MERGE_NOW, s",
	       w1[DEV].seconds, w7, w7 / w1[DEV].seconds, "(ksmdev only)");
	printf("%-44s %12.4f %12.4f %8.2fx %s\n", "W8 fork-shared pass K=16 vs K=64, s",
	       w8[0], w8[1], w8[1] / w8[0], "<= 5x (ksmdev only)");
	if (!quick) {
		printf("\nsmart scanning, ksmdev            off          on      on/off\n");
		printf("%-32s %10.3f %11.3f %10.2fx\n", "W3 CPU s per GiB unique",
		       w3[DEV].cpu_per_gib, w3_smart.cpu_per_gib,
		       w3_smart.cpu_per_gib / w3[DEV].cpu_per_gib);
		printf("%-32s %10.0f %11.0f %10.2fx\n", "W4 mean pages saved",
		       w4[DEV].mean_saved, w4_smart.mean_saved,
		       w4_smart.mean_saved / (w4[DEV].mean_saved ? w4[DEV].mean_saved : 1));
		printf("%-32s %10.2f %11.2f %10.2fx\n", "W4 scanner CPU s",
		       w4[DEV].cpu, w4_smart.cpu, w4_smart.cpu / (w4[DEV].cpu ? w4[DEV].cpu : 0.01));
	}
	printf("BENCHJSON {\"kernel\":\"%s\",\"quick\":%d,"
	       "\"w1_mibs\":[%.2f,%.2f],\"w1_seconds\":[%.3f,%.3f],\"w2_scans\":[%lu,%lu],"
	       "\"w3_cpu_per_gib\":[%.4f,%.4f],\"w4_mean_saved\":[%.0f,%.0f],"
	       "\"w4_final_saved\":[%.0f,%.0f],\"w4_cpu\":[%.3f,%.3f],"
	       "\"w5_seconds\":[%.4f,%.4f],\"w6_seconds\":[%.4f,%.4f],"
	       "\"w7_merge_now_seconds\":%.4f,\"w3_cpu_per_gib_smart\":%.4f,"
	       "\"w4_mean_saved_smart\":%.0f,\"w4_cpu_smart\":%.3f,"
	       "\"w8_fork_pass_seconds\":[%.4f,%.4f]}\n",
	       kernel, quick, w1[KSM].mibs, w1[DEV].mibs, w1[KSM].seconds, w1[DEV].seconds,
	       w1[KSM].scans, w1[DEV].scans,
	       quick ? 0 : w3[KSM].cpu_per_gib, quick ? 0 : w3[DEV].cpu_per_gib,
	       w4[KSM].mean_saved, w4[DEV].mean_saved, w4[KSM].final_saved, w4[DEV].final_saved,
	       w4[KSM].cpu, w4[DEV].cpu, w1[KSM].cow_seconds, w1[DEV].cow_seconds,
	       w1[KSM].unmerge_seconds, w1[DEV].unmerge_seconds,
	       w7, w3_smart.cpu_per_gib, w4_smart.mean_saved, w4_smart.cpu, w8[0], w8[1]);
	return 0;
}

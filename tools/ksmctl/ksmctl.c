// SPDX-License-Identifier: GPL-2.0-only
/*
 * ksmctl - control and status of ksmdev, the /dev/ksm page-merging driver.
 *
 *   ksmctl [status]                 scanner state, page counts, memory saved
 *   ksmctl start NPAGES SLEEP_USECS run the scanner   (as the 2009 ksmctl)
 *   ksmctl stop                     stop the scanner  (as the 2009 ksmctl)
 *   ksmctl info                     scanner settings  (as the 2009 ksmctl)
 *   ksmctl autotune [MS PERMILLE|off] auto-tuned batch size: show, set, off
 *   ksmctl set PARAM VALUE          write a module parameter (smart_scan, ...)
 *   ksmctl ps                       one row per shared memory area
 *   ksmctl watch [-n SECS]          live rates
 *
 * Talks to the driver only through libksmdev, and to its module parameters
 * through /sys/module/ksmdev/parameters/.  Exit status: 0 success,
 * 1 runtime failure, 2 usage error.  See ksmctl(8).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <ksmdev.h>
#include "cli.h"
#include "format.h"

static const char *dev_path;

/*
 * What to do about @err, in ksmdev_strerror()'s words: the advice that
 * ends its description, for the errors of reaching and asking the device.
 * (Its other advice is about registering memory, which ksmctl never does:
 * an EPERM of ksmctl is always one of scanner control.)
 */
static const char *advice(int err)
{
	switch (-err) {
	case EPERM:
		return " (needs CAP_SYS_ADMIN, run as root)";
	case ENODEV:
	case ENXIO:		/* a device node without its driver */
		return ksmctl_error_advice(ksmdev_strerror(-ENOENT));
	case ENOENT:
	case EACCES:
	case ENOTTY:
	case EPROTO:
		return ksmctl_error_advice(ksmdev_strerror(err));
	default:
		return "";
	}
}

static int fail(const char *what, int err)
{
	fprintf(stderr, "ksmctl: %s: %s%s\n", what, strerror(-err), advice(err));
	return KSMCTL_EXIT_FAILURE;
}

static int finish_output(void)
{
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "ksmctl: writing the output: %s\n", strerror(errno));
		return KSMCTL_EXIT_FAILURE;
	}
	return KSMCTL_EXIT_OK;
}

static unsigned long page_size(void)
{
	long ps = sysconf(_SC_PAGESIZE);

	return ps > 0 ? (unsigned long)ps : 4096;
}

/* Open the device and make sure a ksmdev driver of API 1 answers. */
static int open_device(int *devp)
{
	int dev = ksmdev_open(dev_path), v;

	if (dev < 0)
		return fail(dev_path, dev);
	v = ksmdev_api_version(dev);
	if (v < 0) {
		ksmdev_close(dev);
		return fail(dev_path, v);
	}
	if (v != KSM_API_VERSION) {
		ksmdev_close(dev);
		fprintf(stderr, "ksmctl: %s: driver API version %d, this ksmctl knows version %d\n",
			dev_path, v, KSM_API_VERSION);
		return KSMCTL_EXIT_FAILURE;
	}
	*devp = dev;
	return KSMCTL_EXIT_OK;
}

static int read_state(int dev, struct ksm_kthread_info *k, struct ksm_stats *st)
{
	int ret = ksmdev_scanner_info(dev, k);

	if (ret < 0)
		return fail("reading the scanner settings", ret);
	ret = ksmdev_stats(dev, st);
	if (ret < 0)
		return fail("reading the statistics", ret);
	return KSMCTL_EXIT_OK;
}

static int cmd_start(int dev, const struct ksmctl_opts *o)
{
	int ret = ksmdev_scanner_start(dev, o->npages, o->sleep_usecs);

	return ret < 0 ? fail("start", ret) : KSMCTL_EXIT_OK;
}

static int cmd_stop(int dev, const struct ksmctl_opts *o)
{
	int ret = ksmdev_scanner_stop(dev);

	return ret < 0 ? fail("stop", ret) : KSMCTL_EXIT_OK;
}

static int cmd_info(int dev, const struct ksmctl_opts *o)
{
	struct ksm_kthread_info k;
	int ret = ksmdev_scanner_info(dev, &k);

	if (ret < 0)
		return fail("info", ret);
	if (o->format == KSMCTL_FMT_JSON)
		ksmctl_print_info_json(stdout, &k);
	else
		ksmctl_print_info_text(stdout, &k);
	return finish_output();
}

/*
 * Auto-tuning settings into @at: 1, or 0 when the module is too old to
 * have auto-tuning (ENOTTY), or a negative errno.
 */
static int read_autotune(int dev, struct ksm_autotune *at)
{
	int ret = ksmdev_autotune_get(dev, at);

	if (ret == -ENOTTY)
		return 0;
	return ret < 0 ? ret : 1;
}

/* The sysfs file of module parameter @p, in @path. */
static char *param_path(enum ksmctl_param p, char *path, size_t len)
{
	snprintf(path, len, "%s/%s", KSMCTL_PARAM_DIR, ksmctl_param_name(p));
	return path;
}

/* Module parameter @p as sysfs shows it: its value, or -1 (absent, unreadable). */
static int read_param(enum ksmctl_param p)
{
	char path[128], buf[64];
	ssize_t n;
	int fd;

	fd = open(param_path(p, path, sizeof(path)), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	do
		n = read(fd, buf, sizeof(buf) - 1);
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return ksmctl_parse_param_text(buf);
}

static int cmd_status(int dev, const struct ksmctl_opts *o)
{
	struct ksmctl_status s = { .page_size = page_size() };
	int rc = read_state(dev, &s.scanner, &s.stats);

	if (rc)
		return rc;
	rc = read_autotune(dev, &s.autotune);
	if (rc < 0)
		return fail("reading the auto-tuning settings", rc);
	s.have_autotune = rc;
	s.smart_scan = read_param(KSMCTL_PARAM_SMART_SCAN);
	s.use_zero_pages = read_param(KSMCTL_PARAM_USE_ZERO_PAGES);
	s.domain_policy = read_param(KSMCTL_PARAM_DOMAIN_POLICY);
	s.bytes_saved = ksmdev_bytes_saved(&s.stats);
	switch (o->format) {
	case KSMCTL_FMT_JSON:
		ksmctl_print_status_json(stdout, &s);
		break;
	case KSMCTL_FMT_PROMETHEUS:
		ksmctl_print_status_prometheus(stdout, &s);
		break;
	default:
		ksmctl_print_status_text(stdout, &s);
	}
	return finish_output();
}

static int cmd_autotune(int dev, const struct ksmctl_opts *o)
{
	struct ksm_autotune at;
	struct ksm_kthread_info k;
	int ret;

	switch (o->autotune) {
	case KSMCTL_AUTOTUNE_ON:
		ret = ksmdev_autotune_set(dev, o->target_ms, o->max_cpu_permille);
		return ret < 0 ? fail("autotune", ret) : KSMCTL_EXIT_OK;
	case KSMCTL_AUTOTUNE_OFF:
		ret = ksmdev_autotune_set(dev, 0, 0);
		return ret < 0 ? fail("autotune off", ret) : KSMCTL_EXIT_OK;
	default:
		break;
	}
	ret = ksmdev_autotune_get(dev, &at);
	if (ret < 0)
		return fail("autotune", ret);
	ret = ksmdev_scanner_info(dev, &k);
	if (ret < 0)
		return fail("reading the scanner settings", ret);
	if (o->format == KSMCTL_FMT_JSON)
		ksmctl_print_autotune_json(stdout, &at, &k);
	else
		ksmctl_print_autotune_text(stdout, &at, &k);
	return finish_output();
}

/* What to do when writing a module parameter failed with @err. */
static const char *set_advice(int err)
{
	if (err == EACCES || err == EPERM)
		return " (changing module parameters needs root)";
	return err == EINVAL ? " (the module refused the value)" : "";
}

/* Write the module parameter: needs no device, only the parameter file. */
static int cmd_set(const struct ksmctl_opts *o)
{
	const char *name = ksmctl_param_name(o->param);
	char path[128], what[64], val[16];
	struct stat st;
	ssize_t n;
	int fd, len, err;

	param_path(o->param, path, sizeof(path));
	snprintf(what, sizeof(what), "set %s", name);
	len = snprintf(val, sizeof(val), "%u", o->param_value);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		if (err == ENOENT) {
			if (stat("/sys/module/ksmdev", &st))
				fprintf(stderr, "ksmctl: %s: the ksmdev module is not loaded\n", what);
			else
				fprintf(stderr, "ksmctl: %s: the loaded ksmdev module has no parameter %s (too old?)\n",
					what, name);
			return KSMCTL_EXIT_FAILURE;
		}
		fprintf(stderr, "ksmctl: %s: %s: %s%s\n", what, path, strerror(err), set_advice(err));
		return KSMCTL_EXIT_FAILURE;
	}
	do
		n = write(fd, val, (size_t)len);
	while (n < 0 && errno == EINTR);
	err = n < 0 ? errno : n != len ? EIO : 0;
	if (close(fd) && !err)
		err = errno;
	if (err) {
		fprintf(stderr, "ksmctl: %s: writing %s to %s: %s%s\n", what, val, path, strerror(err),
			set_advice(err));
		return KSMCTL_EXIT_FAILURE;
	}
	return KSMCTL_EXIT_OK;
}

/* All visible areas: asks for the count, then for the entries (again if it grew). */
static int list_areas(int dev, struct ksm_area_info **out, size_t *nout)
{
	struct ksm_area_info *e = NULL;
	unsigned int cap;
	int n = ksmdev_list_areas(dev, NULL, 0), tries;

	if (n < 0)
		return fail("listing the areas", n);
	for (tries = 0; tries < 8; tries++) {
		cap = (unsigned int)n + 16;	/* room for areas created meanwhile */
		e = calloc(cap, sizeof(*e));
		if (!e)
			return fail("listing the areas", -ENOMEM);
		n = ksmdev_list_areas(dev, e, cap);
		if (n < 0) {
			free(e);
			return fail("listing the areas", n);
		}
		if ((unsigned int)n <= cap)
			break;
		free(e);
		e = NULL;
	}
	if (!e) {
		fprintf(stderr, "ksmctl: listing the areas: their number keeps growing\n");
		return KSMCTL_EXIT_FAILURE;
	}
	*out = e;
	*nout = (size_t)n;
	return KSMCTL_EXIT_OK;
}

static int cmd_ps(int dev, const struct ksmctl_opts *o)
{
	struct ksm_area_info *info = NULL;
	struct ksmctl_area *rows;
	unsigned long ps = page_size();
	size_t n = 0, i;
	int rc = list_areas(dev, &info, &n);

	if (rc)
		return rc;
	rows = calloc(n ? n : 1, sizeof(*rows));
	if (!rows) {
		free(info);
		return fail("ps", -ENOMEM);
	}
	for (i = 0; i < n; i++) {
		struct ksm_stats st = { .pages_sharing = info[i].pages_sharing };

		rows[i].info = info[i];
		rows[i].bytes_registered = info[i].pages_registered * (uint64_t)ps;
		rows[i].bytes_saved = ksmdev_bytes_saved(&st);
	}
	free(info);
	switch (o->format) {
	case KSMCTL_FMT_JSON:
		rc = ksmctl_print_areas_json(stdout, rows, n);
		break;
	case KSMCTL_FMT_PROMETHEUS:
		rc = ksmctl_print_areas_prometheus(stdout, rows, n);
		break;
	default:
		rc = ksmctl_print_areas_text(stdout, rows, n);
	}
	free(rows);
	if (rc && !ferror(stdout))
		return fail("ps", -ENOMEM);
	return finish_output();
}

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_seconds(double s)
{
	struct timespec ts = {
		.tv_sec = (time_t)s,
		.tv_nsec = (long)((s - (double)(time_t)s) * 1e9),
	};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int cmd_watch(int dev, const struct ksmctl_opts *o)
{
	struct ksm_autotune at;
	struct ksm_kthread_info k;
	struct ksm_stats prev, cur;
	struct ksmctl_sample s;
	int tty = isatty(STDOUT_FILENO), rc;
	double t_prev, t_now;
	unsigned long i;

	rc = read_state(dev, &k, &prev);
	if (rc)
		return rc;
	t_prev = mono_now();
	for (i = 0; !o->count || i < o->count; i++) {
		struct timespec wall;
		struct tm tm;
		char clock[16];

		/* Sleep until the next tick, not a whole interval after the work. */
		t_now = mono_now();
		if (t_prev + o->interval > t_now)
			sleep_seconds(t_prev + o->interval - t_now);
		rc = read_state(dev, &k, &cur);
		if (rc)
			return rc;
		t_now = mono_now();

		memset(&s, 0, sizeof(s));
		ksmctl_watch_rates(&prev, &cur, t_now - t_prev, &s);
		s.scanner = k;
		s.autotune = ksmdev_autotune_get(dev, &at) < 0 ? -1 :
			     !!(at.flags & KSM_AUTOTUNE_ON);
		s.bytes_saved = ksmdev_bytes_saved(&cur);
		clock_gettime(CLOCK_REALTIME, &wall);
		s.time = (double)wall.tv_sec + wall.tv_nsec / 1e9;
		localtime_r(&wall.tv_sec, &tm);
		strftime(clock, sizeof(clock), "%H:%M:%S", &tm);

		if (o->format == KSMCTL_FMT_JSON)
			ksmctl_print_watch_json(stdout, &s);
		else if (tty)
			ksmctl_print_watch_screen(stdout, &s, clock, dev_path, o->interval);
		else
			ksmctl_print_watch_line(stdout, &s, clock);
		rc = finish_output();
		if (rc)
			return rc;
		prev = cur;
		t_prev = t_now;
	}
	return KSMCTL_EXIT_OK;
}

/* The commands that talk to the device (help, version and set do not). */
static int (*const commands[])(int dev, const struct ksmctl_opts *o) = {
	[KSMCTL_CMD_STATUS] = cmd_status,
	[KSMCTL_CMD_START] = cmd_start,
	[KSMCTL_CMD_STOP] = cmd_stop,
	[KSMCTL_CMD_INFO] = cmd_info,
	[KSMCTL_CMD_PS] = cmd_ps,
	[KSMCTL_CMD_WATCH] = cmd_watch,
	[KSMCTL_CMD_AUTOTUNE] = cmd_autotune,
};

int main(int argc, char **argv)
{
	struct ksmctl_opts o;
	char err[256];
	int rc, dev = -1;

	rc = ksmctl_parse_args(argc, argv, &o, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "ksmctl: %s\nTry 'ksmctl --help' for more information.\n", err);
		return KSMCTL_EXIT_USAGE;
	}
	if (o.cmd == KSMCTL_CMD_HELP) {
		fputs(ksmctl_usage_text, stdout);
		return finish_output();
	}
	if (o.cmd == KSMCTL_CMD_VERSION) {
		printf("ksmctl %s\n", KSMCTL_VERSION);
		return finish_output();
	}

	if (o.cmd == KSMCTL_CMD_SET)
		return cmd_set(&o);

	dev_path = o.device;
	rc = open_device(&dev);
	if (rc)
		return rc;
	rc = commands[o.cmd](dev, &o);
	ksmdev_close(dev);
	return rc;
}

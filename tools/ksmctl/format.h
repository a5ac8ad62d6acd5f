/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * format.h - ksmctl output: human units, text tables, JSON and the
 * Prometheus text exposition format (node_exporter textfile collector).
 *
 * Pure functions: they read only their arguments and write only to the
 * FILE or buffer given; the caller gathers the numbers from the driver.
 * The print functions return 0, or -1 when writing failed.
 */
#ifndef KSMCTL_FORMAT_H
#define KSMCTL_FORMAT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <linux/ksmdev.h>

/* Everything `ksmctl status` shows. */
struct ksmctl_status {
	struct ksm_kthread_info scanner;
	struct ksm_stats stats;		/* stats.size: bytes the driver filled */
	uint64_t bytes_saved;		/* ksmdev_bytes_saved(&stats) */
	unsigned long page_size;
	int have_autotune;		/* 0: the module has no auto-tuning */
	struct ksm_autotune autotune;	/* when have_autotune */
	/* Module parameters (0/1, domain_policy 0..2); -1 when unknown. */
	int smart_scan;
	int use_zero_pages;
	int domain_policy;
};

/* One row of `ksmctl ps`. */
struct ksmctl_area {
	struct ksm_area_info info;
	uint64_t bytes_registered;	/* pages_registered * page size */
	uint64_t bytes_saved;		/* pages_sharing * page size */
};

/* One refresh of `ksmctl watch`. */
struct ksmctl_sample {
	double time;			/* wall clock, seconds since the epoch */
	double seconds;			/* since the previous refresh */
	double merged_per_sec;		/* change of pages_merged per second */
	double scanned_per_sec;		/* pages scanned per second */
	struct ksm_kthread_info scanner;
	struct ksm_stats stats;
	uint64_t bytes_saved;
	int autotune;			/* 1 on, 0 off, -1 unknown (older module) */
};

/*
 * @bytes in binary units with one decimal ("1023 B", "1.0 KiB", "1.5 MiB",
 * ... up to EiB), rounded to the nearest tenth; a value that rounds to
 * 1024.0 of a unit is shown in the next unit.  Returns @buf.
 */
char *ksmctl_human_bytes(uint64_t bytes, char *buf, size_t len);

/*
 * Nonzero when the driver filled @field of @st: statistics are
 * size-versioned, later fields are appended, st->size says how many bytes
 * the loaded module filled.  Fields it did not fill are not shown (text)
 * or shown as null (JSON), and their metrics are left out (Prometheus).
 */
#define KSMCTL_STATS_HAVE(st, field) \
	((st)->size >= offsetof(struct ksm_stats, field) + sizeof((st)->field))

/* 1 when the driver filled max_kernel_pages and cap_refusals. */
int ksmctl_stats_have_cap(const struct ksm_stats *st);

/* Rates of @cur over @prev, @seconds apart, into @s (also copies @cur). */
void ksmctl_watch_rates(const struct ksm_stats *prev, const struct ksm_stats *cur,
			double seconds, struct ksmctl_sample *s);

/*
 * Strings.  @s is read up to @maxlen bytes or its NUL.  Unsafe characters
 * (C0 and C1 controls, DEL, bidirectional controls) never pass as they
 * are; bytes that are not valid UTF-8 become U+FFFD in JSON and
 * Prometheus output, '?' in text.
 */
/* A JSON string literal, quotes included: \" \\ \b \f \n \r \t, \uXXXX for the other unsafe. */
int ksmctl_json_string(FILE *f, const char *s, size_t maxlen);
/* A Prometheus label value without quotes: \\ \" \n escaped, other unsafe ones U+FFFD. */
int ksmctl_prom_label_value(FILE *f, const char *s, size_t maxlen);
/* A command name safe for a terminal: each unsafe character or bad byte becomes '?'. */
char *ksmctl_text_comm(const char *comm, size_t maxlen, char *buf, size_t len);

/*
 * Merge domains as ksmctl shows them: 0 is "open", a user's private
 * domain (bit 63 | uid) "user:<uid>", any other its number.  Returns @buf.
 */
#define KSMCTL_USER_DOMAIN_BIT	(1ULL << 63)
char *ksmctl_domain_name(uint64_t domain, char *buf, size_t len);
/* "open", "user" or "numbered". */
const char *ksmctl_domain_kind(uint64_t domain);

/*
 * The advice that ends @description, a ksmdev_strerror() text: its last
 * part in parentheses with the space before it, " (is the ksmdev module
 * loaded?)", or "" when it has none.  Points into @description.
 */
const char *ksmctl_error_advice(const char *description);

/* info: exactly "flags %d, pages_to_scan %d, sleep_time %d". */
int ksmctl_print_info_text(FILE *f, const struct ksm_kthread_info *k);
int ksmctl_print_info_json(FILE *f, const struct ksm_kthread_info *k);

/*
 * autotune without arguments: "autotune on|off, target_scan_ms T,
 * max_cpu_permille P, pages_to_scan N" (N: the batch size in use), or JSON.
 */
int ksmctl_print_autotune_text(FILE *f, const struct ksm_autotune *at,
			       const struct ksm_kthread_info *k);
int ksmctl_print_autotune_json(FILE *f, const struct ksm_autotune *at,
			       const struct ksm_kthread_info *k);

int ksmctl_print_status_text(FILE *f, const struct ksmctl_status *s);
int ksmctl_print_status_json(FILE *f, const struct ksmctl_status *s);
int ksmctl_print_status_prometheus(FILE *f, const struct ksmctl_status *s);

int ksmctl_print_areas_text(FILE *f, const struct ksmctl_area *a, size_t n);
int ksmctl_print_areas_json(FILE *f, const struct ksmctl_area *a, size_t n);
/*
 * One sample per metric and (pid, comm, domain): the areas of one process
 * with one command name in one domain are summed, so no two samples ever
 * carry the same labels.
 */
int ksmctl_print_areas_prometheus(FILE *f, const struct ksmctl_area *a, size_t n);

/* watch: one plain line; one JSON object on one line; a full screen. */
int ksmctl_print_watch_line(FILE *f, const struct ksmctl_sample *s, const char *clock);
int ksmctl_print_watch_json(FILE *f, const struct ksmctl_sample *s);
int ksmctl_print_watch_screen(FILE *f, const struct ksmctl_sample *s, const char *clock,
			      const char *device, double interval);

#endif /* KSMCTL_FORMAT_H */

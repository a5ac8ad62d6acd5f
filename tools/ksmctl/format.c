// SPDX-License-Identifier: GPL-2.0-only
/*
 * format.c - ksmctl output formatting; see format.h.
 *
 * JSON is written compactly, one document a line.  Prometheus output
 * follows the text exposition format 0.0.4 that node_exporter's textfile
 * collector reads: each metric family starts with "# HELP" and "# TYPE",
 * counters end in _total, label values escape \\, \" and \n.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "format.h"

typedef unsigned long long ull;

static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };

/* @b in tenths of @unit, rounded half up, without overflowing 64 bits. */
static uint64_t tenths_of(uint64_t b, uint64_t unit)
{
	return b / unit * 10 + ((b % unit) * 10 + unit / 2) / unit;
}

char *ksmctl_human_bytes(uint64_t bytes, char *buf, size_t len)
{
	uint64_t unit = 1, t;
	unsigned int u = 0;

	if (bytes < 1024) {
		snprintf(buf, len, "%llu B", (ull)bytes);
		return buf;
	}
	while (u < 6 && bytes >= unit * 1024) {
		unit *= 1024;
		u++;
	}
	t = tenths_of(bytes, unit);
	if (t >= 10240 && u < 6) {	/* 1023.95 KiB and up show as 1.0 MiB */
		unit *= 1024;
		u++;
		t = tenths_of(bytes, unit);
	}
	snprintf(buf, len, "%llu.%llu %s", (ull)(t / 10), (ull)(t % 10), units[u]);
	return buf;
}

#define HAVE(st, field) KSMCTL_STATS_HAVE(st, field)

int ksmctl_stats_have_cap(const struct ksm_stats *st)
{
	return HAVE(st, cap_refusals);
}

void ksmctl_watch_rates(const struct ksm_stats *prev, const struct ksm_stats *cur,
			double seconds, struct ksmctl_sample *s)
{
	s->stats = *cur;
	s->seconds = seconds;
	if (seconds <= 0) {
		s->merged_per_sec = s->scanned_per_sec = 0;
		return;
	}
	/* Signed: merged pages go down on unmerging, counters on reload. */
	s->merged_per_sec = (double)(int64_t)(cur->pages_merged - prev->pages_merged) / seconds;
	s->scanned_per_sec = (double)(int64_t)(cur->pages_scanned - prev->pages_scanned) / seconds;
}

/* ------------------------------------------------------------ strings */

/*
 * Length of the valid UTF-8 sequence at @s (@n bytes left), 0 if invalid;
 * its code point in *@cp.
 */
static size_t utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned char c = s[0];
	size_t len, i;

	*cp = c;
	if (c < 0x80)
		return 1;
	if (c < 0xc2)
		return 0;	/* continuation byte, or overlong 2-byte lead */
	if (c < 0xe0) {
		len = 2;
		*cp = c & 0x1f;
	} else if (c < 0xf0) {
		len = 3;
		*cp = c & 0x0f;
	} else if (c < 0xf5) {
		len = 4;
		*cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		*cp = *cp << 6 | (s[i] & 0x3f);
	}
	if (len == 3 && (*cp < 0x800 || (*cp >= 0xd800 && *cp <= 0xdfff)))
		return 0;
	if (len == 4 && (*cp < 0x10000 || *cp > 0x10ffff))
		return 0;
	return len;
}

/*
 * A character that must not reach a terminal or a page as it is: C0 and
 * C1 controls, DEL, and the bidirectional controls that reorder what is
 * shown around them (a command name could make a line read otherwise).
 */
static int unsafe_cp(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x061c ||
	       cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069);
}

enum esc_mode { ESC_JSON, ESC_PROM };

/*
 * Write @str, up to @maxlen bytes or its NUL, as a JSON string's or a
 * Prometheus label value's contents: \\, \" and \n escaped in both; JSON
 * escapes the other unsafe characters as \uXXXX, Prometheus (which has
 * no such escape) writes U+FFFD for them; invalid UTF-8 is U+FFFD in both.
 */
static int write_escaped(FILE *f, const char *str, size_t maxlen, enum esc_mode mode)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n = strnlen(str, maxlen), i = 0, l;
	uint32_t cp;

	while (i < n) {
		l = utf8_seq(s + i, n - i, &cp);
		if (!l) {
			fputs(mode == ESC_JSON ? "\\ufffd" : "\xef\xbf\xbd", f);
			i++;
			continue;
		}
		if (cp == '"' || cp == '\\')
			fprintf(f, "\\%c", (int)cp);
		else if (cp == '\n')
			fputs("\\n", f);
		else if (!unsafe_cp(cp))
			fwrite(s + i, 1, l, f);
		else if (mode == ESC_PROM)
			fputs("\xef\xbf\xbd", f);
		else if (cp == '\t')
			fputs("\\t", f);
		else if (cp == '\b')
			fputs("\\b", f);
		else if (cp == '\f')
			fputs("\\f", f);
		else if (cp == '\r')
			fputs("\\r", f);
		else
			fprintf(f, "\\u%04x", (unsigned int)cp);
		i += l;
	}
	return ferror(f) ? -1 : 0;
}

int ksmctl_json_string(FILE *f, const char *str, size_t maxlen)
{
	fputc('"', f);
	write_escaped(f, str, maxlen, ESC_JSON);
	fputc('"', f);
	return ferror(f) ? -1 : 0;
}

int ksmctl_prom_label_value(FILE *f, const char *str, size_t maxlen)
{
	return write_escaped(f, str, maxlen, ESC_PROM);
}

char *ksmctl_text_comm(const char *comm, size_t maxlen, char *buf, size_t len)
{
	const unsigned char *s = (const unsigned char *)comm;
	size_t n = strnlen(comm, maxlen), i = 0, o = 0, l;
	uint32_t cp;

	if (!len)
		return buf;
	while (i < n) {
		l = utf8_seq(s + i, n - i, &cp);
		if (!l || unsafe_cp(cp)) {
			/* As ps(1) does: one '?' for each unsafe character or bad byte. */
			if (o + 1 >= len)
				break;
			buf[o++] = '?';
			i += l ? l : 1;
			continue;
		}
		if (o + l >= len)
			break;
		memcpy(buf + o, s + i, l);
		o += l;
		i += l;
	}
	buf[o] = '\0';
	return buf;
}

/* ------------------------------------------------------------ errors */

const char *ksmctl_error_advice(const char *description)
{
	size_t n = strlen(description), depth = 0;

	if (!n || description[n - 1] != ')')
		return "";
	while (n--) {
		if (description[n] == ')')
			depth++;
		else if (description[n] == '(' && !--depth)
			return n && description[n - 1] == ' ' ? description + n - 1 : "";
	}
	return "";
}

/* ------------------------------------------------------------ info */

int ksmctl_print_info_text(FILE *f, const struct ksm_kthread_info *k)
{
	/* The 2009 ksmctl's line, byte for byte. */
	fprintf(f, "flags %d, pages_to_scan %d, sleep_time %d\n",
		(int)k->flags, (int)k->pages_to_scan, (int)k->sleep);
	return ferror(f) ? -1 : 0;
}

int ksmctl_print_info_json(FILE *f, const struct ksm_kthread_info *k)
{
	fprintf(f, "{\"flags\":%u,\"pages_to_scan\":%u,\"sleep_time\":%u,\"running\":%s}\n",
		k->flags, k->pages_to_scan, k->sleep,
		(k->flags & ksm_control_flags_run) ? "true" : "false");
	return ferror(f) ? -1 : 0;
}

/* ------------------------------------------------------------ domains */

char *ksmctl_domain_name(uint64_t domain, char *buf, size_t len)
{
	if (!domain)
		snprintf(buf, len, "open");
	else if (domain & KSMCTL_USER_DOMAIN_BIT)
		snprintf(buf, len, "user:%llu", (ull)(domain & ~KSMCTL_USER_DOMAIN_BIT));
	else
		snprintf(buf, len, "%llu", (ull)domain);
	return buf;
}

const char *ksmctl_domain_kind(uint64_t domain)
{
	if (!domain)
		return "open";
	return (domain & KSMCTL_USER_DOMAIN_BIT) ? "user" : "numbered";
}

/* ------------------------------------------------------------ status */

/*
 * Every value `status` and `autotune` show is one row of fields[]: its
 * JSON key, Prometheus metric and help, text label and note, unit and
 * where its value comes from.  The three printers walk the same rows; each
 * format keeps the order it always had, so the rows stand in JSON order and
 * text_order[] and prom_order[] list them for the other two.
 */

/* How a value is written in each format. */
enum unit {
	U_COUNT,	/* a number */
	U_BOOL,		/* JSON false/true, text off/on, Prometheus 0/1 */
	U_MS,		/* milliseconds: text "N ms", Prometheus seconds */
	U_USEC,		/* microseconds: Prometheus seconds */
	U_NSEC,		/* nanoseconds: text "N ns", Prometheus seconds */
	U_PERMILLE,	/* text a percentage, Prometheus a ratio */
	U_PERCENT,	/* JSON only: a percentage, from .percent */
	U_OBJECT,	/* JSON: the next .nrows rows as one object, or null */
};

struct field {
	const char *key;	/* JSON key (every row is in JSON) */
	const char *metric;	/* NULL: no metric; a counter when it ends in _total */
	const char *help;	/* Prometheus HELP */
	const char *label;	/* text: label of its line; NULL: no line of its own */
	const char *note;	/* text: said in parentheses after the value */
	enum unit unit;
	unsigned int nrows;	/* U_OBJECT */
	/* The value: get(), or the u64 at offset .stat of struct ksm_stats. */
	int (*get)(const struct ksmctl_status *s, uint64_t *v);	/* 1: known */
	size_t stat;
	double (*percent)(const struct ksm_stats *st);		/* U_PERCENT */
	/* Text: the line after its label, when "value (note)" does not do. */
	void (*text)(FILE *f, const struct field *r, const struct ksmctl_status *s);
};

static int autotune_on(const struct ksm_autotune *at)
{
	return !!(at->flags & KSM_AUTOTUNE_ON);
}

/* KSM pages the cap counts: all those held, where the driver says. */
static uint64_t cap_used(const struct ksm_stats *st)
{
	return KSMCTL_STATS_HAVE(st, kernel_pages) ? st->kernel_pages : st->pages_shared;
}

static double cap_percent(const struct ksm_stats *st)
{
	return st->max_kernel_pages ?
		100.0 * (double)cap_used(st) / (double)st->max_kernel_pages : 0.0;
}

/* A value of struct ksmctl_status: known when @known. */
#define GETTER(name, known, value)					\
static int name(const struct ksmctl_status *s, uint64_t *v)		\
{									\
	*v = (uint64_t)(value);						\
	return (known);							\
}

GETTER(get_scanner, 1, 0)
GETTER(get_running, 1, !!(s->scanner.flags & ksm_control_flags_run))
GETTER(get_flags, 1, s->scanner.flags)
GETTER(get_pages_to_scan, 1, s->scanner.pages_to_scan)
GETTER(get_sleep, 1, s->scanner.sleep)
GETTER(get_autotune, s->have_autotune, 0)
GETTER(get_at_enabled, s->have_autotune, autotune_on(&s->autotune))
GETTER(get_at_target, s->have_autotune, s->autotune.target_scan_ms)
GETTER(get_at_cpu, s->have_autotune, s->autotune.max_cpu_permille)
GETTER(get_at_pages_to_scan, s->have_autotune, s->scanner.pages_to_scan)
GETTER(get_smart_scan, s->smart_scan >= 0, s->smart_scan)
GETTER(get_use_zero_pages, s->use_zero_pages >= 0, s->use_zero_pages)
GETTER(get_domain_policy, s->domain_policy >= 0, s->domain_policy)
GETTER(get_page_size, 1, s->page_size)
GETTER(get_bytes_saved, 1, s->bytes_saved)
/* max_kernel_pages and cap_refusals came together: shown both or neither. */
GETTER(get_max_kernel_pages, ksmctl_stats_have_cap(&s->stats), s->stats.max_kernel_pages)

static void text_scanner(FILE *f, const struct field *r, const struct ksmctl_status *s);
static void text_autotune(FILE *f, const struct field *r, const struct ksmctl_status *s);
static void text_param(FILE *f, const struct field *r, const struct ksmctl_status *s);
static void text_policy(FILE *f, const struct field *r, const struct ksmctl_status *s);
static void text_saved(FILE *f, const struct field *r, const struct ksmctl_status *s);
static void text_cap(FILE *f, const struct field *r, const struct ksmctl_status *s);
static void text_user_cap(FILE *f, const struct field *r, const struct ksmctl_status *s);
static void text_scan_cost(FILE *f, const struct field *r, const struct ksmctl_status *s);

/* A statistic of struct ksm_stats: JSON key and text label, then the rest. */
#define STAT(name, lbl, ...) \
	{ .key = #name, .label = lbl, .stat = offsetof(struct ksm_stats, name), __VA_ARGS__ }

enum {
	F_SCANNER, F_RUNNING, F_FLAGS, F_PAGES_TO_SCAN, F_SLEEP,
	F_AUTOTUNE, F_AT_ENABLED, F_AT_TARGET, F_AT_CPU, F_AT_PAGES_TO_SCAN,
	F_SMART_SCAN, F_USE_ZERO_PAGES, F_DOMAIN_POLICY,
	F_SHARED, F_SHARING, F_UNSHARED, F_VOLATILE, F_MERGED, F_FULL_SCANS, F_SCANNED,
	F_REGIONS, F_PAGE_SIZE, F_SAVED, F_SKIPPED, F_ZERO, F_LAST_SCAN, F_CPU,
	F_MAX_KERNEL_PAGES, F_CAP_REFUSALS, F_CAP_PERCENT,
	F_KERNEL_PAGES, F_MAX_USER_PAGES, F_USER_REFUSALS, F_CHARGE_REFUSALS,
	F_SCAN_NS, F_SCAN_SLEEP, NFIELDS
};

static const struct field fields[NFIELDS] = {
	[F_SCANNER] = { .key = "scanner", .unit = U_OBJECT, .nrows = F_SLEEP - F_SCANNER,
		.get = get_scanner, .label = "scanner:", .text = text_scanner },
	[F_RUNNING] = { .key = "running", .unit = U_BOOL, .get = get_running,
		.metric = "ksmdev_scanner_running",
		.help = "1 when the ksmdev scanner thread is running, 0 when stopped." },
	[F_FLAGS] = { .key = "flags", .get = get_flags },
	[F_PAGES_TO_SCAN] = { .key = "pages_to_scan", .get = get_pages_to_scan,
		.metric = "ksmdev_scanner_pages_to_scan",
		.help = "Pages the scanner examines per batch (its own choice while auto-tuning)." },
	[F_SLEEP] = { .key = "sleep_usecs", .unit = U_USEC, .get = get_sleep,
		.metric = "ksmdev_scanner_sleep_seconds",
		.help = "Seconds the scanner sleeps between batches." },

	[F_AUTOTUNE] = { .key = "autotune", .unit = U_OBJECT,
		.nrows = F_AT_PAGES_TO_SCAN - F_AUTOTUNE, .get = get_autotune,
		.label = "auto-tuning:", .text = text_autotune },
	[F_AT_ENABLED] = { .key = "enabled", .unit = U_BOOL, .get = get_at_enabled,
		.metric = "ksmdev_autotune_enabled",
		.help = "1 when the scanner chooses its own pages_to_scan (auto-tuning), 0 when not." },
	[F_AT_TARGET] = { .key = "target_scan_ms", .unit = U_MS, .get = get_at_target,
		.metric = "ksmdev_autotune_target_scan_seconds",
		.help = "Auto-tuning target: seconds a full scan should take." },
	[F_AT_CPU] = { .key = "max_cpu_permille", .unit = U_PERMILLE, .get = get_at_cpu,
		.metric = "ksmdev_autotune_max_cpu_ratio",
		.help = "Auto-tuning budget: the most of a CPU the scanner may use." },
	[F_AT_PAGES_TO_SCAN] = { .key = "pages_to_scan", .get = get_at_pages_to_scan },

	[F_SMART_SCAN] = { .key = "smart_scan", .unit = U_BOOL, .get = get_smart_scan,
		.metric = "ksmdev_smart_scan_enabled",
		.help = "Module parameter smart_scan: 1 when unique pages are visited less often.",
		.label = "smart scanning:", .text = text_param },
	[F_USE_ZERO_PAGES] = { .key = "use_zero_pages", .unit = U_BOOL, .get = get_use_zero_pages,
		.metric = "ksmdev_use_zero_pages_enabled",
		.help = "Module parameter use_zero_pages: 1 when all-zero pages map the zero page.",
		.label = "zero-page mode:", .text = text_param },
	[F_DOMAIN_POLICY] = { .key = "domain_policy", .get = get_domain_policy,
		.metric = "ksmdev_domain_policy",
		.help = "Module parameter domain_policy: who may join which merge domain (0, 1, 2).",
		.label = "domain policy:", .text = text_policy },

	[F_SHARED] = STAT(pages_shared, "pages shared:", .note = "KSM pages in use",
		.metric = "ksmdev_pages_shared", .help = "KSM pages in use."),
	[F_SHARING] = STAT(pages_sharing, "pages sharing:",
		.note = "further mappings of them: pages saved",
		.metric = "ksmdev_pages_sharing",
		.help = "Further mappings of KSM pages, that is pages saved."),
	[F_UNSHARED] = STAT(pages_unshared, "pages unshared:",
		.note = "unique pages tracked as candidates",
		.metric = "ksmdev_pages_unshared", .help = "Unique pages tracked as merge candidates."),
	[F_VOLATILE] = STAT(pages_volatile, "pages volatile:",
		.note = "changed since last looked at", .metric = "ksmdev_pages_volatile",
		.help = "Pages that changed since the scanner last looked at them."),
	[F_MERGED] = STAT(pages_merged, "pages merged:", .note = "mappings of KSM pages",
		.metric = "ksmdev_pages_merged", .help = "Page table entries mapping a KSM page."),
	[F_FULL_SCANS] = STAT(full_scans, "full scans:", .metric = "ksmdev_full_scans_total",
		.help = "Completed scanner passes over all registered regions."),
	[F_SCANNED] = STAT(pages_scanned, "pages scanned:", .metric = "ksmdev_pages_scanned_total",
		.help = "Pages the scanner examined since the module was loaded."),
	[F_REGIONS] = STAT(regions, "regions:", .metric = "ksmdev_regions",
		.help = "Registered memory regions."),
	[F_PAGE_SIZE] = { .key = "page_size", .get = get_page_size,
		.metric = "ksmdev_page_size_bytes", .help = "Size of a page in bytes." },
	[F_SAVED] = { .key = "bytes_saved", .get = get_bytes_saved,
		.metric = "ksmdev_bytes_saved",
		.help = "Bytes of memory merging saves (pages_sharing, plus zero_pages, times the page size).",
		.label = "memory saved:", .text = text_saved },
	[F_SKIPPED] = STAT(pages_skipped, "pages skipped:",
		.note = "visits smart scanning left out", .metric = "ksmdev_pages_skipped_total",
		.help = "Page visits smart scanning left out (pages that stayed unique)."),
	[F_ZERO] = STAT(zero_pages, "zero pages:",
		.note = "all-zero pages mapped to the zero page", .metric = "ksmdev_zero_pages",
		.help = "All-zero pages mapped to the kernel zero page (use_zero_pages)."),
	[F_LAST_SCAN] = STAT(last_scan_ms, "last full scan:", .unit = U_MS,
		.metric = "ksmdev_last_full_scan_seconds",
		.help = "Wall time the last full scan took."),
	[F_CPU] = STAT(scanner_cpu_permille, "scanner CPU:", .unit = U_PERMILLE,
		.note = "recent batches", .metric = "ksmdev_scanner_cpu_ratio",
		.help = "Share of a CPU the scanner used over its recent batches."),

	[F_MAX_KERNEL_PAGES] = { .key = "max_kernel_pages", .get = get_max_kernel_pages,
		.metric = "ksmdev_max_kernel_pages",
		.help = "Cap on KSM pages (module parameter max_kernel_pages).",
		.label = "KSM page cap:", .text = text_cap },
	[F_CAP_REFUSALS] = STAT(cap_refusals, NULL, .metric = "ksmdev_cap_refusals_total",
		.help = "Merges not done because KSM pages reached max_kernel_pages."),
	[F_CAP_PERCENT] = { .key = "cap_used_percent", .unit = U_PERCENT,
		.get = get_max_kernel_pages, .percent = cap_percent },
	[F_KERNEL_PAGES] = STAT(kernel_pages, "kernel pages:",
		.note = "KSM pages held, tracked or not", .metric = "ksmdev_kernel_pages",
		.help = "KSM pages allocated and not yet freed, tracked or not: what max_kernel_pages caps."),
	[F_MAX_USER_PAGES] = STAT(max_user_pages, "per-user cap:",
		.metric = "ksmdev_max_user_pages",
		.help = "Cap on the KSM pages of one user (module parameter max_user_pages).",
		.text = text_user_cap),
	[F_USER_REFUSALS] = STAT(user_refusals, NULL, .metric = "ksmdev_user_refusals_total",
		.help = "Merges not done because a user held max_user_pages KSM pages."),
	[F_CHARGE_REFUSALS] = STAT(charge_refusals, NULL,
		.metric = "ksmdev_charge_refusals_total",
		.help = "Merges not done because a memory cgroup was at its limit."),
	[F_SCAN_NS] = STAT(scan_ns_per_page, "scanner batch:", .unit = U_NSEC,
		.metric = "ksmdev_scan_seconds_per_page",
		.help = "Time the scanner's last batch took per page it looked at.",
		.text = text_scan_cost),
	[F_SCAN_SLEEP] = STAT(scan_sleep_us, NULL, .unit = U_USEC,
		.metric = "ksmdev_scan_chosen_sleep_seconds",
		.help = "Seconds the scanner sleeps after each batch: the configured sleep, "
			"or the longer one auto-tuning's CPU budget needs."),
};

static const unsigned char text_order[] = {
	F_SCANNER, F_AUTOTUNE,
	F_SHARED, F_SHARING, F_UNSHARED, F_VOLATILE, F_MERGED, F_FULL_SCANS, F_SCANNED,
	F_SMART_SCAN, F_SKIPPED, F_USE_ZERO_PAGES, F_ZERO, F_REGIONS, F_LAST_SCAN, F_CPU,
	F_SCAN_NS, F_SAVED, F_MAX_KERNEL_PAGES, F_MAX_USER_PAGES, F_DOMAIN_POLICY,
};

static const unsigned char prom_order[] = {
	F_RUNNING, F_PAGES_TO_SCAN, F_SLEEP, F_AT_ENABLED, F_AT_TARGET, F_AT_CPU,
	F_SMART_SCAN, F_USE_ZERO_PAGES, F_DOMAIN_POLICY,
	F_SHARED, F_SHARING, F_UNSHARED, F_VOLATILE, F_MERGED, F_FULL_SCANS, F_SCANNED,
	F_SKIPPED, F_ZERO, F_LAST_SCAN, F_CPU, F_REGIONS, F_SAVED, F_PAGE_SIZE,
	F_MAX_KERNEL_PAGES, F_CAP_REFUSALS,
	F_KERNEL_PAGES, F_MAX_USER_PAGES, F_USER_REFUSALS, F_CHARGE_REFUSALS,
	F_SCAN_NS, F_SCAN_SLEEP,
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Row @r's value into *@v: 1, or 0 when unknown.  The 2009 statistics are
 * always there; a later one when the driver filled it.
 */
static int field_value(const struct field *r, const struct ksmctl_status *s, uint64_t *v)
{
	if (r->get)
		return r->get(s, v);
	memcpy(v, (const char *)&s->stats + r->stat, sizeof(*v));
	return r->stat + sizeof(*v) <= KSM_STATS_SIZE_V1 ||
	       s->stats.size >= r->stat + sizeof(*v);
}

/* -- text */

/* The value as text shows it: "N", "N ms", "N.N%". */
static void text_value(FILE *f, const struct field *r, uint64_t v)
{
	if (r->unit == U_PERMILLE)
		fprintf(f, "%llu.%llu%%", (ull)v / 10, (ull)v % 10);
	else
		fprintf(f, "%llu%s", (ull)v, r->unit == U_MS ? " ms" : r->unit == U_NSEC ? " ns" : "");
}

/* "value (note)"; the caller leaves out a row it does not know. */
static void text_default(FILE *f, const struct field *r, const struct ksmctl_status *s)
{
	uint64_t v;

	field_value(r, s, &v);
	text_value(f, r, v);
	if (r->note)
		fprintf(f, " (%s)", r->note);
}

static void text_scanner(FILE *f, const struct field *r, const struct ksmctl_status *s)
{
	fprintf(f, "%s (%u pages per batch, %u us sleep between batches)",
		(s->scanner.flags & ksm_control_flags_run) ? "running" : "stopped",
		s->scanner.pages_to_scan, s->scanner.sleep);
}

static void text_autotune(FILE *f, const struct field *r, const struct ksmctl_status *s)
{
	uint64_t v;

	if (!s->have_autotune) {
		fputs("unknown (the loaded ksmdev module does not support it)", f);
		return;
	}
	if (!autotune_on(&s->autotune)) {
		fputs("off", f);
		return;
	}
	fputs("on (full scan in about ", f);
	field_value(&fields[F_AT_TARGET], s, &v);
	text_value(f, &fields[F_AT_TARGET], v);
	fputs(", at most ", f);
	field_value(&fields[F_AT_CPU], s, &v);
	text_value(f, &fields[F_AT_CPU], v);
	fprintf(f, " of a CPU; pages_to_scan now %u)", s->scanner.pages_to_scan);
}

/* A module parameter: its value in words, or why it is unknown; 0 if unknown. */
static int param_known(FILE *f, const struct field *r, const struct ksmctl_status *s,
		       uint64_t *v)
{
	if (field_value(r, s, v))
		return 1;
	fprintf(f, "unknown (cannot read module parameter %s)", r->key);
	return 0;
}

static void text_param(FILE *f, const struct field *r, const struct ksmctl_status *s)
{
	uint64_t v;

	if (param_known(f, r, s, &v))
		fprintf(f, "%s (module parameter %s)", v ? "on" : "off", r->key);
}

static const char *const policy_words[] = {
	"open: areas without a number share one domain, anyone joins any",
	"each user its own domain; numbered ones for group members and CAP_SYS_ADMIN",
	"as 1",
};

static void text_policy(FILE *f, const struct field *r, const struct ksmctl_status *s)
{
	uint64_t v;

	if (!param_known(f, r, s, &v))
		return;
	fprintf(f, "%d", (int)v);
	if (v < NELEM(policy_words))
		fprintf(f, " (%s)", policy_words[v]);
}

static void text_saved(FILE *f, const struct field *r, const struct ksmctl_status *s)
{
	char saved[32];

	fprintf(f, "%s (%llu bytes, %llu pages of %lu bytes)",
		ksmctl_human_bytes(s->bytes_saved, saved, sizeof(saved)),
		(ull)s->bytes_saved, (ull)(s->page_size ? s->bytes_saved / s->page_size : 0),
		s->page_size);
}

static void text_cap(FILE *f, const struct field *r, const struct ksmctl_status *s)
{
	const struct ksm_stats *st = &s->stats;

	if (!ksmctl_stats_have_cap(st)) {
		fputs("unknown (the loaded ksmdev module does not report it)", f);
		return;
	}
	if (st->max_kernel_pages)
		fprintf(f, "%llu of %llu max_kernel_pages (%.1f%%), ", (ull)cap_used(st),
			(ull)st->max_kernel_pages, cap_percent(st));
	else
		fputs("none, ", f);
	fprintf(f, "%llu merges refused at the cap", (ull)st->cap_refusals);
}

static void text_user_cap(FILE *f, const struct field *r, const struct ksmctl_status *s)
{
	const struct ksm_stats *st = &s->stats;

	if (!KSMCTL_STATS_HAVE(st, charge_refusals)) {
		fputs("unknown (the loaded ksmdev module does not report it)", f);
		return;
	}
	fprintf(f, "%llu KSM pages per user, %llu merges refused at it, %llu by memory cgroups",
		(ull)st->max_user_pages, (ull)st->user_refusals, (ull)st->charge_refusals);
}

static void text_scan_cost(FILE *f, const struct field *r, const struct ksmctl_status *s)
{
	const struct ksm_stats *st = &s->stats;

	if (!KSMCTL_STATS_HAVE(st, scan_sleep_us)) {
		fputs("unknown (the loaded ksmdev module does not report it)", f);
		return;
	}
	fprintf(f, "%llu ns per page, then a sleep of %llu us", (ull)st->scan_ns_per_page,
		(ull)st->scan_sleep_us);
}

int ksmctl_print_status_text(FILE *f, const struct ksmctl_status *s)
{
	for (size_t i = 0; i < NELEM(text_order); i++) {
		const struct field *r = &fields[text_order[i]];
		uint64_t v;

		if (!r->text && !field_value(r, s, &v))
			continue;
		fprintf(f, "%-16s ", r->label);
		(r->text ? r->text : text_default)(f, r, s);
		fputc('\n', f);
	}
	return ferror(f) ? -1 : 0;
}

/* -- JSON */

static void json_object(FILE *f, const struct field *r, size_t nrows,
			const struct ksmctl_status *s);

/* Row @r's value (an object for U_OBJECT), or null. */
static void json_value(FILE *f, const struct field *r, const struct ksmctl_status *s)
{
	uint64_t v;

	if (!field_value(r, s, &v))
		fputs("null", f);
	else if (r->unit == U_OBJECT)
		json_object(f, r + 1, r->nrows, s);
	else if (r->unit == U_BOOL)
		fputs(v ? "true" : "false", f);
	else if (r->unit == U_PERCENT)
		fprintf(f, "%.2f", r->percent(&s->stats));
	else
		fprintf(f, "%llu", (ull)v);
}

/* {"key":value,...} of the @nrows rows from @r, an object's own rows included. */
static void json_object(FILE *f, const struct field *r, size_t nrows,
			const struct ksmctl_status *s)
{
	const struct field *end = r + nrows;

	const char *sep = "";

	fputc('{', f);
	for (; r < end; r += r->unit == U_OBJECT ? 1 + r->nrows : 1) {
		fprintf(f, "%s\"%s\":", sep, r->key);
		json_value(f, r, s);
		sep = ",";
	}
	fputc('}', f);
}

int ksmctl_print_status_json(FILE *f, const struct ksmctl_status *s)
{
	json_object(f, fields, NFIELDS, s);
	fputc('\n', f);
	return ferror(f) ? -1 : 0;
}

/* -- Prometheus */

static void prom_family(FILE *f, const char *name, const char *help)
{
	size_t n = strlen(name);
	int counter = n > 6 && !strcmp(name + n - 6, "_total");

	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
		counter ? "counter" : "gauge");
}

static void prom_u64(FILE *f, const char *name, const char *help, uint64_t v)
{
	prom_family(f, name, help);
	fprintf(f, "%s %llu\n", name, (ull)v);
}

/* Row @r's family and sample; nothing when its value is unknown. */
static void prom_field(FILE *f, const struct field *r, const struct ksmctl_status *s)
{
	uint64_t v;

	if (!field_value(r, s, &v))
		return;
	prom_family(f, r->metric, r->help);
	if (r->unit == U_USEC)
		fprintf(f, "%s %llu.%06llu\n", r->metric, (ull)v / 1000000, (ull)v % 1000000);
	else if (r->unit == U_MS || r->unit == U_PERMILLE)
		fprintf(f, "%s %llu.%03llu\n", r->metric, (ull)v / 1000, (ull)v % 1000);
	else if (r->unit == U_NSEC)
		fprintf(f, "%s %llu.%09llu\n", r->metric, (ull)v / 1000000000,
			(ull)v % 1000000000);
	else
		fprintf(f, "%s %llu\n", r->metric, (ull)v);
}

int ksmctl_print_status_prometheus(FILE *f, const struct ksmctl_status *s)
{
	for (size_t i = 0; i < NELEM(prom_order); i++)
		prom_field(f, &fields[prom_order[i]], s);
	return ferror(f) ? -1 : 0;
}

/* -- autotune: the rows of the status's "autotune" object */

static struct ksmctl_status autotune_status(const struct ksm_autotune *at,
					    const struct ksm_kthread_info *k)
{
	return (struct ksmctl_status){ .scanner = *k, .autotune = *at, .have_autotune = 1 };
}

int ksmctl_print_autotune_text(FILE *f, const struct ksm_autotune *at,
			       const struct ksm_kthread_info *k)
{
	struct ksmctl_status s = autotune_status(at, k);
	uint64_t v;

	fprintf(f, "autotune %s", autotune_on(at) ? "on" : "off");
	for (int i = F_AT_TARGET; i <= F_AT_PAGES_TO_SCAN; i++) {
		field_value(&fields[i], &s, &v);
		fprintf(f, ", %s %llu", fields[i].key, (ull)v);
	}
	fputc('\n', f);
	return ferror(f) ? -1 : 0;
}

int ksmctl_print_autotune_json(FILE *f, const struct ksm_autotune *at,
			       const struct ksm_kthread_info *k)
{
	struct ksmctl_status s = autotune_status(at, k);

	json_object(f, &fields[F_AUTOTUNE + 1], fields[F_AUTOTUNE].nrows, &s);
	fputc('\n', f);
	return ferror(f) ? -1 : 0;
}

/* ------------------------------------------------------------ areas */

/*
 * The numbers of an area, in JSON order: each a JSON key, most a metric,
 * some a column of `ps`.  The Prometheus samples of one (pid, comm,
 * domain) sum the areas' metrics; the domain is a label there.
 */
static const struct {
	const char *key;	/* JSON */
	const char *metric;	/* NULL: none; a counter when it ends in _total */
	const char *help;
	const char *column;	/* text: heading; NULL: no column */
	int width;
	int human;		/* text: bytes in binary units */
	size_t off;		/* of a uint64_t in struct ksmctl_area */
} area_fields[] = {
#define AREA(name, key, ...) { #key, __VA_ARGS__, .off = offsetof(struct ksmctl_area, name) }
	AREA(info.regions, regions, "ksmdev_area_regions",
	     "Registered memory regions of the process's areas.", "REGIONS", 7),
	AREA(info.pages_registered, pages_registered, NULL),
	AREA(bytes_registered, bytes_registered, "ksmdev_area_registered_bytes",
	     "Bytes of memory the process registered.", "REGISTERED", 11, 1),
	AREA(info.pages_merged, pages_merged, "ksmdev_area_pages_merged",
	     "Page table entries of the process mapping a KSM page.", "MERGED", 10),
	AREA(info.pages_shared, pages_shared, "ksmdev_area_pages_shared",
	     "KSM pages counted to the process's areas."),
	AREA(info.pages_sharing, pages_sharing, "ksmdev_area_pages_sharing",
	     "Pages saved in the process's areas."),
	AREA(bytes_saved, bytes_saved, "ksmdev_area_bytes_saved",
	     "Bytes saved in the process's areas.", "SAVED", 11, 1),
	AREA(info.pages_scanned, pages_scanned, "ksmdev_area_pages_scanned_total",
	     "Pages of the process's areas the scanner examined."),
	AREA(info.domain, domain, NULL),
#undef AREA
};

#define AREA_U64(a, m) (*(uint64_t *)((char *)(a) + area_fields[m].off))

/* One line of `ps`: the heading when @a is NULL. */
static void area_line(FILE *f, const struct ksmctl_area *a)
{
	char buf[64];

	if (a && a->info.pid)
		fprintf(f, "%7u %-16s", a->info.pid,
			ksmctl_text_comm(a->info.comm, sizeof(a->info.comm), buf, sizeof(buf)));
	else if (a)	/* the process is not in our pid namespace, or is gone */
		fprintf(f, "%7s %-16s", "-",
			ksmctl_text_comm(a->info.comm, sizeof(a->info.comm), buf, sizeof(buf)));
	else
		fprintf(f, "%7s %-16s", "PID", "COMMAND");
	for (size_t m = 0; m < NELEM(area_fields); m++) {
		int w = area_fields[m].width;
		uint64_t v;

		if (!area_fields[m].column)
			continue;
		if (!a) {
			fprintf(f, " %*s", w, area_fields[m].column);
			continue;
		}
		v = AREA_U64(a, m);
		if (area_fields[m].human)
			fprintf(f, " %*s", w, ksmctl_human_bytes(v, buf, sizeof(buf)));
		else
			fprintf(f, " %*llu", w, (ull)v);
	}
	fprintf(f, " %s\n", a ? ksmctl_domain_name(a->info.domain, buf, sizeof(buf)) : "DOMAIN");
}

int ksmctl_print_areas_text(FILE *f, const struct ksmctl_area *a, size_t n)
{
	if (!n)
		fputs("no shared memory areas\n", f);
	else
		area_line(f, NULL);
	for (size_t i = 0; i < n; i++)
		area_line(f, &a[i]);
	return ferror(f) ? -1 : 0;
}

int ksmctl_print_areas_json(FILE *f, const struct ksmctl_area *a, size_t n)
{
	fputs("{\"areas\":[", f);
	for (size_t i = 0; i < n; i++) {
		const struct ksm_area_info *ai = &a[i].info;

		fprintf(f, "%s{\"pid\":%u,\"uid\":%u,\"comm\":", i ? "," : "", ai->pid, ai->uid);
		ksmctl_json_string(f, ai->comm, sizeof(ai->comm));
		for (size_t m = 0; m < NELEM(area_fields); m++)
			fprintf(f, ",\"%s\":%llu", area_fields[m].key, (ull)AREA_U64(&a[i], m));
		fprintf(f, ",\"domain_kind\":\"%s\"}", ksmctl_domain_kind(ai->domain));
	}
	fprintf(f, "],\"count\":%zu}\n", n);
	return ferror(f) ? -1 : 0;
}

static int area_cmp(const void *x, const void *y)
{
	const struct ksmctl_area *a = x, *b = y;
	int c;

	if (a->info.pid != b->info.pid)
		return a->info.pid < b->info.pid ? -1 : 1;
	c = strncmp(a->info.comm, b->info.comm, sizeof(a->info.comm));
	if (c)
		return c;
	if (a->info.domain != b->info.domain)
		return a->info.domain < b->info.domain ? -1 : 1;
	return 0;
}

/* @a sorted, the areas of one (pid, comm, domain) summed: a new array of *@ng. */
static struct ksmctl_area *area_groups(const struct ksmctl_area *a, size_t n, size_t *ng)
{
	struct ksmctl_area *g = malloc((n ? n : 1) * sizeof(*g));
	size_t i, m;

	*ng = 0;
	if (!g)
		return NULL;
	memcpy(g, a, n * sizeof(*g));
	qsort(g, n, sizeof(*g), area_cmp);
	for (i = 0; i < n; i++) {
		if (!*ng || area_cmp(&g[*ng - 1], &g[i])) {
			g[(*ng)++] = g[i];
			continue;
		}
		for (m = 0; m < NELEM(area_fields); m++)
			if (area_fields[m].metric)
				AREA_U64(&g[*ng - 1], m) += AREA_U64(&g[i], m);
	}
	return g;
}

int ksmctl_print_areas_prometheus(FILE *f, const struct ksmctl_area *a, size_t n)
{
	size_t ng, i, m;
	struct ksmctl_area *g = area_groups(a, n, &ng);
	char dom[32];

	if (!g)
		return -1;
	prom_u64(f, "ksmdev_areas",
		 "Shared memory areas visible to the caller (all of them for root).", n);
	for (m = 0; m < NELEM(area_fields); m++) {
		if (!area_fields[m].metric)
			continue;
		prom_family(f, area_fields[m].metric, area_fields[m].help);
		for (i = 0; i < ng; i++) {
			fprintf(f, "%s{pid=\"%u\",comm=\"", area_fields[m].metric, g[i].info.pid);
			ksmctl_prom_label_value(f, g[i].info.comm, sizeof(g[i].info.comm));
			fprintf(f, "\",domain=\"%s\"} %llu\n",
				ksmctl_domain_name(g[i].info.domain, dom, sizeof(dom)),
				(ull)AREA_U64(&g[i], m));
		}
	}
	free(g);
	return ferror(f) ? -1 : 0;
}

/* ------------------------------------------------------------ watch */

int ksmctl_print_watch_line(FILE *f, const struct ksmctl_sample *s, const char *clock)
{
	char saved[32];

	fprintf(f, "%s %s merged %+.1f pages/s, scanned %.1f pages/s, pages_to_scan %u%s, "
		"full scans %llu, shared %llu, sharing %llu, saved %s\n",
		clock, (s->scanner.flags & ksm_control_flags_run) ? "running" : "stopped",
		s->merged_per_sec, s->scanned_per_sec, s->scanner.pages_to_scan,
		s->autotune > 0 ? " (auto-tuned)" : "", (ull)s->stats.full_scans,
		(ull)s->stats.pages_shared, (ull)s->stats.pages_sharing,
		ksmctl_human_bytes(s->bytes_saved, saved, sizeof(saved)));
	return ferror(f) ? -1 : 0;
}

int ksmctl_print_watch_json(FILE *f, const struct ksmctl_sample *s)
{
	fprintf(f, "{\"time\":%.3f,\"seconds\":%.3f,\"running\":%s,"
		"\"pages_to_scan\":%u,\"autotune\":%s,"
		"\"pages_merged_per_sec\":%.1f,\"pages_scanned_per_sec\":%.1f,"
		"\"full_scans\":%llu,\"pages_scanned\":%llu,\"pages_merged\":%llu,"
		"\"pages_shared\":%llu,\"pages_sharing\":%llu,\"regions\":%llu,"
		"\"bytes_saved\":%llu}\n",
		s->time, s->seconds,
		(s->scanner.flags & ksm_control_flags_run) ? "true" : "false",
		s->scanner.pages_to_scan,
		s->autotune < 0 ? "null" : s->autotune ? "true" : "false",
		s->merged_per_sec, s->scanned_per_sec,
		(ull)s->stats.full_scans, (ull)s->stats.pages_scanned,
		(ull)s->stats.pages_merged, (ull)s->stats.pages_shared,
		(ull)s->stats.pages_sharing, (ull)s->stats.regions, (ull)s->bytes_saved);
	return ferror(f) ? -1 : 0;
}

int ksmctl_print_watch_screen(FILE *f, const struct ksmctl_sample *s, const char *clock,
			      const char *device, double interval)
{
	char saved[32];

	/* Home the cursor, clear the screen. */
	fprintf(f, "\033[H\033[2J");
	fprintf(f, "ksmctl watch: %s every %.1f s, %s    (Ctrl-C quits)\n\n",
		device, interval, clock);
	fprintf(f, "scanner          %s (%u us sleep between batches)\n",
		(s->scanner.flags & ksm_control_flags_run) ? "running" : "stopped",
		s->scanner.sleep);
	fprintf(f, "pages_to_scan    %u%s\n", s->scanner.pages_to_scan,
		s->autotune > 0 ? " (auto-tuned)" : s->autotune == 0 ? " (fixed)" : "");
	fprintf(f, "pages merged/s   %+.1f\n", s->merged_per_sec);
	fprintf(f, "pages scanned/s  %.1f\n", s->scanned_per_sec);
	fprintf(f, "full scans       %llu\n", (ull)s->stats.full_scans);
	fprintf(f, "pages shared     %llu\n", (ull)s->stats.pages_shared);
	fprintf(f, "pages sharing    %llu\n", (ull)s->stats.pages_sharing);
	fprintf(f, "regions          %llu\n", (ull)s->stats.regions);
	fprintf(f, "memory saved     %s\n", ksmctl_human_bytes(s->bytes_saved, saved, sizeof(saved)));
	return ferror(f) ? -1 : 0;
}

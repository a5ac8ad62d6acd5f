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

/* Length of the valid UTF-8 sequence at @s (@n bytes left), 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	uint32_t cp;
	size_t len, i;

	if (c < 0x80)
		return 1;
	if (c < 0xc2)
		return 0;	/* continuation byte, or overlong 2-byte lead */
	if (c < 0xe0) {
		len = 2;
		cp = c & 0x1f;
	} else if (c < 0xf0) {
		len = 3;
		cp = c & 0x0f;
	} else if (c < 0xf5) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)))
		return 0;
	if (len == 4 && (cp < 0x10000 || cp > 0x10ffff))
		return 0;
	return len;
}

#define REPLACEMENT_CHAR "\xef\xbf\xbd"	/* U+FFFD in UTF-8 */

int ksmctl_json_string(FILE *f, const char *str, size_t maxlen)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n = strnlen(str, maxlen), i = 0, l;

	fputc('"', f);
	while (i < n) {
		unsigned char c = s[i];

		switch (c) {
		case '"':  fputs("\\\"", f); i++; continue;
		case '\\': fputs("\\\\", f); i++; continue;
		case '\b': fputs("\\b", f); i++; continue;
		case '\f': fputs("\\f", f); i++; continue;
		case '\n': fputs("\\n", f); i++; continue;
		case '\r': fputs("\\r", f); i++; continue;
		case '\t': fputs("\\t", f); i++; continue;
		}
		if (c < 0x20 || c == 0x7f) {
			fprintf(f, "\\u%04x", c);
			i++;
			continue;
		}
		l = utf8_seq(s + i, n - i);
		if (!l) {
			fputs("\\ufffd", f);
			i++;
			continue;
		}
		fwrite(s + i, 1, l, f);
		i += l;
	}
	fputc('"', f);
	return ferror(f) ? -1 : 0;
}

int ksmctl_prom_label_value(FILE *f, const char *str, size_t maxlen)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n = strnlen(str, maxlen), i = 0, l;

	while (i < n) {
		unsigned char c = s[i];

		if (c == '\\' || c == '"') {
			fputc('\\', f);
			fputc(c, f);
			i++;
			continue;
		}
		if (c == '\n') {
			fputs("\\n", f);
			i++;
			continue;
		}
		l = utf8_seq(s + i, n - i);
		if (!l) {
			fputs(REPLACEMENT_CHAR, f);
			i++;
			continue;
		}
		fwrite(s + i, 1, l, f);
		i += l;
	}
	return ferror(f) ? -1 : 0;
}

char *ksmctl_text_comm(const char *comm, size_t maxlen, char *buf, size_t len)
{
	const unsigned char *s = (const unsigned char *)comm;
	size_t n = strnlen(comm, maxlen), i = 0, o = 0, l;

	if (!len)
		return buf;
	while (i < n) {
		l = utf8_seq(s + i, n - i);
		if (l <= 1) {
			if (o + 1 >= len)
				break;
			buf[o++] = (l && s[i] >= 0x20 && s[i] != 0x7f) ? (char)s[i] : '?';
			i++;
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
		snprintf(buf, len, "default");
	else if (domain & KSMCTL_USER_DOMAIN_BIT)
		snprintf(buf, len, "user:%llu", (ull)(domain & ~KSMCTL_USER_DOMAIN_BIT));
	else
		snprintf(buf, len, "%llu", (ull)domain);
	return buf;
}

const char *ksmctl_domain_kind(uint64_t domain)
{
	if (!domain)
		return "default";
	return (domain & KSMCTL_USER_DOMAIN_BIT) ? "user" : "numbered";
}

/* ------------------------------------------------------------ autotune */

static int autotune_on(const struct ksm_autotune *at)
{
	return !!(at->flags & KSM_AUTOTUNE_ON);
}

int ksmctl_print_autotune_text(FILE *f, const struct ksm_autotune *at,
			       const struct ksm_kthread_info *k)
{
	fprintf(f, "autotune %s, target_scan_ms %u, max_cpu_permille %u, pages_to_scan %u\n",
		autotune_on(at) ? "on" : "off", at->target_scan_ms, at->max_cpu_permille,
		k->pages_to_scan);
	return ferror(f) ? -1 : 0;
}

static void autotune_json(FILE *f, const struct ksm_autotune *at,
			  const struct ksm_kthread_info *k)
{
	fprintf(f, "{\"enabled\":%s,\"target_scan_ms\":%u,\"max_cpu_permille\":%u,"
		"\"pages_to_scan\":%u}",
		autotune_on(at) ? "true" : "false", at->target_scan_ms, at->max_cpu_permille,
		k->pages_to_scan);
}

int ksmctl_print_autotune_json(FILE *f, const struct ksm_autotune *at,
			       const struct ksm_kthread_info *k)
{
	autotune_json(f, at, k);
	fputc('\n', f);
	return ferror(f) ? -1 : 0;
}

/* ------------------------------------------------------------ status */

static const char *const policy_words[] = {
	"anyone may join any domain",
	"numbered domains other than 0 need CAP_SYS_ADMIN",
	"as 1, and unprivileged areas always go to their user's domain",
};

/* "on (module parameter NAME)", "off (...)" or "unknown (...)". */
static void param_line(FILE *f, const char *label, int v, const char *name)
{
	if (v < 0)
		fprintf(f, "%-16s unknown (cannot read module parameter %s)\n", label, name);
	else
		fprintf(f, "%-16s %s (module parameter %s)\n", label, v ? "on" : "off", name);
}

static double cap_percent(const struct ksm_stats *st)
{
	return st->max_kernel_pages ?
		100.0 * (double)st->pages_shared / (double)st->max_kernel_pages : 0.0;
}

int ksmctl_print_status_text(FILE *f, const struct ksmctl_status *s)
{
	const struct ksm_stats *st = &s->stats;
	char saved[32];

	fprintf(f, "scanner:         %s (%u pages per batch, %u us sleep between batches)\n",
		(s->scanner.flags & ksm_control_flags_run) ? "running" : "stopped",
		s->scanner.pages_to_scan, s->scanner.sleep);
	if (!s->have_autotune)
		fprintf(f, "auto-tuning:     unknown (the loaded ksmdev module does not support it)\n");
	else if (autotune_on(&s->autotune))
		fprintf(f, "auto-tuning:     on (full scan in about %u ms, at most %u.%u%% of a CPU; "
			"pages_to_scan now %u)\n",
			s->autotune.target_scan_ms, s->autotune.max_cpu_permille / 10,
			s->autotune.max_cpu_permille % 10, s->scanner.pages_to_scan);
	else
		fprintf(f, "auto-tuning:     off\n");
	fprintf(f, "pages shared:    %llu (KSM pages in use)\n", (ull)st->pages_shared);
	fprintf(f, "pages sharing:   %llu (further mappings of them: pages saved)\n",
		(ull)st->pages_sharing);
	fprintf(f, "pages unshared:  %llu (unique pages tracked as candidates)\n",
		(ull)st->pages_unshared);
	fprintf(f, "pages volatile:  %llu (changed since last looked at)\n",
		(ull)st->pages_volatile);
	fprintf(f, "pages merged:    %llu (mappings of KSM pages)\n", (ull)st->pages_merged);
	fprintf(f, "full scans:      %llu\n", (ull)st->full_scans);
	fprintf(f, "pages scanned:   %llu\n", (ull)st->pages_scanned);
	param_line(f, "smart scanning:", s->smart_scan, "smart_scan");
	if (HAVE(st, pages_skipped))
		fprintf(f, "pages skipped:   %llu (visits smart scanning left out)\n",
			(ull)st->pages_skipped);
	param_line(f, "zero-page mode:", s->use_zero_pages, "use_zero_pages");
	if (HAVE(st, zero_pages))
		fprintf(f, "zero pages:      %llu (all-zero pages mapped to the zero page)\n",
			(ull)st->zero_pages);
	fprintf(f, "regions:         %llu\n", (ull)st->regions);
	if (HAVE(st, last_scan_ms))
		fprintf(f, "last full scan:  %llu ms\n", (ull)st->last_scan_ms);
	if (HAVE(st, scanner_cpu_permille))
		fprintf(f, "scanner CPU:     %llu.%llu%% (recent batches)\n",
			(ull)st->scanner_cpu_permille / 10, (ull)st->scanner_cpu_permille % 10);
	fprintf(f, "memory saved:    %s (%llu bytes, %llu pages of %lu bytes)\n",
		ksmctl_human_bytes(s->bytes_saved, saved, sizeof(saved)),
		(ull)s->bytes_saved, (ull)(s->page_size ? s->bytes_saved / s->page_size : 0),
		s->page_size);
	if (!ksmctl_stats_have_cap(st))
		fprintf(f, "KSM page cap:    unknown (the loaded ksmdev module does not report it)\n");
	else if (!st->max_kernel_pages)
		fprintf(f, "KSM page cap:    none, %llu merges refused at the cap\n",
			(ull)st->cap_refusals);
	else
		fprintf(f, "KSM page cap:    %llu of %llu max_kernel_pages (%.1f%%), %llu merges refused at the cap\n",
			(ull)st->pages_shared, (ull)st->max_kernel_pages, cap_percent(st),
			(ull)st->cap_refusals);
	if (s->domain_policy < 0)
		fprintf(f, "domain policy:   unknown (cannot read module parameter domain_policy)\n");
	else if ((size_t)s->domain_policy < sizeof(policy_words) / sizeof(policy_words[0]))
		fprintf(f, "domain policy:   %d (%s)\n", s->domain_policy,
			policy_words[s->domain_policy]);
	else
		fprintf(f, "domain policy:   %d\n", s->domain_policy);
	return ferror(f) ? -1 : 0;
}

/* "name":value, or "name":null when the driver did not report it. */
static void json_opt(FILE *f, const char *name, int have, uint64_t v)
{
	if (have)
		fprintf(f, "\"%s\":%llu,", name, (ull)v);
	else
		fprintf(f, "\"%s\":null,", name);
}

/* ,"name":true/false (@boolean) or a number, or null when @v < 0. */
static void json_param(FILE *f, const char *name, int v, int boolean)
{
	if (v < 0)
		fprintf(f, ",\"%s\":null", name);
	else if (boolean)
		fprintf(f, ",\"%s\":%s", name, v ? "true" : "false");
	else
		fprintf(f, ",\"%s\":%d", name, v);
}

int ksmctl_print_status_json(FILE *f, const struct ksmctl_status *s)
{
	const struct ksm_stats *st = &s->stats;

	fprintf(f, "{\"scanner\":{\"running\":%s,\"flags\":%u,\"pages_to_scan\":%u,\"sleep_usecs\":%u},",
		(s->scanner.flags & ksm_control_flags_run) ? "true" : "false",
		s->scanner.flags, s->scanner.pages_to_scan, s->scanner.sleep);
	fputs("\"autotune\":", f);
	if (s->have_autotune)
		autotune_json(f, &s->autotune, &s->scanner);
	else
		fputs("null", f);
	json_param(f, "smart_scan", s->smart_scan, 1);
	json_param(f, "use_zero_pages", s->use_zero_pages, 1);
	json_param(f, "domain_policy", s->domain_policy, 0);
	fputc(',', f);
	fprintf(f, "\"pages_shared\":%llu,\"pages_sharing\":%llu,\"pages_unshared\":%llu,"
		"\"pages_volatile\":%llu,\"pages_merged\":%llu,\"full_scans\":%llu,"
		"\"pages_scanned\":%llu,\"regions\":%llu,\"page_size\":%lu,\"bytes_saved\":%llu,",
		(ull)st->pages_shared, (ull)st->pages_sharing, (ull)st->pages_unshared,
		(ull)st->pages_volatile, (ull)st->pages_merged, (ull)st->full_scans,
		(ull)st->pages_scanned, (ull)st->regions, s->page_size, (ull)s->bytes_saved);
	json_opt(f, "pages_skipped", HAVE(st, pages_skipped), st->pages_skipped);
	json_opt(f, "zero_pages", HAVE(st, zero_pages), st->zero_pages);
	json_opt(f, "last_scan_ms", HAVE(st, last_scan_ms), st->last_scan_ms);
	json_opt(f, "scanner_cpu_permille", HAVE(st, scanner_cpu_permille),
		 st->scanner_cpu_permille);
	if (ksmctl_stats_have_cap(st))
		fprintf(f, "\"max_kernel_pages\":%llu,\"cap_refusals\":%llu,\"cap_used_percent\":%.2f}\n",
			(ull)st->max_kernel_pages, (ull)st->cap_refusals, cap_percent(st));
	else
		fputs("\"max_kernel_pages\":null,\"cap_refusals\":null,\"cap_used_percent\":null}\n", f);
	return ferror(f) ? -1 : 0;
}

static void prom_family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void prom_u64(FILE *f, const char *name, const char *type, const char *help,
		     uint64_t v)
{
	prom_family(f, name, type, help);
	fprintf(f, "%s %llu\n", name, (ull)v);
}

int ksmctl_print_status_prometheus(FILE *f, const struct ksmctl_status *s)
{
	const struct ksm_stats *st = &s->stats;

	prom_u64(f, "ksmdev_scanner_running", "gauge",
		 "1 when the ksmdev scanner thread is running, 0 when stopped.",
		 (s->scanner.flags & ksm_control_flags_run) ? 1 : 0);
	prom_u64(f, "ksmdev_scanner_pages_to_scan", "gauge",
		 "Pages the scanner examines per batch (its own choice while auto-tuning).",
		 s->scanner.pages_to_scan);
	prom_family(f, "ksmdev_scanner_sleep_seconds", "gauge",
		    "Seconds the scanner sleeps between batches.");
	fprintf(f, "ksmdev_scanner_sleep_seconds %u.%06u\n",
		s->scanner.sleep / 1000000, s->scanner.sleep % 1000000);
	if (s->have_autotune) {
		prom_u64(f, "ksmdev_autotune_enabled", "gauge",
			 "1 when the scanner chooses its own pages_to_scan (auto-tuning), 0 when not.",
			 autotune_on(&s->autotune));
		prom_family(f, "ksmdev_autotune_target_scan_seconds", "gauge",
			    "Auto-tuning target: seconds a full scan should take.");
		fprintf(f, "ksmdev_autotune_target_scan_seconds %u.%03u\n",
			s->autotune.target_scan_ms / 1000, s->autotune.target_scan_ms % 1000);
		prom_family(f, "ksmdev_autotune_max_cpu_ratio", "gauge",
			    "Auto-tuning budget: the most of a CPU the scanner may use.");
		fprintf(f, "ksmdev_autotune_max_cpu_ratio %u.%03u\n",
			s->autotune.max_cpu_permille / 1000, s->autotune.max_cpu_permille % 1000);
	}
	if (s->smart_scan >= 0)
		prom_u64(f, "ksmdev_smart_scan_enabled", "gauge",
			 "Module parameter smart_scan: 1 when unique pages are visited less often.",
			 (uint64_t)s->smart_scan);
	if (s->use_zero_pages >= 0)
		prom_u64(f, "ksmdev_use_zero_pages_enabled", "gauge",
			 "Module parameter use_zero_pages: 1 when all-zero pages map the zero page.",
			 (uint64_t)s->use_zero_pages);
	if (s->domain_policy >= 0)
		prom_u64(f, "ksmdev_domain_policy", "gauge",
			 "Module parameter domain_policy: who may join which merge domain (0, 1, 2).",
			 (uint64_t)s->domain_policy);
	prom_u64(f, "ksmdev_pages_shared", "gauge",
		 "KSM pages in use.", st->pages_shared);
	prom_u64(f, "ksmdev_pages_sharing", "gauge",
		 "Further mappings of KSM pages, that is pages saved.", st->pages_sharing);
	prom_u64(f, "ksmdev_pages_unshared", "gauge",
		 "Unique pages tracked as merge candidates.", st->pages_unshared);
	prom_u64(f, "ksmdev_pages_volatile", "gauge",
		 "Pages that changed since the scanner last looked at them.", st->pages_volatile);
	prom_u64(f, "ksmdev_pages_merged", "gauge",
		 "Page table entries mapping a KSM page.", st->pages_merged);
	prom_u64(f, "ksmdev_full_scans_total", "counter",
		 "Completed scanner passes over all registered regions.", st->full_scans);
	prom_u64(f, "ksmdev_pages_scanned_total", "counter",
		 "Pages the scanner examined since the module was loaded.", st->pages_scanned);
	if (HAVE(st, pages_skipped))
		prom_u64(f, "ksmdev_pages_skipped_total", "counter",
			 "Page visits smart scanning left out (pages that stayed unique).",
			 st->pages_skipped);
	if (HAVE(st, zero_pages))
		prom_u64(f, "ksmdev_zero_pages", "gauge",
			 "All-zero pages mapped to the kernel zero page (use_zero_pages).",
			 st->zero_pages);
	if (HAVE(st, last_scan_ms)) {
		prom_family(f, "ksmdev_last_full_scan_seconds", "gauge",
			    "Wall time the last full scan took.");
		fprintf(f, "ksmdev_last_full_scan_seconds %llu.%03llu\n",
			(ull)st->last_scan_ms / 1000, (ull)st->last_scan_ms % 1000);
	}
	if (HAVE(st, scanner_cpu_permille)) {
		prom_family(f, "ksmdev_scanner_cpu_ratio", "gauge",
			    "Share of a CPU the scanner used over its recent batches.");
		fprintf(f, "ksmdev_scanner_cpu_ratio %llu.%03llu\n",
			(ull)st->scanner_cpu_permille / 1000, (ull)st->scanner_cpu_permille % 1000);
	}
	prom_u64(f, "ksmdev_regions", "gauge",
		 "Registered memory regions.", st->regions);
	prom_u64(f, "ksmdev_bytes_saved", "gauge",
		 "Bytes of memory merging saves (pages_sharing, plus zero_pages, times the page size).",
		 s->bytes_saved);
	prom_u64(f, "ksmdev_page_size_bytes", "gauge",
		 "Size of a page in bytes.", s->page_size);
	if (ksmctl_stats_have_cap(st)) {
		prom_u64(f, "ksmdev_max_kernel_pages", "gauge",
			 "Cap on KSM pages (module parameter max_kernel_pages).",
			 st->max_kernel_pages);
		prom_u64(f, "ksmdev_cap_refusals_total", "counter",
			 "Merges not done because KSM pages reached max_kernel_pages.",
			 st->cap_refusals);
	}
	return ferror(f) ? -1 : 0;
}

/* ------------------------------------------------------------ areas */

int ksmctl_print_areas_text(FILE *f, const struct ksmctl_area *a, size_t n)
{
	char comm[64], reg[32], saved[32], dom[32];

	if (!n) {
		fputs("no shared memory areas\n", f);
		return ferror(f) ? -1 : 0;
	}
	fprintf(f, "%7s %-16s %7s %11s %10s %11s %s\n",
		"PID", "COMMAND", "REGIONS", "REGISTERED", "MERGED", "SAVED", "DOMAIN");
	for (size_t i = 0; i < n; i++) {
		const struct ksm_area_info *ai = &a[i].info;

		fprintf(f, "%7u %-16s %7llu %11s %10llu %11s %s\n", ai->pid,
			ksmctl_text_comm(ai->comm, sizeof(ai->comm), comm, sizeof(comm)),
			(ull)ai->regions,
			ksmctl_human_bytes(a[i].bytes_registered, reg, sizeof(reg)),
			(ull)ai->pages_merged,
			ksmctl_human_bytes(a[i].bytes_saved, saved, sizeof(saved)),
			ksmctl_domain_name(ai->domain, dom, sizeof(dom)));
	}
	return ferror(f) ? -1 : 0;
}

int ksmctl_print_areas_json(FILE *f, const struct ksmctl_area *a, size_t n)
{
	fputs("{\"areas\":[", f);
	for (size_t i = 0; i < n; i++) {
		const struct ksm_area_info *ai = &a[i].info;

		fprintf(f, "%s{\"pid\":%u,\"uid\":%u,\"comm\":", i ? "," : "", ai->pid, ai->uid);
		ksmctl_json_string(f, ai->comm, sizeof(ai->comm));
		fprintf(f, ",\"regions\":%llu,\"pages_registered\":%llu,\"bytes_registered\":%llu,"
			"\"pages_merged\":%llu,\"pages_shared\":%llu,\"pages_sharing\":%llu,"
			"\"bytes_saved\":%llu,\"pages_scanned\":%llu,\"domain\":%llu,\"domain_kind\":\"%s\"}",
			(ull)ai->regions, (ull)ai->pages_registered, (ull)a[i].bytes_registered,
			(ull)ai->pages_merged, (ull)ai->pages_shared, (ull)ai->pages_sharing,
			(ull)a[i].bytes_saved, (ull)ai->pages_scanned, (ull)ai->domain,
			ksmctl_domain_kind(ai->domain));
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

static const struct {
	const char *name, *type, *help;
	size_t off;		/* of a uint64_t in struct ksmctl_area */
} area_metrics[] = {
	{ "ksmdev_area_regions", "gauge", "Registered memory regions of the process's areas.",
	  offsetof(struct ksmctl_area, info.regions) },
	{ "ksmdev_area_registered_bytes", "gauge", "Bytes of memory the process registered.",
	  offsetof(struct ksmctl_area, bytes_registered) },
	{ "ksmdev_area_pages_merged", "gauge", "Page table entries of the process mapping a KSM page.",
	  offsetof(struct ksmctl_area, info.pages_merged) },
	{ "ksmdev_area_pages_shared", "gauge", "KSM pages counted to the process's areas.",
	  offsetof(struct ksmctl_area, info.pages_shared) },
	{ "ksmdev_area_pages_sharing", "gauge", "Pages saved in the process's areas.",
	  offsetof(struct ksmctl_area, info.pages_sharing) },
	{ "ksmdev_area_bytes_saved", "gauge", "Bytes saved in the process's areas.",
	  offsetof(struct ksmctl_area, bytes_saved) },
	{ "ksmdev_area_pages_scanned_total", "counter", "Pages of the process's areas the scanner examined.",
	  offsetof(struct ksmctl_area, info.pages_scanned) },
};

#define AREA_U64(a, off) (*(uint64_t *)((char *)(a) + (off)))

int ksmctl_print_areas_prometheus(FILE *f, const struct ksmctl_area *a, size_t n)
{
	struct ksmctl_area *g = NULL;
	size_t ng = 0, i, m;
	char dom[32];

	if (n) {
		g = malloc(n * sizeof(*g));
		if (!g)
			return -1;
		memcpy(g, a, n * sizeof(*g));
		qsort(g, n, sizeof(*g), area_cmp);
		/* Sum the areas of one (pid, comm, domain) into one entry. */
		for (i = 0; i < n; i++) {
			if (ng && !area_cmp(&g[ng - 1], &g[i])) {
				for (m = 0; m < sizeof(area_metrics) / sizeof(area_metrics[0]); m++)
					AREA_U64(&g[ng - 1], area_metrics[m].off) +=
						AREA_U64(&g[i], area_metrics[m].off);
			} else {
				g[ng++] = g[i];
			}
		}
	}
	prom_u64(f, "ksmdev_areas", "gauge",
		 "Shared memory areas visible to the caller (all of them for root).", n);
	for (m = 0; m < sizeof(area_metrics) / sizeof(area_metrics[0]); m++) {
		prom_family(f, area_metrics[m].name, area_metrics[m].type, area_metrics[m].help);
		for (i = 0; i < ng; i++) {
			fprintf(f, "%s{pid=\"%u\",comm=\"", area_metrics[m].name, g[i].info.pid);
			ksmctl_prom_label_value(f, g[i].info.comm, sizeof(g[i].info.comm));
			fprintf(f, "\",domain=\"%s\"} %llu\n",
				ksmctl_domain_name(g[i].info.domain, dom, sizeof(dom)),
				(ull)AREA_U64(&g[i], area_metrics[m].off));
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

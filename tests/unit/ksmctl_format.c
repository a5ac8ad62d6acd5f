// SPDX-License-Identifier: GPL-2.0-only
/*
 * ksmctl output formatting (tools/ksmctl/format.c): human units at their
 * boundaries, JSON string escaping of command names, Prometheus label
 * escaping and the exposition format's HELP/TYPE rules, the 2009 info
 * line, merge domain names, auto-tuning and module parameters in status,
 * watch rates.  Pure functions only: no device, no libksmdev.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "format.h"

/* Run @fn's output into a string (caller frees). */
#define CAPTURE(out, call) do {						\
	size_t len_;							\
	FILE *f = open_memstream(&(out), &len_);			\
	assert_non_null(f);						\
	assert_int_equal((call), 0);					\
	assert_int_equal(fclose(f), 0);					\
} while (0)

static void assert_contains(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("output does not contain '%s':\n%s", needle, hay);
}

static void human_units_at_boundaries(void **state)
{
	static const struct {
		uint64_t bytes;
		const char *want;
	} cases[] = {
		{ 0, "0 B" },
		{ 1, "1 B" },
		{ 1023, "1023 B" },
		{ 1024, "1.0 KiB" },
		{ 1075, "1.0 KiB" },		/* 1.0498 */
		{ 1076, "1.1 KiB" },		/* 1.0508 */
		{ 1536, "1.5 KiB" },
		{ 10239, "10.0 KiB" },
		{ 1048524, "1023.9 KiB" },
		{ 1048525, "1.0 MiB" },		/* 1023.95 KiB rounds to 1024.0 */
		{ 1048575, "1.0 MiB" },
		{ 1048576, "1.0 MiB" },
		{ 36864, "36.0 KiB" },
		{ 12582912, "12.0 MiB" },
		{ 1023ULL << 20, "1023.0 MiB" },
		{ (1ULL << 30) - 1, "1.0 GiB" },
		{ 1ULL << 30, "1.0 GiB" },
		{ (1ULL << 30) + (1ULL << 29), "1.5 GiB" },
		{ 10ULL << 30, "10.0 GiB" },
		{ 1ULL << 40, "1.0 TiB" },
		{ 1ULL << 50, "1.0 PiB" },
		{ 1ULL << 60, "1.0 EiB" },
		{ UINT64_MAX, "16.0 EiB" },
	};
	char buf[32];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ksmctl_human_bytes(cases[i].bytes, buf, sizeof(buf));
		if (strcmp(buf, cases[i].want))
			fail_msg("%llu bytes: '%s', want '%s'", (unsigned long long)cases[i].bytes,
				 buf, cases[i].want);
	}
	/* A short buffer is truncated, never overrun. */
	memset(buf, 'x', sizeof(buf));
	ksmctl_human_bytes(1ULL << 30, buf, 4);
	assert_string_equal(buf, "1.0");
	assert_int_equal(buf[4], 'x');
}

static char *json_of(const char *s, size_t maxlen)
{
	char *out;

	CAPTURE(out, ksmctl_json_string(f, s, maxlen));
	return out;
}

static void json_escapes_comm_names(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "ksmdev-example", "\"ksmdev-example\"" },
		{ "", "\"\"" },
		{ "a\"b", "\"a\\\"b\"" },
		{ "back\\slash", "\"back\\\\slash\"" },
		{ "\"\\\"", "\"\\\"\\\\\\\"\"" },
		{ "l1\nl2", "\"l1\\nl2\"" },
		{ "t\tr\rb\bf\f", "\"t\\tr\\rb\\bf\\f\"" },
		{ "\x01\x1f", "\"\\u0001\\u001f\"" },
		{ "del\x7f", "\"del\\u007f\"" },
		{ "\x1b[31mred", "\"\\u001b[31mred\"" },
		{ "caf\xc3\xa9", "\"caf\xc3\xa9\"" },		/* valid UTF-8 kept */
		{ "\xe2\x82\xac", "\"\xe2\x82\xac\"" },		/* euro sign */
		{ "\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\"" },	/* emoji */
		{ "bad\xff", "\"bad\\ufffd\"" },
		{ "cut\xc3", "\"cut\\ufffd\"" },		/* truncated sequence */
		{ "\xc0\xaf", "\"\\ufffd\\ufffd\"" },		/* overlong '/' */
		{ "\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"" },	/* surrogate */
		{ "/", "\"/\"" },
		{ "c1\xc2\x9b" "2J", "\"c1\\u009b2J\"" },		/* C1 CSI */
		{ "\xc2\x85", "\"\\u0085\"" },			/* C1 NEL */
		{ "evil\xe2\x80\xaetxt", "\"evil\\u202etxt\"" },	/* RLO */
		{ "\xe2\x81\xa6x\xe2\x81\xa9", "\"\\u2066x\\u2069\"" },	/* LRI, PDI */
		{ "\xe2\x80\x8f\xd8\x9c", "\"\\u200f\\u061c\"" },	/* RLM, ALM */
		{ "\xe2\x80\xaf\xc2\xa0", "\"\xe2\x80\xaf\xc2\xa0\"" },	/* spaces kept */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *out = json_of(cases[i].in, 16);

		if (strcmp(out, cases[i].want))
			fail_msg("case %zu: %s, want %s", i, out, cases[i].want);
		free(out);
	}
}

static void json_respects_maxlen(void **state)
{
	/* comm[16] need not hold a NUL within maxlen; nothing past it is read. */
	char comm[20] = "0123456789abcdefXYZ";
	char *out = json_of(comm, 16);

	(void)state;
	assert_string_equal(out, "\"0123456789abcdef\"");
	free(out);
	/* A UTF-8 sequence cut by maxlen is invalid there. */
	out = json_of("abc\xc3\xa9", 4);
	assert_string_equal(out, "\"abc\\ufffd\"");
	free(out);
}

static char *label_of(const char *s)
{
	char *out;

	CAPTURE(out, ksmctl_prom_label_value(f, s, 16));
	return out;
}

static void prometheus_label_escaping(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "plain", "plain" },
		{ "a\"b", "a\\\"b" },
		{ "a\\b", "a\\\\b" },
		{ "a\nb", "a\\nb" },
		{ "\\n", "\\\\n" },		/* a backslash and an n, not a newline */
		{ "tab\there", "tab\xef\xbf\xbdhere" },	/* no escape for tab: U+FFFD */
		{ "\x1b[2J", "\xef\xbf\xbd[2J" },
		{ "c1\xc2\x9b", "c1\xef\xbf\xbd" },
		{ "evil\xe2\x80\xaetxt", "evil\xef\xbf\xbdtxt" },
		{ "\xe2\x80\xaf", "\xe2\x80\xaf" },
		{ "caf\xc3\xa9", "caf\xc3\xa9" },
		{ "bad\xff", "bad\xef\xbf\xbd" },	/* U+FFFD: values must be UTF-8 */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *out = label_of(cases[i].in);

		if (strcmp(out, cases[i].want))
			fail_msg("case %zu: '%s', want '%s'", i, out, cases[i].want);
		free(out);
	}
}

static void text_comm_is_terminal_safe(void **state)
{
	char buf[64];

	(void)state;
	assert_string_equal(ksmctl_text_comm("qemu", 16, buf, sizeof(buf)), "qemu");
	assert_string_equal(ksmctl_text_comm("a\x1b[2Jb", 16, buf, sizeof(buf)), "a?[2Jb");
	assert_string_equal(ksmctl_text_comm("x\ny\x7f", 16, buf, sizeof(buf)), "x?y?");
	assert_string_equal(ksmctl_text_comm("caf\xc3\xa9\xff", 16, buf, sizeof(buf)), "caf\xc3\xa9?");
	assert_string_equal(ksmctl_text_comm("0123456789abcdefgh", 16, buf, sizeof(buf)),
			    "0123456789abcdef");
	assert_string_equal(ksmctl_text_comm("abcdef", 16, buf, 4), "abc");
	/* C1 controls and bidirectional controls: one '?' each. */
	assert_string_equal(ksmctl_text_comm("a\xc2\x9b" "b\xc2\x85", 16, buf, sizeof(buf)), "a?b?");
	assert_string_equal(ksmctl_text_comm("evil\xe2\x80\xaetxt", 16, buf, sizeof(buf)),
			    "evil?txt");
	assert_string_equal(ksmctl_text_comm("\xe2\x81\xa6x\xe2\x81\xa9\xe2\x80\x8e", 16, buf,
					     sizeof(buf)), "?x??");
	assert_string_equal(ksmctl_text_comm("\xd8\x9c\xe2\x80\xaf", 16, buf, sizeof(buf)),
			    "?\xe2\x80\xaf");
}

/* ksmctl shows the advice that ends a ksmdev_strerror() text, no more. */
static void error_advice(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "no such device or region (is the ksmdev module loaded?)",
		  " (is the ksmdev module loaded?)" },
		{ "this area holds the maximum (module parameter (regions_per_fd))",
		  " (module parameter (regions_per_fd))" },
		{ "out of memory", "" },
		{ "", "" },
		{ "(no space before it)", "" },
		{ "unbalanced)", "" },
		{ "a (b) c", "" },
		{ "a (b) (c)", " (c)" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(ksmctl_error_advice(cases[i].in), cases[i].want);
}

/* ------------------------------------------------------------ status */

static struct ksmctl_status sample_status(void)
{
	struct ksmctl_status s;

	memset(&s, 0, sizeof(s));
	s.scanner.flags = ksm_control_flags_run;
	s.scanner.pages_to_scan = 100;
	s.scanner.sleep = 20000;
	s.stats.size = sizeof(s.stats);
	s.stats.pages_shared = 1;
	s.stats.pages_sharing = 9;
	s.stats.pages_unshared = 5;
	s.stats.pages_volatile = 2;
	s.stats.pages_merged = 10;
	s.stats.full_scans = 3;
	s.stats.pages_scanned = 45;
	s.stats.regions = 1;
	s.stats.max_kernel_pages = 4;
	s.stats.cap_refusals = 7;
	s.stats.pages_skipped = 11;
	s.stats.last_scan_ms = 1234;
	s.stats.scanner_cpu_permille = 57;
	s.stats.zero_pages = 0;
	s.stats.kernel_pages = 1;
	s.stats.max_user_pages = 2;
	s.stats.user_refusals = 3;
	s.stats.charge_refusals = 5;
	s.stats.scan_ns_per_page = 2500;
	s.stats.scan_sleep_us = 40000;
	s.page_size = 4096;
	s.bytes_saved = 9 * 4096;
	s.have_autotune = 1;
	s.autotune.size = sizeof(s.autotune);
	s.autotune.flags = KSM_AUTOTUNE_ON;
	s.autotune.target_scan_ms = 1500;
	s.autotune.max_cpu_permille = 125;
	s.smart_scan = 1;
	s.use_zero_pages = 0;
	s.domain_policy = 1;
	return s;
}

/* A status from a module before auto-tuning and the newer parameters. */
static void make_old(struct ksmctl_status *s)
{
	s->stats.size = KSM_STATS_SIZE_V1;
	s->have_autotune = 0;
	memset(&s->autotune, 0, sizeof(s->autotune));
	s->smart_scan = s->use_zero_pages = s->domain_policy = -1;
}

static void domain_names(void **state)
{
	static const struct {
		uint64_t domain;
		const char *name, *kind;
	} cases[] = {
		{ 0, "open", "open" },
		{ 1, "1", "numbered" },
		{ 42, "42", "numbered" },
		{ (1ULL << 63) - 1, "9223372036854775807", "numbered" },
		{ 1ULL << 63, "user:0", "user" },
		{ (1ULL << 63) | 1000, "user:1000", "user" },
		{ (1ULL << 63) | 65534, "user:65534", "user" },
		{ (1ULL << 63) | 4294967295ULL, "user:4294967295", "user" },
	};
	char buf[32];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ksmctl_domain_name(cases[i].domain, buf, sizeof(buf));
		if (strcmp(buf, cases[i].name) || strcmp(ksmctl_domain_kind(cases[i].domain), cases[i].kind))
			fail_msg("domain %llu: '%s' (%s), want '%s' (%s)",
				 (unsigned long long)cases[i].domain, buf,
				 ksmctl_domain_kind(cases[i].domain), cases[i].name, cases[i].kind);
	}
	/* Short buffers are truncated, never overrun. */
	memset(buf, 'x', sizeof(buf));
	ksmctl_domain_name((1ULL << 63) | 65534, buf, 6);
	assert_string_equal(buf, "user:");
	assert_int_equal(buf[6], 'x');
}

static void autotune_settings(void **state)
{
	struct ksm_autotune at = { .size = sizeof(at), .flags = KSM_AUTOTUNE_ON,
				   .target_scan_ms = 2000, .max_cpu_permille = 50 };
	struct ksm_kthread_info k = { .sleep = 20000, .pages_to_scan = 4242, .flags = 1 };
	char *out;

	(void)state;
	CAPTURE(out, ksmctl_print_autotune_text(f, &at, &k));
	assert_string_equal(out, "autotune on, target_scan_ms 2000, max_cpu_permille 50, pages_to_scan 4242\n");
	free(out);
	CAPTURE(out, ksmctl_print_autotune_json(f, &at, &k));
	assert_string_equal(out, "{\"enabled\":true,\"target_scan_ms\":2000,\"max_cpu_permille\":50,"
			    "\"pages_to_scan\":4242}\n");
	free(out);
	at.flags = 0;
	CAPTURE(out, ksmctl_print_autotune_text(f, &at, &k));
	assert_string_equal(out, "autotune off, target_scan_ms 2000, max_cpu_permille 50, pages_to_scan 4242\n");
	free(out);
	CAPTURE(out, ksmctl_print_autotune_json(f, &at, &k));
	assert_contains(out, "{\"enabled\":false,");
	free(out);
}

static void info_line_is_2009_format(void **state)
{
	struct ksm_kthread_info k = { .sleep = 20000, .pages_to_scan = 100, .flags = 1 };
	char *out;

	(void)state;
	CAPTURE(out, ksmctl_print_info_text(f, &k));
	assert_string_equal(out, "flags 1, pages_to_scan 100, sleep_time 20000\n");
	free(out);
	k.flags = 0;
	CAPTURE(out, ksmctl_print_info_json(f, &k));
	assert_string_equal(out, "{\"flags\":0,\"pages_to_scan\":100,\"sleep_time\":20000,\"running\":false}\n");
	free(out);
}

static void status_text(void **state)
{
	struct ksmctl_status s = sample_status();
	char *out;

	(void)state;
	CAPTURE(out, ksmctl_print_status_text(f, &s));
	assert_contains(out, "scanner:         running (100 pages per batch, 20000 us");
	assert_contains(out, "pages shared:    1 ");
	assert_contains(out, "pages sharing:   9 ");
	assert_contains(out, "pages unshared:  5 ");
	assert_contains(out, "pages volatile:  2 ");
	assert_contains(out, "pages merged:    10 ");
	assert_contains(out, "full scans:      3\n");
	assert_contains(out, "pages scanned:   45\n");
	assert_contains(out, "pages skipped:   11 ");
	assert_contains(out, "zero pages:      0 ");
	assert_contains(out, "regions:         1\n");
	assert_contains(out, "last full scan:  1234 ms\n");
	assert_contains(out, "scanner CPU:     5.7% (recent batches)\n");
	assert_contains(out, "memory saved:    36.0 KiB (36864 bytes, 9 pages of 4096 bytes)");
	assert_contains(out, "1 of 4 max_kernel_pages (25.0%), 7 merges refused");
	assert_contains(out, "auto-tuning:     on (full scan in about 1500 ms, at most 12.5% of a CPU; "
			"pages_to_scan now 100)\n");
	assert_contains(out, "smart scanning:  on (module parameter smart_scan)\n");
	assert_contains(out, "zero-page mode:  off (module parameter use_zero_pages)\n");
	assert_contains(out, "domain policy:   1 (each user its own domain; numbered ones for group members and CAP_SYS_ADMIN)\n");
	/* Every line is "label: value", the label padded to one column. */
	for (const char *l = out; *l; l = strchr(l, '\n') + 1) {
		const char *colon = strchr(l, ':');

		assert_non_null(colon);
		assert_true(colon < strchr(l, '\n'));
		assert_true(colon - l < 16 && l[16] == ' ' && l[17] != ' ');
	}
	free(out);

	s.autotune.flags = 0;
	s.smart_scan = 0;
	s.use_zero_pages = 1;
	s.domain_policy = 2;
	CAPTURE(out, ksmctl_print_status_text(f, &s));
	assert_contains(out, "auto-tuning:     off\n");
	assert_contains(out, "smart scanning:  off (");
	assert_contains(out, "zero-page mode:  on (");
	assert_contains(out, "domain policy:   2 (as 1)\n");
	free(out);
	s.domain_policy = 0;
	CAPTURE(out, ksmctl_print_status_text(f, &s));
	assert_contains(out, "domain policy:   0 (open: areas without a number share one domain, anyone joins any)\n");
	free(out);
	s.domain_policy = 7;	/* a future policy: the number alone */
	CAPTURE(out, ksmctl_print_status_text(f, &s));
	assert_contains(out, "domain policy:   7\n");
	free(out);
	s = sample_status();

	/* A module from before smart scanning: no pages_skipped and later. */
	s.stats.size = offsetof(struct ksm_stats, pages_skipped);
	CAPTURE(out, ksmctl_print_status_text(f, &s));
	assert_null(strstr(out, "skipped"));
	assert_null(strstr(out, "zero pages"));
	assert_null(strstr(out, "last full scan"));
	assert_null(strstr(out, "scanner CPU"));
	assert_contains(out, "1 of 4 max_kernel_pages (25.0%), 7 merges refused");
	free(out);

	/* An older module fills only the 2009 fields, has no new parameters. */
	make_old(&s);
	s.scanner.flags = 0;
	CAPTURE(out, ksmctl_print_status_text(f, &s));
	assert_contains(out, "scanner:         stopped");
	assert_contains(out, "KSM page cap:    unknown");
	assert_null(strstr(out, "skipped"));
	assert_contains(out, "auto-tuning:     unknown (the loaded ksmdev module does not support it)\n");
	assert_contains(out, "smart scanning:  unknown (cannot read module parameter smart_scan)\n");
	assert_contains(out, "zero-page mode:  unknown (cannot read module parameter use_zero_pages)\n");
	assert_contains(out, "domain policy:   unknown (cannot read module parameter domain_policy)\n");
	free(out);
}

static void status_json(void **state)
{
	struct ksmctl_status s = sample_status();
	char *out;

	(void)state;
	CAPTURE(out, ksmctl_print_status_json(f, &s));
	assert_string_equal(out,
		"{\"scanner\":{\"running\":true,\"flags\":1,\"pages_to_scan\":100,\"sleep_usecs\":20000},"
		"\"autotune\":{\"enabled\":true,\"target_scan_ms\":1500,\"max_cpu_permille\":125,"
		"\"pages_to_scan\":100},\"smart_scan\":true,\"use_zero_pages\":false,\"domain_policy\":1,"
		"\"pages_shared\":1,\"pages_sharing\":9,\"pages_unshared\":5,\"pages_volatile\":2,"
		"\"pages_merged\":10,\"full_scans\":3,\"pages_scanned\":45,\"regions\":1,"
		"\"page_size\":4096,\"bytes_saved\":36864,\"pages_skipped\":11,\"zero_pages\":0,"
		"\"last_scan_ms\":1234,\"scanner_cpu_permille\":57,\"max_kernel_pages\":4,"
		"\"cap_refusals\":7,\"cap_used_percent\":25.00,\"kernel_pages\":1,"
		"\"max_user_pages\":2,\"user_refusals\":3,\"charge_refusals\":5,"
		"\"scan_ns_per_page\":2500,\"scan_sleep_us\":40000}\n");
	free(out);
	s.autotune.flags = 0;
	s.use_zero_pages = 1;
	s.domain_policy = 2;
	CAPTURE(out, ksmctl_print_status_json(f, &s));
	assert_contains(out, "\"autotune\":{\"enabled\":false,\"target_scan_ms\":1500,");
	assert_contains(out, "\"smart_scan\":true,\"use_zero_pages\":true,\"domain_policy\":2,");
	free(out);
	make_old(&s);
	CAPTURE(out, ksmctl_print_status_json(f, &s));
	assert_contains(out, "\"autotune\":null,\"smart_scan\":null,\"use_zero_pages\":null,"
			"\"domain_policy\":null,\"pages_shared\":1,");
	assert_contains(out, "\"pages_skipped\":null,\"zero_pages\":null,\"last_scan_ms\":null,"
			"\"scanner_cpu_permille\":null,\"max_kernel_pages\":null,\"cap_refusals\":null,"
			"\"cap_used_percent\":null,\"kernel_pages\":null,\"max_user_pages\":null,"
			"\"user_refusals\":null,\"charge_refusals\":null,\"scan_ns_per_page\":null,"
			"\"scan_sleep_us\":null}\n");
	free(out);
}

/*
 * The text exposition format's rules, as node_exporter's textfile collector
 * applies them: every line a comment or a sample; sample names match
 * [a-zA-Z_:][a-zA-Z0-9_:]*; each family has exactly one HELP and one TYPE,
 * both before its samples; families are not split; TYPE is known; labels are
 * name="value" with only \\ \" \n escapes; values are numbers.  Returns the
 * number of samples.
 */
static int valid_name_char(char c, int first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
	       (!first && c >= '0' && c <= '9');
}

static size_t name_len(const char *p)
{
	size_t n = 0;

	while (p[n] && valid_name_char(p[n], n == 0))
		n++;
	return n;
}

static int check_exposition(const char *text)
{
	char help[64][64], type[64][64], done[64][64];
	int nhelp = 0, ntype = 0, ndone = 0, samples = 0;
	char cur[64] = "";
	const char *line = text;

	assert_true(*text);
	assert_int_equal(text[strlen(text) - 1], '\n');
	while (*line) {
		const char *end = strchr(line, '\n');
		char l[512], name[64];
		size_t len = (size_t)(end - line), n;
		char *p;

		assert_non_null(end);
		assert_true(len < sizeof(l));
		memcpy(l, line, len);
		l[len] = '\0';
		line = end + 1;
		if (!strncmp(l, "# HELP ", 7) || !strncmp(l, "# TYPE ", 7)) {
			int is_help = l[2] == 'H';

			n = name_len(l + 7);
			assert_true(n > 0 && n < sizeof(name));
			assert_int_equal(l[7 + n], ' ');
			memcpy(name, l + 7, n);
			name[n] = '\0';
			if (strcmp(cur, name)) {
				/* A new family: it must not have been seen before. */
				for (int i = 0; i < ndone; i++)
					if (!strcmp(done[i], name))
						fail_msg("family %s split", name);
				strcpy(cur, name);
				strcpy(done[ndone++], name);
			}
			if (is_help) {
				for (int i = 0; i < nhelp; i++)
					assert_string_not_equal(help[i], name);
				strcpy(help[nhelp++], name);
				assert_true(strlen(l + 8 + n) > 0);
			} else {
				const char *t = l + 8 + n;

				for (int i = 0; i < ntype; i++)
					assert_string_not_equal(type[i], name);
				strcpy(type[ntype++], name);
				assert_true(!strcmp(t, "gauge") || !strcmp(t, "counter"));
				if (!strcmp(t, "counter"))
					assert_non_null(strstr(name, "_total"));
			}
			continue;
		}
		assert_int_not_equal(l[0], '#');
		n = name_len(l);
		assert_true(n > 0 && n < sizeof(name));
		memcpy(name, l, n);
		name[n] = '\0';
		if (strcmp(name, cur))
			fail_msg("sample %s outside its family (current %s)", name, cur);
		{
			int h = 0, t = 0;

			for (int i = 0; i < nhelp; i++)
				h |= !strcmp(help[i], name);
			for (int i = 0; i < ntype; i++)
				t |= !strcmp(type[i], name);
			if (!h || !t)
				fail_msg("sample %s without HELP and TYPE before it", name);
		}
		p = l + n;
		if (*p == '{') {
			p++;
			while (*p != '}') {
				size_t ln = name_len(p);

				assert_true(ln > 0);
				p += ln;
				assert_int_equal(*p++, '=');
				assert_int_equal(*p++, '"');
				while (*p != '"') {
					assert_true(*p && *p != '\n');
					if (*p == '\\') {
						p++;
						assert_true(*p == '\\' || *p == '"' || *p == 'n');
					}
					p++;
				}
				p++;
				if (*p == ',')
					p++;
				else
					assert_int_equal(*p, '}');
			}
			p++;
		}
		assert_int_equal(*p++, ' ');
		{
			char *e;

			strtod(p, &e);
			assert_true(e != p && *e == '\0');
		}
		samples++;
	}
	assert_int_equal(nhelp, ntype);
	return samples;
}

static void status_prometheus(void **state)
{
	struct ksmctl_status s = sample_status();
	char *out;

	(void)state;
	CAPTURE(out, ksmctl_print_status_prometheus(f, &s));
	assert_int_equal(check_exposition(out), 31);
	assert_contains(out, "# TYPE ksmdev_pages_shared gauge\nksmdev_pages_shared 1\n");
	assert_contains(out, "# TYPE ksmdev_pages_sharing gauge\nksmdev_pages_sharing 9\n");
	assert_contains(out, "# TYPE ksmdev_full_scans_total counter\nksmdev_full_scans_total 3\n");
	assert_contains(out, "# TYPE ksmdev_pages_scanned_total counter\nksmdev_pages_scanned_total 45\n");
	assert_contains(out, "# TYPE ksmdev_bytes_saved gauge\nksmdev_bytes_saved 36864\n");
	assert_contains(out, "# TYPE ksmdev_scanner_running gauge\nksmdev_scanner_running 1\n");
	assert_contains(out, "ksmdev_scanner_sleep_seconds 0.020000\n");
	assert_contains(out, "ksmdev_max_kernel_pages 4\n");
	assert_contains(out, "ksmdev_cap_refusals_total 7\n");
	assert_contains(out, "# TYPE ksmdev_pages_skipped_total counter\nksmdev_pages_skipped_total 11\n");
	assert_contains(out, "# TYPE ksmdev_zero_pages gauge\nksmdev_zero_pages 0\n");
	assert_contains(out, "ksmdev_last_full_scan_seconds 1.234\n");
	assert_contains(out, "ksmdev_scanner_cpu_ratio 0.057\n");
	assert_contains(out, "# HELP ksmdev_pages_shared ");
	assert_contains(out, "# TYPE ksmdev_autotune_enabled gauge\nksmdev_autotune_enabled 1\n");
	assert_contains(out, "# TYPE ksmdev_autotune_target_scan_seconds gauge\n"
			"ksmdev_autotune_target_scan_seconds 1.500\n");
	assert_contains(out, "# TYPE ksmdev_autotune_max_cpu_ratio gauge\n"
			"ksmdev_autotune_max_cpu_ratio 0.125\n");
	assert_contains(out, "# TYPE ksmdev_smart_scan_enabled gauge\nksmdev_smart_scan_enabled 1\n");
	assert_contains(out, "# TYPE ksmdev_use_zero_pages_enabled gauge\nksmdev_use_zero_pages_enabled 0\n");
	assert_contains(out, "# TYPE ksmdev_domain_policy gauge\nksmdev_domain_policy 1\n");
	assert_contains(out, "ksmdev_scanner_pages_to_scan 100\n");
	free(out);

	s.autotune.flags = 0;
	s.autotune.target_scan_ms = 100000;
	s.autotune.max_cpu_permille = 1000;
	CAPTURE(out, ksmctl_print_status_prometheus(f, &s));
	assert_int_equal(check_exposition(out), 31);
	assert_contains(out, "ksmdev_autotune_enabled 0\n");
	assert_contains(out, "ksmdev_autotune_target_scan_seconds 100.000\n");
	assert_contains(out, "ksmdev_autotune_max_cpu_ratio 1.000\n");
	free(out);

	make_old(&s);
	s.scanner.flags = 0;
	CAPTURE(out, ksmctl_print_status_prometheus(f, &s));
	assert_int_equal(check_exposition(out), 13);
	assert_contains(out, "ksmdev_scanner_running 0\n");
	assert_null(strstr(out, "max_kernel_pages"));
	assert_null(strstr(out, "skipped"));
	assert_null(strstr(out, "autotune"));
	assert_null(strstr(out, "smart_scan"));
	assert_null(strstr(out, "use_zero_pages"));
	assert_null(strstr(out, "domain"));
	free(out);
}

/*
 * The three formats each keep the order of lines, keys and families they
 * have always had, although one table of fields serves them all: the whole
 * text, and the Prometheus samples in order (JSON: status_json).
 */
static void status_orders_kept(void **state)
{
	struct ksmctl_status s = sample_status();
	char *out, *samples, *w;
	const char *l;

	(void)state;
	CAPTURE(out, ksmctl_print_status_text(f, &s));
	assert_string_equal(out,
		"scanner:         running (100 pages per batch, 20000 us sleep between batches)\n"
		"auto-tuning:     on (full scan in about 1500 ms, at most 12.5% of a CPU; "
		"pages_to_scan now 100)\n"
		"pages shared:    1 (KSM pages in use)\n"
		"pages sharing:   9 (further mappings of them: pages saved)\n"
		"pages unshared:  5 (unique pages tracked as candidates)\n"
		"pages volatile:  2 (changed since last looked at)\n"
		"pages merged:    10 (mappings of KSM pages)\n"
		"full scans:      3\n"
		"pages scanned:   45\n"
		"smart scanning:  on (module parameter smart_scan)\n"
		"pages skipped:   11 (visits smart scanning left out)\n"
		"zero-page mode:  off (module parameter use_zero_pages)\n"
		"zero pages:      0 (all-zero pages mapped to the zero page)\n"
		"regions:         1\n"
		"last full scan:  1234 ms\n"
		"scanner CPU:     5.7% (recent batches)\n"
		"scanner batch:   2500 ns per page, then a sleep of 40000 us\n"
		"memory saved:    36.0 KiB (36864 bytes, 9 pages of 4096 bytes)\n"
		"KSM page cap:    1 of 4 max_kernel_pages (25.0%), 7 merges refused at the cap\n"
		"per-user cap:    2 KSM pages per user, 3 merges refused at it, 5 by memory cgroups\n"
		"domain policy:   1 (each user its own domain; numbered ones for group members and CAP_SYS_ADMIN)\n");
	free(out);

	CAPTURE(out, ksmctl_print_status_prometheus(f, &s));
	samples = w = calloc(1, strlen(out) + 1);
	assert_non_null(samples);
	for (l = out; *l; l = strchr(l, '\n') + 1) {
		size_t len = (size_t)(strchr(l, '\n') + 1 - l);

		if (*l != '#') {
			memcpy(w, l, len);
			w += len;
		}
	}
	assert_string_equal(samples,
		"ksmdev_scanner_running 1\n"
		"ksmdev_scanner_pages_to_scan 100\n"
		"ksmdev_scanner_sleep_seconds 0.020000\n"
		"ksmdev_autotune_enabled 1\n"
		"ksmdev_autotune_target_scan_seconds 1.500\n"
		"ksmdev_autotune_max_cpu_ratio 0.125\n"
		"ksmdev_smart_scan_enabled 1\n"
		"ksmdev_use_zero_pages_enabled 0\n"
		"ksmdev_domain_policy 1\n"
		"ksmdev_pages_shared 1\n"
		"ksmdev_pages_sharing 9\n"
		"ksmdev_pages_unshared 5\n"
		"ksmdev_pages_volatile 2\n"
		"ksmdev_pages_merged 10\n"
		"ksmdev_full_scans_total 3\n"
		"ksmdev_pages_scanned_total 45\n"
		"ksmdev_pages_skipped_total 11\n"
		"ksmdev_zero_pages 0\n"
		"ksmdev_last_full_scan_seconds 1.234\n"
		"ksmdev_scanner_cpu_ratio 0.057\n"
		"ksmdev_regions 1\n"
		"ksmdev_bytes_saved 36864\n"
		"ksmdev_page_size_bytes 4096\n"
		"ksmdev_max_kernel_pages 4\n"
		"ksmdev_cap_refusals_total 7\n"
		"ksmdev_kernel_pages 1\n"
		"ksmdev_max_user_pages 2\n"
		"ksmdev_user_refusals_total 3\n"
		"ksmdev_charge_refusals_total 5\n"
		"ksmdev_scan_seconds_per_page 0.000002500\n"
		"ksmdev_scan_chosen_sleep_seconds 0.040000\n");
	free(samples);
	free(out);
}

/* ------------------------------------------------------------ areas */

static struct ksmctl_area area(uint32_t pid, const char *comm, uint64_t regions,
			       uint64_t registered, uint64_t merged, uint64_t sharing)
{
	struct ksmctl_area a;

	memset(&a, 0, sizeof(a));
	a.info.pid = pid;
	a.info.uid = 1000;
	memcpy(a.info.comm, comm, strnlen(comm, sizeof(a.info.comm)));
	a.info.regions = regions;
	a.info.pages_registered = registered;
	a.info.pages_merged = merged;
	a.info.pages_shared = merged - sharing;
	a.info.pages_sharing = sharing;
	a.info.pages_scanned = registered * 2;
	a.bytes_registered = registered * 4096;
	a.bytes_saved = sharing * 4096;
	return a;
}

static struct ksmctl_area in_domain(struct ksmctl_area a, uint64_t domain)
{
	a.info.domain = domain;
	return a;
}

static void areas_text(void **state)
{
	struct ksmctl_area a[6] = {
		area(42, "qemu", 2, 4096, 4000, 3000),
		area(7, "evil\x1b[2J", 1, 1, 0, 0),
		in_domain(area(8, "tenant", 1, 1, 0, 0), (1ULL << 63) | 1000),
		in_domain(area(9, "shared", 1, 1, 0, 0), 12345),
		area(0, "elsewhere", 1, 1, 0, 0),
		area(10, "x\xe2\x80\xae" "exe.txt", 1, 1, 0, 0),
	};
	char *out;

	(void)state;
	CAPTURE(out, ksmctl_print_areas_text(f, a, 6));
	assert_contains(out, "    PID COMMAND          REGIONS  REGISTERED     MERGED       SAVED DOMAIN\n");
	assert_contains(out, "     42 qemu                   2    16.0 MiB       4000    11.7 MiB open\n");
	assert_contains(out, "      7 evil?[2J ");
	assert_contains(out, "      8 tenant                 1     4.0 KiB          0         0 B user:1000\n");
	assert_contains(out, "      9 shared                 1     4.0 KiB          0         0 B 12345\n");
	/* pid 0: the creator is not in our pid namespace (or gone) */
	assert_contains(out, "      - elsewhere              1     4.0 KiB          0         0 B open\n");
	assert_contains(out, "     10 x?exe.txt ");
	assert_null(strchr(out, '\x1b'));
	assert_null(strstr(out, "\xe2\x80\xae"));
	free(out);
	CAPTURE(out, ksmctl_print_areas_text(f, a, 0));
	assert_string_equal(out, "no shared memory areas\n");
	free(out);
}

static void areas_json(void **state)
{
	struct ksmctl_area a[4] = {
		area(42, "qemu", 2, 4096, 4000, 3000),
		area(43, "a\"b\\c\nd", 1, 10, 0, 0),
		in_domain(area(44, "t", 1, 1, 0, 0), (1ULL << 63) | 65534),
		in_domain(area(45, "n", 1, 1, 0, 0), 7),
	};
	char *out;

	(void)state;
	CAPTURE(out, ksmctl_print_areas_json(f, a, 2));
	assert_string_equal(out,
		"{\"areas\":["
		"{\"pid\":42,\"uid\":1000,\"comm\":\"qemu\",\"regions\":2,\"pages_registered\":4096,"
		"\"bytes_registered\":16777216,\"pages_merged\":4000,\"pages_shared\":1000,"
		"\"pages_sharing\":3000,\"bytes_saved\":12288000,\"pages_scanned\":8192,"
		"\"domain\":0,\"domain_kind\":\"open\"},"
		"{\"pid\":43,\"uid\":1000,\"comm\":\"a\\\"b\\\\c\\nd\",\"regions\":1,\"pages_registered\":10,"
		"\"bytes_registered\":40960,\"pages_merged\":0,\"pages_shared\":0,"
		"\"pages_sharing\":0,\"bytes_saved\":0,\"pages_scanned\":20,"
		"\"domain\":0,\"domain_kind\":\"open\"}"
		"],\"count\":2}\n");
	free(out);
	CAPTURE(out, ksmctl_print_areas_json(f, a + 2, 2));
	assert_contains(out, "\"pages_scanned\":2,\"domain\":9223372036854841342,\"domain_kind\":\"user\"}");
	assert_contains(out, "\"pages_scanned\":2,\"domain\":7,\"domain_kind\":\"numbered\"}");
	free(out);
	CAPTURE(out, ksmctl_print_areas_json(f, a, 0));
	assert_string_equal(out, "{\"areas\":[],\"count\":0}\n");
	free(out);
}

static void areas_prometheus(void **state)
{
	struct ksmctl_area a[6] = {
		area(42, "qemu", 2, 4096, 4000, 3000),
		area(7, "we\"ird\\na\nme", 1, 10, 0, 0),
		area(42, "qemu", 1, 100, 10, 5),	/* a second area of pid 42 */
		area(42, "renamed", 1, 1, 0, 0),
		/* pid 42 "qemu" again, in two other domains: samples of their own */
		in_domain(area(42, "qemu", 1, 2, 0, 0), (1ULL << 63) | 1000),
		in_domain(area(42, "qemu", 1, 3, 0, 0), 5),
	};
	char *out;

	(void)state;
	CAPTURE(out, ksmctl_print_areas_prometheus(f, a, 6));
	/* ksmdev_areas, then 7 families of 5 (pid, comm, domain) label sets. */
	assert_int_equal(check_exposition(out), 1 + 7 * 5);
	assert_contains(out, "# TYPE ksmdev_areas gauge\nksmdev_areas 6\n");
	assert_contains(out, "ksmdev_area_regions{pid=\"42\",comm=\"qemu\",domain=\"open\"} 3\n");
	assert_contains(out, "ksmdev_area_registered_bytes{pid=\"42\",comm=\"qemu\",domain=\"open\"} 17186816\n");
	assert_contains(out, "ksmdev_area_pages_sharing{pid=\"42\",comm=\"qemu\",domain=\"open\"} 3005\n");
	assert_contains(out, "ksmdev_area_bytes_saved{pid=\"42\",comm=\"qemu\",domain=\"open\"} 12308480\n");
	assert_contains(out, "ksmdev_area_registered_bytes{pid=\"42\",comm=\"qemu\",domain=\"user:1000\"} 8192\n");
	assert_contains(out, "ksmdev_area_registered_bytes{pid=\"42\",comm=\"qemu\",domain=\"5\"} 12288\n");
	assert_contains(out, "# TYPE ksmdev_area_pages_scanned_total counter\n");
	assert_contains(out, "ksmdev_area_regions{pid=\"42\",comm=\"renamed\",domain=\"open\"} 1\n");
	assert_contains(out, "ksmdev_area_regions{pid=\"7\",comm=\"we\\\"ird\\\\na\\nme\",domain=\"open\"} 1\n");
	/* Sorted by pid. */
	assert_true(strstr(out, "{pid=\"7\"") < strstr(out, "{pid=\"42\""));
	free(out);

	CAPTURE(out, ksmctl_print_areas_prometheus(f, a, 0));
	assert_int_equal(check_exposition(out), 1);
	assert_contains(out, "ksmdev_areas 0\n");
	assert_contains(out, "# HELP ksmdev_area_bytes_saved ");
	assert_contains(out, "# TYPE ksmdev_area_bytes_saved gauge\n");
	free(out);
}

/* ------------------------------------------------------------ watch */

static void watch_rates_and_lines(void **state)
{
	struct ksm_stats prev = { .pages_merged = 100, .pages_scanned = 1000 };
	struct ksm_stats cur = { .pages_merged = 300, .pages_scanned = 5000, .full_scans = 4,
				 .pages_shared = 10, .pages_sharing = 290 };
	struct ksmctl_sample s;
	char *out;

	(void)state;
	memset(&s, 0, sizeof(s));
	ksmctl_watch_rates(&prev, &cur, 2.0, &s);
	assert_true(s.merged_per_sec == 100.0);
	assert_true(s.scanned_per_sec == 2000.0);
	assert_true(s.stats.full_scans == 4);
	s.scanner.flags = 1;
	s.scanner.pages_to_scan = 100;
	s.bytes_saved = 290 * 4096;
	s.time = 1700000000.5;

	CAPTURE(out, ksmctl_print_watch_line(f, &s, "12:34:56"));
	assert_string_equal(out, "12:34:56 running merged +100.0 pages/s, scanned 2000.0 pages/s, "
			    "pages_to_scan 100, full scans 4, shared 10, sharing 290, saved 1.1 MiB\n");
	free(out);
	CAPTURE(out, ksmctl_print_watch_json(f, &s));
	assert_string_equal(out, "{\"time\":1700000000.500,\"seconds\":2.000,\"running\":true,"
			    "\"pages_to_scan\":100,\"autotune\":false,\"pages_merged_per_sec\":100.0,\"pages_scanned_per_sec\":2000.0,"
			    "\"full_scans\":4,\"pages_scanned\":5000,\"pages_merged\":300,"
			    "\"pages_shared\":10,\"pages_sharing\":290,\"regions\":0,"
			    "\"bytes_saved\":1187840}\n");
	free(out);
	CAPTURE(out, ksmctl_print_watch_screen(f, &s, "12:34:56", "/dev/ksm", 2.0));
	assert_contains(out, "\033[H\033[2J");
	assert_contains(out, "pages merged/s   +100.0\n");
	assert_contains(out, "pages scanned/s  2000.0\n");
	assert_contains(out, "pages_to_scan    100 (fixed)\n");
	free(out);

	/* Auto-tuning on: the batch size is the scanner's own choice. */
	s.autotune = 1;
	s.scanner.pages_to_scan = 777;
	CAPTURE(out, ksmctl_print_watch_line(f, &s, "12:34:56"));
	assert_contains(out, ", pages_to_scan 777 (auto-tuned), full scans 4,");
	free(out);
	CAPTURE(out, ksmctl_print_watch_json(f, &s));
	assert_contains(out, "\"pages_to_scan\":777,\"autotune\":true,");
	free(out);
	CAPTURE(out, ksmctl_print_watch_screen(f, &s, "12:34:56", "/dev/ksm", 2.0));
	assert_contains(out, "pages_to_scan    777 (auto-tuned)\n");
	free(out);
	s.autotune = -1;	/* an older module */
	CAPTURE(out, ksmctl_print_watch_json(f, &s));
	assert_contains(out, "\"autotune\":null,");
	free(out);
	CAPTURE(out, ksmctl_print_watch_line(f, &s, "12:34:56"));
	assert_contains(out, ", pages_to_scan 777, full scans 4,");
	free(out);

	/* Unmerging shows as a negative merge rate; no time, no rate. */
	ksmctl_watch_rates(&cur, &prev, 4.0, &s);
	assert_true(s.merged_per_sec == -50.0);
	ksmctl_watch_rates(&prev, &cur, 0.0, &s);
	assert_true(s.merged_per_sec == 0.0 && s.scanned_per_sec == 0.0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(human_units_at_boundaries),
		cmocka_unit_test(json_escapes_comm_names),
		cmocka_unit_test(json_respects_maxlen),
		cmocka_unit_test(prometheus_label_escaping),
		cmocka_unit_test(text_comm_is_terminal_safe),
		cmocka_unit_test(info_line_is_2009_format),
		cmocka_unit_test(domain_names),
		cmocka_unit_test(error_advice),
		cmocka_unit_test(autotune_settings),
		cmocka_unit_test(status_text),
		cmocka_unit_test(status_json),
		cmocka_unit_test(status_prometheus),
		cmocka_unit_test(status_orders_kept),
		cmocka_unit_test(areas_text),
		cmocka_unit_test(areas_json),
		cmocka_unit_test(areas_prometheus),
		cmocka_unit_test(watch_rates_and_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

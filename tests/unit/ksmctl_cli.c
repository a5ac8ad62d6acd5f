// SPDX-License-Identifier: GPL-2.0-only
/*
 * ksmctl argument parsing (tools/ksmctl/cli.c): exact command names only,
 * start's two unsigned numbers, autotune's target and CPU budget, set's
 * parameter names and values, watch -n/--count, which commands take
 * --json and --prometheus, unknown options, all without a device.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "cli.h"

static char errbuf[256];

/* Parse a NULL-terminated list of words after "ksmctl". */
static int parse_v(struct ksmctl_opts *o, va_list ap)
{
	char *argv[32];
	int argc = 0, rc;

	argv[argc++] = strdup("ksmctl");
	for (const char *w; (w = va_arg(ap, const char *)); )
		argv[argc++] = strdup(w);
	argv[argc] = NULL;
	memset(errbuf, 0, sizeof(errbuf));
	rc = ksmctl_parse_args(argc, argv, o, errbuf, sizeof(errbuf));
	/* o->device may point into argv: keep the words alive (tiny leak). */
	return rc;
}

static int parse(struct ksmctl_opts *o, ...)
{
	va_list ap;
	int rc;

	va_start(ap, o);
	rc = parse_v(o, ap);
	va_end(ap);
	return rc;
}

#define assert_usage(o, needle, ...) do {					\
	assert_int_equal(parse(o, __VA_ARGS__, NULL), KSMCTL_EXIT_USAGE);	\
	if (!strstr(errbuf, needle))						\
		fail_msg("error '%s' does not mention '%s'", errbuf, needle);	\
} while (0)

#define assert_ok(o, ...) do {							\
	if (parse(o, __VA_ARGS__, NULL) != KSMCTL_EXIT_OK)			\
		fail_msg("unexpected usage error: %s", errbuf);			\
} while (0)

static void defaults_are_status(void **state)
{
	struct ksmctl_opts o;

	(void)state;
	assert_int_equal(parse(&o, NULL), KSMCTL_EXIT_OK);
	assert_int_equal(o.cmd, KSMCTL_CMD_STATUS);
	assert_int_equal(o.format, KSMCTL_FMT_TEXT);
	assert_string_equal(o.device, "/dev/ksm");
	assert_true(o.interval == 2.0);
	assert_int_equal(o.count, 0);
}

static void exact_command_names(void **state)
{
	static const struct {
		const char *word;
		enum ksmctl_cmd cmd;
	} ok[] = {
		{ "status", KSMCTL_CMD_STATUS }, { "stop", KSMCTL_CMD_STOP },
		{ "info", KSMCTL_CMD_INFO }, { "ps", KSMCTL_CMD_PS },
		{ "areas", KSMCTL_CMD_PS }, { "watch", KSMCTL_CMD_WATCH },
		{ "help", KSMCTL_CMD_HELP }, { "autotune", KSMCTL_CMD_AUTOTUNE },
	};
	struct ksmctl_opts o;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_ok(&o, ok[i].word);
		assert_int_equal(o.cmd, ok[i].cmd);
	}
	assert_ok(&o, "start", "1", "0");
	assert_int_equal(o.cmd, KSMCTL_CMD_START);
	assert_ok(&o, "set", "smart_scan", "1");
	assert_int_equal(o.cmd, KSMCTL_CMD_SET);
}

static void no_prefix_matching(void **state)
{
	static const char *const bad[] = {
		"sta", "stat", "star", "sto", "inf", "p", "are", "wat", "STATUS",
		"Status", "status ", "statuses", "psx", "", "-", "auto", "autotun",
		"autotuning", "AUTOTUNE", "se", "sets", "Set",
	};
	struct ksmctl_opts o;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_usage(&o, "unknown command", bad[i]);
		assert_non_null(strstr(errbuf, bad[i]));
	}
}

static void start_needs_two_unsigned_numbers(void **state)
{
	struct ksmctl_opts o;

	(void)state;
	assert_ok(&o, "start", "100", "20000");
	assert_int_equal(o.npages, 100);
	assert_int_equal(o.sleep_usecs, 20000);
	assert_ok(&o, "start", "4294967295", "0");
	assert_int_equal(o.npages, 4294967295u);
	assert_int_equal(o.sleep_usecs, 0);
	assert_ok(&o, "start", "007", "08");
	assert_int_equal(o.npages, 7);
	assert_int_equal(o.sleep_usecs, 8);

	assert_usage(&o, "missing <npages> and <sleep_usecs>", "start");
	assert_usage(&o, "missing <sleep_usecs>", "start", "100");
	assert_usage(&o, "<npages> 'abc'", "start", "abc", "1");
	assert_usage(&o, "<npages> '10x'", "start", "10x", "1");
	assert_usage(&o, "<npages> '+5'", "start", "+5", "1");
	assert_usage(&o, "<npages> ' 5'", "start", " 5", "1");
	assert_usage(&o, "<npages> '0x10'", "start", "0x10", "1");
	assert_usage(&o, "<npages> '4294967296'", "start", "4294967296", "1");
	assert_usage(&o, "<npages> '-1'", "start", "-1", "1");
	assert_usage(&o, "<sleep_usecs> '-5'", "start", "1", "-5");
	assert_usage(&o, "<sleep_usecs> '-12'", "start", "1", "-12");
	assert_usage(&o, "<sleep_usecs> ''", "start", "1", "");
	assert_usage(&o, "<sleep_usecs> '1.5'", "start", "1", "1.5");
	assert_usage(&o, "<npages> must be at least 1", "start", "0", "1");
	assert_usage(&o, "unexpected argument '3'", "start", "1", "2", "3");
}

static void autotune_arguments(void **state)
{
	struct ksmctl_opts o;

	(void)state;
	/* No arguments: show the settings. */
	assert_ok(&o, "autotune");
	assert_int_equal(o.cmd, KSMCTL_CMD_AUTOTUNE);
	assert_int_equal(o.autotune, KSMCTL_AUTOTUNE_SHOW);
	assert_ok(&o, "autotune", "--json");
	assert_int_equal(o.autotune, KSMCTL_AUTOTUNE_SHOW);
	assert_int_equal(o.format, KSMCTL_FMT_JSON);
	assert_ok(&o, "autotune", "off");
	assert_int_equal(o.autotune, KSMCTL_AUTOTUNE_OFF);
	assert_ok(&o, "autotune", "1000", "100");
	assert_int_equal(o.autotune, KSMCTL_AUTOTUNE_ON);
	assert_int_equal(o.target_ms, 1000);
	assert_int_equal(o.max_cpu_permille, 100);
	/* The bounds themselves are accepted. */
	assert_ok(&o, "autotune", "100", "1");
	assert_int_equal(o.target_ms, 100);
	assert_int_equal(o.max_cpu_permille, 1);
	assert_ok(&o, "autotune", "4294967295", "1000");
	assert_int_equal(o.target_ms, 4294967295u);
	assert_int_equal(o.max_cpu_permille, 1000);
	assert_ok(&o, "-d", "/dev/x", "autotune", "500", "250");
	assert_int_equal(o.target_ms, 500);

	/* target < 100, permille outside 1..1000: usage errors. */
	assert_usage(&o, "<target_ms> must be at least 100, not 99", "autotune", "99", "100");
	assert_usage(&o, "<target_ms> must be at least 100, not 0", "autotune", "0", "100");
	assert_usage(&o, "<max_cpu_permille> must be from 1 to 1000, not 0", "autotune", "1000", "0");
	assert_usage(&o, "<max_cpu_permille> must be from 1 to 1000, not 1001",
		     "autotune", "1000", "1001");
	assert_usage(&o, "invalid <target_ms> 'fast'", "autotune", "fast", "100");
	assert_usage(&o, "invalid <target_ms> 'on'", "autotune", "on");
	assert_usage(&o, "invalid <target_ms> '1.5'", "autotune", "1.5", "100");
	assert_usage(&o, "invalid <target_ms> '4294967296'", "autotune", "4294967296", "100");
	assert_usage(&o, "invalid <target_ms> '-5'", "autotune", "-5", "100");
	assert_usage(&o, "invalid <max_cpu_permille> '10%'", "autotune", "1000", "10%");
	assert_usage(&o, "invalid <max_cpu_permille> '-1'", "autotune", "1000", "-1");
	assert_usage(&o, "invalid <max_cpu_permille> ''", "autotune", "1000", "");
	/* An invalid target is named before the missing budget. */
	assert_usage(&o, "<target_ms> must be at least 100", "autotune", "50");
	assert_usage(&o, "missing <max_cpu_permille>", "autotune", "1000");
	assert_usage(&o, "unexpected argument 'now' after 'off'", "autotune", "off", "now");
	assert_usage(&o, "unexpected argument '-1' after 'off'", "autotune", "off", "-1");
	assert_usage(&o, "autotune: unexpected argument '3'", "autotune", "1000", "100", "3");
	/* Only showing the settings has a JSON form; none has Prometheus. */
	assert_usage(&o, "--json applies only to", "autotune", "1000", "100", "--json");
	assert_usage(&o, "--json applies only to", "--json", "autotune", "off");
	assert_usage(&o, "--prometheus applies only to status and ps", "autotune", "--prometheus");
	assert_usage(&o, "--count applies only to watch", "autotune", "-c", "2");
}

static void set_arguments(void **state)
{
	static const struct {
		const char *name, *value;
		enum ksmctl_param param;
		unsigned int want;
	} ok[] = {
		{ "smart_scan", "0", KSMCTL_PARAM_SMART_SCAN, 0 },
		{ "smart_scan", "1", KSMCTL_PARAM_SMART_SCAN, 1 },
		{ "smart_scan", "off", KSMCTL_PARAM_SMART_SCAN, 0 },
		{ "smart_scan", "on", KSMCTL_PARAM_SMART_SCAN, 1 },
		{ "use_zero_pages", "1", KSMCTL_PARAM_USE_ZERO_PAGES, 1 },
		{ "use_zero_pages", "Y", KSMCTL_PARAM_USE_ZERO_PAGES, 1 },
		{ "use_zero_pages", "N", KSMCTL_PARAM_USE_ZERO_PAGES, 0 },
		{ "use_zero_pages", "yes", KSMCTL_PARAM_USE_ZERO_PAGES, 1 },
		{ "use_zero_pages", "false", KSMCTL_PARAM_USE_ZERO_PAGES, 0 },
		{ "domain_policy", "0", KSMCTL_PARAM_DOMAIN_POLICY, 0 },
		{ "domain_policy", "1", KSMCTL_PARAM_DOMAIN_POLICY, 1 },
		{ "domain_policy", "2", KSMCTL_PARAM_DOMAIN_POLICY, 2 },
	};
	struct ksmctl_opts o;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_ok(&o, "set", ok[i].name, ok[i].value);
		assert_int_equal(o.cmd, KSMCTL_CMD_SET);
		assert_int_equal(o.param, ok[i].param);
		assert_int_equal(o.param_value, ok[i].want);
	}

	assert_usage(&o, "set: missing <name> and <value>", "set");
	assert_usage(&o, "set: missing <value> for use_zero_pages", "set", "use_zero_pages");
	assert_usage(&o, "set: unknown parameter 'run' (parameters: smart_scan, use_zero_pages, domain_policy)",
		     "set", "run", "1");
	assert_usage(&o, "unknown parameter 'smart'", "set", "smart");
	assert_usage(&o, "unknown parameter 'SMART_SCAN'", "set", "SMART_SCAN", "1");
	assert_usage(&o, "unknown parameter '-1'", "set", "-1");
	assert_usage(&o, "invalid value '2' for smart_scan (expected 0 or 1, off or on)",
		     "set", "smart_scan", "2");
	assert_usage(&o, "invalid value 'maybe' for use_zero_pages", "set", "use_zero_pages", "maybe");
	assert_usage(&o, "invalid value '' for use_zero_pages", "set", "use_zero_pages", "");
	assert_usage(&o, "invalid value '3' for domain_policy (expected 0, 1 or 2)",
		     "set", "domain_policy", "3");
	assert_usage(&o, "invalid value '01' for domain_policy", "set", "domain_policy", "01");
	assert_usage(&o, "invalid value 'on' for domain_policy", "set", "domain_policy", "on");
	assert_usage(&o, "invalid value '-1' for domain_policy", "set", "domain_policy", "-1");
	assert_usage(&o, "set: unexpected argument 'x'", "set", "smart_scan", "1", "x");
	assert_usage(&o, "--json applies only to", "set", "smart_scan", "1", "--json");
	assert_usage(&o, "--prometheus applies only to", "set", "smart_scan", "1", "--prometheus");
}

static void param_parsers(void **state)
{
	unsigned int v = 99;

	(void)state;
	assert_string_equal(ksmctl_param_name(KSMCTL_PARAM_SMART_SCAN), "smart_scan");
	assert_string_equal(ksmctl_param_name(KSMCTL_PARAM_USE_ZERO_PAGES), "use_zero_pages");
	assert_string_equal(ksmctl_param_name(KSMCTL_PARAM_DOMAIN_POLICY), "domain_policy");
	assert_int_equal(ksmctl_param_lookup("domain_policy"), KSMCTL_PARAM_DOMAIN_POLICY);
	assert_int_equal(ksmctl_param_lookup("domain_polic"), -1);
	assert_int_equal(ksmctl_param_lookup(NULL), -1);
	assert_int_equal(ksmctl_parse_param_value(KSMCTL_PARAM_SMART_SCAN, "true", &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(ksmctl_parse_param_value(KSMCTL_PARAM_SMART_SCAN, "1 ", &v), -1);
	assert_int_equal(ksmctl_parse_param_value(KSMCTL_PARAM_SMART_SCAN, NULL, &v), -1);
	assert_int_equal(ksmctl_parse_param_value(KSMCTL_PARAM_DOMAIN_POLICY, "2", &v), 0);
	assert_int_equal(v, 2);

	/* Parameter files as sysfs shows them. */
	assert_int_equal(ksmctl_parse_param_text("Y\n"), 1);
	assert_int_equal(ksmctl_parse_param_text("N\n"), 0);
	assert_int_equal(ksmctl_parse_param_text("Y"), 1);
	assert_int_equal(ksmctl_parse_param_text("2\n"), 2);
	assert_int_equal(ksmctl_parse_param_text("0\n"), 0);
	assert_int_equal(ksmctl_parse_param_text(""), -1);
	assert_int_equal(ksmctl_parse_param_text("\n"), -1);
	assert_int_equal(ksmctl_parse_param_text("y\n"), -1);
	assert_int_equal(ksmctl_parse_param_text("Y\nN\n"), -1);
	assert_int_equal(ksmctl_parse_param_text("-1\n"), -1);
	assert_int_equal(ksmctl_parse_param_text("99999999999999999999\n"), -1);
	assert_int_equal(ksmctl_parse_param_text(NULL), -1);
}

static void commands_without_arguments(void **state)
{
	struct ksmctl_opts o;

	(void)state;
	assert_usage(&o, "stop: unexpected argument 'now'", "stop", "now");
	assert_usage(&o, "info: unexpected argument '1'", "info", "1");
	assert_usage(&o, "status: unexpected argument 'x'", "status", "x");
	assert_usage(&o, "unexpected argument", "ps", "1");
	assert_usage(&o, "unexpected argument", "watch", "5");
}

static void watch_interval(void **state)
{
	struct ksmctl_opts o;

	(void)state;
	assert_ok(&o, "watch");
	assert_true(o.interval == 2.0);
	assert_ok(&o, "watch", "-n", "0.5");
	assert_true(o.interval == 0.5);
	assert_ok(&o, "watch", "-n", ".25");
	assert_true(o.interval == 0.25);
	assert_ok(&o, "watch", "-n", "3.");
	assert_true(o.interval == 3.0);
	assert_ok(&o, "watch", "-n1.5");
	assert_true(o.interval == 1.5);
	assert_ok(&o, "watch", "--interval=10");
	assert_true(o.interval == 10.0);
	assert_ok(&o, "-n", "0.1", "watch");
	assert_true(o.interval > 0.0999 && o.interval < 0.1001);
	assert_ok(&o, "watch", "-n", "86400");

	assert_usage(&o, "'0'", "watch", "-n", "0");
	assert_usage(&o, "'0.05'", "watch", "-n", "0.05");
	assert_usage(&o, "'-1'", "watch", "-n", "-1");
	assert_usage(&o, "'abc'", "watch", "-n", "abc");
	assert_usage(&o, "'1e3'", "watch", "-n", "1e3");
	assert_usage(&o, "'inf'", "watch", "-n", "inf");
	assert_usage(&o, "'nan'", "watch", "-n", "nan");
	assert_usage(&o, "'1,5'", "watch", "-n", "1,5");
	assert_usage(&o, "'.'", "watch", "-n", ".");
	assert_usage(&o, "''", "watch", "-n", "");
	assert_usage(&o, "'86401'", "watch", "-n", "86401");
	assert_usage(&o, "'99999999999999999999'", "watch", "-n", "99999999999999999999");
	assert_usage(&o, "needs an argument", "watch", "-n");
	assert_usage(&o, "--interval applies only to watch", "status", "-n", "1");
}

static void watch_count(void **state)
{
	struct ksmctl_opts o;

	(void)state;
	assert_ok(&o, "watch", "--count", "3");
	assert_int_equal(o.count, 3);
	assert_ok(&o, "watch", "-c", "1", "-n", "0.2");
	assert_int_equal(o.count, 1);
	assert_true(o.interval == 0.2);
	assert_ok(&o, "watch", "--count=12");
	assert_int_equal(o.count, 12);
	assert_usage(&o, "--count: invalid count '0'", "watch", "--count", "0");
	assert_usage(&o, "'-1'", "watch", "--count", "-1");
	assert_usage(&o, "'x'", "watch", "--count", "x");
	assert_usage(&o, "'2.5'", "watch", "--count", "2.5");
	assert_usage(&o, "--count applies only to watch", "ps", "--count", "2");
}

static void json_and_prometheus(void **state)
{
	struct ksmctl_opts o;

	(void)state;
	assert_ok(&o, "--json");
	assert_int_equal(o.cmd, KSMCTL_CMD_STATUS);
	assert_int_equal(o.format, KSMCTL_FMT_JSON);
	assert_ok(&o, "status", "--json");
	assert_int_equal(o.format, KSMCTL_FMT_JSON);
	assert_ok(&o, "info", "--json");
	assert_int_equal(o.format, KSMCTL_FMT_JSON);
	assert_ok(&o, "--json", "ps");
	assert_int_equal(o.format, KSMCTL_FMT_JSON);
	assert_int_equal(o.cmd, KSMCTL_CMD_PS);
	assert_ok(&o, "watch", "--json", "--count", "2");
	assert_int_equal(o.format, KSMCTL_FMT_JSON);
	assert_ok(&o, "--prometheus");
	assert_int_equal(o.format, KSMCTL_FMT_PROMETHEUS);
	assert_ok(&o, "status", "--prometheus");
	assert_int_equal(o.format, KSMCTL_FMT_PROMETHEUS);
	assert_ok(&o, "areas", "--prometheus");
	assert_int_equal(o.format, KSMCTL_FMT_PROMETHEUS);
	assert_int_equal(o.cmd, KSMCTL_CMD_PS);

	assert_usage(&o, "cannot be combined", "--json", "--prometheus");
	assert_usage(&o, "cannot be combined", "ps", "--prometheus", "--json");
	assert_usage(&o, "--prometheus applies only to status and ps", "info", "--prometheus");
	assert_usage(&o, "--prometheus applies only to status and ps", "watch", "--prometheus");
	assert_usage(&o, "--json applies only to", "start", "1", "2", "--json");
	assert_usage(&o, "--json applies only to", "stop", "--json");
	assert_usage(&o, "takes no argument", "--json=yes");
	assert_usage(&o, "takes no argument", "--prometheus=1", "ps");
}

static void unknown_options_are_usage_errors(void **state)
{
	struct ksmctl_opts o;

	(void)state;
	assert_usage(&o, "unknown option '--bogus'", "--bogus");
	assert_usage(&o, "unknown option '--bogus'", "status", "--bogus=1");
	assert_usage(&o, "unknown option '-x'", "-x");
	assert_usage(&o, "unknown option '-q'", "ps", "-q");
	assert_usage(&o, "unknown option '--jsonx'", "--jsonx");
	assert_usage(&o, "unexpected argument '-5'", "status", "-5");
	assert_usage(&o, "'--device' needs an argument", "--device");
	assert_usage(&o, "'-d' needs an argument", "-d");
	assert_usage(&o, "empty path", "--device", "");
	assert_usage(&o, "takes no argument", "--help=x");
}

static void device_help_version(void **state)
{
	struct ksmctl_opts o;

	(void)state;
	assert_ok(&o, "--device", "/tmp/k", "info");
	assert_string_equal(o.device, "/tmp/k");
	assert_int_equal(o.cmd, KSMCTL_CMD_INFO);
	assert_ok(&o, "ps", "-d", "/dev/other");
	assert_string_equal(o.device, "/dev/other");
	assert_ok(&o, "--device=/x", "stop");
	assert_string_equal(o.device, "/x");
	assert_ok(&o, "-h");
	assert_int_equal(o.cmd, KSMCTL_CMD_HELP);
	assert_ok(&o, "start", "--help");
	assert_int_equal(o.cmd, KSMCTL_CMD_HELP);
	assert_ok(&o, "--version");
	assert_int_equal(o.cmd, KSMCTL_CMD_VERSION);
	assert_ok(&o, "-V");
	assert_int_equal(o.cmd, KSMCTL_CMD_VERSION);
	/* "--" ends the options; a command may follow it. */
	assert_ok(&o, "--json", "--", "ps");
	assert_int_equal(o.cmd, KSMCTL_CMD_PS);
	assert_int_equal(o.format, KSMCTL_FMT_JSON);
	assert_usage(&o, "unknown command '-x'", "--", "-x");
}

static void parses_repeatedly(void **state)
{
	struct ksmctl_opts o;

	(void)state;
	/* getopt state must not leak from one call into the next. */
	assert_usage(&o, "unknown option", "-x", "status");
	assert_ok(&o, "ps", "--json");
	assert_int_equal(o.cmd, KSMCTL_CMD_PS);
	assert_usage(&o, "needs an argument", "watch", "-n");
	assert_ok(&o, "watch", "-n", "1");
	assert_true(o.interval == 1.0);
	assert_ok(&o, NULL);
	assert_int_equal(o.cmd, KSMCTL_CMD_STATUS);
	assert_int_equal(o.format, KSMCTL_FMT_TEXT);
}

static void number_parsers(void **state)
{
	unsigned long v;
	double d;

	(void)state;
	assert_int_equal(ksmctl_parse_uint("0", 10, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(ksmctl_parse_uint("10", 10, &v), 0);
	assert_int_equal(v, 10);
	assert_int_equal(ksmctl_parse_uint("11", 10, &v), -1);
	/* A single digit above the maximum. */
	assert_int_equal(ksmctl_parse_uint("3", 2, &v), -1);
	assert_int_equal(ksmctl_parse_uint("9", 0, &v), -1);
	assert_int_equal(ksmctl_parse_uint("0", 0, &v), 0);
	assert_int_equal(ksmctl_parse_uint("18446744073709551615", ~0UL, &v), 0);
	assert_true(v == ~0UL);
	assert_int_equal(ksmctl_parse_uint("18446744073709551616", ~0UL, &v), -1);
	assert_int_equal(ksmctl_parse_uint("", 10, &v), -1);
	assert_int_equal(ksmctl_parse_uint(NULL, 10, &v), -1);
	assert_int_equal(ksmctl_parse_uint("1 ", 10, &v), -1);
	assert_int_equal(ksmctl_parse_interval("2", &d), 0);
	assert_true(d == 2.0);
	assert_int_equal(ksmctl_parse_interval("0.75", &d), 0);
	assert_true(d == 0.75);
	assert_int_equal(ksmctl_parse_interval("0.09", &d), -1);
	assert_int_equal(ksmctl_parse_interval("+1", &d), -1);
	assert_int_equal(ksmctl_parse_interval("1.2.3", &d), -1);
	assert_int_equal(ksmctl_parse_interval(" 1", &d), -1);
}

static void help_fits_a_screen(void **state)
{
	const char *p = ksmctl_usage_text;
	int lines = 0;

	(void)state;
	while (*p) {
		size_t len = strcspn(p, "\n");

		assert_true(len <= 79);
		lines++;
		p += len + (p[len] == '\n');
	}
	assert_true(lines <= 24);
	assert_non_null(strstr(ksmctl_usage_text, "status"));
	assert_non_null(strstr(ksmctl_usage_text, "start NPAGES SLEEP_USECS"));
	assert_non_null(strstr(ksmctl_usage_text, "--prometheus"));
	assert_non_null(strstr(ksmctl_usage_text, "--json"));
	assert_non_null(strstr(ksmctl_usage_text, "--device"));
	assert_non_null(strstr(ksmctl_usage_text, "watch"));
	assert_non_null(strstr(ksmctl_usage_text, "autotune [MS PERMILLE|off]"));
	assert_non_null(strstr(ksmctl_usage_text, "set PARAM VALUE"));
	assert_non_null(strstr(ksmctl_usage_text, "domain_policy"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults_are_status),
		cmocka_unit_test(exact_command_names),
		cmocka_unit_test(no_prefix_matching),
		cmocka_unit_test(start_needs_two_unsigned_numbers),
		cmocka_unit_test(autotune_arguments),
		cmocka_unit_test(set_arguments),
		cmocka_unit_test(param_parsers),
		cmocka_unit_test(commands_without_arguments),
		cmocka_unit_test(watch_interval),
		cmocka_unit_test(watch_count),
		cmocka_unit_test(json_and_prometheus),
		cmocka_unit_test(unknown_options_are_usage_errors),
		cmocka_unit_test(device_help_version),
		cmocka_unit_test(parses_repeatedly),
		cmocka_unit_test(number_parsers),
		cmocka_unit_test(help_fits_a_screen),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

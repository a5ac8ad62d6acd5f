// SPDX-License-Identifier: GPL-2.0-only
/*
 * cli.c - ksmctl argument parsing.
 *
 * Options may come before or after the command (GNU style); commands are
 * matched by their exact names only, so a future command can never change
 * what an abbreviation means.  Every usage problem becomes one message
 * naming the argument at fault, and KSMCTL_EXIT_USAGE.
 */
#include <ctype.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"

const char ksmctl_usage_text[] =
"Usage: ksmctl [OPTION]... [COMMAND [ARG]...]\n"
"Control and inspect ksmdev, the /dev/ksm page-merging driver.\n"
"\n"
"Commands:\n"
"  status                   scanner state, page counts, memory saved (default)\n"
"  start NPAGES SLEEP_USECS scan NPAGES pages a batch, SLEEP_USECS us apart\n"
"  stop                     stop the scanner (merged pages stay merged)\n"
"  info                     scanner settings, in the 2009 ksmctl format\n"
"  autotune [MS PERMILLE|off] full scan every ~MS ms, at most PERMILLE/1000 CPU\n"
"  set PARAM VALUE          smart_scan|use_zero_pages 0|1, domain_policy 0|1|2\n"
"  ps, areas                one row per shared memory area, with its domain\n"
"  watch                    live view: merged/s, scanned/s, batch size, saved\n"
"\n"
"Options:\n"
"  -d, --device=PATH    device to open (default /dev/ksm)\n"
"      --json           JSON output (status, info, ps, autotune; watch: lines)\n"
"      --prometheus     node_exporter textfile-collector format (status, ps)\n"
"  -n, --interval=SECS  watch: seconds between refreshes (default 2; 0.5 ok)\n"
"  -c, --count=N        watch: stop after N refreshes\n"
"  -h, --help           show this help and exit\n"
"  -V, --version        show the version and exit\n"
"\n"
"Changing settings (start, stop, autotune, set) needs root.  Exit status:\n"
"0 success, 1 failure, 2 usage error.  See ksmctl(8).\n";

static const struct {
	const char *name;
	enum ksmctl_cmd cmd;
} commands[] = {
	{ "status", KSMCTL_CMD_STATUS },
	{ "start", KSMCTL_CMD_START },
	{ "stop", KSMCTL_CMD_STOP },
	{ "info", KSMCTL_CMD_INFO },
	{ "ps", KSMCTL_CMD_PS },
	{ "areas", KSMCTL_CMD_PS },
	{ "watch", KSMCTL_CMD_WATCH },
	{ "autotune", KSMCTL_CMD_AUTOTUNE },
	{ "set", KSMCTL_CMD_SET },
	{ "help", KSMCTL_CMD_HELP },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

/* For the message about an unknown command. */
#define COMMAND_LIST "status, start, stop, info, autotune, set, ps, areas, watch"

const char *ksmctl_cmd_name(enum ksmctl_cmd cmd)
{
	switch (cmd) {
	case KSMCTL_CMD_STATUS:		return "status";
	case KSMCTL_CMD_START:		return "start";
	case KSMCTL_CMD_STOP:		return "stop";
	case KSMCTL_CMD_INFO:		return "info";
	case KSMCTL_CMD_PS:		return "ps";
	case KSMCTL_CMD_WATCH:		return "watch";
	case KSMCTL_CMD_AUTOTUNE:	return "autotune";
	case KSMCTL_CMD_SET:		return "set";
	case KSMCTL_CMD_HELP:		return "help";
	case KSMCTL_CMD_VERSION:	return "version";
	}
	return "?";
}

int ksmctl_parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;

	if (!s || !*s)
		return -1;
	for (; *s; s++) {
		unsigned int d;

		if (*s < '0' || *s > '9')
			return -1;
		d = (unsigned int)(*s - '0');
		if (d > max || v > (max - d) / 10)	/* v * 10 + d > max */
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int ksmctl_parse_interval(const char *s, double *out)
{
	uint64_t mant = 0, div = 1;
	int digits = 0, frac = 0;
	double v;

	if (!s)
		return -1;
	/*
	 * Parsed by hand: no locale, exponents, hex, inf or nan.  Digits are
	 * gathered as an integer and divided once by a power of ten, so "0.1"
	 * or "0.75" come out as the nearest double, the same as the literal.
	 */
	for (; *s >= '0' && *s <= '9'; s++, digits++) {
		mant = mant * 10 + (uint64_t)(*s - '0');
		if (mant > (uint64_t)KSMCTL_WATCH_MAX)
			return -1;
	}
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9'; s++, digits++)
			if (frac < 9) {		/* nanoseconds are plenty */
				mant = mant * 10 + (uint64_t)(*s - '0');
				div *= 10;
				frac++;
			}
	if (*s || !digits)
		return -1;
	v = (double)mant / (double)div;
	if (v < KSMCTL_WATCH_MIN || v > KSMCTL_WATCH_MAX)
		return -1;
	*out = v;
	return 0;
}

static const char *const param_names[KSMCTL_NPARAMS] = {
	[KSMCTL_PARAM_SMART_SCAN] = "smart_scan",
	[KSMCTL_PARAM_USE_ZERO_PAGES] = "use_zero_pages",
	[KSMCTL_PARAM_DOMAIN_POLICY] = "domain_policy",
};

const char *ksmctl_param_name(enum ksmctl_param p)
{
	return (unsigned int)p < KSMCTL_NPARAMS ? param_names[p] : "?";
}

int ksmctl_param_lookup(const char *name)
{
	for (int i = 0; i < KSMCTL_NPARAMS; i++)
		if (name && !strcmp(name, param_names[i]))
			return i;
	return -1;
}

int ksmctl_parse_param_value(enum ksmctl_param p, const char *s, unsigned int *out)
{
	static const char *const no[] = { "0", "off", "n", "N", "no", "false" };
	static const char *const yes[] = { "1", "on", "y", "Y", "yes", "true" };
	unsigned long v;
	size_t i;

	if (!s)
		return -1;
	if (p == KSMCTL_PARAM_DOMAIN_POLICY) {
		if (ksmctl_parse_uint(s, 2, &v) || strlen(s) != 1)
			return -1;	/* one digit: no "01" for a policy */
		*out = (unsigned int)v;
		return 0;
	}
	if ((unsigned int)p >= KSMCTL_NPARAMS)
		return -1;
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		if (!strcmp(s, no[i])) {
			*out = 0;
			return 0;
		}
		if (!strcmp(s, yes[i])) {
			*out = 1;
			return 0;
		}
	}
	return -1;
}

int ksmctl_parse_param_text(const char *text)
{
	char buf[32];
	size_t n;
	unsigned long v;

	if (!text)
		return -1;
	n = strcspn(text, "\n");
	if (n == 0 || n >= sizeof(buf) || (text[n] && text[n + 1]))
		return -1;	/* empty, too long, or more than one line */
	memcpy(buf, text, n);
	buf[n] = '\0';
	if (!strcmp(buf, "Y"))
		return 1;
	if (!strcmp(buf, "N"))
		return 0;
	if (ksmctl_parse_uint(buf, INT_MAX, &v))
		return -1;
	return (int)v;
}

enum {
	OPT_JSON = 256,
	OPT_PROMETHEUS,
};

static const struct option long_options[] = {
	{ "device", required_argument, NULL, 'd' },
	{ "interval", required_argument, NULL, 'n' },
	{ "count", required_argument, NULL, 'c' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "prometheus", no_argument, NULL, OPT_PROMETHEUS },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

__attribute__((format(printf, 3, 4)))
static int usage_error(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return KSMCTL_EXIT_USAGE;
}

/* The argument naming rules of start: <npages> at least 1, <sleep_usecs> any. */
static int parse_start_arg(const char *s, const char *what, unsigned long min,
			   unsigned int *out, char *err, size_t errlen)
{
	unsigned long v;

	if (ksmctl_parse_uint(s, UINT_MAX, &v))
		return usage_error(err, errlen,
				   "start: invalid %s '%s': expected an unsigned decimal number up to %u",
				   what, s, UINT_MAX);
	if (v < min)
		return usage_error(err, errlen, "start: %s must be at least %lu", what, min);
	*out = (unsigned int)v;
	return 0;
}

/* How many words a command takes after its name. */
static int max_args(enum ksmctl_cmd cmd)
{
	switch (cmd) {
	case KSMCTL_CMD_START:
	case KSMCTL_CMD_AUTOTUNE:
	case KSMCTL_CMD_SET:
		return 2;
	default:
		return 0;
	}
}

/*
 * Check the command's argument @args[@i] (the ones before it are valid)
 * and store it in @o.  Returns 0, or KSMCTL_EXIT_USAGE with the message.
 */
static int check_arg(struct ksmctl_opts *o, int i, const char *const *args,
		     char *err, size_t errlen)
{
	const char *w = args[i];
	unsigned long v;

	switch (o->cmd) {
	case KSMCTL_CMD_START:
		return i ? parse_start_arg(w, "<sleep_usecs>", 0, &o->sleep_usecs, err, errlen)
			 : parse_start_arg(w, "<npages>", 1, &o->npages, err, errlen);
	case KSMCTL_CMD_AUTOTUNE:
		if (i == 0) {
			if (!strcmp(w, "off")) {
				o->autotune = KSMCTL_AUTOTUNE_OFF;
				return 0;
			}
			if (ksmctl_parse_uint(w, UINT_MAX, &v))
				return usage_error(err, errlen,
					"autotune: invalid <target_ms> '%s': expected 'off' or a whole number of milliseconds (at least %u)",
					w, KSMCTL_AUTOTUNE_TARGET_MIN);
			if (v < KSMCTL_AUTOTUNE_TARGET_MIN)
				return usage_error(err, errlen,
					"autotune: <target_ms> must be at least %u, not %lu",
					KSMCTL_AUTOTUNE_TARGET_MIN, v);
			o->autotune = KSMCTL_AUTOTUNE_ON;
			o->target_ms = (unsigned int)v;
			return 0;
		}
		if (o->autotune == KSMCTL_AUTOTUNE_OFF)
			return usage_error(err, errlen, "autotune: unexpected argument '%s' after 'off'", w);
		if (ksmctl_parse_uint(w, UINT_MAX, &v))
			return usage_error(err, errlen,
				"autotune: invalid <max_cpu_permille> '%s': expected a whole number from %u to %u",
				w, KSMCTL_AUTOTUNE_PERMILLE_MIN, KSMCTL_AUTOTUNE_PERMILLE_MAX);
		if (v < KSMCTL_AUTOTUNE_PERMILLE_MIN || v > KSMCTL_AUTOTUNE_PERMILLE_MAX)
			return usage_error(err, errlen,
				"autotune: <max_cpu_permille> must be from %u to %u, not %lu",
				KSMCTL_AUTOTUNE_PERMILLE_MIN, KSMCTL_AUTOTUNE_PERMILLE_MAX, v);
		o->max_cpu_permille = (unsigned int)v;
		return 0;
	case KSMCTL_CMD_SET:
		if (i == 0) {
			int p = ksmctl_param_lookup(w);

			if (p < 0)
				return usage_error(err, errlen,
					"set: unknown parameter '%s' (parameters: smart_scan, use_zero_pages, domain_policy)",
					w);
			o->param = (enum ksmctl_param)p;
			return 0;
		}
		if (ksmctl_parse_param_value(o->param, w, &o->param_value))
			return usage_error(err, errlen, "set: invalid value '%s' for %s (expected %s)",
					   w, ksmctl_param_name(o->param),
					   o->param == KSMCTL_PARAM_DOMAIN_POLICY ?
					   "0, 1 or 2" : "0 or 1, off or on");
		return 0;
	default:
		return usage_error(err, errlen, "%s: unexpected argument '%s'",
				   ksmctl_cmd_name(o->cmd), w);
	}
}

/* The command's arguments, all given: check them in order, then what is missing. */
static int check_args(struct ksmctl_opts *o, int nargs, const char *const *args,
		      char *err, size_t errlen)
{
	int i;

	switch (o->cmd) {
	case KSMCTL_CMD_START:
		if (nargs == 0)
			return usage_error(err, errlen, "start: missing <npages> and <sleep_usecs>");
		if (nargs == 1)
			return usage_error(err, errlen, "start: missing <sleep_usecs>");
		break;
	case KSMCTL_CMD_AUTOTUNE:
		o->autotune = KSMCTL_AUTOTUNE_SHOW;
		if (nargs == 0)
			return 0;
		break;
	case KSMCTL_CMD_SET:
		if (nargs == 0)
			return usage_error(err, errlen, "set: missing <name> and <value>");
		break;
	default:
		break;
	}
	for (i = 0; i < nargs; i++)
		if (check_arg(o, i, args, err, errlen))
			return KSMCTL_EXIT_USAGE;
	if (o->cmd == KSMCTL_CMD_AUTOTUNE && o->autotune == KSMCTL_AUTOTUNE_ON && nargs == 1)
		return usage_error(err, errlen, "autotune: missing <max_cpu_permille>");
	if (o->cmd == KSMCTL_CMD_SET && nargs == 1)
		return usage_error(err, errlen, "set: missing <value> for %s",
				   ksmctl_param_name(o->param));
	return 0;
}

/*
 * The command-line word holding an unknown short option @c that getopt just
 * rejected: the previous word when it was the last letter of that word,
 * else the word getopt is still in.
 */
static const char *rejected_word(int argc, char **argv, int c)
{
	if (optind > 1 && optind - 1 < argc && argv[optind - 1][0] == '-' &&
	    strchr(argv[optind - 1], c))
		return argv[optind - 1];
	if (optind < argc)
		return argv[optind];
	return "?";
}

int ksmctl_parse_args(int argc, char **argv, struct ksmctl_opts *o,
		      char *err, size_t errlen)
{
	const char *cmd_word = NULL, *args[3];
	int nargs = 0, json = 0, prom = 0, interval_set = 0, count_set = 0;
	int c, i;

	memset(o, 0, sizeof(*o));
	o->cmd = KSMCTL_CMD_STATUS;
	o->format = KSMCTL_FMT_TEXT;
	o->device = "/dev/ksm";
	o->interval = KSMCTL_WATCH_DEFAULT;
	if (err && errlen)
		err[0] = '\0';

	optind = 0;	/* full re-initialisation of getopt, every call */
	opterr = 0;
	/*
	 * '-': words that are no options come back in order as 1, so a
	 * command's arguments can be told from options around them; ':'
	 * reports a missing option argument as ':'.
	 */
	while ((c = getopt_long(argc, argv, "-:d:n:c:hV", long_options, NULL)) != -1) {
		const char *w;
		unsigned long v;

		switch (c) {
		case 1:
			if (!cmd_word) {
				cmd_word = optarg;
				for (i = 0; i < (int)NCOMMANDS; i++)
					if (!strcmp(optarg, commands[i].name))
						break;
				if (i == (int)NCOMMANDS)
					return usage_error(err, errlen,
						"unknown command '%s' (commands: " COMMAND_LIST ")",
						optarg);
				o->cmd = commands[i].cmd;
			} else if (nargs < max_args(o->cmd)) {
				args[nargs++] = optarg;
			} else {
				return usage_error(err, errlen, "%s: unexpected argument '%s'",
						   cmd_word, optarg);
			}
			break;
		case 'd':
			if (!*optarg)
				return usage_error(err, errlen, "--device: empty path");
			o->device = optarg;
			break;
		case 'n':
			if (ksmctl_parse_interval(optarg, &o->interval))
				return usage_error(err, errlen,
					"--interval: invalid number of seconds '%s' (expected %g to %g, e.g. 2 or 0.5)",
					optarg, KSMCTL_WATCH_MIN, KSMCTL_WATCH_MAX);
			interval_set = 1;
			break;
		case 'c':
			if (ksmctl_parse_uint(optarg, ULONG_MAX, &v) || !v)
				return usage_error(err, errlen,
					"--count: invalid count '%s' (expected a whole number of at least 1)",
					optarg);
			o->count = v;
			count_set = 1;
			break;
		case OPT_JSON:
			json = 1;
			break;
		case OPT_PROMETHEUS:
			prom = 1;
			break;
		case 'h':
			o->cmd = KSMCTL_CMD_HELP;
			return KSMCTL_EXIT_OK;
		case 'V':
			o->cmd = KSMCTL_CMD_VERSION;
			return KSMCTL_EXIT_OK;
		case ':':
			return usage_error(err, errlen, "option '%s' needs an argument",
					   argv[optind - 1]);
		case '?':
		default:
			if (optopt > 0 && optopt < 256 && isdigit(optopt)) {
				/* "-5": a negative number, not an option. */
				w = rejected_word(argc, argv, optopt);
				if (cmd_word && nargs < max_args(o->cmd)) {
					/* The command's argument: say what is wrong with it. */
					for (i = 0; i < nargs; i++)
						if (check_arg(o, i, args, err, errlen))
							return KSMCTL_EXIT_USAGE;
					args[nargs] = w;
					if (check_arg(o, nargs, args, err, errlen))
						return KSMCTL_EXIT_USAGE;
				}
				return usage_error(err, errlen, "unexpected argument '%s'", w);
			}
			w = optind > 0 && optind <= argc ? argv[optind - 1] : "?";
			/* --json=x, --help=x: a long option given an argument. */
			if (optopt >= 256 || optopt == 'h' || optopt == 'V')
				return usage_error(err, errlen, "option '%.*s' takes no argument",
						   (int)strcspn(w, "="), w);
			if (optopt > 0)
				return usage_error(err, errlen, "unknown option '-%c'", optopt);
			return usage_error(err, errlen, "unknown option '%.*s'", (int)strcspn(w, "="), w);
		}
	}
	/* Words after "--" are arguments too. */
	for (; optind < argc; optind++) {
		if (!cmd_word) {
			for (i = 0; i < (int)NCOMMANDS; i++)
				if (!strcmp(argv[optind], commands[i].name))
					break;
			if (i == (int)NCOMMANDS)
				return usage_error(err, errlen,
					"unknown command '%s' (commands: " COMMAND_LIST ")",
					argv[optind]);
			cmd_word = argv[optind];
			o->cmd = commands[i].cmd;
		} else if (nargs < max_args(o->cmd)) {
			args[nargs++] = argv[optind];
		} else {
			return usage_error(err, errlen, "%s: unexpected argument '%s'",
					   cmd_word, argv[optind]);
		}
	}

	if (o->cmd == KSMCTL_CMD_HELP)
		return KSMCTL_EXIT_OK;
	if (check_args(o, nargs, args, err, errlen))
		return KSMCTL_EXIT_USAGE;
	if (json && prom)
		return usage_error(err, errlen, "--json and --prometheus cannot be combined");
	if (json) {
		if (o->cmd == KSMCTL_CMD_START || o->cmd == KSMCTL_CMD_STOP ||
		    o->cmd == KSMCTL_CMD_SET ||
		    (o->cmd == KSMCTL_CMD_AUTOTUNE && o->autotune != KSMCTL_AUTOTUNE_SHOW))
			return usage_error(err, errlen,
				"%s: --json applies only to status, info, ps, watch and autotune without arguments",
				ksmctl_cmd_name(o->cmd));
		o->format = KSMCTL_FMT_JSON;
	}
	if (prom) {
		if (o->cmd != KSMCTL_CMD_STATUS && o->cmd != KSMCTL_CMD_PS)
			return usage_error(err, errlen,
				"%s: --prometheus applies only to status and ps",
				ksmctl_cmd_name(o->cmd));
		o->format = KSMCTL_FMT_PROMETHEUS;
	}
	if ((interval_set || count_set) && o->cmd != KSMCTL_CMD_WATCH)
		return usage_error(err, errlen, "%s: %s applies only to watch",
				   ksmctl_cmd_name(o->cmd),
				   interval_set ? "--interval" : "--count");
	return KSMCTL_EXIT_OK;
}

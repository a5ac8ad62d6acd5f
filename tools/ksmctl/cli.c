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
"Usage: ksmctl [OPTION]... [COMMAND]\n"
"Control and inspect ksmdev, the /dev/ksm page-merging driver.\n"
"\n"
"Commands:\n"
"  status                   scanner state, page counts, memory saved (default)\n"
"  start NPAGES SLEEP_USECS run the scanner: NPAGES pages per batch, then sleep\n"
"                           SLEEP_USECS microseconds\n"
"  stop                     stop the scanner (merged pages stay merged)\n"
"  info                     scanner settings, in the 2009 ksmctl format\n"
"  ps, areas                one row per shared memory area\n"
"  watch                    live view: pages merged/s, pages scanned/s, saved\n"
"\n"
"Options:\n"
"  -d, --device=PATH    device to open (default /dev/ksm)\n"
"      --json           JSON output (status, info, ps; watch: an object a line)\n"
"      --prometheus     node_exporter textfile-collector format (status, ps)\n"
"  -n, --interval=SECS  watch: seconds between refreshes (default 2; 0.5 ok)\n"
"  -c, --count=N        watch: stop after N refreshes\n"
"  -h, --help           show this help and exit\n"
"  -V, --version        show the version and exit\n"
"\n"
"start and stop need CAP_SYS_ADMIN.  Exit status: 0 success, 1 failure,\n"
"2 usage error.  See ksmctl(8).\n";

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
	{ "help", KSMCTL_CMD_HELP },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

const char *ksmctl_cmd_name(enum ksmctl_cmd cmd)
{
	switch (cmd) {
	case KSMCTL_CMD_STATUS:		return "status";
	case KSMCTL_CMD_START:		return "start";
	case KSMCTL_CMD_STOP:		return "stop";
	case KSMCTL_CMD_INFO:		return "info";
	case KSMCTL_CMD_PS:		return "ps";
	case KSMCTL_CMD_WATCH:		return "watch";
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
		if (v > (max - d) / 10)
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
	const char *cmd_word = NULL, *args[2];
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
						"unknown command '%s' (commands: status, start, stop, info, ps, areas, watch)",
						optarg);
				o->cmd = commands[i].cmd;
			} else if (o->cmd == KSMCTL_CMD_START && nargs < 2) {
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
				if (o->cmd == KSMCTL_CMD_START && cmd_word && nargs < 2)
					return usage_error(err, errlen,
						"start: invalid %s '%s': expected an unsigned decimal number up to %u",
						nargs ? "<sleep_usecs>" : "<npages>", w, UINT_MAX);
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
					"unknown command '%s' (commands: status, start, stop, info, ps, areas, watch)",
					argv[optind]);
			cmd_word = argv[optind];
			o->cmd = commands[i].cmd;
		} else if (o->cmd == KSMCTL_CMD_START && nargs < 2) {
			args[nargs++] = argv[optind];
		} else {
			return usage_error(err, errlen, "%s: unexpected argument '%s'",
					   cmd_word, argv[optind]);
		}
	}

	if (o->cmd == KSMCTL_CMD_HELP)
		return KSMCTL_EXIT_OK;
	if (o->cmd == KSMCTL_CMD_START) {
		if (nargs == 0)
			return usage_error(err, errlen, "start: missing <npages> and <sleep_usecs>");
		if (nargs == 1)
			return usage_error(err, errlen, "start: missing <sleep_usecs>");
		if (parse_start_arg(args[0], "<npages>", 1, &o->npages, err, errlen) ||
		    parse_start_arg(args[1], "<sleep_usecs>", 0, &o->sleep_usecs, err, errlen))
			return KSMCTL_EXIT_USAGE;
	}
	if (json && prom)
		return usage_error(err, errlen, "--json and --prometheus cannot be combined");
	if (json) {
		if (o->cmd == KSMCTL_CMD_START || o->cmd == KSMCTL_CMD_STOP)
			return usage_error(err, errlen,
				"%s: --json applies only to status, info, ps and watch",
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

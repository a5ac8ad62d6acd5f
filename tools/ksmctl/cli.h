/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * cli.h - ksmctl command-line parsing: argv in, a filled struct ksmctl_opts
 * (or a usage error message) out.  No device access, no output.
 */
#ifndef KSMCTL_CLI_H
#define KSMCTL_CLI_H

#include <stddef.h>

#define KSMCTL_VERSION		"1.0.0"

/* Exit codes. */
#define KSMCTL_EXIT_OK		0
#define KSMCTL_EXIT_FAILURE	1
#define KSMCTL_EXIT_USAGE	2

/* watch -n: default, and the accepted range, in seconds. */
#define KSMCTL_WATCH_DEFAULT	2.0
#define KSMCTL_WATCH_MIN	0.1
#define KSMCTL_WATCH_MAX	86400.0

enum ksmctl_cmd {
	KSMCTL_CMD_STATUS,
	KSMCTL_CMD_START,
	KSMCTL_CMD_STOP,
	KSMCTL_CMD_INFO,
	KSMCTL_CMD_PS,
	KSMCTL_CMD_WATCH,
	KSMCTL_CMD_HELP,
	KSMCTL_CMD_VERSION,
};

enum ksmctl_format {
	KSMCTL_FMT_TEXT,
	KSMCTL_FMT_JSON,
	KSMCTL_FMT_PROMETHEUS,
};

struct ksmctl_opts {
	enum ksmctl_cmd cmd;
	enum ksmctl_format format;
	const char *device;		/* KSMCTL default: "/dev/ksm" */
	unsigned int npages;		/* start */
	unsigned int sleep_usecs;	/* start */
	double interval;		/* watch, seconds */
	unsigned long count;		/* watch: refreshes, 0 = until interrupted */
};

/*
 * Parse @argc/@argv (argv[0] is the program name).  Returns
 * KSMCTL_EXIT_OK with @o filled, or KSMCTL_EXIT_USAGE with a one-line
 * description of the problem (no program name, no newline) in @err.
 * Uses getopt_long (resets its state first), which may permute @argv.
 */
int ksmctl_parse_args(int argc, char **argv, struct ksmctl_opts *o,
		      char *err, size_t errlen);

/* The command's name as typed ("status", "ps", ...). */
const char *ksmctl_cmd_name(enum ksmctl_cmd cmd);

/*
 * Strict unsigned decimal: digits only (no sign, space, or suffix), value
 * <= @max.  Returns 0 and sets *@out, or -1.
 */
int ksmctl_parse_uint(const char *s, unsigned long max, unsigned long *out);

/*
 * Seconds for watch -n: a plain decimal number with an optional fraction
 * ("2", "0.5", ".25"), within [KSMCTL_WATCH_MIN, KSMCTL_WATCH_MAX].
 * Returns 0 and sets *@out, or -1.
 */
int ksmctl_parse_interval(const char *s, double *out);

/* The --help text. */
extern const char ksmctl_usage_text[];

#endif /* KSMCTL_CLI_H */

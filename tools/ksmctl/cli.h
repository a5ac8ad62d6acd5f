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
	KSMCTL_CMD_AUTOTUNE,
	KSMCTL_CMD_SET,
	KSMCTL_CMD_HELP,
	KSMCTL_CMD_VERSION,
};

/* autotune: show the settings, turn auto-tuning off, or on with targets. */
enum ksmctl_autotune_op {
	KSMCTL_AUTOTUNE_SHOW,
	KSMCTL_AUTOTUNE_OFF,
	KSMCTL_AUTOTUNE_ON,
};

/* autotune <target_ms> <max_cpu_permille>: the driver's accepted ranges. */
#define KSMCTL_AUTOTUNE_TARGET_MIN	100
#define KSMCTL_AUTOTUNE_PERMILLE_MIN	1
#define KSMCTL_AUTOTUNE_PERMILLE_MAX	1000

/* Module parameters `set` writes and `status` reads. */
enum ksmctl_param {
	KSMCTL_PARAM_SMART_SCAN,
	KSMCTL_PARAM_USE_ZERO_PAGES,
	KSMCTL_PARAM_DOMAIN_POLICY,
	KSMCTL_NPARAMS
};

/* Where the loaded module's parameters are, one file each. */
#define KSMCTL_PARAM_DIR	"/sys/module/ksmdev/parameters"

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
	enum ksmctl_autotune_op autotune; /* autotune */
	unsigned int target_ms;		/* autotune: full scan target, >= 100 */
	unsigned int max_cpu_permille;	/* autotune: CPU budget, 1..1000 */
	enum ksmctl_param param;	/* set */
	unsigned int param_value;	/* set: 0/1 for booleans, 0..2 domain_policy */
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

/* A module parameter's name ("smart_scan", ...). */
const char *ksmctl_param_name(enum ksmctl_param p);

/* The parameter named exactly @name, or -1. */
int ksmctl_param_lookup(const char *name);

/*
 * A value for `set`: booleans (smart_scan, use_zero_pages) take 0, 1, off,
 * on, n, y, no, yes, false, true (and N, Y as sysfs shows them);
 * domain_policy takes 0, 1 or 2.  Returns 0 and sets *@out (0, 1 or 2),
 * or -1.
 */
int ksmctl_parse_param_value(enum ksmctl_param p, const char *s, unsigned int *out);

/*
 * The contents of a module parameter file as sysfs shows it: "Y" or "N"
 * for a boolean, a decimal number otherwise, a newline optional.  Returns
 * the value (0..INT_MAX), or -1 when @text is neither.
 */
int ksmctl_parse_param_text(const char *text);

/* The --help text. */
extern const char ksmctl_usage_text[];

#endif /* KSMCTL_CLI_H */

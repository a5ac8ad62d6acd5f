/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ktest.h - tiny helpers for the in-guest tests.
 *
 * Each test is one program; it exits 0 on success, 77 to skip, and
 * anything else on failure, after printing what went wrong.
 */
#ifndef KTEST_H
#define KTEST_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KTEST_SKIP 77

#define ktest_fail(...) do {						\
	fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);		\
	fprintf(stderr, __VA_ARGS__);					\
	fputc('\n', stderr);						\
	exit(1);							\
} while (0)

#define ktest_assert(cond, ...) do {					\
	if (!(cond)) {							\
		fprintf(stderr, "assertion '%s' failed\n", #cond);	\
		ktest_fail(__VA_ARGS__);				\
	}								\
} while (0)

#define ktest_info(...) do { printf(__VA_ARGS__); putchar('\n'); fflush(stdout); } while (0)

/* Open /dev/ksm or fail the test. */
int ktest_open_dev(void);

#endif

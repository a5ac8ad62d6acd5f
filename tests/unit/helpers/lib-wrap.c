// SPDX-License-Identifier: GPL-2.0-only
/*
 * lib-wrap.c - the library's calls into the kernel, handed to the test's
 * mock functions (see lib-wrap.h).  Linked into every lib_*.c unit test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "lib-wrap.h"

int __wrap_ioctl(int fd, unsigned long req, ...);
int __wrap_open(const char *path, int flags, ...);
int __wrap_close(int fd);

int __wrap_ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = (void *)va_arg(ap, unsigned long);
	va_end(ap);
	return mock_ioctl(fd, req, arg);
}

int __wrap_open(const char *path, int flags, ...)
{
	return mock_open(path, flags);
}

int __wrap_close(int fd)
{
	return mock_close(fd);
}

__attribute__((weak)) int mock_open(const char *path, int flags)
{
	fail_msg("unexpected open(%s, %#x)", path, flags);
	return -1;
}

__attribute__((weak)) int mock_close(int fd)
{
	fail_msg("unexpected close(%d)", fd);
	return -1;
}

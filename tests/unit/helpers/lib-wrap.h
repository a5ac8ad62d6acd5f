/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * lib-wrap.h - the kernel side of libksmdev in the unit tests lib_*.c.
 *
 * Those tests link the library's object with -Wl,--wrap=ioctl,open,close
 * and helpers/lib-wrap.c: every ioctl(), open() and close() the library
 * makes goes to lib-wrap.c's __wrap_ functions, which hand it to the
 * test's mock_ functions below, with the ioctl argument already taken out
 * of the variadic call.  A mock returns what the system call would (set
 * errno and return -1 to fail).
 *
 * Each test defines mock_ioctl().  mock_open() and mock_close() have
 * default definitions (weak symbols) that fail the test on any call: a
 * test that expects the library to open or close something defines its
 * own.
 */
#ifndef LIB_WRAP_H
#define LIB_WRAP_H

/* ioctl(fd, req, arg) as the library called it. */
int mock_ioctl(int fd, unsigned long req, void *arg);
/* open(path, flags, ...); the mode is not passed on. */
int mock_open(const char *path, int flags);
/* close(fd). */
int mock_close(int fd);

#endif

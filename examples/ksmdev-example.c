// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ksmdev-example - allocate duplicate buffers, register them with
 * /dev/ksm, start the scanner and print what merging saved.
 *
 * Build:  cc ksmdev-example.c $(pkg-config --cflags --libs libksmdev)
 * Usage:  ksmdev-example [buffers] [MiB per buffer]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <ksmdev.h>

static int fail(const char *what, int err)
{
	fprintf(stderr, "ksmdev-example: %s: %s\n", what, ksmdev_strerror(err));
	return 1;
}

int main(int argc, char **argv)
{
	int nbuf = argc > 1 ? atoi(argv[1]) : 4;
	size_t len = (size_t)(argc > 2 ? atoi(argv[2]) : 4) << 20;
	struct ksm_stats st;
	int dev, area, ret, i, tries;
	unsigned char **buf;

	if (nbuf < 2 || len == 0) {
		fprintf(stderr, "usage: ksmdev-example [buffers>=2] [MiB>=1]\n");
		return 2;
	}
	dev = ksmdev_open(NULL);
	if (dev < 0)
		return fail("open /dev/ksm", dev);
	area = ksmdev_area_create(dev);
	if (area < 0)
		return fail("create area", area);

	buf = calloc(nbuf, sizeof(*buf));
	for (i = 0; i < nbuf; i++) {
		buf[i] = mmap(NULL, len, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (buf[i] == MAP_FAILED) {
			perror("ksmdev-example: mmap");
			return 1;
		}
		/* The same contents in every buffer, different in every page. */
		for (size_t off = 0; off < len; off += 64)
			snprintf((char *)buf[i] + off, 64, "page %zu line %zu", off >> 12, off);
		ret = ksmdev_register(area, buf[i], len);
		if (ret < 0)
			return fail("register", ret);
	}
	printf("registered %d buffers of %zu MiB with identical contents\n", nbuf, len >> 20);

	ret = ksmdev_scanner_start(dev, 100000, 1000);
	if (ret == -EPERM)
		printf("not allowed to start the scanner; waiting for it to run\n");
	else if (ret < 0)
		return fail("start scanner", ret);

	for (tries = 0; tries < 600; tries++) {
		ret = ksmdev_area_stats(area, &st);
		if (ret < 0)
			return fail("area stats", ret);
		if (st.pages_sharing >= (uint64_t)(nbuf - 1) * (len >> 12))
			break;
		usleep(100000);
	}
	for (i = 1; i < nbuf; i++)
		if (memcmp(buf[0], buf[i], len)) {
			fprintf(stderr, "ksmdev-example: buffer %d differs!\n", i);
			return 1;
		}
	printf("pages_shared=%llu pages_sharing=%llu saved_bytes=%llu\n",
	       (unsigned long long)st.pages_shared, (unsigned long long)st.pages_sharing,
	       (unsigned long long)ksmdev_bytes_saved(&st));
	printf("saved %.1f MiB of %.1f MiB\n", ksmdev_bytes_saved(&st) / 1048576.0,
	       nbuf * len / 1048576.0);
	ksmdev_area_destroy(area);	/* unmerges */
	ksmdev_close(dev);
	return st.pages_sharing ? 0 : 1;
}

// SPDX-License-Identifier: GPL-2.0-only
#include <fcntl.h>
#include "ktest.h"

int ktest_open_dev(void)
{
	int fd = open("/dev/ksm", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		ktest_fail("open /dev/ksm: %s", strerror(errno));
	return fd;
}

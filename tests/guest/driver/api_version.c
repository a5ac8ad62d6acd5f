// SPDX-License-Identifier: GPL-2.0-only
/* /dev/ksm opens, reports API version 1, and refuses unknown ioctls with ENOTTY. */
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/ksmdev.h>
#include "ktest.h"

int main(void)
{
	int fd = ktest_open_dev();
	int v = ioctl(fd, KSM_GET_API_VERSION, 0);

	ktest_assert(v == KSM_API_VERSION, "version %d (%s)", v, strerror(errno));
	errno = 0;
	ktest_assert(ioctl(fd, _IO(KSMIO, 0x7f), 0) == -1 && errno == ENOTTY,
		     "unknown ioctl gave errno %d", errno);
	errno = 0;
	ktest_assert(ioctl(fd, _IO('x', 1), 0) == -1 && errno == ENOTTY,
		     "foreign ioctl gave errno %d", errno);
	close(fd);
	return 0;
}

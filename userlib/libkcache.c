// SPDX-License-Identifier: LGPL-2.1 OR MIT
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kcache.h"

static int kc_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

int kcache_ctl_open(void)
{
	int fd = open("/dev/" KCACHE_DEVICE_NAME, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int kcache_version(int ctl_fd, struct kcache_version *v)
{
	memset(v, 0, sizeof(*v));
	v->size = sizeof(*v);
	return kc_ioctl(ctl_fd, KCACHE_IOC_VERSION, v);
}

/* SPDX-License-Identifier: LGPL-2.1 OR MIT */
/* libkcache's own: the ioctl call every wrapper makes. Not installed. */
#ifndef KCACHE_IOCTL_H
#define KCACHE_IOCTL_H

#include <errno.h>
#include <stdint.h>
#include <sys/ioctl.h>

/* The call, as -errno on failure; errno saved and restored, so a caller's is unchanged. */
static inline long kc_ioctl(int fd, unsigned long cmd, void *arg)
{
	int saved = errno;
	long ret = ioctl(fd, cmd, arg);

	if (ret < 0)
		ret = -errno;
	errno = saved;
	return ret;
}

static inline uint64_t kc_ptr(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

#endif /* KCACHE_IOCTL_H */

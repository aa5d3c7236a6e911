/* SPDX-License-Identifier: LGPL-2.1 OR MIT */
/* libkcache's own: the ioctl call every wrapper makes. Not installed. */
#ifndef KCACHE_IOCTL_H
#define KCACHE_IOCTL_H

#include <errno.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>

/*
 * The call, as -errno on failure; a caller's errno is unchanged. On x86-64 the system
 * call itself, as liburing makes it: the kernel's return is already -errno, and errno is
 * neither read nor written. Elsewhere ioctl(), with errno saved and restored.
 */
static inline long kc_ioctl(int fd, unsigned long cmd, void *arg)
{
#if defined(__x86_64__)
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "0"((long)__NR_ioctl), "D"((long)fd), "S"(cmd), "d"(arg)
			 : "rcx", "r11", "memory");
	return ret;
#else
	int saved = errno;
	long ret = ioctl(fd, cmd, arg);

	if (ret < 0)
		ret = -errno;
	errno = saved;
	return ret;
#endif
}

static inline uint64_t kc_ptr(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

#endif /* KCACHE_IOCTL_H */

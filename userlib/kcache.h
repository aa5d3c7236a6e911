/* SPDX-License-Identifier: LGPL-2.1 OR MIT */
/*
 * libkcache - thin userspace wrappers around the /dev/kcache ioctls.
 * Every function returns 0 (or a non-negative count) on success and -errno on failure;
 * none of them touches errno.
 */
#ifndef LIBKCACHE_H
#define LIBKCACHE_H

#include <linux/kcache.h>

#ifdef __cplusplus
extern "C" {
#endif

int kcache_ctl_open(void);
int kcache_version(int ctl_fd, struct kcache_version *v);

#ifdef __cplusplus
}
#endif

#endif /* LIBKCACHE_H */

/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * kcache - an in-kernel key-value cache: userspace ABI.
 *
 * Every ioctl argument starts with "__u32 size; __u32 flags;". The kernel reads the
 * struct with copy_struct_from_user(): a larger struct from a newer userspace is accepted
 * if its tail is zero (else -E2BIG), a smaller one is accepted if it is at least the first
 * published size of that struct (else -EINVAL). Padding must be zero and unknown flags
 * are rejected with -EINVAL. Pointers are passed as __u64.
 *
 * Errors common to every command:
 *  -EFAULT  the argument pointer (or a pointer inside it) is not readable/writable
 *  -EINVAL  size below the first published size, unknown flags, non-zero padding
 *  -E2BIG   size above PAGE_SIZE, or non-zero bytes beyond the struct the kernel knows
 *  -ENOTTY  unknown command
 */
#ifndef _UAPI_LINUX_KCACHE_H
#define _UAPI_LINUX_KCACHE_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define KCACHE_DEVICE_NAME	"kcache"
#define KCACHE_ABI_VERSION	1

#define KCACHE_IOC_MAGIC	0xCA

/* Feature bits reported by KCACHE_IOC_VERSION. */
#define KCACHE_FEATURE_VERSION	(1ULL << 0)

/**
 * struct kcache_version - argument of %KCACHE_IOC_VERSION
 * @size: sizeof(struct kcache_version) as userspace knows it
 * @flags: must be 0
 * @abi_version: out: %KCACHE_ABI_VERSION of the running module
 * @__pad: must be 0
 * @features: out: %KCACHE_FEATURE_* bits the module supports
 */
struct kcache_version {
	__u32 size;
	__u32 flags;
	__u32 abi_version;
	__u32 __pad;
	__u64 features;
};

#define KCACHE_VERSION_SIZE_VER0	24	/* first published size */

/*
 * KCACHE_IOC_VERSION - query the ABI version and features (control device).
 * Errors: only the common ones.
 */
#define KCACHE_IOC_VERSION	_IOWR(KCACHE_IOC_MAGIC, 0x00, struct kcache_version)

#endif /* _UAPI_LINUX_KCACHE_H */

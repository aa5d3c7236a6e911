// SPDX-License-Identifier: GPL-2.0
/*
 * kcache ioctl front door: validates and copies arguments, then calls the core API.
 * It holds no cache logic and no locks of its own.
 */

#include <linux/build_bug.h>
#include <linux/fs.h>
#include <linux/uaccess.h>

#include "kcache_internal.h"
#include "kcache_uaccess.h"

static void __maybe_unused kcache_build_check_abi(void)
{
	BUILD_BUG_ON(sizeof(struct kcache_version) != KCACHE_VERSION_SIZE_VER0);
	BUILD_BUG_ON(offsetof(struct kcache_version, features) != 16);
}

static long kcache_ioc_version(void __user *uarg)
{
	struct kcache_version v;
	int ret;

	ret = kcache_copy_struct_in(&v, sizeof(v), KCACHE_VERSION_SIZE_VER0, uarg);
	if (ret)
		return ret;
	if (v.flags || v.__pad)
		return -EINVAL;
	v.abi_version = KCACHE_ABI_VERSION;
	v.features = KCACHE_FEATURE_VERSION;
	return kcache_copy_struct_out(uarg, &v, sizeof(v));
}

/**
 * kcache_ctl_ioctl() - ioctls of the /dev/kcache control device
 * @file: the control device file
 * @cmd: a KCACHE_IOC_* command
 * @arg: user pointer to the command's struct
 *
 * Return: 0 or a negative errno (see uapi/linux/kcache.h); -ENOTTY for unknown commands.
 */
long kcache_ctl_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case KCACHE_IOC_VERSION:
		return kcache_ioc_version(uarg);
	default:
		return -ENOTTY;
	}
}

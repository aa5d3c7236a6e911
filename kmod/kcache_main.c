// SPDX-License-Identifier: GPL-2.0
/*
 * kcache module init/exit and the /dev/kcache control device.
 *
 * Locking: none here; each cache owns its locks (kcache_core.c), the registry of caches
 * is protected by kcache_registry_lock (kcache_core.c).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>

#include "kcache_internal.h"

static const struct file_operations kcache_ctl_fops = {
	.owner		= THIS_MODULE,
	.open		= nonseekable_open,
	.unlocked_ioctl	= kcache_ctl_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice kcache_miscdev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= KCACHE_DEVICE_NAME,
	.fops	= &kcache_ctl_fops,
	.mode	= 0666,
};

static int __init kcache_init(void)
{
	int ret;

	ret = kcache_core_init();
	if (ret)
		return ret;
	ret = misc_register(&kcache_miscdev);
	if (ret)
		goto err_core;
	kcache_selftest_bug();
	pr_info("loaded, ABI version %d\n", KCACHE_ABI_VERSION);
	return 0;

err_core:
	kcache_core_uninit();
	return ret;
}

static void __exit kcache_exit(void)
{
	misc_deregister(&kcache_miscdev);
	kcache_core_uninit();
}

module_init(kcache_init);
module_exit(kcache_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("In-kernel key-value cache");
MODULE_AUTHOR("kcache developers");

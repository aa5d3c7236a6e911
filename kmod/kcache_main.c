// SPDX-License-Identifier: GPL-2.0
/*
 * kcache module init and exit: each unit's _init in order, and on exit (or failure) each
 * _uninit in the reverse order. The /dev/kcache control device comes last, so nothing
 * reaches the core before it is ready, and goes first.
 *
 * Locks: none here; each unit's file names its own.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>

#include "kcache_internal.h"
#include "kcache_maint.h"
#include "kcache_sysfs.h"	/* kcache-pkg: statistics files */

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

	ret = kcache_wq_init();
	if (ret)
		return ret;
	ret = kcache_registry_init();
	if (ret)
		goto err_wq;
	ret = kcache_shrinker_init();
	if (ret)
		goto err_registry;
	ret = kcache_sysfs_init();	/* kcache-pkg */
	if (ret)
		goto err_shrinker;
	ret = misc_register(&kcache_miscdev);
	if (ret)
		goto err_sysfs;
	kcache_selftest_bug();
	pr_info("loaded, ABI version %d\n", KCACHE_ABI_VERSION);
	return 0;

err_sysfs:
	kcache_sysfs_uninit();	/* kcache-pkg */
err_shrinker:
	kcache_shrinker_uninit();
err_registry:
	kcache_registry_uninit();
err_wq:
	kcache_wq_uninit();
	return ret;
}

static void __exit kcache_exit(void)
{
	misc_deregister(&kcache_miscdev);
	kcache_sysfs_uninit();	/* kcache-pkg: later destroys find no file to remove */
	kcache_shrinker_uninit();
	/* destroys the caches left over */
	kcache_registry_uninit();
	kcache_wq_uninit();
}

module_init(kcache_init);
module_exit(kcache_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("In-kernel key-value cache");
MODULE_AUTHOR("kcache developers");
MODULE_VERSION(KCACHE_PKG_VERSION);	/* from Kbuild: scripts/version.sh or VERSION */

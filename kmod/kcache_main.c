// SPDX-License-Identifier: GPL-2.0
/*
 * kcache module init and exit: each unit's _init in order, and on exit (or failure) each
 * _uninit in the reverse order. The /dev/kcache control device comes last, so nothing
 * reaches the core before it is ready, and goes first.
 *
 * Locks: none here; each unit's file names its own.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>

#include "kcache_ctl.h"
#include "kcache_entry.h"
#include "kcache_internal.h"
#include "kcache_maint.h"
#include "kcache_quota.h"
#include "kcache_stream.h"
#include "kcache_sysfs.h"

static int __init kcache_init(void)
{
	int ret;

	kcache_entry_sizes_init();
	ret = kcache_wq_init();
	if (ret)
		return ret;
	/* the shrinker outlives every cache: destroy takes a cache off its list */
	ret = kcache_shrinker_init();
	if (ret)
		goto err_wq;
	/* the statistics directory outlives every cache: destroy removes its file */
	ret = kcache_sysfs_init();
	if (ret)
		goto err_shrinker;
	ret = kcache_registry_init();
	if (ret)
		goto err_sysfs;
	ret = kcache_ctl_init();
	if (ret)
		goto err_registry;
	kcache_selftest_bug();
	pr_info("loaded, ABI version %d\n", KCACHE_ABI_VERSION);
	return 0;

err_registry:
	kcache_registry_uninit();
err_sysfs:
	kcache_sysfs_uninit();
err_shrinker:
	kcache_shrinker_uninit();
err_wq:
	kcache_wq_uninit();
	return ret;
}

static void __exit kcache_exit(void)
{
	kcache_ctl_uninit();
	/* no stream fd is left, but the last ones closed may still be freeing */
	kcache_streams_drain();
	/* destroys the caches left over */
	kcache_registry_uninit();
	/* each quota charge went with its cache or stream */
	kcache_quota_uninit();
	kcache_sysfs_uninit();
	kcache_shrinker_uninit();
	kcache_wq_uninit();
}

module_init(kcache_init);
module_exit(kcache_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("In-kernel key-value cache");
MODULE_AUTHOR("kcache developers");
MODULE_VERSION(KCACHE_PKG_VERSION);	/* from Kbuild: scripts/version.sh or VERSION */

// SPDX-License-Identifier: GPL-2.0
/*
 * A sample in-kernel user of kcache: uses only the exported API, so loading it proves the
 * exports work from a separate module.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>

#include "kcache.h"

static int __init kcache_sample_init(void)
{
	pr_info("loaded\n");
	return 0;
}

static void __exit kcache_sample_exit(void)
{
}

module_init(kcache_sample_init);
module_exit(kcache_sample_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Sample user of the kcache kernel API");

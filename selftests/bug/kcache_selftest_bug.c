// SPDX-License-Identifier: GPL-2.0
/*
 * Deliberate bugs, built only with KCACHE_SELFTEST_BUG=y, to prove that the VM harness
 * fails a run on each kind of kernel splat. Never part of a normal build.
 * Lock order for the inversion: kc_bug_a -> kc_bug_b, then kc_bug_b -> kc_bug_a.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "kcache_internal.h"

static int selftest_bug;
module_param(selftest_bug, int, 0444);
MODULE_PARM_DESC(selftest_bug, "1 use-after-free, 2 lock inversion, 3 sleep in atomic, 4 leak");

static DEFINE_MUTEX(kc_bug_a);
static DEFINE_MUTEX(kc_bug_b);
static DEFINE_SPINLOCK(kc_bug_lock);
static void *kc_bug_leak;

void kcache_selftest_bug(void)
{
	char *p;

	switch (selftest_bug) {
	case 1:
		p = kmalloc(32, GFP_KERNEL);
		if (!p)
			return;
		kfree(p);
		pr_info("bug 1: reading freed memory: %d\n", READ_ONCE(p[8]));
		break;
	case 2:
		mutex_lock(&kc_bug_a);
		mutex_lock(&kc_bug_b);
		mutex_unlock(&kc_bug_b);
		mutex_unlock(&kc_bug_a);
		mutex_lock(&kc_bug_b);
		mutex_lock(&kc_bug_a);
		mutex_unlock(&kc_bug_a);
		mutex_unlock(&kc_bug_b);
		break;
	case 3:
		spin_lock(&kc_bug_lock);
		p = kmalloc(64, GFP_KERNEL);	/* may sleep: might_sleep() reports it */
		spin_unlock(&kc_bug_lock);
		kfree(p);
		break;
	case 4:
		kc_bug_leak = kmalloc(64, GFP_KERNEL);
		/* lose the only reference */
		WRITE_ONCE(kc_bug_leak, NULL);
		break;
	}
}

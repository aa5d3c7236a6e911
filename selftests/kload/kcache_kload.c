// SPDX-License-Identifier: GPL-2.0
/*
 * Test helper for kcache_lease_test: an in-kernel load that a process starts and ends, so
 * that a process's lease GET can wait on a kernel loader (the path of
 * kcache_load_result_user() that only such a load reaches: a value that was not stored).
 *
 * insmod kcache_kload.ko cache=NAME key=KEY val=VALUE starts kcache_get_or_load() of KEY
 * in a kthread; its loader blocks until "1" is written to
 * /sys/module/kcache_kload/parameters/release (or a minute passes: -ETIME), then returns
 * VALUE (or fails with ERR, if err=ERR is given). insmod returns once the loader runs, or
 * the call ended without it (a hit).
 * /sys/module/kcache_kload/parameters/result reads "running", or the call's
 * "RET LEN VERSION VALUE". rmmod releases the loader and waits for the call.
 *
 * Built with KCACHE_TESTS only; the exported API alone. No locks: the completions order
 * the kthread's writes of the result before its readers.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/string.h>

#include "kcache.h"

#define KL_TIMEOUT	(60 * HZ)
#define KL_VAL_MAX	64

static char *cache_name;
module_param_named(cache, cache_name, charp, 0444);
MODULE_PARM_DESC(cache, "name of the cache to load into");
static char *key;
module_param(key, charp, 0444);
MODULE_PARM_DESC(key, "key to load");
static char *val;
module_param(val, charp, 0444);
MODULE_PARM_DESC(val, "value the loader returns, at most 64 bytes");
static int err;
module_param(err, int, 0444);
MODULE_PARM_DESC(err, "a negative errno the loader fails with instead (0: none)");

static struct kcache *kl_cache;
static DECLARE_COMPLETION(kl_entered);	/* the loader runs, or the call ended */
static DECLARE_COMPLETION(kl_release);	/* the loader may return */
static DECLARE_COMPLETION(kl_done);	/* the kthread has ended: the result is set */
static int kl_ret;
static u32 kl_len;
static u64 kl_version;
static char kl_buf[KL_VAL_MAX];

static int kl_loader(void *ctx, const void *k, u32 klen, void **v, u32 *vlen)
{
	size_t len = strlen(val);

	complete(&kl_entered);
	/* not an uninterruptible sleep: a test that dies leaves no hung-task report behind */
	if (wait_for_completion_interruptible_timeout(&kl_release, KL_TIMEOUT) <= 0)
		return -ETIME;
	if (err)
		return err;
	*v = kvmalloc(len ?: 1, GFP_KERNEL);
	if (!*v)
		return -ENOMEM;
	memcpy(*v, val, len);
	*vlen = len;
	return 0;
}

static int kl_thread(void *unused)
{
	kl_len = sizeof(kl_buf);
	kl_ret = kcache_get_or_load(kl_cache, key, strlen(key), kl_loader, NULL, kl_buf,
				    &kl_len, 0, &kl_version);
	complete(&kl_entered);
	/* module text must outlive this function: exit waits for kl_done */
	kthread_complete_and_exit(&kl_done, 0);
}

static int kl_release_set(const char *buf, const struct kernel_param *kp)
{
	complete_all(&kl_release);
	return 0;
}

static int kl_result_set(const char *buf, const struct kernel_param *kp)
{
	return -EPERM;
}

static int kl_result_get(char *buf, const struct kernel_param *kp)
{
	if (!completion_done(&kl_done))
		return sysfs_emit(buf, "running\n");
	return sysfs_emit(buf, "%d %u %llu %.*s\n", kl_ret, kl_len, kl_version,
			  kl_ret ? 0 : (int)min_t(u32, kl_len, sizeof(kl_buf)), kl_buf);
}

static const struct kernel_param_ops kl_release_ops = { .set = kl_release_set };
static const struct kernel_param_ops kl_result_ops = {
	.set = kl_result_set,	/* insmod ... result=x calls it */
	.get = kl_result_get,
};
module_param_cb(release, &kl_release_ops, NULL, 0200);
MODULE_PARM_DESC(release, "write anything: the loader returns its value");
module_param_cb(result, &kl_result_ops, NULL, 0444);
MODULE_PARM_DESC(result, "\"running\", or the call's \"RET LEN VERSION VALUE\"");

static int __init kcache_kload_init(void)
{
	struct task_struct *t;

	if (!cache_name || !key || !*key || !val || strlen(val) > KL_VAL_MAX || err > 0)
		return -EINVAL;
	kl_cache = kcache_lookup(cache_name);
	if (IS_ERR(kl_cache))
		return PTR_ERR(kl_cache);
	t = kthread_run(kl_thread, NULL, "kcache_kload");
	if (IS_ERR(t)) {
		kcache_put_ref(kl_cache);
		return PTR_ERR(t);
	}
	if (wait_for_completion_killable_timeout(&kl_entered, KL_TIMEOUT) <= 0) {
		complete_all(&kl_release);
		wait_for_completion(&kl_done);
		kcache_put_ref(kl_cache);
		return -ETIME;
	}
	return 0;
}

static void __exit kcache_kload_exit(void)
{
	complete_all(&kl_release);
	wait_for_completion(&kl_done);
	kcache_put_ref(kl_cache);
}

module_init(kcache_kload_init);
module_exit(kcache_kload_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kcache test helper: an in-kernel load a process controls");

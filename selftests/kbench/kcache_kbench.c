// SPDX-License-Identifier: GPL-2.0
/*
 * In-kernel benchmark of kcache_get()/kcache_set() against a bare rhashtable_lookup_fast()
 * on the same keys, measured in the same run. Loaded by `make bench` only; it prints
 * ratios, it does not pass or fail. No locks of its own; runs in the loading task.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/jhash.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/rhashtable.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "kcache_internal.h"

#define KB_KEYS		4096
#define KB_KLEN		16
#define KB_VLEN		64
#define KB_RUNS		7
#define KB_ROUNDS	4

struct kb_obj {
	struct rhash_head node;
	u8 key[KB_KLEN];
	u8 val[KB_VLEN];
};

static const struct rhashtable_params kb_params = {
	.head_offset = offsetof(struct kb_obj, node),
	.key_offset = offsetof(struct kb_obj, key),
	.key_len = KB_KLEN,
};

static void kb_key(u8 *key, int i)
{
	snprintf(key, KB_KLEN, "key-%011d", i);
}

/* best-of-KB_RUNS ns per operation of @fn over all keys */
static u64 kb_measure(int (*fn)(void *ctx, int i), void *ctx)
{
	u64 best = U64_MAX, t;
	int run, r, i;

	for (run = 0; run < KB_RUNS; run++) {
		t = ktime_get_ns();
		for (r = 0; r < KB_ROUNDS; r++)
			for (i = 0; i < KB_KEYS; i++)
				fn(ctx, i);
		t = ktime_get_ns() - t;
		best = min(best, t);
		cond_resched();
	}
	return best / (KB_ROUNDS * KB_KEYS);
}

struct kb_ctx {
	struct rhashtable ht;
	struct kcache *c;
	u8 (*keys)[KB_KLEN];
	u8 val[KB_VLEN];
	u8 buf[KB_VLEN];
};

static int kb_rht_lookup(void *data, int i)
{
	struct kb_ctx *x = data;
	struct kb_obj *o;
	int ret = -ENOENT;

	rcu_read_lock();
	o = rhashtable_lookup_fast(&x->ht, x->keys[i], kb_params);
	if (o) {
		memcpy(x->buf, o->val, KB_VLEN);
		ret = 0;
	}
	rcu_read_unlock();
	return ret;
}

static int kb_get(void *data, int i)
{
	struct kb_ctx *x = data;
	u32 len = KB_VLEN;

	return kcache_get(x->c, x->keys[i], KB_KLEN, x->buf, &len, NULL);
}

static int kb_set(void *data, int i)
{
	struct kb_ctx *x = data;

	return kcache_set(x->c, x->keys[i], KB_KLEN, x->val, KB_VLEN, 0, 0, NULL);
}

static void kb_free_obj(void *ptr, void *arg)
{
	kfree(ptr);
}

static int __init kcache_kbench_init(void)
{
	struct kcache_config cfg = { .max_entries = 2 * KB_KEYS };
	u64 rht, get, set;
	struct kb_ctx *x;
	struct kb_obj *o;
	int i, ret;

	x = kzalloc(sizeof(*x), GFP_KERNEL);
	if (!x)
		return -ENOMEM;
	x->keys = kcalloc(KB_KEYS, KB_KLEN, GFP_KERNEL);
	ret = x->keys ? rhashtable_init(&x->ht, &kb_params) : -ENOMEM;
	if (ret)
		goto out_free;
	x->c = kcache_create("kbench", &cfg);
	if (IS_ERR(x->c)) {
		ret = PTR_ERR(x->c);
		goto out_ht;
	}
	for (i = 0; i < KB_KEYS; i++) {
		kb_key(x->keys[i], i);
		o = kzalloc(sizeof(*o), GFP_KERNEL);
		ret = o ? 0 : -ENOMEM;
		if (!ret) {
			memcpy(o->key, x->keys[i], KB_KLEN);
			ret = rhashtable_insert_fast(&x->ht, &o->node, kb_params);
			if (ret)
				kfree(o);
		}
		if (!ret)
			ret = kb_set(x, i);
		if (ret)
			goto out_cache;
	}
	kcache_maintain(x->c);

	rht = kb_measure(kb_rht_lookup, x);
	get = kb_measure(kb_get, x);
	set = kb_measure(kb_set, x);
	pr_info("keys=%d key=%dB value=%dB best of %d runs x %d rounds\n",
		KB_KEYS, KB_KLEN, KB_VLEN, KB_RUNS, KB_ROUNDS);
	pr_info("ns/op rhashtable_lookup_fast+copy=%llu kcache_get=%llu kcache_set=%llu\n",
		rht, get, set);
	pr_info("ratio get/rhashtable_lookup %llu.%02llu\n",
		get / max(rht, 1ULL), (get * 100 / max(rht, 1ULL)) % 100);
	pr_info("ratio set/rhashtable_lookup %llu.%02llu\n",
		set / max(rht, 1ULL), (set * 100 / max(rht, 1ULL)) % 100);
	pr_info("entry_header_bytes %zu (plus key, value and the table's bucket slot)\n",
		kcache_entry_overhead());
	ret = 0;
out_cache:
	kcache_destroy(x->c);
	kcache_put_ref(x->c);
out_ht:
	rhashtable_free_and_destroy(&x->ht, kb_free_obj, NULL);
out_free:
	kfree(x->keys);
	kfree(x);
	return ret;
}

static void __exit kcache_kbench_exit(void)
{
}

module_init(kcache_kbench_init);
module_exit(kcache_kbench_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kcache in-kernel benchmark");
MODULE_IMPORT_NS(KCACHE_INTERNAL);

// SPDX-License-Identifier: GPL-2.0
/*
 * In-kernel benchmark of kcache's exported API, loaded by `make bench` only. It prints
 * ratios to baselines measured in the same run, it does not pass or fail on speed:
 *  - rht_fast: rhashtable_lookup_fast() with constant parameters (16-byte key, the
 *    inlined default hash) and a copy of the 64-byte value, under rcu_read_lock();
 *  - rht_cb: the same through hash and compare callbacks for variable-length keys, as a
 *    table keyed by (pointer, length) must do: the price of the indirect calls;
 *  - pcpu_ref: percpu_ref_tryget_live() + percpu_ref_put() on a live ref of our own;
 *  - kcache_get (hit, miss), kcache_get_handle() + copy + kcache_handle_put() (the read path
 *    the ioctl layer uses), kcache_set() replacing a value;
 *  - scaling: two kthreads bound to CPUs 0 and 1 on distinct halves of the keys, against
 *    one kthread doing as many operations: throughput of 2 / (2 x throughput of 1);
 *  - sizes: kcache_get() and rht_fast at 10^4 and 10^6 entries (kb_sizes()).
 * A figure is the median over KB_RUNS runs of the ratio of two operations measured one
 * after the other in the same run. Output: "ratio NAME VALUE" lines (kept by the harness
 * in build/bench.txt) and a table of ns per operation.
 *
 * Only the exported API (kcache.h) and kcache_entry_overhead(), exported to test builds.
 * No locks of its own: the loading task runs the single-threaded parts, and the kthreads
 * of a scaling run share nothing but read-only keys and the cache.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/jhash.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/percpu-refcount.h>
#include <linux/rhashtable.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/sort.h>

#include "kcache_internal.h"

#define KB_KEYS		4096
#define KB_KLEN		16
#define KB_VLEN		64
#define KB_RUNS		15
#define KB_ROUNDS	4
#define KB_THR_OPS	(4 * KB_KEYS)	/* operations of each kthread in a scaling run */

struct kb_obj {
	struct rhash_head node;
	u8 key[KB_KLEN];
	u8 val[KB_VLEN];
};

struct kb_vkey {
	const void *p;
	u32 len;
};

static const struct rhashtable_params kb_params = {
	.head_offset = offsetof(struct kb_obj, node),
	.key_offset = offsetof(struct kb_obj, key),
	.key_len = KB_KLEN,
};

static u32 kb_cb_hash(const void *data, u32 len, u32 seed)
{
	const struct kb_vkey *k = data;

	return jhash(k->p, k->len, seed);
}

static u32 kb_cb_obj_hash(const void *data, u32 len, u32 seed)
{
	const struct kb_obj *o = data;

	return jhash(o->key, KB_KLEN, seed);
}

static int kb_cb_cmp(struct rhashtable_compare_arg *arg, const void *obj)
{
	const struct kb_vkey *k = arg->key;
	const struct kb_obj *o = obj;

	return k->len != KB_KLEN || memcmp(o->key, k->p, k->len);
}

static const struct rhashtable_params kb_cb_params = {
	.head_offset = offsetof(struct kb_obj, node),
	.hashfn = kb_cb_hash,
	.obj_hashfn = kb_cb_obj_hash,
	.obj_cmpfn = kb_cb_cmp,
};

struct kb_ctx {
	struct rhashtable ht;		/* kb_params */
	struct rhashtable ht_cb;	/* kb_cb_params, a second object per key */
	struct percpu_ref ref;
	struct kcache *c;
	u8 (*keys)[KB_KLEN];
	u8 (*miss)[KB_KLEN];
	u8 val[KB_VLEN];
};

/* Each operation copies the value into @buf, private to the caller (thread). */
typedef int (*kb_fn)(struct kb_ctx *x, int i, u8 *buf);

static int kb_rht_fast(struct kb_ctx *x, int i, u8 *buf)
{
	struct kb_obj *o;
	int ret = -ENOENT;

	rcu_read_lock();
	o = rhashtable_lookup_fast(&x->ht, x->keys[i], kb_params);
	if (o) {
		memcpy(buf, o->val, KB_VLEN);
		ret = 0;
	}
	rcu_read_unlock();
	return ret;
}

static int kb_rht_cb(struct kb_ctx *x, int i, u8 *buf)
{
	struct kb_vkey k = { .p = x->keys[i], .len = KB_KLEN };
	struct kb_obj *o;
	int ret = -ENOENT;

	rcu_read_lock();
	o = rhashtable_lookup_fast(&x->ht_cb, &k, kb_cb_params);
	if (o) {
		memcpy(buf, o->val, KB_VLEN);
		ret = 0;
	}
	rcu_read_unlock();
	return ret;
}

static int kb_pcpu_ref(struct kb_ctx *x, int i, u8 *buf)
{
	if (!percpu_ref_tryget_live(&x->ref))
		return -ESHUTDOWN;
	percpu_ref_put(&x->ref);
	return 0;
}

static int kb_get(struct kb_ctx *x, int i, u8 *buf)
{
	u32 len = KB_VLEN;

	return kcache_get(x->c, x->keys[i], KB_KLEN, buf, &len, NULL);
}

static int kb_get_miss(struct kb_ctx *x, int i, u8 *buf)
{
	u32 len = KB_VLEN;
	int ret = kcache_get(x->c, x->miss[i], KB_KLEN, buf, &len, NULL);

	return ret == -ENOENT ? 0 : (ret ?: -EEXIST);
}

static int kb_get_handle(struct kb_ctx *x, int i, u8 *buf)
{
	struct kcache_entry *h = kcache_get_handle(x->c, x->keys[i], KB_KLEN);
	const void *v;
	u32 len;

	if (IS_ERR(h))
		return PTR_ERR(h);
	v = kcache_handle_value(h, &len);
	memcpy(buf, v, min_t(u32, len, KB_VLEN));
	kcache_handle_put(h);
	return 0;
}

static int kb_set(struct kb_ctx *x, int i, u8 *buf)
{
	return kcache_set(x->c, x->keys[i], KB_KLEN, x->val, KB_VLEN, 0, 0, NULL);
}

/*
 * What a SET's entry costs the allocator: allocated with the memcg charge, freed (later, in
 * limbo) with the uncharge; and the same without the memory cgroup, for the difference.
 */
static int kb_alloc(u8 *buf, gfp_t gfp)
{
	void *p = kmalloc(kmalloc_size_roundup(64 + KB_KLEN + KB_VLEN), gfp);

	if (!p)
		return -ENOMEM;
	memcpy(p, buf, KB_VLEN);
	kfree(p);
	return 0;
}

static int kb_kalloc_acct(struct kb_ctx *x, int i, u8 *buf)
{
	return kb_alloc(buf, GFP_KERNEL_ACCOUNT);
}

static int kb_kalloc(struct kb_ctx *x, int i, u8 *buf)
{
	return kb_alloc(buf, GFP_KERNEL);
}

enum kb_op { KB_RHT, KB_RHT_CB, KB_PREF, KB_GET, KB_MISS, KB_HANDLE, KB_SET, KB_KALLOC_ACCT,
	     KB_KALLOC, KB_NR_OPS };

static const struct {
	const char *name;
	kb_fn fn;
} kb_ops[KB_NR_OPS] = {
	[KB_RHT] = { "rht_fast", kb_rht_fast },
	[KB_RHT_CB] = { "rht_cb", kb_rht_cb },
	[KB_PREF] = { "pcpu_ref", kb_pcpu_ref },
	[KB_GET] = { "kget", kb_get },
	[KB_MISS] = { "kget_miss", kb_get_miss },
	[KB_HANDLE] = { "kget_handle", kb_get_handle },
	[KB_SET] = { "kset", kb_set },
	[KB_KALLOC_ACCT] = { "kalloc_acct", kb_kalloc_acct },
	[KB_KALLOC] = { "kalloc", kb_kalloc },
};

/* ns per operation of @fn over keys [@first, @first + @n), @ops times; < 0 on failure */
static s64 kb_loop(struct kb_ctx *x, kb_fn fn, int first, int n, int ops, u8 *buf)
{
	u64 t = ktime_get_ns();
	int i, ret;

	for (i = 0; i < ops; i++) {
		ret = fn(x, first + i % n, buf);
		if (ret)
			return ret;
		if ((i & 255) == 255)
			cond_resched();
	}
	return div_u64(ktime_get_ns() - t, ops);
}

static int kb_cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return (x > y) - (x < y);
}

/* median of @n values (sorts them) */
static u64 kb_median(u64 *v, int n)
{
	sort(v, n, sizeof(*v), kb_cmp_u64, NULL);
	return n & 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* a ratio in thousandths, printed with three decimals */
static void kb_print_ratio(const char *name, u64 milli, u64 lo, u64 hi)
{
	pr_info("ratio %s %llu.%03llu (min %llu.%03llu max %llu.%03llu)\n", name,
		milli / 1000, milli % 1000, lo / 1000, lo % 1000, hi / 1000, hi % 1000);
}

/* median over the runs of ns[a][run] / ns[b][run] */
static void kb_ratio(const char *name, u64 ns[][KB_RUNS], int a, int b)
{
	u64 r[KB_RUNS], med;
	int run;

	for (run = 0; run < KB_RUNS; run++)
		r[run] = div64_u64(ns[a][run] * 1000, max(ns[b][run], 1ULL));
	med = kb_median(r, KB_RUNS);
	kb_print_ratio(name, med, r[0], r[KB_RUNS - 1]);
}

static int kb_single(struct kb_ctx *x)
{
	u64 ns[KB_NR_OPS][KB_RUNS], med[KB_NR_OPS];
	u8 buf[KB_VLEN];
	int run, op;
	s64 t;

	for (run = -1; run < KB_RUNS; run++) {	/* run -1: warm-up */
		for (op = 0; op < KB_NR_OPS; op++) {
			t = kb_loop(x, kb_ops[op].fn, 0, KB_KEYS, KB_ROUNDS * KB_KEYS, buf);
			if (t < 0) {
				pr_err("%s failed: %lld\n", kb_ops[op].name, t);
				return t;
			}
			if (run >= 0)
				ns[op][run] = max_t(s64, t, 1);
		}
	}
	kb_ratio("kget/rht_fast", ns, KB_GET, KB_RHT);
	kb_ratio("kget/rht_cb", ns, KB_GET, KB_RHT_CB);
	kb_ratio("rht_cb/rht_fast", ns, KB_RHT_CB, KB_RHT);
	kb_ratio("pcpu_ref/rht_fast", ns, KB_PREF, KB_RHT);
	kb_ratio("kget_miss/kget", ns, KB_MISS, KB_GET);
	kb_ratio("kget_handle/kget", ns, KB_HANDLE, KB_GET);
	kb_ratio("kset/kget", ns, KB_SET, KB_GET);
	kb_ratio("kset/rht_fast", ns, KB_SET, KB_RHT);
	kb_ratio("kalloc_acct/kset", ns, KB_KALLOC_ACCT, KB_SET);
	kb_ratio("kalloc_acct/kalloc", ns, KB_KALLOC_ACCT, KB_KALLOC);
	for (op = 0; op < KB_NR_OPS; op++) {
		med[op] = kb_median(ns[op], KB_RUNS);
		pr_info("%-12s median %5llu ns/op  best %5llu  worst %5llu\n", kb_ops[op].name,
			med[op], ns[op][0], ns[op][KB_RUNS - 1]);
	}
	return 0;
}

/* ---- scaling: kthreads bound to CPUs 0 and 1 ---- */

struct kb_thr {
	struct kb_ctx *x;
	kb_fn fn;
	int first;
	struct completion *go;
	struct completion done;
	u64 t0, t1;
	s64 ret;
	u8 buf[KB_VLEN];
};

static int kb_thr_fn(void *arg)
{
	struct kb_thr *t = arg;

	wait_for_completion(t->go);
	t->t0 = ktime_get_ns();
	t->ret = kb_loop(t->x, t->fn, t->first, KB_KEYS / 2, KB_THR_OPS, t->buf);
	t->t1 = ktime_get_ns();
	complete(&t->done);
	/* stay until kthread_stop(), so that the task cannot go away under it */
	set_current_state(TASK_INTERRUPTIBLE);
	while (!kthread_should_stop()) {
		schedule();
		set_current_state(TASK_INTERRUPTIBLE);
	}
	__set_current_state(TASK_RUNNING);
	return 0;
}

/* wall ns of @nthr kthreads running @fn together (thread i on CPU i), or -errno */
static s64 kb_threads(struct kb_ctx *x, kb_fn fn, int nthr)
{
	struct task_struct *task[2];
	struct completion go;
	struct kb_thr *t;
	u64 t0 = U64_MAX, t1 = 0;
	s64 ret = 0;
	int i, n;

	t = kcalloc(2, sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	init_completion(&go);
	for (n = 0; n < nthr; n++) {
		t[n].x = x;
		t[n].fn = fn;
		t[n].first = n * KB_KEYS / 2;
		t[n].go = &go;
		init_completion(&t[n].done);
		task[n] = kthread_create(kb_thr_fn, &t[n], "kcache_kbench/%d", n);
		if (IS_ERR(task[n])) {
			ret = PTR_ERR(task[n]);
			break;
		}
		kthread_bind(task[n], n);
		wake_up_process(task[n]);
	}
	complete_all(&go);
	for (i = 0; i < n; i++) {
		wait_for_completion(&t[i].done);
		kthread_stop(task[i]);
		ret = ret ?: min_t(s64, t[i].ret, 0);
		t0 = min(t0, t[i].t0);
		t1 = max(t1, t[i].t1);
	}
	kfree(t);
	return ret ?: (s64)max(t1 - t0, 1ULL);
}

static int kb_scaling(struct kb_ctx *x)
{
	static const int ops[] = { KB_RHT, KB_GET, KB_SET };
	u64 r[ARRAY_SIZE(ops)][KB_RUNS], rel[ARRAY_SIZE(ops)][KB_RUNS];
	char name[48];
	int run, i;
	s64 t1, t2;

	if (num_online_cpus() < 2 || !cpu_online(1)) {
		pr_info("scaling: skipped, one CPU\n");
		return 0;
	}
	for (run = -1; run < KB_RUNS; run++) {	/* run -1: warm-up */
		for (i = 0; i < ARRAY_SIZE(ops); i++) {
			t1 = kb_threads(x, kb_ops[ops[i]].fn, 1);
			t2 = t1 < 0 ? t1 : kb_threads(x, kb_ops[ops[i]].fn, 2);
			if (t2 < 0) {
				pr_err("scaling %s failed: %lld\n", kb_ops[ops[i]].name, t2);
				return t2;
			}
			if (run >= 0)
				r[i][run] = div64_u64(t1 * 1000, t2);
		}
		/* the host's share: divided by the bare table's scaling of the same run */
		for (i = 0; run >= 0 && i < ARRAY_SIZE(ops); i++)
			rel[i][run] = div64_u64(r[i][run] * 1000, max(r[0][run], 1ULL));
	}
	pr_info("scaling: %d ops per kthread on its half of %d keys; throughput of 2 kthreads / (2 x 1)\n",
		KB_THR_OPS, KB_KEYS);
	for (i = 0; i < ARRAY_SIZE(ops); i++) {
		u64 med = kb_median(r[i], KB_RUNS);

		snprintf(name, sizeof(name), "kscale2_%s", kb_ops[ops[i]].name);
		kb_print_ratio(name, med, r[i][0], r[i][KB_RUNS - 1]);
	}
	for (i = 1; i < ARRAY_SIZE(ops); i++) {
		u64 med = kb_median(rel[i], KB_RUNS);

		snprintf(name, sizeof(name), "kscale2_%s/kscale2_rht_fast", kb_ops[ops[i]].name);
		kb_print_ratio(name, med, rel[i][0], rel[i][KB_RUNS - 1]);
	}
	return 0;
}

static void kb_free_obj(void *ptr, void *arg)
{
	kfree(ptr);
}

/*
 * ---- sizes: what a GET adds as the cache grows, against what the bare table adds ----
 *
 * The same keys in a kcache and in a bare rhashtable of struct kb_obj (key and value next
 * to the table linkage, all in the first two cache lines) at 10^4 and at 10^6 entries,
 * filled in key order and read in a stride that visits every key once per n lookups, each
 * far from the last; each loop goes on where the last one of its kind stopped, so that the
 * cache and the table see the same keys and the runs together cover most of them: what
 * the memory system adds per lookup at 10^6, for kcache's entries and for the tightest
 * objects the table could hold. The keys are stored in the order the loops take them, so
 * that reading them adds no miss of the benchmark's own at 10^6.
 */
#define KB_SZ_RUNS	5
#define KB_SZ_OPS	100000
#define KB_SZ_STEP	611953U		/* a prime: coprime with 10^4 and 10^6 */

static const u32 kb_sz_n[] = { 10000, 1000000 };

struct kb_sz {
	struct rhashtable ht;
	bool ht_ready;
	struct kcache *c;
	u8 (*keys)[KB_KLEN];	/* in the order the loops read them */
	u32 n;
	u32 next[2];	/* where the next loop starts: [bare table, cache] */
};

/* A fill that meets a transient -EBUSY or -ENOMEM (a table growing) tries again. */
#define KB_SZ_RETRIES	100

static bool kb_sz_retry(int ret, int *tries)
{
	if ((ret != -EBUSY && ret != -ENOMEM) || ++*tries > KB_SZ_RETRIES)
		return false;
	usleep_range(100, 1000);
	return true;
}

static int kb_sz_fill(struct kb_sz *z, u32 n, const u8 *val)
{
	/* room for every entry: 256 bytes each, as the userspace bench's cache-size sweep */
	struct kcache_config cfg = {
		.max_entries = n + n / 8, .max_bytes = (u64)n * 256 + (1 << 20),
	};
	u8 (*walk)[KB_KLEN];
	struct kb_obj *o;
	int ret, tries;
	u32 i, k;

	z->n = n;
	z->keys = kvmalloc_array(n, KB_KLEN, GFP_KERNEL);
	if (!z->keys)
		return -ENOMEM;
	ret = rhashtable_init(&z->ht, &kb_params);
	if (ret)
		return ret;
	z->ht_ready = true;
	z->c = kcache_create(n == kb_sz_n[0] ? "kbench_small" : "kbench_large", &cfg);
	if (IS_ERR(z->c)) {
		ret = PTR_ERR(z->c);
		z->c = NULL;
		return ret;
	}
	for (i = 0; i < n; i++) {
		snprintf(z->keys[i], KB_KLEN, "key-%011u", i);
		o = kzalloc(sizeof(*o), GFP_KERNEL);
		if (!o)
			return -ENOMEM;
		memcpy(o->key, z->keys[i], KB_KLEN);
		memcpy(o->val, val, KB_VLEN);
		tries = 0;
		do {
			ret = rhashtable_insert_fast(&z->ht, &o->node, kb_params);
		} while (kb_sz_retry(ret, &tries));
		if (ret) {
			kfree(o);
			return ret;
		}
		tries = 0;
		do {
			ret = kcache_set(z->c, z->keys[i], KB_KLEN, val, KB_VLEN, 0, 0, NULL);
		} while (kb_sz_retry(ret, &tries));
		if (ret)
			return ret;
		if ((i & 1023) == 1023)
			cond_resched();
	}
	kcache_maintain(z->c);
	walk = kvmalloc_array(n, KB_KLEN, GFP_KERNEL);
	if (!walk)
		return -ENOMEM;
	for (i = 0, k = 0; i < n; i++) {
		memcpy(walk[i], z->keys[k], KB_KLEN);
		k += KB_SZ_STEP % n;
		if (k >= n)
			k -= n;
		if ((i & 1023) == 1023)
			cond_resched();
	}
	kvfree(z->keys);
	z->keys = walk;
	return 0;
}

static void kb_sz_free(struct kb_sz *z)
{
	if (z->c) {
		kcache_destroy(z->c);
		kcache_put_ref(z->c);
	}
	if (z->ht_ready)
		rhashtable_free_and_destroy(&z->ht, kb_free_obj, NULL);
	kvfree(z->keys);
}

/* ns per lookup over %KB_SZ_OPS keys in stride order: the cache's, or the bare table's */
static s64 kb_sz_loop(struct kb_sz *z, bool cache, u8 *buf)
{
	u64 t = ktime_get_ns();
	u32 i, k = z->next[cache];
	struct kb_obj *o;
	u32 len;
	int ret;

	for (i = 0; i < KB_SZ_OPS; i++) {
		if (cache) {
			len = KB_VLEN;
			ret = kcache_get(z->c, z->keys[k], KB_KLEN, buf, &len, NULL);
			if (ret)
				return ret;
		} else {
			rcu_read_lock();
			o = rhashtable_lookup_fast(&z->ht, z->keys[k], kb_params);
			if (o)
				memcpy(buf, o->val, KB_VLEN);
			rcu_read_unlock();
			if (!o)
				return -ENOENT;
		}
		if (++k == z->n)
			k = 0;
		if ((i & 255) == 255)
			cond_resched();
	}
	z->next[cache] = k;
	return div_u64(ktime_get_ns() - t, KB_SZ_OPS);
}

static int kb_sizes(const u8 *val)
{
	struct kb_sz *z;	/* not on the stack: each table has a work item */
	u64 ns[2][ARRAY_SIZE(kb_sz_n)][KB_SZ_RUNS];	/* [bare table, cache][size][run] */
	u64 r[3][KB_SZ_RUNS], med[3];
	static const char * const what[] = { "rht_fast", "kget" };
	u8 buf[KB_VLEN];
	int i, j, run, ret = 0;
	u64 rht_add, get_add;
	s64 t;

	z = kcalloc(ARRAY_SIZE(kb_sz_n), sizeof(*z), GFP_KERNEL);
	if (!z)
		return -ENOMEM;
	for (i = 0; i < ARRAY_SIZE(kb_sz_n) && !ret; i++)
		ret = kb_sz_fill(&z[i], kb_sz_n[i], val);
	for (run = -1; run < KB_SZ_RUNS && !ret; run++) {	/* run -1: warm-up */
		for (i = 0; i < ARRAY_SIZE(kb_sz_n) && !ret; i++) {
			for (j = 0; j < 2; j++) {
				t = kb_sz_loop(&z[i], j, buf);
				if (t < 0) {
					pr_err("sizes: %s at %u failed: %lld\n", what[j],
					       kb_sz_n[i], t);
					ret = t;
					break;
				}
				if (run >= 0)
					ns[j][i][run] = max_t(s64, t, 1);
			}
		}
	}
	if (!ret) {
		for (run = 0; run < KB_SZ_RUNS; run++) {
			for (j = 0; j < 2; j++)
				r[j][run] = div64_u64(ns[j][1][run] * 1000, ns[j][0][run]);
			/* what 10^6 adds to a kcache_get() per what it adds to the bare lookup */
			/* at least 1 ns each: a run with no growth must not divide by 0 */
			rht_add = ns[0][1][run] > ns[0][0][run] ? ns[0][1][run] - ns[0][0][run] : 1;
			get_add = ns[1][1][run] > ns[1][0][run] ? ns[1][1][run] - ns[1][0][run] : 1;
			r[2][run] = div64_u64(get_add * 1000, rht_add);
		}
		for (j = 0; j < 3; j++) {
			med[j] = kb_median(r[j], KB_SZ_RUNS);
			kb_print_ratio(j == 0 ? "rht_fast_n1000000/rht_fast_n10000" :
				       j == 1 ? "kget_n1000000/kget_n10000" :
				       "kget_added/rht_fast_added_n1000000",
				       med[j], r[j][0], r[j][KB_SZ_RUNS - 1]);
		}
		for (j = 0; j < 2; j++)
			for (i = 0; i < ARRAY_SIZE(kb_sz_n); i++)
				pr_info("%-8s n=%-7u median %5llu ns/op\n", what[j], kb_sz_n[i],
					kb_median(ns[j][i], KB_SZ_RUNS));
	}
	for (i = 0; i < ARRAY_SIZE(kb_sz_n); i++)
		kb_sz_free(&z[i]);
	kfree(z);
	return ret;
}

/* one object per key in each table, the same keys and values in the cache */
static int kb_fill(struct kb_ctx *x)
{
	struct kb_obj *o, *o2;
	int i, j, ret;

	for (j = 0; j < KB_VLEN; j++)
		x->val[j] = j * 7 + 1;
	for (i = 0; i < KB_KEYS; i++) {
		snprintf(x->keys[i], KB_KLEN, "key-%011d", i);
		snprintf(x->miss[i], KB_KLEN, "mis-%011d", i);
		o = kzalloc(sizeof(*o), GFP_KERNEL);
		o2 = kzalloc(sizeof(*o2), GFP_KERNEL);
		if (!o || !o2) {
			kfree(o);
			kfree(o2);
			return -ENOMEM;
		}
		memcpy(o->key, x->keys[i], KB_KLEN);
		memcpy(o->val, x->val, KB_VLEN);
		memcpy(o2, o, sizeof(*o));
		ret = rhashtable_insert_fast(&x->ht, &o->node, kb_params);
		if (ret) {
			kfree(o);
			kfree(o2);
			return ret;
		}
		ret = rhashtable_insert_fast(&x->ht_cb, &o2->node, kb_cb_params);
		if (ret) {
			kfree(o2);
			return ret;
		}
		ret = kb_set(x, i, NULL);
		if (ret)
			return ret;
	}
	return 0;
}

static void kb_ref_release(struct percpu_ref *ref)
{
}

static int __init kcache_kbench_init(void)
{
	struct kcache_config cfg = { .max_entries = 2 * KB_KEYS };
	struct kb_ctx *x;
	int ret;

	x = kzalloc(sizeof(*x), GFP_KERNEL);
	if (!x)
		return -ENOMEM;
	x->keys = kcalloc(KB_KEYS, KB_KLEN, GFP_KERNEL);
	x->miss = kcalloc(KB_KEYS, KB_KLEN, GFP_KERNEL);
	ret = x->keys && x->miss ? 0 : -ENOMEM;
	if (ret)
		goto out_free;
	ret = rhashtable_init(&x->ht, &kb_params);
	if (ret)
		goto out_free;
	ret = rhashtable_init(&x->ht_cb, &kb_cb_params);
	if (ret)
		goto out_ht;
	ret = percpu_ref_init(&x->ref, kb_ref_release, 0, GFP_KERNEL);
	if (ret)
		goto out_ht_cb;
	x->c = kcache_create("kbench", &cfg);
	if (IS_ERR(x->c)) {
		ret = PTR_ERR(x->c);
		goto out_ref;
	}
	ret = kb_fill(x);
	if (ret)
		goto out_cache;
	kcache_maintain(x->c);

	pr_info("keys=%d key=%dB value=%dB, median of %d runs x %d rounds over the keys\n",
		KB_KEYS, KB_KLEN, KB_VLEN, KB_RUNS, KB_ROUNDS);
	ret = kb_single(x) ?: kb_scaling(x) ?: kb_sizes(x->val);
	pr_info("entry_header_bytes %zu (plus key, value and the table's bucket slot)\n",
		kcache_entry_overhead());
out_cache:
	kcache_destroy(x->c);
	kcache_put_ref(x->c);
out_ref:
	percpu_ref_exit(&x->ref);
out_ht_cb:
	rhashtable_free_and_destroy(&x->ht_cb, kb_free_obj, NULL);
out_ht:
	rhashtable_free_and_destroy(&x->ht, kb_free_obj, NULL);
out_free:
	kfree(x->miss);
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

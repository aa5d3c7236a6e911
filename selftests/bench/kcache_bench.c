// SPDX-License-Identifier: GPL-2.0
/*
 * kcache_bench - the userspace benchmark of `make bench`.
 *
 * Absolute times mean nothing under software emulation, so every figure is a ratio to a
 * baseline measured in the same run, interleaved with it so that drift hits both alike:
 *  - getppid(): the syscall floor;
 *  - a null ioctl on the same cache fd (KCACHE_IOC_NOP): the ioctl floor;
 *  - bpf() on a BPF hash map of the same shape (LOOKUP_ELEM, UPDATE_ELEM, LOOKUP_BATCH)
 *    and an LRU hash map (insert of a new key that evicts): the kernel's other cache;
 *  - memcached over loopback in the same guest, one persistent TCP connection (text
 *    protocol get, set, multi-get): what a user would run otherwise.
 * A figure is the median over the repetitions of the ratio of two operations measured one
 * after the other in the same repetition ("paired"); the table also shows min and max.
 *
 * Sections: the main group (GET hit and miss, GET through a page shared with the kernel,
 * SET replace and evicting, MGET by batch size, their baselines, memcached), value sizes
 * 0..16 KiB, SET by write-ring size (the module's write_buffer_size, set for the run),
 * cache sizes 10^4..10^6 entries with bytes per entry, 2-thread scaling on distinct keys
 * of one cache, and CPU time: of the process and of the whole guest (/proc/stat) against
 * wall time, so that work pushed to the other CPU (the maintenance worker) is not hidden.
 *
 * Output: "ratio NAME VALUE" lines (the harness collects them into build/bench.txt),
 * "data SERIES X Y..." lines (the plots of scripts/bench-plot.sh) and tables for humans.
 * A benchmark does not pass or fail on speed: the exit status is 1 only if a kcache call
 * fails (or the setup does). An unavailable bpf() or memcached is reported and skipped.
 *
 * Environment: KCACHE_ACCEL names the accelerator (else it is guessed), KCACHE_BENCH_REPS
 * and KCACHE_BENCH_OPS override the repetitions and operations per repetition,
 * KCACHE_BENCH_SIZES the cache sizes (e.g. "10000,100000"), KCACHE_MEMCACHED the port of a
 * memcached on 127.0.0.1 (default 11211; "0" skips it), KCACHE_BENCH_MAIN_ONLY=1 runs only
 * the main group (the harness's one-CPU boot).
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/bpf.h>
#include <linux/types.h>

#include "kcache.h"

#define KB_KEY_LEN	16
#define KB_VAL_LEN	64
#define KB_NKEYS	1024
#define KB_REPS		9
#define KB_REPS_MAX	101
#define KB_OPS		5000	/* per repetition; ~0.1-0.3 s per operation kind under TCG */
#define KB_MC_DIV	32	/* memcached costs ~60 GETs: fewer operations per repetition */
#define KB_VS_KEYS	256	/* keys per value size */
#define KB_EVICT_MAX	256	/* entry bound of the evicting caches */
#define KB_EVICT_KEYS	4096	/* keys cycled through them: every SET inserts */
/* byte bound per entry of the cache-size sweep: a 16+64-byte entry is charged 208 */
#define KB_BIG_PER_ENTRY	256
#define KB_MAX_OPS	64	/* operations in one group */
#define KB_MAX_RATIOS	160
#define KB_BUF		(KCACHE_BATCH_MAX * 16384)

#define KB_TCG_NOTE	"software emulation; ratios only roughly track hardware"

static const unsigned int kb_vsizes[] = { 0, 16, 64, 256, 1024, 4096, 16384 };
#define KB_NR_VS	(sizeof(kb_vsizes) / sizeof(kb_vsizes[0]))
static const unsigned int kb_batches[] = { 1, 4, 16, 64, 256 };
#define KB_NR_BATCH	(sizeof(kb_batches) / sizeof(kb_batches[0]))

struct kb_ctx;

/* One measured operation: run() does @ops operations and returns ns per operation. */
struct kb_op {
	const char *name;
	double (*run)(struct kb_ctx *c, struct kb_op *op);
	unsigned int ops;	/* operations (calls x batch) per repetition */
	unsigned int arg;	/* value size or batch size */
	int fd;			/* the cache or map it works on */
	unsigned char (*keys)[KB_KEY_LEN];
	unsigned int nkeys;
	unsigned int next;	/* rolling position in @keys */
	unsigned long stride;	/* of the walk: KB_STRIDE, or 1 for keys stored in walk order */
	int optional;		/* bpf/memcached: a failure skips it instead of failing */
	int skip;
	unsigned int nr;
	double ns[KB_REPS_MAX];
};

/* The next key of @o's walk: a multiply and a division whatever the stride */
static const unsigned char *kb_next_key(struct kb_op *o)
{
	return o->keys[(o->next++ * o->stride) % o->nkeys];
}

struct kb_ctx {
	int ctl;
	int smp1;		/* one CPU online: ratios are named smp1_NAME */
	int main_only;		/* KCACHE_BENCH_MAIN_ONLY: the main group only */
	int fd;			/* main cache: KB_NKEYS keys, KB_VAL_LEN values */
	int fd_evict;		/* KB_EVICT_MAX entries, SETs of new keys */
	int fd_vs;		/* the value-size sweep */
	int map;		/* BPF hash map like the main cache, or -1 */
	int map_lru;		/* BPF LRU hash of KB_EVICT_MAX, or -1 */
	int map_vs[KB_NR_VS];
	int mc;			/* memcached socket, or -1 */
	unsigned int reps, ops;
	char name[KCACHE_NAME_BUF], name_evict[KCACHE_NAME_BUF], name_vs[KCACHE_NAME_BUF];
	unsigned char keys[KB_NKEYS][KB_KEY_LEN];	/* back to back: MGET's key block */
	unsigned char miss[KB_NKEYS][KB_KEY_LEN];
	unsigned char ekeys[KB_EVICT_KEYS][KB_KEY_LEN];
	unsigned char vkeys[KB_NR_VS][KB_VS_KEYS][KB_KEY_LEN];
	unsigned char val[16384];
	unsigned char out[KB_BUF];
	unsigned char bkeys[KCACHE_BATCH_MAX * KB_KEY_LEN];
	struct kcache_batch_item items[KCACHE_BATCH_MAX];
	char mcbuf[KCACHE_BATCH_MAX * 160];
	/* ratios printed so far, for the summary table */
	unsigned int nratios;
	struct { char name[64]; double med, min, max; } ratios[KB_MAX_RATIOS];
};

/* a prime: the stride of a pseudo-random walk that visits each of n items once */
#define KB_STRIDE	2654435761ul

/* i-th index of a pseudo-random walk over n items */
static unsigned int kb_idx(unsigned long i, unsigned int n)
{
	return (unsigned int)((i * KB_STRIDE) % n);
}

static __u64 kb_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static unsigned int kb_env_uint(const char *name, unsigned int def, unsigned int max)
{
	const char *s = getenv(name);
	char *end;
	unsigned long v;

	if (!s || !*s)
		return def;
	v = strtoul(s, &end, 0);
	if (*end || v > max) {
		fprintf(stderr, "kcache_bench: ignoring %s=%s\n", name, s);
		return def;
	}
	return v;
}

static const char *kb_errname(int err)
{
	const char *n = strerrorname_np(err);

	return n ? n : "unknown";
}

static long kb_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static void kb_key(unsigned char *key, const char *tag, unsigned int i)
{
	char buf[KB_KEY_LEN + 8];

	snprintf(buf, sizeof(buf), "%s-%0*x", tag, (int)(KB_KEY_LEN - 1 - strlen(tag)), i);
	memcpy(key, buf, KB_KEY_LEN);
}

static int kb_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double kb_median(double *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), kb_cmp_double);
	return n ? (n & 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2) : 0;
}

/* ------------------------------------------------------------------------------------ */
/* Accelerator                                                                            */

/* 1 if the first line of @path that starts with @tag contains @word, else 0. */
static int kb_file_has(const char *path, const char *tag, const char *word)
{
	char line[4096];
	FILE *f = fopen(path, "r");
	int found = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, tag, strlen(tag)))
			continue;
		found = !!strstr(line, word);
		break;
	}
	fclose(f);
	return found;
}

/* Copies the first "model name" of /proc/cpuinfo into @model. */
static void kb_cpu_model(char *model, size_t len)
{
	char line[512];
	FILE *f = fopen("/proc/cpuinfo", "r");

	model[0] = '\0';
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *p = strchr(line, ':');

		if (strncmp(line, "model name", 10) || !p)
			continue;
		p += 1 + strspn(p + 1, " \t");
		p[strcspn(p, "\n")] = '\0';
		snprintf(model, len, "%s", p);
		break;
	}
	fclose(f);
}

/*
 * The accelerator: KCACHE_ACCEL if set; else TCG names itself in the CPU model, a KVM
 * guest has the kvm-clock clocksource, and no "hypervisor" flag means bare metal. Anything
 * else is reported as TCG, the worst case for the meaning of the numbers.
 */
static void kb_print_accel(void)
{
	static const char cs[] =
		"/sys/devices/system/clocksource/clocksource0/available_clocksource";
	const char *env = getenv("KCACHE_ACCEL");
	char model[256];

	kb_cpu_model(model, sizeof(model));
	if (env && *env)
		printf("accel: %s (from KCACHE_ACCEL%s)\n", env,
		       strcmp(env, "tcg") ? "" : "; " KB_TCG_NOTE);
	else if (strstr(model, "TCG"))
		printf("accel: tcg (%s)\n", KB_TCG_NOTE);
	else if (kb_file_has(cs, "", "kvm-clock"))
		printf("accel: kvm (hardware virtualisation)\n");
	else if (model[0] && !kb_file_has("/proc/cpuinfo", "flags", " hypervisor"))
		printf("accel: none (bare metal)\n");
	else
		printf("accel: tcg (%s)\n", KB_TCG_NOTE);
	printf("cpu: %s, %ld online\n", model[0] ? model : "unknown",
	       sysconf(_SC_NPROCESSORS_ONLN));
}

/* ------------------------------------------------------------------------------------ */
/* Ratios                                                                                 */

/*
 * Every ratio of a one-CPU boot is named smp1_NAME: there the maintenance work and the
 * shrinker run on the benchmark's own CPU, which a spare CPU otherwise absorbs.
 */
static void kb_record(struct kb_ctx *c, const char *name, double med, double min, double max)
{
	const char *pfx = c->smp1 ? "smp1_" : "";

	printf("ratio %s%s %.3f\n", pfx, name, med);
	if (c->nratios < KB_MAX_RATIOS) {
		snprintf(c->ratios[c->nratios].name, sizeof(c->ratios[0].name), "%s%s", pfx,
			 name);
		c->ratios[c->nratios].med = med;
		c->ratios[c->nratios].min = min;
		c->ratios[c->nratios].max = max;
		c->nratios++;
	}
}

/* Median over the repetitions of a's time / b's time in the same one; 0 if not measured. */
static double kb_paired(const struct kb_op *a, const struct kb_op *b, double *min, double *max)
{
	double r[KB_REPS_MAX], med;
	unsigned int i, n = a->nr < b->nr ? a->nr : b->nr;

	if (a->skip || b->skip || !n)
		return 0;
	for (i = 0; i < n; i++)
		r[i] = a->ns[i] / b->ns[i];
	med = kb_median(r, n);
	*min = r[0];
	*max = r[n - 1];
	return med;
}

/* kb_paired(), printed as a "ratio" line and kept for the summary */
static double kb_ratio(struct kb_ctx *c, const char *name, const struct kb_op *a,
		       const struct kb_op *b)
{
	double min, max, med = kb_paired(a, b, &min, &max);

	if (med > 0)
		kb_record(c, name, med, min, max);
	return med;
}

/*
 * One part of an operation's time, in units of @base: the median over the repetitions of
 * (a - b) / base, each term from the same repetition; @b NULL for a / base. Printed as a
 * "ratio part_NAME" line (a difference: noise can make it negative).
 */
static void kb_part(struct kb_ctx *c, const char *name, const struct kb_op *a,
		    const struct kb_op *b, const struct kb_op *base)
{
	unsigned int i, n = a->nr < base->nr ? a->nr : base->nr;
	double r[KB_REPS_MAX], med;
	char rn[64];

	if (b)
		n = n < b->nr ? n : b->nr;
	if (a->skip || base->skip || (b && b->skip) || !n)
		return;
	for (i = 0; i < n; i++)
		r[i] = (a->ns[i] - (b ? b->ns[i] : 0)) / base->ns[i];
	med = kb_median(r, n);
	snprintf(rn, sizeof(rn), "part_%s", name);
	kb_record(c, rn, med, r[0], r[n - 1]);
}

/* a plot point: "NaN" for gnuplot if not measured */
static void kb_pt(double v)
{
	if (v > 0)
		printf(" %.3f", v);
	else
		printf(" NaN");
}

static void kb_print_ops(struct kb_op *ops, unsigned int n)
{
	double v[KB_REPS_MAX];
	unsigned int i;

	printf("%-22s %10s %10s %10s\n", "op", "best ns", "median", "worst");
	for (i = 0; i < n; i++) {
		struct kb_op *o = &ops[i];

		if (o->skip || !o->nr) {
			printf("%-22s %10s\n", o->name, "skipped");
			continue;
		}
		memcpy(v, o->ns, o->nr * sizeof(*v));
		kb_median(v, o->nr);
		printf("%-22s %10.0f %10.0f %10.0f\n", o->name, v[0], v[o->nr / 2],
		       v[o->nr - 1]);
	}
}

/* ------------------------------------------------------------------------------------ */
/* Operations                                                                             */

static double kb_ns_per(__u64 t0, unsigned long n)
{
	return (double)(kb_now_ns() - t0) / n;
}

static double kb_run_getppid(struct kb_ctx *c, struct kb_op *o)
{
	__u64 t0 = kb_now_ns();
	unsigned int i;

	for (i = 0; i < o->ops; i++)
		syscall(SYS_getppid);
	return kb_ns_per(t0, o->ops);
}

static double kb_run_nop(struct kb_ctx *c, struct kb_op *o)
{
	__u64 t0 = kb_now_ns();
	unsigned int i;
	int ret;

	for (i = 0; i < o->ops; i++) {
		ret = kcache_nop(o->fd);
		if (ret)
			return ret;
	}
	return kb_ns_per(t0, o->ops);
}

/*
 * GET of keys that are there (o->arg: value length, checked at the end); with @nop, a
 * null ioctl after each: with GET alone subtracted, what a null ioctl costs right after
 * a lookup, that is whether the lookups' misses at 10^6 slow the system call path itself.
 * Inline: each caller's loop is compiled for its own @nop, GET's with no test in it.
 */
static inline __attribute__((always_inline)) double kb_get_loop(struct kb_ctx *c,
								struct kb_op *o, int nop)
{
	__u64 t0 = kb_now_ns();
	__u32 len = 0;
	unsigned int i;
	int ret;

	for (i = 0; i < o->ops; i++) {
		len = sizeof(c->out);
		ret = kcache_get(o->fd, kb_next_key(o), KB_KEY_LEN, c->out, &len, NULL);
		if (!ret && nop)
			ret = kcache_nop(o->fd);
		if (ret)
			return ret;
	}
	if (len != o->arg || memcmp(c->out, c->val, len))
		return -EBADMSG;
	return kb_ns_per(t0, o->ops);
}

static double kb_run_get(struct kb_ctx *c, struct kb_op *o)
{
	return kb_get_loop(c, o, 0);
}

static double kb_run_get_nop(struct kb_ctx *c, struct kb_op *o)
{
	return kb_get_loop(c, o, 1);
}

/*
 * GET through a page shared with the kernel (kcache_get_mapped(3)): the key written into
 * the page, the value read from it (o->arg: value length, checked at the end)
 */
static double kb_run_get_mapped(struct kb_ctx *c, struct kb_op *o)
{
	struct kcache_get_page *pages;
	const void *val = NULL;
	__u32 len = 0;
	unsigned int i;
	__u64 t0;
	int ret;

	ret = kcache_get_pages_map(o->fd, 1, &pages);
	if (ret)
		return ret;
	t0 = kb_now_ns();
	for (i = 0; i < o->ops && !ret; i++)
		ret = kcache_get_mapped(o->fd, pages, 0, kb_next_key(o), KB_KEY_LEN, &val,
					&len, NULL);
	t0 = kb_now_ns() - t0;
	if (!ret && (len != o->arg || memcmp(val, c->val, len)))
		ret = -EBADMSG;
	kcache_get_pages_unmap(pages, 1);
	return ret ?: (double)t0 / o->ops;
}

/*
 * A GET_PAGE that fails as it should, through one mapped page: o->arg 0 is a miss
 * (-ENOENT); o->arg 1 a key length of 0 (-EINVAL), refused before any lookup: an ioctl
 * that moves nothing across the user boundary, by difference from null_ioctl the cost of
 * one user-access window.
 */
static double kb_run_get_mapped_fail(struct kb_ctx *c, struct kb_op *o)
{
	static const int want_of[] = { -ENOENT, -EINVAL };
	__u32 klen = o->arg == 1 ? 0 : KB_KEY_LEN, len = 0;
	struct kcache_get_page *pages;
	int want = want_of[o->arg], ret;
	const void *val = NULL;
	unsigned int i;
	__u64 t0;

	ret = kcache_get_pages_map(o->fd, 1, &pages);
	if (ret)
		return ret;
	t0 = kb_now_ns();
	for (i = 0; i < o->ops; i++) {
		ret = kcache_get_mapped(o->fd, pages, 0, kb_next_key(o), klen, &val, &len,
					NULL);
		if (ret != want)
			break;
	}
	t0 = kb_now_ns() - t0;
	kcache_get_pages_unmap(pages, 1);
	if (ret != want)
		return ret ? ret : -EEXIST;
	return (double)t0 / o->ops;
}

/*
 * A GET that fails as it should: o->arg 0 is a miss (-ENOENT); o->arg 1 a key length of 0,
 * which the module refuses right after reading its argument struct (-EINVAL): the ioctl's
 * fixed cost, by difference from null_ioctl and get_miss; o->arg 2 a hit into a 1-byte
 * buffer (-EMSGSIZE, the length and version written back but no value): what copying the
 * value adds, by difference from get.
 */
static double kb_run_get_fail(struct kb_ctx *c, struct kb_op *o)
{
	static const int want_of[] = { -ENOENT, -EINVAL, -EMSGSIZE };
	__u32 klen = o->arg == 1 ? 0 : KB_KEY_LEN, len;
	int want = want_of[o->arg], ret;
	__u64 t0 = kb_now_ns();
	unsigned int i;

	for (i = 0; i < o->ops; i++) {
		len = o->arg == 2 ? 1 : sizeof(c->out);
		ret = kcache_get(o->fd, kb_next_key(o), klen, c->out, &len, NULL);
		if (ret != want)
			return ret ? ret : -EEXIST;
	}
	if (o->arg == 2 && len != KB_VAL_LEN)
		return -EBADMSG;
	return kb_ns_per(t0, o->ops);
}

/* SET (replace, or insert with eviction: it depends on o->keys and the cache) */
static double kb_run_set(struct kb_ctx *c, struct kb_op *o)
{
	__u64 t0 = kb_now_ns();
	unsigned int i;
	int ret;

	for (i = 0; i < o->ops; i++) {
		ret = kcache_set(o->fd, kb_next_key(o), KB_KEY_LEN, c->val, o->arg, 0, 0,
				 NULL);
		if (ret)
			return ret;
	}
	return kb_ns_per(t0, o->ops);
}

/* MGET of o->arg keys per call, ns per key; the keys are copied into one block first */
static double kb_run_mget(struct kb_ctx *c, struct kb_op *o)
{
	unsigned int calls = (o->ops + o->arg - 1) / o->arg;
	unsigned int i, j;
	__u64 t0 = kb_now_ns();
	__u32 done;
	int ret;

	for (i = 0; i < o->arg; i++)
		c->items[i].key_len = KB_KEY_LEN;
	for (i = 0; i < calls; i++) {
		for (j = 0; j < o->arg; j++)
			memcpy(c->bkeys + j * KB_KEY_LEN, kb_next_key(o), KB_KEY_LEN);
		ret = kcache_mget(o->fd, c->items, o->arg, c->bkeys, c->out, sizeof(c->out),
				  &done);
		if (ret)
			return ret;
		if (done != o->arg)
			return -ENOENT;
	}
	return kb_ns_per(t0, (unsigned long)calls * o->arg);
}

static double kb_run_bpf_lookup(struct kb_ctx *c, struct kb_op *o)
{
	union bpf_attr attr;
	unsigned int i;
	__u64 t0;

	memset(&attr, 0, sizeof(attr));
	attr.map_fd = o->fd;
	attr.value = (__u64)(uintptr_t)c->out;
	t0 = kb_now_ns();
	for (i = 0; i < o->ops; i++) {
		attr.key = (__u64)(uintptr_t)kb_next_key(o);
		if (kb_bpf(BPF_MAP_LOOKUP_ELEM, &attr))
			return -errno;
	}
	return kb_ns_per(t0, o->ops);
}

/* BPF update: replace on a hash map, insert of a new key (evicting) on an LRU hash */
static double kb_run_bpf_update(struct kb_ctx *c, struct kb_op *o)
{
	union bpf_attr attr;
	unsigned int i;
	__u64 t0;

	memset(&attr, 0, sizeof(attr));
	attr.map_fd = o->fd;
	attr.value = (__u64)(uintptr_t)c->val;
	attr.flags = BPF_ANY;
	t0 = kb_now_ns();
	for (i = 0; i < o->ops; i++) {
		attr.key = (__u64)(uintptr_t)kb_next_key(o);
		if (kb_bpf(BPF_MAP_UPDATE_ELEM, &attr))
			return -errno;
	}
	return kb_ns_per(t0, o->ops);
}

/* one BPF_MAP_LOOKUP_BATCH call: 0, or -errno (-ENOENT: the end of the map was reached) */
static int kb_bpf_batch1(union bpf_attr *attr)
{
	__u32 count = attr->batch.count;
	int ret = kb_bpf(BPF_MAP_LOOKUP_BATCH, attr) ? -errno : 0;

	/* a bucket with more elements than count left: take that bucket whole */
	while (ret == -ENOSPC && count < KCACHE_BATCH_MAX) {
		count *= 2;
		attr->batch.count = count;
		ret = kb_bpf(BPF_MAP_LOOKUP_BATCH, attr) ? -errno : 0;
	}
	return ret;
}

/* BPF_MAP_LOOKUP_BATCH of o->arg elements per call over the whole map, ns per element */
static double kb_run_bpf_batch(struct kb_ctx *c, struct kb_op *o)
{
	unsigned long got = 0;
	union bpf_attr attr;
	__u64 t0, tok[2][8];
	int first = 1, cur = 0, ret;

	t0 = kb_now_ns();
	while (got < o->ops) {
		memset(&attr, 0, sizeof(attr));
		attr.batch.map_fd = o->fd;
		attr.batch.in_batch = first ? 0 : (__u64)(uintptr_t)tok[cur];
		attr.batch.out_batch = (__u64)(uintptr_t)tok[!cur];
		attr.batch.keys = (__u64)(uintptr_t)c->bkeys;
		attr.batch.values = (__u64)(uintptr_t)c->out;
		attr.batch.count = o->arg;
		ret = kb_bpf_batch1(&attr);
		if (ret && ret != -ENOENT)
			return ret;
		if (!attr.batch.count && first)
			return -ENODATA;	/* an empty map */
		first = ret == -ENOENT;	/* at the end: start over */
		cur = !cur;
		got += attr.batch.count;
	}
	return kb_ns_per(t0, got);
}

/* ---- memcached, text protocol, one persistent connection ---- */

static int kb_mc_send(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n <= 0)
			return n ? -errno : -EPIPE;
		buf += n;
		len -= n;
	}
	return 0;
}

/* Reads exactly @len bytes of answer; 0 if they end with @tail. */
static int kb_mc_recv(int fd, char *buf, size_t len, const char *tail)
{
	size_t got = 0, tl = strlen(tail);

	while (got < len) {
		ssize_t n = recv(fd, buf + got, len - got, 0);

		if (n <= 0)
			return n ? -errno : -EPIPE;
		got += n;
	}
	return len >= tl && !memcmp(buf + len - tl, tail, tl) ? 0 : -EBADMSG;
}

/* the length of memcached's answer to a get of one key with a @vlen-byte value */
static size_t kb_mc_hit_len(unsigned int vlen)
{
	return snprintf(NULL, 0, "VALUE %*s 0 %u\r\n", KB_KEY_LEN, "", vlen) + vlen + 2;
}

/* multi-get of o->arg keys per request ("get k1 k2 ...", 1 for a single get), ns per key */
static double kb_run_mc_get(struct kb_ctx *c, struct kb_op *o)
{
	unsigned int calls = (o->ops + o->arg - 1) / o->arg;
	size_t want = o->arg * kb_mc_hit_len(KB_VAL_LEN) + 5;
	unsigned int i, j;
	__u64 t0 = kb_now_ns();
	char *p;
	int ret;

	for (i = 0; i < calls; i++) {
		p = c->mcbuf;
		p += sprintf(p, "get");
		for (j = 0; j < o->arg; j++) {
			*p++ = ' ';
			memcpy(p, kb_next_key(o), KB_KEY_LEN);
			p += KB_KEY_LEN;
		}
		p += sprintf(p, "\r\n");
		ret = kb_mc_send(o->fd, c->mcbuf, p - c->mcbuf) ?:
		      kb_mc_recv(o->fd, (char *)c->out, want, "END\r\n");
		if (ret)
			return ret;
	}
	return kb_ns_per(t0, (unsigned long)calls * o->arg);
}

static int kb_mc_set1(struct kb_ctx *c, int fd, const unsigned char *key, unsigned int vlen)
{
	int n = sprintf(c->mcbuf, "set %.*s 0 0 %u\r\n", KB_KEY_LEN, key, vlen);

	memcpy(c->mcbuf + n, c->val, vlen);
	memcpy(c->mcbuf + n + vlen, "\r\n", 2);
	return kb_mc_send(fd, c->mcbuf, n + vlen + 2) ?:
	       kb_mc_recv(fd, (char *)c->out, 8, "STORED\r\n");
}

static double kb_run_mc_set(struct kb_ctx *c, struct kb_op *o)
{
	__u64 t0 = kb_now_ns();
	unsigned int i;
	int ret;

	for (i = 0; i < o->ops; i++) {
		ret = kb_mc_set1(c, o->fd, kb_next_key(o), KB_VAL_LEN);
		if (ret)
			return ret;
	}
	return kb_ns_per(t0, o->ops);
}

/* ------------------------------------------------------------------------------------ */
/* Groups: warm up, then repetitions that run every operation once, in order              */

static int kb_run_group(struct kb_ctx *c, struct kb_op *ops, unsigned int n)
{
	unsigned int r, i;
	double ns;

	for (r = 0; r <= c->reps; r++) {	/* r == 0: warm-up, not counted */
		for (i = 0; i < n; i++) {
			struct kb_op *o = &ops[i];

			if (o->skip)
				continue;
			ns = o->run(c, o);
			if (ns < 0 && o->optional) {
				printf("%s unavailable: %s (%s)\n", o->name, kb_errname(-ns),
				       strerror(-ns));
				o->skip = 1;
				continue;
			}
			if (ns < 0) {
				fprintf(stderr, "kcache_bench: %s: %s\n", o->name,
					strerror(-ns));
				return ns;
			}
			if (r)
				o->ns[o->nr++] = ns;
			else	/* also shows where a stuck run stopped */
				printf("warm-up %s %.0f ns\n", o->name, ns);
		}
	}
	return 0;
}

static struct kb_op *kb_find(struct kb_op *ops, unsigned int n, const char *name)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (!strcmp(ops[i].name, name))
			return &ops[i];
	fprintf(stderr, "kcache_bench: no op %s\n", name);
	exit(1);
}

/* ------------------------------------------------------------------------------------ */
/* Setup                                                                                  */

static int kb_create(struct kb_ctx *c, char *name, const char *tag, __u64 max_entries,
		     __u64 max_bytes)
{
	int fd;

	snprintf(name, KCACHE_NAME_BUF, "kcache_bench.%d.%s", (int)getpid(), tag);
	fd = kcache_create(c->ctl, name, max_entries, max_bytes, 0, KCACHE_POLICY_TINYLFU_ABI,
			   0600);
	if (fd < 0)
		fprintf(stderr, "kcache_bench: create %s: %s\n", name, strerror(-fd));
	return fd;
}

/* a BPF map filled with @n of @keys (@vlen-byte values); -1 (said why) if bpf() fails */
static int kb_bpf_map(struct kb_ctx *c, __u32 type, unsigned int vlen, unsigned int max,
		      unsigned char (*keys)[KB_KEY_LEN], unsigned int n)
{
	union bpf_attr attr;
	unsigned int i;
	int fd, err;

	memset(&attr, 0, sizeof(attr));
	attr.map_type = type;
	attr.key_size = KB_KEY_LEN;
	attr.value_size = vlen;
	attr.max_entries = max;
	fd = kb_bpf(BPF_MAP_CREATE, &attr);
	if (fd < 0)
		goto fail;
	for (i = 0; i < n; i++) {
		memset(&attr, 0, sizeof(attr));
		attr.map_fd = fd;
		attr.key = (__u64)(uintptr_t)keys[i];
		attr.value = (__u64)(uintptr_t)c->val;
		attr.flags = BPF_ANY;
		if (kb_bpf(BPF_MAP_UPDATE_ELEM, &attr)) {
			err = errno;
			close(fd);
			errno = err;
			goto fail;
		}
	}
	return fd;
fail:
	printf("bpf map (type %u, value %u B) unavailable: %s (%s)\n", type, vlen,
	       kb_errname(errno), strerror(errno));
	return -1;
}

static int kb_fill(struct kb_ctx *c, int fd, unsigned char (*keys)[KB_KEY_LEN], unsigned int n,
		   unsigned int vlen)
{
	unsigned int i;
	int ret;

	for (i = 0; i < n; i++) {
		ret = kcache_set(fd, keys[i], KB_KEY_LEN, c->val, vlen, 0, 0, NULL);
		if (ret) {
			fprintf(stderr, "kcache_bench: preload set %u: %s\n", i, strerror(-ret));
			return ret;
		}
	}
	return 0;
}

/* memcached on 127.0.0.1:port, preloaded with the main keys; -1 if there is none */
static int kb_mc_setup(struct kb_ctx *c)
{
	unsigned int port = kb_env_uint("KCACHE_MEMCACHED", 11211, 65535);
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int fd, one = 1, tries, ret = -1;
	unsigned int i;

	if (!port) {
		printf("memcached: skipped (KCACHE_MEMCACHED=0)\n");
		return -1;
	}
	sa.sin_port = htons(port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (tries = 0; tries < 20; tries++) {	/* it may still be starting */
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			break;
		ret = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
		if (!ret)
			break;
		ret = -errno;
		close(fd);
		usleep(100000);
	}
	if (ret) {
		printf("memcached unavailable on 127.0.0.1:%u: %s\n", port, strerror(-ret));
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	for (i = 0; i < KB_NKEYS; i++) {
		ret = kb_mc_set1(c, fd, c->keys[i], KB_VAL_LEN);
		if (ret) {
			printf("memcached preload failed: %s\n", strerror(-ret));
			close(fd);
			return -1;
		}
	}
	printf("memcached: 127.0.0.1:%u, %u keys loaded\n", port, KB_NKEYS);
	return fd;
}

static int kb_setup(struct kb_ctx *c)
{
	unsigned int i, v;
	int ret;

	for (i = 0; i < sizeof(c->val); i++)
		c->val[i] = (unsigned char)(i * 7 + 1);
	for (i = 0; i < KB_NKEYS; i++) {
		kb_key(c->keys[i], "kcbench", i);
		kb_key(c->miss[i], "kcmiss", i);
	}
	for (i = 0; i < KB_EVICT_KEYS; i++)
		kb_key(c->ekeys[i], "kcevict", i);
	for (v = 0; v < KB_NR_VS; v++)
		for (i = 0; i < KB_VS_KEYS; i++)
			kb_key(c->vkeys[v][i], "kcvs", v << 16 | i);

	c->fd = kb_create(c, c->name, "main", 4 * KB_NKEYS, 16u << 20);
	c->fd_evict = kb_create(c, c->name_evict, "evict", KB_EVICT_MAX, 4u << 20);
	c->fd_vs = kb_create(c, c->name_vs, "vs", 2 * KB_NR_VS * KB_VS_KEYS, 16u << 20);
	if (c->fd < 0 || c->fd_evict < 0 || c->fd_vs < 0)
		return -1;
	ret = kb_fill(c, c->fd, c->keys, KB_NKEYS, KB_VAL_LEN) ?:
	      kb_fill(c, c->fd_evict, c->ekeys, KB_EVICT_MAX, KB_VAL_LEN);
	for (v = 0; v < KB_NR_VS && !ret; v++)
		ret = kb_fill(c, c->fd_vs, c->vkeys[v], KB_VS_KEYS, kb_vsizes[v]);
	if (ret)
		return ret;

	c->map = kb_bpf_map(c, BPF_MAP_TYPE_HASH, KB_VAL_LEN, KB_NKEYS, c->keys, KB_NKEYS);
	c->map_lru = kb_bpf_map(c, BPF_MAP_TYPE_LRU_HASH, KB_VAL_LEN, KB_EVICT_MAX, c->ekeys,
				KB_EVICT_MAX);
	for (v = 0; v < KB_NR_VS; v++)	/* a BPF map has no 0-byte values */
		c->map_vs[v] = kb_vsizes[v] && c->map >= 0 ?
			kb_bpf_map(c, BPF_MAP_TYPE_HASH, kb_vsizes[v], KB_VS_KEYS, c->vkeys[v],
				   KB_VS_KEYS) : -1;
	c->mc = kb_mc_setup(c);
	return 0;
}

static void kb_teardown(struct kb_ctx *c)
{
	unsigned int v;

	if (c->mc >= 0)
		close(c->mc);
	for (v = 0; v < KB_NR_VS; v++)
		if (c->map_vs[v] >= 0)
			close(c->map_vs[v]);
	if (c->map >= 0)
		close(c->map);
	if (c->map_lru >= 0)
		close(c->map_lru);
	if (c->fd >= 0) {
		close(c->fd);
		kcache_destroy(c->ctl, c->name);
	}
	if (c->fd_evict >= 0) {
		close(c->fd_evict);
		kcache_destroy(c->ctl, c->name_evict);
	}
	if (c->fd_vs >= 0) {
		close(c->fd_vs);
		kcache_destroy(c->ctl, c->name_vs);
	}
}

/* ------------------------------------------------------------------------------------ */
/* Section 1: the main group                                                               */

static struct kb_op kb_mkop(const char *name, double (*run)(struct kb_ctx *, struct kb_op *),
			    unsigned int ops, unsigned int arg, int fd,
			    unsigned char (*keys)[KB_KEY_LEN], unsigned int nkeys, int optional)
{
	struct kb_op o = {
		.name = name, .run = run, .ops = ops, .arg = arg, .fd = fd, .keys = keys,
		.nkeys = nkeys, .stride = KB_STRIDE, .optional = optional,
		.skip = optional && fd < 0,
	};

	return o;
}

static int kb_main_group(struct kb_ctx *c)
{
	static char names[2][KB_NR_BATCH][32];
	struct kb_op ops[KB_MAX_OPS];
	unsigned int n = 0, b, mops = c->ops / KB_MC_DIV;
	char rn[64];
	int ret;

	ops[n++] = kb_mkop("getppid", kb_run_getppid, c->ops, 0, 0, NULL, 0, 0);
	ops[n++] = kb_mkop("null_ioctl", kb_run_nop, c->ops, 0, c->fd, NULL, 0, 0);
	ops[n++] = kb_mkop("get", kb_run_get, c->ops, KB_VAL_LEN, c->fd, c->keys, KB_NKEYS, 0);
	ops[n++] = kb_mkop("get_miss", kb_run_get_fail, c->ops, 0, c->fd, c->miss, KB_NKEYS, 0);
	ops[n++] = kb_mkop("get_mapped", kb_run_get_mapped, c->ops, KB_VAL_LEN, c->fd, c->keys,
			   KB_NKEYS, 0);
	ops[n++] = kb_mkop("get_einval", kb_run_get_fail, c->ops, 1, c->fd, c->miss, KB_NKEYS,
			   0);
	ops[n++] = kb_mkop("get_mapped_miss", kb_run_get_mapped_fail, c->ops, 0, c->fd, c->miss,
			   KB_NKEYS, 0);
	ops[n++] = kb_mkop("get_mapped_einval", kb_run_get_mapped_fail, c->ops, 1, c->fd,
			   c->miss, KB_NKEYS, 0);
	ops[n++] = kb_mkop("get_emsgsize", kb_run_get_fail, c->ops, 2, c->fd, c->keys, KB_NKEYS,
			   0);
	ops[n++] = kb_mkop("set", kb_run_set, c->ops, KB_VAL_LEN, c->fd, c->keys, KB_NKEYS, 0);
	ops[n++] = kb_mkop("set_evict", kb_run_set, c->ops, KB_VAL_LEN, c->fd_evict, c->ekeys,
			   KB_EVICT_KEYS, 0);
	for (b = 0; b < KB_NR_BATCH; b++) {
		snprintf(names[0][b], sizeof(names[0][b]), "mget%u_per_key", kb_batches[b]);
		ops[n++] = kb_mkop(names[0][b], kb_run_mget, c->ops, kb_batches[b], c->fd,
				   c->keys, KB_NKEYS, 0);
	}
	ops[n++] = kb_mkop("bpf_lookup", kb_run_bpf_lookup, c->ops, 0, c->map, c->keys,
			   KB_NKEYS, 1);
	ops[n++] = kb_mkop("bpf_update", kb_run_bpf_update, c->ops, 0, c->map, c->keys,
			   KB_NKEYS, 1);
	ops[n++] = kb_mkop("bpf_lru_insert", kb_run_bpf_update, c->ops, 0, c->map_lru, c->ekeys,
			   KB_EVICT_KEYS, 1);
	for (b = 0; b < KB_NR_BATCH; b++) {
		snprintf(names[1][b], sizeof(names[1][b]), "bpf_batch%u_per_key", kb_batches[b]);
		ops[n++] = kb_mkop(names[1][b], kb_run_bpf_batch, c->ops, kb_batches[b], c->map,
				   NULL, 0, 1);
	}
	ops[n++] = kb_mkop("memcached_get", kb_run_mc_get, mops, 1, c->mc, c->keys, KB_NKEYS, 1);
	ops[n++] = kb_mkop("memcached_set", kb_run_mc_set, mops, 0, c->mc, c->keys, KB_NKEYS, 1);
	ops[n++] = kb_mkop("memcached_mget64_per_key", kb_run_mc_get, mops * 8, 64, c->mc, c->keys,
			   KB_NKEYS, 1);
	ops[n++] = kb_mkop("memcached_mget256_per_key", kb_run_mc_get, mops * 16, 256, c->mc,
			   c->keys, KB_NKEYS, 1);

	printf("\n== main: key %u B, value %u B, %u keys, %u reps x %u ops (memcached %u)\n",
	       KB_KEY_LEN, KB_VAL_LEN, KB_NKEYS, c->reps, c->ops, mops);
	ret = kb_run_group(c, ops, n);
	if (ret)
		return ret;
	kb_print_ops(ops, n);

#define OP(s) kb_find(ops, n, s)
	kb_ratio(c, "null_ioctl/getppid", OP("null_ioctl"), OP("getppid"));
	kb_ratio(c, "get/null_ioctl", OP("get"), OP("null_ioctl"));
	kb_ratio(c, "get_miss/null_ioctl", OP("get_miss"), OP("null_ioctl"));
	kb_ratio(c, "get_mapped/null_ioctl", OP("get_mapped"), OP("null_ioctl"));
	kb_ratio(c, "get_mapped/get", OP("get_mapped"), OP("get"));
	kb_ratio(c, "get_mapped/bpf_lookup", OP("get_mapped"), OP("bpf_lookup"));
	kb_ratio(c, "get_mapped_miss/null_ioctl", OP("get_mapped_miss"), OP("null_ioctl"));
	kb_ratio(c, "get_mapped_einval/null_ioctl", OP("get_mapped_einval"), OP("null_ioctl"));
	kb_ratio(c, "get_einval/null_ioctl", OP("get_einval"), OP("null_ioctl"));
	kb_ratio(c, "get_emsgsize/null_ioctl", OP("get_emsgsize"), OP("null_ioctl"));
	kb_ratio(c, "set/null_ioctl", OP("set"), OP("null_ioctl"));
	kb_ratio(c, "set/get", OP("set"), OP("get"));
	kb_ratio(c, "set_evict/get", OP("set_evict"), OP("get"));
	kb_ratio(c, "get/bpf_lookup", OP("get"), OP("bpf_lookup"));
	kb_ratio(c, "set/bpf_update", OP("set"), OP("bpf_update"));
	kb_ratio(c, "set_evict/bpf_lru_insert", OP("set_evict"), OP("bpf_lru_insert"));
	kb_ratio(c, "bpf_lookup/null_ioctl", OP("bpf_lookup"), OP("null_ioctl"));
	for (b = 0; b < KB_NR_BATCH; b++) {
		snprintf(rn, sizeof(rn), "mget%u_per_key/null_ioctl", kb_batches[b]);
		kb_ratio(c, rn, OP(names[0][b]), OP("null_ioctl"));
	}
	for (b = 0; b < KB_NR_BATCH; b++) {
		snprintf(rn, sizeof(rn), "mget%u_per_key/bpf_batch%u_per_key", kb_batches[b],
			 kb_batches[b]);
		kb_ratio(c, rn, OP(names[0][b]), OP(names[1][b]));
	}
	kb_ratio(c, "memcached_get/get", OP("memcached_get"), OP("get"));
	kb_ratio(c, "memcached_set/set", OP("memcached_set"), OP("set"));
	kb_ratio(c, "memcached_mget64_per_key/mget64_per_key", OP("memcached_mget64_per_key"),
		 OP("mget64_per_key"));
	kb_ratio(c, "memcached_mget256_per_key/mget256_per_key",
		 OP("memcached_mget256_per_key"), OP("mget256_per_key"));
	/*
	 * Where a GET's time goes, in null ioctls, each part the difference of two operations
	 * and the parts a chain that adds up to GET ÷ null ioctl: the system call, the ioctl
	 * around a null command (fd, LSM hook, dispatch, its 8-byte argument read in one
	 * user-access window), what a GET_PAGE refused before any lookup adds to that (the
	 * caller's stores into the shared page, the page's checks), the hash and table lookup
	 * (a GET_PAGE miss), the hit (counters, read ring, value copy), and what the GET ioctl
	 * adds to GET_PAGE (its argument struct, key and value copies). A refused GET_PAGE is
	 * not a null ioctl without the user-access window: the two differ by more than it.
	 */
	kb_part(c, "syscall", OP("getppid"), NULL, OP("null_ioctl"));
	kb_part(c, "ioctl", OP("null_ioctl"), OP("getppid"), OP("null_ioctl"));
	kb_part(c, "page_refused", OP("get_mapped_einval"), OP("null_ioctl"), OP("null_ioctl"));
	kb_part(c, "lookup_miss", OP("get_mapped_miss"), OP("get_mapped_einval"),
		OP("null_ioctl"));
	kb_part(c, "hit_copy64", OP("get_mapped"), OP("get_mapped_miss"), OP("null_ioctl"));
	kb_part(c, "get_over_mapped", OP("get"), OP("get_mapped"), OP("null_ioctl"));
	/* plot: per-key cost by batch size, in null ioctls */
	for (b = 0; b < KB_NR_BATCH; b++) {
		double lo, hi;

		printf("data batch %u", kb_batches[b]);
		kb_pt(kb_paired(OP(names[0][b]), OP("null_ioctl"), &lo, &hi));
		kb_pt(kb_paired(OP(names[1][b]), OP("null_ioctl"), &lo, &hi));
		printf("\n");
	}
#undef OP
	return 0;
}

/* ------------------------------------------------------------------------------------ */
/* Section 2: value sizes                                                                 */

static int kb_vsize_group(struct kb_ctx *c)
{
	static char names[3][KB_NR_VS][32];
	struct kb_op ops[1 + 3 * KB_NR_VS];
	unsigned int n = 0, v, ops_n = c->ops / 2;
	double g, s, lo, hi;
	char rn[64];
	int ret;

	ops[n++] = kb_mkop("null_ioctl", kb_run_nop, ops_n, 0, c->fd, NULL, 0, 0);
	for (v = 0; v < KB_NR_VS; v++) {
		snprintf(names[0][v], 32, "get_v%u", kb_vsizes[v]);
		snprintf(names[1][v], 32, "set_v%u", kb_vsizes[v]);
		snprintf(names[2][v], 32, "bpf_lookup_v%u", kb_vsizes[v]);
		ops[n++] = kb_mkop(names[0][v], kb_run_get, ops_n, kb_vsizes[v], c->fd_vs,
				   c->vkeys[v], KB_VS_KEYS, 0);
		ops[n++] = kb_mkop(names[1][v], kb_run_set, ops_n, kb_vsizes[v], c->fd_vs,
				   c->vkeys[v], KB_VS_KEYS, 0);
		ops[n++] = kb_mkop(names[2][v], kb_run_bpf_lookup, ops_n, 0, c->map_vs[v],
				   c->vkeys[v], KB_VS_KEYS, 1);
	}
	printf("\n== value sizes: %u keys each, %u reps x %u ops, ratios to a null ioctl\n",
	       KB_VS_KEYS, c->reps, ops_n);
	ret = kb_run_group(c, ops, n);
	if (ret)
		return ret;
	kb_print_ops(ops, n);
	for (v = 0; v < KB_NR_VS; v++) {
		snprintf(rn, sizeof(rn), "%.31s/null_ioctl", names[0][v]);
		g = kb_ratio(c, rn, &ops[1 + 3 * v], &ops[0]);
		snprintf(rn, sizeof(rn), "%.31s/null_ioctl", names[1][v]);
		s = kb_ratio(c, rn, &ops[2 + 3 * v], &ops[0]);
		snprintf(rn, sizeof(rn), "%.31s/%.31s", names[0][v], names[2][v]);
		kb_ratio(c, rn, &ops[1 + 3 * v], &ops[3 + 3 * v]);
		printf("data valsize %u", kb_vsizes[v]);
		kb_pt(g);
		kb_pt(s);
		kb_pt(kb_paired(&ops[3 + 3 * v], &ops[0], &lo, &hi));
		printf("\n");
	}
	return 0;
}

/*
 * SET against the write ring's size (the module's write_buffer_size caps it; caches this
 * large get the cap): a pass per half ring, so this is the pass's cost per write.
 */
#define KB_WB_PARAM "/sys/module/kcache/parameters/write_buffer_size"
static const unsigned int kb_rings[] = { 64, 256, 1024 };
#define KB_NR_RINGS (sizeof(kb_rings) / sizeof(kb_rings[0]))

static int kb_wb_param(unsigned int set, unsigned int *old)
{
	FILE *f = fopen(KB_WB_PARAM, "r+");
	int ok;

	if (!f)
		return -errno;
	ok = !old || fscanf(f, "%u", old) == 1;
	rewind(f);
	ok = ok && fprintf(f, "%u\n", set) > 0;
	return fclose(f) || !ok ? -EIO : 0;
}

static int kb_ring_group(struct kb_ctx *c)
{
	static char names[KB_NR_RINGS][32], cname[KB_NR_RINGS][KCACHE_NAME_BUF];
	struct kb_op ops[1 + KB_NR_RINGS];
	int fds[KB_NR_RINGS], ret = 0;
	unsigned int r, n = 0, old;
	char rn[64], tag[16];

	if (kb_wb_param(kb_rings[0], &old)) {
		printf("\n== write rings: skipped (%s not writable)\n", KB_WB_PARAM);
		return 0;
	}
	for (r = 0; r < KB_NR_RINGS; r++)
		fds[r] = -1;
	for (r = 0; r < KB_NR_RINGS && !ret; r++) {
		snprintf(tag, sizeof(tag), "ring%u", kb_rings[r]);
		ret = kb_wb_param(kb_rings[r], NULL);
		fds[r] = ret ? ret : kb_create(c, cname[r], tag, 1u << 20, 16u << 20);
		if (fds[r] < 0)
			ret = fds[r];
	}
	if (kb_wb_param(old, NULL))
		fprintf(stderr, "kcache_bench: could not restore %s to %u\n", KB_WB_PARAM, old);
	ops[n++] = kb_mkop("get", kb_run_get, c->ops, KB_VAL_LEN, c->fd, c->keys, KB_NKEYS, 0);
	for (r = 0; r < KB_NR_RINGS && !ret; r++) {
		snprintf(names[r], 32, "set_ring%u", kb_rings[r]);
		ops[n++] = kb_mkop(names[r], kb_run_set, c->ops, KB_VAL_LEN, fds[r], c->keys,
				   KB_NKEYS, 0);
	}
	printf("\n== write rings of %u, %u, %u records: SET replace ÷ GET\n", kb_rings[0],
	       kb_rings[1], kb_rings[2]);
	ret = ret ?: kb_run_group(c, ops, n);
	if (!ret) {
		kb_print_ops(ops, n);
		for (r = 0; r < KB_NR_RINGS; r++) {
			snprintf(rn, sizeof(rn), "%.31s/get", names[r]);
			kb_ratio(c, rn, &ops[1 + r], &ops[0]);
		}
	}
	for (r = 0; r < KB_NR_RINGS; r++)
		if (fds[r] >= 0) {
			close(fds[r]);
			kcache_destroy(c->ctl, cname[r]);
		}
	return ret;
}

/* ------------------------------------------------------------------------------------ */
/* Section 3: cache sizes (GET must stay flat), bytes per entry                           */

static long kb_meminfo_kb(const char *field)
{
	char line[256];
	FILE *f = fopen("/proc/meminfo", "r");
	long v = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, strlen(field)) && line[strlen(field)] == ':') {
			v = atol(line + strlen(field) + 1);
			break;
		}
	fclose(f);
	return v;
}

/*
 * GET over a cache of @n entries filled by MSET in key order. The GETs take the keys in
 * the order of the pseudo-random walk of the other groups, from a copy stored in that
 * order: the cache sees random keys, while the benchmark's own reads of them are
 * sequential. Read at random from a 16 MB array (10^6 keys), each would add a miss of
 * the benchmark's to the GET's time. Each kind of lookup starts in its own part of the
 * walk: one that followed another over the same keys would find their entries in the
 * caches (get_mapped, run right after get over get's keys, grew 1.06-1.29x from 10^4 to
 * 10^6 entries where get grew 1.32-1.53x). Now in quarters: get_nop, a GET and a null
 * ioctl per key, gives what a null ioctl costs right after a lookup
 * (part_nop_after_get_nN, in null ioctls).
 */
static int kb_size_one(struct kb_ctx *c, unsigned int n, double *ratio, double *bpf_ratio,
		       double *mapped_ratio)
{
	struct kb_op ops[5];
	struct kcache_counters st;
	char name[KCACHE_NAME_BUF], tag[32];
	unsigned char (*keys)[KB_KEY_LEN], (*walk)[KB_KEY_LEN] = NULL;
	long slab0, slab1;
	unsigned int i, j, nr;
	__u32 done;
	int fd, map, ret;

	keys = malloc((size_t)n * KB_KEY_LEN);
	if (!keys)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		kb_key(keys[i], "kcsz", i);
	snprintf(tag, sizeof(tag), "n%u", n);
	slab0 = kb_meminfo_kb("Slab");
	fd = kb_create(c, name, tag, n + n / 8, (__u64)n * KB_BIG_PER_ENTRY + (1u << 20));
	if (fd < 0) {
		printf("size %u: skipped, no cache\n", n);
		free(keys);
		return 0;
	}
	for (i = 0; i < KCACHE_BATCH_MAX; i++) {
		c->items[i].key_len = KB_KEY_LEN;
		c->items[i].val_len = KB_VAL_LEN;
		memcpy(c->out + i * KB_VAL_LEN, c->val, KB_VAL_LEN);
	}
	for (i = 0, ret = 0; i < n && !ret; i += nr) {
		nr = n - i < KCACHE_BATCH_MAX ? n - i : KCACHE_BATCH_MAX;
		ret = kcache_mset(fd, c->items, nr, keys[i], c->out, nr * KB_VAL_LEN, 0, 0,
				  &done);
		for (j = 0; !ret && j < nr; j++)
			ret = c->items[j].status;
	}
	ret = ret ?: kcache_stats(fd, &st);
	if (ret) {
		fprintf(stderr, "kcache_bench: fill of %u entries: %s\n", n, strerror(-ret));
		goto out;
	}
	slab1 = kb_meminfo_kb("Slab");
	printf("size %u: %llu entries, %.1f bytes charged per entry, %.1f bytes of slab per entry\n",
	       n, (unsigned long long)st.entries, st.entries ? (double)st.bytes / st.entries : 0,
	       st.entries && slab0 >= 0 ? (slab1 - slab0) * 1024.0 / st.entries : 0);
	printf("data bytes_per_entry %u %.1f %.1f\n", n,
	       st.entries ? (double)st.bytes / st.entries : 0,
	       st.entries && slab0 >= 0 ? (slab1 - slab0) * 1024.0 / st.entries : 0);
	/* the same keys in a BPF hash map: what the memory system adds at this size */
	map = kb_bpf_map(c, BPF_MAP_TYPE_HASH, KB_VAL_LEN, n, keys, n);
	walk = malloc((size_t)n * KB_KEY_LEN);
	if (!walk) {
		ret = -ENOMEM;
		goto out_map;
	}
	for (i = 0; i < n; i++)
		memcpy(walk[i], keys[kb_idx(i, n)], KB_KEY_LEN);
	ops[0] = kb_mkop("null_ioctl", kb_run_nop, c->ops / 2, 0, fd, NULL, 0, 0);
	ops[1] = kb_mkop("get", kb_run_get, c->ops / 2, KB_VAL_LEN, fd, walk, n, 0);
	ops[2] = kb_mkop("bpf_lookup", kb_run_bpf_lookup, c->ops / 2, 0, map, walk, n, 1);
	ops[3] = kb_mkop("get_mapped", kb_run_get_mapped, c->ops / 2, KB_VAL_LEN, fd, walk, n, 0);
	ops[4] = kb_mkop("get_nop", kb_run_get_nop, c->ops / 2, KB_VAL_LEN, fd, walk, n, 0);
	for (i = 1; i < 5; i++) {
		ops[i].stride = 1;
		ops[i].next = (i - 1) * (n / 4);
	}
	ret = kb_run_group(c, ops, 5);
	if (!ret) {
		snprintf(tag, sizeof(tag), "get_n%u/null_ioctl", n);
		*ratio = kb_ratio(c, tag, &ops[1], &ops[0]);
		snprintf(tag, sizeof(tag), "bpf_lookup_n%u/null_ioctl", n);
		*bpf_ratio = kb_ratio(c, tag, &ops[2], &ops[0]);
		snprintf(tag, sizeof(tag), "get_mapped_n%u/null_ioctl", n);
		*mapped_ratio = kb_ratio(c, tag, &ops[3], &ops[0]);
		snprintf(tag, sizeof(tag), "nop_after_get_n%u", n);
		kb_part(c, tag, &ops[4], &ops[1], &ops[0]);
		printf("data cachesize %u %.3f\n", n, *ratio);
	}
out_map:
	if (map >= 0)
		close(map);
out:
	close(fd);
	kcache_destroy(c->ctl, name);
	free(walk);
	free(keys);
	return ret;
}

static int kb_size_group(struct kb_ctx *c)
{
	const char *env = getenv("KCACHE_BENCH_SIZES");
	char buf[128], *s, *save = NULL;
	double r, rb, rm, first = 0, last = 0, bfirst = 0, blast = 0, mfirst = 0, mlast = 0;
	unsigned int n, nfirst = 0, nlast = 0;
	char rn[64];
	int ret;

	snprintf(buf, sizeof(buf), "%s", env && *env ? env : "10000,100000,1000000");
	printf("\n== cache sizes %s: %u reps x %u GETs of random keys\n", buf, c->reps,
	       c->ops / 2);
	for (s = strtok_r(buf, ",", &save); s; s = strtok_r(NULL, ",", &save)) {
		n = strtoul(s, NULL, 0);
		if (!n)
			continue;
		r = 0;
		rb = 0;
		rm = 0;
		ret = kb_size_one(c, n, &r, &rb, &rm);
		if (ret)
			return ret;
		if (!r)
			continue;
		if (!nfirst) {
			nfirst = n;
			first = r;
			bfirst = rb;
			mfirst = rm;
		}
		nlast = n;
		last = r;
		blast = rb;
		mlast = rm;
	}
	if (nlast != nfirst && first > 0) {
		snprintf(rn, sizeof(rn), "get_n%u/get_n%u", nlast, nfirst);
		kb_record(c, rn, last / first, last / first, last / first);
	}
	if (nlast != nfirst && mfirst > 0 && mlast > 0) {
		snprintf(rn, sizeof(rn), "get_mapped_n%u/get_mapped_n%u", nlast, nfirst);
		kb_record(c, rn, mlast / mfirst, mlast / mfirst, mlast / mfirst);
	}
	/* the BPF map's growth over the same sizes: the memory system's share, not ours */
	if (nlast != nfirst && first > 0 && bfirst > 0 && blast > 0) {
		snprintf(rn, sizeof(rn), "bpf_lookup_n%u/bpf_lookup_n%u", nlast, nfirst);
		kb_record(c, rn, blast / bfirst, blast / bfirst, blast / bfirst);
		snprintf(rn, sizeof(rn), "get_growth/bpf_growth_n%u", nlast);
		r = (last / first) / (blast / bfirst);
		kb_record(c, rn, r, r, r);
		/*
		 * The same growth in time added per lookup (both in null ioctls): a ratio of
		 * ratios flatters the slower base, this does not.
		 */
		if (blast > bfirst) {
			snprintf(rn, sizeof(rn), "get_added/bpf_added_n%u", nlast);
			r = (last - first) / (blast - bfirst);
			kb_record(c, rn, r, r, r);
		}
	}
	return 0;
}

/* ------------------------------------------------------------------------------------ */
/* Section 4: two threads on distinct keys of one cache, each with its own fd             */

enum kb_top { KB_T_NOP, KB_T_GET, KB_T_SET, KB_T_BPF, KB_T_NR };
static const char * const kb_top_name[KB_T_NR] = { "null_ioctl", "get", "set", "bpf_lookup" };

struct kb_thr {
	struct kb_ctx *c;
	pthread_barrier_t *start;
	enum kb_top op;
	int fd;
	unsigned int first, n;	/* keys [first, first + n) of c->keys */
	unsigned int ops;
	__u64 t0, t1;
	int ret;
	unsigned char buf[KB_VAL_LEN];
};

static void *kb_thr_fn(void *arg)
{
	struct kb_thr *t = arg;
	union bpf_attr attr;
	unsigned int i;
	__u32 len;
	int ret = 0;

	memset(&attr, 0, sizeof(attr));
	attr.map_fd = t->fd;
	attr.value = (__u64)(uintptr_t)t->buf;
	if (t->start)
		pthread_barrier_wait(t->start);
	t->t0 = kb_now_ns();
	for (i = 0; i < t->ops && !ret; i++) {
		const unsigned char *key = t->c->keys[t->first + kb_idx(i, t->n)];

		switch (t->op) {
		case KB_T_NOP:
			ret = kcache_nop(t->fd);
			break;
		case KB_T_GET:
			len = sizeof(t->buf);
			ret = kcache_get(t->fd, key, KB_KEY_LEN, t->buf, &len, NULL);
			break;
		case KB_T_SET:
			ret = kcache_set(t->fd, key, KB_KEY_LEN, t->c->val, KB_VAL_LEN, 0, 0,
					 NULL);
			break;
		default:
			attr.key = (__u64)(uintptr_t)key;
			ret = kb_bpf(BPF_MAP_LOOKUP_ELEM, &attr) ? -errno : 0;
			break;
		}
	}
	t->t1 = kb_now_ns();
	t->ret = ret;
	return NULL;
}

/* Runs @nthr threads, thread i pinned to CPU i; returns the wall ns of the whole, or -errno */
static double kb_threads(struct kb_thr *t, unsigned int nthr)
{
	pthread_barrier_t start;
	pthread_t tid[2];
	pthread_attr_t pa;
	cpu_set_t cpus;
	__u64 t0 = ~0ull, t1 = 0;
	unsigned int i;
	int ret = 0;

	pthread_barrier_init(&start, NULL, nthr);
	for (i = 0; i < nthr; i++) {
		pthread_attr_init(&pa);
		CPU_ZERO(&cpus);
		CPU_SET(i, &cpus);
		pthread_attr_setaffinity_np(&pa, sizeof(cpus), &cpus);
		t[i].start = &start;
		if (pthread_create(&tid[i], &pa, kb_thr_fn, &t[i]))
			return -EAGAIN;
		pthread_attr_destroy(&pa);
	}
	for (i = 0; i < nthr; i++) {
		pthread_join(tid[i], NULL);
		ret = ret ?: t[i].ret;
		t0 = t[i].t0 < t0 ? t[i].t0 : t0;
		t1 = t[i].t1 > t1 ? t[i].t1 : t1;
	}
	pthread_barrier_destroy(&start);
	return ret ? ret : (double)(t1 - t0);
}

/* a second fd on the same BPF map (its own struct file, as kcache_open() gives) */
static int kb_bpf_reopen(int map)
{
	struct bpf_map_info info;
	union bpf_attr attr;

	memset(&info, 0, sizeof(info));
	memset(&attr, 0, sizeof(attr));
	attr.info.bpf_fd = map;
	attr.info.info_len = sizeof(info);
	attr.info.info = (__u64)(uintptr_t)&info;
	if (kb_bpf(BPF_OBJ_GET_INFO_BY_FD, &attr))
		return -1;
	memset(&attr, 0, sizeof(attr));
	attr.map_id = info.id;
	return kb_bpf(BPF_MAP_GET_FD_BY_ID, &attr);
}

static int kb_scale_group(struct kb_ctx *c)
{
	double r[KB_T_NR][KB_REPS_MAX], t1, t2, med[KB_T_NR] = { 0 };
	struct kb_thr *t;
	int fds[KB_T_NR][2] = { { -1, -1 }, { -1, -1 }, { -1, -1 }, { -1, -1 } };
	unsigned int rep, op, i, nrep = 0;
	char rn[64];
	int ret = 0;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		printf("\n== scaling: skipped, one CPU\n");
		return 0;
	}
	t = calloc(2, sizeof(*t));
	if (!t)
		return -ENOMEM;
	for (op = 0; op < KB_T_NR; op++)
		for (i = 0; i < 2; i++)
			fds[op][i] = op == KB_T_BPF ?
				(c->map >= 0 ? kb_bpf_reopen(c->map) : -1) :
				kcache_open(c->ctl, c->name, KCACHE_OPEN_RDWR);
	printf("\n== scaling: 2 threads on CPUs 0 and 1, distinct halves of %u keys, own fds;\n"
	       "   ratio = throughput of 2 / (2 x throughput of 1), %u ops per thread\n",
	       KB_NKEYS, c->ops);
	for (rep = 0; rep <= c->reps && !ret; rep++) {	/* rep 0: warm-up */
		for (op = 0; op < KB_T_NR && !ret; op++) {
			if (fds[op][0] < 0 || fds[op][1] < 0)
				continue;
			for (i = 0; i < 2; i++) {
				memset(&t[i], 0, sizeof(t[i]));
				t[i].c = c;
				t[i].op = op;
				t[i].fd = fds[op][i];
				t[i].first = i * KB_NKEYS / 2;
				t[i].n = KB_NKEYS / 2;
				t[i].ops = c->ops;
			}
			t1 = kb_threads(t, 1);
			t2 = t1 < 0 ? t1 : kb_threads(t, 2);
			if (t2 < 0) {
				fprintf(stderr, "kcache_bench: scaling %s: %s\n", kb_top_name[op],
					strerror(-t2));
				ret = t2;
				break;
			}
			if (rep)
				r[op][rep - 1] = t1 / t2;
		}
		nrep = rep;
	}
	for (op = 0; op < KB_T_NR && !ret; op++) {
		if (fds[op][0] < 0 || fds[op][1] < 0) {
			printf("scaling %s: skipped (no second fd)\n", kb_top_name[op]);
			continue;
		}
		med[op] = kb_median(r[op], nrep);
		snprintf(rn, sizeof(rn), "scale2_%s", kb_top_name[op]);
		kb_record(c, rn, med[op], r[op][0], r[op][nrep - 1]);
		printf("data threads_%s 1 1\ndata threads_%s 2 %.3f\n", kb_top_name[op],
		       kb_top_name[op], 2 * med[op]);
	}
	if (!ret && med[KB_T_NOP] > 0 && med[KB_T_NOP] < 0.8)
		printf("note: null ioctls scaled %.2f: the two vCPUs did not run in parallel (busy\n"
		       "note: host); the scaling figures of this run say little about kcache\n",
		       med[KB_T_NOP]);
	/* the VM's own scaling (two vCPUs on a shared host) divided out */
	if (!ret && med[KB_T_NOP] > 0) {
		kb_record(c, "scale2_get/scale2_null_ioctl", med[KB_T_GET] / med[KB_T_NOP],
			  med[KB_T_GET] / med[KB_T_NOP], med[KB_T_GET] / med[KB_T_NOP]);
		kb_record(c, "scale2_set/scale2_null_ioctl", med[KB_T_SET] / med[KB_T_NOP],
			  med[KB_T_SET] / med[KB_T_NOP], med[KB_T_SET] / med[KB_T_NOP]);
	}
	for (op = 0; op < KB_T_NR; op++)
		for (i = 0; i < 2; i++)
			if (fds[op][i] >= 0)
				close(fds[op][i]);
	free(t);
	return ret;
}

/* ------------------------------------------------------------------------------------ */
/* Section 5: CPU time of the process and of the whole guest against wall time           */

/* busy CPU-seconds of the whole system (/proc/stat, all CPUs), or -1 */
static double kb_sys_busy(void)
{
	unsigned long long u, n, s, idle, io, irq, sirq, steal;
	FILE *f = fopen("/proc/stat", "r");
	int got;

	if (!f)
		return -1;
	got = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &u, &n, &s, &idle, &io,
		     &irq, &sirq, &steal);
	fclose(f);
	if (got != 8)
		return -1;
	return (double)(u + n + s + irq + sirq + steal) / sysconf(_SC_CLK_TCK);
}

/* CPU-seconds of this process: getrusage() (scheduler clock) */
static double kb_self_cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/*
 * CPU-seconds of this process in clock ticks (/proc/self/stat utime + stime), the clock of
 * /proc/stat: under TCG the tick samples and the scheduler clock disagree by 20-30%, so
 * the share of the other CPUs is taken between two figures of the same clock.
 */
static double kb_self_ticks(void)
{
	unsigned long long ut, st;
	char buf[1024], *p;
	FILE *f = fopen("/proc/self/stat", "r");
	size_t n;

	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');	/* the command name may hold spaces */
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
			 &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / sysconf(_SC_CLK_TCK);
}

static int kb_cpu_group(struct kb_ctx *c)
{
	struct kb_op ops[4];
	double self[4][KB_REPS_MAX], all[4][KB_REPS_MAX];
	unsigned int n = 0, i, rep, reps = c->reps < 5 ? c->reps : 5;
	char rn[64];

	/* long runs: /proc/stat counts in clock ticks */
	ops[n++] = kb_mkop("null_ioctl", kb_run_nop, c->ops * 8, 0, c->fd, NULL, 0, 0);
	ops[n++] = kb_mkop("get", kb_run_get, c->ops * 8, KB_VAL_LEN, c->fd, c->keys, KB_NKEYS,
			   0);
	ops[n++] = kb_mkop("set", kb_run_set, c->ops * 8, KB_VAL_LEN, c->fd, c->keys, KB_NKEYS,
			   0);
	ops[n++] = kb_mkop("mget64", kb_run_mget, c->ops * 8, 64, c->fd, c->keys, KB_NKEYS, 0);
	printf("\n== CPU time: %u reps x >= 2 s of %u-op runs; cpu_self/wall = getrusage() / wall time,\n"
	       "   cpu_all/cpu_self = busy ticks of all CPUs (/proc/stat) / this process's ticks\n"
	       "   (/proc/self/stat): 1.0 if nothing runs elsewhere on the process's behalf\n",
	       reps, c->ops * 8);
	for (rep = 0; rep < reps; rep++) {
		for (i = 0; i < n; i++) {
			double s0 = kb_self_cpu(), a0 = kb_sys_busy(), k0 = kb_self_ticks(), ns;
			__u64 t0 = kb_now_ns(), wall;

			/* at least 2 s: /proc/stat counts 10 ms ticks */
			do {
				ns = ops[i].run(c, &ops[i]);
				wall = kb_now_ns() - t0;
			} while (ns >= 0 && wall < 2000000000ull);
			if (ns < 0 || a0 < 0 || k0 < 0) {
				fprintf(stderr, "kcache_bench: cpu %s: %s\n", ops[i].name,
					ns < 0 ? strerror(-ns) : "no /proc/stat");
				return ns < 0 ? ns : -EIO;
			}
			self[i][rep] = (kb_self_cpu() - s0) / (wall / 1e9);
			k0 = kb_self_ticks() - k0;
			all[i][rep] = k0 > 0 ? (kb_sys_busy() - a0) / k0 : 0;
		}
	}
	printf("%-12s %14s %18s\n", "op", "cpu_self/wall", "cpu_all/cpu_self");
	for (i = 0; i < n; i++) {
		double ms = kb_median(self[i], reps), ma = kb_median(all[i], reps);

		printf("%-12s %14.3f %18.3f\n", ops[i].name, ms, ma);
		snprintf(rn, sizeof(rn), "cpu_self/wall_%s", ops[i].name);
		kb_record(c, rn, ms, self[i][0], self[i][reps - 1]);
		snprintf(rn, sizeof(rn), "cpu_all/cpu_self_%s", ops[i].name);
		kb_record(c, rn, ma, all[i][0], all[i][reps - 1]);
	}
	return 0;
}

/* ------------------------------------------------------------------------------------ */

static void kb_summary(struct kb_ctx *c)
{
	unsigned int i;

	printf("\n== summary: median of %u paired repetitions (min..max)\n", c->reps);
	for (i = 0; i < c->nratios; i++)
		printf("   %-48s %8.3f  (%.3f..%.3f)\n", c->ratios[i].name, c->ratios[i].med,
		       c->ratios[i].min, c->ratios[i].max);
	printf("note: under software emulation (TCG) absolute times mean nothing and the\n");
	printf("note: ratios only roughly track hardware\n");
}

int main(void)
{
	struct kb_ctx *c;
	cpu_set_t cpus;
	unsigned int v;
	int ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	c = calloc(1, sizeof(*c));
	if (!c)
		return 1;
	c->reps = kb_env_uint("KCACHE_BENCH_REPS", KB_REPS, KB_REPS_MAX - 1) ?: 1;
	c->ops = kb_env_uint("KCACHE_BENCH_OPS", KB_OPS, 100000000);
	c->main_only = kb_env_uint("KCACHE_BENCH_MAIN_ONLY", 0, 1);
	c->smp1 = sysconf(_SC_NPROCESSORS_ONLN) == 1;
	if (c->ops < KB_MC_DIV * KCACHE_BATCH_MAX / 16)
		c->ops = KB_MC_DIV * KCACHE_BATCH_MAX / 16;
	c->fd = -1;
	c->fd_evict = -1;
	c->fd_vs = -1;
	c->map = -1;
	c->map_lru = -1;
	c->mc = -1;
	for (v = 0; v < KB_NR_VS; v++)
		c->map_vs[v] = -1;

	/* CPU 0: no migrations in the middle of a measurement; threads pin themselves */
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	sched_setaffinity(0, sizeof(cpus), &cpus);

	kb_print_accel();
	c->ctl = kcache_ctl_open();
	if (c->ctl < 0) {
		fprintf(stderr, "kcache_bench: /dev/kcache: %s\n", strerror(-c->ctl));
		return 1;
	}
	ret = kb_setup(c) ?: kb_main_group(c);
	if (!ret && !c->main_only)
		ret = kb_vsize_group(c) ?: kb_ring_group(c) ?: kb_scale_group(c) ?:
		      kb_cpu_group(c) ?: kb_size_group(c);
	if (!ret)
		kb_summary(c);
	kb_teardown(c);
	close(c->ctl);
	free(c);
	return ret ? 1 : 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * kcache_bench - the first benchmark of `make bench`.
 *
 * Measures, in one run and interleaved so that drift hits every operation alike: a null
 * cache-fd ioctl (KCACHE_IOC_NOP), GET hits and SET replacements with 16-byte keys and
 * 64-byte values, MGET of 64 keys per call (reported per key), and bpf(BPF_MAP_LOOKUP_ELEM)
 * on a BPF hash map of the same shape. Each figure is the best (lowest ns/op) of several
 * repetitions. Then the ratios, one per line, and the memory charged per entry.
 *
 * A benchmark does not pass or fail on speed: the exit status is 1 only if a kcache call
 * fails (or the setup does), else 0. An unavailable bpf() is reported and skipped.
 *
 * Environment: KCACHE_ACCEL names the accelerator (else it is guessed from /proc/cpuinfo
 * and CPUID), KCACHE_BENCH_REPS and KCACHE_BENCH_OPS override the repetitions and the
 * operations per repetition.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <linux/types.h>

#include "kcache.h"

#define KB_KEY_LEN	16
#define KB_VAL_LEN	64
#define KB_NKEYS	1024	/* power of two: see kb_idx() */
#define KB_BATCH	64
#define KB_REPS		7
#define KB_REPS_MAX	1000
#define KB_OPS		20000	/* per repetition; ~1 s per operation kind under TCG */
#define KB_ENTRY_PAYLOAD	(KB_KEY_LEN + KB_VAL_LEN)

#define KB_TCG_NOTE	"software emulation; ratios only roughly track hardware"

enum kb_op { KB_NOP, KB_GET, KB_SET, KB_MGET, KB_BPF, KB_NR_OPS };

static const char * const kb_op_name[KB_NR_OPS] = {
	[KB_NOP] = "null_ioctl",
	[KB_GET] = "get",
	[KB_SET] = "set",
	[KB_MGET] = "mget_per_key",
	[KB_BPF] = "bpf_lookup",
};

struct kb_ctx {
	int fd;			/* kcache cache fd */
	int map_fd;		/* BPF hash map, or -1 */
	unsigned int ops;	/* operations per repetition */
	unsigned char keys[KB_NKEYS][KB_KEY_LEN];	/* back to back: MGET's key block */
	unsigned char val[KB_VAL_LEN];
	unsigned char out[KB_BATCH * KB_VAL_LEN];
	struct kcache_batch_item items[KB_BATCH];
	unsigned int nr[KB_NR_OPS];		/* samples taken */
	double ns[KB_NR_OPS][KB_REPS_MAX];	/* ns/op of each repetition */
};

/* The i-th key touched: an odd stride visits every key once per KB_NKEYS operations. */
static unsigned int kb_idx(unsigned int i)
{
	return (i * 617u) & (KB_NKEYS - 1);
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
	if (*end || !v || v > max) {
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

/* Copies the first "model name" of /proc/cpuinfo into @model; returns 0 if found. */
static int kb_cpu_model(char *model, size_t len)
{
	char line[512];
	FILE *f = fopen("/proc/cpuinfo", "r");
	int ret = -1;

	model[0] = '\0';
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *p = strchr(line, ':');

		if (strncmp(line, "model name", 10) || !p)
			continue;
		p += 1 + strspn(p + 1, " \t");
		p[strcspn(p, "\n")] = '\0';
		snprintf(model, len, "%s", p);
		ret = 0;
		break;
	}
	fclose(f);
	return ret;
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
	printf("cpu: %s\n", model[0] ? model : "unknown");
}

/* ------------------------------------------------------------------------------------ */
/* Setup                                                                                  */

static int kb_fill(struct kb_ctx *c)
{
	unsigned int i;
	int ret;

	for (i = 0; i < KB_NKEYS; i++) {
		char buf[KB_KEY_LEN + 1];

		snprintf(buf, sizeof(buf), "kcbench-%08x", i);
		memcpy(c->keys[i], buf, KB_KEY_LEN);
	}
	for (i = 0; i < KB_VAL_LEN; i++)
		c->val[i] = (unsigned char)(i * 7 + 1);
	for (i = 0; i < KB_BATCH; i++)
		c->items[i].key_len = KB_KEY_LEN;
	for (i = 0; i < KB_NKEYS; i++) {
		ret = kcache_set(c->fd, c->keys[i], KB_KEY_LEN, c->val, KB_VAL_LEN, 0, 0, NULL);
		if (ret) {
			fprintf(stderr, "kcache_bench: preload set %u: %s\n", i, strerror(-ret));
			return ret;
		}
	}
	return 0;
}

/* Creates and fills the BPF map; on failure says why and returns -1 (not fatal). */
static int kb_bpf_setup(struct kb_ctx *c)
{
	union bpf_attr attr;
	unsigned int i;
	int fd, err;

	memset(&attr, 0, sizeof(attr));
	attr.map_type = BPF_MAP_TYPE_HASH;
	attr.key_size = KB_KEY_LEN;
	attr.value_size = KB_VAL_LEN;
	attr.max_entries = KB_NKEYS;
	fd = kb_bpf(BPF_MAP_CREATE, &attr);
	if (fd < 0)
		goto fail;
	for (i = 0; i < KB_NKEYS; i++) {
		memset(&attr, 0, sizeof(attr));
		attr.map_fd = fd;
		attr.key = (__u64)(uintptr_t)c->keys[i];
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
	printf("bpf unavailable: %s (%s)\n", kb_errname(errno), strerror(errno));
	return -1;
}

/* A lookup failed after the setup worked: bpf is skipped, the benchmark goes on. */
static void kb_bpf_drop(struct kb_ctx *c, int err)
{
	printf("bpf unavailable: %s (%s)\n", kb_errname(err), strerror(err));
	close(c->map_fd);
	c->map_fd = -1;
}

/* ------------------------------------------------------------------------------------ */
/* The measured loops: each returns ns/op, or a negative errno if a call failed.          */

static double kb_ns_per(__u64 t0, __u64 t1, unsigned long n)
{
	return (double)(t1 - t0) / n;
}

static double kb_run_nop(struct kb_ctx *c)
{
	__u64 t0 = kb_now_ns();
	unsigned int i;
	int ret;

	for (i = 0; i < c->ops; i++) {
		ret = kcache_nop(c->fd);
		if (ret)
			return ret;
	}
	return kb_ns_per(t0, kb_now_ns(), c->ops);
}

static double kb_run_get(struct kb_ctx *c)
{
	unsigned char v[KB_VAL_LEN];
	__u64 t0 = kb_now_ns();
	__u32 len;
	unsigned int i;
	int ret;

	for (i = 0; i < c->ops; i++) {
		len = sizeof(v);
		ret = kcache_get(c->fd, c->keys[kb_idx(i)], KB_KEY_LEN, v, &len, NULL);
		if (ret)
			return ret;
	}
	if (len != KB_VAL_LEN || memcmp(v, c->val, KB_VAL_LEN))
		return -EBADMSG;
	return kb_ns_per(t0, kb_now_ns(), c->ops);
}

static double kb_run_set(struct kb_ctx *c)
{
	__u64 t0 = kb_now_ns();
	unsigned int i;
	int ret;

	for (i = 0; i < c->ops; i++) {
		ret = kcache_set(c->fd, c->keys[kb_idx(i)], KB_KEY_LEN, c->val, KB_VAL_LEN,
				 0, 0, NULL);
		if (ret)
			return ret;
	}
	return kb_ns_per(t0, kb_now_ns(), c->ops);
}

static double kb_run_mget(struct kb_ctx *c)
{
	unsigned int calls = (c->ops + KB_BATCH - 1) / KB_BATCH;
	__u64 t0 = kb_now_ns();
	unsigned int i;
	__u32 done;
	int ret;

	for (i = 0; i < calls; i++) {
		const void *keys = c->keys[(i * KB_BATCH) & (KB_NKEYS - 1)];

		ret = kcache_mget(c->fd, c->items, KB_BATCH, keys, c->out, sizeof(c->out),
				  &done);
		if (ret)
			return ret;
		if (done != KB_BATCH)
			return -ENOENT;
	}
	return kb_ns_per(t0, kb_now_ns(), (unsigned long)calls * KB_BATCH);
}

static double kb_run_bpf(struct kb_ctx *c)
{
	unsigned char v[KB_VAL_LEN];
	union bpf_attr attr;
	__u64 t0;
	unsigned int i;

	memset(&attr, 0, sizeof(attr));
	attr.map_fd = c->map_fd;
	attr.value = (__u64)(uintptr_t)v;
	t0 = kb_now_ns();
	for (i = 0; i < c->ops; i++) {
		attr.key = (__u64)(uintptr_t)c->keys[kb_idx(i)];
		if (kb_bpf(BPF_MAP_LOOKUP_ELEM, &attr))
			return -errno;
	}
	return kb_ns_per(t0, kb_now_ns(), c->ops);
}

static double (* const kb_run[KB_NR_OPS])(struct kb_ctx *c) = {
	[KB_NOP] = kb_run_nop,
	[KB_GET] = kb_run_get,
	[KB_SET] = kb_run_set,
	[KB_MGET] = kb_run_mget,
	[KB_BPF] = kb_run_bpf,
};

/* ------------------------------------------------------------------------------------ */

static int kb_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Sorts the samples of @op; returns the best (lowest) ns/op, or 0 if none. */
static double kb_sort(struct kb_ctx *c, enum kb_op op)
{
	qsort(c->ns[op], c->nr[op], sizeof(double), kb_cmp_double);
	return c->nr[op] ? c->ns[op][0] : 0;
}

static void kb_ratio(const char *name, const double *best, enum kb_op a, enum kb_op b)
{
	if (best[a] > 0 && best[b] > 0)
		printf("ratio %s %.2f\n", name, best[a] / best[b]);
}

static int kb_memory(struct kb_ctx *c)
{
	struct kcache_counters st;
	struct kcache_info_args info;
	double total;
	int ret;

	ret = kcache_info(c->fd, &info) ?: kcache_stats(c->fd, &st);
	if (ret) {
		fprintf(stderr, "kcache_bench: info/stats: %s\n", strerror(-ret));
		return ret;
	}
	if (st.entries != KB_NKEYS) {
		fprintf(stderr, "kcache_bench: %llu entries after loading %u\n",
			(unsigned long long)st.entries, KB_NKEYS);
		return -EIO;
	}
	total = (double)st.bytes / st.entries;
	printf("memory: %llu entries, %llu bytes charged (max_entries %llu, max_bytes %llu)\n",
	       (unsigned long long)st.entries, (unsigned long long)st.bytes,
	       (unsigned long long)info.max_entries, (unsigned long long)info.max_bytes);
	printf("bytes_per_entry_total %.1f\n", total);
	printf("metadata_bytes_per_entry %.1f\n", total - KB_ENTRY_PAYLOAD);
	return 0;
}

int main(void)
{
	unsigned int reps = kb_env_uint("KCACHE_BENCH_REPS", KB_REPS, KB_REPS_MAX);
	double best[KB_NR_OPS];
	char name[KCACHE_NAME_BUF];
	struct kb_ctx *c;
	cpu_set_t cpus;
	unsigned int r;
	int ctl, op, ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	c = calloc(1, sizeof(*c));
	if (!c)
		return 1;
	c->ops = kb_env_uint("KCACHE_BENCH_OPS", KB_OPS, 100000000);
	c->map_fd = -1;

	/* one CPU: no migrations in the middle of a measurement */
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	sched_setaffinity(0, sizeof(cpus), &cpus);

	kb_print_accel();
	printf("repetitions: %u (best of %u runs of %u ops each)\n", reps, reps, c->ops);
	printf("shape: key %u B, value %u B, %u keys, mget %u keys per call\n",
	       KB_KEY_LEN, KB_VAL_LEN, KB_NKEYS, KB_BATCH);

	ctl = kcache_ctl_open();
	if (ctl < 0) {
		fprintf(stderr, "kcache_bench: /dev/kcache: %s\n", strerror(-ctl));
		return 1;
	}
	snprintf(name, sizeof(name), "kcache_bench.%d", (int)getpid());
	c->fd = kcache_create(ctl, name, 4 * KB_NKEYS, 16u << 20, 0,
			      KCACHE_POLICY_TINYLFU_ABI, 0600);
	if (c->fd < 0) {
		fprintf(stderr, "kcache_bench: create %s: %s\n", name, strerror(-c->fd));
		return 1;
	}
	ret = kb_fill(c) ?: kb_memory(c);
	if (ret)
		goto out;
	c->map_fd = kb_bpf_setup(c);

	/* warm-up: caches, TLB, page tables, branch predictors; not counted */
	for (op = 0; op < KB_NR_OPS; op++) {
		if (op == KB_BPF && c->map_fd < 0)
			continue;
		double ns = kb_run[op](c);

		if (ns < 0 && op == KB_BPF) {
			kb_bpf_drop(c, -ns);
		} else if (ns < 0) {
			ret = ns;
			goto fail_op;
		}
	}
	for (r = 0; r < reps; r++) {
		for (op = 0; op < KB_NR_OPS; op++) {
			double ns;

			if (op == KB_BPF && c->map_fd < 0)
				continue;
			ns = kb_run[op](c);
			if (ns < 0 && op == KB_BPF) {
				kb_bpf_drop(c, -ns);
				c->nr[op] = 0;
				continue;
			}
			if (ns < 0) {
				ret = ns;
				goto fail_op;
			}
			c->ns[op][c->nr[op]++] = ns;
		}
	}

	/* ns/op is the best run; median and worst show how noisy the runs were */
	printf("%-16s %10s %10s %10s\n", "op", "ns/op", "median", "worst");
	for (op = 0; op < KB_NR_OPS; op++) {
		unsigned int n = c->nr[op];

		best[op] = kb_sort(c, op);
		if (n)
			printf("%-16s %10.1f %10.1f %10.1f\n", kb_op_name[op], best[op],
			       c->ns[op][n / 2], c->ns[op][n - 1]);
		else
			printf("%-16s %10s %10s %10s\n", kb_op_name[op], "-", "-", "-");
	}
	kb_ratio("get/null_ioctl", best, KB_GET, KB_NOP);
	kb_ratio("get/bpf_lookup", best, KB_GET, KB_BPF);
	kb_ratio("mget_per_key/null_ioctl", best, KB_MGET, KB_NOP);
	kb_ratio("set/null_ioctl", best, KB_SET, KB_NOP);
	printf("note: each figure is the best of %u runs, all measured in this one run;\n", reps);
	printf("note: under software emulation (TCG) absolute times mean nothing and the\n");
	printf("note: ratios only roughly track hardware\n");
	ret = 0;
	goto out;

fail_op:
	fprintf(stderr, "kcache_bench: %s: %s\n", kb_op_name[op], strerror(-ret));
out:
	if (c->map_fd >= 0)
		close(c->map_fd);
	close(c->fd);
	kcache_destroy(ctl, name);
	close(ctl);
	free(c);
	return ret ? 1 : 0;
}

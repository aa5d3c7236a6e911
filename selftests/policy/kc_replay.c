// SPDX-License-Identifier: GPL-2.0
/*
 * kc_replay - replay cache traces through the policy (kmod/kcache_policy.c and the files it
 * uses) built in userspace.
 *
 *   kc_replay [-p tinylfu|lru|ref|s3fifo|sieve|arc] [-c CAPACITY] [-s SEED[,SEED...]] [-t]
 *	     TRACE...
 *	prints "hitratio TRACE CAPACITY POLICY PERCENT" per trace (with -s, one line per seed
 *	followed by "seed N"); -t adds a line with the policy's cost in ns per request (wall
 *	clock over the replay loop, trace in memory) and the policy's memory
 *   Environment: KC_SEED=N sets the policy seed when -s is not given (default 0x5eed),
 *	KC_REPLAY_DEBUG=N prints the cumulative hits and the configuration every N requests
 *	to stderr; KC_REPLAY_CONFIG=I runs shadow I's configuration, fixed
 *   kc_replay -F
 *	prints the FNV-1a hashes of the eviction sequences of the synthetic workload
 *	(kc_synth.h) for both policies, as C defines for the KUnit cross-build check
 *
 * A trace is one decimal key per line; lines containing '*' are skipped; .gz is read
 * through gzip -dc. The cache holds CAPACITY unit-weight entries. "ref" is the W-TinyLFU
 * family with the climber switched off (the shadows are not even fed): a true fixed 1% window,
 * the reference for traces without a reference table, with s3fifo, sieve and arc
 * (kc_refsim.h: textbook versions, not kcache's).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kcache_policy.h"
#include "kc_synth.h"
#include "kc_refsim.h"

struct entry {
	struct kc_pnode pn;
	u64 key;
	u32 hnext;	/* index + 1 of the next entry in the bucket, 0 ends */
};

static void bad_usage(void);

/* the cache counts entries: every entry weighs 1 */
static u32 kc_unit_weight(const struct kc_pnode *n)
{
	return 1;
}

static u64 mix64(u64 x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static u64 *load(const char *path, size_t *n)
{
	size_t cap = 1 << 16, len = 0;
	u64 *keys = malloc(cap * sizeof(*keys));
	char line[256], cmd[4200];
	bool gz = strlen(path) > 3 && !strcmp(path + strlen(path) - 3, ".gz");
	FILE *f;

	if (gz) {
		if (strchr(path, '\'')) {
			fprintf(stderr, "kc_replay: bad path %s\n", path);
			exit(2);
		}
		snprintf(cmd, sizeof(cmd), "gzip -dc '%s'", path);
		f = popen(cmd, "r");
	} else {
		f = fopen(path, "r");
	}
	if (!f || !keys) {
		perror(path);
		exit(2);
	}
	while (fgets(line, sizeof(line), f)) {
		char *end;
		u64 k;

		if (strchr(line, '*'))
			continue;
		k = strtoull(line, &end, 10);
		if (end == line)
			continue;
		if (len == cap) {
			cap *= 2;
			keys = realloc(keys, cap * sizeof(*keys));
			if (!keys) {
				perror("realloc");
				exit(2);
			}
		}
		keys[len++] = k;
	}
	if ((gz ? pclose(f) : fclose(f)) != 0) {
		fprintf(stderr, "kc_replay: cannot read %s\n", path);
		exit(2);
	}
	*n = len;
	return keys;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void trace_name(const char *path, char *name, size_t len)
{
	const char *slash = strrchr(path, '/');
	char *dot;

	snprintf(name, len, "%s", slash ? slash + 1 : path);
	dot = strstr(name, ".trace");
	if (dot)
		*dot = 0;
}

static void replay(const u64 *keys, size_t n, const char *name, u64 capacity, int kind,
		   bool fixed, bool timing, u64 seed, bool show_seed)
{
	u32 bits = 1, *buckets, free_head, i, *link;
	struct entry *ents;
	struct kc_policy p;
	struct kc_pnode *v;
	u64 hits = 0, calls = 0;
	size_t j, sw_at = 0;
	u32 sw_cfg = 0;
	double t0, t1;
	int dbg;
	const char *pname = kind == KCACHE_POLICY_LRU ? "lru" : fixed ? "ref" : "tinylfu";

	while ((1ULL << bits) < 2 * (capacity + 1))
		bits++;
	buckets = calloc(1ULL << bits, sizeof(*buckets));
	ents = calloc(capacity + 1, sizeof(*ents));
	if (!buckets || !ents ||
	    kcache_policy_init(&p, kind, capacity, U64_MAX, seed, kc_unit_weight)) {
		fprintf(stderr, "kc_replay: out of memory\n");
		exit(2);
	}
	/* "ref": W-TinyLFU with a fixed 1% window; KC_REPLAY_CONFIG=I: configuration I, fixed */
	if ((fixed && kcache_policy_pin_config(&p, 0)) ||
	    (getenv("KC_REPLAY_CONFIG") &&
	     kcache_policy_pin_config(&p, atoi(getenv("KC_REPLAY_CONFIG")))))
		bad_usage();
	/* free list threaded through hnext */
	free_head = 1;
	for (i = 0; i < capacity + 1; i++)
		ents[i].hnext = i + 2 <= capacity + 1 ? i + 2 : 0;

	dbg = getenv("KC_REPLAY_DEBUG") ? atoi(getenv("KC_REPLAY_DEBUG")) : 0;
	if (getenv("KC_REPLAY_SWITCH"))	/* debugging: "N:I" pins configuration I at request N */
		sscanf(getenv("KC_REPLAY_SWITCH"), "%zu:%u", &sw_at, &sw_cfg);
	t0 = now_ns();
	for (j = 0; j < n; j++) {
		u64 k = keys[j], h = mix64(k);
		u32 b = h & ((1ULL << bits) - 1), e;

		for (e = buckets[b]; e; e = ents[e - 1].hnext)
			if (ents[e - 1].key == k)
				break;
		calls++;
		if (sw_at && j == sw_at)
			kcache_policy_pin_config(&p, sw_cfg);
		if (dbg && j % dbg == 0 && j)
			fprintf(stderr, "%zu %llu cfg %u fam %u win %u q %llu %llu %llu\n", j,
				(unsigned long long)hits, p.cfg, p.family, p.win_frac,
				(unsigned long long)p.nr[KC_Q_WINDOW],
				(unsigned long long)p.nr[KC_Q_PROBATION],
				(unsigned long long)p.nr[KC_Q_PROTECTED]);
		if (e) {
			hits++;
			kcache_policy_access(&p, &ents[e - 1].pn);
			continue;
		}
		kcache_policy_miss(&p, h >> 32);
		e = free_head;
		free_head = ents[e - 1].hnext;
		ents[e - 1].key = k;
		ents[e - 1].pn.hash = h >> 32;
		ents[e - 1].hnext = buckets[b];
		buckets[b] = e;
		kcache_policy_add(&p, &ents[e - 1].pn);
		calls += 2;
		while ((v = kcache_policy_evict(&p))) {
			struct entry *x = container_of(v, struct entry, pn);
			u32 xi = x - ents + 1;

			calls++;
			link = &buckets[mix64(x->key) & ((1ULL << bits) - 1)];
			while (*link != xi)
				link = &ents[*link - 1].hnext;
			*link = x->hnext;
			x->hnext = free_head;
			free_head = xi;
		}
	}
	t1 = now_ns();

	printf("hitratio %s %llu %s %.2f", name, (unsigned long long)capacity,
	       pname, n ? 100.0 * hits / n : 0.0);
	if (show_seed)
		printf(" seed %llu", (unsigned long long)seed);
	printf("\n");
	if (timing)
		printf("timing %s %llu %s %.1f ns/request %.1f ns/call (%zu req, %llu calls) "
		       "policy memory %llu bytes, %.1f per entry; node %zu bytes\n",
		       name, (unsigned long long)capacity, pname, (t1 - t0) / n,
		       (t1 - t0) / calls, n, (unsigned long long)calls,
		       (unsigned long long)kcache_policy_footprint(&p),
		       (double)kcache_policy_footprint(&p) / capacity, sizeof(struct kc_pnode));
	if (getenv("KC_REPLAY_DEBUG"))
		fprintf(stderr, "%s %llu final cfg %u (family %u, window %u/1000), %llu switches\n",
			name, (unsigned long long)capacity, p.cfg, p.family, p.win_frac,
			(unsigned long long)p.switches);
	kcache_policy_destroy(&p);
	free(buckets);
	free(ents);
}

static void bad_usage(void)
{
	fprintf(stderr, "usage: kc_replay [-p tinylfu|lru|ref|s3fifo|sieve|arc] [-c CAPACITY] "
			"[-s SEED[,SEED...]] [-t] TRACE...\n"
			"       kc_replay -F\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int kind = KCACHE_POLICY_TINYLFU, opt;
	u64 capacity = 1000;
	bool timing = false, fixed = false;
	const char *seeds = NULL, *refname = NULL;
	int refsim = 0;
	char name[256];

	while ((opt = getopt(argc, argv, "p:c:s:tF")) != -1) {
		switch (opt) {
		case 'p':
			if (!strcmp(optarg, "lru"))
				kind = KCACHE_POLICY_LRU;
			else if (!strcmp(optarg, "tinylfu"))
				kind = KCACHE_POLICY_TINYLFU;
			else if (!strcmp(optarg, "ref"))
				fixed = true;
			else if (!strcmp(optarg, "s3fifo"))
				refsim = RS_S3FIFO;
			else if (!strcmp(optarg, "sieve"))
				refsim = RS_SIEVE;
			else if (!strcmp(optarg, "arc"))
				refsim = RS_ARC;
			else
				bad_usage();
			refname = optarg;
			break;
		case 'c':
			capacity = strtoull(optarg, NULL, 10);
			if (!capacity || capacity > (1U << 30))
				bad_usage();
			break;
		case 's':
			seeds = optarg;
			break;
		case 't':
			timing = true;
			break;
		case 'F': {
			static struct kc_synth_entry e[KC_SYNTH_KEYS];
			struct kc_policy p;
			u64 t, l;

			t = kc_synth_fnv(&p, e, KCACHE_POLICY_TINYLFU);
			memset(e, 0, sizeof(e));
			l = kc_synth_fnv(&p, e, KCACHE_POLICY_LRU);
			if (!t || !l)
				return 2;
			printf("#define KC_POLICY_EXPECT_FNV_TINYLFU 0x%016llxULL\n",
			       (unsigned long long)t);
			printf("#define KC_POLICY_EXPECT_FNV_LRU 0x%016llxULL\n",
			       (unsigned long long)l);
			return 0;
		}
		default:
			bad_usage();
		}
	}
	if (optind >= argc)
		bad_usage();
	for (; optind < argc; optind++) {
		size_t n;
		u64 *keys = load(argv[optind], &n);
		const char *s = seeds;

		trace_name(argv[optind], name, sizeof(name));
		if (refsim) {
			u64 hits = kc_refsim_hits(keys, n, capacity, refsim);

			printf("hitratio %s %llu %s %.2f\n", name, (unsigned long long)capacity,
			       refname, n ? 100.0 * hits / n : 0);
			s = NULL;
		} else if (!s) {
			const char *env = getenv("KC_SEED");
			u64 seed = env ? strtoull(env, NULL, 0) : 0x5eed;

			replay(keys, n, name, capacity, kind, fixed, timing, seed, false);
		}
		while (s && *s) {
			char *end;
			u64 seed = strtoull(s, &end, 0);

			if (end == s || (*end && *end != ','))
				bad_usage();
			replay(keys, n, name, capacity, kind, fixed, timing, seed, true);
			s = *end ? end + 1 : end;
		}
		free(keys);
	}
	return 0;
}

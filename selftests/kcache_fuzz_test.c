// SPDX-License-Identifier: GPL-2.0
/*
 * Random ioctls on /dev/kcache and on cache fds of every access mode, from several
 * threads at once, while one thread destroys and re-creates the cache they use and
 * another unmaps and remaps (or write-protects) the memory their pointers point into.
 *
 * Calls: real commands, real commands with random direction and size bits in the command
 * number (the kernel dispatches on type and number), unknown numbers; random struct sizes,
 * valid structs with random fields mutated; pointers that are valid, NULL, unmapped,
 * kernel-space, misaligned or running off a mapping.
 *
 * The kernel writes through the pointers it is given, as it should: a pointer into the
 * fuzzer's own memory (a thread's stack, its image's data) would let it corrupt the test
 * itself. A byte-mutated pointer to a target used to land there 50-60 times per 10^6
 * calls (in thread stacks and the image's data), the likely cause of a run where two
 * threads died at ip 0. So every target lives in one reserved, 1 TiB-aligned block of
 * address space (the region), inaccessible but for the pool and the arenas: a pointer
 * into it with any of its five low bytes changed stays in it. And each call's argument
 * words are checked against the process's writable mappings (read once all threads
 * run): a call that would still point the kernel at them is not made, only counted.
 *
 * Fails on:
 *  - an errno that uapi/linux/kcache.h does not document for the command (and the fd
 *    kind) the call reached; ENOTTY only for numbers that are no command of that fd;
 *  - a call that stays in the kernel longer than CALL_BOUND_MS (wall time, measured in
 *    the caller around the ioctl; Documentation/userspace-api.rst documents the bound);
 *  - fewer calls than asked for.
 * The kernel must not splat either (the VM runner greps the log after every suite).
 * It prints the calls per command and per errno, and the slowest call per command.
 *
 * Calls: KCACHE_FUZZ_CALLS, else 10^6, or 10^5 on a debug kernel (one with lockdep,
 * /proc/lockdep, where every call costs ten times more). KCACHE_FUZZ_SEED sets the seed,
 * else it comes from the pid and the time; it is printed first.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/kcache.h>

#include "kselftest_harness.h"

#define WORKERS		4
#define POOL_LEN	65536
#define REGION_SHIFT	40	/* 1 TiB: changing byte 0..4 of an address stays in its block */
#define REGION_LEN	(1UL << REGION_SHIFT)
#define REGION_HINT	(32UL << REGION_SHIFT)	/* far from the image, heap, mmaps and stack */
#define NOWN		512	/* writable mappings of the process, at most */
#define CALL_BOUND_MS	2000	/* no ioctl may take longer (TCG, debug kernel included) */
#define NERR		160	/* errno values counted one by one */

static __thread uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

static uint32_t rnd_below(uint32_t n)
{
	return rnd() % n;
}

static const struct cmd {
	const char *name;
	unsigned long cmd;
	uint32_t size;
	int on_ctl;
	int right;		/* needs an access right: EBADF possible */
	const int *errs;	/* documented besides the common ones, 0-terminated */
} cmds[] = {
#define E(...) ((const int[]){ __VA_ARGS__, 0 })
	{ "VERSION", KCACHE_IOC_VERSION, sizeof(struct kcache_version), 1, 0, E(0) },
	{ "CREATE", KCACHE_IOC_CREATE, sizeof(struct kcache_create_args), 1, 0,
	  E(EDQUOT, EMFILE, EEXIST, ENOSPC) },
	{ "OPEN", KCACHE_IOC_OPEN, sizeof(struct kcache_open_args), 1, 0,
	  E(ENOENT, EPERM, EACCES, EMFILE) },
	{ "DESTROY", KCACHE_IOC_DESTROY, sizeof(struct kcache_destroy_args), 1, 0,
	  E(ENOENT, EPERM) },
	{ "LIST", KCACHE_IOC_LIST, sizeof(struct kcache_list_args), 1, 0, E(EMSGSIZE) },
	/*
	 * a lease GET: ETIMEDOUT waiting, EIO from an ABORT below, ESHUTDOWN while waiting,
	 * ENOSPC at the fd's lease limit
	 */
	{ "GET", KCACHE_IOC_GET, sizeof(struct kcache_get_args), 0, 1,
	  E(ENOENT, EMSGSIZE, ETIMEDOUT, EINTR, EIO, ENOSPC) },
	{ "SET", KCACHE_IOC_SET, sizeof(struct kcache_set_args), 0, 1,
	  E(EEXIST, ENOENT, ESTALE, EBUSY) },
	{ "DEL", KCACHE_IOC_DEL, sizeof(struct kcache_del_args), 0, 1, E(ENOENT) },
	{ "CAS", KCACHE_IOC_CAS, sizeof(struct kcache_cas_args), 0, 1,
	  E(EEXIST, ENOENT, ESTALE, EBUSY) },
	{ "ADD", KCACHE_IOC_ADD, sizeof(struct kcache_add_args), 0, 1, E(EBUSY) },
	{ "MGET", KCACHE_IOC_MGET, sizeof(struct kcache_mget_args), 0, 1, E(0) },
	{ "LEASE_ABORT", KCACHE_IOC_LEASE_ABORT, sizeof(struct kcache_lease_abort_args), 0, 1,
	  E(ESTALE) },
	{ "LOAD_CONFIG", KCACHE_IOC_LOAD_CONFIG, sizeof(struct kcache_load_config_args), 0, 1,
	  E(0) },
	{ "LOAD_STATS", KCACHE_IOC_LOAD_STATS, sizeof(struct kcache_load_stats_args), 0, 1,
	  E(0) },
	{ "MSET", KCACHE_IOC_MSET, sizeof(struct kcache_mset_args), 0, 1, E(0) },
	{ "INVALIDATE", KCACHE_IOC_INVALIDATE, sizeof(struct kcache_invalidate_args), 0, 1,
	  E(0) },
	{ "STATS", KCACHE_IOC_STATS, sizeof(struct kcache_stats_args), 0, 1, E(0) },
	{ "INFO", KCACHE_IOC_INFO, sizeof(struct kcache_info_args), 0, 1, E(0) },
	{ "DUMP", KCACHE_IOC_DUMP, sizeof(struct kcache_dump_args), 0, 1, E(EMSGSIZE) },
	{ "NOP", KCACHE_IOC_NOP, sizeof(struct kcache_nop_args), 0, 0, E(0) },
	/* its argument is a page number: the workers map each fd with read right */
	{ "GET_PAGE", KCACHE_IOC_GET_PAGE, 8, 0, 1, E(ENXIO, ENOENT, EMSGSIZE) },
	{ "SUBSCRIBE", KCACHE_IOC_SUBSCRIBE, sizeof(struct kcache_subscribe_args), 0, 1,
	  E(EMFILE) },
#undef E
};

#define NCMDS	(sizeof(cmds) / sizeof(cmds[0]))
#define UNKNOWN	NCMDS		/* row of the numbers that are no command of the fd */

/* The command a call reaches: by type and number, on that kind of fd. */
static int reached(unsigned long cmd, int on_ctl)
{
	unsigned int i;

	if (_IOC_TYPE(cmd) != KCACHE_IOC_MAGIC)
		return UNKNOWN;
	for (i = 0; i < NCMDS; i++)
		if (_IOC_NR(cmds[i].cmd) == _IOC_NR(cmd) && cmds[i].on_ctl == on_ctl)
			return i;
	return UNKNOWN;
}

static int documented(int row, int err)
{
	const int *e;

	if (row == UNKNOWN)
		return err == ENOTTY;
	switch (err) {
	case EFAULT: case EINVAL: case E2BIG: case ENOMEM:
		return 1;
	case EBADF:
		return cmds[row].right;
	case ESHUTDOWN:
		/* every cache-fd command but NOP, which works after DESTROY */
		return !cmds[row].on_ctl && cmds[row].cmd != KCACHE_IOC_NOP;
	}
	for (e = cmds[row].errs; *e; e++)
		if (*e == err)
			return 1;
	return 0;
}

struct tally {
	unsigned long calls[NCMDS + 1];
	unsigned long ok[NCMDS + 1];
	unsigned long err[NCMDS + 1][NERR];
	unsigned long undocumented;
	unsigned long too_slow;
	unsigned long smashed;
	unsigned long skipped;	/* calls not made: an argument word pointed at own[] */
	uint64_t max_ns[NCMDS + 1];
};

/* A range of addresses, [lo, hi). */
struct range {
	uintptr_t lo, hi;
};

struct shared {
	int ctl;
	char name[KCACHE_NAME_BUF];
	uint8_t *region;	/* REGION_LEN reserved, PROT_NONE but for the pool and arenas */
	uint8_t *pool;		/* POOL_LEN bytes the remapper keeps replacing */
	void *unmapped;
	struct range own[NOWN];	/* the process's writable mappings outside the region */
	int nown;
	pthread_barrier_t start;	/* the workers wait for own[] */
	long target;
	atomic_long issued;
	atomic_int stop;
	struct tally tally[WORKERS + 2];
	uint64_t seed;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* One timed ioctl, tallied: 0 if its errno was documented and it was fast enough. */
static long timed_ioctl(struct shared *sh, struct tally *t, int fd, int on_ctl,
			unsigned long cmd, void *arg, int *errp)
{
	int row = reached(cmd, on_ctl), err = 0;
	uint64_t t0 = now_ns(), dt;
	long ret = ioctl(fd, cmd, arg);

	if (ret < 0)
		err = errno;
	dt = now_ns() - t0;
	t->calls[row]++;
	if (dt > t->max_ns[row])
		t->max_ns[row] = dt;
	if (dt > CALL_BOUND_MS * 1000000ULL) {
		t->too_slow++;
		fprintf(stderr, "# %s (cmd 0x%lx) took %llu ms\n",
			row == UNKNOWN ? "unknown" : cmds[row].name, cmd,
			(unsigned long long)(dt / 1000000));
	}
	if (ret >= 0) {
		t->ok[row]++;
		/* SUBSCRIBE answers with a stream fd: do not let streams pile up */
		if (row != UNKNOWN && cmds[row].cmd == KCACHE_IOC_SUBSCRIBE && ret > 2)
			close(ret);
	} else {
		t->err[row][err < NERR ? err : 0]++;
		if (!documented(row, err)) {
			t->undocumented++;
			fprintf(stderr, "# %s (cmd 0x%lx, fd %d): undocumented errno %d (%s)\n",
				row == UNKNOWN ? "unknown" : cmds[row].name, cmd, fd, err,
				strerror(err));
		}
	}
	*errp = err;
	return ret;
}

static uint64_t rnd_ptr(struct shared *sh)
{
	switch (rnd_below(8)) {
	case 0:
		return 0;
	case 1:
		return (uintptr_t)sh->unmapped;
	case 2:
		return 0xffffffff81000000ULL;
	case 3:
		return rnd();
	case 4:
		return (uintptr_t)sh->pool + POOL_LEN - rnd_below(64);	/* runs off the end */
	default:
		return (uintptr_t)sh->pool + rnd_below(POOL_LEN / 2);
	}
}

static uint32_t rnd_len(void)
{
	static const uint32_t edge[] = { 0, 1, 2, 7, 8, 64, 255, 256, 257, 4095, 4096, 4097,
					 65536, 1 << 20, (1 << 20) + 1, 64 << 20,
					 (64 << 20) + 1, 0x7fffffff, 0xffffffff };

	switch (rnd_below(4)) {
	case 0:
		return edge[rnd_below(sizeof(edge) / sizeof(edge[0]))];
	case 1:
		return rnd();
	default:
		return rnd_below(300);
	}
}

/* A plausible argument for cmds[@i]: right size, pointers into the pool, small lengths. */
static void fill(uint8_t *buf, unsigned int i, struct shared *sh)
{
	uint32_t *w = (uint32_t *)buf;
	uint64_t *q = (uint64_t *)buf;
	unsigned int k;

	w[0] = cmds[i].size;
	w[1] = rnd_below(4) ? 0 : rnd_below(16);
	switch (cmds[i].cmd) {
	case KCACHE_IOC_CREATE:
	case KCACHE_IOC_OPEN:
	case KCACHE_IOC_DESTROY:
		memcpy(buf + 8, sh->name, KCACHE_NAME_BUF);
		if (rnd_below(2))
			buf[8 + strlen(sh->name) - 1] = '0' + rnd_below(4);
		if (cmds[i].cmd == KCACHE_IOC_OPEN) {
			w[1] = rnd_below(8);
			if (w[1] & KCACHE_OPEN_OWNER)
				w[20] = rnd_below(2) ? 0 : rnd_below(2000);	/* owner */
		}
		if (cmds[i].cmd == KCACHE_IOC_CREATE) {
			q[10] = rnd_below(1000);		/* max_entries */
			q[11] = rnd_below(2) ? 1 << 16 : rnd();	/* max_bytes */
			w[26] = rnd_below(3);			/* policy */
			w[27] = rnd_below(2) ? 0600 : rnd();	/* mode */
		}
		break;
	default:
		/* generic: every 8-byte slot after the header gets a pointer or a length */
		for (k = 1; k < cmds[i].size / 8; k++) {
			if (rnd_below(2))
				q[k] = rnd_ptr(sh);
			else
				q[k] = (uint64_t)rnd_len() << 32 | rnd_len();
		}
		/* a lease GET waits at most wait_ns: keep it below the call bound */
		if (cmds[i].cmd == KCACHE_IOC_GET)
			q[5] = rnd_below(2) ? 0 : rnd_below(100000000);
		/* an aborted lease hands its error to the waiters: one GET documents */
		if (cmds[i].cmd == KCACHE_IOC_LEASE_ABORT)
			w[6] = rnd_below(2) ? 0 : -EIO;
		if (cmds[i].cmd == KCACHE_IOC_MGET || cmds[i].cmd == KCACHE_IOC_MSET) {
			w[8] = rnd_below(2) ? rnd_below(8) : rnd_len();	/* nr */
			w[9] = rnd_len();
			w[11] = rnd_below(8) ? 0 : 1;
		}
		break;
	}
}

#define NKEYS	64
#define KEYLEN	8
/*
 * A worker's keys and batch items live in an arena of their own in the region, followed
 * by at least ARENA_GUARD of its inaccessible space, never next to memory the fuzzer
 * needs: a mutated command number makes the kernel read one command's struct as
 * another's, so the pointer to the keys can arrive as a DUMP's buffer with a random
 * length (an ADD's delta), and the kernel rightly fills it. The guard is larger than any
 * record the kernel writes in one go (values come from the pool, at most POOL_LEN
 * bytes), so writes stop there.
 */
#define ARENA_LEN	4096
#define ARENA_GUARD	(4UL << 20)
#define ARENA_STEP	(1UL << 32)	/* arena i at pool + (i + 1) * ARENA_STEP */

_Static_assert(ARENA_STEP >= (ARENA_LEN + ARENA_GUARD) &&
	       ARENA_STEP * (WORKERS + 1) < (REGION_LEN / 2),
	       "the arenas and their guards fit in the region");

struct worker {
	struct shared *sh;
	int id;
	struct tally *t;
	int fds[4];
	uint32_t access[4];
	struct kcache_get_page *pages[4];	/* GET_PAGE_NR pages of fds[i], or NULL */
	uint8_t *arena;			/* ARENA_LEN bytes, then ARENA_GUARD inaccessible */
	char *keys;			/* "k0000000".."k0000063", back to back, in arena */
	struct kcache_batch_item *items;	/* 8 of them, in arena after keys */
	uint8_t buf[8192] __attribute__((aligned(8)));
	/*
	 * Nothing the fuzzer passes lets the kernel write past buf: no argument points into
	 * struct worker, and the kernel writes back at most its own struct. Checked after
	 * each call.
	 */
	uint64_t guard[8];
};

_Static_assert(NKEYS * KEYLEN + 8 * sizeof(struct kcache_batch_item) <= ARENA_LEN,
	       "keys and items fit in the arena");

#define GET_PAGE_NR	2

/* Map fd @slot's pages (if it has read right), after unmapping the old fd's. */
static void map_pages(struct worker *wk, int slot)
{
	void *p;

	if (wk->pages[slot])
		munmap(wk->pages[slot], GET_PAGE_NR * 4096);
	wk->pages[slot] = NULL;
	if (!(wk->access[slot] & KCACHE_OPEN_READ))
		return;
	p = mmap(NULL, GET_PAGE_NR * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, wk->fds[slot], 0);
	if (p != MAP_FAILED)
		wk->pages[slot] = p;
}

/* A page of fd @slot with a key of one of the workers' keys, or random bytes and length. */
static void fill_page(struct worker *wk, int slot, unsigned int page)
{
	struct kcache_get_page *p;

	if (!wk->pages[slot] || page >= GET_PAGE_NR)
		return;
	p = (void *)((char *)wk->pages[slot] + page * 4096);
	if (rnd_below(2)) {
		p->key_len = KEYLEN;
		memcpy(p->data, wk->keys + KEYLEN * rnd_below(NKEYS), KEYLEN);
	} else {
		p->key_len = rnd_below(2) ? rnd_len() : rnd();
		p->data[rnd_below(64)] = rnd();
	}
}

static void init_keys(char *keys)
{
	int j;

	for (j = 0; j < NKEYS; j++) {
		char *k = keys + KEYLEN * j;

		memcpy(k, "k0000000", KEYLEN);
		k[6] = '0' + j / 10;
		k[7] = '0' + j % 10;
	}
}

#define GUARD_WORD	0x6b63616368656775ULL

/*
 * A valid argument for a cache-fd command, so that the core's paths run too (hits,
 * stores, replacements, dumps) while the cache is destroyed and the pool remapped
 * under them: keys from a small set, values in the pool. 0 if @i is not such a command.
 */
static int fill_valid(uint8_t *buf, unsigned int i, struct worker *wk)
{
	struct shared *sh = wk->sh;
	uint64_t key = (uintptr_t)(wk->keys + KEYLEN * rnd_below(NKEYS - 8));
	uint64_t val = (uintptr_t)sh->pool + rnd_below(POOL_LEN / 2);
	uint32_t vlen = rnd_below(4) ? rnd_below(256) : rnd_below(8192);
	uint32_t n = 1 + rnd_below(8), k, sum = 0;

	/* a DUMP reached through a mutated command may have overwritten them */
	init_keys(wk->keys);

	switch (cmds[i].cmd) {
	case KCACHE_IOC_GET:
		*(struct kcache_get_args *)buf = (struct kcache_get_args){
			.size = cmds[i].size, .key = key, .key_len = KEYLEN, .val = val,
			.val_len = vlen };
		return 1;
	case KCACHE_IOC_SET:
		*(struct kcache_set_args *)buf = (struct kcache_set_args){
			.size = cmds[i].size, .key = key, .key_len = KEYLEN, .val = val,
			.val_len = vlen, .flags = rnd_below(4) ? 0 : 1U << rnd_below(3) };
		return 1;
	case KCACHE_IOC_DEL:
		*(struct kcache_del_args *)buf = (struct kcache_del_args){
			.size = cmds[i].size, .key = key, .key_len = KEYLEN };
		return 1;
	case KCACHE_IOC_CAS:
		*(struct kcache_cas_args *)buf = (struct kcache_cas_args){
			.size = cmds[i].size, .key = key, .key_len = KEYLEN, .val = val,
			.val_len = vlen, .expected = rnd_below(1 << 16) };
		return 1;
	case KCACHE_IOC_ADD:
		*(struct kcache_add_args *)buf = (struct kcache_add_args){
			.size = cmds[i].size, .key = key, .key_len = KEYLEN,
			.delta = (int64_t)rnd() };
		return 1;
	case KCACHE_IOC_MGET:
	case KCACHE_IOC_MSET:
		for (k = 0; k < n; k++) {
			wk->items[k] = (struct kcache_batch_item){ .key_len = KEYLEN,
								   .val_len = rnd_below(64) };
			sum += wk->items[k].val_len;
		}
		*(struct kcache_mset_args *)buf = (struct kcache_mset_args){
			.size = cmds[i].size, .items = (uintptr_t)wk->items, .keys = key,
			.vals = val, .nr = n,
			.vals_len = cmds[i].cmd == KCACHE_IOC_MSET ? sum : rnd_below(4096) };
		return 1;
	case KCACHE_IOC_INVALIDATE:
		if (rnd_below(8))
			return 0;
		*(struct kcache_invalidate_args *)buf = (struct kcache_invalidate_args){
			.size = cmds[i].size, .flags = KCACHE_INVALIDATE_PREFIX, .prefix = key,
			.prefix_len = 1 + rnd_below(KEYLEN) };
		return 1;
	case KCACHE_IOC_DUMP:
		*(struct kcache_dump_args *)buf = (struct kcache_dump_args){
			.size = cmds[i].size, .buf = (uintptr_t)sh->pool,
			.buf_len = rnd_below(POOL_LEN),
			.cursor = rnd_below(2) ? 0 : rnd_below(1024) };
		return 1;
	default:
		return 0;
	}
}

static int open_name(struct shared *sh, struct tally *t, uint32_t access)
{
	struct kcache_open_args o = { .size = sizeof(o), .flags = access };
	int err;

	memcpy(o.name, sh->name, sizeof(o.name));
	return timed_ioctl(sh, t, sh->ctl, 1, KCACHE_IOC_OPEN, &o, &err);
}

/* The process's writable mappings outside the region, from /proc/self/maps. */
static int read_own(struct shared *sh)
{
	uintptr_t r0 = (uintptr_t)sh->region, r1 = r0 + REGION_LEN;
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512], perm[8];
	uintptr_t lo, hi;

	if (!f)
		return -errno;
	sh->nown = 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perm) != 3 || perm[1] != 'w')
			continue;
		if (lo >= r0 && hi <= r1)
			continue;
		if (sh->nown == NOWN) {
			fclose(f);
			return -E2BIG;
		}
		sh->own[sh->nown++] = (struct range){ lo, hi };
	}
	fclose(f);
	return 0;
}

/*
 * Would the kernel, reading @len bytes at @arg as a command's struct, find an address in
 * the process's own memory? Every 8-byte word at @arg + 8k: where the ABI's structs have
 * their pointers (u64, naturally aligned), at whatever alignment @arg has.
 */
static int points_at_own(const struct shared *sh, const uint8_t *arg, uint32_t len)
{
	uint64_t w;
	uint32_t k;
	int i;

	for (k = 0; k + 8 <= len; k += 8) {
		memcpy(&w, arg + k, 8);
		for (i = 0; i < sh->nown; i++)
			if (w >= sh->own[i].lo && w < sh->own[i].hi)
				return 1;
	}
	return 0;
}

static void *worker_fn(void *arg)
{
	struct worker *wk = arg;
	struct shared *sh = wk->sh;
	uint8_t *buf = wk->buf;
	struct tally *t0 = wk->t;
	uint8_t *arena0 = wk->arena, *pool0 = sh->pool;
	unsigned long cmd, last_cmd[8] = { 0 };
	void *last_arg[8] = { NULL };
	unsigned long n = 0;
	void *argp;
	unsigned int i, k, slot, maxsize = 0;
	int fd, on_ctl, ret, err, valid;
	uint32_t size;

	/* every thread its own sequence (the state is per thread, and 0 would stay 0) */
	rng_state = sh->seed ^ (0x9e3779b97f4a7c15ULL * (wk->id + 1)) ?: 1;
	/* a struct the kernel reads is no larger than the largest command's */
	for (i = 0; i < NCMDS; i++)
		if (cmds[i].size > maxsize)
			maxsize = cmds[i].size;
	/* own[] is read once every thread, and so every thread's stack, exists */
	pthread_barrier_wait(&sh->start);
	while (atomic_fetch_add(&sh->issued, 1) < sh->target) {
		i = rnd_below(NCMDS);
		cmd = cmds[i].cmd;
		memset(buf, 0, 4096 + 64);
		/* half the cache-fd calls valid (mutated rarely), half random */
		valid = rnd_below(2) && fill_valid(buf, i, wk);
		if (!valid)
			fill(buf, i, sh);
		/* mutate: a random byte, the size, the tail, or the command number */
		switch (rnd_below(valid ? 40 : 10)) {
		case 0:
			buf[rnd_below(cmds[i].size)] = rnd();
			break;
		case 1:
			size = rnd_below(2) ? rnd_below(cmds[i].size + 16) : rnd_len();
			((uint32_t *)buf)[0] = size;
			break;
		case 2:
			buf[cmds[i].size + rnd_below(64)] = rnd() | 1;
			((uint32_t *)buf)[0] = cmds[i].size + 64;
			break;
		case 3:
			cmd = _IOC(rnd_below(4), KCACHE_IOC_MAGIC, rnd_below(64), rnd_below(512));
			break;
		case 4:
			/* a newer userspace's command: size bits of a grown struct */
			cmd = _IOC(_IOC_READ | _IOC_WRITE, KCACHE_IOC_MAGIC, _IOC_NR(cmd),
				   cmds[i].size + 8 * rnd_below(8));
			break;
		default:
			break;
		}
		on_ctl = cmds[i].on_ctl;
		if (!rnd_below(valid ? 64 : 16))
			on_ctl = !on_ctl;
		slot = rnd_below(4);
		fd = on_ctl ? sh->ctl : wk->fds[slot];
		switch (rnd_below(valid ? 64 : 32)) {
		case 0:
			argp = NULL;
			break;
		case 1:
			argp = sh->unmapped;
			break;
		case 2:
			argp = (void *)0xffffffff81000000UL;
			break;
		case 3:
			argp = buf + 1 + rnd_below(7);
			break;
		case 4:
			/* the argument itself in the memory being remapped */
			argp = sh->pool + POOL_LEN - 8 * rnd_below(64);
			break;
		default:
			argp = buf;
			break;
		}
		/* GET_PAGE's argument is a page number: mostly one of the fd's pages */
		if (_IOC_NR(cmd) == _IOC_NR(KCACHE_IOC_GET_PAGE) && rnd_below(4)) {
			argp = (void *)(uintptr_t)rnd_below(GET_PAGE_NR + 1);
			if (!on_ctl)
				fill_page(wk, slot, (uintptr_t)argp);
		}
		/* not a call that lets the kernel write into the fuzzer: not counted either */
		if ((uint8_t *)argp >= buf && (uint8_t *)argp < buf + sizeof(wk->buf) &&
		    points_at_own(sh, argp, maxsize + 64)) {
			wk->t->skipped++;
			atomic_fetch_sub(&sh->issued, 1);
			continue;
		}
		last_cmd[n % 8] = cmd;
		last_arg[n % 8] = argp;
		n++;
		ret = timed_ioctl(sh, wk->t, fd, on_ctl, cmd, argp, &err);
		/* the fuzzer's own state: a call that changed it names itself and its elders */
		if (wk->sh != sh || wk->t != t0 || wk->arena != arena0 || sh->pool != pool0) {
			fprintf(stderr, "# worker %d: state overwritten after cmd 0x%lx (fd %d, arg %p)\n",
				wk->id, cmd, fd, argp);
			for (k = 1; k <= 8 && k <= n; k++)
				fprintf(stderr, "#   call -%u: cmd 0x%lx arg %p\n", k,
					last_cmd[(n - k) % 8], last_arg[(n - k) % 8]);
			abort();
		}
		for (k = 0; k < sizeof(wk->guard) / sizeof(wk->guard[0]); k++) {
			if (wk->guard[k] == GUARD_WORD)
				continue;
			wk->t->smashed++;
			fprintf(stderr, "# cmd 0x%lx (fd %d) wrote past its buffer: guard %u = %#llx\n",
				cmd, fd, k, (unsigned long long)wk->guard[k]);
			wk->guard[k] = GUARD_WORD;
		}
		if (ret > 0 && on_ctl && (_IOC_NR(cmd) == _IOC_NR(KCACHE_IOC_CREATE) ||
					  _IOC_NR(cmd) == _IOC_NR(KCACHE_IOC_OPEN)))
			close(ret);
		/* the destroyer killed our cache: take the new one */
		if (ret < 0 && err == ESHUTDOWN && !on_ctl) {
			int nfd = open_name(sh, wk->t, wk->access[slot]);

			if (nfd >= 0) {
				close(wk->fds[slot]);
				wk->fds[slot] = nfd;
				map_pages(wk, slot);
			}
		}
	}
	return NULL;
}

/* Destroy and re-create the cache the workers use, over and over. */
static void *destroyer_fn(void *arg)
{
	struct shared *sh = arg;
	struct tally *t = &sh->tally[WORKERS];
	struct kcache_create_args c = { .size = sizeof(c), .max_bytes = 4 << 20, .mode = 0600 };
	struct kcache_destroy_args d = { .size = sizeof(d) };
	int fd, err;

	memcpy(c.name, sh->name, sizeof(c.name));
	memcpy(d.name, sh->name, sizeof(d.name));
	while (!atomic_load(&sh->stop)) {
		usleep(2000);
		timed_ioctl(sh, t, sh->ctl, 1, KCACHE_IOC_DESTROY, &d, &err);
		fd = timed_ioctl(sh, t, sh->ctl, 1, KCACHE_IOC_CREATE, &c, &err);
		if (fd >= 0)
			close(fd);
	}
	return NULL;
}

/*
 * Replace the pool's pages, never leaving the range free (another thread's mmap could
 * take it): an inaccessible mapping over it, then a fresh one; or read-only for a while.
 */
static void *remapper_fn(void *arg)
{
	struct shared *sh = arg;
	uint8_t *pool = sh->pool;	/* never from *sh again: MAP_FIXED on a bad one kills */
	unsigned int i;

	rng_state = sh->seed ^ 0x5bd1e995 ?: 1;
	while (!atomic_load(&sh->stop)) {
		if (sh->pool != pool) {
			fprintf(stderr, "# the fuzzer's shared state was overwritten: pool %p, was %p\n",
				(void *)sh->pool, (void *)pool);
			abort();
		}
		if (rnd_below(2)) {
			if (mmap(pool, POOL_LEN, PROT_NONE,
				 MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED)
				abort();
			usleep(300);
			if (mmap(pool, POOL_LEN, PROT_READ | PROT_WRITE,
				 MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED)
				abort();
			for (i = 0; i < POOL_LEN; i += 8)
				*(uint64_t *)(pool + i) = rnd();
		} else {
			mprotect(pool, POOL_LEN, PROT_READ);
			usleep(300);
			mprotect(pool, POOL_LEN, PROT_READ | PROT_WRITE);
		}
		usleep(700);
	}
	return NULL;
}

static long default_calls(void)
{
	const char *e = getenv("KCACHE_FUZZ_CALLS");

	if (e)
		return atol(e);
	return access("/proc/lockdep", F_OK) ? 1000000 : 100000;
}

FIXTURE(fuzz) {
	struct shared *sh;
	struct worker wk[WORKERS];
};

FIXTURE_SETUP(fuzz)
{
	struct kcache_create_args c = { .size = sizeof(c), .max_bytes = 4 << 20, .mode = 0600 };
	static const uint32_t acc[4] = { KCACHE_OPEN_RDWR, KCACHE_OPEN_READ, KCACHE_OPEN_WRITE,
					 KCACHE_OPEN_RDWR };
	struct shared *sh;
	int i, j, fd;

	sh = calloc(1, sizeof(*sh));
	ASSERT_NE(NULL, sh);
	self->sh = sh;
	sh->ctl = open("/dev/kcache", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, sh->ctl);
	snprintf(sh->name, sizeof(sh->name), "fz%d", getpid() % 10000);
	memcpy(c.name, sh->name, sizeof(c.name));
	fd = ioctl(sh->ctl, KCACHE_IOC_CREATE, &c);
	ASSERT_LE(0, fd) TH_LOG("create %s: %s", sh->name, strerror(errno));
	close(fd);
	/*
	 * The region: the pool in its middle, the kernel's writes through pointers "running
	 * off the end" of it fault; a page of it stands for unmapped memory.
	 */
	sh->region = mmap((void *)REGION_HINT, REGION_LEN, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
	ASSERT_EQ((void *)REGION_HINT, sh->region) TH_LOG("reserve the region: %s",
							  strerror(errno));
	sh->pool = sh->region + REGION_LEN / 2;
	ASSERT_EQ(0, mprotect(sh->pool, POOL_LEN, PROT_READ | PROT_WRITE));
	sh->unmapped = sh->region + REGION_LEN / 4;
	for (i = 0; i < WORKERS; i++) {
		self->wk[i].sh = sh;
		self->wk[i].id = i;
		self->wk[i].arena = sh->pool + (i + 1) * ARENA_STEP;
		ASSERT_EQ(0, mprotect(self->wk[i].arena, ARENA_LEN, PROT_READ | PROT_WRITE));
		self->wk[i].keys = (char *)self->wk[i].arena;
		self->wk[i].items = (struct kcache_batch_item *)(self->wk[i].arena +
								 NKEYS * KEYLEN);
		init_keys(self->wk[i].keys);
		self->wk[i].t = &sh->tally[i];
		for (j = 0; j < (int)(sizeof(self->wk[i].guard) / sizeof(uint64_t)); j++)
			self->wk[i].guard[j] = GUARD_WORD;
		for (j = 0; j < 4; j++) {
			struct kcache_open_args o = { .size = sizeof(o), .flags = acc[j] };

			memcpy(o.name, sh->name, sizeof(o.name));
			self->wk[i].access[j] = acc[j];
			self->wk[i].fds[j] = ioctl(sh->ctl, KCACHE_IOC_OPEN, &o);
			ASSERT_LE(0, self->wk[i].fds[j]);
			map_pages(&self->wk[i], j);
			if (acc[j] & KCACHE_OPEN_READ)
				ASSERT_NE(NULL, self->wk[i].pages[j]);
		}
	}
}

FIXTURE_TEARDOWN(fuzz)
{
	struct kcache_destroy_args d = { .size = sizeof(d) };
	struct shared *sh = self->sh;
	int i, j;

	/* the fuzzer may have created name0..name3 and recreated name */
	for (j = -1; j < 4; j++) {
		memcpy(d.name, sh->name, sizeof(d.name));
		if (j >= 0)
			d.name[strlen(sh->name) - 1] = '0' + j;
		ioctl(sh->ctl, KCACHE_IOC_DESTROY, &d);
	}
	for (i = 0; i < WORKERS; i++) {
		for (j = 0; j < 4; j++) {
			if (self->wk[i].pages[j])
				munmap(self->wk[i].pages[j], GET_PAGE_NR * 4096);
			close(self->wk[i].fds[j]);
		}
	}
	munmap(sh->region, REGION_LEN);
	close(sh->ctl);
	free(sh);
}

static void report(struct __test_metadata *_metadata, struct shared *sh, struct tally *sum,
		   double secs)
{
	unsigned long per_errno[NERR] = { 0 }, ok = 0, total = 0;
	unsigned int i, e;
	char line[1024];
	int n;

	for (i = 0; i <= NCMDS; i++) {
		if (!sum->calls[i])
			continue;
		n = snprintf(line, sizeof(line), "%-10s %8lu calls, max %6.1f ms: ok %lu",
			     i == UNKNOWN ? "(unknown)" : cmds[i].name, sum->calls[i],
			     sum->max_ns[i] / 1e6, sum->ok[i]);
		for (e = 0; e < NERR; e++) {
			if (!sum->err[i][e])
				continue;
			per_errno[e] += sum->err[i][e];
			n += snprintf(line + n, sizeof(line) - n, ", %s %lu",
				      e ? strerrorname_np(e) : "other", sum->err[i][e]);
		}
		TH_LOG("%s", line);
		ok += sum->ok[i];
		total += sum->calls[i];
	}
	n = snprintf(line, sizeof(line), "all: %lu calls in %.1f s (%.0f/s): ok %lu", total,
		     secs, total / secs, ok);
	for (e = 0; e < NERR; e++)
		if (per_errno[e])
			n += snprintf(line + n, sizeof(line) - n, ", %s %lu",
				      e ? strerrorname_np(e) : "other", per_errno[e]);
	TH_LOG("%s", line);
}

TEST_F_TIMEOUT(fuzz, threaded_documented_errnos_and_bounded_time, 580)
{
	struct shared *sh = self->sh;
	pthread_t w[WORKERS], destroyer, remapper;
	struct tally *sum = calloc(1, sizeof(*sum));
	const char *e = getenv("KCACHE_FUZZ_SEED");
	uint64_t t0;
	unsigned int i, j, k;
	int own;

	ASSERT_NE(NULL, sum);
	sh->target = default_calls();
	/* the time too: a fresh guest gives the fuzzer nearly the same pid every boot */
	sh->seed = e ? strtoull(e, NULL, 0) : 0x9e3779b97f4a7c15ULL ^ getpid() ^ now_ns();
	TH_LOG("seed 0x%llx, %ld calls, %d workers, bound %d ms per call",
	       (unsigned long long)sh->seed, sh->target, WORKERS, CALL_BOUND_MS);
	rng_state = sh->seed ?: 1;
	for (i = 0; i < POOL_LEN; i++)
		sh->pool[i] = rnd();
	ASSERT_EQ(0, pthread_barrier_init(&sh->start, NULL, WORKERS + 1));
	t0 = now_ns();
	ASSERT_EQ(0, pthread_create(&destroyer, NULL, destroyer_fn, sh));
	ASSERT_EQ(0, pthread_create(&remapper, NULL, remapper_fn, sh));
	for (i = 0; i < WORKERS; i++)
		ASSERT_EQ(0, pthread_create(&w[i], NULL, worker_fn, &self->wk[i]));
	own = read_own(sh);
	if (own)
		sh->target = 0;		/* the workers leave at once, joined below */
	else
		TH_LOG("%d writable mappings of the fuzzer's own kept out of its arguments",
		       sh->nown);
	pthread_barrier_wait(&sh->start);
	for (i = 0; i < WORKERS; i++)
		pthread_join(w[i], NULL);
	atomic_store(&sh->stop, 1);
	pthread_join(destroyer, NULL);
	pthread_join(remapper, NULL);
	pthread_barrier_destroy(&sh->start);
	ASSERT_EQ(0, own) TH_LOG("/proc/self/maps: %s", strerror(-own));
	for (i = 0; i < WORKERS + 2; i++) {
		struct tally *t = &sh->tally[i];

		for (j = 0; j <= NCMDS; j++) {
			sum->calls[j] += t->calls[j];
			sum->ok[j] += t->ok[j];
			if (t->max_ns[j] > sum->max_ns[j])
				sum->max_ns[j] = t->max_ns[j];
			for (k = 0; k < NERR; k++)
				sum->err[j][k] += t->err[j][k];
		}
		sum->undocumented += t->undocumented;
		sum->too_slow += t->too_slow;
		sum->smashed += t->smashed;
		sum->skipped += t->skipped;
	}
	report(_metadata, sh, sum, (now_ns() - t0) / 1e9);
	TH_LOG("calls not made, an argument pointing at the fuzzer's own memory: %lu",
	       sum->skipped);
	/* the workers' calls alone reach the target */
	for (i = 0, k = 0; i < WORKERS; i++)
		for (j = 0; j <= NCMDS; j++)
			k += sh->tally[i].calls[j];
	ASSERT_LE(sh->target, (long)k);
	ASSERT_EQ(0, sum->undocumented);
	ASSERT_EQ(0, sum->too_slow);
	ASSERT_EQ(0, sum->smashed);
	free(sum);
}

TEST_HARNESS_MAIN

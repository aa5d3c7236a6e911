// SPDX-License-Identifier: GPL-2.0
/*
 * Leases across processes (Documentation/loading.rst): one load per miss for 8 processes
 * x 4 threads, holder SIGKILLed / closing its fd / past its deadline hands the lease to
 * one waiter, stale and foreign tokens, MGET with leases, refresh ahead, abort, and a
 * stress run mixing leases, loads, SETs, DELs, destroys and SIGKILLs (60 s on the debug
 * kernel, 10 s elsewhere; KCACHE_STRESS_SECS overrides). A process waits on an in-kernel
 * load (the test module kcache_kload.ko): stored, revoked by a DEL, ended by destroy.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kcache.h"

#include "kselftest_harness.h"

#define SEC		1000000000ULL
#define MS		1000000ULL
#define NPROC		8
#define NTHREAD		4
#define ROUNDS		12
/* a killed holder's lease must reach a waiter within this (TCG guests are slow) */
#define HANDOVER_BOUND	(2 * SEC)

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * SEC + ts.tv_nsec;
}

static void *shared(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static int sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

FIXTURE(lease) {
	int ctl;
	int fd;
	char name[64];
};

FIXTURE_SETUP(lease)
{
	static int n;

	self->ctl = kcache_ctl_open();
	ASSERT_LE(0, self->ctl);
	snprintf(self->name, sizeof(self->name), "lease-%d-%d", getpid(), n++);
	self->fd = kcache_create(self->ctl, self->name, 0, 8 << 20, 0, KCACHE_POLICY_LRU_ABI,
				 0600);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(lease)
{
	/* a kload case that failed half-way left its module (and loader) behind */
	if (!access("/sys/module/kcache_kload", F_OK) && sh("rmmod kcache_kload"))
		TH_LOG("rmmod kcache_kload failed");
	kcache_destroy(self->ctl, self->name);
	close(self->fd);
	close(self->ctl);
}

static int open_rw(FIXTURE_DATA(lease) *self)
{
	return kcache_open(self->ctl, self->name, KCACHE_OPEN_RDWR);
}

/* A lease GET with a 64-byte buffer; returns the answer or -errno. */
static int lget(int fd, const char *key, char *buf, uint32_t *len, uint64_t wait_ns,
		uint64_t lease_ns, uint64_t *token)
{
	*len = 64;
	return kcache_get_or_lease(fd, key, strlen(key), buf, len, wait_ns, lease_ns, NULL,
				   token);
}

/* ---- 8 processes x 4 threads, one load per key ---- */

struct herd {
	pthread_barrier_t barrier;
	atomic_int loads[ROUNDS];
	atomic_int wrong;
	atomic_int errors;
};

struct herd_arg {
	struct herd *h;
	int fd;
	int round;
};

static int herd_loader(void *ctx, const void *key, uint32_t key_len, void **val,
		       uint32_t *val_len, uint64_t *ttl_ns)
{
	struct herd_arg *a = ctx;
	char *v = malloc(32);

	if (!v)
		return -ENOMEM;
	atomic_fetch_add(&a->h->loads[a->round], 1);
	usleep(50000);	/* slow enough that every caller arrives while it runs */
	*val_len = snprintf(v, 32, "value-%d", a->round);
	*val = v;
	return 0;
}

static void *herd_thread(void *p)
{
	struct herd_arg a = *(struct herd_arg *)p;
	char key[16], buf[64], want[32];
	uint32_t len;
	int r, ret;

	for (r = 0; r < ROUNDS; r++) {
		a.round = r;
		snprintf(key, sizeof(key), "herd-%d", r);
		snprintf(want, sizeof(want), "value-%d", r);
		pthread_barrier_wait(&a.h->barrier);
		len = sizeof(buf);
		ret = kcache_get_or_load(a.fd, key, strlen(key), buf, &len, 20 * SEC, 20 * SEC,
					 herd_loader, &a, NULL);
		if (ret)
			atomic_fetch_add(&a.h->errors, 1);
		else if (len != strlen(want) || memcmp(buf, want, len))
			atomic_fetch_add(&a.h->wrong, 1);
	}
	return NULL;
}

TEST_F_TIMEOUT(lease, many_processes_one_load_per_miss, 120)
{
	struct herd *h = shared(sizeof(*h));
	pthread_barrierattr_t ba;
	pid_t pids[NPROC];
	int i, r, st;

	ASSERT_NE(NULL, h);
	pthread_barrierattr_init(&ba);
	pthread_barrierattr_setpshared(&ba, PTHREAD_PROCESS_SHARED);
	ASSERT_EQ(0, pthread_barrier_init(&h->barrier, &ba, NPROC * NTHREAD));
	for (i = 0; i < NPROC; i++) {
		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (!pids[i]) {
			struct herd_arg a = { .h = h, .fd = open_rw(self) };
			pthread_t t[NTHREAD];
			int j;

			if (a.fd < 0)
				_exit(2);
			for (j = 0; j < NTHREAD; j++)
				pthread_create(&t[j], NULL, herd_thread, &a);
			for (j = 0; j < NTHREAD; j++)
				pthread_join(t[j], NULL);
			_exit(0);
		}
	}
	for (i = 0; i < NPROC; i++) {
		ASSERT_EQ(pids[i], waitpid(pids[i], &st, 0));
		ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	for (r = 0; r < ROUNDS; r++)
		EXPECT_EQ(1, atomic_load(&h->loads[r])) TH_LOG("key herd-%d", r);
	EXPECT_EQ(0, atomic_load(&h->errors));
	EXPECT_EQ(0, atomic_load(&h->wrong));
	munmap(h, sizeof(*h));
}

/* ---- the holder dies, closes its fd, or outlives its deadline ---- */

static bool sleeps_in_load_wait(int tid);

struct handover {
	atomic_int ready;
	atomic_int answer;
	atomic_ullong woke_ns;
	atomic_ullong token;
};

/* Plain GET latency of this run: the ratio's denominator. */
static uint64_t plain_get_ns(int fd)
{
	char buf[64];
	uint32_t len;
	uint64_t t0;
	int i, n = 2000;

	kcache_set(fd, "plain", 5, "p", 1, 0, 0, NULL);
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		len = sizeof(buf);
		kcache_get(fd, "plain", 5, buf, &len, NULL);
	}
	return (now_ns() - t0) / n;
}

TEST_F_TIMEOUT(lease, holder_sigkilled_waiter_gets_lease, 60)
{
	struct handover *s = shared(sizeof(*s));
	uint64_t token, t0, lat, plain;
	pid_t holder, waiter;
	char buf[64];
	uint32_t len;
	bool waited;
	int st;

	ASSERT_NE(NULL, s);
	holder = fork();
	ASSERT_LE(0, holder);
	if (!holder) {
		int fd = open_rw(self);

		if (lget(fd, "victim", buf, &len, 0, 0, &token) != KCACHE_GET_LOAD)
			_exit(2);
		atomic_store(&s->ready, 1);
		pause();
		_exit(0);
	}
	while (!atomic_load(&s->ready))
		usleep(1000);
	waiter = fork();
	ASSERT_LE(0, waiter);
	if (!waiter) {
		int fd = open_rw(self), ret;

		atomic_store(&s->ready, 2);
		ret = lget(fd, "victim", buf, &len, 20 * SEC, 0, &token);
		atomic_store(&s->woke_ns, now_ns());
		atomic_store(&s->answer, ret);
		if (ret == KCACHE_GET_LOAD)
			ret = kcache_lease_set(fd, "victim", 6, "saved", 5, token, 0, 0, NULL);
		_exit(ret ? 3 : 0);
	}
	while (atomic_load(&s->ready) != 2)
		usleep(1000);
	/* a waiter that came after the holder died would get a lease of its own */
	waited = sleeps_in_load_wait(waiter);
	if (!waited) {
		kill(waiter, SIGKILL);
		kill(holder, SIGKILL);
	}
	ASSERT_TRUE(waited) TH_LOG("the waiter did not wait");
	t0 = now_ns();
	kill(holder, SIGKILL);
	ASSERT_EQ(waiter, waitpid(waiter, &st, 0));
	ASSERT_EQ(holder, waitpid(holder, NULL, 0));
	EXPECT_EQ(KCACHE_GET_LOAD, atomic_load(&s->answer));
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	lat = atomic_load(&s->woke_ns) - t0;
	plain = plain_get_ns(self->fd);
	EXPECT_GT(HANDOVER_BOUND, lat);
	ksft_print_msg("handover after SIGKILL: %" PRIu64 " us; plain GET %" PRIu64
		       " ns; ratio %" PRIu64 "\n", lat / 1000, plain, plain ? lat / plain : 0);
	fflush(stdout);	/* the harness's child leaves with _exit() */
	len = sizeof(buf);
	ASSERT_EQ(0, kcache_get(self->fd, "victim", 6, buf, &len, NULL));
	EXPECT_EQ(0, memcmp(buf, "saved", 5));
	munmap(s, sizeof(*s));
}

/* a lease GET in a thread: its answer, and its thread id once it runs */
struct waitarg {
	int fd;
	const char *key;
	uint64_t wait_ns;
	uint64_t lease_ns;
	int answer;
	uint64_t token;
	uint64_t version;
	uint64_t woke_ns;
	atomic_int tid;
	atomic_int done;
	char buf[64];
	uint32_t len;
};

/*
 * Waits until @w's thread sleeps in the kernel's load wait; false after 20 s. A fixed
 * sleep is not enough on a loaded host: a waiter that came after the holder left would
 * get a lease of its own, not the answer the case checks.
 */
static bool waiting(struct waitarg *w)
{
	int i;

	for (i = 0; i < 20000 && !atomic_load(&w->tid); i++)
		usleep(1000);
	return sleeps_in_load_wait(atomic_load(&w->tid));
}

static void *wait_thread(void *p)
{
	struct waitarg *w = p;

	atomic_store(&w->tid, (int)syscall(SYS_gettid));
	w->len = sizeof(w->buf);
	w->answer = kcache_get_or_lease(w->fd, w->key, strlen(w->key), w->buf, &w->len,
					w->wait_ns, w->lease_ns, &w->version, &w->token);
	w->woke_ns = now_ns();
	atomic_store(&w->done, 1);
	return NULL;
}

TEST_F(lease, holder_closes_fd_hands_over)
{
	struct waitarg w = { .key = "closer", .wait_ns = 10 * SEC };
	int fd1 = open_rw(self);
	uint64_t token;
	pthread_t t;
	char buf[64];
	uint32_t len;

	ASSERT_LE(0, fd1);
	w.fd = open_rw(self);
	ASSERT_LE(0, w.fd);
	ASSERT_EQ(KCACHE_GET_LOAD, lget(fd1, "closer", buf, &len, 0, 0, &token));
	ASSERT_EQ(0, pthread_create(&t, NULL, wait_thread, &w));
	ASSERT_TRUE(waiting(&w));
	close(fd1);
	pthread_join(t, NULL);
	ASSERT_EQ(KCACHE_GET_LOAD, w.answer);
	EXPECT_NE(token, w.token);
	EXPECT_EQ(0, kcache_lease_set(w.fd, "closer", 6, "x", 1, w.token, 0, 0, NULL));
	close(w.fd);
}

/*
 * Waiters sleep until the deadline of the lease they saw. When the lease passes to one of
 * them with a shorter deadline, the other must see it: it takes over once that 300 ms
 * lease lapses, not when the first holder's 60 s one would have.
 */
TEST_F_TIMEOUT(lease, regranted_lease_deadline_reaches_waiters, 90)
{
	struct waitarg w[2] = {
		{ .key = "rg", .wait_ns = 40 * SEC, .lease_ns = 300 * MS },
		{ .key = "rg", .wait_ns = 40 * SEC, .lease_ns = 300 * MS },
	};
	int i, first, fd1 = open_rw(self);
	uint64_t token, t0;
	pthread_t t[2];
	char buf[64];
	uint32_t len;

	ASSERT_LE(0, fd1);
	ASSERT_EQ(KCACHE_GET_LOAD, lget(fd1, "rg", buf, &len, 0, 60 * SEC, &token));
	for (i = 0; i < 2; i++) {
		w[i].fd = open_rw(self);
		ASSERT_LE(0, w[i].fd);
		ASSERT_EQ(0, pthread_create(&t[i], NULL, wait_thread, &w[i]));
	}
	for (i = 0; i < 2; i++)
		ASSERT_TRUE(waiting(&w[i]));
	t0 = now_ns();
	close(fd1);
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	/* one got the lease from the closed fd and sits on it; the other took it over */
	ASSERT_EQ(KCACHE_GET_LOAD, w[0].answer);
	ASSERT_EQ(KCACHE_GET_LOAD, w[1].answer);
	first = w[0].woke_ns < w[1].woke_ns ? 0 : 1;
	EXPECT_LE(t0 + 300 * MS, w[!first].woke_ns);
	EXPECT_GT(t0 + 10 * SEC, w[!first].woke_ns);
	for (i = 0; i < 2; i++)
		close(w[i].fd);
}

TEST_F(lease, stale_and_foreign_tokens)
{
	int fd2 = open_rw(self);
	uint64_t token, t2;
	char buf[64];
	uint32_t len;

	ASSERT_LE(0, fd2);
	ASSERT_EQ(KCACHE_GET_LOAD, lget(self->fd, "tok", buf, &len, 0, 0, &token));
	ASSERT_NE(0, token);
	/* another fd cannot use it */
	EXPECT_EQ(-ESTALE, kcache_lease_set(fd2, "tok", 3, "f", 1, token, 0, 0, NULL));
	EXPECT_EQ(-ESTALE, kcache_lease_abort(fd2, token, 0));
	/* nor for another key */
	EXPECT_EQ(-ESTALE, kcache_lease_set(self->fd, "tik", 3, "f", 1, token, 0, 0, NULL));
	/* malformed */
	EXPECT_EQ(-EINVAL, kcache_lease_set(self->fd, "tok", 3, "f", 1, 0, 0, 0, NULL));
	EXPECT_EQ(-EINVAL, kcache_lease_set(self->fd, "tok", 3, "f", 1, token,
					    KCACHE_SETF_IF_ABSENT, 0, NULL));
	EXPECT_EQ(-EINVAL, kcache_lease_abort(self->fd, token, 1));
	/* errors a waiter could not be given: the kernel's own, and GET's -EINTR, -EMSGSIZE */
	EXPECT_EQ(-EINVAL, kcache_lease_abort(self->fd, token, -512));	/* ERESTARTSYS */
	EXPECT_EQ(-EINVAL, kcache_lease_abort(self->fd, token, -530));
	EXPECT_EQ(-EINVAL, kcache_lease_abort(self->fd, token, -EINTR));
	EXPECT_EQ(-EINVAL, kcache_lease_abort(self->fd, token, -EMSGSIZE));
	/* a plain SET completes the lease: the token is stale, nothing is stored with it */
	ASSERT_EQ(0, kcache_set(fd2, "tok", 3, "plain", 5, 0, 0, NULL));
	EXPECT_EQ(-ESTALE, kcache_lease_set(self->fd, "tok", 3, "late", 4, token, 0, 0, NULL));
	EXPECT_EQ(-ESTALE, kcache_lease_abort(self->fd, token, 0));
	len = sizeof(buf);
	ASSERT_EQ(0, kcache_get(self->fd, "tok", 3, buf, &len, NULL));
	EXPECT_EQ(0, memcmp(buf, "plain", 5));
	/* a DEL revokes a lease */
	ASSERT_EQ(0, kcache_del(fd2, "tok", 3));
	ASSERT_EQ(KCACHE_GET_LOAD, lget(self->fd, "tok", buf, &len, 0, 0, &t2));
	EXPECT_NE(token, t2);
	EXPECT_EQ(-ENOENT, kcache_del(fd2, "tok", 3));
	EXPECT_EQ(-ESTALE, kcache_lease_set(self->fd, "tok", 3, "old", 3, t2, 0, 0, NULL));
	len = sizeof(buf);
	EXPECT_EQ(-ENOENT, kcache_get(self->fd, "tok", 3, buf, &len, NULL));
	close(fd2);
}

/*
 * An INVALIDATE revokes the leases of the keys it covers, present or not: the holder's
 * value may predate it. Keys outside the prefix keep theirs.
 */
TEST_F(lease, invalidate_revokes_leases_of_absent_keys)
{
	uint64_t t1, t2, t3, removed = 1;
	char buf[64];
	uint32_t len;

	ASSERT_EQ(KCACHE_GET_LOAD, lget(self->fd, "p/absent", buf, &len, 0, 0, &t1));
	ASSERT_EQ(KCACHE_GET_LOAD, lget(self->fd, "q/absent", buf, &len, 0, 0, &t2));
	ASSERT_EQ(0, kcache_invalidate_prefix(self->fd, "p/", 2, &removed));
	EXPECT_EQ(0, removed);
	EXPECT_EQ(-ESTALE, kcache_lease_set(self->fd, "p/absent", 8, "old", 3, t1, 0, 0, NULL));
	EXPECT_EQ(0, kcache_lease_set(self->fd, "q/absent", 8, "kept", 4, t2, 0, 0, NULL));
	len = sizeof(buf);
	EXPECT_EQ(-ENOENT, kcache_get(self->fd, "p/absent", 8, buf, &len, NULL));
	/* and every key's, without a prefix */
	ASSERT_EQ(KCACHE_GET_LOAD, lget(self->fd, "r/absent", buf, &len, 0, 0, &t3));
	ASSERT_EQ(0, kcache_invalidate(self->fd, &removed));
	EXPECT_EQ(1, removed);	/* q/absent's stored value */
	EXPECT_EQ(-ESTALE, kcache_lease_set(self->fd, "r/absent", 8, "old", 3, t3, 0, 0, NULL));
	len = sizeof(buf);
	EXPECT_EQ(-ENOENT, kcache_get(self->fd, "r/absent", 8, buf, &len, NULL));
}

/*
 * A lease GET or MGET that cannot write back the token it granted gives the lease on at
 * once (-EFAULT), rather than leaving a lease nobody can complete to block the key's
 * callers until its deadline. A GET struct of the first size has no token field: a lease
 * GET with it is refused.
 */
TEST_F(lease, lease_lost_in_copy_out_is_given_on)
{
	long page = sysconf(_SC_PAGESIZE);
	struct kcache_batch_item items[2] = {
		{ .key_len = 2 }, { .key_len = 2 },
	};
	struct kcache_get_args *ro;
	uint64_t token, *tokens;
	char buf[64], vals[16];
	uint32_t len, done;
	char *map;

	map = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	ro = (void *)map;
	*ro = (struct kcache_get_args){
		.size = sizeof(*ro), .flags = KCACHE_GETF_LEASE, .key = (uintptr_t)"ro",
		.key_len = 2, .val = (uintptr_t)buf, .val_len = sizeof(buf),
	};
	ASSERT_EQ(0, mprotect(map, page, PROT_READ));
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_GET, ro));
	ASSERT_EQ(EFAULT, errno);
	/* given on: the next lease GET, without waiting, gets the lease */
	ASSERT_EQ(KCACHE_GET_LOAD, lget(self->fd, "ro", buf, &len, 0, 0, &token));
	ASSERT_EQ(0, kcache_lease_abort(self->fd, token, 0));

	/* MGET: tokens not writable */
	tokens = (uint64_t *)map;
	EXPECT_EQ(-EFAULT, kcache_mget_lease(self->fd, items, 2, "m1m2", vals, sizeof(vals),
					     tokens, 0, &done));
	ASSERT_EQ(KCACHE_GET_LOAD, lget(self->fd, "m1", buf, &len, 0, 0, &token));
	ASSERT_EQ(0, kcache_lease_abort(self->fd, token, 0));
	ASSERT_EQ(KCACHE_GET_LOAD, lget(self->fd, "m2", buf, &len, 0, 0, &token));
	ASSERT_EQ(0, kcache_lease_abort(self->fd, token, 0));

	/* the first size of the struct has no token field */
	ASSERT_EQ(0, mprotect(map, page, PROT_READ | PROT_WRITE));
	ro->size = KCACHE_GET_ARGS_SIZE_VER0;
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_GET, ro));
	ASSERT_EQ(EINVAL, errno);
	munmap(map, page);
}

/*
 * A refresh lease granted to a GET whose stale value cannot be copied out (-EFAULT) is
 * given on at once, as a miss's lease lost with the struct is: kept, every other caller
 * would be answered STALE, and nobody would refresh, until its deadline.
 */
TEST_F(lease, refresh_lease_lost_in_copy_out_is_given_on)
{
	uint64_t refresh = 60 * SEC, lease = 5 * SEC, token = 0;
	long page = sysconf(_SC_PAGESIZE);
	struct kcache_load_counters lc;
	uint32_t len = 64;
	char buf[64];
	char *ro;

	ASSERT_EQ(0, kcache_load_config(self->fd, &refresh, &lease, 1));
	/* 30 s TTL inside a 60 s margin: stale from the start */
	ASSERT_EQ(0, kcache_set(self->fd, "rf", 2, "old", 3, KCACHE_SETF_TTL, 30 * SEC, NULL));
	ro = mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	EXPECT_EQ(-EFAULT, kcache_get_or_lease(self->fd, "rf", 2, ro, &len, 0, 0, NULL,
					       &token));
	ASSERT_EQ(0, kcache_load_stats(self->fd, &lc));
	EXPECT_EQ(1, lc.loads_started);
	EXPECT_EQ(0, lc.in_flight);
	/* given on: the next caller, without waiting, holds the refresh */
	ASSERT_EQ(KCACHE_GET_REFRESH, lget(self->fd, "rf", buf, &len, 0, 0, &token));
	EXPECT_EQ(3, len);
	EXPECT_NE(0, token);
	ASSERT_EQ(0, kcache_load_stats(self->fd, &lc));
	EXPECT_EQ(2, lc.loads_started);
	EXPECT_EQ(1, lc.in_flight);
	EXPECT_EQ(0, kcache_lease_set(self->fd, "rf", 2, "new", 3, token, KCACHE_SETF_TTL,
				      30 * SEC, NULL));
	ASSERT_EQ(0, kcache_load_stats(self->fd, &lc));
	EXPECT_EQ(0, lc.in_flight);
	munmap(ro, page);
}

TEST_F(lease, plain_ops_reject_lease_fields)
{
	struct kcache_set_args a = { .size = sizeof(a), .key = (uintptr_t)"k", .key_len = 1,
				     .token = 5 };
	struct kcache_get_args g = { .size = sizeof(g), .key = (uintptr_t)"k", .key_len = 1,
				     .wait_ns = 1 };
	struct kcache_mget_args m = { .size = sizeof(m), .lease_ns = 1 };

	EXPECT_EQ(-1, ioctl(self->fd, KCACHE_IOC_SET, &a));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(self->fd, KCACHE_IOC_GET, &g));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(self->fd, KCACHE_IOC_MGET, &m));
	EXPECT_EQ(EINVAL, errno);
	/* a lease MGET needs its token array */
	m.flags = KCACHE_MGETF_LEASE;
	m.lease_ns = 0;
	EXPECT_EQ(-1, ioctl(self->fd, KCACHE_IOC_MGET, &m));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(lease, readonly_fd_gets_no_lease)
{
	int ro = kcache_open(self->ctl, self->name, KCACHE_OPEN_READ);
	char buf[64];
	uint32_t len;

	ASSERT_LE(0, ro);
	EXPECT_EQ(-EBADF, lget(ro, "ro", buf, &len, 0, 0, NULL));
	EXPECT_EQ(-EBADF, kcache_lease_abort(ro, 1, 0));
	close(ro);
}

TEST_F(lease, lease_deadline_passes_to_waiter)
{
	struct waitarg w = { .key = "dl", .wait_ns = 10 * SEC };
	struct kcache_load_counters lc;
	uint64_t token, t0;
	pthread_t t;
	char buf[64];
	uint32_t len;

	w.fd = open_rw(self);
	ASSERT_LE(0, w.fd);
	t0 = now_ns();
	ASSERT_EQ(KCACHE_GET_LOAD, lget(self->fd, "dl", buf, &len, 0, 300 * MS, &token));
	ASSERT_EQ(0, pthread_create(&t, NULL, wait_thread, &w));
	pthread_join(t, NULL);
	ASSERT_EQ(KCACHE_GET_LOAD, w.answer);
	EXPECT_LE(t0 + 300 * MS, w.woke_ns);
	EXPECT_EQ(-ESTALE, kcache_lease_set(self->fd, "dl", 2, "late", 4, token, 0, 0, NULL));
	EXPECT_EQ(0, kcache_lease_set(w.fd, "dl", 2, "new", 3, w.token, 0, 0, NULL));
	ASSERT_EQ(0, kcache_load_stats(self->fd, &lc));
	EXPECT_EQ(1, lc.leases_expired);
	EXPECT_EQ(2, lc.loads_started);
	EXPECT_EQ(1, lc.loads_succeeded);
	EXPECT_EQ(0, lc.in_flight);
	close(w.fd);
}

/* A lease past its deadline is over even if nobody took it over: SET and ABORT refuse it. */
TEST_F(lease, expired_lease_refused_before_takeover)
{
	uint64_t token, t2;
	char buf[64];
	uint32_t len;

	ASSERT_EQ(KCACHE_GET_LOAD, lget(self->fd, "ex", buf, &len, 0, 100 * MS, &token));
	usleep(300000);
	EXPECT_EQ(-ESTALE, kcache_lease_set(self->fd, "ex", 2, "late", 4, token, 0, 0, NULL));
	EXPECT_EQ(-ESTALE, kcache_lease_abort(self->fd, token, 0));
	len = sizeof(buf);
	EXPECT_EQ(-ENOENT, kcache_get(self->fd, "ex", 2, buf, &len, NULL));
	/* the next caller takes it over */
	ASSERT_EQ(KCACHE_GET_LOAD, lget(self->fd, "ex", buf, &len, 0, 0, &t2));
	EXPECT_NE(token, t2);
	EXPECT_EQ(0, kcache_lease_set(self->fd, "ex", 2, "new", 3, t2, 0, 0, NULL));
}

/*
 * Expired leases nobody takes over end without a caller of their key: the holder's
 * refused ABORT or SET ends its own, and the fd's next lease GET ends the rest. Left in
 * place, a holder that never completes its short leases would pile records up for every
 * SET and DEL of their stripes to scan.
 */
TEST_F(lease, expired_leases_end_without_their_key)
{
	enum { N = 64 };
	struct kcache_load_counters lc;
	uint64_t tokens[N], token;
	char key[16], buf[64];
	uint32_t len;
	int i;

	for (i = 0; i < N; i++) {
		snprintf(key, sizeof(key), "xp%d", i);
		/* long enough for the loop on a slow debug VM: none ends before the check */
		ASSERT_EQ(KCACHE_GET_LOAD, lget(self->fd, key, buf, &len, 0, 2 * SEC, &tokens[i]));
	}
	ASSERT_EQ(0, kcache_load_stats(self->fd, &lc));
	EXPECT_EQ(N, lc.in_flight);
	usleep(2100000);
	/* the holder's own refused ABORT and SET end their lease */
	EXPECT_EQ(-ESTALE, kcache_lease_abort(self->fd, tokens[0], 0));
	ASSERT_EQ(0, kcache_load_stats(self->fd, &lc));
	EXPECT_EQ(N - 1, lc.in_flight);
	EXPECT_EQ(-ESTALE, kcache_lease_set(self->fd, "xp1", 3, "late", 4, tokens[1], 0, 0,
					    NULL));
	ASSERT_EQ(0, kcache_load_stats(self->fd, &lc));
	EXPECT_EQ(N - 2, lc.in_flight);
	EXPECT_EQ(2, lc.leases_expired);
	/* the fd's next lease GET, of another key, ends every other one */
	ASSERT_EQ(KCACHE_GET_LOAD, lget(self->fd, "xp-next", buf, &len, 0, 0, &token));
	ASSERT_EQ(0, kcache_load_stats(self->fd, &lc));
	EXPECT_EQ(1, lc.in_flight);
	EXPECT_EQ(N, lc.leases_expired);
	EXPECT_EQ(0, kcache_lease_abort(self->fd, token, 0));
	ASSERT_EQ(0, kcache_load_stats(self->fd, &lc));
	EXPECT_EQ(0, lc.in_flight);
	/* ended, not taken over: the keys load afresh */
	EXPECT_EQ(-ESTALE, kcache_lease_abort(self->fd, tokens[2], 0));
	ASSERT_EQ(KCACHE_GET_LOAD, lget(self->fd, "xp2", buf, &len, 0, 0, &token));
	EXPECT_EQ(0, kcache_lease_abort(self->fd, token, 0));
}

/*
 * One fd holds at most KCACHE_LEASES_PER_FD_MAX leases: one more is refused with ENOSPC
 * (an MGET item gets -ENOSPC), other fds are not affected, and a lease ended frees a slot.
 */
TEST_F_TIMEOUT(lease, leases_per_fd_bounded_enospc, 120)
{
	enum { B = KCACHE_BATCH_MAX };
	struct kcache_batch_item it[B];
	struct kcache_load_counters lc;
	static uint64_t tokens[KCACHE_LEASES_PER_FD_MAX];
	char keys[B * 4 + 1], buf[64];
	uint64_t refresh = 60 * SEC, lease = 10 * SEC, token, t1;
	uint32_t done, len;
	int fd2 = open_rw(self);
	int i, j;

	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, KCACHE_LEASES_PER_FD_MAX % B);
	for (i = 0; i < KCACHE_LEASES_PER_FD_MAX / B; i++) {
		for (j = 0; j < B; j++) {
			snprintf(keys + j * 4, 5, "%04x", i * B + j);
			it[j] = (struct kcache_batch_item){ .key_len = 4 };
		}
		/* the longest lease: none may end, however slow the VM, before the checks */
		ASSERT_EQ(0, kcache_mget_lease(self->fd, it, B, keys, buf, sizeof(buf),
					       tokens + i * B, KCACHE_LEASE_NS_MAX, &done));
		for (j = 0; j < B; j++)
			ASSERT_EQ(KCACHE_GET_LOAD, it[j].status);
	}
	ASSERT_EQ(0, kcache_load_stats(self->fd, &lc));
	EXPECT_EQ(KCACHE_LEASES_PER_FD_MAX, lc.in_flight);
	EXPECT_EQ(-ENOSPC, lget(self->fd, "one-more", buf, &len, 0, 0, &token));
	it[0] = (struct kcache_batch_item){ .key_len = 8 };
	t1 = 1;
	ASSERT_EQ(0, kcache_mget_lease(self->fd, it, 1, "one-more", buf, sizeof(buf), &t1, 0,
				       &done));
	EXPECT_EQ(-ENOSPC, it[0].status);
	EXPECT_EQ(0, t1);
	/* a stale value's refresh lease counts too: nothing copied */
	ASSERT_EQ(0, kcache_load_config(self->fd, &refresh, &lease, 1));
	ASSERT_EQ(0, kcache_set(self->fd, "st", 2, "v", 1, KCACHE_SETF_TTL, 30 * SEC, NULL));
	len = sizeof(buf);
	buf[0] = 0;
	EXPECT_EQ(-ENOSPC, kcache_get_or_lease(self->fd, "st", 2, buf, &len, 0, 0, NULL,
					       &token));
	EXPECT_EQ(0, buf[0]);
	/* another fd has its own bound */
	ASSERT_EQ(KCACHE_GET_LOAD, lget(fd2, "one-more", buf, &len, 0, 0, &t1));
	EXPECT_EQ(0, kcache_lease_abort(fd2, t1, 0));
	/* a lease ended frees its slot */
	EXPECT_EQ(0, kcache_lease_abort(self->fd, tokens[0], 0));
	ASSERT_EQ(KCACHE_GET_LOAD, lget(self->fd, "one-more", buf, &len, 0, 0, &token));
	EXPECT_EQ(-ENOSPC, lget(self->fd, "two-more", buf, &len, 0, 0, &t1));
	EXPECT_EQ(0, kcache_lease_set(self->fd, "one-more", 8, "v", 1, token, 0, 0, NULL));
	ASSERT_EQ(0, kcache_load_stats(self->fd, &lc));
	EXPECT_EQ(KCACHE_LEASES_PER_FD_MAX - 1, lc.in_flight);
	close(fd2);
}

TEST_F(lease, wait_bounded_etimedout)
{
	int fd2 = open_rw(self);
	uint64_t token, t0;
	char buf[64];
	uint32_t len;

	ASSERT_LE(0, fd2);
	ASSERT_EQ(KCACHE_GET_LOAD, lget(self->fd, "busy", buf, &len, 0, 0, &token));
	EXPECT_EQ(-ETIMEDOUT, lget(fd2, "busy", buf, &len, 0, 0, NULL));
	t0 = now_ns();
	EXPECT_EQ(-ETIMEDOUT, lget(fd2, "busy", buf, &len, 200 * MS, 0, NULL));
	EXPECT_LE(t0 + 200 * MS, now_ns());
	EXPECT_EQ(-E2BIG, lget(fd2, "busy", buf, &len, 0, KCACHE_LEASE_NS_MAX + 1, NULL));
	close(fd2);
}

TEST_F(lease, abort_with_error_fails_waiters_abort_zero_hands_over)
{
	struct waitarg w = { .key = "ab", .wait_ns = 10 * SEC };
	uint64_t token;
	pthread_t t;
	char buf[64];
	uint32_t len;

	w.fd = open_rw(self);
	ASSERT_LE(0, w.fd);
	ASSERT_EQ(KCACHE_GET_LOAD, lget(self->fd, "ab", buf, &len, 0, 0, &token));
	ASSERT_EQ(0, pthread_create(&t, NULL, wait_thread, &w));
	ASSERT_TRUE(waiting(&w));
	ASSERT_EQ(0, kcache_lease_abort(self->fd, token, -EHOSTDOWN));
	pthread_join(t, NULL);
	EXPECT_EQ(-EHOSTDOWN, w.answer);
	/* not cached: loads again */
	ASSERT_EQ(KCACHE_GET_LOAD, lget(self->fd, "ab", buf, &len, 0, 0, &token));
	atomic_store(&w.tid, 0);
	ASSERT_EQ(0, pthread_create(&t, NULL, wait_thread, &w));
	ASSERT_TRUE(waiting(&w));
	ASSERT_EQ(0, kcache_lease_abort(self->fd, token, 0));
	pthread_join(t, NULL);
	EXPECT_EQ(KCACHE_GET_LOAD, w.answer);
	EXPECT_EQ(0, kcache_lease_abort(w.fd, w.token, 0));
	close(w.fd);
}

static int eintr_loader(void *ctx, const void *key, uint32_t key_len, void **val,
			uint32_t *val_len, uint64_t *ttl_ns)
{
	return *(int *)ctx;
}

/*
 * A loader's own -EINTR (or -EMSGSIZE, or a restart code) is not an error the kernel
 * passes to waiters: kcache_get_or_load() still ends the lease (-EINTR hands it on, the
 * others end as -EIO). Left held, the next caller of the key would wait for its deadline
 * (10 s) and get -ETIMEDOUT.
 */
TEST_F(lease, loader_own_errors_still_end_the_lease)
{
	static const int errs[] = { -EINTR, -EMSGSIZE, -512, -ENOENT };
	uint64_t token, t0;
	char buf[64];
	uint32_t len;
	unsigned int i;
	int fd2, err;

	fd2 = open_rw(self);
	ASSERT_LE(0, fd2);
	for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		err = errs[i];
		len = sizeof(buf);
		EXPECT_EQ(err == -ENOENT || err == -EINTR ? err : -EIO,
			  kcache_get_or_load(self->fd, "ei", 2, buf, &len, 0, 0, eintr_loader,
					     &err, NULL));
		/* the key loads again at once, from another fd: no lease left behind */
		t0 = now_ns();
		ASSERT_EQ(KCACHE_GET_LOAD, lget(fd2, "ei", buf, &len, 1 * SEC, 0, &token));
		EXPECT_LT(now_ns() - t0, SEC / 2);
		ASSERT_EQ(0, kcache_lease_abort(fd2, token, 0));
	}
	close(fd2);
}

TEST_F(lease, mget_leases_some_held_elsewhere)
{
	struct kcache_batch_item it[4] = {
		{ .key_len = 1 }, { .key_len = 1 }, { .key_len = 1 }, { .key_len = 1 } };
	uint64_t tokens[4] = { 0 }, tb;
	int fd2 = open_rw(self);
	char vals[64], buf[64];
	uint32_t done = 0, len;

	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, kcache_set(self->fd, "a", 1, "AA", 2, 0, 0, NULL));
	ASSERT_EQ(KCACHE_GET_LOAD, lget(fd2, "b", buf, &len, 0, 0, &tb));
	ASSERT_EQ(0, kcache_mget_lease(self->fd, it, 4, "abcd", vals, sizeof(vals), tokens, 0,
				       &done));
	EXPECT_EQ(1, done);
	EXPECT_EQ(KCACHE_GET_HIT, it[0].status);
	EXPECT_EQ(2, it[0].val_len);
	EXPECT_EQ(0, memcmp(vals + it[0].val_off, "AA", 2));
	EXPECT_EQ(0, tokens[0]);
	EXPECT_EQ(-EINPROGRESS, it[1].status);
	EXPECT_EQ(0, tokens[1]);
	EXPECT_EQ(KCACHE_GET_LOAD, it[2].status);
	EXPECT_EQ(KCACHE_GET_LOAD, it[3].status);
	EXPECT_NE(0, tokens[2]);
	EXPECT_NE(0, tokens[3]);
	EXPECT_NE(tokens[2], tokens[3]);
	/* each lease is completed on its own */
	EXPECT_EQ(0, kcache_lease_set(self->fd, "c", 1, "CC", 2, tokens[2], 0, 0, NULL));
	EXPECT_EQ(0, kcache_lease_abort(self->fd, tokens[3], 0));
	EXPECT_EQ(0, kcache_lease_set(fd2, "b", 1, "BB", 2, tb, 0, 0, NULL));
	ASSERT_EQ(0, kcache_mget_lease(self->fd, it, 4, "abcd", vals, sizeof(vals), tokens, 0,
				       &done));
	EXPECT_EQ(3, done);
	EXPECT_EQ(KCACHE_GET_LOAD, it[3].status);
	close(fd2);
}

/* ---- refresh ahead ---- */

/* How many of the refresh-ahead case's processes got their answer */
static int answered(atomic_int *answers)
{
	int i, n = 0;

	for (i = 0; i < 4; i++)
		n += atomic_load(&answers[i]);
	return n;
}

TEST_F(lease, refresh_ahead_one_refresh_lease_readers_stale)
{
	atomic_int *answers = shared(4 * sizeof(atomic_int));
	uint64_t refresh = 60 * SEC, lease = 5 * SEC, token = 0;
	pid_t pids[NPROC];
	char buf[64];
	uint32_t len;
	int i, st;

	ASSERT_NE(NULL, answers);
	ASSERT_EQ(0, kcache_load_config(self->fd, &refresh, &lease, 1));
	/* 30 s TTL inside a 60 s margin: stale from the start, live through the test */
	ASSERT_EQ(0, kcache_set(self->fd, "sw", 2, "old", 3, KCACHE_SETF_TTL, 30 * SEC, NULL));
	len = sizeof(buf);
	ASSERT_EQ(0, kcache_get(self->fd, "sw", 2, buf, &len, NULL));	/* plain: a hit */
	for (i = 0; i < NPROC; i++) {
		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (!pids[i]) {
			int fd = open_rw(self), a, j;

			a = lget(fd, "sw", buf, &len, 0, 0, &token);
			if (a < 0 || a > 3)
				_exit(2);
			atomic_fetch_add(&answers[a], 1);
			if (len != 3 || memcmp(buf, "old", 3))
				_exit(3);
			/*
			 * The refresher keeps its lease (and fd) until every other process
			 * got its answer: one that came after the new value would read it.
			 */
			if (a == KCACHE_GET_REFRESH) {
				for (j = 0; j < 20000 && answered(answers) < NPROC; j++)
					usleep(1000);
				a = kcache_lease_set(fd, "sw", 2, "new", 3, token,
						     KCACHE_SETF_TTL, 30 * SEC, NULL);
				_exit(a ? 4 : 0);
			}
			_exit(0);
		}
	}
	for (i = 0; i < NPROC; i++) {
		ASSERT_EQ(pids[i], waitpid(pids[i], &st, 0));
		EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	EXPECT_EQ(1, atomic_load(&answers[KCACHE_GET_REFRESH]));
	EXPECT_EQ(NPROC - 1, atomic_load(&answers[KCACHE_GET_STALE]));
	EXPECT_EQ(0, atomic_load(&answers[KCACHE_GET_LOAD]));
	len = sizeof(buf);
	ASSERT_EQ(0, kcache_get(self->fd, "sw", 2, buf, &len, NULL));
	EXPECT_EQ(0, memcmp(buf, "new", 3));
	munmap(answers, 4 * sizeof(atomic_int));
}

TEST_F(lease, destroy_wakes_waiters_eshutdown)
{
	struct waitarg w = { .key = "ds", .wait_ns = 10 * SEC };
	uint64_t token;
	pthread_t t;
	char buf[64];
	uint32_t len;

	w.fd = open_rw(self);
	ASSERT_LE(0, w.fd);
	ASSERT_EQ(KCACHE_GET_LOAD, lget(self->fd, "ds", buf, &len, 0, 0, &token));
	ASSERT_EQ(0, pthread_create(&t, NULL, wait_thread, &w));
	ASSERT_TRUE(waiting(&w));
	ASSERT_EQ(0, kcache_destroy(self->ctl, self->name));
	pthread_join(t, NULL);
	EXPECT_EQ(-ESHUTDOWN, w.answer);
	EXPECT_EQ(-ESHUTDOWN, kcache_lease_set(self->fd, "ds", 2, "x", 1, token, 0, 0, NULL));
	close(w.fd);
}

/* ---- a process waits on an in-kernel load (selftests/kload/kcache_kload.c) ---- */

#define KLOAD_KO	"/lib/modules/kcache/test/kcache_kload.ko"
#define KLOAD_PARAMS	"/sys/module/kcache_kload/parameters/"
#define KLOAD_VAL	"kernel-value"

/* The first line of a file (without its newline), or "" */
static const char *read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	buf[0] = 0;
	if (f) {
		if (!fgets(buf, len, f))
			buf[0] = 0;
		fclose(f);
	}
	buf[strcspn(buf, "\n")] = 0;
	return buf;
}

static int write_param(const char *name, const char *v)
{
	char path[128];
	FILE *f;
	int ret;

	snprintf(path, sizeof(path), KLOAD_PARAMS "%s", name);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	ret = fputs(v, f) < 0 ? -EIO : 0;
	return fclose(f) ? -errno : ret;
}

static const char *kload_result(char *buf, size_t len)
{
	return read_line(KLOAD_PARAMS "result", buf, len);
}

/*
 * Waits until thread @tid sleeps in kcache_load_wait(); false after 20 s. /proc/<tid>
 * works for a thread of this process and for another process alike.
 */
static bool sleeps_in_load_wait(int tid)
{
	char path[64], buf[64];
	int i;

	snprintf(path, sizeof(path), "/proc/%d/wchan", tid);
	for (i = 0; i < 2000; i++) {
		if (!strcmp(read_line(path, buf, sizeof(buf)), "kcache_load_wait"))
			return true;
		usleep(10000);
	}
	return false;
}

/**
 * struct waited_loader - a loader that fails once a process waits for its key
 * @w: the waiting process's lease GET
 * @t: its thread
 * @err: the loader's error
 * @started: @t was created
 * @waited: @t slept in the kernel's load wait before the loader failed
 */
struct waited_loader {
	struct waitarg w;
	pthread_t t;
	int err;
	bool started;
	bool waited;
};

static int waited_loader_fn(void *ctx, const void *key, uint32_t key_len, void **val,
			    uint32_t *val_len, uint64_t *ttl_ns)
{
	struct waited_loader *l = ctx;
	int i;

	if (pthread_create(&l->t, NULL, wait_thread, &l->w))
		return -ENOENT;
	l->started = true;
	for (i = 0; i < 2000 && !atomic_load(&l->w.tid); i++)
		usleep(1000);
	l->waited = sleeps_in_load_wait(atomic_load(&l->w.tid));
	return l->err;
}

/*
 * A loader interrupted by a signal (-EINTR) fails its own caller alone: the process
 * waiting for the key was not interrupted, and gets the lease to load in its turn rather
 * than an error (it got -EIO). A loader's -EAGAIN ("try again") reaches the waiter as it
 * is: handed on, it could go back to its caller retrying before the waiter woke.
 */
TEST_F_TIMEOUT(lease, loader_interrupted_hands_lease_to_waiter, 90)
{
	static const int errs[] = { -EINTR, -EAGAIN };
	struct waited_loader l;
	char buf[64];
	uint32_t len;
	unsigned int i;

	for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		memset(&l, 0, sizeof(l));
		l.err = errs[i];
		l.w.key = "wi";
		l.w.wait_ns = 20 * SEC;
		l.w.fd = open_rw(self);
		ASSERT_LE(0, l.w.fd);
		len = sizeof(buf);
		EXPECT_EQ(errs[i], kcache_get_or_load(self->fd, "wi", 2, buf, &len, 0, 0,
						      waited_loader_fn, &l, NULL));
		ASSERT_TRUE(l.started);
		pthread_join(l.t, NULL);
		EXPECT_TRUE(l.waited);
		if (errs[i] == -EINTR) {
			EXPECT_EQ(KCACHE_GET_LOAD, l.w.answer);
			EXPECT_EQ(0, kcache_lease_abort(l.w.fd, l.w.token, 0));
		} else {
			EXPECT_EQ(-EAGAIN, l.w.answer);
		}
		close(l.w.fd);
	}
}

struct destroyer {
	int ctl;
	const char *name;
	int ret;
	atomic_int done;
};

static void *destroy_thread(void *p)
{
	struct destroyer *d = p;

	d->ret = kcache_destroy(d->ctl, d->name);
	atomic_store(&d->done, 1);
	return NULL;
}

enum kload_end { KLOAD_STORED, KLOAD_DELETED, KLOAD_DESTROYED };

/*
 * A kernel caller loads "kk" and blocks in its loader; a process's lease GET of "kk" waits
 * for that load rather than taking a lease. Then the load ends as @end says.
 */
static void kload_case(struct __test_metadata *_metadata, FIXTURE_DATA(lease) *self,
		       enum kload_end end)
{
	struct destroyer d = { .ctl = self->ctl, .name = self->name };
	struct kcache_load_counters lc;
	struct waitarg w = { .key = "kk", .wait_ns = 30 * SEC };
	char res[128], buf[64];
	uint64_t version = 0;
	pthread_t t, td;
	uint32_t len;
	int i;

	if (access(KLOAD_KO, R_OK))
		SKIP(return, "%s: not built (KCACHE_TESTS=y builds it)", KLOAD_KO);
	ASSERT_EQ(0, sh("insmod " KLOAD_KO " cache=%s key=kk val=" KLOAD_VAL, self->name));
	/* insmod returned: the loader runs and blocks */
	ASSERT_STREQ("running", kload_result(res, sizeof(res)));
	w.fd = open_rw(self);
	ASSERT_LE(0, w.fd);
	ASSERT_EQ(0, pthread_create(&t, NULL, wait_thread, &w));
	for (i = 0; i < 2000 && !atomic_load(&w.tid); i++)
		usleep(1000);
	ASSERT_TRUE(sleeps_in_load_wait(atomic_load(&w.tid)));

	switch (end) {
	case KLOAD_STORED:
		ASSERT_EQ(0, write_param("release", "1"));
		break;
	case KLOAD_DELETED:
		/* revokes the load: it runs on, its value goes to everyone unstored */
		EXPECT_EQ(-ENOENT, kcache_del(self->fd, "kk", 2));
		usleep(200000);
		EXPECT_EQ(0, atomic_load(&w.done));
		ASSERT_EQ(0, write_param("release", "1"));
		break;
	case KLOAD_DESTROYED:
		/* destroy wakes the waiter at once; it waits for the kernel caller's load */
		ASSERT_EQ(0, pthread_create(&td, NULL, destroy_thread, &d));
		for (i = 0; i < 1000 && !atomic_load(&w.done); i++)
			usleep(10000);
		EXPECT_EQ(1, atomic_load(&w.done));
		EXPECT_STREQ("running", kload_result(res, sizeof(res)));
		/* the kernel caller holds an operation reference: destroy still waits */
		EXPECT_EQ(0, atomic_load(&d.done));
		ASSERT_EQ(0, write_param("release", "1"));
		pthread_join(td, NULL);
		EXPECT_EQ(0, d.ret);
		break;
	}
	pthread_join(t, NULL);
	for (i = 0; i < 2000 && !strcmp(kload_result(res, sizeof(res)), "running"); i++)
		usleep(10000);

	if (end == KLOAD_DESTROYED) {
		EXPECT_EQ(-ESHUTDOWN, w.answer);
		/* the kernel caller's store failed: it gets the error too */
		EXPECT_EQ(-ESHUTDOWN, atoi(res));
		close(w.fd);
		ASSERT_EQ(0, sh("rmmod kcache_kload"));
		return;
	}
	/* a value, not a lease: the waiter gets what the kernel's loader returned */
	EXPECT_EQ(0, w.answer);
	EXPECT_EQ(0, w.token);
	EXPECT_EQ(strlen(KLOAD_VAL), w.len);
	EXPECT_EQ(0, memcmp(w.buf, KLOAD_VAL, strlen(KLOAD_VAL)));
	len = sizeof(buf);
	if (end == KLOAD_STORED) {
		/* stored: the entry's version, to the waiter and to the kernel caller */
		EXPECT_NE(0, w.version);
		ASSERT_EQ(0, kcache_get(self->fd, "kk", 2, buf, &len, &version));
		EXPECT_EQ(w.version, version);
	} else {
		/* not stored: version 0, and nothing to read */
		EXPECT_EQ(0, w.version);
		EXPECT_EQ(-ENOENT, kcache_get(self->fd, "kk", 2, buf, &len, NULL));
	}
	snprintf(buf, sizeof(buf), "0 %zu %" PRIu64 " " KLOAD_VAL, strlen(KLOAD_VAL), version);
	EXPECT_STREQ(buf, res);
	ASSERT_EQ(0, kcache_load_stats(self->fd, &lc));
	EXPECT_EQ(1, lc.loads_started);
	EXPECT_EQ(end == KLOAD_STORED, lc.loads_succeeded);
	EXPECT_EQ(end == KLOAD_DELETED, lc.leases_revoked);
	EXPECT_EQ(1, lc.waiters_served);
	EXPECT_EQ(0, lc.in_flight);
	close(w.fd);
	ASSERT_EQ(0, sh("rmmod kcache_kload"));
}

TEST_F_TIMEOUT(lease, waiter_of_kernel_load_gets_stored_value, 120)
{
	kload_case(_metadata, self, KLOAD_STORED);
}

TEST_F_TIMEOUT(lease, waiter_of_revoked_kernel_load_gets_unstored_value, 120)
{
	kload_case(_metadata, self, KLOAD_DELETED);
}

TEST_F_TIMEOUT(lease, destroy_during_kernel_load_wakes_process_waiter, 120)
{
	kload_case(_metadata, self, KLOAD_DESTROYED);
}

/*
 * An in-kernel loader may fail with a code of the kernel's own (-ERESTARTSYS: a loader that
 * sleeps interruptibly in a process with a signal pending) or one whose answer to a GET
 * means something else (-EMSGSIZE: "your buffer is too small", with the length set). A
 * process waiting for that load must not get it, as LEASE_ABORT refuses to give it. A
 * restart code or -EINTR tells of the loading task alone: the kernel caller gets
 * it and the waiter the lease (it was not interrupted); any other such error becomes -EIO
 * for both.
 */
static void kload_fails(struct __test_metadata *_metadata, FIXTURE_DATA(lease) *self,
			int err)
{
	struct waitarg w = { .key = "kf", .wait_ns = 30 * SEC };
	char res[128];
	pthread_t t;
	int i;

	if (access(KLOAD_KO, R_OK))
		SKIP(return, "%s: not built (KCACHE_TESTS=y builds it)", KLOAD_KO);
	ASSERT_EQ(0, sh("insmod " KLOAD_KO " cache=%s key=kf val=x err=%d", self->name, err));
	ASSERT_STREQ("running", kload_result(res, sizeof(res)));
	w.fd = open_rw(self);
	ASSERT_LE(0, w.fd);
	ASSERT_EQ(0, pthread_create(&t, NULL, wait_thread, &w));
	for (i = 0; i < 2000 && !atomic_load(&w.tid); i++)
		usleep(1000);
	ASSERT_TRUE(sleeps_in_load_wait(atomic_load(&w.tid)));
	ASSERT_EQ(0, write_param("release", "1"));
	pthread_join(t, NULL);
	for (i = 0; i < 2000 && !strcmp(kload_result(res, sizeof(res)), "running"); i++)
		usleep(10000);
	if (err == -EMSGSIZE) {
		EXPECT_EQ(-EIO, w.answer);
		EXPECT_EQ(-EIO, atoi(res));
	} else {
		EXPECT_EQ(err, atoi(res));
		ASSERT_EQ(KCACHE_GET_LOAD, w.answer);
		EXPECT_NE(0, w.token);
		EXPECT_EQ(0, kcache_lease_set(w.fd, "kf", 2, "y", 1, w.token, 0, 0, NULL));
	}
	close(w.fd);
	ASSERT_EQ(0, sh("rmmod kcache_kload"));
}

TEST_F_TIMEOUT(lease, kernel_loader_restart_code_reaches_no_process, 120)
{
	kload_fails(_metadata, self, -512);	/* -ERESTARTSYS */
}

TEST_F_TIMEOUT(lease, kernel_loader_eintr_hands_lease_to_process, 120)
{
	kload_fails(_metadata, self, -EINTR);
}

TEST_F_TIMEOUT(lease, kernel_loader_emsgsize_reaches_no_process, 120)
{
	kload_fails(_metadata, self, -EMSGSIZE);
}

/* ---- stress ---- */

#define SK		16	/* keys */
#define SW		6	/* worker processes */
#define ST		2	/* threads each */
#define SIDS		8192	/* worker incarnations */

/**
 * struct stress - shared by the parent and the workers
 * @stop: workers exit
 * @epoch: bumped by the parent before each destroy; a worker reads it after (re)opening
 * @dying: set by the parent for an incarnation before it SIGKILLs it
 * @owner: per key: the live loader: epoch << 48 | mutations begun at its start << 16 |
 *	incarnation; 0 none
 * @mut_begin: per key: SETs and DELs begun (bumped before the call)
 * @mut_end: per key: SETs and DELs ended (bumped after it)
 * @loads: loader runs per key
 * @overlap: a loader started while another live one of the same key and epoch ran
 * @timeouts: lease GETs that gave up (nobody may wait that long)
 * @bad_value: a value of another key
 * @errors: unexpected errors
 * @ops: operations done
 * @max_wait_ns: longest get-or-load
 */
struct stress {
	atomic_int stop;
	atomic_int epoch;
	atomic_uchar dying[SIDS];
	atomic_ullong owner[SK];
	atomic_uint mut_begin[SK];
	atomic_uint mut_end[SK];
	atomic_ulong loads[SK];
	atomic_int overlap;
	atomic_int timeouts;
	atomic_int bad_value;
	atomic_int errors;
	atomic_ulong ops;
	atomic_ullong max_wait_ns;
};

struct sworker {
	struct stress *s;
	const char *name;
	int ctl;
	int fd;
	unsigned int id;
	unsigned int epoch;
	int key;
	unsigned int b0;
	unsigned int e0;
};

static int stress_loader(void *ctx, const void *key, uint32_t key_len, void **val,
			 uint32_t *val_len, uint64_t *ttl_ns)
{
	struct sworker *w = ctx;
	struct stress *s = w->s;
	int k = w->key;
	unsigned long long me = 0, old;
	char *v = malloc(32);
	unsigned int b;

	if (!v)
		return -ENOMEM;
	/*
	 * b0/e0 were read before this thread's GET asked for the lease: with no SET or DEL in
	 * flight then, any that ends this lease begins after that read.
	 */
	if (w->b0 == w->e0)
		me = (unsigned long long)w->epoch << 48 | (unsigned long long)w->b0 << 16 | w->id;
	old = atomic_exchange(&s->owner[k], me);
	/*
	 * Read after the exchange: a thread descheduled between its grant (or an earlier
	 * read) and the exchange may have lost its lease to a SET or DEL meanwhile.
	 */
	b = atomic_load(&s->mut_begin[k]);
	/*
	 * Two loads for one miss: another loader of this key in this cache is live (not
	 * killed), and no SET or DEL began since either GET started (nor was one in flight
	 * then), so nothing ended either lease: both are held at once.
	 */
	if (old && me && (old >> 48) == w->epoch && ((old >> 16) & 0xffffffff) == b &&
	    w->b0 == b && !atomic_load(&s->dying[old & 0xffff]) &&
	    atomic_fetch_add(&s->overlap, 1) < 5)
		fprintf(stderr, "# overlap on key %d: live loader id %llu (b0 %llu), now id %u "
			"(b0 %u e0 %u b %u e %u) epoch %u\n", k, old & 0xffff,
			(old >> 16) & 0xffffffff, w->id, w->b0, w->e0, b,
			atomic_load(&s->mut_end[k]), w->epoch);
	atomic_fetch_add(&s->loads[w->key], 1);
	usleep(rand() % 3000);
	/* done before the store, while the lease still excludes everyone else */
	atomic_compare_exchange_strong(&s->owner[w->key], &me, 0);
	*val_len = snprintf(v, 32, "k%d:%u", w->key, w->id);
	*val = v;
	return 0;
}

static void stress_reopen(struct sworker *w)
{
	unsigned int epoch;
	int fd;

	close(w->fd);
	/* the parent destroys, then bumps the epoch, then creates: the epoch re-read below */
	for (;;) {
		epoch = atomic_load(&w->s->epoch);
		fd = kcache_open(w->ctl, w->name, KCACHE_OPEN_RDWR);
		if (fd >= 0 && epoch == (unsigned int)atomic_load(&w->s->epoch))
			break;
		if (fd >= 0)
			close(fd);
		if (atomic_load(&w->s->stop))
			break;
		usleep(1000);
	}
	w->fd = fd;
	w->epoch = epoch;
}

static void *stress_thread(void *p)
{
	struct sworker *w = p;
	struct stress *s = w->s;
	char key[16], buf[64], want[16];
	unsigned int seed = w->id * 7919 + (unsigned int)pthread_self();
	uint64_t t0, dt, max;
	uint32_t len;
	int k, op, ret;

	while (!atomic_load(&s->stop)) {
		k = rand_r(&seed) % SK;
		op = rand_r(&seed) % 100;
		snprintf(key, sizeof(key), "s%d", k);
		w->key = k;	/* for the loader; each thread has its own worker and fd */
		len = sizeof(buf);
		t0 = now_ns();
		if (op < 75) {
			w->b0 = atomic_load(&s->mut_begin[k]);
			w->e0 = atomic_load(&s->mut_end[k]);
			ret = kcache_get_or_load(w->fd, key, strlen(key), buf, &len, 20 * SEC,
						 60 * SEC, stress_loader, w, NULL);
		} else {
			atomic_fetch_add(&s->mut_begin[k], 1);
			if (op < 88)
				ret = kcache_set(w->fd, key, strlen(key), "k-set", 5, 0, 0, NULL);
			else
				ret = kcache_del(w->fd, key, strlen(key));
			atomic_fetch_add(&s->mut_end[k], 1);
		}
		dt = now_ns() - t0;
		if (ret == -ESHUTDOWN)
			stress_reopen(w);
		if (op < 75) {
			max = atomic_load(&s->max_wait_ns);
			while (dt > max && !atomic_compare_exchange_weak(&s->max_wait_ns, &max, dt))
				;
			snprintf(want, sizeof(want), "k%d:", k);
			if (ret == -ETIMEDOUT)
				atomic_fetch_add(&s->timeouts, 1);
			else if (!ret && !(len == 5 && !memcmp(buf, "k-set", 5)) &&
				 (len < strlen(want) || memcmp(buf, want, strlen(want))))
				atomic_fetch_add(&s->bad_value, 1);
			else if (ret && ret != -ESHUTDOWN)
				atomic_fetch_add(&s->errors, 1);
		} else if (ret && ret != -ENOENT && ret != -ESHUTDOWN) {
			atomic_fetch_add(&s->errors, 1);
		}
		atomic_fetch_add(&s->ops, 1);
	}
	return NULL;
}

static void stress_worker(struct stress *s, const char *name, unsigned int id)
{
	struct sworker w[ST];
	pthread_t t[ST];
	int i;

	for (i = 0; i < ST; i++) {
		w[i] = (struct sworker){ .s = s, .name = name, .id = id, .fd = -1 };
		w[i].ctl = kcache_ctl_open();
		stress_reopen(&w[i]);
		pthread_create(&t[i], NULL, stress_thread, &w[i]);
	}
	for (i = 0; i < ST; i++)
		pthread_join(t[i], NULL);
	_exit(0);
}

static int stress_secs(void)
{
	struct utsname u;
	const char *e = getenv("KCACHE_STRESS_SECS");

	if (e)
		return atoi(e);
	uname(&u);
	return strstr(u.release, "kcache-debug") ? 60 : 10;
}

TEST_F_TIMEOUT(lease, stress_leases_sets_dels_destroys_kills, 300)
{
	struct stress *s = shared(sizeof(*s));
	struct kcache_load_counters lc;
	unsigned int next_id = 1, kills = 0, destroys = 0;
	unsigned int ids[SW];
	pid_t pids[SW];
	uint64_t end, min_l = UINT64_MAX, max_l = 0, total = 0;
	int i, k, fd, tick = 0;

	ASSERT_NE(NULL, s);
	end = now_ns() + stress_secs() * SEC;
	for (i = 0; i < SW; i++) {
		ids[i] = next_id++;
		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (!pids[i])
			stress_worker(s, self->name, ids[i]);
	}
	while (now_ns() < end) {
		usleep(100000);
		tick++;
		if (tick % 3 == 0 && next_id < SIDS) {
			/* kill a worker, perhaps while it holds a lease, and replace it */
			i = rand() % SW;
			atomic_store(&s->dying[ids[i]], 1);
			kill(pids[i], SIGKILL);
			ASSERT_EQ(pids[i], waitpid(pids[i], NULL, 0));
			kills++;
			ids[i] = next_id++;
			pids[i] = fork();
			ASSERT_LE(0, pids[i]);
			if (!pids[i])
				stress_worker(s, self->name, ids[i]);
		}
		if (tick % 30 == 0) {
			/* an open that sees one epoch before and after got that epoch's cache */
			ASSERT_EQ(0, kcache_destroy(self->ctl, self->name));
			atomic_fetch_add(&s->epoch, 1);
			fd = kcache_create(self->ctl, self->name, 0, 8 << 20, 0,
					   KCACHE_POLICY_LRU_ABI, 0600);
			ASSERT_LE(0, fd);
			close(self->fd);
			self->fd = fd;
			destroys++;
		}
	}
	atomic_store(&s->stop, 1);
	for (i = 0; i < SW; i++)
		waitpid(pids[i], NULL, 0);
	ASSERT_EQ(0, kcache_load_stats(self->fd, &lc));
	for (k = 0; k < SK; k++) {
		uint64_t l = atomic_load(&s->loads[k]);

		total += l;
		min_l = l < min_l ? l : min_l;
		max_l = l > max_l ? l : max_l;
	}
	ksft_print_msg("stress: %lu ops, %" PRIu64 " loads (per key %" PRIu64 "..%" PRIu64
		       "), overlapping loads %d, kills %u, destroys %u, longest get-or-load %"
		       PRIu64 " ms\n", atomic_load(&s->ops), total, min_l, max_l,
		       atomic_load(&s->overlap), kills, destroys,
		       (uint64_t)atomic_load(&s->max_wait_ns) / MS);
	ksft_print_msg("stress: last cache: started %" PRIu64 " succeeded %" PRIu64
		       " failed %" PRIu64 " served %" PRIu64 " handed over %" PRIu64
		       " expired %" PRIu64 " revoked %" PRIu64 " in flight %" PRIu64 "\n",
		       (uint64_t)lc.loads_started, (uint64_t)lc.loads_succeeded,
		       (uint64_t)lc.loads_failed, (uint64_t)lc.waiters_served,
		       (uint64_t)lc.leases_handed_over, (uint64_t)lc.leases_expired,
		       (uint64_t)lc.leases_revoked, (uint64_t)lc.in_flight);
	fflush(stdout);
	EXPECT_EQ(0, atomic_load(&s->overlap));
	EXPECT_EQ(0, atomic_load(&s->timeouts));
	EXPECT_EQ(0, atomic_load(&s->bad_value));
	EXPECT_EQ(0, atomic_load(&s->errors));
	EXPECT_EQ(0, lc.in_flight);
	EXPECT_LT(0, total);
	munmap(s, sizeof(*s));
}

TEST_HARNESS_MAIN

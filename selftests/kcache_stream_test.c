// SPDX-License-Identifier: GPL-2.0
/*
 * Change streams (Documentation/streams.rst): SUBSCRIBE's checks, the record format,
 * snapshot then SYNC then live records, prefix / keys-only / live-only, LAGGED exactly
 * once with the right count and the resynchronising variant, poll and epoll, EOF on
 * destroy, close during a writer storm, a killed reader, a subscriber without read access,
 * and the property that matters: W writers storm a small key space (sets, replaces, CAS,
 * deletes, invalidations, TTLs, evictions) while S subscriptions start at random moments;
 * once the writers stopped and maintenance settled, every subscriber's rebuilt map equals
 * the cache (keys, values, versions), no sequence number appears twice in a stream epoch
 * and sequence numbers increase strictly per key.
 *
 * The storm lasts KCACHE_STREAM_SECS seconds if set, else 60 s on the debug kernel and
 * 12 s elsewhere (the VM names its kernel in /etc/kcache-kind).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <linux/membarrier.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kcache.h"

#include "kselftest_harness.h"

#define NKEYS		256
#define VMAX		64
#define NWRITERS	4
#define NSUBS		20
#define MAX_ENTRIES	160	/* below NKEYS: the policy evicts */
#define TTL_MAX_MS	300

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000ULL + ts.tv_nsec / 1000;
}

static uint64_t now_ms(void)
{
	return now_us() / 1000;
}

static int storm_secs(void)
{
	const char *e = getenv("KCACHE_STREAM_SECS");
	char kind[16] = "";
	FILE *f;

	if (e)
		return atoi(e);
	f = fopen("/etc/kcache-kind", "r");
	if (f) {
		if (!fgets(kind, sizeof(kind), f))
			kind[0] = 0;
		fclose(f);
	}
	return strncmp(kind, "debug", 5) ? 12 : 60;
}

static int make_cache(int ctl, char *name, const char *tag, uint64_t max_entries)
{
	snprintf(name, 64, "st-%s-%d", tag, getpid());
	return kcache_create(ctl, name, max_entries, 8 << 20, 0, KCACHE_POLICY_LRU_ABI, 0622);
}

static int sub_raw(int fd, uint32_t flags, const void *prefix, uint32_t plen, uint32_t ring,
		   struct kcache_subscribe_args *out)
{
	struct kcache_subscribe_args a = {
		.size = sizeof(a), .flags = flags, .prefix = (uintptr_t)prefix,
		.prefix_len = plen, .format = KCACHE_STREAM_FORMAT_V1, .ring_size = ring,
	};
	int ret = ioctl(fd, KCACHE_IOC_SUBSCRIBE, &a);

	if (out)
		*out = a;
	return ret;
}

static int key_index(const struct kcache_stream_rec *r)
{
	char k[8];

	if (r->key_len != 4)
		return -1;
	memcpy(k, kcache_stream_key(r), 4);
	k[4] = 0;
	if (k[0] != 'k')
		return -1;
	return atoi(k + 1);
}

/* ---- a subscriber that rebuilds the cache ---- */

struct mirror {
	int present;
	uint64_t version;
	uint32_t vlen;
	char val[VMAX];
};

struct sub {
	int fd;
	uint32_t flags;
	const char *prefix;
	uint32_t plen;
	uint32_t ring;
	char *buf;
	struct mirror map[NKEYS];
	uint64_t last[NKEYS];	/* last seq per key in this epoch */
	uint64_t *seqs;		/* every seq of this epoch, for the duplicate check */
	size_t nseq, capseq;
	int synced;		/* SYNC seen in this epoch */
	uint64_t cutoff;	/* its cutoff */
	int eof;
	unsigned long lagged, records;
	char err[200];
};

static int sub_fail(struct sub *s, const char *fmt, ...)
{
	va_list ap;

	if (!s->err[0]) {
		va_start(ap, fmt);
		vsnprintf(s->err, sizeof(s->err), fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* End of an epoch (a resync or the end): no seq may have come twice. */
static int sub_check_dups(struct sub *s)
{
	size_t i;

	qsort(s->seqs, s->nseq, sizeof(*s->seqs), cmp_u64);
	for (i = 1; i < s->nseq; i++)
		if (s->seqs[i] == s->seqs[i - 1])
			return sub_fail(s, "seq %llu twice in one epoch",
					(unsigned long long)s->seqs[i]);
	return 0;
}

static void sub_new_epoch(struct sub *s)
{
	memset(s->map, 0, sizeof(s->map));
	memset(s->last, 0, sizeof(s->last));
	s->nseq = 0;
	s->synced = 0;
}

static int sub_note_seq(struct sub *s, int k, uint64_t seq)
{
	if (seq <= s->last[k])
		return sub_fail(s, "key %d: seq %llu after %llu", k, (unsigned long long)seq,
				(unsigned long long)s->last[k]);
	s->last[k] = seq;
	if (s->nseq == s->capseq) {
		s->capseq = s->capseq ? 2 * s->capseq : 4096;
		s->seqs = realloc(s->seqs, s->capseq * sizeof(*s->seqs));
		if (!s->seqs)
			return sub_fail(s, "out of memory");
	}
	s->seqs[s->nseq++] = seq;
	return 0;
}

static int sub_apply(struct sub *s, const struct kcache_stream_rec *r)
{
	struct mirror *m;
	int k, snap;

	s->records++;
	switch (r->type) {
	case KCACHE_REC_SYNC:
		if (s->synced)
			return sub_fail(s, "two SYNC records in one epoch");
		s->synced = 1;
		s->cutoff = r->seq;
		return 0;
	case KCACHE_REC_LAGGED:
		if (!(s->flags & KCACHE_SUBSCRIBE_RESYNC))
			return sub_fail(s, "LAGGED without RESYNC in the storm");
		if (!r->aux)
			return sub_fail(s, "LAGGED with a count of 0");
		s->lagged++;
		if (sub_check_dups(s))
			return -1;
		sub_new_epoch(s);
		return 0;
	case KCACHE_REC_SNAPSHOT:
	case KCACHE_REC_STORE:
	case KCACHE_REC_REMOVE:
		break;
	default:
		return sub_fail(s, "unknown record type %u", r->type);
	}
	k = key_index(r);
	if (k < 0 || k >= NKEYS)
		return sub_fail(s, "unexpected key");
	if (s->plen && memcmp(kcache_stream_key(r), s->prefix, s->plen))
		return sub_fail(s, "key outside the prefix");
	snap = r->type == KCACHE_REC_SNAPSHOT;
	if (snap == s->synced)
		return sub_fail(s, "%s record %s SYNC", snap ? "snapshot" : "live",
				s->synced ? "after" : "before");
	if (sub_note_seq(s, k, r->seq))
		return -1;
	m = &s->map[k];
	/*
	 * A live record that replaces or removes an entry names its version: the copy's, or,
	 * for a key the copy lacks, one at or below the cutoff (an entry the snapshot missed
	 * because it went away during the walk, or was expired). Anything else means a record
	 * was lost. An insert finds the key absent from the copy.
	 */
	if (r->type == KCACHE_REC_STORE && r->cause == KCACHE_CAUSE_INSERT_ABI && m->present)
		return sub_fail(s, "key %d: insert over version %llu", k,
				(unsigned long long)m->version);
	if (r->type == KCACHE_REC_REMOVE ||
	    (r->type == KCACHE_REC_STORE && r->cause == KCACHE_CAUSE_REPLACE_ABI)) {
		if (m->present ? r->aux != m->version : r->aux > s->cutoff)
			return sub_fail(s, "key %d: %s version %llu, copy has %llu, cutoff %llu",
					k, r->type == KCACHE_REC_REMOVE ? "removed" : "replaced",
					(unsigned long long)r->aux,
					m->present ? (unsigned long long)m->version : 0ULL,
					(unsigned long long)s->cutoff);
	}
	if (r->type == KCACHE_REC_REMOVE) {
		m->present = 0;
		return 0;
	}
	if (!!(r->flags & KCACHE_RECF_VALUE) == !!(s->flags & KCACHE_SUBSCRIBE_KEYS_ONLY))
		return sub_fail(s, "value flag wrong for the subscription");
	if (r->val_len > VMAX)
		return sub_fail(s, "value too long");
	m->present = 1;
	m->version = r->seq;
	m->vlen = r->val_len;
	if (r->flags & KCACHE_RECF_VALUE)
		memcpy(m->val, kcache_stream_val(r), r->val_len);
	return 0;
}

/* Read and apply what is there; returns 1 if something came, 0 on EAGAIN, -1 on error. */
static int sub_pump(struct sub *s)
{
	const struct kcache_stream_rec *r;
	struct kcache_stream_iter it;
	ssize_t n;

	n = kcache_stream_read(s->fd, s->buf, s->ring, &it);
	if (n == -EAGAIN)
		return 0;
	if (n == 0) {
		s->eof = 1;
		return sub_fail(s, "unexpected EOF");
	}
	if (n < 0)
		return sub_fail(s, "read: %s", strerror(-n));
	while ((r = kcache_stream_next(&it)))
		if (sub_apply(s, r))
			return -1;
	if (it.err)
		return sub_fail(s, "malformed record");
	return 1;
}

static int sub_open(struct sub *s, int cache_fd, uint32_t flags, const char *prefix,
		    uint32_t ring)
{
	memset(s, 0, sizeof(*s));
	s->flags = flags | KCACHE_SUBSCRIBE_NONBLOCK;
	s->prefix = prefix;
	s->plen = prefix ? strlen(prefix) : 0;
	s->ring = ring;
	s->fd = kcache_subscribe(cache_fd, prefix, s->plen, s->flags, &s->ring, NULL);
	if (s->fd < 0)
		return s->fd;
	s->buf = malloc(s->ring);
	return s->buf ? 0 : -ENOMEM;
}

static void sub_close(struct sub *s)
{
	if (s->fd >= 0)
		close(s->fd);
	free(s->buf);
	free(s->seqs);
	s->fd = -1;
	s->buf = NULL;
	s->seqs = NULL;
}

/* The cache's contents, from DUMP. */
static int dump_map(int fd, struct mirror *map, size_t *n)
{
	static char buf[1 << 20];
	const struct kcache_dump_record *d;
	uint64_t cursor = 0;
	int done = 0, nr, i, k;
	char kb[8];

	memset(map, 0, NKEYS * sizeof(*map));
	*n = 0;
	while (!done) {
		nr = kcache_dump(fd, buf, sizeof(buf), &cursor, &done, NULL);
		if (nr < 0)
			return nr;
		for (i = 0, d = (const void *)buf; i < nr; i++, d = kcache_dump_next(d)) {
			if (d->key_len != 4 || d->val_len > VMAX)
				return -EINVAL;
			memcpy(kb, kcache_dump_key(d), 4);
			kb[4] = 0;
			k = atoi(kb + 1);
			if (kb[0] != 'k' || k < 0 || k >= NKEYS)
				return -EINVAL;
			map[k].present = 1;
			map[k].version = d->version;
			map[k].vlen = d->val_len;
			memcpy(map[k].val, kcache_dump_val(d), d->val_len);
			(*n)++;
		}
	}
	return 0;
}

static int sub_compare(struct sub *s, const struct mirror *want)
{
	int k;
	char kb[8];

	if (!s->synced)
		return sub_fail(s, "never reached SYNC");
	for (k = 0; k < NKEYS; k++) {
		const struct mirror *w = &want[k], *g = &s->map[k];

		snprintf(kb, sizeof(kb), "k%03d", k);
		if (s->plen && strncmp(kb, s->prefix, s->plen)) {
			if (g->present)
				return sub_fail(s, "key %d outside the prefix in the map", k);
			continue;
		}
		if (w->present != g->present)
			return sub_fail(s, "key %d: cache %s, map %s", k,
					w->present ? "has it" : "not", g->present ? "has it" : "not");
		if (!w->present)
			continue;
		if (w->version != g->version || w->vlen != g->vlen)
			return sub_fail(s, "key %d: cache v%llu len %u, map v%llu len %u", k,
					(unsigned long long)w->version, w->vlen,
					(unsigned long long)g->version, g->vlen);
		if (!(s->flags & KCACHE_SUBSCRIBE_KEYS_ONLY) && memcmp(w->val, g->val, w->vlen))
			return sub_fail(s, "key %d: value differs", k);
	}
	return sub_check_dups(s);
}

/* ---- fixture ---- */

FIXTURE(stream) {
	int ctl;
	int fd;
	char name[64];
};

FIXTURE_SETUP(stream)
{
	struct kcache_version v;

	self->ctl = kcache_ctl_open();
	ASSERT_LE(0, self->ctl);
	ASSERT_EQ(0, kcache_version(self->ctl, &v));
	ASSERT_NE(0, v.features & KCACHE_FEATURE_STREAMS);
	self->fd = make_cache(self->ctl, self->name, "f", 0);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(stream)
{
	kcache_destroy(self->ctl, self->name);
	close(self->fd);
	close(self->ctl);
}

static int setk(int fd, const char *key, const char *val, uint64_t *version)
{
	return kcache_set(fd, key, strlen(key), val, strlen(val), 0, 0, version);
}

TEST_F(stream, subscribe_checks_in_order)
{
	char big[KCACHE_KEY_LEN_MAX + 1] = "p";
	struct kcache_subscribe_args a;
	int wfd, sfd;

	/* size below the first published one */
	memset(&a, 0, sizeof(a));
	a.size = KCACHE_SUBSCRIBE_ARGS_SIZE_VER0 - 1;
	a.format = KCACHE_STREAM_FORMAT_V1;
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_SUBSCRIBE, &a));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, sub_raw(self->fd, 1U << 7, NULL, 0, 0, NULL));
	ASSERT_EQ(EINVAL, errno);
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.format = KCACHE_STREAM_FORMAT_V1;
	a.__pad = 1;
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_SUBSCRIBE, &a));
	ASSERT_EQ(EINVAL, errno);
	a.__pad = 0;
	a.format = 2;
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_SUBSCRIBE, &a));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, sub_raw(self->fd, 0, "p", 0, 0, NULL));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, sub_raw(self->fd, 0, big, sizeof(big), 0, NULL));
	ASSERT_EQ(E2BIG, errno);
	ASSERT_EQ(-1, sub_raw(self->fd, 0, NULL, 0, KCACHE_STREAM_RING_MIN - 1, NULL));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, sub_raw(self->fd, 0, (void *)8, 1, 0, NULL));
	ASSERT_EQ(EFAULT, errno);
	/* the read right comes first */
	wfd = kcache_open(self->ctl, self->name, KCACHE_OPEN_WRITE);
	ASSERT_LE(0, wfd);
	ASSERT_EQ(-1, sub_raw(wfd, 1U << 7, NULL, 0, 0, NULL));
	ASSERT_EQ(EBADF, errno);
	close(wfd);
	/* a ring above the cap is capped, and reported */
	sfd = sub_raw(self->fd, 0, NULL, 0, 0x80000000U, &a);
	ASSERT_LE(0, sfd);
	ASSERT_GE(0x80000000U, a.ring_size);
	ASSERT_EQ(0, a.ring_size & (a.ring_size - 1));
	ASSERT_EQ(FD_CLOEXEC, fcntl(sfd, F_GETFD) & FD_CLOEXEC);
	ASSERT_EQ(0, fcntl(sfd, F_GETFL) & O_NONBLOCK);
	close(sfd);
	sfd = sub_raw(self->fd, KCACHE_SUBSCRIBE_NONBLOCK, NULL, 0, 20000, &a);
	ASSERT_LE(0, sfd);
	ASSERT_EQ(32768, a.ring_size);
	ASSERT_EQ(O_NONBLOCK, fcntl(sfd, F_GETFL) & O_NONBLOCK);
	close(sfd);
}

TEST_F(stream, snapshot_sync_live_in_order)
{
	const struct kcache_stream_rec *r;
	struct kcache_stream_iter it;
	uint64_t v[10], cutoff, prev = 0, vr, vd;
	uint32_t ring = 0;
	char key[8], val[8];
	static char buf[1 << 18];
	int i, sfd, nsnap = 0;
	ssize_t n;

	for (i = 0; i < 10; i++) {
		snprintf(key, sizeof(key), "k%03d", i);
		snprintf(val, sizeof(val), "v%d", i);
		ASSERT_EQ(0, setk(self->fd, key, val, &v[i]));
	}
	sfd = kcache_subscribe(self->fd, NULL, 0, KCACHE_SUBSCRIBE_NONBLOCK, &ring, &cutoff);
	ASSERT_LE(0, sfd);
	ASSERT_EQ(v[9], cutoff);
	/* a buffer smaller than the next record */
	ASSERT_EQ(-1, read(sfd, buf, 8));
	ASSERT_EQ(EMSGSIZE, errno);
	n = kcache_stream_read(sfd, buf, sizeof(buf), &it);
	ASSERT_LT(0, n);
	while ((r = kcache_stream_next(&it))) {
		ASSERT_EQ(KCACHE_STREAM_REC_SIZE_VER0, r->hdr_len);
		ASSERT_EQ(0, r->rec_len % 8);
		if (r->type == KCACHE_REC_SYNC) {
			ASSERT_EQ(cutoff, r->seq);
			ASSERT_EQ(10, nsnap);
			continue;
		}
		ASSERT_EQ(KCACHE_REC_SNAPSHOT, r->type);
		/* in version order */
		ASSERT_LT(prev, r->seq);
		prev = r->seq;
		i = key_index(r);
		ASSERT_EQ(v[i], r->seq);
		ASSERT_EQ(0, r->cause);
		ASSERT_EQ(KCACHE_RECF_VALUE, r->flags);
		snprintf(val, sizeof(val), "v%d", i);
		ASSERT_EQ(strlen(val), r->val_len);
		ASSERT_EQ(0, memcmp(val, kcache_stream_val(r), r->val_len));
		nsnap++;
	}
	ASSERT_EQ(0, it.err);
	ASSERT_EQ(10, nsnap);
	ASSERT_EQ(-EAGAIN, kcache_stream_read(sfd, buf, sizeof(buf), &it));

	ASSERT_EQ(0, setk(self->fd, "k100", "new", &vr));
	ASSERT_EQ(0, setk(self->fd, "k000", "again", &vr));
	ASSERT_EQ(0, kcache_del(self->fd, "k001", 4));
	ASSERT_EQ(0, kcache_set(self->fd, "k200", 4, "t", 1, KCACHE_SETF_TTL, 5000000000ULL,
				&vd));
	n = kcache_stream_read(sfd, buf, sizeof(buf), &it);
	ASSERT_LT(0, n);
	r = kcache_stream_next(&it);
	ASSERT_NE(NULL, r);
	ASSERT_EQ(KCACHE_REC_STORE, r->type);
	ASSERT_EQ(KCACHE_CAUSE_INSERT_ABI, r->cause);
	ASSERT_EQ(0, r->aux);
	ASSERT_LT(cutoff, r->seq);
	r = kcache_stream_next(&it);
	ASSERT_NE(NULL, r);
	ASSERT_EQ(KCACHE_REC_STORE, r->type);
	ASSERT_EQ(KCACHE_CAUSE_REPLACE_ABI, r->cause);
	ASSERT_EQ(v[0], r->aux);
	ASSERT_EQ(vr, r->seq);
	ASSERT_EQ(5, r->val_len);
	ASSERT_EQ(0, memcmp("again", kcache_stream_val(r), 5));
	r = kcache_stream_next(&it);
	ASSERT_NE(NULL, r);
	ASSERT_EQ(KCACHE_REC_REMOVE, r->type);
	ASSERT_EQ(KCACHE_CAUSE_DELETE_ABI, r->cause);
	ASSERT_EQ(v[1], r->aux);
	ASSERT_LT(vr, r->seq);
	ASSERT_EQ(0, r->val_len);
	ASSERT_EQ(0, r->flags);
	r = kcache_stream_next(&it);
	ASSERT_NE(NULL, r);
	ASSERT_EQ(vd, r->seq);
	ASSERT_NE(0, r->expires_ns);
	ASSERT_EQ(NULL, kcache_stream_next(&it));
	ASSERT_EQ(0, it.err);
	close(sfd);
}

/*
 * Records of @n bytes at @buf, each whole: their types and versions appended to @type and
 * @seq (@nr of them so far). Returns -1 if a record is torn.
 */
static int walk_recs(const char *buf, ssize_t n, uint8_t *type, uint64_t *seq, int *nr)
{
	const struct kcache_stream_rec *r;
	ssize_t off = 0;

	while (off < n) {
		r = (const void *)(buf + off);
		if (n - off < (ssize_t)sizeof(*r) || r->rec_len < sizeof(*r) ||
		    r->rec_len > n - off)
			return -1;
		type[*nr] = r->type;
		seq[(*nr)++] = r->seq;
		off += r->rec_len;
	}
	return 0;
}

/*
 * A read into the @before bytes that end at @hole, an unmapped page, then reads into @big
 * until EAGAIN; the records of all of them into @type and @seq. Returns how many, or -1
 * if the first read returned nothing or more than @before bytes, a record was torn, or
 * the reads did not end with EAGAIN.
 */
static int read_across_hole(int sfd, char *hole, size_t before, char *big, size_t len,
			    uint8_t *type, uint64_t *seq)
{
	ssize_t n = read(sfd, hole - before, len);
	int nr = 0;

	if (n <= 0 || n > (ssize_t)before || walk_recs(hole - before, n, type, seq, &nr))
		return -1;
	while ((n = read(sfd, big, len)) > 0)
		if (walk_recs(big, n, type, seq, &nr))
			return -1;
	return errno == EAGAIN ? nr : -1;
}

/*
 * A read whose buffer runs into an unmapped page returns the whole records that fit
 * before the fault, and the next read goes on from the first record not returned: none
 * twice, none lost, none torn. Once in the snapshot, once in the live records.
 */
TEST_F(stream, read_fault_returns_whole_records_once)
{
	long page = sysconf(_SC_PAGESIZE);
	static char big[1 << 16];
	uint64_t seq[128], cutoff;
	uint8_t type[128];
	char key[8], *map;
	uint32_t ring = 0;
	int i, nr = 0, sfd;
	ssize_t n;

	for (i = 0; i < 20; i++) {
		snprintf(key, sizeof(key), "k%03d", i);
		ASSERT_EQ(0, setk(self->fd, key, "value", NULL));
	}
	sfd = kcache_subscribe(self->fd, NULL, 0, KCACHE_SUBSCRIBE_NONBLOCK, &ring, &cutoff);
	ASSERT_LE(0, sfd);
	map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, mprotect(map + page, page, PROT_NONE));

	/* snapshot: 300 bytes before the hole, more than a record, less than all of them */
	ASSERT_EQ(21, read_across_hole(sfd, map + page, 300, big, sizeof(big), type, seq));
	for (i = 0; i < 20; i++) {
		ASSERT_EQ(KCACHE_REC_SNAPSHOT, type[i]);
		if (i)
			ASSERT_LT(seq[i - 1], seq[i]);
	}
	ASSERT_EQ(KCACHE_REC_SYNC, type[20]);
	ASSERT_EQ(cutoff, seq[20]);

	/* live records, read from the ring */
	for (i = 0; i < 20; i++) {
		snprintf(key, sizeof(key), "k%03d", i);
		ASSERT_EQ(0, setk(self->fd, key, "again", NULL));
	}
	ASSERT_EQ(20, read_across_hole(sfd, map + page, 300, big, sizeof(big), type, seq));
	for (i = 0; i < 20; i++) {
		ASSERT_EQ(KCACHE_REC_STORE, type[i]);
		if (i)
			ASSERT_LT(seq[i - 1], seq[i]);
	}
	/* nothing readable at all: -EFAULT, and the records stay */
	ASSERT_EQ(0, setk(self->fd, "k000", "third", NULL));
	ASSERT_EQ(-1, read(sfd, map + page, sizeof(big) - page));
	ASSERT_EQ(EFAULT, errno);
	nr = 0;
	n = read(sfd, big, sizeof(big));
	ASSERT_LT(0, n);
	ASSERT_EQ(0, walk_recs(big, n, type, seq, &nr));
	ASSERT_EQ(1, nr);
	munmap(map, 2 * page);
	close(sfd);
}

TEST_F(stream, options_prefix_keys_live_only)
{
	const struct kcache_stream_rec *r;
	struct kcache_stream_iter it;
	static char buf[1 << 18];
	int sp, sk, sl, nsnap = 0, nsync = 0, nlive = 0;
	uint32_t ring = 0;

	ASSERT_EQ(0, setk(self->fd, "a:1", "x", NULL));
	ASSERT_EQ(0, setk(self->fd, "b:1", "yy", NULL));
	sp = kcache_subscribe(self->fd, "a:", 2, KCACHE_SUBSCRIBE_NONBLOCK, &ring, NULL);
	ASSERT_LE(0, sp);
	sk = kcache_subscribe(self->fd, NULL, 0, KCACHE_SUBSCRIBE_NONBLOCK |
			      KCACHE_SUBSCRIBE_KEYS_ONLY, &ring, NULL);
	ASSERT_LE(0, sk);
	sl = kcache_subscribe(self->fd, NULL, 0, KCACHE_SUBSCRIBE_NONBLOCK |
			      KCACHE_SUBSCRIBE_LIVE_ONLY, &ring, NULL);
	ASSERT_LE(0, sl);
	ASSERT_EQ(0, setk(self->fd, "a:2", "z", NULL));
	ASSERT_EQ(0, setk(self->fd, "b:2", "w", NULL));

	/* prefix: a:1 in the snapshot, SYNC, a:2 live, nothing of b: */
	ASSERT_LT(0, kcache_stream_read(sp, buf, sizeof(buf), &it));
	while ((r = kcache_stream_next(&it))) {
		if (r->type == KCACHE_REC_SYNC) {
			nsync++;
			continue;
		}
		ASSERT_EQ(0, memcmp("a:", kcache_stream_key(r), 2));
		if (r->type == KCACHE_REC_SNAPSHOT) {
			ASSERT_EQ(0, nsync);
			ASSERT_EQ(0, memcmp("a:1", kcache_stream_key(r), 3));
			nsnap++;
		} else {
			ASSERT_EQ(1, nsync);
			ASSERT_EQ(KCACHE_REC_STORE, r->type);
			ASSERT_EQ(0, memcmp("a:2", kcache_stream_key(r), 3));
			nlive++;
		}
	}
	ASSERT_EQ(1, nsnap);
	ASSERT_EQ(1, nsync);
	ASSERT_EQ(1, nlive);
	nlive = 0;

	/* keys only: value lengths, no value bytes */
	ASSERT_LT(0, kcache_stream_read(sk, buf, sizeof(buf), &it));
	nsnap = 0;
	while ((r = kcache_stream_next(&it))) {
		if (r->type == KCACHE_REC_SYNC)
			continue;
		ASSERT_EQ(0, r->flags & KCACHE_RECF_VALUE);
		ASSERT_EQ(KCACHE_STREAM_REC_LEN(r->hdr_len, r->key_len, 0), r->rec_len);
		if (!memcmp("b:1", kcache_stream_key(r), 3))
			ASSERT_EQ(2, r->val_len);
		nsnap++;
	}
	ASSERT_EQ(4, nsnap);

	/* live only: SYNC first, then the two live stores */
	ASSERT_LT(0, kcache_stream_read(sl, buf, sizeof(buf), &it));
	r = kcache_stream_next(&it);
	ASSERT_NE(NULL, r);
	ASSERT_EQ(KCACHE_REC_SYNC, r->type);
	while ((r = kcache_stream_next(&it))) {
		ASSERT_EQ(KCACHE_REC_STORE, r->type);
		nlive++;
	}
	ASSERT_EQ(2, nlive);
	close(sp);
	close(sk);
	close(sl);
}

/* A subscriber that does not read: records fill its ring, then exactly one LAGGED. */
TEST_F(stream, lagged_exactly_once_with_count)
{
	const struct kcache_stream_rec *r;
	struct kcache_stream_iter it;
	static char buf[1 << 16];
	char key[16], val[100];
	unsigned long stores = 0, lagged = 0, dropped = 0, n = 3000, i;
	uint32_t ring = KCACHE_STREAM_RING_MIN;
	ssize_t got;
	int sfd;

	sfd = kcache_subscribe(self->fd, NULL, 0, KCACHE_SUBSCRIBE_NONBLOCK |
			       KCACHE_SUBSCRIBE_LIVE_ONLY, &ring, NULL);
	ASSERT_LE(0, sfd);
	ASSERT_EQ(KCACHE_STREAM_RING_MIN, ring);
	memset(val, 'v', sizeof(val));
	for (i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "k%03lu", i % NKEYS);
		ASSERT_EQ(0, kcache_set(self->fd, key, 4, val, sizeof(val), 0, 0, NULL));
	}
	while ((got = kcache_stream_read(sfd, buf, sizeof(buf), &it)) > 0) {
		while ((r = kcache_stream_next(&it))) {
			if (r->type == KCACHE_REC_STORE) {
				ASSERT_EQ(0, lagged);
				stores++;
			} else if (r->type == KCACHE_REC_LAGGED) {
				lagged++;
				dropped = r->aux;
			} else {
				ASSERT_EQ(KCACHE_REC_SYNC, r->type);
			}
		}
	}
	/* after LAGGED (without RESYNC) the stream ends */
	ASSERT_EQ(0, got);
	ASSERT_EQ(1, lagged);
	ASSERT_LT(0, stores);
	ASSERT_LT(stores, n);
	ASSERT_EQ(n, stores + dropped);
	/* and stays ended */
	ASSERT_EQ(0, kcache_set(self->fd, "k000", 4, "x", 1, 0, 0, NULL));
	ASSERT_EQ(0, read(sfd, buf, sizeof(buf)));
	close(sfd);
}

TEST_F(stream, lagged_resync_rebuilds_exact_map)
{
	struct mirror want[NKEYS];
	char key[16], val[40];
	struct sub s;
	size_t n;
	unsigned long i;

	ASSERT_EQ(0, sub_open(&s, self->fd, KCACHE_SUBSCRIBE_RESYNC, NULL,
			      KCACHE_STREAM_RING_MIN));
	for (i = 0; i < 2000; i++) {
		snprintf(key, sizeof(key), "k%03lu", (i * 7) % NKEYS);
		snprintf(val, sizeof(val), "value-%lu-padding-padding", i);
		if (i % 5 == 4)
			kcache_del(self->fd, key, 4);
		else
			ASSERT_EQ(0, kcache_set(self->fd, key, 4, val, strlen(val), 0, 0, NULL));
	}
	while (sub_pump(&s) > 0)
		;
	ASSERT_EQ(0, s.err[0]) TH_LOG("%s", s.err);
	ASSERT_EQ(1, s.lagged);
	/* more live changes after the resync */
	ASSERT_EQ(0, setk(self->fd, "k001", "after", NULL));
	ASSERT_EQ(0, kcache_del(self->fd, "k007", 4));
	while (sub_pump(&s) > 0)
		;
	ASSERT_EQ(0, dump_map(self->fd, want, &n));
	ASSERT_EQ(0, sub_compare(&s, want)) TH_LOG("%s", s.err);
	sub_close(&s);
}

TEST_F(stream, poll_and_epoll_readiness)
{
	static char buf[1 << 16];
	struct epoll_event ev = { .events = EPOLLIN }, out;
	struct pollfd p;
	int sfd, ep;

	sfd = sub_raw(self->fd, KCACHE_SUBSCRIBE_NONBLOCK | KCACHE_SUBSCRIBE_LIVE_ONLY, NULL, 0,
		      0, NULL);
	ASSERT_LE(0, sfd);
	ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, ep);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev));
	/* the SYNC record is readable at once */
	ASSERT_EQ(1, epoll_wait(ep, &out, 1, 2000));
	ASSERT_EQ(KCACHE_STREAM_REC_SIZE_VER0, read(sfd, buf, sizeof(buf)));
	ASSERT_EQ(0, epoll_wait(ep, &out, 1, 100));
	p.fd = sfd;
	p.events = POLLIN;
	ASSERT_EQ(0, poll(&p, 1, 100));
	ASSERT_EQ(-1, read(sfd, buf, sizeof(buf)));
	ASSERT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, setk(self->fd, "k000", "x", NULL));
	ASSERT_EQ(1, epoll_wait(ep, &out, 1, 2000));
	ASSERT_EQ(EPOLLIN, out.events & (EPOLLIN | EPOLLHUP));
	ASSERT_EQ(1, poll(&p, 1, 2000));
	ASSERT_LT(0, read(sfd, buf, sizeof(buf)));
	ASSERT_EQ(0, epoll_wait(ep, &out, 1, 100));
	/* destroy: readable and hung up, read gives EOF */
	ASSERT_EQ(0, kcache_destroy(self->ctl, self->name));
	ASSERT_EQ(1, epoll_wait(ep, &out, 1, 2000));
	ASSERT_EQ(EPOLLIN | EPOLLHUP, out.events & (EPOLLIN | EPOLLHUP));
	ASSERT_EQ(0, read(sfd, buf, sizeof(buf)));
	close(ep);
	close(sfd);
}

/* a thread reading a stream to its end: its thread id and what it read so far */
struct blocked_reader {
	int sfd;
	atomic_int tid;
	atomic_long total;
};

static void *blocked_reader(void *arg)
{
	static char buf[1 << 16];
	struct blocked_reader *r = arg;
	ssize_t n;

	atomic_store(&r->tid, (int)syscall(SYS_gettid));
	while ((n = read(r->sfd, buf, sizeof(buf))) > 0)
		atomic_fetch_add(&r->total, n);
	return (void *)(long)(n == 0 ? atomic_load(&r->total) : -1);
}

/*
 * Waits until @r has read @total bytes and sleeps in a stream read; false after 20 s. A
 * fixed sleep is not enough on a loaded host: a reader that came late would find the
 * record or the end already there, and no wake-up would be tested.
 */
static bool reader_asleep(struct blocked_reader *r, long total)
{
	char path[64], wchan[64];
	FILE *f;
	int i;

	for (i = 0; i < 2000; i++) {
		if (atomic_load(&r->tid) && atomic_load(&r->total) == total) {
			snprintf(path, sizeof(path), "/proc/%d/wchan", atomic_load(&r->tid));
			f = fopen(path, "r");
			if (f) {
				if (!fgets(wchan, sizeof(wchan), f))
					wchan[0] = 0;
				fclose(f);
				if (!strcmp(wchan, "kcache_stream_read_iter"))
					return true;
			}
		}
		usleep(10000);
	}
	return false;
}

TEST_F(stream, eof_on_destroy_wakes_blocked_reader)
{
	long rec = KCACHE_STREAM_REC_LEN(KCACHE_STREAM_REC_SIZE_VER0, 4, 1);
	struct blocked_reader r = { };
	pthread_t t;
	void *res;

	ASSERT_EQ(0, setk(self->fd, "k000", "x", NULL));
	r.sfd = sub_raw(self->fd, 0, NULL, 0, 0, NULL);
	ASSERT_LE(0, r.sfd);
	ASSERT_EQ(0, pthread_create(&t, NULL, blocked_reader, &r));
	ASSERT_TRUE(reader_asleep(&r, rec + KCACHE_STREAM_REC_SIZE_VER0));
	ASSERT_EQ(0, setk(self->fd, "k001", "y", NULL));
	ASSERT_TRUE(reader_asleep(&r, 2 * rec + KCACHE_STREAM_REC_SIZE_VER0));
	ASSERT_EQ(0, kcache_destroy(self->ctl, self->name));
	ASSERT_EQ(0, pthread_join(t, &res));
	/* snapshot k000, SYNC, live k001, then EOF */
	ASSERT_EQ(2 * rec + KCACHE_STREAM_REC_SIZE_VER0, (long)res);
	/* a new subscription on the destroyed cache fails */
	ASSERT_EQ(-1, sub_raw(self->fd, 0, NULL, 0, 0, NULL));
	ASSERT_EQ(ESHUTDOWN, errno);
	close(r.sfd);
}

/* A thread that waits, for at most 20 s, only for the stream to hang up. */
struct hup_waiter {
	int sfd;
	int epoll;		/* epoll_wait() on an epoll fd instead of poll() */
	int ret;
	unsigned int revents;
	uint64_t ms;
};

#define HUP_WAIT_MS	20000

static void *hup_wait(void *arg)
{
	struct hup_waiter *h = arg;
	uint64_t start = now_ms();

	if (h->epoll) {
		struct epoll_event ev = { .events = 0 }, out = { 0 };
		int ep = epoll_create1(EPOLL_CLOEXEC);

		h->ret = -1;
		if (ep >= 0 && !epoll_ctl(ep, EPOLL_CTL_ADD, h->sfd, &ev)) {
			h->ret = epoll_wait(ep, &out, 1, HUP_WAIT_MS);
			h->revents = out.events;
		}
		if (ep >= 0)
			close(ep);
	} else {
		/* no event asked for: POLLHUP and POLLERR are always reported */
		struct pollfd p = { .fd = h->sfd, .events = 0 };

		h->ret = poll(&p, 1, HUP_WAIT_MS);
		h->revents = p.revents;
	}
	h->ms = now_ms() - start;
	return NULL;
}

/*
 * A poll() or epoll_wait() that asks for no event waits for the hang-up alone: destroying
 * the cache must wake it then, not leave it asleep until its timeout.
 */
TEST_F(stream, destroy_wakes_pollers_waiting_for_hangup)
{
	struct hup_waiter h[2] = { { .epoll = 0 }, { .epoll = 1 } };
	static char buf[1 << 16];
	pthread_t t[2];
	int sfd, i;

	sfd = sub_raw(self->fd, KCACHE_SUBSCRIBE_NONBLOCK | KCACHE_SUBSCRIBE_LIVE_ONLY, NULL, 0,
		      0, NULL);
	ASSERT_LE(0, sfd);
	ASSERT_EQ(KCACHE_STREAM_REC_SIZE_VER0, read(sfd, buf, sizeof(buf)));
	for (i = 0; i < 2; i++) {
		h[i].sfd = sfd;
		ASSERT_EQ(0, pthread_create(&t[i], NULL, hup_wait, &h[i]));
	}
	/* a record wakes nobody who asked for no event */
	usleep(200000);
	ASSERT_EQ(0, setk(self->fd, "k000", "x", NULL));
	usleep(300000);
	ASSERT_EQ(0, kcache_destroy(self->ctl, self->name));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, pthread_join(t[i], NULL));
		EXPECT_EQ(1, h[i].ret) TH_LOG("%s", h[i].epoll ? "epoll" : "poll");
		EXPECT_NE(0, h[i].revents & POLLHUP) TH_LOG("%s", h[i].epoll ? "epoll" : "poll");
		/* woken by the destroy, not by the timeout's last look */
		EXPECT_GT(HUP_WAIT_MS / 2, h[i].ms)
			TH_LOG("%s woke after %llu ms", h[i].epoll ? "epoll" : "poll",
			       (unsigned long long)h[i].ms);
	}
	close(sfd);
}

struct storm {
	int fd;
	int stop;		/* __atomic */
	unsigned int seed;
	unsigned long ops;
};

static void *writer(void *arg)
{
	struct storm *w = arg;
	unsigned int seed = w->seed;
	char key[8], val[VMAX];
	uint64_t ver, ttl;
	uint32_t vlen;
	int k, op;

	while (!__atomic_load_n(&w->stop, __ATOMIC_RELAXED)) {
		k = rand_r(&seed) % NKEYS;
		op = rand_r(&seed) % 100;
		snprintf(key, sizeof(key), "k%03d", k);
		vlen = snprintf(val, sizeof(val), "%lu-%u", w->ops, seed % 1000);
		ttl = rand_r(&seed) % 4 ? 0 : (1 + rand_r(&seed) % TTL_MAX_MS) * 1000000ULL;
		if (op < 55) {
			kcache_set(w->fd, key, 4, val, vlen, KCACHE_SETF_TTL, ttl, NULL);
		} else if (op < 65) {
			kcache_set(w->fd, key, 4, val, vlen, KCACHE_SETF_IF_ABSENT, 0, NULL);
		} else if (op < 80) {
			uint32_t gl = VMAX;
			char gv[VMAX];

			if (!kcache_get(w->fd, key, 4, gv, &gl, &ver))
				kcache_cas(w->fd, key, 4, val, vlen, ver, 0, 0, NULL);
		} else if (op < 99) {
			kcache_del(w->fd, key, 4);
		} else {
			snprintf(key, sizeof(key), "k%d", rand_r(&seed) % 3);
			kcache_invalidate_prefix(w->fd, key, 2, NULL);
		}
		w->ops++;
	}
	return NULL;
}

struct subber {
	int fd;
	int idx;
	int start_ms;
	int *stop;		/* __atomic */
	struct sub s;
	int opened;
};

static const char *const storm_prefixes[] = { "k0", "k1", "k2" };

static void *subscriber(void *arg)
{
	struct subber *b = arg;
	uint32_t flags = KCACHE_SUBSCRIBE_RESYNC;
	const char *prefix = NULL;
	uint32_t ring = KCACHE_STREAM_RING_MIN << (b->idx % 5);
	struct pollfd p;

	usleep(b->start_ms * 1000);
	if (b->idx % 4 == 1)
		prefix = storm_prefixes[b->idx % 3];
	if (b->idx % 4 == 2)
		flags |= KCACHE_SUBSCRIBE_KEYS_ONLY;
	if (sub_open(&b->s, b->fd, flags, prefix, ring)) {
		sub_fail(&b->s, "subscribe failed");
		return NULL;
	}
	b->opened = 1;
	p.fd = b->s.fd;
	p.events = POLLIN;
	while (!__atomic_load_n(b->stop, __ATOMIC_RELAXED)) {
		if (poll(&p, 1, 100) < 0)
			break;
		if (sub_pump(&b->s) < 0)
			return NULL;
	}
	return NULL;
}

/* Writers stopped: wait until nothing expires or is evicted any more. */
static int settle(int fd, struct mirror *want, size_t *n)
{
	struct kcache_counters st;
	uint64_t sum, prev = 0;
	int i, k, stable = 0;

	usleep((TTL_MAX_MS + 200) * 1000);
	for (i = 0; i < 200 && stable < 3; i++) {
		if (dump_map(fd, want, n) || kcache_stats(fd, &st))
			return -1;
		for (k = 0, sum = 0; k < NKEYS; k++)
			sum += want[k].version;
		/* every entry in the table is live, and nothing changed since last time */
		if (st.entries == *n && sum == prev)
			stable++;
		else
			stable = 0;
		prev = sum;
		usleep(100000);
	}
	return stable >= 3 ? 0 : -1;
}

/* 60 s of storm on the debug kernel, then settling and draining 20 subscribers */
TEST_F_TIMEOUT(stream, storm_every_subscriber_rebuilds_the_cache, 300)
{
	struct storm w[NWRITERS];
	struct subber *b;
	pthread_t wt[NWRITERS], st[NSUBS];
	struct mirror want[NKEYS];
	int stop = 0;
	int secs = storm_secs(), i, fd, bad = 0;
	unsigned long ops = 0, recs = 0, lags = 0;
	size_t n;

	/* a cache of its own, small enough for the policy to evict */
	kcache_destroy(self->ctl, self->name);
	close(self->fd);
	self->fd = make_cache(self->ctl, self->name, "storm", MAX_ENTRIES);
	ASSERT_LE(0, self->fd);
	fd = self->fd;
	b = calloc(NSUBS, sizeof(*b));
	ASSERT_NE(NULL, b);
	srand(getpid());
	for (i = 0; i < NWRITERS; i++) {
		w[i] = (struct storm){ .fd = fd, .seed = rand() };
		ASSERT_EQ(0, pthread_create(&wt[i], NULL, writer, &w[i]));
	}
	for (i = 0; i < NSUBS; i++) {
		b[i].fd = fd;
		b[i].idx = i;
		b[i].stop = &stop;
		b[i].start_ms = rand() % (secs * 800);
		ASSERT_EQ(0, pthread_create(&st[i], NULL, subscriber, &b[i]));
	}
	sleep(secs);
	for (i = 0; i < NWRITERS; i++) {
		__atomic_store_n(&w[i].stop, 1, __ATOMIC_RELAXED);
		pthread_join(wt[i], NULL);
		ops += w[i].ops;
	}
	ASSERT_EQ(0, settle(fd, want, &n));
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < NSUBS; i++)
		pthread_join(st[i], NULL);
	for (i = 0; i < NSUBS; i++) {
		struct sub *s = &b[i].s;

		if (b[i].opened) {
			/* everything emitted is in the ring now: drain it */
			while (!s->err[0] && sub_pump(s) > 0)
				;
			if (!s->err[0])
				sub_compare(s, want);
		}
		if (!b[i].opened || s->err[0]) {
			TH_LOG("subscriber %d: %s", i, s->err[0] ? s->err : "never opened");
			bad++;
		}
		recs += s->records;
		lags += s->lagged;
		sub_close(s);
	}
	TH_LOG("%d s, %lu writes, %zu entries at the end, %d subscribers, %lu records read, %lu resyncs",
	       secs, ops, n, NSUBS, recs, lags);
	ASSERT_EQ(0, bad);
	free(b);
}

TEST_F(stream, close_during_writer_storm)
{
	struct storm w[NWRITERS];
	pthread_t wt[NWRITERS];
	static char buf[1 << 16];
	uint64_t end = now_ms() + 3000;
	unsigned long opened = 0;
	int i, sfd;

	for (i = 0; i < NWRITERS; i++) {
		w[i] = (struct storm){ .fd = self->fd, .seed = i + 1 };
		ASSERT_EQ(0, pthread_create(&wt[i], NULL, writer, &w[i]));
	}
	while (now_ms() < end) {
		sfd = sub_raw(self->fd, KCACHE_SUBSCRIBE_NONBLOCK | (opened % 2 ?
			      KCACHE_SUBSCRIBE_RESYNC : 0), NULL, 0, KCACHE_STREAM_RING_MIN,
			      NULL);
		ASSERT_LE(0, sfd);
		if (opened % 3)
			read(sfd, buf, sizeof(buf));
		close(sfd);
		opened++;
	}
	for (i = 0; i < NWRITERS; i++) {
		__atomic_store_n(&w[i].stop, 1, __ATOMIC_RELAXED);
		pthread_join(wt[i], NULL);
	}
	TH_LOG("%lu subscriptions opened and closed during the storm", opened);
	ASSERT_LT(10, opened);
}

TEST_F(stream, killed_reader_releases_everything)
{
	int status, i;
	pid_t pid[2];

	for (i = 0; i < 2; i++) {
		pid[i] = fork();
		ASSERT_LE(0, pid[i]);
		if (!pid[i]) {
			static char buf[1 << 16];
			int sfd = sub_raw(self->fd, 0, NULL, 0, 0, NULL);

			if (sfd < 0)
				_exit(1);
			/* one blocks in read(), the other never reads while its ring fills */
			if (i == 0)
				for (;;)
					read(sfd, buf, sizeof(buf));
			pause();
			_exit(0);
		}
	}
	usleep(300000);
	for (i = 0; i < 3000; i++)
		ASSERT_EQ(0, setk(self->fd, "k000", "some value to fill a ring", NULL));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, kill(pid[i], SIGKILL));
		ASSERT_EQ(pid[i], waitpid(pid[i], &status, 0));
		ASSERT_TRUE(WIFSIGNALED(status));
		ASSERT_EQ(SIGKILL, WTERMSIG(status));
	}
	/* the cache carries on, and destroys cleanly (teardown) */
	ASSERT_EQ(0, setk(self->fd, "k001", "y", NULL));
}

/*
 * Closing a stream fd does not wait for an RCU grace period: a process that exits holding
 * thousands of streams would wait one per stream. The unit is a grace period measured in
 * the same run: membarrier(MEMBARRIER_CMD_GLOBAL) is one synchronize_rcu().
 */
TEST_F(stream, closing_streams_waits_no_grace_period_each)
{
	enum { N = 256, G = 16 };
	uint64_t t0, gp, closing;
	int s[N], i, q;

	q = syscall(__NR_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
	if (q < 0 || !(q & MEMBARRIER_CMD_GLOBAL) || sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "membarrier() waits for no grace period here");
	for (i = 0; i < N; i++) {
		s[i] = kcache_subscribe(self->fd, NULL, 0, KCACHE_SUBSCRIBE_LIVE_ONLY, NULL, NULL);
		ASSERT_LE(0, s[i]);
	}
	t0 = now_us();
	for (i = 0; i < G; i++)
		ASSERT_EQ(0, syscall(__NR_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0));
	gp = (now_us() - t0) / G;
	t0 = now_us();
	for (i = 0; i < N; i++)
		ASSERT_EQ(0, close(s[i]));
	closing = now_us() - t0;
	TH_LOG("a grace period %llu us; closing %d streams %llu us", (unsigned long long)gp, N,
	       (unsigned long long)closing);
	/*
	 * A grace period each would be N of them. A close costs far less on the stock kernel
	 * (0.004 of a grace period) but about 0.15 on the debug kernel under TCG: half.
	 */
	EXPECT_LT(closing, gp * N / 2);
}

TEST_F(stream, subscriber_without_read_access_refused)
{
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int fd;

		/* an unprivileged user: the cache is 0622, others may write but not read */
		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
			_exit(10);
		if (kcache_open(self->ctl, self->name, KCACHE_OPEN_READ) != -EACCES)
			_exit(11);
		fd = kcache_open(self->ctl, self->name, KCACHE_OPEN_WRITE);
		if (fd < 0)
			_exit(12);
		if (kcache_subscribe(fd, NULL, 0, 0, NULL, NULL) != -EBADF)
			_exit(13);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
}

TEST_HARNESS_MAIN
